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


def run(cmd: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(wall s, user+sys CPU s, peak RSS MiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


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
        show(f"{args.copies} x chrX ({args.copies * 70:,} Mb), this checkout",
             search(g, guides, args.workdir / "hits_genome.tsv"))
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
        for p in args.workdir.glob("hits_*.tsv"):
            p.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
