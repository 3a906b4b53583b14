"""Benchmark: pooled amplicon sequencing (many amplicons in one FASTQ) through
``cgtsafe sitecheck quantify-amplicon``, against the same reads given one FASTQ per amplicon (the peer in
the same run: the ratio is the cost of pooling). Synthetic: ``--amplicons`` random 220-bp amplicons (seed
20261205), ``--reads`` reads each, 20 % with a 1-10 bp deletion at the cut, half of the reads
reverse-complemented, 0.5 % substitution errors away from the window (reads are distinct). Checks that every read is counted for its own amplicon (truth by construction) and
prints whole-process wall time and peak RSS.

    .venv/bin/python benchmarks/bench_sitecheck_pooled.py [--amplicons 50] [--reads 400]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMP = str.maketrans("ACGT", "TGCA")


def run(cmd: list[str]) -> tuple[float, float]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--amplicons", type=int, default=50)
    ap.add_argument("--reads", type=int, default=400)
    args = ap.parse_args()
    rng = random.Random(20261205)
    cg = [sys.executable, "-m", "cgtsafe", "sitecheck"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sites = ["site_id\tchrom\tstart\tend\tstrand\tcut_start\tcut_end"]
        amps = ["amplicon\tsite_id\tchrom\tstart\tend\tsequence\tguide\tcut_offset"]
        pooled, truth = [], {}
        sheet_pool = ["sample\trole\tamplicon\tfastq\tcontrol"]
        sheet_sep = list(sheet_pool)
        for a in range(args.amplicons):
            seq = "".join(rng.choice("ACGT") for _ in range(220))
            cut = 110
            start = 1000 * a
            sites.append(f"S{a}\tchrP\t{start + cut - 17}\t{start + cut + 6}\t+\t{start + cut}\t{start + cut}")
            amps.append(f"A{a}\tS{a}\tchrP\t{start}\t{start + 220}\t{seq}\tg\t{cut}")
            own, n_del = [], 0
            for r in range(args.reads):
                s = seq
                if rng.random() < 0.2:
                    d = rng.randint(1, 10)
                    s = seq[:cut - d // 2] + seq[cut - d // 2 + d:]
                    n_del += 1
                # 0.5 % sequencing errors outside the window (distinct reads: no help from the per-read cache)
                s = "".join(rng.choice("ACGT") if rng.random() < 0.005 and abs(i - cut) > 15 else b
                            for i, b in enumerate(s))
                if r % 2:
                    s = s.translate(COMP)[::-1]
                own.append(f"@A{a}_{r}\n{s}\n+\n{'I' * len(s)}\n")
            truth[f"A{a}"] = n_del
            pooled += own
            (tmp / f"A{a}.fq").write_text("".join(own))
            for role, name in (("edited", "E"), ("control", "C")):
                ctl = "C" if role == "edited" else ""
                sheet_pool.append(f"{name}\t{role}\tA{a}\t{tmp / 'pool.fq'}\t{ctl}")
                sheet_sep.append(f"{name}\t{role}\tA{a}\t{tmp / f'A{a}.fq'}\t{ctl}")
        rng.shuffle(pooled)
        (tmp / "pool.fq").write_text("".join(pooled))
        (tmp / "sites.tsv").write_text("\n".join(sites) + "\n")
        (tmp / "amps.tsv").write_text("\n".join(amps) + "\n")
        (tmp / "pool.tsv").write_text("\n".join(sheet_pool) + "\n")
        (tmp / "sep.tsv").write_text("\n".join(sheet_sep) + "\n")
        res = {}
        for mode in ("sep", "pool"):
            out = tmp / f"{mode}_counts.tsv"
            wall, rss = run([*cg, "quantify-amplicon", "--sheet", str(tmp / f"{mode}.tsv"), "--sample", "E",
                             "--amplicons", str(tmp / "amps.tsv"), "--sites", str(tmp / "sites.tsv"),
                             "--out", str(out)])
            import pandas as pd

            df = pd.read_csv(out, sep="\t").set_index("amplicon")
            ok = all(int(df.loc[a, "reads"]) == args.reads and int(df.loc[a, "indel"]) == n for a, n in truth.items())
            res[mode] = wall
            print(f"{mode:>4}: {args.amplicons} amplicons x {args.reads} reads: wall {wall:.1f} s, "
                  f"peak RSS {rss:.0f} MB; every read counted for its own amplicon with the true class: {ok}")
        print(f"pooled / one FASTQ per amplicon wall ratio: {res['pool'] / res['sep']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
