#!/usr/bin/env python3
"""Benchmark: `cgtsafe tcr scan` on a human-size proteome (motif + X-scan + similarity, shipped HPA table).

    .venv/bin/python benchmarks/bench_tcr.py [--proteome /tmp/bench_proteome.fasta] [--repeats 3]

Makes the proteome with scripts/make_proteome.py when absent (~20,000 proteins + ~2,000 isoforms,
~11.5 M residues), then runs the whole CLI process and prints wall time and peak RSS of the child
(resource.getrusage(RUSAGE_CHILDREN).ru_maxrss). Target: < 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proteome", default="/tmp/bench_proteome.fasta")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    prot = Path(args.proteome)
    if not prot.exists():
        subprocess.run([sys.executable, str(REPO / "scripts" / "make_proteome.py"), "--out", str(prot)], check=True)
    td = REPO / "test-data" / "tcr"
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            cmd = [sys.executable, "-m", "cgtsafe", "tcr", "scan", "--proteome", str(prot), "--peptide", "EVDPIGHLY",
                   "--hla", "HLA-A*01:01", "--source", "MAGEA3", "--motif", "x-x-D-P-I-x-x-x-Y", "--xscan",
                   str(td / "xscan.tsv"), "--max-hamming", "3", "--hla-predictions", str(td / "hla_predictions.tsv"),
                   "--out", f"{tmp}/hits.tsv", "--candidates", f"{tmp}/cand.tsv", "--stats", f"{tmp}/stats.json"]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            dt = time.perf_counter() - t0
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            times.append(dt)
            print(f"run {r + 1}: {dt:.2f} s  ({proc.stdout.strip()})")
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"proteome: {prot} ({prot.stat().st_size / 1e6:.1f} MB)")
    print(f"wall time: min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} runs (target < 10 s)")
    print(f"peak RSS of the scan process: {rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
