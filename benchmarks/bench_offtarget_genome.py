#!/usr/bin/env python
"""Whole-genome benchmark of `cgtsafe offtarget search` (issue #18; not a pytest test).

Case: 10 guides (the 4 of ../shared/data/offtarget/casoffinder/guides.tsv + the first 6 other CIRCLE-seq
guides of ../shared/data/offtarget/validated/circleseq_tsai2017_10gRNA.tsv), <= 5 mismatches + 1 DNA +
1 RNA bulge, SpCas9 default PAMs (NGG + NAG/NGA), --threads 2, TSV output.

Genomes, generated under --workdir (default /tmp/cgtsafe_bench_genome; never committed): N copies of
GRCh37 chrX 1..69,999,930 (../shared/data/genome/hs37chrXtrunc.fa.gz) as contigs chrX_1..chrX_N:
44 copies = 3.08 Gb (a human genome's size, and its hit count per Mb is real-sequence-like) and 10 copies
= 700 Mb (the 710 Mb case of the issue: 163 s, 2.85 GB, 2.35 M rows before the columnar output).

For each run: whole-process wall, user+sys CPU and peak RSS of the child (os.wait4), rows, and the load
average (the machine is shared: with a load above the core count, wall time is inflated and CPU time / 2
is what 2 dedicated cores would need for the parallel part). With --before SRC (the src/ of an older
checkout, e.g. a `git worktree` of main), the 700 Mb case also runs that code as the peer and prints
after/before ratios of wall, CPU and RSS.

    .venv/bin/python benchmarks/bench_offtarget_genome.py [--copies 44] [--small 10] [--before /tmp/main/src]

Downstream (--downstream, with the 44-copy hit table; --hits reuses a kept one): the workflow's steps after
the search on that table, each a whole `cgtsafe` process with its wall, CPU and peak RSS: the hit table
split by contig into --chunks chunk tables (what `search --chunk i/n` writes, contig-aligned) -> `offtarget
merge` -> `offtarget annotate` (gene annotation: the NCBI RefSeq curated hg38 genePred of
../shared/data/integration/annotation, contig chrX_k given the transcripts of hg38 chromosome k (chr1..22, X,
Y, cycling) that end within 70 Mb) -> `offtarget summarize` -> the report's loading of sites.tsv
(`cgtsafe.report.load.load_table`, which embeds the first rows and counts the rest). A step whose RSS passes
--rss-cap MiB is stopped (the machine is shared) and printed as "> cap". With --before SRC each downstream
step first runs with that older src/ on the same inputs (into downstream/_before/) and the outputs are
compared byte for byte with this checkout's.

    .venv/bin/python benchmarks/bench_offtarget_genome.py --copies 44 --small 0 --downstream --keep
    .venv/bin/python benchmarks/bench_offtarget_genome.py --copies 44 --small 0 --downstream --keep --hits WORKDIR/hits_genome.tsv
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CHRX = SHARED / "genome" / "hs37chrXtrunc.fa.gz"
CASOFF = SHARED / "offtarget" / "casoffinder" / "guides.tsv"
CIRCLE = SHARED / "offtarget" / "validated" / "circleseq_tsai2017_10gRNA.tsv"
LIMITS = ["--max-mismatches", "5", "--max-dna-bulge", "1", "--max-rna-bulge", "1"]


def make_guides(path: Path) -> None:
    import pandas as pd

    c = pd.read_csv(CASOFF, sep="\t")
    rows = list(zip(c["name"], c["spacer_20nt"]))
    v = pd.read_csv(CIRCLE, sep="\t").drop_duplicates("guide_name")
    for n, s in zip(v["guide_name"], v["guide_seq20"]):
        if len(rows) < 10 and s not in {x for _, x in rows}:
            rows.append((n, s))
    path.write_text("name\tspacer\n" + "".join(f"{n}\t{s}\n" for n, s in rows))


def make_genome(path: Path, copies: int) -> None:
    if path.exists():
        return
    with gzip.open(CHRX, "rb") as fh:
        lines = fh.read().split(b"\n")
    body = b"\n".join(ln for ln in lines[1:] if ln) + b"\n"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        for k in range(1, copies + 1):
            out.write(b">chrX_%d\n" % k)
            out.write(body)
    tmp.rename(path)


def run(cmd: list[str], env: dict | None = None, rss_cap: float | None = None) -> tuple[float, float, float]:
    """(wall s, user+sys CPU s, peak RSS MiB) of one child process; with ``rss_cap`` (MiB) the child is
    killed when its resident memory passes it and the peak is returned as ``inf``."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        err = open(Path("/tmp") / f"bench_offtarget_genome.{os.getpid()}.stderr", "w+b")
        proc = subprocess.Popen(cmd, env=env, stdout=null, stderr=err)
    capped = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if rss_cap is not None and _rss_mib(proc.pid) > rss_cap:
            proc.kill()
            capped = True
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    err.seek(0)
    msg = err.read().decode()
    err.close()
    os.unlink(err.name)
    if capped:
        return wall, usage.ru_utime + usage.ru_stime, float("inf")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{msg}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


REFSEQ = SHARED / "integration" / "annotation" / "hg38.ncbiRefSeqCurated.June2019.genePred.txt.gz"
HG38 = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"]


def make_genes(path: Path, copies: int, contig_len: int = 69_999_930) -> int:
    """genePred for contigs chrX_1..chrX_N: contig k gets the RefSeq transcripts of hg38 chromosome
    HG38[(k-1) % 24] that end within the contig; returns the number of transcripts."""
    by_chrom: dict[str, list[list[str]]] = {}
    with gzip.open(REFSEQ, "rt") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if f[2] in HG38 and int(f[5]) <= contig_len:
                by_chrom.setdefault(f[2], []).append(f)
    n = 0
    with open(path, "w") as out:
        for k in range(1, copies + 1):
            for f in by_chrom.get(HG38[(k - 1) % len(HG38)], []):
                out.write("\t".join([f[0], f[1], f"chrX_{k}", *f[3:]]) + "\n")
                n += 1
    return n


def split_chunks(hits: Path, n: int, copies: int, workdir: Path) -> list[Path]:
    """The hit table as n chunk tables owning contiguous contig ranges (each sorted as the search writes)."""
    paths = [workdir / f"chunk_{i + 1}.tsv" for i in range(n)]
    outs = [open(p, "w") for p in paths]
    with open(hits) as fh:
        head = fh.readline()
        for o in outs:
            o.write(head)
        for line in fh:
            chrom = line.split("\t", 2)[1]
            k = int(chrom.rsplit("_", 1)[1]) - 1
            outs[k * n // copies].write(line)
    for o in outs:
        o.close()
    return paths


def downstream(hits: Path, guides: Path, genome: Path, workdir: Path, copies: int, chunks: int, cap: float,
               before: Path | None = None) -> None:
    """Each step on this checkout's inputs; with ``before`` (an older src/) the same step first runs with that
    code on the same inputs into downstream/_before/, and the outputs are compared byte for byte."""
    genes = workdir / "genes_refseq.genePred"
    nt = make_genes(genes, copies)
    chunk_paths = split_chunks(hits, chunks, copies, workdir)
    print(f"downstream of {hits} ({copies} contigs), {chunks} chunk tables, annotation {nt:,} RefSeq transcripts; "
          f"RSS cap {cap:,.0f} MiB", flush=True)
    cg = [sys.executable, "-m", "cgtsafe", "offtarget"]
    out = workdir / "downstream"
    prev = out / "_before"
    prev.mkdir(parents=True, exist_ok=True)
    i = out  # inputs always from this checkout's outputs
    report = ("import sys; from pathlib import Path; from cgtsafe.report.load import REPORT_DEFAULTS, load_table; "
              "t = load_table({'id': 'offtarget_sites', 'path': 'sites.tsv'}, Path(sys.argv[1]), 'offtarget', "
              "REPORT_DEFAULTS['max_embedded_rows']); print(len(t.rows), t.total_rows)")
    steps = [
        ("merge", lambda o: [*cg, "merge", "--inputs", *map(str, chunk_paths), "--genome", str(genome), "--guides",
                             str(guides), "--out", str(o / "hits.tsv")], ["hits.tsv"]),
        ("annotate", lambda o: [*cg, "annotate", "--hits", str(i / "hits.tsv"), "--genes", str(genes), "--out",
                                str(o / "sites.tsv"), "--bed", str(o / "sites.bed")], ["sites.tsv", "sites.bed"]),
        ("summarize", lambda o: [*cg, "summarize", "--sites", str(i / "sites.tsv"), "--hits", str(i / "hits.tsv"),
                                 "--guides", str(guides), *LIMITS, "--genome", str(genome), "--build",
                                 f"{copies} x chrX", "--genes", str(genes), "--out", str(o / "summary.json")],
         ["guides_summary.tsv", "figures/sites_by_mismatches.json"]),
        ("report table load", lambda o: [sys.executable, "-c", report, str(i)], []),
    ]
    total = 0.0
    for name, cmd, made in steps:
        runs = [("BEFORE", prev, {**os.environ, "PYTHONPATH": str(before)})] if before else []
        for label, o, env in runs + [("after", out, None)]:
            load0 = os.getloadavg()[0]
            wall, cpu, rss = run(cmd(o), env=env, rss_cap=cap)
            if label == "after":
                total += wall
            rows = ""
            if made and made[0].endswith(".tsv") and rss != float("inf"):
                with open(o / made[0], "rb") as fh:
                    rows = f"rows {sum(1 for _ in fh) - 1:>9,}"
            same = ""
            if label == "after" and before and made and all((prev / m).exists() for m in made):
                same = "outputs = before: " + ("yes" if all(
                    (prev / m).read_bytes() == (out / m).read_bytes() for m in made) else "NO")
            peak = f"> {cap:,.0f} (stopped)" if rss == float("inf") else f"{rss:7.0f}"
            print(f"  {name:18s} {label:6s} wall {wall:8.1f} s  cpu {cpu:8.1f} s  peak RSS {peak} MiB  {rows}  "
                  f"load {(load0 + os.getloadavg()[0]) / 2:.1f}  {same}", flush=True)
            if label == "after" and rss == float("inf"):
                print("  (later steps need this step's output: stopped here)")
                return
    print(f"  downstream total wall (this checkout) {total:.1f} s", flush=True)


def search(genome: Path, guides: Path, out: Path, src: Path | None = None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    cmd = [sys.executable, "-m", "cgtsafe", "offtarget", "search", "--genome", str(genome), "--guides", str(guides),
           *LIMITS, "--threads", "2", "--out", str(out)]
    load0 = os.getloadavg()[0]
    wall, cpu, rss = run(cmd, env)
    with open(out, "rb") as fh:
        rows = sum(1 for _ in fh) - 1
    return {"wall": wall, "cpu": cpu, "rss": rss, "rows": rows, "load": (load0 + os.getloadavg()[0]) / 2}


def show(label: str, r: dict) -> None:
    print(f"{label:44s} wall {r['wall']:8.1f} s  cpu {r['cpu']:8.1f} s  (cpu/2 {r['cpu'] / 2:7.1f} s)  "
          f"peak RSS {r['rss']:7.0f} MiB  rows {r['rows']:>9,}  load {r['load']:.1f}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=44, help="copies of chrX in the genome-sized input (0: skip)")
    ap.add_argument("--small", type=int, default=10, help="copies for the 700 Mb before/after case (0: skip)")
    ap.add_argument("--before", type=Path, default=None, help="src/ of the older checkout to compare with")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/cgtsafe_bench_genome"))
    ap.add_argument("--keep", action="store_true", help="keep the generated genomes")
    ap.add_argument("--downstream", action="store_true", help="run merge/annotate/summarize/report on the hits")
    ap.add_argument("--hits", type=Path, default=None, help="reuse this hit table of the --copies genome")
    ap.add_argument("--chunks", type=int, default=4, help="chunk tables of the downstream merge")
    ap.add_argument("--rss-cap", type=float, default=6144, help="stop a downstream step above this RSS (MiB)")
    args = ap.parse_args()
    if not CHRX.exists():
        print(f"../shared/data absent: {CHRX}", file=sys.stderr)
        return 1
    args.workdir.mkdir(parents=True, exist_ok=True)
    guides = args.workdir / "guides10.tsv"
    make_guides(guides)
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; limits {' '.join(LIMITS)}, default PAMs")
    made = []
    if args.copies:
        g = args.workdir / f"chrX_x{args.copies}.fa"
        make_genome(g, args.copies)
        made.append(g)
        hits = args.hits
        if hits is None:
            hits = args.workdir / "hits_genome.tsv"
            show(f"{args.copies} x chrX ({args.copies * 70:,} Mb), this checkout", search(g, guides, hits))
        if args.downstream:
            downstream(hits, guides, g, args.workdir, args.copies, args.chunks, args.rss_cap, args.before)
    if args.small:
        g = args.workdir / f"chrX_x{args.small}.fa"
        make_genome(g, args.small)
        made.append(g)
        after = search(g, guides, args.workdir / "hits_small.tsv")
        show(f"{args.small} x chrX ({args.small * 70:,} Mb), this checkout", after)
        if args.before is not None:
            before = search(g, guides, args.workdir / "hits_small_before.tsv", src=args.before)
            show(f"{args.small} x chrX, before ({args.before})", before)
            print(f"after/before: wall {after['wall'] / before['wall']:.2f}  cpu {after['cpu'] / before['cpu']:.2f}  "
                  f"peak RSS {after['rss'] / before['rss']:.2f}  rows {after['rows']:,} vs {before['rows']:,}")
    if not args.keep:
        for g in made:
            g.unlink()
        for p in [*args.workdir.glob("hits_*.tsv"), *args.workdir.glob("chunk_*.tsv"),
                  *args.workdir.glob("downstream/*.tsv"), *args.workdir.glob("downstream/*.bed")]:
            p.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
