#!/usr/bin/env python3
"""Make a human-size synthetic proteome for the TCR scan benchmark and the clinical-case test.

    python scripts/make_proteome.py --out /tmp/proteome.fasta [--proteins 20000] [--isoforms 0.1] [--seed 1]
                                    [--clinical]

~20,000 proteins with UniProt-style headers (``>sp|ACC|ENTRY_HUMAN ... GN=GENE ...``), residues drawn
with the approximate amino-acid composition of the human reference proteome (UniProt UP000005640),
lengths from a lognormal distribution (median ~415 aa, long tail to ~35,000 aa like titin) that gives
~11 million residues, a fraction of isoform records (``ACC-2``) and a few selenocysteines (U).
Gene symbols are taken from the shipped HPA table (each symbol once), so the expression annotation is
the real one. Deterministic for a given seed.

``--clinical`` adds the proteins of the two fatal MAGE-A3 TCR cases (their gene symbols are then not
reused for random proteins):

* MAGEA3 (UniProt P43357, 314 aa): the published sequence, with EVDPIGHLY at 168-176 and KVAELVHFL at
  112-120 (1-based);
* MAGEA12 (P43365): 314 aa with KMAELVHFL at 112-120 (the position homologous to MAGE-A3's
  KVAELVHFL; Morgan et al. 2013 J Immunother 36:133); the rest of the sequence is synthetic because
  the published sequence could not be obtained offline;
* TTN (Q8WZ42): a titin-sized (34,350 aa) protein carrying ESDPIVAQY (Cameron et al. 2013 Sci Transl
  Med 5:197ra103) at 24,337-24,345; the rest of the sequence is synthetic for the same reason.

MAGEA9 is not added: no part of its published sequence was obtainable here.
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
#: UniProt P43357 (MAGEA3_HUMAN), sequence version 1
MAGEA3 = ("MPLEQRSQHCKPEEGLEARGEALGLVGAQAPATEEQEAASSSSTLVEVTLGEVPAAESPDPPQSPQGASSLPTTMNYPLWSQSYEDSSNQEEEGPSTFPDLESE"
          "FQAALSRKVAELVHFLLLKYRAREPVTKAEMLGSVVGNWQYFFPVIFSKASSSLQLVFGIELMEVDPIGHLYIFATCLGLSYDGLLGDNQIMPKAGLLIIVLA"
          "IIAREGDCAPEEKIWEELSVLEVFEGREDSILGDPKKLLTQHFVQENYLEYRQVPGSDPACYEFLWGPRALVETSYVKVLHHMVKISGGPHISYPPLHEWVLREGEE")
#: (gene, accession, entry, description, length, [(1-based position, peptide)], real sequence or None)
CLINICAL = [
    ("MAGEA3", "P43357", "MAGA3_HUMAN", "Melanoma-associated antigen 3", 314, [], MAGEA3),
    ("MAGEA12", "P43365", "MAGAC_HUMAN", "Melanoma-associated antigen 12 (synthetic flanks)", 314,
     [(112, "KMAELVHFL")], None),
    ("TTN", "Q8WZ42", "TITIN_HUMAN", "Titin (synthetic flanks)", 34350, [(24337, "ESDPIVAQY")], None),
]


def gene_symbols() -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from cgtsafe.tcr.expression import shipped_table_path

    with gzip.open(shipped_table_path(), "rt") as fh:
        next(fh)
        return sorted({ln.split("\t")[1] for ln in fh if ln.split("\t")[1]})


def make(out: str | Path, proteins: int = 20000, isoforms: float = 0.1, seed: int = 1, clinical: bool = False
         ) -> dict:
    """Write the FASTA; returns counts."""
    rng = np.random.default_rng(seed)
    p = np.array(FREQ) / sum(FREQ)
    lut = np.frombuffer(AA.encode(), dtype=np.uint8)
    spiked = {c[0] for c in CLINICAL} | {"MAGEA9", "MAGEA9B", "MAGEA6", "MAGEA2", "MAGEA2B"} if clinical else set()
    genes = [g for g in gene_symbols() if g not in spiked]
    lengths = np.clip(np.round(rng.lognormal(np.log(415), 0.72, size=proteins)), 30, 35000).astype(int)
    lengths[0] = 34350  # one titin-sized protein
    iso = rng.random(proteins) < isoforms
    residues = lut[rng.choice(20, size=int(lengths.sum()), p=p)].tobytes().decode()
    u_at = rng.random(proteins) < 0.0015
    u_pos = rng.random(proteins)
    cut_r = rng.random(proteins)
    total = 0
    n_rec = 0
    with open(out, "w") as fh:
        def write(acc, entry, desc, gene, seq):
            nonlocal total, n_rec
            fh.write(f">sp|{acc}|{entry} {desc} OS=Homo sapiens OX=9606 GN={gene} PE=1 SV=1\n")
            for k in range(0, len(seq), 60):
                fh.write(seq[k:k + 60] + "\n")
            total += len(seq)
            n_rec += 1

        off = 0
        for i, n in enumerate(lengths.tolist()):
            seq = residues[off:off + n]
            off += n
            if u_at[i]:
                j = int(u_pos[i] * n)
                seq = seq[:j] + "U" + seq[j + 1:]
            gene = genes[i % len(genes)]
            acc = f"X{i:05d}"
            write(acc, f"SYN{i:05d}_HUMAN", f"Synthetic protein {i}", gene, seq)
            if iso[i] and n > 60:
                cut = 10 + int(cut_r[i] * (n // 3 - 10))
                write(f"{acc}-2", f"SYN{i:05d}_HUMAN", f"Synthetic protein {i} isoform 2", gene,
                      seq[:cut] + seq[2 * cut:] if 2 * cut < n else seq[cut:])
        if clinical:
            for gene, acc, entry, desc, length, planted, real in CLINICAL:
                seq = list(real) if real else list(lut[rng.choice(20, size=length, p=p)].tobytes().decode())
                for pos, pep in planted:
                    seq[pos - 1:pos - 1 + len(pep)] = list(pep)
                write(acc, entry, desc, gene, "".join(seq))
    return {"records": n_rec, "residues": total}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--proteins", type=int, default=20000, help="canonical proteins")
    ap.add_argument("--isoforms", type=float, default=0.1, help="fraction of proteins with one extra isoform")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clinical", action="store_true", help="add MAGEA3, MAGEA12 and TTN (see module docstring)")
    args = ap.parse_args(argv)
    c = make(args.out, args.proteins, args.isoforms, args.seed, args.clinical)
    print(f"{args.out}: {c['records']} records, {c['residues']:,} residues", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
