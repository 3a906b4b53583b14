"""Guidance clauses: the numbered parts of seeds 004, 002, 001 and 000 that requirement rows quote.

A clause is (seed, number), e.g. ``("004", "九（三）")`` or ``("002", "6.2.3")``, taken from the
``section`` column of ``requirements.tsv`` ("九、（三）采用基因编辑技术制备的细胞产品" -> "九（三）").
The clause index of the report lists every clause with the report sections and the traceability rows that
hold its evidence; section headings carry the clause numbers of the rows they answer.

:func:`search_key` is the normalisation shared by the page filter (``assets/report.js`` applies the same
steps): NFKC (full-width -> half-width), lower case, and every space and punctuation mark removed, so that
"九（三）", "九、（三）" and "九 (三)" all match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from cgtsafe.report.traceability import Requirement, TraceRow

SEED_ORDER = ("004", "002", "001", "000")
ANSWERED = ("computed", "computed_underpowered", "imported")
_CN_NUM = "一二三四五六七八九十"
_CLAUSE = re.compile(rf"^\s*([{_CN_NUM}]+)、?\s*(（[{_CN_NUM}]+）)?\s*(\d+(?:\.\d+)*)?\s*[.、]?\s*(（\d+）|\(\d+\))?")
_DECIMAL = re.compile(r"^\s*(\d+(?:\.\d+)*)")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def clause_number(section: str) -> str:
    """The clause number of a ``requirements.tsv`` section cell ("" when it has none)."""
    m = _CLAUSE.match(section)
    if m and m.group(1):
        out = m.group(1) + (m.group(2) or "") + (m.group(3) or "")
        if m.group(4):
            out += "（" + m.group(4).strip("（）()") + "）"
        return out
    m = _DECIMAL.match(section)
    return m.group(1) if m else ""


def clause_title(section: str) -> tuple[str, str]:
    """(zh, en) title words of a section cell, without the clause number."""
    en = ""
    m = re.search(r"\(([A-Za-z][^()]*)\)\s*$", section)
    if m:
        en = m.group(1)
        section = section[:m.start()]
    m = _CLAUSE.match(section) or _DECIMAL.match(section)
    zh = section[m.end():] if m else section
    return zh.strip(" 、.") or section.strip(), en


def search_key(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text or "").lower())


@dataclass
class Clause:
    seed: str
    number: str
    title_zh: str
    title_en: str
    rows: list[TraceRow] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.seed}-{search_key(self.number) or 'x'}"

    @property
    def label(self) -> str:
        return f"{self.seed} {self.number}"

    @property
    def answered(self) -> list[TraceRow]:
        return [r for r in self.rows if r.status in ANSWERED]

    @property
    def sections(self) -> list[str]:
        out: list[str] = []
        for r in self.rows:
            for s in r.req.report_sections:
                if s and s not in out:
                    out.append(s)
        return sorted(out)


def clauses(trace: list[TraceRow]) -> list[Clause]:
    """Every numbered clause of seeds 004, 002, 001, 000 in document order of its first row."""
    by_key: dict[tuple[str, str], Clause] = {}
    for r in trace:
        if r.req.seed_doc not in SEED_ORDER:
            continue
        num = clause_number(r.req.section)
        key = (r.req.seed_doc, num)
        if key not in by_key:
            zh, en = clause_title(r.req.section)
            by_key[key] = Clause(r.req.seed_doc, num, zh, en)
        c = by_key[key]
        if not c.title_en:
            c.title_en = clause_title(r.req.section)[1]
        c.rows.append(r)
    return sorted(by_key.values(), key=lambda c: SEED_ORDER.index(c.seed))


def section_clauses(trace: list[TraceRow], section_id: str, seeds=("004", "002")) -> list[str]:
    """Clause labels ("004 九（三）") a section heading carries, governing seeds only (004, 002): the clauses of
    the rows this run answers that list the section; else of the applicable rows that list it first; else of
    any row that lists it first."""
    def pick(rows):
        out: list[str] = []
        for r in rows:
            if r.req.seed_doc in seeds:
                lab = f"{r.req.seed_doc} {clause_number(r.req.section)}".strip()
                if lab not in out:
                    out.append(lab)
        return out

    first = [r for r in trace if r.req.report_sections and r.req.report_sections[0] == section_id]
    labels = (pick([r for r in trace if section_id in r.req.report_sections and r.status in ANSWERED])
              or pick([r for r in first if r.status not in ("not_applicable", "context")]) or pick(first))
    return sorted(labels, key=lambda s: (seeds.index(s.split(" ")[0]), s))


def search_text(req: Requirement, row: TraceRow) -> str:
    """Everything the filter searches for one traceability row (both languages), already normalised."""
    extra = " ".join(WORD_ALIASES.get(w, "") for w in WORD_ALIASES if w in req.text_en.lower())
    return search_key(" ".join([req.id, req.seed_doc, req.section, clause_number(req.section), req.quote_zh,
                                req.text_en, " ".join(req.report_sections), row.status, row.note_en,
                                row.note_zh, extra]))


#: abbreviations a reviewer types that the guidance text spells out
WORD_ALIASES = {
    "whole-genome sequencing": "WGS 全基因组测序",
    "whole genome sequencing": "WGS 全基因组测序",
    "replication-competent": "RCV RCL RCR 复制型病毒",
    "vector copy number": "VCN 载体拷贝数",
    "long-term follow-up": "LTFU 长期随访",
    "integration site": "IS 整合位点",
    "off-target": "off target 脱靶",
    "deep sequencing": "NGS amplicon 深度测序",
    "biodistribution": "BD 生物分布",
}
