#!/usr/bin/env python3
"""Benchmark ``cgtsafe report build`` on realistically sized summaries (not a pytest test).

Writes a results folder with four computed summaries: off-target candidates (20,000 rows), site check
(5,000 rows), integration sites (200,000 rows, a realistic LAM-PCR yield for several samples) and TCR
hits (10,000 rows), each with a plotly figure (the integration figure has 200,000 points), then runs
the report build as a child process and prints wall time, peak RSS of the child and the HTML size.

    .venv/bin/python benchmarks/bench_report.py [--rows-integration 200000] [--workdir DIR] [--pdf]

With ``--pdf`` a second child builds the HTML and the PDF (WeasyPrint, static matplotlib figures); its wall
time and peak RSS are printed next to the HTML-only run (the peer in the same run), as a ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml


def write_analysis(root: Path, analysis: str, n: int, rng) -> None:
    d = root / analysis
    d.mkdir(parents=True, exist_ok=True)
    chrom = rng.integers(1, 23, n)
    start = rng.integers(0, 200_000_000, n)
    score = rng.random(n)
    with open(d / "table.tsv", "w") as fh:
        fh.write("chrom\tstart\tend\tscore\tgene\tcount\n")
        for i in range(n):
            fh.write(f"chr{chrom[i]}\t{start[i]}\t{start[i] + 1}\t{score[i]:.6g}\tGENE{i % 5000}\t{i % 97}\n")
    pts = min(n, 200_000)
    fig = {"data": [{"type": "scattergl", "mode": "markers", "x": start[:pts].tolist(), "y": score[:pts].tolist()}],
           "layout": {"title": {"text": f"{analysis}: {pts} points"}}}
    (d / "fig.json").write_text(json.dumps(fig))
    summary = {"analysis": analysis, "status": "computed", "reason": "", "verdict_level": "pass",
               "verdict_en": f"{n} rows", "verdict_zh": f"{n} 行", "key_figures": [{"label_en": "rows",
                                                                                    "label_zh": "行", "value": n}],
               "methods_en": "benchmark", "methods_zh": "基准测试", "parameters": {"n": n},
               "tables": [{"id": "table", "title_en": "table", "title_zh": "表", "path": "table.tsv"}],
               "figures": [{"id": "fig", "title_en": "figure", "title_zh": "图", "path": "fig.json"}],
               "requirements": [], "performance": [], "exclusions": [], "inputs": []}
    (d / "summary.json").write_text(json.dumps(summary))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows-integration", type=int, default=200_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--pdf", action="store_true", help="also time the build with --pdf")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_report_"))
    rng = np.random.default_rng(7)
    res = work / "results"
    for analysis, n in (("offtarget", 20_000), ("sitecheck", 5_000), ("integration", args.rows_integration),
                        ("tcr", 10_000)):
        write_analysis(res, analysis, n, rng)
    cfg = work / "config.yaml"
    cfg.write_text(yaml.safe_dump({"product": {"name": "bench", "modality": ["car_t"], "track": "nmpa_ind",
                                               "vector": "lentivirus", "run_id": "bench"},
                                   "report": {"title": "bench"}}))
    out = work / "report.html"
    cmd = [sys.executable, "-m", "cgtsafe", "report", "build", "--config", str(cfg), "--results", str(res),
           "--out", str(out), "--generated", "bench"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"command: {' '.join(cmd)}")
    print(f"rows: offtarget 20000, sitecheck 5000, integration {args.rows_integration}, tcr 10000")
    print(f"wall time: {wall:.2f} s; peak RSS (child): {peak_kb / 1024:.0f} MB; HTML: {out.stat().st_size / 1e6:.1f} MB")
    if args.pdf:
        pdf = work / "report.pdf"
        wrap = ("import resource, subprocess, sys, time, json; t = time.time(); "
                "rc = subprocess.run(sys.argv[1:]).returncode; w = time.time() - t; "
                "print(json.dumps({'rc': rc, 'wall': w, "
                "'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))")
        r = subprocess.run([sys.executable, "-c", wrap] + cmd + ["--pdf", str(pdf)], capture_output=True, text=True)
        m = json.loads(r.stdout.strip().splitlines()[-1])
        if m["rc"] != 0:
            print(r.stderr, file=sys.stderr)
            return m["rc"]
        print(f"with --pdf: wall {m['wall']:.2f} s ({m['wall'] / wall:.1f}x the HTML-only run); peak RSS "
              f"{m['rss']:.0f} MB; PDF: {pdf.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
