"""Benchmark: ``cgtsafe sitecheck quantify-wgs`` on 10,000 candidate sites of a 30x paired-end alignment.

Target: < 60 s wall on 2 cores. Data: the synthetic 30x 2x150 CRAM of test-data/sequencing
(``wgs_edited.cram``, ~2 Mb genome, made by scripts/testdata/sequencing.py) and 10,000 random SpCas9-like
sites drawn (seed 20261121) over the non-N sequence of test-data/genome/ref.fa. Also times the amplicon step
(4 amplicons x 2,000 reads) and compare. Prints wall time and peak RSS of each child process.

    .venv/bin/python benchmarks/bench_sitecheck.py [--sites 10000] [--threads 2] [--bam FILE]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def make_sites(ref: Path, n: int, out: Path, seed: int = 20261121) -> None:
    from cgtsafe.io.fasta import read_fasta

    genome = read_fasta(ref)
    names = sorted(genome)
    lengths = np.array([len(genome[c]) for c in names], dtype=float)
    rng = np.random.default_rng(seed)
    rows = ["site_id\tguide\tchrom\tstart\tend\tstrand\tmismatches\tcut_start\tcut_end"]
    k = 0
    while k < n:
        c = names[rng.choice(len(names), p=lengths / lengths.sum())]
        s = int(rng.integers(200, len(genome[c]) - 223))
        if b"N" in genome[c][s:s + 23].upper():
            continue
        strand = "+" if rng.random() < 0.5 else "-"
        cut = s + 17 if strand == "+" else s + 6
        rows.append(f"BENCH{k:05d}\tG\t{c}\t{s}\t{s + 23}\t{strand}\t{int(rng.integers(1, 7))}\t{cut}\t{cut}")
        k += 1
    out.write_text("\n".join(rows) + "\n")


def run(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bam", default=str(ROOT / "test-data" / "sequencing" / "wgs_edited.cram"))
    ap.add_argument("--reference", default=str(ROOT / "test-data" / "genome" / "ref.fa"))
    args = ap.parse_args()
    cg = [sys.executable, "-m", "cgtsafe", "sitecheck"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sites = tmp / "sites.tsv"
        make_sites(Path(args.reference), args.sites, sites)
        inputs = [args.bam]
        if args.bam.endswith(".cram"):  # also time a BAM copy of the same alignments
            import pysam

            bam = tmp / "wgs.bam"
            pysam.view("-b", "-T", args.reference, "-o", str(bam), args.bam, catch_stdout=False)
            pysam.index(str(bam))
            inputs.append(str(bam))
        for aln in inputs:
            sheet = tmp / "wgs.tsv"
            sheet.write_text(f"sample\trole\tfile\tcontrol\nE\tedited\t{aln}\tC\nC\tcontrol\t{aln}\t\n")
            wall, rss = run([*cg, "quantify-wgs", "--sheet", str(sheet), "--sample", "E", "--sites", str(sites),
                             "--reference", args.reference, "--threads", str(args.threads),
                             "--out", str(tmp / "E.tsv")])
            print(f"quantify-wgs {Path(aln).suffix}: {args.sites} sites, threads={args.threads}: wall {wall:.1f} s, "
                  f"peak RSS (largest child so far) {rss:.0f} MB  [target < 60 s]")
        (tmp / "C.tsv").write_text((tmp / "E.tsv").read_text().replace("\nE\t", "\nC\t"))
        wall, rss = run([*cg, "compare", "--sites", str(sites), "--wgs-sheet", str(sheet), "--counts",
                         str(tmp / "E.tsv"), str(tmp / "C.tsv"), "--threshold", "0.001", "--out", str(tmp / "v.tsv")])
        print(f"compare: {args.sites} sites: wall {wall:.1f} s, peak RSS {rss:.0f} MB")
        wall, rss = run([*cg, "summarize", "--verdicts", str(tmp / "v.tsv"), "--counts", str(tmp / "E.tsv"),
                         "--threshold", "0.001", "--justification", "benchmark", "--out", str(tmp / "summary.json")])
        print(f"summarize: {args.sites} sites: wall {wall:.1f} s, peak RSS {rss:.0f} MB")
        amp_sheet = ROOT / "config" / "samples_amplicon.tsv"
        if (ROOT / "test-data" / "sequencing" / "amplicons.tsv").exists():
            wall, rss = run([*cg, "quantify-amplicon", "--sheet", str(amp_sheet), "--sample", "EDITED_D1",
                             "--amplicons", str(ROOT / "test-data" / "sequencing" / "amplicons.tsv"),
                             "--sites", str(ROOT / "test-data" / "offtarget" / "planted_sites.tsv"),
                             "--out", str(tmp / "amp.tsv")])
            print(f"quantify-amplicon: 4 amplicons x 2,000 reads: wall {wall:.1f} s, peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
