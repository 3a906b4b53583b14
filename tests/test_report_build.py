"""HTML evidence report: escaping, offline, determinism, statuses, imported results, one-line errors."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from cgtsafe.errors import InputError
from cgtsafe.report.build import build_report_files, script_json
from report_fixtures import EVIL, EVIL_JSON, make_results

ANALYSES = ("offtarget", "sitecheck", "integration", "tcr")


class Scan(HTMLParser):
    """Collects script elements (type, id, text), element ids and href/src attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str | None, str | None, str]] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        for k in ("href", "src"):
            if k in a:
                self.links.append(a[k])
        if tag == "script":
            self._in = [a.get("type"), a.get("id"), ""]

    def handle_data(self, data):
        if self._in is not None:
            self._in[2] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._in is not None:
            self.scripts.append(tuple(self._in))
            self._in = None


def build(root: Path, generated="2026-11-21T22:00:00+00:00", **kw) -> tuple[str, dict]:
    p = make_results(root, **kw)
    out = root / "report.html"
    build_report_files(config=p["config"], results=p["results"], provenance=p["provenance"],
                       performance=p["performance"], out=out, generated=generated)
    return out.read_text(encoding="utf-8"), p


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    text, p = build(root)
    scan = Scan()
    scan.feed(text)
    return text, scan, p, root


def test_offline_single_plotly_and_size(demo):
    text, scan, _, root = demo
    assert (root / "report.html").stat().st_size < 15_000_000
    code = [s for s in scan.scripts if s[0] is None]
    assert len(code) == 2  # plotly.js once + the report script
    from plotly.offline import get_plotlyjs

    assert text.count(get_plotlyjs()[:200]) == 1
    assert not [link for link in scan.links if not link.startswith("#")]  # no src=/href= to anything external
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert not re.search(r"@import|url\(\s*['\"]?https?:", text)


def test_user_strings_escaped(demo):
    text, scan, _, _ = demo
    # outside script elements the hostile string appears only escaped
    outside = re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.S)
    assert EVIL not in outside
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in outside
    # inside JSON blocks it is data: parses back to the original string; '</' never appears raw
    blocks = {sid: body for typ, sid, body in scan.scripts if typ == "application/json"}
    assert blocks
    for sid, body in blocks.items():
        assert "</" not in body, sid
        json.loads(body)
    assert any(EVIL in json.dumps(json.loads(b), ensure_ascii=False) for b in blocks.values())
    # every <script> the parser saw is one we wrote (no element was created by user content)
    assert len(scan.scripts) == 2 + len(blocks)


@pytest.mark.parametrize("obj", [EVIL_JSON, {"k": "</SCRIPT><!--"}, ["\u2028", float("nan")]])
def test_script_json_cannot_break_out(obj):
    s = script_json(obj)
    assert "</" not in s and "<!--" not in s and "\u2028" not in s
    back = json.loads(s)
    if isinstance(obj, list):
        assert back == ["\u2028", None]
    else:
        assert back == obj


def test_deterministic_except_timestamp(tmp_path):
    a, _ = build(tmp_path / "a", generated="2026-11-21T22:00:00+00:00")
    b, _ = build(tmp_path / "b", generated="2031-01-01T00:00:00+00:00")
    # the fixture writes absolute paths of imported files: normalise the two roots
    a = a.replace(str(tmp_path / "a"), "ROOT")
    b = b.replace(str(tmp_path / "b"), "ROOT")
    diff = [d for d in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if d[:1] in "+-" and not d.startswith(("+++", "---"))]
    assert diff == ['-<span id="generated">2026-11-21T22:00:00+00:00</span>',
                    '+<span id="generated">2031-01-01T00:00:00+00:00</span>']


def _section(text: str, sid: str) -> str:
    m = re.search(rf'<section class="report-section[^"]*" id="{sid}".*?</section>', text, re.S)
    assert m, sid
    return m.group(0)


def test_statuses_rendered(demo):
    text, scan, _, _ = demo
    for sid in ("er-00", "summary", "er-03", "er-04", "er-05", "er-06", "er-09", "er-02", "imported", "er-15",
                "narrative", "traceability", "er-16", "audit"):
        assert sid in scan.ids
    assert "lv-failed" in _section(text, "er-06") and "aligner exited with status 1" in _section(text, "er-06")
    tcr = _section(text, "er-09")
    assert "lv-not_applicable" in tcr and "No TCR in this CAR-T product" in tcr and "本CAR-T产品不含TCR" in tcr
    assert "lv-pass" in _section(text, "er-03") and "lv-attention" in _section(text, "er-04")
    assert "species_conservation" not in _section(text, "er-04") and "GGGTGGGG" in _section(text, "er-05")


def test_missing_summary_is_reported(tmp_path):
    text, _ = build(tmp_path, statuses={"offtarget": "computed", "sitecheck": "absent", "integration": "missing_input",
                                        "tcr": "not_applicable"})
    sc = _section(text, "er-04")
    assert "lv-missing_input" in sc and "summary.json not found" in sc
    assert "reads file absent" in _section(text, "er-06")


def test_traceability_complete(demo):
    text, _, _, _ = demo
    from cgtsafe.report.traceability import load_requirements

    tr = _section(text, "traceability")
    for r in load_requirements():
        assert f'id="req-{r.id}"' in tr
    assert tr.count('<tr id="req-') == 190
    # every link in the report points to an element that exists
    scan = Scan()
    scan.feed(text)
    ids = set(scan.ids)
    missing = sorted({link[1:] for link in scan.links if link.startswith("#")} - ids)
    assert missing == []


def test_imported_results_and_rcv_limit(demo):
    text, _, p, root = demo
    from cgtsafe.provenance import sha256

    imp = _section(text, "imported")
    for f in ("vcn.tsv", "rcv.tsv", "hla.txt"):
        assert sha256(root / "lab" / f) in imp
    assert "GLP-2026-001" in imp and "非GLP" in imp and "GLP status not stated" in imp
    blocks = dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', text, re.S))
    rcv = next(json.loads(v) for k, v in blocks.items() if k.startswith("tbl-imported-rcv"))
    assert rcv["columns"][-1] == "vs_declared_limit"
    assert [r[-1] for r in rcv["rows"]] == ["not detected", "EXCEEDS LIMIT", "within limit"]


def test_ltfu_tier_in_report(tmp_path):
    text, _ = build(tmp_path / "a")
    assert "不少于 15 年" in _section(text, "er-15") and "R002-64" in _section(text, "er-15")
    text, _ = build(tmp_path / "b", ltfu={"exogenous_gene_expressed": True})
    assert "sponsor to state" in _section(text, "er-15")


def test_large_table_truncation_note(tmp_path):
    p = make_results(tmp_path, big_rows=300)
    cfg = yaml.safe_load(p["config"].read_text(encoding="utf-8"))
    cfg["report"]["max_embedded_rows"] = 250
    cfg["report"]["max_table_rows"] = 20
    p["config"].write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "r.html"
    build_report_files(config=p["config"], results=p["results"], provenance=None, performance=None, out=out,
                       generated="x")
    text = out.read_text(encoding="utf-8")
    sec = _section(text, "er-03")
    assert "Embedded: first 250 of 300 rows" in sec and "20 / 250" in sec
    assert "No provenance record was supplied" in _section(text, "er-16")


def _break(p: dict, what: str):
    res = p["results"]
    if what == "status":
        s = json.loads((res / "offtarget" / "summary.json").read_text())
        s["status"] = "done"
        (res / "offtarget" / "summary.json").write_text(json.dumps(s))
        return "key 'status'"
    if what == "json":
        (res / "tcr" / "summary.json").write_text("{not json")
        return "not valid JSON"
    if what == "table":
        (res / "offtarget" / "sites.tsv").unlink()
        return "not found"
    if what == "imported":
        cfg = yaml.safe_load(p["config"].read_text())
        cfg["report"]["imported"][0]["file"] = "/nonexistent/vcn.tsv"
        p["config"].write_text(yaml.safe_dump(cfg))
        return "report.imported[0].file"
    if what == "kind":
        cfg = yaml.safe_load(p["config"].read_text())
        cfg["report"]["imported"][1]["kind"] = "rcl"
        p["config"].write_text(yaml.safe_dump(cfg))
        return "report.imported[1].kind"
    if what == "performance":
        p["performance"].write_text('{"metric": 1}')
        return "expected a list"
    raise AssertionError(what)


@pytest.mark.parametrize("what", ["status", "json", "table", "imported", "kind", "performance"])
def test_bad_input_one_line_error_nothing_written(tmp_path, what):
    p = make_results(tmp_path)
    expected = _break(p, what)
    out = tmp_path / "out" / "report.html"
    proc = subprocess.run([sys.executable, "-m", "cgtsafe", "report", "build", "--config", str(p["config"]),
                           "--results", str(p["results"]), "--provenance", str(p["provenance"]),
                           "--performance", str(p["performance"]), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cgtsafe: error: ") and expected in lines[0], proc.stderr
    assert not out.exists()


def test_not_applicable_command(tmp_path):
    out = tmp_path / "tcr" / "summary.json"
    proc = subprocess.run([sys.executable, "-m", "cgtsafe", "report", "not-applicable", "--analysis", "tcr",
                           "--reason-en", "no TCR in a CAR-T product", "--reason-zh", "CAR-T产品不含TCR",
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    s = json.loads(out.read_text(encoding="utf-8"))
    assert s["status"] == "not_applicable" and s["analysis"] == "tcr"
    assert s["reason"] == "no TCR in a CAR-T product" and "CAR-T产品不含TCR" in s["verdict_zh"]
    proc = subprocess.run([sys.executable, "-m", "cgtsafe", "report", "not-applicable", "--analysis", "tcr",
                           "--reason-en", " ", "--out", str(tmp_path / "x.json")], capture_output=True, text=True)
    assert proc.returncode == 2 and "--reason-en" in proc.stderr
    with pytest.raises(InputError):
        from cgtsafe.report.build import load_config

        bad = tmp_path / "c.yaml"
        bad.write_text("report: {}\n")
        load_config(bad)


@pytest.mark.parametrize("analysis,item_id,expected", [
    ("offtarget", "offtarget_species_cyno", True),
    ("offtarget", "offtarget_variants_donor", True),
    ("sitecheck", "species_conservation", True),
    ("sitecheck", "sitecheck_site_verdicts", False),
    ("tcr", "offtarget_species_x", False),   # another analysis' prefix is not stripped
    ("integration", "integration_sites", False),
])
def test_species_routing(analysis, item_id, expected):
    from cgtsafe.report.build import is_species

    assert is_species(analysis, item_id) is expected


def test_shipped_validation_record_cited(demo):
    """The real-data validation record shipped with the package (independent peer comparisons: Cas-OFFinder,
    CRISPResso2, intSiteCaller, ...) is cited with its version, date and figures in the method-performance section."""
    from cgtsafe.validation.record import load_reference_record

    rec = load_reference_record()
    if rec is None:
        pytest.skip("no validation record shipped with this checkout")
    html = demo[0]
    assert f"cgtsafe {rec['cgtsafe_version']}, {rec['date']}" in html
    assert "validation record" in html
    first = rec["records"][0]["metric"]
    import html as _html

    assert _html.escape(first, quote=False) in html or _html.escape(first) in html


def test_validation_record_of_another_version_is_labelled():
    from cgtsafe.report.view_sections import record_note

    en, zh = record_note({"cgtsafe_version": "0.0.1", "date": "2026-01-01", "summary": {"passed": 1, "records": 1},
                          "reference_data": {"files": []}, "records": []})
    assert "does not qualify this run" in en and "不能作为本次运行的验证依据" in zh
    en, _ = record_note(None)
    assert "validate-reference" in en
