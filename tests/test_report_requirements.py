"""requirements.tsv / report_outline.tsv against the guidance analysis and the seed texts themselves."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cgtsafe.report.traceability import load_outline, load_requirements

REPO = Path(__file__).resolve().parents[1]
GUIDANCE = Path(__file__).resolve().parents[2] / "shared" / "guidance"


def _guidance():
    if not (GUIDANCE / "requirements.md").exists():
        pytest.skip(f"../shared/guidance absent: {GUIDANCE}/requirements.md")
    return GUIDANCE


def test_190_unique_rows_with_sections():
    reqs = load_requirements()
    assert len(reqs) == 190
    assert len({r.id for r in reqs}) == 190
    outline = {o["section_id"] for o in load_outline()}
    assert outline == {f"ER-{i:02d}" for i in range(18)}
    for r in reqs:
        assert re.fullmatch(r"R00[0-4]-\d{2}", r.id)
        assert r.seed_file.startswith(r.seed_doc + "_")
        assert r.quote_zh and r.text_en and r.analyses and r.report_sections
        assert set(r.report_sections) <= outline


def test_category_counts_match_headings():
    """The '### A1 — ... (N rows)' headings of requirements.md give the expected count per category."""
    text = (_guidance() / "requirements.md").read_text(encoding="utf-8")
    expected = {m.group(1): int(m.group(2)) for m in re.finditer(r"^### ([AB]\d) — .*\((\d+) rows\)$", text, re.M)}
    got: dict[str, int] = {}
    for r in load_requirements():
        got[r.category] = got.get(r.category, 0) + 1
    assert got == expected


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_quotes_verbatim_in_seed(seed):
    """Every Chinese quote occurs in its seed file once whitespace is removed (requirements.md, Appendix A)."""
    g = _guidance()
    files = list(g.glob(f"{seed}_*.txt"))
    if not files:
        pytest.skip(f"../shared/guidance/{seed}_*.txt absent")
    flat = re.sub(r"\s+", "", files[0].read_text(encoding="utf-8"))
    rows = [r for r in load_requirements() if r.seed_doc == seed]
    assert rows
    missing = [r.id for r in rows if re.sub(r"\s+", "", r.quote_zh) not in flat]
    assert missing == []


@pytest.mark.parametrize("rid,section_fragment,sections", [
    ("R004-41", "九、（三）", ("ER-04",)),
    ("R002-32", "6.2.3", ("ER-03", "ER-04")),
    ("R004-22", "八、（三）", ("ER-06",)),
    ("R002-64", "7.5", ("ER-15",)),
])
def test_known_rows(rid, section_fragment, sections):
    r = {x.id: x for x in load_requirements()}[rid]
    assert section_fragment in r.section
    assert r.report_sections == sections


def test_extractor_reproduces_shipped_files(tmp_path):
    g = _guidance()
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "extract_requirements.py"), "--guidance", str(g),
                           "--outdir", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("requirements.tsv", "report_outline.tsv"):
        assert (tmp_path / name).read_bytes() == (REPO / "src" / "cgtsafe" / "data" / name).read_bytes()
    with open(tmp_path / "requirements.tsv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))) == 190


def test_extractor_rejects_tampered_quote(tmp_path):
    g = _guidance()
    if not list(g.glob("004_*.txt")):
        pytest.skip("../shared/guidance/004_*.txt absent")
    work = tmp_path / "g"
    work.mkdir()
    for f in g.iterdir():
        (work / f.name).write_bytes(f.read_bytes())
    md = work / "requirements.md"
    text = md.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| R004-41 |"))
    md.write_text(text.replace(row, row.replace("以证明潜在脱靶位点未出现脱靶", "以证明潜在位点无脱靶")), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "extract_requirements.py"), "--guidance", str(work),
                           "--outdir", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "R004-41" in proc.stderr and "not found verbatim" in proc.stderr
