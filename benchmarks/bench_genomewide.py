#!/usr/bin/env python3
"""Benchmark of ``cgtsafe sitecheck genomewide`` and ``structural`` on simulated 30x WGS pairs.

    .venv/bin/python benchmarks/bench_genomewide.py [--genome-mb 10] [--coverage 30] [--threads 1 2] [--workdir DIR]
        [--input cram bam] [--baseline-src OTHER/src] [--region-jobs N]

Simulates (once, cached in --workdir) a random genome of --genome-mb Mb in 2 Mb contigs with an edited
on-target (60 % indels, 5 % 3-kb deletion, 2 % translocation) and one off-target (20 %), an edited and a
control CRAM at --coverage (scripts/testdata/sequencing.py, the test-data simulator), then runs the
sub-commands as child processes and prints wall time, CPU time, throughput (Mb of genome per second of
wall and per CPU-second, i.e. per core) and the peak RSS of each child (resource.getrusage(RUSAGE_CHILDREN)
measured in a fresh wrapper process per run).

Peers in the same run (per input format, ``--input cram`` and/or ``bam``; the BAM pair is made once from
the CRAM pair): ``decode floor`` = a child that only iterates every record of both files with pysam (what
any counter built on pysam's per-read objects pays); ``htslib decode floor`` = a child that only has
htslib decode both files to uncompressed BAM (``samtools view -u`` in process, written to /dev/null: what
the counter pays before its own work); ``htslib direct decode floor`` = a child that has htslib decode
both files region by region through :mod:`cgtsafe.io.htsdirect` into one buffer (no re-encoding; whole
process, and its decoding loop alone); ``fixed cost`` = the same ``genomewide`` command on a 1-kb region
(interpreter and library start-up, input checks, kernel loading), from which the marginal figure
``Mb / (CPU - fixed CPU)`` is printed next to the whole-process one; ``--baseline-src DIR`` runs the same
command with another checkout's ``src`` first on PYTHONPATH (e.g. the code before a change) and prints
the CPU ratio. Every figure is a whole child process (the CPU includes htslib's decoding).
``--region-jobs N`` also runs ``genomewide --chunk i/N`` for every i plus ``genomewide-merge`` and checks
that the merged table is byte-identical to the unsplit one. Not a pytest test.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

WRAP = r"""
import resource, subprocess, sys, time, json
t = time.time()
rc = subprocess.run(sys.argv[1:]).returncode
wall = time.time() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall": wall, "maxrss_mb": ru.ru_maxrss / 1024, "cpu": ru.ru_utime + ru.ru_stime}))
"""


def simulate(workdir: Path, genome_mb: int, coverage: float) -> Path:
    d = workdir / f"sim_{genome_mb}mb_{int(coverage)}x"
    if (d / "sequencing" / "wgs_control.cram.crai").exists():
        return d
    spec = importlib.util.spec_from_file_location("seqgen", ROOT / "scripts" / "testdata" / "sequencing.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rng = np.random.default_rng(2026)
    n = max(1, genome_mb // 2)
    size = genome_mb * 1_000_000 // n
    genome = {f"chr{i + 1}": "".join(np.array(list("ACGT"))[rng.integers(0, 4, size)]) for i in range(n)}
    (d / "genome").mkdir(parents=True, exist_ok=True)
    with open(d / "genome" / "ref.fa", "w") as fh:
        for name, s in genome.items():
            fh.write(f">{name}\n" + "\n".join(s[i:i + 60] for i in range(0, len(s), 60)) + "\n")
    import pysam

    pysam.faidx(str(d / "genome" / "ref.fa"))
    last = f"chr{n}"
    planted = [
        {"site_id": "g:chr1:499983:+", "guide": "g", "chrom": "chr1", "strand": "+", "cut_start": "500000",
         "category": "on_target", "wgs_edit_freq": "0.6", "amplicon": "0"},
        {"site_id": f"g:{last}:1199994:-", "guide": "g", "chrom": last, "strand": "-", "cut_start": "1200000",
         "category": "mismatch", "wgs_edit_freq": "0.2", "amplicon": "0"},
    ]
    import pandas as pd

    pd.DataFrame(planted).to_csv(d / "sites.tsv", sep="\t", index=False)
    t = time.time()
    mod.generate(d, {"genome": genome, "genes": [], "planted": planted, "seed": 1, "coverage": coverage,
                     "amplicons": False})
    print(f"simulated {genome_mb} Mb at {coverage}x in {time.time() - t:.0f} s -> {d}", file=sys.stderr)
    return d


DECODE = r"""
import sys, pysam
for p in sys.argv[2:]:
    with pysam.AlignmentFile(p, reference_filename=sys.argv[1]) as af:
        for r in af.fetch(until_eof=True):
            pass
"""

HTS_DECODE = r"""
import sys, pysam
for p in sys.argv[2:]:
    opts = ["--input-fmt-option", "required_fields=0x6fe", "--input-fmt-option", "decode_md=0",
            "--reference", sys.argv[1]] if p.endswith(".cram") else []
    pysam.view("-u", "--no-PG", *opts, "-o", "/dev/null", p, catch_stdout=False)
"""


DIRECT_DECODE = r"""
import sys, time
import numpy as np
from cgtsafe.io.alignment import COUNTING_FIELDS
from cgtsafe.io.htsdirect import DirectReader, warm
warm()
t = time.process_time()
lengths = {ln.split("\t")[0]: int(ln.split("\t")[1]) for ln in open(sys.argv[1] + ".fai")}
for p in sys.argv[2:]:
    cram = p.endswith(".cram")
    r = DirectReader(p, sys.argv[1] if cram else None, COUNTING_FIELDS if cram else ())
    buf = np.zeros(0, np.uint8)
    for contig, tid in r.tids.items():
        for s in range(0, lengths[contig], 500_000):
            buf, n, st = r.region(tid, max(0, s - 500), min(lengths[contig], s + 500_500), buf)
            assert st == -1
    r.close()
print("loop_cpu", time.process_time() - t)
"""


def bam_pair(seq: Path) -> tuple[Path, Path]:
    """BAM copies of the simulated CRAM pair (made once)."""
    import pysam

    out = []
    for name in ("wgs_edited", "wgs_control"):
        bam = seq / f"{name}.bam"
        if not (seq / f"{name}.bam.bai").exists():
            pysam.view("-b", "--reference", str(seq.parent / "genome" / "ref.fa"), "-o", str(bam),
                       str(seq / f"{name}.cram"), catch_stdout=False)
            pysam.index(str(bam))
        out.append(bam)
    return out[0], out[1]


def run(cmd: list[str], env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True, check=True, env=env)
    lines = out.stdout.strip().splitlines()
    r = json.loads(lines[-1])
    for ln in lines:  # a child's own in-process figure
        if ln.startswith("loop_cpu "):
            r["loop_cpu"] = float(ln.split()[1])
    return r


def show(label: str, r: dict, mb: float) -> None:
    print(f"{label}: wall {r['wall']:.1f} s, {mb / r['wall']:.3f} Mb/s, cpu {r['cpu']:.1f} s, "
          f"{mb / max(r['cpu'], 1e-9):.3f} Mb per CPU-second, peak RSS {r['maxrss_mb']:.0f} MB (largest child), "
          f"rc {r['rc']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genome-mb", type=int, default=10)
    ap.add_argument("--coverage", type=float, default=30)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "cgtsafe-bench-genomewide"))
    ap.add_argument("--input", nargs="+", choices=["cram", "bam"], default=["cram"])
    ap.add_argument("--baseline-src", default=None, help="another checkout's src/ to compare with (same run)")
    ap.add_argument("--region-jobs", type=int, default=0, help="also run N region jobs + merge (0: skip)")
    args = ap.parse_args()
    import os

    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"({os.cpu_count()} CPUs)")
    d = simulate(Path(args.workdir), args.genome_mb, args.coverage)
    seq = d / "sequencing"
    cg = [sys.executable, "-m", "cgtsafe", "sitecheck"]
    mb = float(args.genome_mb)
    ref = str(d / "genome" / "ref.fa")
    (d / "tiny.bed").write_text("chr1\t100000\t101000\n")
    for fmt in args.input:
        ed, ct = ((seq / "wgs_edited.cram", seq / "wgs_control.cram") if fmt == "cram" else bam_pair(seq))
        common = ["--edited", str(ed), "--control", str(ct), "--sample", "E", "--control-name", "C",
                  "--reference", ref]
        print(f"genome {args.genome_mb} Mb, {args.coverage:g}x, edited + control {fmt.upper()}")
        r = run([sys.executable, "-c", DECODE, ref, str(ed), str(ct)])
        show("decode floor (pysam iterates both files, no counting)", r, mb)
        r = run([sys.executable, "-c", HTS_DECODE, ref, str(ed), str(ct)])
        show("htslib decode floor (both files to uncompressed BAM, no counting)", r, mb)
        r = run([sys.executable, "-c", DIRECT_DECODE, ref, str(ed), str(ct)])
        show("htslib direct decode floor (both files, 501-kb regions, records copied out, no re-encoding; "
             "includes numba start-up)", r, mb)
        print(f"  of which the decoding loop: cpu {r['loop_cpu']:.2f} s, {mb / max(r['loop_cpu'], 1e-9):.3f} Mb per "
              "CPU-second")
        tiny = [*cg, "genomewide", *common, "--regions", str(d / "tiny.bed"), "--out", str(d / "gw_tiny.tsv"),
                "--stats", str(d / "gw_tiny.json")]
        run(tiny)  # not measured: fills numba's cache after a change of the kernels
        fixed = run(tiny)
        print(f"fixed cost (genomewide on a 1-kb region): wall {fixed['wall']:.1f} s, cpu {fixed['cpu']:.1f} s, "
              f"peak RSS {fixed['maxrss_mb']:.0f} MB")
        base = None
        if args.baseline_src:
            env = {**os.environ, "PYTHONPATH": str(Path(args.baseline_src).resolve())}
            base = run([*cg, "genomewide", *common, "--out", str(d / f"gw_base_{fmt}.tsv"), "--stats",
                        str(d / f"gw_base_{fmt}.json")], env=env)
            show(f"baseline ({args.baseline_src}) threads=1", base, mb)
        for th in args.threads:
            r = run([*cg, "genomewide", *common, "--threads", str(th), "--out", str(d / f"gw_{th}_{fmt}.tsv"),
                     "--stats", str(d / f"gw_{th}_{fmt}.json")])
            show(f"genomewide threads={th}", r, mb)
            if th == 1:
                print(f"  marginal (CPU minus the fixed cost): {mb / max(r['cpu'] - fixed['cpu'], 1e-9):.3f} "
                      "Mb per CPU-second")
            if base is not None and th == 1:
                same = (d / f"gw_base_{fmt}.tsv").read_bytes() == (d / f"gw_1_{fmt}.tsv").read_bytes()
                print(f"  CPU ratio baseline / this: {base['cpu'] / max(r['cpu'], 1e-9):.2f}; table byte-identical "
                      f"to the baseline's: {same}")
        if args.region_jobs:
            n = args.region_jobs
            cpu = wall = 0.0
            rss = 0.0
            for i in range(1, n + 1):
                r = run([*cg, "genomewide", *common, "--chunk", f"{i}/{n}", "--out", str(d / f"part{i}_{fmt}.tsv"),
                         "--stats", str(d / f"part{i}_{fmt}.json")])
                cpu, wall, rss = cpu + r["cpu"], max(wall, r["wall"]), max(rss, r["maxrss_mb"])
            parts = [str(d / f"part{i}_{fmt}.tsv") for i in range(1, n + 1)]
            r = run([*cg, "genomewide-merge", *common, "--parts", *parts,
                     "--part-stats", *[p[:-4] + ".json" for p in parts], "--out", str(d / f"merged_{fmt}.tsv"),
                     "--stats", str(d / f"merged_{fmt}.json")])
            same = (d / f"merged_{fmt}.tsv").read_bytes() == (d / f"gw_{args.threads[0]}_{fmt}.tsv").read_bytes()
            print(f"{n} region jobs: slowest job wall {wall:.1f} s, total cpu {cpu:.1f} s, peak RSS {rss:.0f} MB; "
                  f"merge wall {r['wall']:.1f} s; merged table byte-identical to the unsplit run: {same}")
    r = run([*cg, "structural", *common, "--sites", str(d / "sites.tsv"), "--out", str(d / "sv.tsv"),
             "--stats", str(d / "sv.json")])
    print(f"structural: wall {r['wall']:.1f} s, peak RSS {r['maxrss_mb']:.0f} MB, rc {r['rc']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
