#!/usr/bin/env python3
"""Benchmark of the off-target steps after the search: merge, annotate, species, variants, summarize.

Realistically sized input: the real human chrX 1-70 Mb (GRCh37, ../shared/data/genome) searched for
the 4 guides of ../shared/data/offtarget/casoffinder/guides.tsv; a synthetic gene annotation (800
genes on chrX, seeded); an "animal" chrX with 4 % substitutions (seeded; stands in for a macaque
chromosome); a VCF of N random SNVs/indels (seeded). Each step runs as a whole ``cgtsafe`` process;
wall time and peak RSS (``os.wait4`` rusage of that child process) are printed.

    .venv/bin/python benchmarks/bench_offtarget_downstream.py [--variants 100000] [--max-mismatches 5]

Writes under benchmarks/out/offtarget_downstream/ (git-ignored). Not a pytest test.

Genome scale (--genome-scale): the steps after the search on the whole-genome output of
benchmarks/bench_offtarget_genome.py (44 copies of chrX = 3.08 Gb, 10 guides, <= 5 mm + 1 DNA + 1 RNA bulge,
default PAMs: 9.28 M hit rows); --hits reuses its kept hit table (`bench_offtarget_genome.py --copies 44 --small
0 --keep --workdir DIR` leaves DIR/hits_genome.tsv), otherwise the genome and the hit table are made under
--workdir (/tmp; a 3 Gb FASTA and about 2 GB of hits). Steps, each a whole process with wall, user+sys CPU and
peak RSS (os.wait4), stopped above --rss-cap MiB: the hit table split by contig into 4 chunk tables -> merge ->
annotate (--threads 2; RefSeq annotation as in bench_offtarget_genome.py) -> summarize -> the species step's
reading of sites.tsv (every row read and type-checked; the whole species step maps both flanks of every site
with minimap2 against an animal genome, which does not fit this benchmark at 8 M sites) -> sitecheck's
loading of the candidates (cgtsafe.sitecheck.sites.read_sites: one Site per row). With --baseline-src SRC
(e.g. /tmp/main/src, an export of main's src/) each step first runs with that code on the same inputs
(into _before/), then with this checkout's, and prints after/before ratios and whether the outputs are
byte-identical.

    .venv/bin/python benchmarks/bench_offtarget_downstream.py --genome-scale --hits /tmp/otdown_genome/hits_genome.tsv \
        --workdir /tmp/otdown_genome --baseline-src /tmp/otdown_base/src
"""

from __future__ import annotations

import argparse
import filecmp
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


def _child(cmd: list[str], env: dict, cap: float) -> tuple[float, float, float, float]:
    """(wall s, user+sys CPU s, peak RSS MiB or inf when stopped at ``cap``, peak sampled RSS sum of the process
    and its children (every 0.2 s; the annotate workers)) of one child process."""
    import tempfile

    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        capped = False
        tree = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            tree = max(tree, _tree_rss(proc.pid))
            if tree > cap:
                proc.kill()
                capped = True
            time.sleep(0.2)
        err.seek(0)
        msg = err.read().decode(errors="replace")
    wall = time.perf_counter() - t0
    if not capped and os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{msg}")
    # ru_maxrss of a process whose workers are its children (annotate --threads): the children's peak is
    # reported by RUSAGE_CHILDREN of this process; the largest single process is printed
    return wall, usage.ru_utime + usage.ru_stime, float("inf") if capped else usage.ru_maxrss / 1024, tree


def _tree_rss(pid: int) -> float:
    """Resident MiB of a process and its children (the annotate workers)."""
    total = 0.0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            pids += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def genome_scale(a) -> int:
    """The downstream steps on the whole-genome hit table (see the module docstring)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_offtarget_genome as bg

    wd = a.workdir
    wd.mkdir(parents=True, exist_ok=True)
    guides = wd / "guides10.tsv"
    bg.make_guides(guides)
    genome = wd / f"chrX_x{a.copies}.fa"
    bg.make_genome(genome, a.copies)
    hits = a.hits
    if hits is None:
        hits = wd / "hits_genome.tsv"
        if not hits.exists():
            r = bg.search(genome, guides, hits)
            bg.show(f"search {a.copies} x chrX", r)
    genes = wd / "genes_refseq.genePred"
    nt = bg.make_genes(genes, a.copies)
    chunks = bg.split_chunks(hits, 4, a.copies, wd)
    out = wd / "downstream"
    before = out / "_before"
    before.mkdir(parents=True, exist_ok=True)
    print(f"genome-scale downstream of {hits} ({a.copies} contigs, {a.copies * 70:,} Mb), annotation {nt:,} RefSeq "
          f"transcripts, 4 chunk tables; RSS cap {a.rss_cap:,.0f} MiB; cpus {os.cpu_count()}, load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    cg = [sys.executable, "-m", "cgtsafe", "offtarget"]
    lim = ["--max-mismatches", "5", "--max-dna-bulge", "1", "--max-rna-bulge", "1"]
    i = out  # every step reads this checkout's outputs
    species_load = ("import sys; from cgtsafe.offtarget import species as s; f = getattr(s, 'iter_sites', None); "
                    "n = sum(len(b) for b in f(sys.argv[1])) if f else len(s.read_sites(sys.argv[1])); print(n)")
    sitecheck_load = ("import sys; from cgtsafe.sitecheck.sites import read_sites; print(len(read_sites(sys.argv[1])))")
    steps = [
        ("merge", lambda o, base: [*cg, "merge", "--inputs", *map(str, chunks), "--genome", str(genome), "--guides",
                                   str(guides), "--out", str(o / "hits.tsv")], ["hits.tsv"]),
        ("annotate", lambda o, base: [*cg, "annotate", "--hits", str(i / "hits.tsv"), "--genes", str(genes), "--out",
                                      str(o / "sites.tsv"), "--bed", str(o / "sites.bed"),
                                      *([] if base else ["--threads", "2"])], ["sites.tsv", "sites.bed"]),
        ("summarize", lambda o, base: [*cg, "summarize", "--sites", str(i / "sites.tsv"), "--hits", str(i / "hits.tsv"),
                                       "--guides", str(guides), *lim, "--genome", str(genome), "--build",
                                       f"{a.copies} x chrX", "--genes", str(genes), "--out", str(o / "summary.json")],
         ["guides_summary.tsv", "figures/sites_by_mismatches.json", "figures/cfd_distribution.json", "summary.json"]),
        ("species: read sites", lambda o, base: [sys.executable, "-c", species_load, str(i / "sites.tsv")], []),
        ("sitecheck: load sites", lambda o, base: [sys.executable, "-c", sitecheck_load, str(_head(i, a.sitecheck_rows))],
         []),
    ]
    only = set(a.steps.split(",")) if a.steps else None
    for name, cmd, made in steps:
        if only and name.split(":")[0] not in only:
            continue
        res = {}
        runs = [("before", before, str(a.baseline_src))] if a.baseline_src else []
        for label, o, src in runs + [("after", out, str(ROOT / "src"))]:
            env = {**os.environ, "PYTHONPATH": src, "PYTHONDONTWRITEBYTECODE": "1"}
            load0 = os.getloadavg()[0]
            wall, cpu, rss, tree = _child(cmd(o, label == "before"), env, a.rss_cap)
            res[label] = (wall, cpu, rss)
            rows = ""
            if made and made[0].endswith(".tsv") and rss != float("inf"):
                with open(o / made[0], "rb") as fh:
                    rows = f"rows {sum(1 for _ in fh) - 1:>9,}"
            peak = f"> {a.rss_cap:,.0f} (stopped)" if rss == float("inf") else f"{rss:7.0f}"
            print(f"  {name:22s} {label:6s} wall {wall:8.1f} s  cpu {cpu:8.1f} s  peak RSS {peak} MiB  "
                  f"(with workers {tree:7.0f})  {rows}  "
                  f"load {(load0 + os.getloadavg()[0]) / 2:.1f}", flush=True)
        if "before" in res:
            (w0, c0, r0), (w1, c1, r1) = res["before"], res["after"]
            same = ""
            if made and all((before / m).exists() and (out / m).exists() for m in made):
                # compared in blocks: a child forked from this process inherits its peak RSS (ru_maxrss)
                diff = [m for m in made if not filecmp.cmp(before / m, out / m, shallow=False)]
                if name == "summarize":  # summary.json names its input paths (before/after dirs differ)
                    diff = [m for m in diff if m != "summary.json"] + (
                        ["summary.json"] if _summary_differs(before / "summary.json", out / "summary.json") else [])
                same = "outputs identical: " + ("yes" if not diff else "NO (" + ", ".join(diff) + ")")
            r = f"{r1 / r0:.2f}" if r0 != float("inf") and r1 != float("inf") else "n/a (stopped)"
            print(f"  {name:22s} after/before: wall {w1 / w0:.2f}  cpu {c1 / c0:.2f}  peak RSS {r}  {same}", flush=True)
        if name.startswith("sitecheck") and a.sitecheck_rows:
            for label, (_, _, rss) in res.items():
                print(f"  {name:22s} {label:6s} {rss * 2**20 / a.sitecheck_rows:,.0f} bytes of peak RSS per candidate "
                      f"({a.sitecheck_rows:,} rows)", flush=True)
    if not a.keep:
        for p in chunks:
            p.unlink()
    return 0


def _head(d: Path, n: int) -> Path:
    """The first ``n`` rows of d/sites.tsv (0: all) as d/sites_head.tsv: sitecheck keeps one Site object per
    candidate, so the whole genome-scale table does not fit the benchmark's cap; the RSS per site is printed."""
    if not n:
        return d / "sites.tsv"
    p = d / f"sites_head{n}.tsv"
    if not p.exists():
        with open(d / "sites.tsv", "rb") as fh, open(p, "wb") as out:
            for k, line in enumerate(fh):
                if k > n:
                    break
                out.write(line)
    return p


def _summary_differs(x: Path, y: Path) -> bool:
    import json

    a, b = (json.loads(p.read_text()) for p in (x, y))
    for d in (a, b):
        d.pop("inputs", None)
        for t in d.get("tables", []) + d.get("figures", []):
            t.pop("path", None)
    return a != b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--genome-scale", action="store_true", help="the steps on the whole-genome hit table")
    ap.add_argument("--hits", type=Path, default=None, help="(genome scale) reuse this hit table")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/cgtsafe_bench_genome"),
                    help="(genome scale) generated data (keep it under /tmp)")
    ap.add_argument("--copies", type=int, default=44, help="(genome scale) copies of chrX")
    ap.add_argument("--baseline-src", type=Path, default=None, help="src/ of the code to compare with")
    ap.add_argument("--rss-cap", type=float, default=6144, help="(genome scale) stop a step above this RSS (MiB)")
    ap.add_argument("--steps", default=None, help="(genome scale) comma-separated subset: merge,annotate,summarize,"
                                                  "species,sitecheck")
    ap.add_argument("--keep", action="store_true", help="(genome scale) keep the chunk tables")
    ap.add_argument("--sitecheck-rows", type=int, default=1_000_000,
                    help="(genome scale) sitecheck loads the first N rows of sites.tsv (0: all)")
    ap.add_argument("--variants", type=int, default=100_000)
    ap.add_argument("--max-mismatches", type=int, default=5)
    ap.add_argument("--max-dna-bulge", type=int, default=0)
    ap.add_argument("--max-rna-bulge", type=int, default=0)
    ap.add_argument("--chunks", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.genome_scale:
        return genome_scale(a)
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
