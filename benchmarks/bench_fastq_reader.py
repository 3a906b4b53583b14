#!/usr/bin/env python3
"""Benchmark: FASTQ reading of a paired run (R1, R2, I1) by ``cgtsafe.io.fastq.read_fastq`` (dnaio + xopen)
against the hand-written reader it replaced (loaded from git revision --baseline-rev, not copied here).

    .venv/bin/python benchmarks/bench_fastq_reader.py RUN_DIR [--baseline-rev 9f6deea] [--rounds 3]

RUN_DIR holds R1.fastq.gz, R2.fastq.gz, I1.fastq.gz (e.g. the run simulated by
benchmarks/bench_integration_reads.py --keep --workdir DIR: DIR/run). Each round reads the three files
with both readers in turn, each in a fresh child process (whole-process wall time and peak RSS); the
records of both must be identical (a benchmark of a wrong answer is worthless).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import hashlib, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
mod = __import__(sys.argv[2])
h = hashlib.sha256(); n = 0
for path in sys.argv[3:]:
    for name, seq, qual in mod.read_fastq(path):
        h.update(f"{name}\t{seq}\t{qual}\n".encode()); n += 1
print(json.dumps({"wall_s": time.perf_counter() - t0, "records": n, "sha256": h.hexdigest(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    ap.add_argument("--baseline-rev", default="9f6deea", help="git revision with the hand-written reader")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    files = [str(Path(args.run_dir) / f) for f in ("R1.fastq.gz", "R2.fastq.gz", "I1.fastq.gz")]
    tmp = Path(tempfile.mkdtemp(prefix="bench_fastq_"))
    old = subprocess.run(["git", "-C", str(REPO), "show", f"{args.baseline_rev}:src/cgtsafe/integration/demux.py"],
                         check=True, capture_output=True, text=True).stdout
    (tmp / "baseline_reader.py").write_text(old)
    (tmp / "new_reader.py").write_text("from cgtsafe.io.fastq import read_fastq  # noqa: F401\n")
    results: dict[str, list[dict]] = {"baseline_reader": [], "new_reader": []}
    for _ in range(args.rounds):
        for mod in results:
            out = subprocess.run([sys.executable, "-c", CHILD, str(tmp), mod, *files], check=True,
                                 capture_output=True, text=True, cwd=tmp).stdout
            results[mod].append(json.loads(out))
    for mod, rows in results.items():
        best = min(r["wall_s"] for r in rows)
        print(f"{mod}: records={rows[0]['records']} wall_s(best of {len(rows)})={best:.2f} "
              f"all={[round(r['wall_s'], 2) for r in rows]} peak_rss_mb={max(r['peak_rss_mb'] for r in rows):.0f}")
    same = {r["sha256"] for rows in results.values() for r in rows}
    ratio = min(r["wall_s"] for r in results["baseline_reader"]) / min(r["wall_s"] for r in results["new_reader"])
    print(f"identical records: {len(same) == 1}; speed-up new vs baseline (best wall): {ratio:.2f}x")
    return 0 if len(same) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
