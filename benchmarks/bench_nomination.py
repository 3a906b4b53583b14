#!/usr/bin/env python3
"""Benchmark: `cgtsafe nomination call` on a simulated GUIDE-seq run of realistic size.

    .venv/bin/python benchmarks/bench_nomination.py [--pairs 200000] [--sites 200]

Simulates ``--pairs`` read pairs (per-sample files with index read 2 = barcode + UMI, 1-3 PCR duplicates per
molecule, 100-nt reads) on the synthetic genome (test-data/genome/ref.fa, 2 Mb): tag integration at ``--sites``
random cut sites (molecules ~ a geometric spread) plus 30 % scattered single breaks, and a control with 10 % of the
reads. Prints the whole-process wall time and the peak RSS of the child (resource.getrusage(RUSAGE_CHILDREN)).
No peer tool is installed (the GUIDE-seq pipeline needs bwa, bedtools and Python 2/3 pins), so only absolute figures
are printed. A real GUIDE-seq MiSeq run has 1-5 M read pairs: reads are held in memory per sample (about 1 KB per
pair), so plan ~5 GB for 5 M pairs.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from pathlib import Path

import numpy as np

from _child import measure  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def main(argv=None) -> int:
    from testdata.guideseq import TAGS, simulate_pair

    from cgtsafe.io.fasta import read_fasta

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=200000)
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(7)
    genome = {k: v.decode() for k, v in read_fasta(REPO / "test-data" / "genome" / "ref.fa").items()}
    contigs = list(genome)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for sample, n_pairs in (("treated", args.pairs), ("control", args.pairs // 10)):
            fh = {k: gzip.open(tmp / f"{sample}.{k}.fq.gz", "wt", compresslevel=1) for k in ("r1", "r2", "i2")}
            cuts = [(contigs[int(rng.integers(0, len(contigs)))], None) for _ in range(args.sites)]
            cuts = [(c, int(rng.integers(300, len(genome[c]) - 300))) for c, _ in cuts]
            k = 0
            while k < n_pairs:
                if rng.random() < 0.3 or sample == "control":
                    c = contigs[int(rng.integers(0, len(contigs)))]
                    chrom, cut = c, int(rng.integers(300, len(genome[c]) - 300))
                else:
                    chrom, cut = cuts[min(int(rng.geometric(0.05)) - 1, args.sites - 1)]
                r1, r2 = simulate_pair(genome, chrom, cut, "+" if rng.random() < 0.5 else "-",
                                       int(rng.integers(40, 300)), TAGS["primer1" if rng.random() < 0.5 else "primer2"])
                umi = "".join("ACGT"[i] for i in rng.integers(0, 4, 8))
                for _ in range(int(rng.integers(1, 4))):
                    for key, seq in (("r1", r1), ("r2", r2), ("i2", "TAGATCGC" + umi)):
                        fh[key].write(f"@p{k}\n{seq}\n+\n{'I' * len(seq)}\n")
                    k += 1
            for f in fh.values():
                f.close()
        (tmp / "samples.tsv").write_text(
            "name\trole\tguide\tr1\tr2\ti2\n"
            + "".join(f"{s}\t{r}\t{'DEMO_g1' if r == 'treated' else ''}\t{tmp}/{s}.r1.fq.gz\t{tmp}/{s}.r2.fq.gz\t"
                      f"{tmp}/{s}.i2.fq.gz\n" for s, r in (("treated", "treated"), ("control", "control"))))
        cmd = [sys.executable, "-m", "cgtsafe", "nomination", "call", "--genome",
               str(REPO / "test-data" / "genome" / "ref.fa"), "--guides",
               str(REPO / "test-data" / "offtarget" / "guides.tsv"), "--samples", str(tmp / "samples.tsv"),
               "--threads", str(args.threads), "--outdir", str(tmp / "out")]
        wall, rss = measure(cmd)
        print((tmp / "out" / "reads.tsv").read_text())
        print(f"nomination call: {args.pairs} + {args.pairs // 10} read pairs, wall {wall:.1f} s, "
              f"peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
