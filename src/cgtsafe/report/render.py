"""Render the view model (:mod:`cgtsafe.report.model`) through the Jinja2 templates in ``templates/``.

Autoescaping is on: every string from a summary, table, config or imported file is HTML-escaped by the
templates. Only four trusted pieces are marked safe: the stylesheet, the report script and plotly.js from the
package, and the JSON data blocks, which :func:`script_json` makes safe inside ``<script>``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import jinja2

from cgtsafe.report import i18n

ASSETS = Path(__file__).resolve().parent / "assets"
TEMPLATES = Path(__file__).resolve().parent / "templates"
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; connect-src 'none'; frame-src 'none'; object-src 'none'")
PDF_ROWS = 60


def _clean_json(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_json(v) for v in obj]
    return obj


def script_json(obj) -> str:
    """JSON safe inside a <script> element: ``</`` and ``<!--`` cannot close or confuse it."""
    text = json.dumps(_clean_json(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029")


def _chunks(n: int, size: int) -> list[list[int]]:
    return [list(range(i, min(n, i + size))) for i in range(0, n, size)]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["chunks"] = _chunks
    env.globals.update(ui=i18n.t, level_label=lambda k: i18n.LEVEL_LABELS[k],
                       trace_label=lambda k: i18n.TRACE_LABELS[k], trace_labels=i18n.TRACE_LABELS,
                       script_json=script_json, csp=CSP, pdf_rows=PDF_ROWS)
    return env


def render_html(view: dict, *, pdf: bool = False, static_figure=None) -> str:
    """The report page; ``pdf=True`` gives the print variant (no script, static figures, appendix)."""
    env = environment()
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    js = plotly_js = ""
    if pdf:
        css += (ASSETS / "print.css").read_text(encoding="utf-8")
    else:
        from plotly.offline import get_plotlyjs

        js = (ASSETS / "report.js").read_text(encoding="utf-8")
        plotly_js = get_plotlyjs()
        if "</script" in plotly_js.lower():  # pragma: no cover - guards against a future plotly build
            plotly_js = re.sub(r"</(script)", r"<\\/\1", plotly_js, flags=re.I)
    return env.get_template("report.html.j2").render(
        **view, pdf=pdf, css=css, js=js, plotly_js=plotly_js,
        static_figure=static_figure or (lambda f: ""))
