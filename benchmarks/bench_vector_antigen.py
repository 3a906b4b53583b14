#!/usr/bin/env python3
"""Benchmark: `cgtsafe vector features` on a large transfer plasmid and `cgtsafe antigen profile` on the shipped table.

    .venv/bin/python benchmarks/bench_vector_antigen.py [--length 20000] [--repeats 3]

The vector input is the synthetic SIN construct of test-data/vector/ padded with seeded random backbone to
``--length`` bp (a large transfer plasmid is ~10-15 kb; 20 kb is the default worst case). Prints whole-process wall
time per run and the peak RSS of the child processes (resource.getrusage(RUSAGE_CHILDREN).ru_maxrss). The two
commands run in the same process tree, so their times can be compared as a ratio on a shared machine.
Target: each < 10 s and < 1 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(cmd):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(1)
    return dt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    rng = random.Random(1)
    seq = "".join(l.strip() for l in (REPO / "test-data" / "vector" / "nonsin_lv.fa").read_text().splitlines()[1:])
    seq += "".join(rng.choice("ACGT") for _ in range(max(0, args.length - len(seq))))
    tv, ta = [], []
    with tempfile.TemporaryDirectory() as tmp:
        fa = Path(tmp) / "vector.fa"
        fa.write_text(">bench\n" + seq + "\n")
        for r in range(args.repeats):
            tv.append(_run([sys.executable, "-m", "cgtsafe", "vector", "features", "--sequence", str(fa),
                            "--outdir", f"{tmp}/v", "--out", f"{tmp}/v/summary.json"]))
            ta.append(_run([sys.executable, "-m", "cgtsafe", "antigen", "profile", "--target", "HER2=ERBB2",
                            "--target", "CD19=CD19", "--target", "BCMA=TNFRSF17", "--outdir", f"{tmp}/a",
                            "--out", f"{tmp}/a/summary.json"]))
            print(f"run {r + 1}: vector {tv[-1]:.2f} s, antigen {ta[-1]:.2f} s")
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"vector ({len(seq)} bp): wall min {min(tv):.2f} s, max {max(tv):.2f} s over {len(tv)} runs")
    print(f"antigen (3 targets, shipped HPA table): wall min {min(ta):.2f} s, max {max(ta):.2f} s")
    print(f"ratio vector/antigen (min): {min(tv) / min(ta):.2f}")
    print(f"peak RSS of a child process: {rss_mb:.0f} MB (target < 1024 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
