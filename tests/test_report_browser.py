"""Headless Chromium test of the evidence report (DevTools protocol over a websocket).

Opens a demo-like report built from fixture summaries and checks, after the page's JavaScript ran:
no console errors or exceptions, no request other than file:/data:/blob:, the summary and every
section render, plotly drew every figure, tables sort and export CSV, the traceability filter and the
language switch work, no script injected through user strings ran; saves screenshots.

Skips with a message when chromium or websocket-client is absent (CI installs both).
"""

from __future__ import annotations

import base64
import json

import pytest

from report_fixtures import make_results

websocket = pytest.importorskip("websocket", reason="websocket-client absent: pip install 'cgtsafe[test]'")

from cgtsafe.report.browser import check_layout, chromium, open_page, section_screenshots  # noqa: E402

CHROMIUM = chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium absent: apt-get install -y chromium")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from cgtsafe.report.build import build_report_files

    root = tmp_path_factory.mktemp("browser")
    p = make_results(root)
    out = root / "report.html"
    build_report_files(config=p["config"], results=p["results"], provenance=p["provenance"],
                       performance=p["performance"], out=out, generated="2026-11-21T22:00:00+00:00")
    with open_page(out, root / "chrome-profile") as cdp:
        yield cdp, root, out


def test_script_ran_without_errors(page):
    cdp, _, _ = page
    assert cdp.eval("document.documentElement.getAttribute('data-ready')") == "1"
    errors = [e for e in cdp.events if e["method"] == "Runtime.exceptionThrown"
              or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
              or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert errors == [], json.dumps(errors)[:2000]
    assert not [e for e in cdp.events if e["method"] == "Page.javascriptDialogOpening"], "an alert() ran"


def test_no_network_requests(page):
    cdp, _, out = page
    urls = [e["params"]["request"]["url"] for e in cdp.events if e["method"] == "Network.requestWillBeSent"]
    assert out.as_uri() in urls
    bad = [u for u in urls if u.split(":", 1)[0] not in ("file", "data", "blob", "about")]
    assert bad == []


def test_sections_render(page):
    cdp, _, _ = page
    for sid in ("er-00", "summary", "er-03", "er-04", "er-05", "er-06", "er-09", "er-02", "imported", "er-15",
                "narrative", "traceability", "er-16", "audit"):
        h = cdp.eval(f"(function(){{var e=document.getElementById('{sid}');"
                     f"return e ? e.getBoundingClientRect().height : -1;}})()")
        assert h > 20, f"section {sid} missing or empty"
    from cgtsafe.summary import ANALYSES

    assert cdp.eval("document.querySelectorAll('table.summary tbody tr').length") == len(ANALYSES)
    # statuses of the fixture: integration failed, tcr not applicable
    assert "lv-failed" in cdp.eval("document.querySelector('tr[data-analysis=integration]').innerHTML")
    assert "lv-not_applicable" in cdp.eval("document.querySelector('tr[data-analysis=tcr]').innerHTML")
    # every plotly figure drawn (an SVG inside each container)
    n_plot = cdp.eval("document.querySelectorAll('div.plot[data-fig]').length")
    assert n_plot == 2
    assert cdp.eval("document.querySelectorAll('div.plot[data-fig] svg.main-svg').length") >= n_plot
    assert cdp.eval("document.querySelectorAll('#trace-table tbody tr').length") == 190
    # the injected string shows as text, no script element was created from it
    assert cdp.eval("document.querySelectorAll('script:not([type])').length") == 2
    assert "<script>alert(1)</script>" in cdp.eval("document.querySelector('.doc-meta').textContent")


def test_sort_and_csv(page):
    cdp, _, _ = page
    sel = "document.querySelector('#er-03 table.sortable')"
    cols = cdp.eval(f"Array.from({sel}.querySelectorAll('thead th')).map(function(t){{return t.textContent}})")
    j = cols.index("score")
    first = f"{sel}.querySelector('tbody tr').children[{j}].textContent"
    cdp.eval(f"{sel}.querySelectorAll('thead th')[{j}].click()")
    assert float(cdp.eval(first)) == 0.0
    cdp.eval(f"{sel}.querySelectorAll('thead th')[{j}].click()")
    assert float(cdp.eval(first)) == 1.0
    assert cdp.eval(f"{sel}.querySelectorAll('tbody tr').length") == 200  # shown rows capped
    src = cdp.eval(f"{sel}.getAttribute('data-src')")
    csv = cdp.eval(f"window.cgtsafeCsv('{src}')")
    lines = csv.strip("\r\n").split("\r\n")
    assert len(lines) == 601 and lines[0] == "chrom,start,end,mismatches,score,name"


def test_trace_filter(page):
    cdp, _, _ = page
    cdp.eval("var f=document.getElementById('trace-filter'); f.value='R004-41';"
             "f.dispatchEvent(new Event('input'))")
    assert cdp.eval("document.getElementById('trace-shown').textContent") == "1"
    cdp.eval("var f=document.getElementById('trace-filter'); f.value='';f.dispatchEvent(new Event('input'));"
             "var s=document.getElementById('trace-status'); s.value='not_applicable';"
             "s.dispatchEvent(new Event('change'))")
    n = int(cdp.eval("document.getElementById('trace-shown').textContent"))
    assert 0 < n < 190
    cdp.eval("var s=document.getElementById('trace-status'); s.value=''; s.dispatchEvent(new Event('change'))")


@pytest.mark.parametrize("query,ids", [
    ("九（三）", ("R004-38", "R004-41")), ("九、（三）", ("R004-38", "R004-41")), ("九 (三)", ("R004-38",)),
    ("WGS", ("R002-32",)), ("ｗｇｓ", ("R002-32",)), ("6.2.3", ("R002-32",)), ("全基因组测序", ("R002-32",)),
])
def test_trace_filter_normalises_clause_numbers(page, query, ids):
    cdp, _, _ = page
    shown = cdp.eval("(function(q){var f=document.getElementById('trace-filter'); f.value=q;"
                     "f.dispatchEvent(new Event('input'));"
                     "return Array.from(document.querySelectorAll('#trace-table tbody tr'))"
                     ".filter(function(t){return t.style.display !== 'none';}).map(function(t){return t.id;});})"
                     f"({json.dumps(query)})")
    assert shown and len(shown) < 190, query
    for rid in ids:
        assert f"req-{rid}" in shown, (query, rid)
    cdp.eval("var f=document.getElementById('trace-filter'); f.value=''; f.dispatchEvent(new Event('input'))")


def test_layout_no_overlap_clip_or_blank_table(page):
    cdp, root, _ = page
    problems = {s["id"]: s["problems"] for s in check_layout(cdp) if s["problems"]}
    assert problems == {}
    shots = section_screenshots(cdp, root / "sections")
    assert len(shots) >= 15 and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in shots)


def test_language_switch_and_screenshot(page):
    cdp, root, _ = page
    vis = ("(function(c){var e=document.querySelector('#summary h2 .'+c);"
           "return getComputedStyle(e).display !== 'none';})")
    assert cdp.eval("document.documentElement.getAttribute('data-lang')") == "both"
    assert cdp.eval(vis + "('zh')") and cdp.eval(vis + "('en')")
    shot = root / "report_both.png"
    shot.write_bytes(base64.b64decode(cdp.send("Page.captureScreenshot", format="png")["data"]))
    cdp.eval("document.getElementById('lang-toggle').click()")
    assert cdp.eval("document.documentElement.getAttribute('data-lang')") == "en"
    assert cdp.eval(vis + "('en')") and not cdp.eval(vis + "('zh')")
    cdp.eval("document.getElementById('lang-toggle').click()")
    assert cdp.eval("document.documentElement.getAttribute('data-lang')") == "zh"
    assert cdp.eval(vis + "('zh')") and not cdp.eval(vis + "('en')")
    cdp.eval("document.getElementById('lang-toggle').click()")
    assert cdp.eval("document.documentElement.getAttribute('data-lang')") == "both"
    cdp.eval("location.hash='#traceability'")
    shot2 = root / "report_traceability.png"
    shot2.write_bytes(base64.b64decode(cdp.send("Page.captureScreenshot", format="png")["data"]))
    for s in (shot, shot2):
        assert s.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and s.stat().st_size > 10_000
    print(f"screenshots: {shot} {shot2}")
