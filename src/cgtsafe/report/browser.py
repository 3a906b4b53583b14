"""Drive Debian's headless Chromium over the DevTools protocol (used by the report's browser test and by
``scripts/report_screenshots.py``): open a report, wait for its script, evaluate JavaScript, take screenshots,
and check the layout of every section (:data:`LAYOUT_CHECK`).

Needs ``chromium`` on PATH and ``websocket-client`` (test extra); nothing here is used when building a report.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str | None:
    return next((p for p in (shutil.which(n) for n in CHROMIUM_NAMES) if p), None)


class Cdp:
    """Minimal DevTools client: send commands, collect events."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
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

    def screenshot(self, path: Path, clip: dict | None = None) -> None:
        params = {"format": "png", "captureBeyondViewport": False}
        if clip:
            params["clip"] = dict(clip, scale=1)
        data = self.send("Page.captureScreenshot", **params)["data"]
        Path(path).write_bytes(base64.b64decode(data))


@contextlib.contextmanager
def open_page(html: Path, profile: Path, width: int = 1400, height: int = 1000):
    """Yield a :class:`Cdp` with ``html`` loaded and its script finished (``data-ready``)."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium absent: apt-get install -y chromium")
    proc = subprocess.Popen(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "--remote-allow-origins=*",
         f"--window-size={width},{height}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cdp = None
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("chromium did not open its DevTools port within 30 s")
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        cdp = Cdp(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"))
        for domain in ("Page", "Runtime", "Network", "Log"):
            cdp.send(f"{domain}.enable")
        cdp.send("Page.navigate", url=Path(html).resolve().as_uri())
        cdp.wait_event("Page.loadEventFired", timeout=120)
        for _ in range(600):
            if cdp.eval("document.documentElement.getAttribute('data-ready')") == "1":
                break
            time.sleep(0.1)
        yield cdp
    finally:
        if cdp is not None:
            cdp.ws.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


#: JavaScript returning, per section, its bounding box and the layout defects found:
#: a plot whose axis title or tick labels lie outside the plot area (clipped), a legend overlapping the
#: x-axis title or tick labels, an annotation over the legend or title, a plot area squeezed below 45 % of
#: the figure width, a plot without a title; a visible data table with no row, with fewer than
#: two of its rows inside its scroll box, or a row taller than 300 px (a blank box).
LAYOUT_CHECK = r"""
(function () {
  function box(e) { var r = e.getBoundingClientRect(); return {l: r.left, t: r.top + scrollY, r: r.right,
                    b: r.bottom + scrollY, w: r.width, h: r.height}; }
  function inter(a, b) { return a.l < b.r - 1 && b.l < a.r - 1 && a.t < b.b - 1 && b.t < a.b - 1; }
  function inside(a, b) { return a.l >= b.l - 1 && a.r <= b.r + 1 && a.t >= b.t - 1 && a.b <= b.b + 1; }
  var out = [];
  document.querySelectorAll("section.report-section").forEach(function (sec) {
    var problems = [];
    sec.querySelectorAll("div.plot[data-fig]").forEach(function (div) {
      var id = div.getAttribute("data-fig"), area = box(div);
      if (div.getAttribute("data-rendered") !== "1") { problems.push(id + ": not drawn"); return; }
      var xt = div.querySelector(".g-xtitle text"), yt = div.querySelector(".g-ytitle text");
      var lg = div.querySelector("g.legend"), title = div.querySelector(".g-gtitle text");
      [["x-axis title", xt], ["y-axis title", yt], ["title", title]].forEach(function (p) {
        if (p[1] && p[1].textContent && !inside(box(p[1]), area)) { problems.push(id + ": " + p[0] + " clipped"); }
      });
      if (!title || !title.textContent) { problems.push(id + ": no title"); }
      if (lg && xt && xt.textContent && inter(box(lg), box(xt))) { problems.push(id + ": legend overlaps x-axis title"); }
      var drag = div.querySelector(".nsewdrag");
      if (drag && box(drag).w < 0.45 * area.w) { problems.push(id + ": plot area squeezed to " + Math.round(box(drag).w) + " px"); }
      div.querySelectorAll(".annotation").forEach(function (an) {
        if (lg && inter(box(an), box(lg))) { problems.push(id + ": annotation overlaps legend"); }
        if (title && inter(box(an), box(title))) { problems.push(id + ": annotation overlaps title"); }
      });
      if (lg) {
        div.querySelectorAll(".xtick text").forEach(function (tk) {
          if (inter(box(lg), box(tk))) { problems.push(id + ": legend overlaps x tick labels"); }
        });
      }
    });
    sec.querySelectorAll("table.sortable").forEach(function (t) {
      if (t.offsetParent === null) { return; }
      var id = t.getAttribute("data-src"), rows = t.querySelectorAll("tbody tr");
      if (!rows.length) { problems.push(id + ": table without rows"); return; }
      var wrap = t.closest(".table-wrap") || t, w = box(wrap), shown = 0;
      rows.forEach(function (r, i) {
        var b = box(r);
        if (b.h > 300) { problems.push(id + ": row " + (i + 1) + " is " + Math.round(b.h) + " px tall"); }
        if (b.t < w.t + wrap.clientHeight) { shown++; }
      });
      if (shown < Math.min(rows.length, 2)) { problems.push(id + ": only " + shown + " of " + rows.length + " rows visible"); }
    });
    out.push({id: sec.id, box: box(sec), problems: problems.filter(function (p, i, a) { return a.indexOf(p) === i; })});
  });
  return out;
})()
"""


def check_layout(cdp: Cdp) -> list[dict]:
    return cdp.eval(LAYOUT_CHECK)


def section_screenshots(cdp: Cdp, out_dir: Path, max_height: int = 6000, tile: int = 900) -> list[Path]:
    """One PNG per section tile (``<id>.png``, ``<id>-2.png`` ...): the page is scrolled to each tile and the
    viewport captured, so responsive figures keep the layout they were checked in."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in check_layout(cdp):
        b = s["box"]
        for k, off in enumerate(range(0, int(min(b["h"], max_height)), tile)):
            y = b["t"] + off
            cdp.eval(f"window.scrollTo(0, {y - 70}); 0")  # below the sticky top bar
            sy = cdp.eval("window.scrollY")
            p = out_dir / (f"{s['id']}.png" if k == 0 else f"{s['id']}-{k + 1}.png")
            cdp.screenshot(p, {"x": max(b["l"], 0), "y": y, "width": max(b["w"], 1),
                               "height": max(1, min(tile, b["t"] + b["h"] - y, sy + 1000 - y))})
            paths.append(p)
    return paths
