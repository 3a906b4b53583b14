#!/usr/bin/env python3
"""Benchmark: cost of the default layout preset's intSiteCaller rules (read-through ``overlap`` alignment, vector
``align`` screen; cgtsafe.integration.peer_rules) against the ``tolerant`` preset's Hamming / k-mer rules, on
INSPIIRED's validation run (10,000 read pairs, repeated ``--copies`` times), read processing only (no genome).

    .venv/bin/python benchmarks/bench_integration_presets.py [--copies 10]

Each preset runs in its own child process (whole-process wall time and peak RSS, the ratio to the peer preset in
the same run) and the curated pairs (``quality_filtered``) are checked against intSiteCaller's attrition table x
copies for the default preset (a benchmark of a wrong answer is worthless).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

CHILD = r"""
import csv, sys
from pathlib import Path
from cgtsafe.integration.callsites import call_sites
from cgtsafe.integration.layout import layout_from_mapping, read_samples
d, work, preset = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
info = list(csv.DictReader(open(d / "sampleInfo.tsv"), delimiter="\t"))
f = info[0]
layout = layout_from_mapping({"primer": f["primer"], "ltr_bit": f["ltrBit"], "linker": f["linkerSequence"],
                              "ltr_readthrough": f["largeLTRFrag"], "preset": preset})
sheet = work / "samples.tsv"
with open(sheet, "w") as fh:
    fh.write("sample\tsubject\ttimepoint\tcell_type\tbarcode\tlinker\n")
    for r in info:
        fh.write(f"{r['alias']}\t{r['alias'].rsplit('-', 1)[0]}\tNA\tcell_line\t{r['bcSeq']}\t{r['linkerSequence']}\n")
t = call_sites(read_samples(sheet, layout), layout, genome=None, vector=d / "p746vector.fasta",
               r1=work / "R1.fastq.gz", r2=work / "R2.fastq.gz", i1=work / "I1.fastq.gz")
att = t["attrition"].set_index("sample")
print(int(att.drop(index="undetermined")["barcode"].sum()), int(att["quality_filtered"].sum()))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=10)
    args = ap.parse_args()
    from _child import measure

    from cgtsafe.validation.reference import INSPIIRED, INSPIIRED_FILES, inspiired_attr_rows

    d = REPO.parent / "shared" / "data" / INSPIIRED
    if not all((d / f).exists() for f in INSPIIRED_FILES):
        print(f"reference data absent: {d}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench_presets_"))
    try:
        for name, out in zip(INSPIIRED_FILES[:3], ("I1", "R1", "R2")):
            data = gzip.decompress((d / name).read_bytes())
            with gzip.open(work / f"{out}.fastq.gz", "wb", compresslevel=1) as fh:
                for c in range(args.copies):  # unique read names per copy (R1/R2/I1 stay in sync)
                    fh.write(data.replace(b"@M00281", f"@C{c}M00281".encode()))
        pairs = 10_000 * args.copies
        expected = args.copies * sum(int(r["curated"]) for r in inspiired_attr_rows(d))
        results = {}
        for preset in ("tolerant", "intsitecaller"):  # the child warms numba's cache on the first
            subprocess.run([sys.executable, "-c", CHILD, str(d), str(work), preset], capture_output=True, check=True)
            wall, rss = measure([sys.executable, "-c", CHILD, str(d), str(work), preset])
            out = subprocess.run([sys.executable, "-c", CHILD, str(d), str(work), preset], capture_output=True,
                                 text=True, check=True).stdout.split()
            results[preset] = (wall, rss, int(out[1]))
            print(f"{preset:14s} wall {wall:6.1f} s  {pairs / wall:8.0f} pairs/s  peak RSS {rss:6.0f} MB  "
                  f"curated {out[1]}")
        ratio = results["intsitecaller"][0] / results["tolerant"][0]
        print(f"default (intsitecaller) / tolerant wall: {ratio:.2f}; curated {results['intsitecaller'][2]} vs "
              f"intSiteCaller {expected} x copies")
        if abs(results["intsitecaller"][2] - expected) > 0.05 * expected:
            print("FAIL: curated pairs off by more than 5 %")
            return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
