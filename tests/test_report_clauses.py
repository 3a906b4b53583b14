"""Clause index, clause numbers in headings, the filter's normalisation, the WGS-underpowered status and the
generic rendering of any analysis summary into its ER section."""

from __future__ import annotations

import re

import pytest

from cgtsafe.report.build import build_report_files
from cgtsafe.report.clauses import clause_number, search_key
from cgtsafe.report.ltfu import ltfu_tier
from cgtsafe.report.traceability import build_matrix, load_requirements, mark_underpowered
from cgtsafe.summary import make_summary, write_summary
from report_fixtures import make_results


@pytest.mark.parametrize("section,expected", [
    ("九、（三）采用基因编辑技术制备的细胞产品 (Gene-edited cell products)", "九（三）"),
    ("八、（三）插入突变风险评估 (Insertional mutagenesis risk)", "八（三）"),
    ("6.2.3 脱靶毒性 (Off-target toxicity)", "6.2.3"),
    ("三、总体考虑 (General considerations)", "三"),
    ("二、（一）2（1）受试者筛查 (Subject screening)", "二（一）2（1）"),
    ("二、（三）3. 基因治疗产品 (Gene therapy products)", "二（三）3"),
])
def test_clause_number(section, expected):
    assert clause_number(section) == expected


def test_search_key_ignores_punctuation_width_and_spaces():
    keys = {search_key(q) for q in ("九（三）", "九、（三）", "九 (三)", "九，（三）", "九(三)")}
    assert keys == {"九三"}
    assert search_key("ＷＧＳ") == search_key("wgs") == "wgs"
    assert search_key("R004-41") == "r00441"


def _build(tmp_path, extra_requirements=(), **kw):
    p = make_results(tmp_path, **kw)
    if extra_requirements:  # the offtarget summary also answers these rows
        import json

        f = p["results"] / "offtarget" / "summary.json"
        s = json.loads(f.read_text(encoding="utf-8"))
        s["requirements"] += list(extra_requirements)
        f.write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "report.html"
    build_report_files(config=p["config"], results=p["results"], provenance=p["provenance"],
                       performance=p["performance"], out=out, generated="2026-11-21T22:00:00+00:00")
    return out.read_text(encoding="utf-8"), p


def _section(text: str, sid: str) -> str:
    m = re.search(rf'<section[^>]*id="{sid}".*?</section>', text, re.S)
    assert m, sid
    return m.group(0)


def test_clause_index_links_every_answered_clause(tmp_path):
    text, _ = _build(tmp_path, statuses={"offtarget": "computed", "sitecheck": "computed",
                                         "integration": "computed", "tcr": "computed"},
                     modality=("gene_edited_cells", "tcr_t"), extra_requirements=("R002-30", "R002-32"))
    idx = _section(text, "clauses")
    ids = set(re.findall(r'id="([^"]+)"', text))
    answered = set(re.findall(r'<tr id="req-([^"]+)" class="req-target" data-status="(?:computed|computed_underpowered|imported)"',
                              text))
    assert answered  # the run answers rows
    clauses = {(r.seed_doc, clause_number(r.section)) for r in load_requirements() if r.id in answered}
    for seed, num in clauses:
        m = re.search(rf'<tr id="clause-{seed}-[^"]*"[^>]*><td class="nowrap"><span class="mono">{seed}</span> '
                      rf'<strong>{re.escape(num)}</strong></td>(.*?)</tr>', idx, re.S)
        assert m, (seed, num)
        links = re.findall(r'href="#([^"]+)"', m.group(1))
        assert any(a.startswith("req-") for a in links) and any(a.startswith(("er-", "imported")) for a in links)
        for a in links:
            assert a in ids, (seed, num, a)
    for sid, clause in (("er-04", "九（三）"), ("er-06", "八（三）"), ("er-09", "九（一）"), ("er-03", "6.2.3")):
        h2 = re.search(r"<h2.*?</h2>", _section(text, sid), re.S).group(0)
        assert clause in h2, (sid, clause)
    toc = re.search(r'<nav class="toc".*?</nav>', text, re.S).group(0)
    assert "九（三）" in toc and "6.2.3" in toc


def _sitecheck_summary(wgs_lod: str, deep_lod: str) -> dict:
    return make_summary("sitecheck", verdict_level="attention", key_figures=[
        {"label_en": "targeted deep sequencing: median per-site LOD", "label_zh": "", "value": deep_lod},
        {"label_en": "WGS: median per-site LOD", "label_zh": "", "value": wgs_lod},
        {"label_en": "declared threshold", "label_zh": "", "value": "0.1 %"}])


@pytest.mark.parametrize("wgs,deep,status,phrase", [
    ("22.7 %", "0.05 %", "computed_underpowered", "carries the claim"),
    ("22.7 %", "0.336 %", "computed_underpowered", "does not reach it either"),
    ("0.05 %", "0.05 %", "computed", None),
])
def test_wgs_row_underpowered(wgs, deep, status, phrase):
    reqs = load_requirements()
    summaries = {"sitecheck": _sitecheck_summary(wgs, deep), "offtarget": make_summary("offtarget")}
    rows = build_matrix(reqs, summaries, [], ["gene_edited_cells"], "none", ltfu_tier({}, "none").determined)
    rows = {r.req.id: r for r in mark_underpowered(rows, summaries["sitecheck"])}
    r = rows["R002-32"]
    assert r.status == status
    if phrase:
        assert phrase in r.note_en and "22.7 %" in r.note_en and "0.1 %" in r.note_en and "检测力不足" in r.note_zh
    assert rows["R004-38"].status == "computed"  # rows not asking WGS vs a threshold keep their status


def test_any_analysis_renders_generically_into_its_section(tmp_path, monkeypatch):
    import cgtsafe.summary as contract

    monkeypatch.setattr(contract, "ANALYSES", contract.ANALYSES + ("antigen", "vector"))
    monkeypatch.setattr(contract, "ANALYSIS_SECTION", dict(contract.ANALYSIS_SECTION, antigen="ER-10",
                                                           vector="ER-06"))
    p = make_results(tmp_path)
    d = p["results"] / "antigen"
    d.mkdir()
    (d / "expr.tsv").write_text("tissue\tntpm\nHeart Muscle\t3.2\n", encoding="utf-8")
    write_summary(d / "summary.json", make_summary(
        "antigen", verdict_level="attention", verdict_en="Target expressed in 1 vital tissue",
        verdict_zh="靶点在 1 个重要组织中表达", uncertainty_en="Database values, not measured in this product.",
        uncertainty_zh="数据库数值，非本产品实测。",
        key_figures=[{"label_en": "read-through", "label_zh": "通读", "value": "possible: no heterologous polyA",
                      "value_zh": "可能：无异源 polyA"}],
        tables=[{"id": "antigen_expression", "title_en": "Target expression", "title_zh": "靶点表达",
                 "path": "expr.tsv"}], requirements=["R004-23"]))
    # no vector/summary.json: reported as missing input, nothing crashes
    out = tmp_path / "r.html"
    build_report_files(config=p["config"], results=p["results"], provenance=p["provenance"],
                       performance=p["performance"], out=out, generated="2026-11-21T22:00:00+00:00")
    text = out.read_text(encoding="utf-8")
    er10 = _section(text, "er-10")
    assert "靶点在 1 个重要组织中表达" in er10 and "Heart Muscle" in er10 and "数据库数值" in er10
    assert "可能：无异源 polyA" in er10  # a key figure's own Chinese value
    assert er10.index("Target expressed") < er10.index("Target expression")  # verdict before the tables
    er06 = _section(text, "er-06")
    assert 'id="analysis-vector"' in er06 and "lv-missing_input" in er06 and 'id="analysis-integration"' in er06
    assert 'id="er-10"' not in _section(text, "narrative")
