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
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from report_fixtures import make_results

websocket = pytest.importorskip("websocket", reason="websocket-client absent: pip install 'cgtsafe[test]'")

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium absent: apt-get install -y chromium")
SHOT_DIR = None  # screenshots go under the pytest tmp dir (path printed)


class Cdp:
    """Minimal DevTools client: send commands, collect events."""

    def __init__(self, ws_url: str):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method: str, timeout: float = 30.0) -> dict:
        end = time.time() + timeout
        for e in self.events:
            if e["method"] == method:
                return e
        while time.time() < end:
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method:
                    return msg
        raise TimeoutError(method)

    def eval(self, expr: str):
        r = self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise AssertionError(f"JS error evaluating {expr!r}: {r['exceptionDetails']}")
        return r["result"].get("value")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from cgtsafe.report.build import build_report_files

    root = tmp_path_factory.mktemp("browser")
    p = make_results(root)
    out = root / "report.html"
    build_report_files(config=p["config"], results=p["results"], provenance=p["provenance"],
                       performance=p["performance"], out=out, generated="2026-11-21T22:00:00+00:00")
    udd = root / "chrome-profile"
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={udd}", "--remote-debugging-port=0", "--remote-allow-origins=*",
         "--window-size=1400,1000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = udd / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        else:
            pytest.fail("chromium did not open its DevTools port within 30 s")
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        cdp = Cdp(ws_url)
        for domain in ("Page", "Runtime", "Network", "Log"):
            cdp.send(f"{domain}.enable")
        cdp.send("Page.navigate", url=out.as_uri())
        cdp.wait_event("Page.loadEventFired", timeout=60)
        for _ in range(100):
            if cdp.eval("document.documentElement.getAttribute('data-ready')") == "1":
                break
            time.sleep(0.1)
        yield cdp, root, out
        cdp.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
