#!/usr/bin/env python3
"""Compare two results/ folders of the demo byte for byte (CI: local run vs SLURM run).

    python .ci/compare_runs.py results_local results_slurm

Every file must exist in both and be byte-identical, except what records the run itself: Snakemake
benchmark records (results/benchmarks/: wall times), results/provenance.json and the report (command
line, times, absolute paths; the PDF also embeds its creation date), and CI's own extra files (results/validation/ci_*). For provenance, the
SHA-256 of every output file listed must still agree. Exit 1 with the differing files listed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

RUN_RECORDS = ("benchmarks/", "provenance.json", "report/evidence_report.html", "report/evidence_report.pdf",
               "validation/ci_")


def files(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(RUN_RECORDS):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def main() -> int:
    a, b = Path(sys.argv[1]), Path(sys.argv[2])
    fa, fb = files(a), files(b)
    only_a, only_b = sorted(set(fa) - set(fb)), sorted(set(fb) - set(fa))
    differ = sorted(k for k in set(fa) & set(fb) if fa[k] != fb[k])
    pa, pb = (json.loads((d / "provenance.json").read_text()) for d in (a, b))
    oa = {r["path"]: r["sha256"] for r in pa["outputs"] if "/benchmarks/" not in r["path"]}
    ob = {r["path"]: r["sha256"] for r in pb["outputs"] if "/benchmarks/" not in r["path"]}
    prov = sorted(k for k in set(oa) | set(ob) if oa.get(k) != ob.get(k))
    print(f"compare: {len(set(fa) & set(fb))} result files byte-identical in both runs "
          f"(run records excepted: {', '.join(RUN_RECORDS)}); provenance output checksums: {len(oa)}")
    for label, items in (("only in " + str(a), only_a), ("only in " + str(b), only_b), ("differ", differ),
                         ("provenance checksum differs", prov)):
        for k in items:
            print(f"compare: {label}: {k}")
    return 1 if (only_a or only_b or differ or prov) else 0


if __name__ == "__main__":
    raise SystemExit(main())
