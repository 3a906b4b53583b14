#!/usr/bin/env python3
"""Benchmark: `cgtsafe cnv call` on simulated edited/control BAMs.

    .venv/bin/python benchmarks/bench_cnv.py [--reads 2000000]

Writes two coordinate-sorted BAMs of ``--reads`` single-end 100-nt reads each, uniformly over the synthetic genome
(test-data/genome/ref.fa, 2 Mb; 2 M reads = 100x), with a 20 % loss from the DEMO_g1 cut to the end of chr1 in
the edited sample, then times the whole `cgtsafe cnv call` process (wall, peak RSS of the child via
resource.getrusage(RUSAGE_CHILDREN)). Reads are counted in Python (one pass per BAM), so time grows with the read
count: the printed reads/s gives the extrapolation to a 30x human genome (~600 M reads per sample), which this
implementation handles slowly (measured ~250 k reads/s on the shared 2-core machine: ~80 min per 30x pair). No peer
tool is installed, so only absolute figures are printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from _child import measure  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = Path(__file__).resolve().parents[1]


def _bam(path: Path, lengths: dict, n: int, seed: int, loss: bool) -> None:
    import pysam

    rng = np.random.default_rng(seed)
    names = list(lengths)
    tot = sum(lengths.values())
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": c, "LN": lengths[c]} for c in names]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for ci, c in enumerate(names):
            pos = np.sort(rng.integers(0, lengths[c] - 100, int(n * lengths[c] / tot)))
            if loss and c == "chr1":
                pos = pos[(pos < 102930) | (rng.random(pos.size) < 0.9)]
            for i, p in enumerate(pos):
                a = pysam.AlignedSegment()
                a.query_name, a.reference_id, a.reference_start, a.mapping_quality = f"r{ci}_{i}", ci, int(p), 60
                a.cigarstring = "100M"
                out.write(a)
    pysam.index(str(path))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reads", type=int, default=2_000_000)
    args = ap.parse_args(argv)
    ref = REPO / "test-data" / "genome" / "ref.fa"
    lengths = {ln.split("\t")[0]: int(ln.split("\t")[1]) for ln in Path(f"{ref}.fai").read_text().splitlines()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _bam(tmp / "e.bam", lengths, args.reads, 1, True)
        _bam(tmp / "c.bam", lengths, args.reads, 2, False)
        cmd = [sys.executable, "-m", "cgtsafe", "cnv", "call", "--edited", str(tmp / "e.bam"), "--control",
               str(tmp / "c.bam"), "--reference", str(ref), "--cut", "DEMO_g1=chr1:102930", "--outdir", str(tmp / "o")]
        wall, rss = measure(cmd)
        print((tmp / "o" / "cut_distal.tsv").read_text())
        print(f"cnv call: 2 x {args.reads} reads, wall {wall:.1f} s ({2 * args.reads / wall:,.0f} reads/s), "
              f"peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
