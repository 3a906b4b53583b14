#!/usr/bin/env python3
"""Benchmark: `cgtsafe tcr scan` on a human-size proteome (whole-proteome similarity ranking, built-in HLA).

    .venv/bin/python benchmarks/bench_tcr.py [--proteome /tmp/bench_tcr_clinical.fasta] [--repeats 3]

Makes the proteome with scripts/make_proteome.py --clinical when absent (20,000 proteins + ~2,000
isoforms with human amino-acid composition and real HPA gene symbols, ~11.6 M residues, plus MAGEA3,
MAGEA12 and TTN), then runs the whole CLI process for three configurations and prints the wall time and
the peak RSS of each child process (os.wait4 resource usage):

* ``motif+xscan``: the demo target EVDPIGHLY / HLA-A*01:01 with motif, X-scan, Hamming radius 3 and the
  ranked similarity scan (top 500, plus the top 500 among predicted binders), built-in SMMPMBEC binding
  for the restricting allele and the default 18-allele Chinese panel, shipped HPA expression;
* ``no-tcr-info``: the same without motif and X-scan (similarity ranking only);
* ``a2-kvae``: KVAELVHFL / HLA-A*02:01 (the MAGE-A12 case).

Target (issue #12): < 10 s per scan on 2 cores. No peer tool is installed here, so no ratio is printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(cmd: list[str]) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t0
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return dt, usage.ru_maxrss / 1024, out.strip()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proteome", default="/tmp/bench_tcr_clinical.fasta")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    prot = Path(args.proteome)
    if not prot.exists():
        spec = importlib.util.spec_from_file_location("make_proteome", REPO / "scripts" / "make_proteome.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        c = mod.make(prot, clinical=True)
        print(f"made {prot}: {c['records']:,} records, {c['residues']:,} residues")
    td = REPO / "test-data" / "tcr"
    configs = {
        "motif+xscan": ["--peptide", "EVDPIGHLY", "--hla", "HLA-A*01:01", "--source", "MAGEA3", "--motif",
                        "x-x-D-P-I-x-x-x-Y", "--xscan", str(td / "xscan.tsv")],
        "no-tcr-info": ["--peptide", "EVDPIGHLY", "--hla", "HLA-A*01:01", "--source", "MAGEA3"],
        "a2-kvae": ["--peptide", "KVAELVHFL", "--hla", "HLA-A*02:01", "--source", "MAGEA3"],
    }
    print(f"proteome: {prot} ({prot.stat().st_size / 1e6:.1f} MB); {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in configs.items():
            walls, rss = [], []
            for r in range(args.repeats):
                cmd = [sys.executable, "-m", "cgtsafe", "tcr", "scan", "--proteome", str(prot), *extra,
                       "--out", f"{tmp}/hits.tsv", "--candidates", f"{tmp}/cand.tsv", "--panel-out",
                       f"{tmp}/panel.tsv", "--stats", f"{tmp}/stats.json"]
                dt, mb, out = _run(cmd)
                walls.append(dt)
                rss.append(mb)
                if r == 0:
                    print(f"  {name}: {out}")
            print(f"{name}: wall min {min(walls):.2f} s, max {max(walls):.2f} s over {len(walls)} runs "
                  f"(target < 10 s); peak RSS {max(rss):.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
