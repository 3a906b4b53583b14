#!/usr/bin/env python3
"""Benchmark: reads -> fragments (`cgtsafe integration call-sites`) on ~1 million read pairs per sample.

    .venv/bin/python benchmarks/bench_integration_reads.py [--samples 1] [--pairs 1000000] [--threads 2]
                                                            [--workdir DIR] [--keep] [--reuse]

The run is simulated with the test-data simulator (scripts/testdata/integration.py, same layout, clones,
and read classes as test-data/integration, scaled up) on test-data/genome/ref.fa. The whole
``cgtsafe integration call-sites`` process is timed; the script prints wall time, read pairs per
second and the peak RSS of the child process (``/usr/bin/time -f %M``; ``getrusage(RUSAGE_CHILDREN)``
when it is absent), and checks
the attrition against the simulator's truth (a benchmark of a wrong answer is worthless).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1, choices=(1, 2, 3))
    ap.add_argument("--pairs", type=int, default=1_000_000, help="approximate read pairs per sample")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="reuse an already simulated run in --workdir")
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

    cmd = [sys.executable, "-m", "cgtsafe", "integration", "call-sites", "--samples", str(data / "samples.tsv"),
           "--layout", str(data / "layout.yaml"), "--r1", str(data / "R1.fastq.gz"), "--r2", str(data / "R2.fastq.gz"),
           "--i1", str(data / "I1.fastq.gz"), "--genome", str(genome_fa), "--vector", str(data / "vector.fa"),
           "--threads", str(args.threads), "--out-dir", str(work / "out")]
    # peak RSS: /usr/bin/time measures the exec'ed process itself; getrusage(RUSAGE_CHILDREN) would also
    # count the pages of this (large, simulating) parent touched by the child between fork and exec
    timefile = work / "time.txt"
    wrapper = ["/usr/bin/time", "-f", "%M", "-o", str(timefile)] if Path("/usr/bin/time").exists() else []
    t1 = time.time()
    subprocess.run(wrapper + cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.time() - t1
    if wrapper:
        peak_mb = int(timefile.read_text().split()[-1]) / 1024
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    att = pd.read_csv(work / "out" / "attrition.tsv", sep="\t").set_index("sample")
    truth = pd.read_csv(data / "truth_attrition.tsv", sep="\t").set_index("sample")
    cols = [c for c in att.columns if c in truth.columns]
    mismatch = (att[cols] != truth.loc[att.index, cols]).any(axis=1)
    pairs = int(att["reads"].iloc[0])
    print(f"command: {' '.join(wrapper + cmd)}")
    print(f"samples={args.samples} read_pairs={pairs} threads={args.threads}")
    print(f"wall_time_s={wall:.1f} pairs_per_s={pairs / wall:.0f} peak_rss_mb={peak_mb:.0f}")
    print(f"attrition equals simulated truth: {not mismatch.any()}")
    print(att.to_string())
    if not args.keep and not args.workdir:
        shutil.rmtree(work)
    return 0 if not mismatch.any() else 1


if __name__ == "__main__":
    raise SystemExit(main())
