"""``cgtsafe validate-demo``: the synthetic-truth checks (:mod:`.demo`) and, with ``--reference-data DIR``,
the real-reference comparisons (:mod:`.reference`); writes ``method_performance.json``. Exits 1 when a check
fails (the end-to-end assertion of the CI demo run) unless ``--no-fail`` (the workflow rule: the report shows
the failure). An absent reference-data folder is a note on stderr, not an error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cgtsafe.io.tables import write_json


def register(sub) -> None:
    p = sub.add_parser("validate-demo", help="compare a demo run with the synthetic truth tables (method performance)")
    p.add_argument("--results", required=True, help="results folder of the run (the workflow's output root)")
    p.add_argument("--truth", default="test-data", help="test-data folder with the truth tables")
    p.add_argument("--out", required=True, help="method_performance.json")
    p.add_argument("--reference-data", default=None, metavar="DIR",
                   help="folder with the real reference data (../shared/data): also run the comparisons with peer "
                        "tools and publications of cgtsafe.validation.reference; skipped with a note when absent")
    p.add_argument("--no-fail", action="store_true",
                   help="exit 0 even when a check fails (the workflow rule: the report shows the failure)")
    p.set_defaults(func=_run)
    from cgtsafe.validation.record import register_reference

    register_reference(sub)


def _run(args) -> int:
    return run(Path(args.results), Path(args.truth), Path(args.out),
               reference_data=Path(args.reference_data) if args.reference_data else None,
               no_fail=args.no_fail)


def run(results: Path, truth: Path, out: Path, *, reference_data: Path | None = None, no_fail: bool = False) -> int:
    """Check ``results`` against ``truth`` (and the real reference data), write ``out``; the exit status."""
    from cgtsafe.errors import InputError
    from cgtsafe.validation.demo import validate

    if not Path(truth).is_dir():
        raise InputError("--truth: folder with the truth tables not found", path=truth)
    records = validate(results, truth)
    if reference_data:
        ref = reference_data
        if ref.is_dir():
            from cgtsafe.validation.reference import validate_reference

            t0 = time.perf_counter()
            ref_records = validate_reference(ref)
            print(f"validate-demo: {len(ref_records)} reference-data record(s) from {ref} "
                  f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
            records.extend(ref_records)
        else:
            print(f"validate-demo: reference data folder {ref} absent: reference comparisons skipped", file=sys.stderr)
    write_json(out, records)
    failed = [r for r in records if not r["passed"]]
    for r in records:
        mark = "ok  " if r["passed"] else "FAIL"
        print(f"{mark} {r['analysis']}: {r['metric']}: {r['value']:.4g} (n={r['n']}; expected {r['reference']})"
              if isinstance(r["value"], (int, float)) else f"{mark} {r['analysis']}: {r['metric']}: {r['value']}")
    if not records:
        print("validate-demo: no results to check", file=sys.stderr)
        return 0 if no_fail else 1
    return 0 if (no_fail or not failed) else 1


