"""The Chinese view of the report holds no untranslated user-facing string.

The report is rendered with ``report.default_language: zh``; elements of class ``en`` (hidden in that view),
scripts, styles, preformatted text (the resolved config) and verbatim source text (data-table cells, file
names, identifiers, the sponsor's own titles and notes: class ``verbatim``/``mono``/``hash``) are dropped; the
remaining text must not contain a run of three or more English words. Figures are drawn from JSON: every
title, axis title, legend entry and annotation must carry Chinese or have a Chinese form in the figure's
translation map.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import yaml

from cgtsafe.report.build import build_report_files
from report_fixtures import make_results

VERBATIM = {"en", "verbatim", "mono", "hash"}
# a run of 3+ words of lower-case letters (identifiers, numbers, gene names and upper-case codes do not match)
RUN = re.compile(r"\b[A-Za-z][a-z'-]+(?:[ ,;:]+[A-Za-z][a-z'-]+){2,}")


class ZhView(HTMLParser):
    VOID = {"br", "img", "meta", "input", "hr", "link", "col", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.text: list[str] = []
        self.blocks: dict[str, str] = {}
        self._block = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("type") == "application/json":
            self._block = [a["id"], ""]
        if tag in self.VOID:
            return
        cls = set((a.get("class") or "").split())
        hidden = bool(cls & VERBATIM) or tag in ("script", "style", "pre", "td", "title") and (
            tag != "td" or self._in_data_table()) or bool(self.stack and self.stack[-1][1])
        self.stack.append((tag, hidden, "data" in cls))

    def _in_data_table(self) -> bool:
        return any(t == "table" and data for t, _, data in self.stack)

    def handle_endtag(self, tag):
        if tag == "script" and self._block:
            self.blocks[self._block[0]] = self._block[1]
            self._block = None
        if tag in self.VOID:
            return
        while self.stack:
            t = self.stack.pop()
            if t[0] == tag:
                break

    def handle_data(self, data):
        if self._block is not None:
            self._block[1] += data
        elif not (self.stack and self.stack[-1][1]):
            self.text.append(data)


def zh_report(tmp_path) -> tuple[str, tuple[str, ...]]:
    p = make_results(tmp_path)
    cfg = yaml.safe_load(p["config"].read_text(encoding="utf-8"))
    cfg["report"]["default_language"] = "zh"
    p["config"].write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "zh.html"
    build_report_files(config=p["config"], results=p["results"], provenance=p["provenance"],
                       performance=p["performance"], out=out, generated="2026-11-21T22:00:00+00:00")
    own = [cfg["report"]["title"], cfg["product"]["name"]]
    # a failed/missing analysis's reason is the analysis's own message (summary contract: one language)
    for summ in p["results"].glob("*/summary.json"):
        s = json.loads(summ.read_text(encoding="utf-8"))
        if s["status"] in ("failed", "missing_input"):
            own.append(s["reason"])
    own += [str(i.get(k) or "") for i in cfg["report"]["imported"] for k in ("title", "note", "study_id")]
    return out.read_text(encoding="utf-8"), tuple(s for s in own if s)


def untranslated(html: str, own: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """Runs of English words left in the zh view, and figure strings without a Chinese form. ``own``: the
    sponsor's own strings (config titles and notes), shown verbatim wherever they appear."""
    view = ZhView()
    view.feed(html)
    text = "\n".join(view.text)
    for s in own:
        text = text.replace(s, " ")
    runs = sorted(set(RUN.findall(text)))
    figs = []
    for bid, body in view.blocks.items():
        if not bid.startswith("fig-"):
            continue
        block = json.loads(body)
        spec, zh = block["spec"], block["zh"]
        lay = spec.get("layout") or {}
        strings = [lay.get("title"), (lay.get("xaxis") or {}).get("title"), (lay.get("yaxis") or {}).get("title")]
        strings += [t.get("name") for t in spec.get("data") or [] if t.get("showlegend", True) is not False]
        strings += [a.get("text") for a in lay.get("annotations") or []]
        for s in strings:
            s = s.get("text") if isinstance(s, dict) else s
            if isinstance(s, str) and RUN.search(s) and not re.search(r"[\u4e00-\u9fff]", s) and s not in zh:
                figs.append(f"{bid}: {s}")
    return runs, figs


def test_zh_view_has_no_untranslated_string(tmp_path):
    runs, figs = untranslated(*zh_report(tmp_path))
    assert runs == [], runs
    assert figs == [], figs


def test_scanner_finds_an_untranslated_string():
    html = ('<html><body><p class="zh">中文</p><p class="en">hidden english words here</p>'
            '<p>left in english by mistake</p><table class="data"><tr><td>verbatim cell text ok</td></tr></table>'
            '</body></html>')
    runs, _ = untranslated(html)
    assert runs == ["left in english by mistake"]
