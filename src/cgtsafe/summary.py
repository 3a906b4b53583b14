"""The per-analysis ``summary.json`` that the evidence report reads.

Every analysis writes ``results/<analysis>/summary.json`` with :func:`write_summary`. The report
never re-computes science; it renders these summaries, their tables and figures. Paths inside
a summary are relative to the summary file's directory.

Fields (all strings bilingual where a reader sees them):

``analysis``          one of ``offtarget``, ``sitecheck``, ``integration``, ``tcr``, ``antigen``, ``vector``,
                      ``nomination``, ``cnv``
``status``            ``computed`` | ``not_applicable`` | ``failed`` | ``missing_input``
``reason``            why it is not computed (for the three other statuses)
``verdict_level``     ``pass`` | ``attention`` | ``fail`` | ``inconclusive`` | ``info``
``verdict_en/_zh``    one sentence with the key figure, e.g. "0 of 412 candidate sites edited ..."
``uncertainty_en/_zh`` optional: the interval / power that goes with the verdict (the report shows it right
                      after the verdict; when absent the report states what it can read from key figures)
``key_figures``       list of ``{"label_en", "label_zh", "value"}``, optionally ``"value_zh"`` when the value is text
``methods_en/_zh``    methods text generated from the actual parameters
``parameters``        the parameters used (dict)
``tables``            list of ``{"id", "title_en", "title_zh", "path", "description_en", "description_zh"}``
``figures``           list of ``{"id", "title_en", "title_zh", "path"}`` (plotly figure JSON files)
``requirements``      requirement IDs answered (e.g. ``R004-38``; see ``cgtsafe/data/requirements.tsv``)
``performance``       list of ``{"metric", "value", "source"}`` (method performance evidence)
``exclusions``        list of ``{"what", "count", "reason"}`` (what was excluded and why: the audit)
``inputs``            list of input file paths (for provenance checksums)

:data:`ANALYSIS_SECTION` names the report section (ER-xx) each analysis fills.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any



STATUSES = ("computed", "not_applicable", "failed", "missing_input")
OPTIONAL_FIELDS = ("uncertainty_en", "uncertainty_zh")
LEVELS = ("pass", "attention", "fail", "inconclusive", "info")
ANALYSES = ("offtarget", "sitecheck", "integration", "tcr", "antigen", "vector", "nomination", "cnv")
#: the evidence-report section (ER id of ``report_outline.tsv``) each analysis is rendered into; several
#: analyses may share a section. The report renders any summary generically, so adding an analysis means:
#: append it to ``ANALYSES`` and map it here (an unmapped analysis goes to ER-12 "other computable items").
ANALYSIS_SECTION = {"offtarget": "ER-03", "sitecheck": "ER-04", "integration": "ER-06", "tcr": "ER-09",
                    "antigen": "ER-10", "vector": "ER-06", "nomination": "ER-03", "cnv": "ER-04"}


def make_summary(analysis: str, *, status: str = "computed", **fields: Any) -> dict:
    if analysis not in ANALYSES:
        raise ValueError(f"unknown analysis {analysis!r}")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    level = fields.get("verdict_level", "info")
    if level not in LEVELS:
        raise ValueError(f"unknown verdict_level {level!r}")
    out = {
        "analysis": analysis,
        "status": status,
        "reason": "",
        "verdict_level": level,
        "verdict_en": "",
        "verdict_zh": "",
        "key_figures": [],
        "methods_en": "",
        "methods_zh": "",
        "parameters": {},
        "tables": [],
        "figures": [],
        "requirements": [],
        "performance": [],
        "exclusions": [],
        "inputs": [],
    }
    unknown = set(fields) - set(out) - set(OPTIONAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown summary field(s): {', '.join(sorted(unknown))}")
    out.update(fields)
    return out


def write_summary(path: str | Path, summary: dict) -> None:
    from cgtsafe.io.tables import write_json as _write_json

    _write_json(path, summary)


def not_applicable(analysis: str, reason_en: str, reason_zh: str = "") -> dict:
    """Summary for an analysis switched off in the config (the report prints the reason)."""
    return make_summary(
        analysis,
        status="not_applicable",
        reason=reason_en,
        verdict_en=f"Not applicable: {reason_en}",
        verdict_zh=f"不适用：{reason_zh or reason_en}",
    )
