"""Sequence similarity of a k-mer to the target peptide: Hamming distance and BLOSUM62 score.

BLOSUM62 (Henikoff & Henikoff 1992, PNAS 89:10915) is taken from Biopython
(``Bio.Align.substitution_matrices.load("BLOSUM62")``); it is not re-typed here.

``blosum`` of a k-mer ``s`` against the target ``t`` is ``sum_i w_i * B62(t_i, s_i)`` with weight
``w_i = contact_weight`` at the declared TCR contact positions (1-based) and 1 elsewhere.
``blosum_norm`` divides it by the target's weighted self-score ``sum_i w_i * B62(t_i, t_i)``, so
the target itself scores 1.0 and scores are comparable between targets of different length.
``contact_mismatches`` counts differing residues at the contact positions.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.tcr.peptide import AMINO_ACIDS


@lru_cache(maxsize=1)
def blosum62() -> np.ndarray:
    """20x20 BLOSUM62 (int) in :data:`AMINO_ACIDS` order, from Biopython."""
    from Bio.Align import substitution_matrices

    m = substitution_matrices.load("BLOSUM62")
    out = np.zeros((20, 20), dtype=np.int64)
    for i, a in enumerate(AMINO_ACIDS):
        for j, b in enumerate(AMINO_ACIDS):
            out[i, j] = int(m[a, b])
    return out


def weights(length: int, contact_positions: list[int] | None, contact_weight: float) -> np.ndarray:
    w = np.ones(length, dtype=float)
    for p in contact_positions or []:
        if not (1 <= int(p) <= length):
            raise InputError(f"contact position {p} is outside the peptide (1..{length})")
        w[int(p) - 1] = float(contact_weight)
    return w


def hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b))


def blosum_score(target: str, kmer: str, w: np.ndarray) -> float:
    b = blosum62()
    idx = {aa: i for i, aa in enumerate(AMINO_ACIDS)}
    return float(sum(w[i] * b[idx[t], idx[s]] for i, (t, s) in enumerate(zip(target, kmer))))


def self_score(target: str, w: np.ndarray) -> float:
    return blosum_score(target, target, w)


def contact_mismatches(target: str, kmer: str, contact_positions: list[int] | None) -> int:
    return sum(target[p - 1] != kmer[p - 1] for p in contact_positions or [])
