#!/usr/bin/env python3
"""Benchmark of the BAM region reader (``cgtsafe.io.bgzf_region``) against htslib's decoder (``RegionDecoder``).

    .venv/bin/python benchmarks/bench_bgzf_region.py [--genome-mb 10] [--coverage 30] [--workdir DIR]
        [--threads 1 2] [--repeat 1]

Uses the simulated 30x WGS pair of ``benchmarks/bench_genomewide.py`` (made once and cached in --workdir; its
BAM copies made from the CRAMs once) and runs, as whole child processes (wall, CPU and peak RSS of the child,
measured by a fresh wrapper process per run):

* ``start-up``: imports, opening both files, one 1-kb region (the fixed cost, per decoder);
* ``decode``: every region of the genome-wide scan (``plan_tasks`` chunks of 500 kb, each read with
  ``CHUNK_OVERLAP`` on both sides as ``_scan_tasks`` does) of both BAMs decoded to uncompressed BAM bytes, no
  counting: htslib (``samtools view -u`` in process, level-0 BGZF, then moved together) against the reader
  (ISA-L inflation, ``--threads`` inflating threads);
* ``count``: the same regions counted by ``count_region`` (the numba kernel) through each decoder; the
  children print a digest of all counts (bases, depth, indels, fragment spans), which must be equal.

Ratios (reader / htslib) are of the same run; the machine is shared, so wall times are noisy and CPU times the
figure to compare. Mb of genome per CPU-second is over both files (the genome-wide scan's unit). Not a test.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import hashlib, sys
import numpy as np
mode, which, threads, ref_path, tiny = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
bams = sys.argv[6:]
from cgtsafe.io.reference import ReferenceGenome
from cgtsafe.sitecheck.genomewide_call import plan_tasks
from cgtsafe.sitecheck.genomewide_count import CHUNK_OVERLAP, Params, RegionDecoder, count_region
from cgtsafe.io.bgzf_region import BamRegionReader

class Via(RegionDecoder):  # count_region takes a RegionDecoder
    def __init__(self, r):
        self._r, self.tids, self.path = r, r.tids, r.path
    def region(self, c, s, e):
        return self._r.region(c, s, e)
    def close(self):
        self._r.close()

ref = ReferenceGenome(ref_path)
params = Params()
tasks = [("chr1", 100_000, 101_000)] if tiny else plan_tasks(ref.lengths, None, params)
h = hashlib.sha256()
nbytes = 0
for bam in bams:
    dec = RegionDecoder(bam, ref) if which == "htslib" else Via(BamRegionReader(bam, threads=threads))
    with dec:
        for c, s, e in tasks:
            lo, hi = max(0, s - CHUNK_OVERLAP), min(ref.lengths[c], e + CHUNK_OVERLAP)
            if mode == "decode":
                buf, n = dec.region(c, lo, hi)
                nbytes += n
            else:
                rc = count_region(dec, ref, c, lo, hi, params, core=(s, e))
                for a in (rc.bases, rc.depth, rc.read_start, rc.read_end):
                    h.update(np.ascontiguousarray(a).tobytes())
                h.update(repr(sorted(rc.indels.items())).encode())
                h.update(repr(rc.indel_obs).encode())
print(h.hexdigest() if mode == "count" else nbytes)
"""

WRAP = r"""
import json, resource, subprocess, sys, time
t = time.time()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.time() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": p.returncode, "wall": wall, "maxrss_mb": ru.ru_maxrss / 1024, "cpu": ru.ru_utime + ru.ru_stime,
                  "out": p.stdout.strip()[-200:], "err": p.stderr.strip()[-2000:]}))
"""


def _bench_genomewide():
    spec = importlib.util.spec_from_file_location("bench_genomewide", ROOT / "benchmarks" / "bench_genomewide.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(args: list[str]) -> dict:
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-c", WRAP, sys.executable, "-c", CHILD, *args], capture_output=True,
                         text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if r["rc"] != 0:
        raise SystemExit(f"child failed ({args[:3]}):\n{r['err']}")
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genome-mb", type=int, default=10)
    ap.add_argument("--coverage", type=float, default=30)
    ap.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "cgtsafe-bench-genomewide"))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="inflating threads of the reader")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each child (the fastest CPU is shown)")
    args = ap.parse_args()
    bg = _bench_genomewide()
    d = bg.simulate(Path(args.workdir), args.genome_mb, args.coverage)
    ed, ct = bg.bam_pair(d / "sequencing")
    ref = str(d / "genome" / "ref.fa")
    mb = float(args.genome_mb)
    print(f"genome {args.genome_mb} Mb, {args.coverage:g}x, edited + control BAM ({ed.stat().st_size >> 20} + "
          f"{ct.stat().st_size >> 20} MB)")

    def best(mode: str, which: str, threads: int, tiny: bool) -> dict:
        rs = [run([mode, which, str(threads), ref, "1" if tiny else "0", str(ed), str(ct)])
              for _ in range(max(1, args.repeat))]
        return min(rs, key=lambda r: r["cpu"])

    def show(label: str, r: dict, fixed: dict | None, peer: dict | None) -> None:
        line = (f"  {label}: wall {r['wall']:.2f} s, cpu {r['cpu']:.2f} s ({mb / max(r['cpu'], 1e-9):.2f} Mb per "
                f"CPU-s), peak RSS {r['maxrss_mb']:.0f} MB")
        if fixed is not None:
            line += f"; minus start-up: cpu {r['cpu'] - fixed['cpu']:.2f} s"
        if peer is not None:
            line += (f"; ratio to htslib: cpu {r['cpu'] / max(peer['cpu'], 1e-9):.2f}, wall "
                     f"{r['wall'] / max(peer['wall'], 1e-9):.2f}")
        print(line)

    fixed = {"htslib": best("decode", "htslib", 1, True), "bgzf": best("decode", "bgzf", 1, True)}
    print("start-up (imports, open both files, one 1-kb region):")
    show("htslib RegionDecoder", fixed["htslib"], None, None)
    show("bgzf_region reader", fixed["bgzf"], None, None)
    for mode in ("decode", "count"):
        print(f"{mode} every genome-wide region of both BAMs:")
        hts = best(mode, "htslib", 1, False)
        show("htslib RegionDecoder", hts, fixed["htslib"], None)
        for th in args.threads:
            r = best(mode, "bgzf", th, False)
            show(f"bgzf_region reader threads={th}", r, fixed["bgzf"], hts)
            if mode == "decode":
                hm = (hts["cpu"] - fixed["htslib"]["cpu"])
                bm = (r["cpu"] - fixed["bgzf"]["cpu"])
                print(f"    marginal decoding CPU ratio (minus start-up) {bm / max(hm, 1e-9):.2f}; bytes htslib "
                      f"{int(hts['out']) >> 20} MB (tags but CG dropped), reader {int(r['out']) >> 20} MB (as stored)")
            else:
                print(f"    counts identical to htslib's: {r['out'] == hts['out']}")
                if r["out"] != hts["out"]:
                    return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
