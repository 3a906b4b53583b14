#!/usr/bin/env python3
"""Benchmark: reads -> fragments (`cgtsafe integration call-sites`) on ~1 million read pairs per sample.

    .venv/bin/python benchmarks/bench_integration_reads.py [--samples 1] [--pairs 1000000] [--threads 2]
                                                            [--workdir DIR] [--keep] [--reuse]
                                                            [--baseline /tmp/main/src] [--index-copies 44]

The run is simulated with the test-data simulator (scripts/testdata/integration.py, same layout, clones,
and read classes as test-data/integration, scaled up) on test-data/genome/ref.fa. The whole
``cgtsafe integration call-sites`` process is timed; the script prints wall time, user+sys CPU time,
read pairs per second (wall and per CPU second), the peak RSS of the child process (its ``VmHWM``) and the
load average, and checks the attrition against the simulator's truth (a benchmark of a wrong answer is
worthless). ``--baseline SRC`` runs the same command with another checkout's ``src`` (e.g. a clone of main)
right before this one, checks that both wrote byte-identical tables, and prints the throughput ratio (the
machine may be shared: compare within one run).

``--index-copies N`` also measures the genome index of a genome-sized input, built once and reused by every
later run (``--index``, or ``<genome>.mmi`` beside the genome): N copies of GRCh37 chrX 1..70 Mb
(../shared/data/genome/hs37chrXtrunc.fa.gz, generated as benchmarks/bench_offtarget_genome.py does; 44 copies =
3.08 Gb) under ``--genome-dir``; prints the index size, build wall/CPU time and peak RSS, and the time and
peak RSS of loading the saved index (what a later run pays). The build is stopped when its RSS passes
``--max-rss-gb`` (default 14).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "benchmarks"))
TABLES = ("fragments", "multihits", "multihit_clusters", "attrition", "read_stages")


def run_child(cmd: list[str], src: str | None = None, max_rss_gb: float | None = None) -> dict:
    """Wall s, user+sys CPU s (``os.wait4``) and peak RSS MiB of one child process; with ``max_rss_gb`` the child
    is stopped when its resident set passes that size (``stopped`` is then True).

    Peak RSS is the child's own ``VmHWM`` (``/proc/<pid>/status``, polled every 0.2 s; it starts afresh at exec),
    not ``ru_maxrss``, which also counts the pages of this (large, simulating) parent that the child holds between
    fork and exec; ``ru_maxrss`` is the fallback where ``/proc`` is absent."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    err = tempfile.TemporaryFile()  # not a pipe: a child writing much to stderr must not block
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    stopped, hwm_kb = False, 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        try:
            fields = dict(x.split(":", 1) for x in Path(f"/proc/{proc.pid}/status").read_text().splitlines() if ":" in x)
            rss_kb = int(fields["VmRSS"].split()[0])
            hwm_kb = max(hwm_kb, int(fields["VmHWM"].split()[0]))
        except (OSError, KeyError, ValueError):
            rss_kb = 0
        if max_rss_gb is not None and rss_kb > max_rss_gb * 1024 ** 2:
            proc.kill()
            stopped = True
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0 and not stopped:
        err.seek(0)
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err.read().decode(errors='replace')}")
    err.close()
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": (hwm_kb or usage.ru_maxrss) / 1024,
            "load": (load0 + os.getloadavg()[0]) / 2, "stopped": stopped}


def index_benchmark(copies: int, gdir: Path, max_rss_gb: float) -> None:
    """Build the minimap2 ``sr`` index of ``copies`` x chrX (once; cached as <genome>.mmi) and load it again."""
    from bench_offtarget_genome import CHRX, make_genome

    if not CHRX.exists():
        print(f"index: skipped ({CHRX} absent)")
        return
    gdir.mkdir(parents=True, exist_ok=True)
    fa = gdir / f"chrX_x{copies}.fa"
    make_genome(fa, copies)
    mmi = Path(str(fa) + ".mmi")
    code = ("import sys; from cgtsafe.integration.align import PairAligner; "
            "a = PairAligner(sys.argv[1], index_path=sys.argv[2]); print(a.index_built)")
    if not mmi.exists():
        r = run_child([sys.executable, "-c", code, str(fa), str(mmi)], max_rss_gb=max_rss_gb)
        if r["stopped"]:
            print(f"index build STOPPED: resident set passed {max_rss_gb:g} GB after {r['wall']:.0f} s "
                  f"(genome {fa.stat().st_size / 1e9:.2f} GB)")
            return
        print(f"index build: genome {fa.stat().st_size / 1e9:.2f} GB ({copies} x chrX 70 Mb) -> {mmi.name} "
              f"{mmi.stat().st_size / 1e9:.2f} GB; wall {r['wall']:.0f} s, cpu {r['cpu']:.0f} s, "
              f"peak RSS {r['rss'] / 1024:.2f} GiB, load {r['load']:.1f}")
    else:
        print(f"index build: reused {mmi} ({mmi.stat().st_size / 1e9:.2f} GB, built by an earlier run)")
    r = run_child([sys.executable, "-c", code, str(fa), str(mmi)], max_rss_gb=max_rss_gb)
    print(f"index reuse (load + check by a later run): wall {r['wall']:.0f} s, cpu {r['cpu']:.0f} s, "
          f"peak RSS {r['rss'] / 1024:.2f} GiB, load {r['load']:.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1, choices=(1, 2, 3))
    ap.add_argument("--pairs", type=int, default=1_000_000, help="approximate read pairs per sample")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="reuse an already simulated run in --workdir")
    ap.add_argument("--baseline", default=None, help="src folder of a peer checkout, run first in the same run")
    ap.add_argument("--index-copies", type=int, default=0, help="also measure the index of N x chrX 70 Mb (44 = 3.1 Gb)")
    ap.add_argument("--genome-dir", default="/tmp/cgtsafe_bench_index", help="where that genome and index are cached")
    ap.add_argument("--max-rss-gb", type=float, default=14.0, help="stop the index build past this resident set")
    args = ap.parse_args()

    import pandas as pd

    from cgtsafe.io.annotation import read_transcripts
    from cgtsafe.io.fasta import read_fasta
    from testdata import integration as sim

    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_int_reads_"))
    data = work / "run"
    genome_fa = REPO / "test-data" / "genome" / "ref.fa"
    t0 = time.time()
    ctx = {"genome": {k: v.decode() for k, v in read_fasta(genome_fa).items()},
           "genes": read_transcripts(REPO / "test-data" / "genome" / "genes.gtf"), "seed": 20261121}
    # ~0.4 read pairs per cell (fragment probability 0.25 x 1.6 reads per fragment); junk classes ~10 %
    n_cells = int(args.pairs / 0.4 * 0.9)
    factor = max(1, int(args.pairs * 0.1 / sum(sim.JUNK.values())))
    if not (args.reuse and (data / "truth_attrition.tsv").exists()):
        sim.simulate(data, ctx, samples=sim.SAMPLES[:args.samples], n_cells=n_cells, junk_factor=factor,
                     n_undetermined=sim.N_UNDETERMINED * factor)
        print(f"simulated run in {time.time() - t0:.0f} s: {data}", file=sys.stderr)

    def cmd(out: Path) -> list[str]:
        return [sys.executable, "-m", "cgtsafe", "integration", "call-sites", "--samples", str(data / "samples.tsv"),
                "--layout", str(data / "layout.yaml"), "--r1", str(data / "R1.fastq.gz"), "--r2",
                str(data / "R2.fastq.gz"), "--i1", str(data / "I1.fastq.gz"), "--genome", str(genome_fa), "--vector",
                str(data / "vector.fa"), "--threads", str(args.threads), "--out-dir", str(out)]

    runs = {}
    if args.baseline:
        runs["baseline"] = run_child(cmd(work / "out_baseline"), src=args.baseline)
    runs["this"] = run_child(cmd(work / "out"))
    print(f"command: {' '.join(cmd(work / 'out'))}")
    att = pd.read_csv(work / "out" / "attrition.tsv", sep="\t").set_index("sample")
    truth = pd.read_csv(data / "truth_attrition.tsv", sep="\t").set_index("sample")
    cols = [c for c in att.columns if c in truth.columns]
    mismatch = (att[cols] != truth.loc[att.index, cols]).any(axis=1)
    pairs = int(att["reads"].iloc[0])
    print(f"samples={args.samples} read_pairs={pairs} threads={args.threads} cores={os.cpu_count()}")
    for label, r in runs.items():
        print(f"{label:8s} wall_time_s={r['wall']:.1f} cpu_s={r['cpu']:.1f} pairs_per_s={pairs / r['wall']:.0f} "
              f"pairs_per_cpu_s={pairs / r['cpu']:.0f} peak_rss_mb={r['rss']:.0f} load_avg={r['load']:.1f}")
    same = True
    if args.baseline:
        b, t = runs["baseline"], runs["this"]
        same = all(filecmp.cmp(work / "out_baseline" / f"{n}.tsv", work / "out" / f"{n}.tsv", shallow=False)
                   for n in TABLES)
        print(f"speed-up vs baseline: wall x{b['wall'] / t['wall']:.2f}, cpu x{b['cpu'] / t['cpu']:.2f}; "
              f"tables byte-identical to the baseline's: {same}")
    print(f"attrition equals simulated truth: {not mismatch.any()}")
    print(att.to_string())
    if args.index_copies:
        index_benchmark(args.index_copies, Path(args.genome_dir), args.max_rss_gb)
    if not args.keep and not args.workdir:
        shutil.rmtree(work)
    return 0 if not mismatch.any() and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
