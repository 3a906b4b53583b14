"""Real-data method validation record (operational qualification): ``cgtsafe validate-reference``.

:func:`reference_record` runs :func:`cgtsafe.validation.reference.validate_reference` on a reference-data folder
and returns the record (format, cgtsafe version, date, platform, SHA-256 of every reference file, the figures);
:func:`load_reference_record` loads the record CI produced for this version, shipped with the package
(:data:`SHIPPED_RECORD`), for the report to cite. Documented in docs/config/report.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from cgtsafe.io.tables import write_json

# ---------------------------------------------------------------- operational-qualification record
#: the record CI produced for this version on the real reference data, shipped with the package
SHIPPED_RECORD = Path(__file__).resolve().parent.parent / "data" / "validation_record.json"
RECORD_FORMAT = "cgtsafe-validation-record/1"


def reference_record(reference_data: str | Path, *, command: str = "") -> dict:
    """Run :func:`cgtsafe.validation_reference.validate_reference` on ``reference_data`` and return the
    record: format, cgtsafe version, date (UTC), platform, the SHA-256 of every file of the reference data
    (paths relative to it), the figures (method-performance records, same fields as ``validate-demo``),
    how many passed, and the wall time of each check."""
    import datetime
    import platform
    import sys

    from cgtsafe import __version__
    from cgtsafe.errors import InputError
    from cgtsafe.provenance import sha256
    from cgtsafe.validation.reference import validate_reference

    ref = Path(reference_data)
    if not ref.is_dir():
        raise InputError("reference data folder not found", path=ref)
    files = sorted(p for p in ref.rglob("*") if p.is_file())
    if not files:
        raise InputError("reference data folder is empty; expected the layout of shared/data "
                         "(see docs/config/report.md)", path=ref)
    checksums = [{"path": p.relative_to(ref).as_posix(), "bytes": p.stat().st_size, "sha256": sha256(p)}
                 for p in files]
    timings: dict[str, float] = {}
    records = validate_reference(ref, timings=timings)
    if not records:
        raise InputError("no reference comparison could run: the folder lacks every expected file "
                         "(see cgtsafe.validation_reference)", path=ref)
    return {
        "format": RECORD_FORMAT,
        "cgtsafe_version": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "command": command,
        "reference_data": {"n_files": len(checksums), "bytes": sum(c["bytes"] for c in checksums),
                           "files": checksums},
        "summary": {"records": len(records), "passed": sum(r["passed"] for r in records),
                    "failed": sum(not r["passed"] for r in records)},
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "records": records,
    }


def load_reference_record(path: str | Path | None = None) -> dict | None:
    """The validation record to cite in a report: ``path``, else the one shipped with the package
    (:data:`SHIPPED_RECORD`, produced by CI for this version). ``None`` when there is none. The caller shows
    ``records`` (same fields as ``method_performance.json``) with ``cgtsafe_version``, ``date`` and the
    reference data's checksums; a record of another version than the running cgtsafe must be labelled so."""
    from cgtsafe.errors import InputError

    p = Path(path) if path else SHIPPED_RECORD
    if not p.is_file():
        if path:
            raise InputError("validation record not found", path=p)
        return None
    try:
        record = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"validation record is not JSON ({exc})".splitlines()[0], path=p) from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT or not isinstance(
            record.get("records"), list):
        raise InputError(f"not a {RECORD_FORMAT} validation record", path=p)
    return record


def same_figures(a: dict, b: dict) -> list[str]:
    """Differences between two records that matter (version, reference-data checksums, figures); dates,
    timings and platform are ignored. Empty = the same qualification."""
    out = []
    if a.get("cgtsafe_version") != b.get("cgtsafe_version"):
        out.append(f"cgtsafe version {a.get('cgtsafe_version')} vs {b.get('cgtsafe_version')}")
    fa = {f["path"]: f["sha256"] for f in a["reference_data"]["files"]}
    fb = {f["path"]: f["sha256"] for f in b["reference_data"]["files"]}
    out += [f"reference file {k}" for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]

    def key(r):
        return (r["analysis"], r["metric"])

    ra = {key(r): (r["value"], r["passed"], r["n"]) for r in a["records"]}
    rb = {key(r): (r["value"], r["passed"], r["n"]) for r in b["records"]}
    out += [f"figure {k[0]}: {k[1]}: {ra.get(k)} vs {rb.get(k)}" for k in sorted(set(ra) | set(rb))
            if ra.get(k) != rb.get(k)]
    return out


def register_reference(sub) -> None:
    p = sub.add_parser("validate-reference",
                       help="method validation on real reference data: writes a record (version, checksums, date, "
                            "figures) the report can cite")
    p.add_argument("--reference-data", required=True, metavar="DIR",
                   help="folder with the real reference data (layout of ../shared/data; see docs/config/report.md)")
    p.add_argument("--out", required=True, help="record (JSON)")
    p.add_argument("--compare", default=None, metavar="RECORD",
                   help="also compare with this record (e.g. the shipped src/cgtsafe/data/validation_record.json): "
                        "exit 1 when version, reference checksums or figures differ")
    p.set_defaults(func=_run_reference)


def _run_reference(args) -> int:
    import sys

    record = reference_record(args.reference_data,
                              command=f"cgtsafe validate-reference --reference-data {args.reference_data}")
    write_json(args.out, record)
    s = record["summary"]
    print(f"validate-reference: {s['passed']}/{s['records']} checks passed on {record['reference_data']['n_files']} "
          f"reference files; record written to {args.out}", file=sys.stderr)
    for r in record["records"]:
        if not r["passed"]:
            print(f"FAIL {r['analysis']}: {r['metric']}: {r['value']}", file=sys.stderr)
    if args.compare:
        diffs = same_figures(load_reference_record(args.compare), record)
        for d in diffs:
            print(f"validate-reference: differs from {args.compare}: {d}", file=sys.stderr)
        if diffs:
            print("validate-reference: the shipped record is not this version's; regenerate it with "
                  f"cgtsafe validate-reference --reference-data DIR --out {args.compare}", file=sys.stderr)
            return 1
    return 0 if s["failed"] == 0 else 1
