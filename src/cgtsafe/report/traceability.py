"""Traceability matrix: every guidance requirement -> report section -> status.

Reads the shipped ``cgtsafe/data/requirements.tsv`` (190 rows, made by ``scripts/extract_requirements.py``
from the guidance analysis of seeds 000-004) and ``report_outline.tsv`` (ER-00 ... ER-17).

Status of a row, decided in this order (first match wins):

1. ``context``         the row comes from seed 003 (a review article, not a requirement);
2. ``not_applicable``  the product's modality/vector makes the row irrelevant (:func:`modality_reason`),
                       or the analysis that would answer it was switched off (its summary's reason);
3. ``computed``        a *computed* analysis summary lists the ID in ``requirements``; or, when that
                       summary lists none, the row's primary analysis code (A1 offtarget, A2 sitecheck,
                       A3 integration, A4 tcr) is that analysis and the row is not wet-lab/narrative by
                       nature (:data:`NOT_COMPUTABLE`); the LTFU tier rows when the tier is determined;
4. ``imported``        an imported result declared in ``report.imported`` covers the row (by its
                       ``kind`` -> :data:`IMPORT_COVERAGE`, or its explicit ``requirements`` list);
5. ``not_computed``    the analysis that would answer it failed or lacked input;
6. ``narrative``       otherwise: the sponsor must supply the text.

:func:`mark_underpowered` then turns ``computed`` into ``computed_underpowered`` for the rows that ask for
WGS against a frequency threshold when the sitecheck summary's WGS median per-site LOD is above the
declared threshold (the row was computed, but WGS cannot carry the claim at that threshold).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources

from cgtsafe.report.ltfu import CITED_ROWS as LTFU_ROWS

CODE_TO_ANALYSIS = {"A1": "offtarget", "A2": "sitecheck", "A3": "integration", "A4": "tcr"}

#: rows whose evidence is an in vitro assay, a clinical protocol item or a design statement, so a
#: bioinformatic analysis does not answer them unless its summary says so explicitly
NOT_COMPUTABLE = frozenset({
    "R004-23", "R004-24", "R004-25", "R004-26",  # CAR/TCR target expression and killing assays
    "R004-28", "R004-31", "R004-33", "R004-34",  # affinity, in vitro recognition, allo-HLA, mispairing design
    "R001-04",                                   # HLA typing in the clinical protocol
    "R004-35", "R004-43",                        # tumorigenicity studies; phenotype/function effects
    "R002-56", "R002-57", "R000-07",             # clinical stop rules / monitoring plans
})

#: imported result kind -> primary analysis codes (rows whose first code is one of these) and extra IDs
IMPORT_COVERAGE = {
    "vcn": (("B1",), ("R004-19",)),
    "transduction": (("B1",), ()),
    "rcv": (("B2",), ()),
    "biodistribution": (("B3",), ()),
    "allo_hla": ((), ("R004-33",)),
    "affinity": ((), ("R004-28", "R004-32")),
    "other": ((), ()),
}

GENE_EDITING = ("gene_edited_cells", "in_vivo_gene_therapy")
NON_INTEGRATING = ("none", "aav", "adenovirus", "lnp", "vlp", "plasmid")
NO_VIRAL_VECTOR = ("none", "lnp", "vlp", "plasmid")
TCR_ONLY = ("R004-27", "R004-28", "R004-29", "R004-30", "R004-31", "R004-32", "R004-33", "R004-34")
CAR_OR_TCR = ("R004-23", "R004-24", "R004-25", "R001-04")
STEM_CELL = ("R004-35", "R000-06")


@dataclass(frozen=True)
class Requirement:
    id: str
    seed_doc: str
    seed_file: str
    category: str
    section: str
    quote_zh: str
    text_en: str
    analyses: tuple[str, ...]
    report_sections: tuple[str, ...]


@dataclass(frozen=True)
class TraceRow:
    req: Requirement
    status: str
    note_en: str
    note_zh: str


def _read_tsv(name: str) -> list[dict]:
    text = resources.files("cgtsafe.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))


def load_requirements() -> list[Requirement]:
    return [Requirement(r["id"], r["seed_doc"], r["seed_file"], r["category"], r["section"], r["quote_zh"],
                        r["text_en"], tuple(r["analyses"].split(",")), tuple(r["report_sections"].split(",")))
            for r in _read_tsv("requirements.tsv")]


def load_outline() -> list[dict]:
    return _read_tsv("report_outline.tsv")


def modality_reason(req: Requirement, modality: list[str], vector: str) -> tuple[str, str] | None:
    """(en, zh) reason why ``req`` does not apply to this product, or None."""
    mods = set(modality)
    mod_text = ", ".join(sorted(mods)) or "none"
    if req.id in TCR_ONLY and "tcr_t" not in mods:
        return (f"No TCR in this product (modality: {mod_text}).", f"本产品不含TCR（产品类型：{mod_text}）。")
    if req.id == "R004-26" and "car_t" not in mods:
        return (f"No CAR in this product (modality: {mod_text}).", f"本产品不含CAR（产品类型：{mod_text}）。")
    if req.id in CAR_OR_TCR and not mods & {"car_t", "tcr_t"}:
        return (f"Not a CAR- or TCR-modified immune-cell product (modality: {mod_text}).",
                f"非CAR或TCR修饰的免疫细胞产品（产品类型：{mod_text}）。")
    if req.id in STEM_CELL and "ips_derived" not in mods:
        return (f"Not an iPS/stem-cell-derived product (modality: {mod_text}).",
                f"非诱导多能干细胞/干细胞来源产品（产品类型：{mod_text}）。")
    a_codes = [c for c in req.analyses if c.startswith("A")]
    if a_codes and set(a_codes) <= {"A1", "A2"} and not mods & set(GENE_EDITING):
        return (f"No gene editing in this product (modality: {mod_text}).",
                f"本产品未使用基因编辑（产品类型：{mod_text}）。")
    if req.analyses[0] == "A3" and set(a_codes) == {"A3"} and vector in NON_INTEGRATING and req.id not in STEM_CELL:
        return (f"The declared vector ({vector}) does not integrate into the genome.",
                f"所申报载体（{vector}）不整合入基因组。")
    if req.analyses[0] in ("B1", "B2") and vector in NO_VIRAL_VECTOR:
        return (f"No viral vector in this product (vector: {vector}).", f"本产品未使用病毒载体（载体：{vector}）。")
    return None


def build_matrix(requirements: list[Requirement], summaries: dict[str, dict], imported: list[dict],
                 modality: list[str], vector: str, ltfu_determined: bool) -> list[TraceRow]:
    """One :class:`TraceRow` per requirement, in the order of ``requirements``."""
    explicit: dict[str, list[str]] = {}
    for name in sorted(summaries):
        s = summaries[name]
        if s.get("status") == "computed":
            for rid in s.get("requirements") or []:
                explicit.setdefault(rid, []).append(name)
    import_cover: dict[str, list[str]] = {}
    for item in imported:
        codes, ids = IMPORT_COVERAGE.get(item["kind"], ((), ()))
        for req in requirements:
            if req.analyses[0] in codes or req.id in ids or req.id in (item.get("requirements") or []):
                import_cover.setdefault(req.id, []).append(item["title"])

    rows = []
    for req in requirements:
        if req.seed_doc == "003":
            rows.append(TraceRow(req, "context", "Review article (seed 003): context, not a requirement.",
                                 "综述文章（003）：仅供参考，非监管要求。"))
            continue
        reason = modality_reason(req, modality, vector)
        if reason:
            rows.append(TraceRow(req, "not_applicable", *reason))
            continue
        primary = CODE_TO_ANALYSIS.get(req.analyses[0])
        psum = summaries.get(primary) if primary else None
        computed_by = list(explicit.get(req.id, []))
        if (psum and psum.get("status") == "computed" and not psum.get("requirements")
                and req.id not in NOT_COMPUTABLE and primary not in computed_by):
            computed_by.append(primary)
        if req.id in LTFU_ROWS and ltfu_determined:
            computed_by.append("ltfu")
        imports = import_cover.get(req.id, [])
        if computed_by:
            en = "Evidence: " + ", ".join(computed_by)
            zh = "证据：" + "、".join(computed_by)
            if imports:
                en += "; imported: " + "; ".join(imports)
                zh += "；导入：" + "；".join(imports)
            rows.append(TraceRow(req, "computed", en + ".", zh + "。"))
            continue
        if imports:
            rows.append(TraceRow(req, "imported", "Imported: " + "; ".join(imports) + ".",
                                 "导入：" + "；".join(imports) + "。"))
            continue
        if psum and psum.get("status") == "not_applicable" and req.id not in NOT_COMPUTABLE:
            r = psum.get("reason") or "analysis switched off"
            rows.append(TraceRow(req, "not_applicable", f"{primary}: {r}",
                                 f"{primary}：{psum.get('verdict_zh') or r}"))
            continue
        if psum and psum.get("status") in ("failed", "missing_input") and req.id not in NOT_COMPUTABLE:
            r = psum.get("reason") or psum.get("status")
            zh_status = {"failed": "分析失败", "missing_input": "缺少输入"}[psum["status"]]
            rows.append(TraceRow(req, "not_computed", f"{primary} {psum['status']}: {r}",
                                 f"{primary} {zh_status}：{psum.get('verdict_zh') or r}"))
            continue
        support = [CODE_TO_ANALYSIS[c] for c in req.analyses if c in CODE_TO_ANALYSIS
                   and summaries.get(CODE_TO_ANALYSIS[c], {}).get("status") == "computed"]
        en, zh = "Sponsor to supply the narrative/assay evidence.", "需申请人提供论述或试验证据。"
        if support:
            en += " Supporting computed evidence: " + ", ".join(support) + "."
            zh += "可参考的计算证据：" + "、".join(support) + "。"
        rows.append(TraceRow(req, "narrative", en, zh))
    return rows


def _pct(value) -> float | None:
    """'22.7 %' -> 22.7; '0.1 %' -> 0.1; a bare fraction (0.001) is not a percentage -> None."""
    m = re.fullmatch(r"\s*([0-9.]+(?:[eE][-+]?\d+)?)\s*%\s*", str(value))
    return float(m.group(1)) if m else None


def sitecheck_power(summary: dict | None) -> dict[str, float]:
    """Median per-site LOD (%) per assay ('WGS', 'targeted deep sequencing') and the declared threshold (%),
    read from the sitecheck summary's key figures; empty when the summary does not hold them."""
    out: dict[str, float] = {}
    if not summary or summary.get("status") != "computed":
        return out
    for k in summary.get("key_figures") or []:
        if not isinstance(k, dict):
            continue
        label = str(k.get("label_en", ""))
        v = _pct(k.get("value"))
        if v is None:
            continue
        if label.endswith(": median per-site LOD"):
            out[label.split(":")[0].strip()] = v
        elif label in ("declared threshold", "pre-specified threshold"):
            out["threshold"] = v
    return out


def mark_underpowered(rows: list[TraceRow], sitecheck: dict | None) -> list[TraceRow]:
    power = sitecheck_power(sitecheck)
    wgs, thr = power.get("WGS"), power.get("threshold")
    if wgs is None or thr is None or wgs <= thr:
        return rows
    deep = power.get("targeted deep sequencing")
    if deep is not None and deep <= thr:
        en_tail, zh_tail = (f"targeted deep sequencing (median LOD {deep:g} %) carries the claim at the sites it covers",
                            f"由靶向深度测序（检测限中位数 {deep:g} %）在其覆盖位点支撑结论")
    elif deep is not None:
        en_tail = (f"targeted deep sequencing (median LOD {deep:g} %) does not reach it either: the claim is not "
                   "supported at the threshold")
        zh_tail = f"靶向深度测序（检测限中位数 {deep:g} %）亦未达到：在该阈值下结论无支持"
    else:
        en_tail, zh_tail = "no deep sequencing carries the claim", "无深度测序支撑结论"
    out = []
    for r in rows:
        text = r.req.text_en.lower()
        if r.status == "computed" and "whole-genome sequencing" in text and "threshold" in text:
            out.append(TraceRow(r.req, "computed_underpowered",
                                f"Computed, underpowered: WGS median per-site LOD {wgs:g} % vs the pre-specified "
                                f"threshold {thr:g} %; {en_tail}. {r.note_en}",
                                f"已计算，检测力不足：全基因组测序位点检测限中位数 {wgs:g} %，预设阈值 {thr:g} %；"
                                f"{zh_tail}。{r.note_zh}"))
        else:
            out.append(r)
    return out
