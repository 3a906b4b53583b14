"""Benchmark of the integration evidence steps (fragments -> summary) on a realistically sized data set.

Simulates one subject with 5 samples x ~20,000 clones (lognormal sizes) on a 30 Mb random genome
with 3,000 genes, ~400,000 unique fragments in total, then runs each `cgtsafe integration` step as
a separate process and prints its wall time and peak RSS (``resource.getrusage(RUSAGE_CHILDREN)``;
the maximum over the children run so far, so read it as an upper bound per step).

    .venv/bin/python benchmarks/bench_integration.py [--clones 20000] [--samples 5] [--workdir DIR]
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
import pandas as pd


def simulate(d: Path, n_clones: int, n_samples: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    contigs = {f"chr{i}": 10_000_000 for i in (1, 2, 3)}
    with open(d / "ref.fa", "w") as fh:
        for c, n in contigs.items():
            seq = rng.choice(np.frombuffer(b"ACGT", dtype=np.uint8), n).tobytes()
            fh.write(f">{c}\n")
            for i in range(0, n, 60):
                fh.write(seq[i:i + 60].decode() + "\n")
    lines = []
    for g in range(3000):
        c = f"chr{1 + g % 3}"
        s = int(rng.integers(1, 9_900_000))
        e = s + int(rng.integers(2000, 80000))
        strand = "+-"[g % 2]
        name = "LMO2" if g == 0 else f"G{g:04d}"
        a = f'gene_id "{name}"; transcript_id "{name}.1"; gene_name "{name}";'
        lines.append(f"{c}\tb\texon\t{s}\t{e}\t.\t{strand}\t.\t{a}")
    (d / "genes.gtf").write_text("\n".join(lines) + "\n")
    chrom = rng.integers(1, 4, n_clones)
    pos = rng.integers(1000, 9_990_000, n_clones)
    strand = np.where(rng.integers(0, 2, n_clones) == 1, "+", "-")
    base = rng.lognormal(1.0, 1.0, n_clones)
    frames = []
    samples = [f"S{i + 1}" for i in range(n_samples)]
    for s in samples:
        present = rng.random(n_clones) < 0.6
        cells = rng.poisson(base * present)
        idx = np.repeat(np.arange(n_clones), cells)
        length = np.clip(np.round(rng.gamma(4, 60, len(idx))), 25, 1200).astype(np.int64)
        p = pos[idx]
        st = strand[idx]
        bp = np.where(st == "+", p + length - 1, p - length + 1)
        frames.append(pd.DataFrame({"sample": s, "chrom": [f"chr{c}" for c in chrom[idx]], "position": p,
                                    "strand": st, "breakpoint": bp, "umi": "", "reads": 1}))
    df = pd.concat(frames).drop_duplicates(["sample", "chrom", "position", "strand", "breakpoint"])
    df = df.sort_values(["sample", "chrom", "position", "strand", "breakpoint"])
    df.to_csv(d / "fragments.tsv", sep="\t", index=False)
    pd.DataFrame({"sample": samples, "subject": "P1", "timepoint": [f"t{i:02d}" for i in range(n_samples)],
                  "cell_type": "PBMC"}).to_csv(d / "samples.tsv", sep="\t", index=False)
    print(f"simulated {len(df)} fragments, {n_clones} clones, {n_samples} samples in {d}")


def step(name: str, args: list[str]) -> None:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cgtsafe", "integration", *args], check=True)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{name:16s} wall {wall:7.2f} s   peak RSS (max over children so far) {rss:8.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clones", type=int, default=20000)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    d = Path(a.workdir or tempfile.mkdtemp(prefix="bench_integration_"))
    d.mkdir(parents=True, exist_ok=True)
    simulate(d, a.clones, a.samples)
    o = d / "out"
    g = ["--genes", str(d / "genes.gtf")]
    step("from-fragments", ["from-fragments", "--fragments", str(d / "fragments.tsv"), *g, "--samples",
                            str(d / "samples.tsv"), "--out", str(o)])
    step("enrichment", ["enrichment", "--sites", str(o / "sites.tsv"), "--genome", str(d / "ref.fa"), *g,
                        "--out", str(o / "enrichment.tsv"), "--controls-out", str(o / "random_controls.tsv")])
    step("cis", ["cis", "--sites", str(o / "sites.tsv"), *g, "--controls", str(o / "random_controls.tsv"),
                 "--out-regions", str(o / "cis_regions.tsv"), "--out-genes", str(o / "cis_genes.tsv"),
                 "--out-background", str(o / "cis_background.tsv")])
    step("longitudinal", ["longitudinal", "--sites", str(o / "sites.tsv"), "--samples", str(d / "samples.tsv"),
                          "--out", str(o)])
    step("summarize", ["summarize", "--dir", str(o), "--out", str(o / "summary.json")])


if __name__ == "__main__":
    main()
