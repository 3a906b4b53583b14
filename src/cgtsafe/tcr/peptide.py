"""Amino-acid alphabet, peptide validation and the numeric encoding shared by all TCR scans.

Encoding (``uint8``): the 20 standard amino acids ``ACDEFGHIKLMNPQRSTVWY`` are codes 0..19 in that
(alphabetical one-letter) order; the other letters UniProt uses in sequences (``U`` selenocysteine,
``O`` pyrrolysine, ``X`` unknown, ``B``/``Z``/``J`` ambiguous) are :data:`NONSTANDARD` (20); the
separator placed between proteins is :data:`SEPARATOR` (21). A window that contains a code >= 20 is
never reported by the motif, X-scan or similarity scans (it cannot be compared residue by residue);
such windows are counted and reported as an exclusion.
"""

from __future__ import annotations

import re

import numpy as np

from cgtsafe.errors import InputError

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
NONSTANDARD_LETTERS = "BJOUXZ"
NONSTANDARD = 20
SEPARATOR = 21
MIN_LENGTH = 8
MAX_LENGTH = 11

AA_INDEX = {aa: i for i, aa in enumerate(AMINO_ACIDS)}

#: byte -> code lookup (upper and lower case letters); everything else maps to SEPARATOR
LOOKUP = np.full(256, SEPARATOR, dtype=np.uint8)
for _i, _aa in enumerate(AMINO_ACIDS):
    LOOKUP[ord(_aa)] = _i
    LOOKUP[ord(_aa.lower())] = _i
for _aa in NONSTANDARD_LETTERS:
    LOOKUP[ord(_aa)] = NONSTANDARD
    LOOKUP[ord(_aa.lower())] = NONSTANDARD

_PEPTIDE = re.compile(f"^[{AMINO_ACIDS}]+$")
_ALLELE = re.compile(r"^(?:HLA-)?([A-Z]+[0-9]?)\*?([0-9]{2,3}):?([0-9]{2,3})$")


def validate_peptide(seq: str, *, what: str = "peptide", min_length: int = MIN_LENGTH,
                     max_length: int = MAX_LENGTH) -> str:
    """Upper-case ``seq`` and check that it is an 8-11mer of the 20 standard amino acids."""
    s = (seq or "").strip().upper()
    if not _PEPTIDE.match(s):
        bad = sorted({c for c in s if c not in AMINO_ACIDS}) or ["(empty)"]
        raise InputError(f"{what} {seq!r} contains {', '.join(map(repr, bad))}; expected only the 20 standard "
                         f"amino-acid letters {AMINO_ACIDS}")
    if not (min_length <= len(s) <= max_length):
        raise InputError(f"{what} {seq!r} has length {len(s)}; expected an HLA class I peptide of "
                         f"{min_length}-{max_length} residues")
    return s


def encode(seq: str) -> np.ndarray:
    """Codes of a validated peptide (uint8, values 0..19)."""
    return LOOKUP[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]


def normalize_allele(allele: str, *, what: str = "HLA allele") -> str:
    """``A*01:01``, ``HLA-A01:01``, ``HLA-A*01:01``, ``A0101`` -> ``HLA-A*01:01`` (two fields kept)."""
    a = (allele or "").strip().upper().replace(" ", "")
    m = _ALLELE.match(a)
    if not m:
        m2 = re.match(r"^(?:HLA-)?([A-Z]+[0-9]?)\*?([0-9]{2})([0-9]{2,3})$", a)
        if not m2:
            raise InputError(f"{what} {allele!r} is not an HLA allele name; expected e.g. HLA-A*01:01")
        m = m2
    gene, f1, f2 = m.groups()
    return f"HLA-{gene}*{f1}:{f2}"
