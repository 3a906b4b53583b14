#!/usr/bin/env python3
"""Make a human-size synthetic proteome for the TCR scan benchmark.

    python scripts/make_proteome.py --out /tmp/proteome.fasta [--proteins 20000] [--isoforms 0.1] [--seed 1]

~20,000 proteins with UniProt-style headers (``>sp|ACC|ENTRY_HUMAN ... GN=GENE ...``), residues drawn
with the approximate amino-acid composition of the human reference proteome (UniProt UP000005640),
lengths from a lognormal distribution (median ~415 aa, long tail to ~35,000 aa like titin) that gives
~11 million residues, a fraction of isoform records (``ACC-2``) and a few selenocysteines (U).
Gene symbols are taken from the shipped HPA table so that the expression annotation is exercised.
Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

import numpy as np

AA = "ACDEFGHIKLMNPQRSTVWY"
FREQ = [7.02, 2.30, 4.73, 7.10, 3.65, 6.58, 2.63, 4.33, 5.72, 9.97, 2.13, 3.59, 6.31, 4.77, 5.64, 8.33, 5.36, 5.96,
        1.22, 2.66]


def gene_symbols() -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from cgtsafe.tcr.expression import shipped_table_path

    with gzip.open(shipped_table_path(), "rt") as fh:
        next(fh)
        return sorted({ln.split("\t")[1] for ln in fh if ln.split("\t")[1]})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--proteins", type=int, default=20000, help="canonical proteins")
    ap.add_argument("--isoforms", type=float, default=0.1, help="fraction of proteins with one extra isoform")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    p = np.array(FREQ) / sum(FREQ)
    lut = np.frombuffer(AA.encode(), dtype=np.uint8)
    genes = gene_symbols()
    lengths = np.clip(np.round(rng.lognormal(np.log(415), 0.72, size=args.proteins)), 30, 35000).astype(int)
    lengths[0] = 34350  # one titin-sized protein
    iso = rng.random(args.proteins) < args.isoforms
    total = 0
    with open(args.out, "w") as out:
        for i, n in enumerate(lengths):
            seq = lut[rng.choice(20, size=int(n), p=p)].tobytes().decode()
            if rng.random() < 0.0015:
                j = int(rng.integers(n))
                seq = seq[:j] + "U" + seq[j + 1:]
            gene = genes[i % len(genes)]
            acc = f"X{i:05d}"
            recs = [(acc, seq)]
            if iso[i] and n > 60:
                cut = int(rng.integers(10, n // 3))
                recs.append((f"{acc}-2", seq[:cut] + seq[2 * cut:] if 2 * cut < n else seq[cut:]))
            for a, s in recs:
                out.write(f">sp|{a}|SYN{i:05d}_HUMAN Synthetic protein {i} OS=Homo sapiens OX=9606 GN={gene} PE=1 SV=1\n")
                for k in range(0, len(s), 60):
                    out.write(s[k:k + 60] + "\n")
                total += len(s)
    print(f"{args.out}: {args.proteins} proteins (+{int(iso.sum())} isoforms), {total:,} residues", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
