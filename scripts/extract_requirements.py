#!/usr/bin/env python3
"""Make ``src/cgtsafe/data/requirements.tsv`` and ``report_outline.tsv`` from the guidance analysis.

Source: ``requirements.md`` (the requirement extraction from the five Chinese CGT guidance seed files
``000_*.txt`` ... ``004_*.txt``; see its section 1 for titles and issuers). Section 2 holds one
Markdown table row per requirement; section 4 holds the proposed report outline (ER-00 ... ER-17) and
a compact requirement -> section matrix, which this script cross-checks against section 2.

Every Chinese quote is checked again here against the seed text (whitespace removed, as described in
Appendix A of requirements.md) when the seed files are next to requirements.md.

Usage::

    python scripts/extract_requirements.py [--guidance /work/shared/guidance] [--outdir src/cgtsafe/data]

Outputs (TSV, UTF-8, header line, sorted by ``id`` in seed order 004, 002, 001, 000, 003 then row number):

``requirements.tsv``  id, seed_doc (000..004), seed_file, category (section-2 group, e.g. A1),
                      section, quote_zh, text_en, analyses (comma-separated codes, first = primary),
                      report_sections (comma-separated ER-xx)
``report_outline.tsv`` section_id, title_en, content_en, kind, requirements (comma-separated IDs)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_GUIDANCE = HERE.parents[1] / "shared" / "guidance"
DEFAULT_OUT = HERE.parent / "src" / "cgtsafe" / "data"
SEED_ORDER = ("004", "002", "001", "000", "003")
EXPECTED_ROWS = 190
REQ_COLUMNS = ("id", "seed_doc", "seed_file", "category", "section", "quote_zh", "text_en", "analyses",
               "report_sections")
OUTLINE_COLUMNS = ("section_id", "title_en", "content_en", "kind", "requirements")


class ExtractError(Exception):
    pass


def _cells(line: str) -> list[str]:
    if not (line.startswith("|") and line.rstrip().endswith("|")):
        raise ExtractError(f"not a table row: {line[:60]!r}")
    return [c.strip() for c in line.strip()[1:-1].split(" | ")]


def _clean(text: str) -> str:
    return text.replace("\t", " ").strip()


def parse(md_text: str) -> tuple[list[dict], list[dict], dict[str, list[str]]]:
    lines = md_text.splitlines()
    try:
        s2 = next(i for i, l in enumerate(lines) if l.startswith("## 2."))
        s3 = next(i for i, l in enumerate(lines) if l.startswith("## 3."))
        s4 = next(i for i, l in enumerate(lines) if l.startswith("## 4."))
        s5 = next(i for i, l in enumerate(lines) if l.startswith("## 5."))
    except StopIteration:
        raise ExtractError("requirements.md lacks one of the headings '## 2.', '## 3.', '## 4.', '## 5.'") from None

    reqs: list[dict] = []
    category = ""
    for lineno in range(s2, s3):
        line = lines[lineno]
        m = re.match(r"^### ([AB]\d) — ", line)
        if m:
            category = m.group(1)
            continue
        if not re.match(r"^\| R\d{3}-\d{2} \|", line):
            continue
        cells = _cells(line)
        if len(cells) != 7:
            raise ExtractError(f"requirements.md line {lineno + 1}: expected 7 cells, found {len(cells)}")
        rid, seed_file, section, quote, en, analyses, report = cells
        if not re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", seed_file):
            raise ExtractError(f"requirements.md line {lineno + 1}: bad seed file {seed_file!r}")
        if seed_file[:3] != rid[1:4]:
            raise ExtractError(f"requirements.md line {lineno + 1}: {rid} is not from {seed_file}")
        codes = [c.strip() for c in analyses.split(",") if c.strip()]
        secs = [c.strip() for c in report.split(",") if c.strip()]
        if not codes or not all(re.fullmatch(r"[AB]\d", c) for c in codes):
            raise ExtractError(f"requirements.md line {lineno + 1}: bad analysis codes {analyses!r}")
        if not secs or not all(re.fullmatch(r"ER-\d{2}", s) for s in secs):
            raise ExtractError(f"requirements.md line {lineno + 1}: bad report sections {report!r}")
        reqs.append({
            "id": rid, "seed_doc": seed_file[:3], "seed_file": seed_file, "category": category,
            "section": _clean(section), "quote_zh": _clean(quote), "text_en": _clean(en),
            "analyses": ",".join(codes), "report_sections": ",".join(secs),
        })

    outline: list[dict] = []
    matrix: dict[str, list[str]] = {}
    for lineno in range(s4, s5):
        line = lines[lineno]
        if re.match(r"^\| ER-\d{2} \|", line):
            cells = _cells(line)
            if len(cells) != 5:
                raise ExtractError(f"requirements.md line {lineno + 1}: outline row needs 5 cells")
            sid, title, content, kind, rows = cells
            ids = [r.strip() for r in rows.split(",") if r.strip()]
            outline.append({"section_id": sid, "title_en": _clean(title), "content_en": _clean(content),
                            "kind": _clean(kind), "requirements": ",".join(ids)})
        elif re.match(r"^\| R\d{3}-\d{2} \|", line):
            cells = _cells(line)
            matrix[cells[0]] = [s.strip() for s in cells[3].split(",") if s.strip()]
    return reqs, outline, matrix


def check(reqs: list[dict], outline: list[dict], matrix: dict[str, list[str]], guidance: Path | None) -> None:
    ids = [r["id"] for r in reqs]
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ExtractError(f"duplicate requirement IDs: {', '.join(dup)}")
    if len(reqs) != EXPECTED_ROWS:
        raise ExtractError(f"expected {EXPECTED_ROWS} requirement rows, found {len(reqs)}")
    known = {o["section_id"] for o in outline}
    for r in reqs:
        missing = [s for s in r["report_sections"].split(",") if s not in known]
        if missing:
            raise ExtractError(f"{r['id']}: report section(s) {', '.join(missing)} not in the outline")
        if matrix and matrix.get(r["id"]) != r["report_sections"].split(","):
            raise ExtractError(f"{r['id']}: section-2 sections {r['report_sections']} differ from the "
                               f"compact matrix {matrix.get(r['id'])}")
    if guidance is not None:
        flat: dict[str, str] = {}
        for r in reqs:
            f = guidance / r["seed_file"]
            if not f.exists():
                raise ExtractError(f"seed file {f} not found (needed to verify {r['id']})")
            if r["seed_file"] not in flat:
                flat[r["seed_file"]] = re.sub(r"\s+", "", f.read_text(encoding="utf-8"))
            if re.sub(r"\s+", "", r["quote_zh"]) not in flat[r["seed_file"]]:
                raise ExtractError(f"{r['id']}: Chinese quote not found verbatim in {r['seed_file']}")


def sort_key(r: dict) -> tuple:
    return (SEED_ORDER.index(r["seed_doc"]), int(r["id"].split("-")[1]))


def write_tsv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    out = ["\t".join(columns)]
    for r in rows:
        out.append("\t".join(str(r[c]) for c in columns))
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--guidance", type=Path, default=DEFAULT_GUIDANCE,
                    help="folder with requirements.md and the seed files 000_*.txt ... 004_*.txt")
    ap.add_argument("--outdir", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    md = args.guidance / "requirements.md"
    if not md.exists():
        print(f"extract_requirements: error: {md} not found", file=sys.stderr)
        return 2
    try:
        reqs, outline, matrix = parse(md.read_text(encoding="utf-8"))
        has_seeds = any(args.guidance.glob("00?_*.txt"))
        check(reqs, outline, matrix, args.guidance if has_seeds else None)
    except ExtractError as exc:
        print(f"extract_requirements: error: {exc}", file=sys.stderr)
        return 2
    reqs.sort(key=sort_key)
    args.outdir.mkdir(parents=True, exist_ok=True)
    write_tsv(args.outdir / "requirements.tsv", REQ_COLUMNS, reqs)
    write_tsv(args.outdir / "report_outline.tsv", OUTLINE_COLUMNS, outline)
    print(f"{len(reqs)} requirements, {len(outline)} report sections -> {args.outdir}"
          + ("" if has_seeds else " (seed files absent: quotes not re-verified)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
