"""Build the bilingual, offline HTML evidence report (and its PDF) from the analysis summaries.

Layers: :mod:`cgtsafe.report.load` reads and validates every input; :mod:`cgtsafe.report.model` and
:mod:`cgtsafe.report.view_sections` turn them into a view model; :mod:`cgtsafe.report.render` renders the
Jinja2 templates of ``templates/`` (autoescaping on); :mod:`cgtsafe.report.pdf` prints the PDF.

Output: one HTML file. plotly.js is embedded once (``plotly.offline.get_plotlyjs()``); figures and
tables are embedded as JSON in ``<script type="application/json">`` blocks (``</`` escaped) and drawn by
``assets/report.js``. A Content-Security-Policy meta tag forbids every network request. All user
strings are HTML-escaped. The only run-dependent text is the ``generated`` time stamp, which sits on
one line (element ``#generated``): same inputs -> same bytes otherwise.

Tables keep the exact text of the source files (no re-formatting of numbers); coordinate bases are the
ones documented by each analysis (``docs/outputs/<analysis>.md``). The page shows the first
``report.max_table_rows`` rows of each table (sortable over all embedded rows); the CSV download holds
all embedded rows, at most ``report.max_embedded_rows`` (a note says when a table was cut; the full
file is listed with its SHA-256 in the provenance section).
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from cgtsafe.report.load import load_config, load_inputs  # noqa: F401  (re-exported for callers)
from cgtsafe.report.model import build_view, is_species  # noqa: F401
from cgtsafe.report.render import script_json  # noqa: F401


def _share(path: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)  # a report is meant to be shared: ordinary file mode, not the temp file's 0600


def build_report_files(*, config, results, provenance=None, performance=None, out, generated=None,
                       pdf=None) -> Path:
    """Validate all inputs, render, write ``out`` (and ``pdf`` when given) atomically. Returns the HTML path."""
    from cgtsafe.io.tables import write_text
    from cgtsafe.report.render import render_html

    inp = load_inputs(config, results, provenance, performance)
    if generated is None:
        generated = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    view = build_view(inp, generated)
    text = render_html(view)
    pdf_bytes = None
    if pdf:
        from cgtsafe.report.pdf import render_pdf

        pdf_bytes = render_pdf(build_view(inp, generated))
    write_text(out, text)
    out = Path(out)
    _share(out)
    if pdf_bytes is not None:
        from cgtsafe.io.tables import atomic_path

        with atomic_path(pdf) as tmp:
            Path(tmp).write_bytes(pdf_bytes)
        _share(Path(pdf))
    return out
