#!/usr/bin/env python3
"""Benchmark of the off-target steps after the search: merge, annotate, species, variants, summarize.

Realistically sized input: the real human chrX 1-70 Mb (GRCh37, ../shared/data/genome) searched for
the 4 guides of ../shared/data/offtarget/casoffinder/guides.tsv; a synthetic gene annotation (800
genes on chrX, seeded); an "animal" chrX with 4 % substitutions (seeded; stands in for a macaque
chromosome); a VCF of N random SNVs/indels (seeded). Each step runs as a whole ``cgtsafe`` process;
wall time and peak RSS (``os.wait4`` rusage of that child process) are printed.

    .venv/bin/python benchmarks/bench_offtarget_downstream.py [--variants 100000] [--max-mismatches 5]

Writes under benchmarks/out/offtarget_downstream/ (git-ignored). Not a pytest test.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "benchmarks" / "out" / "offtarget_downstream"


def run(name: str, argv: list[str]) -> tuple[float, float]:
    """Run one cgtsafe step in its own process; return (wall s, peak RSS MiB of that process, via wait4)."""
    t0 = time.perf_counter()
    with open(OUT / f"{name.split()[0]}.stderr", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "cgtsafe", *argv], stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{name} failed: {(OUT / (name.split()[0] + '.stderr')).read_text()}")
    rss = usage.ru_maxrss / 1024
    print(f"{name:<12} wall {wall:8.1f} s   peak RSS {rss:8.0f} MiB", flush=True)
    return wall, rss


def prepare(n_variants: int, seed: int = 7) -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    src = SHARED / "genome" / "hs37chrXtrunc.fa.gz"
    if not src.exists():
        sys.exit(f"real genome absent: {src}")
    ref = OUT / "chrX.fa"
    rng = np.random.default_rng(seed)
    if not ref.exists():
        with gzip.open(src, "rt") as fh:
            seq = "".join(ln.strip() for ln in fh if not ln.startswith(">"))
        with open(ref, "w") as out:
            out.write(">chrX\n")
            for i in range(0, len(seq), 60):
                out.write(seq[i:i + 60] + "\n")
    seq = "".join(ln.strip() for ln in open(ref) if not ln.startswith(">"))
    animal = OUT / "animal_chrX.fa"
    if not animal.exists():
        arr = np.frombuffer(seq.encode(), dtype=np.uint8).copy()
        pos = np.flatnonzero((rng.random(len(arr)) < 0.04) & (arr != ord("N")))
        bases = np.frombuffer(b"ACGT", dtype=np.uint8)
        for i in pos:
            choices = bases[bases != arr[i]]
            arr[i] = choices[rng.integers(0, len(choices))]
        s = arr.tobytes().decode()
        with open(animal, "w") as out:
            out.write(">chrX_animal\n")
            for i in range(0, len(s), 60):
                out.write(s[i:i + 60] + "\n")
    gtf = OUT / "genes.gtf"
    if not gtf.exists():
        with open(gtf, "w") as out:
            starts = np.sort(rng.integers(100_000, len(seq) - 200_000, 800))
            for k, s0 in enumerate(starts):
                strand = "+" if rng.random() < 0.5 else "-"
                length = int(rng.integers(2_000, 150_000))
                n_ex = int(rng.integers(2, 12))
                ex = np.sort(rng.choice(np.arange(s0, s0 + length, 100), n_ex, replace=False))
                g, t = f"G{k:04d}", f"T{k:04d}"
                attrs = f'gene_id "{g}"; transcript_id "{t}"; gene_name "{g}";'
                out.write(f"chrX\tbench\ttranscript\t{s0 + 1}\t{s0 + length}\t.\t{strand}\t.\t{attrs}\n")
                for e in ex:
                    out.write(f"chrX\tbench\texon\t{e + 1}\t{e + 150}\t.\t{strand}\t.\t{attrs}\n")
                    out.write(f"chrX\tbench\tCDS\t{e + 1}\t{e + 150}\t.\t{strand}\t.\t{attrs}\n")
    vcf = OUT / f"variants_{n_variants}.vcf"
    if not vcf.exists():
        pos = np.sort(rng.choice(np.arange(100_000, len(seq) - 1000), n_variants, replace=False))
        with open(vcf, "w") as out:
            out.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
            for p in pos:
                ref_b = seq[p].upper()
                if ref_b not in "ACGT":
                    continue
                r = rng.random()
                if r < 0.9:
                    alt = "ACGT"[("ACGT".index(ref_b) + int(rng.integers(1, 4))) % 4]
                    out.write(f"chrX\t{p + 1}\t.\t{ref_b}\t{alt}\t.\tPASS\tAF={rng.random():.3f}\n")
                elif r < 0.95:
                    out.write(f"chrX\t{p + 1}\t.\t{ref_b}\t{ref_b}A\t.\tPASS\t.\n")
                else:
                    ref2 = seq[p:p + 3].upper()
                    if all(c in "ACGT" for c in ref2):
                        out.write(f"chrX\t{p + 1}\t.\t{ref2}\t{ref2[0]}\t.\tPASS\t.\n")
    guides = OUT / "guides.tsv"  # name + spacer from the Cas-OFFinder reference run's guide table
    with open(SHARED / "offtarget" / "casoffinder" / "guides.tsv") as fh, open(guides, "w") as out:
        head = fh.readline().rstrip("\n").split("\t")
        out.write("name\tspacer\n")
        for line in fh:
            f = dict(zip(head, line.rstrip("\n").split("\t")))
            out.write(f"{f['name']}\t{f['spacer_20nt']}\n")
    return {"ref": ref, "animal": animal, "gtf": gtf, "vcf": vcf, "guides": guides}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", type=int, default=100_000)
    ap.add_argument("--max-mismatches", type=int, default=5)
    ap.add_argument("--max-dna-bulge", type=int, default=0)
    ap.add_argument("--max-rna-bulge", type=int, default=0)
    ap.add_argument("--chunks", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    os.environ.setdefault("PYTHONPATH", str(ROOT / "src"))
    p = prepare(a.variants)
    lim = ["--max-mismatches", str(a.max_mismatches), "--max-dna-bulge", str(a.max_dna_bulge),
           "--max-rna-bulge", str(a.max_rna_bulge)]
    o = OUT
    print(f"genome {p['ref']} (70 Mb), guides {p['guides']}, limits {lim}, {a.variants} variants, "
          f"threads {a.threads}", flush=True)
    chunks = []
    for i in range(1, a.chunks + 1):
        c = o / f"chunk{i}.tsv"
        run(f"search {i}/{a.chunks}", ["offtarget", "search", "--genome", str(p["ref"]), "--guides",
                                        str(p["guides"]), *lim, "--chunk", f"{i}/{a.chunks}", "--threads",
                                        str(a.threads), "--out", str(c)])
        chunks.append(str(c))
    run("merge", ["offtarget", "merge", "--inputs", *chunks, "--genome", str(p["ref"]), "--guides", str(p["guides"]),
                  "--out", str(o / "hits.tsv")])
    run("annotate", ["offtarget", "annotate", "--hits", str(o / "hits.tsv"), "--genes", str(p["gtf"]),
                     "--out", str(o / "sites.tsv"), "--bed", str(o / "sites.bed")])
    n_sites = sum(1 for _ in open(o / "sites.tsv")) - 1
    print(f"             {n_sites} candidate sites", flush=True)
    run("species", ["offtarget", "species", "--sites", str(o / "sites.tsv"), "--genome", str(p["ref"]),
                    "--animal-genome", str(p["animal"]), "--label", "animal", "--guides", str(p["guides"]), *lim,
                    "--threads", str(a.threads), "--out", str(o / "species_animal.tsv")])
    run("variants", ["offtarget", "variants", "--vcf", str(p["vcf"]), "--label", "bench", "--genome", str(p["ref"]),
                     "--genes", str(p["gtf"]), "--guides", str(p["guides"]), *lim, "--threads", str(a.threads),
                     "--out", str(o / "variants_bench.tsv")])
    n_var = sum(1 for _ in open(o / "variants_bench.tsv")) - 1
    print(f"             {n_var} variant-dependent sites", flush=True)
    run("summarize", ["offtarget", "summarize", "--sites", str(o / "sites.tsv"), "--hits", str(o / "hits.tsv"),
                      "--guides", str(p["guides"]), *lim, "--genome", str(p["ref"]), "--build", "GRCh37 chrX 1-70Mb",
                      "--genes", str(p["gtf"]), "--species", str(o / "species_animal.tsv"), "--species-labels",
                      "animal", "--variants", str(o / "variants_bench.tsv"), "--vcfs", str(p["vcf"]),
                      "--out", str(o / "summary.json")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
