"""Method performance on the built-in synthetic truth set: ``cgtsafe validate-demo``.

Compares a finished run on ``test-data/`` with the truth tables written by
``scripts/make_test_data.py`` and writes ``method_performance.json``: a list of
``{"analysis", "metric", "value", "reference", "n", "source", "passed"}`` records that the
evidence report shows in its Method performance section (guidance 000 asks that bioinformatic
methods be shown to be robust). The command exits with status 1 when a check fails, which makes
it the end-to-end assertion of the CI demo run.

Each check reads only result tables and truth tables; it never re-runs the analysis.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cgtsafe.io.tables import write_json

Check = Callable[[Path, Path], list[dict]]


def _rec(analysis, metric, value, reference, n, source, passed) -> dict:
    return {"analysis": analysis, "metric": metric, "value": value, "reference": reference, "n": int(n),
            "source": source, "passed": bool(passed)}


def _tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def check_offtarget(results: Path, truth: Path) -> list[dict]:
    sites_path = results / "offtarget" / "sites.tsv"
    planted = _tsv(truth / "offtarget" / "planted_sites.tsv")
    if not sites_path.exists():
        return []
    sites = _tsv(sites_path)
    key = ["guide", "chrom", "start", "strand", "mismatches", "dna_bulge", "rna_bulge"]
    found = set(map(tuple, sites[key].astype(str).values.tolist()))
    ref_rows = planted[~planted["category"].str.startswith("variant")]
    hits = [tuple(r) in found for r in ref_rows[key].astype(str).values.tolist()]
    out = [_rec("offtarget", "recall of planted off-target sites (exact position, strand, mismatches, bulges)",
                sum(hits) / len(hits), "1.0 (every planted site within the search limits)", len(hits),
                "test-data/offtarget/planted_sites.tsv", all(hits))]
    var_path = results / "offtarget" / "variant_sites.tsv"
    var_rows = planted[planted["category"].str.startswith("variant")]
    if var_path.exists() and len(var_rows):
        var = _tsv(var_path)
        cols = [c for c in ("guide", "chrom", "start", "strand") if c in var.columns]
        got = set(map(tuple, var[cols].values.tolist())) if cols else set()
        ok = [tuple(r) in got for r in var_rows[cols].values.tolist()] if cols else []
        out.append(_rec("offtarget", "variant-dependent sites found (created or lowered by a donor allele)",
                        sum(ok) / max(len(ok), 1), "1.0", len(ok), "test-data/offtarget/donor.vcf", ok and all(ok)))
    return out


CHECKS: dict[str, Check] = {"offtarget": check_offtarget}


def validate(results: Path, truth: Path) -> list[dict]:
    records: list[dict] = []
    for name, check in CHECKS.items():
        records.extend(check(Path(results), Path(truth)))
    return records


def register(sub) -> None:
    p = sub.add_parser("validate-demo", help="compare a demo run with the synthetic truth tables (method performance)")
    p.add_argument("--results", default="results", help="results folder of the run")
    p.add_argument("--truth", default="test-data", help="test-data folder with the truth tables")
    p.add_argument("--out", required=True, help="method_performance.json")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import sys

    records = validate(Path(args.results), Path(args.truth))
    write_json(args.out, records)
    failed = [r for r in records if not r["passed"]]
    for r in records:
        mark = "ok  " if r["passed"] else "FAIL"
        print(f"{mark} {r['analysis']}: {r['metric']}: {r['value']:.4g} (n={r['n']}; expected {r['reference']})"
              if isinstance(r["value"], (int, float)) else f"{mark} {r['analysis']}: {r['metric']}: {r['value']}")
    if not records:
        print("validate-demo: no results to check", file=sys.stderr)
        return 1
    return 1 if failed else 0


def load(path: str | Path) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
