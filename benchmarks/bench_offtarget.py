#!/usr/bin/env python
"""Benchmark of `cgtsafe offtarget search` as whole processes on real data (not a pytest test).

Data: GRCh37 chrX 1..69,999,930 (../shared/data/genome/hs37chrXtrunc.fa.gz, gzip, 70 Mb) and the 4 guides
of ../shared/data/offtarget/casoffinder/guides.tsv. Peer: Cas-OFFinder 2.4.1 on this machine class
(README there): 1.58 s for the 4 guides NRG <= 4 mm; about 2.5 s for 9 guides NGG <= 5 mm; Cas-OFFinder
3.0.0b with <= 4 mm + 1 DNA + 1 RNA bulge about 91 s.

For every case: the median wall time of --repeats runs (each a fresh `cgtsafe` process, reading the gz
FASTA), user+sys CPU time and peak RSS of that child (os.wait4 rusage), the number of sites, whether
the site set equals Cas-OFFinder's (mismatch-only cases), and a linear projection to the 3.1 Gb human
genome (wall x 3.1e9 / 7.0e7; the fixed start-up cost makes this an over-estimate). Then the first-run
cost of a fresh install: the same NRG case with an empty NUMBA_CACHE_DIR (kernels compiled from scratch).

First line: the warm start of a one-chromosome search (median of --repeats processes on a 10 kb genome) next to
`python -c pass` and `python -c "import numba"` peers of the same run (goal: < 0.3 s on an idle machine).

Usage:  .venv/bin/python benchmarks/bench_offtarget.py [--repeats 3] [--threads N] [--warm-only] [--importtime]
The machine is shared: the load average is printed next to the timings. A cpu_s about equal to wall_s
means the process had about one core (the search itself uses all cores: the genome is read in a thread
while numba loads, and the scan runs on --threads threads); then wall time is roughly the CPU time, of
which about 0.3 s is importing numba and loading its cached kernels.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
GENOME = SHARED / "genome" / "hs37chrXtrunc.fa.gz"
CASOFF = SHARED / "offtarget" / "casoffinder"
GENOME_LEN = 69_999_930
HUMAN = 3.1e9

CASES = [
    # name, extra args, Cas-OFFinder file, peer seconds
    ("NRG <=4 mm", ["--pam", "NRG", "--max-mismatches", "4"], "v2_NRG_4mm.casoffinder2.4.1.txt", 1.58),
    ("NGG <=5 mm", ["--pam", "NGG", "--max-mismatches", "5"], "v2_NGG_5mm.casoffinder2.4.1.txt", 2.5),
    ("NGG <=4 mm +1 DNA +1 RNA bulge",
     ["--pam", "NGG", "--max-mismatches", "4", "--max-dna-bulge", "1", "--max-rna-bulge", "1"], None, 91.0),
]


def run(cmd: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """(wall s, user+sys CPU s, peak RSS MiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def warm_start(runs: int = 5, importtime: bool = False, before: Path | None = None) -> None:
    """Start-up of a one-chromosome search: median wall (and CPU) of ``runs`` fresh processes searching a
    10 kb genome for one guide (<= 4 mismatches), next to the same number of ``python -c pass`` and
    ``python -c "import numba"`` peers run alternately (the machine is shared: the ratio to the numba peer
    is what stays comparable). Bytecode caching is on for these children (PYTHONDONTWRITEBYTECODE unset),
    as in an installed package; one untimed warm-up run fills the bytecode and numba caches."""
    import random

    work = Path(tempfile.mkdtemp(prefix="bench_offtarget_warm_"))
    rng = random.Random(1)
    seq = "".join(rng.choice("ACGT") for _ in range(10_000))
    (work / "g.fa").write_text(">chr1\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
    (work / "guides.tsv").write_text(f"name\tspacer\ng1\t{seq[1000:1020]}\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    search = [sys.executable, "-m", "cgtsafe", "offtarget", "search", "--genome", str(work / "g.fa"), "--guides",
              str(work / "guides.tsv"), "--max-mismatches", "4", "--out", str(work / "h.tsv")]
    cmds = {"offtarget search (10 kb)": search, "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import numba'": [sys.executable, "-c", "import numba"]}
    envs = {k: env for k in cmds}
    if before is not None:  # the same search run by an older checkout's src/ (PYTHONPATH), alternating
        cmds[f"search, before ({before.name})"] = search
        envs[f"search, before ({before.name})"] = {**env, "PYTHONPATH": str(before)}
    for k, cmd in cmds.items():
        run(cmd, envs[k])
    res: dict[str, list] = {k: [] for k in cmds}
    load0 = os.getloadavg()[0]
    for _ in range(runs):
        for k, cmd in cmds.items():
            res[k].append(run(cmd, envs[k]))
    load = (load0 + os.getloadavg()[0]) / 2
    med = {k: (statistics.median(w for w, _, _ in v), statistics.median(c for _, c, _ in v)) for k, v in res.items()}
    for k, (w, c) in med.items():
        print(f"warm start: {k:28s} median wall {w:6.3f} s  cpu {c:6.3f} s  ({runs} runs)")
    s, n = med["offtarget search (10 kb)"], med["python -c 'import numba'"]
    print(f"warm start: search / import-numba peer: wall {s[0] / n[0]:.2f}  cpu {s[1] / n[1]:.2f}; "
          f"load average {load:.2f} on {os.cpu_count()} cpus")
    if importtime:
        proc = subprocess.run([sys.executable, "-X", "importtime", *search[1:]], env=env, capture_output=True,
                              text=True)
        rows = []
        for line in proc.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                _, cum, name = line.split("|")
                if cum.strip().isdigit() and not name.startswith("  "):
                    rows.append((int(cum), name.strip()))
        print("warm start: top-level imports of the search (-X importtime, cumulative ms): " +
              ", ".join(f"{n} {c / 1000:.0f}" for c, n in sorted(rows, reverse=True)[:8]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--warm-only", action="store_true", help="only the warm start line (no ../shared/data needed)")
    ap.add_argument("--importtime", action="store_true", help="also print the search's top-level import times")
    ap.add_argument("--before", type=Path, default=None, help="src/ of an older checkout: its warm start too")
    args = ap.parse_args()
    warm_start(runs=max(1, args.repeats), importtime=args.importtime, before=args.before)
    if args.warm_only:
        return 0
    if not GENOME.exists():
        print(f"../shared/data absent: {GENOME}", file=sys.stderr)
        return 1
    import pandas as pd

    cgtsafe = [sys.executable, "-m", "cgtsafe"]
    work = Path(tempfile.mkdtemp(prefix="bench_offtarget_"))
    guides = work / "guides.tsv"
    g = pd.read_csv(CASOFF / "guides.tsv", sep="\t")
    pd.DataFrame({"name": g["name"], "spacer": g["spacer_20nt"]}).to_csv(guides, sep="\t", index=False)
    threads = [] if args.threads is None else ["--threads", str(args.threads)]
    print(f"genome {GENOME.name} ({GENOME_LEN:,} bp), {len(g)} guides, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'case':34s} {'wall_s':>7s} {'cpu_s':>6s} {'rss_MiB':>7s} {'sites':>6s} {'=casoff':>7s} "
          f"{'peer_s':>6s} {'speedup':>7s} {'3.1Gb_h':>7s}")
    for name, extra, ref, peer in CASES:
        out = work / "hits.tsv"
        cmd = [*cgtsafe, "offtarget", "search", "--genome", str(GENOME), "--guides", str(guides), *extra,
               *threads, "--out", str(out)]
        run(cmd)  # warm-up (compiles the kernels into the numba cache if needed)
        walls, cpus, rss = [], [], []
        for _ in range(args.repeats):
            w, c, r = run(cmd)
            walls.append(w)
            cpus.append(c)
            rss.append(r)
        df = pd.read_csv(out, sep="\t")
        same = "-"
        if ref is not None:
            casoff = pd.read_csv(CASOFF / ref, sep="\t", header=None)
            expected = set(zip(casoff[6], casoff[2], casoff[4], casoff[5]))
            got = set(zip(df.guide, df.start, df.strand, df.mismatches))
            same = "yes" if got == expected else "NO"
        wall = statistics.median(walls)
        print(f"{name:34s} {wall:7.2f} {statistics.median(cpus):6.2f} {max(rss):7d} {len(df):6d} {same:>7s} "
              f"{peer:6.2f} {peer / wall:7.2f} {wall * HUMAN / GENOME_LEN / 3600:7.2f}", flush=True)
    # first run of a fresh install: empty numba cache
    cache = Path(tempfile.mkdtemp(prefix="numba_cache_"))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    name, extra, _, _ = CASES[0]
    cmd = [*cgtsafe, "offtarget", "search", "--genome", str(GENOME), "--guides", str(guides), *extra, *threads,
           "--out", str(work / "cold.tsv")]
    cold, _, _ = run(cmd, env)
    warm, _, _ = run(cmd, env)
    print(f"first run with an empty NUMBA_CACHE_DIR ({name}): {cold:.2f} s; second run: {warm:.2f} s; "
          f"compile cost {cold - warm:.2f} s (load average {os.getloadavg()[0]:.2f})")
    name, extra, _, _ = CASES[2]
    cmd = [*cgtsafe, "offtarget", "search", "--genome", str(GENOME), "--guides", str(guides), *extra, *threads,
           "--out", str(work / "cold.tsv")]
    cold, _, _ = run(cmd, env)
    warm, _, _ = run(cmd, env)
    print(f"first run with an empty NUMBA_CACHE_DIR ({name}): {cold:.2f} s; second run: {warm:.2f} s; "
          f"compile cost {cold - warm:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
