"""Command-line sub-commands of ``cgtsafe report`` (thin layer; the work lives in the sibling modules).

``cgtsafe report not-applicable --analysis NAME --reason-en TEXT [--reason-zh TEXT] --out FILE``
    writes a ``status: not_applicable`` summary.json for an analysis switched off in the config.

``cgtsafe report build --config RESOLVED.yaml --results DIR --provenance JSON --out HTML [--performance JSON] [--pdf PDF]``
    renders the bilingual, offline HTML evidence report from the summaries (see ``cgtsafe.report.build``).
"""

from __future__ import annotations


def register(sub) -> None:
    """Add the ``report`` parser and its sub-commands."""
    from cgtsafe.summary import ANALYSES

    p = sub.add_parser("report", help="evidence report (HTML) and not-applicable summaries")
    s = p.add_subparsers(dest="report_command", metavar="STEP")
    s.required = True

    na = s.add_parser("not-applicable", help="write a 'not_applicable' summary.json for a switched-off analysis")
    na.add_argument("--analysis", required=True, choices=ANALYSES, help="analysis name")
    na.add_argument("--reason-en", required=True, help="why the analysis does not apply (English)")
    na.add_argument("--reason-zh", default="", help="the same reason in Chinese (default: the English text)")
    na.add_argument("--out", required=True, help="summary.json to write")
    na.set_defaults(func=_not_applicable)

    b = s.add_parser("build", help="render the HTML evidence report from the analysis summaries")
    b.add_argument("--config", required=True, help="resolved config (YAML or JSON)")
    b.add_argument("--results", required=True, help="results directory holding <analysis>/summary.json")
    b.add_argument("--provenance", default=None, help="provenance.json from 'cgtsafe provenance' (optional)")
    b.add_argument("--performance", default=None,
                   help="method_performance.json of the validation step (optional; may be absent)")
    b.add_argument("--out", required=True, help="HTML file to write")
    b.add_argument("--pdf", default=None, help="also print the report to this PDF file (WeasyPrint)")
    b.add_argument("--generated", default=None,
                   help="time stamp printed as 'generated' (ISO 8601; default: now, UTC)")
    b.set_defaults(func=_build)


def _not_applicable(args) -> int:
    from cgtsafe.errors import InputError
    from cgtsafe.summary import not_applicable, write_summary

    if not args.reason_en.strip():
        raise InputError("--reason-en must not be empty: the report prints it as the reason")
    write_summary(args.out, not_applicable(args.analysis, args.reason_en.strip(), args.reason_zh.strip()))
    return 0


def _build(args) -> int:
    from cgtsafe.report.build import build_report_files

    build_report_files(config=args.config, results=args.results, provenance=args.provenance,
                       performance=args.performance, out=args.out, generated=args.generated,
                       pdf=args.pdf)
    return 0
