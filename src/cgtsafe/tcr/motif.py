"""Minimal recognition motif: parsing and the per-position allowed-residue masks.

Accepted notations (case-insensitive; whitespace ignored):

* PROSITE-like, positions separated by ``-``: ``x-x-D-P-I-x-x-x-Y``; a position is a residue
  (``D``), ``x`` (any standard residue), a set ``[ST]`` (any of S, T) or an exclusion ``{P}``
  (anything but P). A repeat ``x(3)`` expands to three positions.
* Compact, one character or bracketed set per position: ``XXDPIXXXY``, ``xx[DE]PIxxxY``. In the
  compact form ``X`` means "any"; it is only accepted when unambiguous, i.e. when the pattern
  contains no ``-`` and every letter is a single position.

Tokens other than the 20 standard amino acids, ``x``/``X``, ``[..]``, ``{..}`` and ``(n)`` repeats
are rejected with an :class:`~cgtsafe.errors.InputError` naming the token.

A motif is represented as a boolean matrix ``allowed[position, residue]`` (positions x 20, residue
order :data:`cgtsafe.tcr.peptide.AMINO_ACIDS`). "Constrained" positions are those that do not allow
all 20 residues; they are the motif's (putative) TCR/HLA contact residues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.tcr.peptide import AA_INDEX, AMINO_ACIDS

_TOKEN = re.compile(r"^(?:(?P<any>[xX])|(?P<aa>[A-Za-z])|\[(?P<set>[A-Za-z]+)\]|\{(?P<excl>[A-Za-z]+)\})"
                    r"(?:\((?P<rep>[0-9]+)\))?$")
_COMPACT = re.compile(r"[xX]|[A-Za-z]|\[[A-Za-z]+\]|\{[A-Za-z]+\}|.")


@dataclass(frozen=True)
class Motif:
    pattern: str
    allowed: np.ndarray  # bool, (k, 20)

    @property
    def length(self) -> int:
        return int(self.allowed.shape[0])

    @property
    def constrained_positions(self) -> list[int]:
        """1-based positions that restrict the residue."""
        return [i + 1 for i in range(self.length) if not self.allowed[i].all()]

    def matches(self, kmer: str) -> bool:
        if len(kmer) != self.length:
            return False
        for i, c in enumerate(kmer):
            j = AA_INDEX.get(c)
            if j is None or not self.allowed[i, j]:
                return False
        return True

    def canonical(self) -> str:
        """PROSITE-like canonical text of the motif (``x-x-D-P-I-x-x-x-Y``)."""
        parts = []
        for row in self.allowed:
            n = int(row.sum())
            letters = "".join(AMINO_ACIDS[j] for j in range(20) if row[j])
            if n == 20:
                parts.append("x")
            elif n == 1:
                parts.append(letters)
            elif n <= 10:
                parts.append(f"[{letters}]")
            else:
                parts.append("{" + "".join(AMINO_ACIDS[j] for j in range(20) if not row[j]) + "}")
        return "-".join(parts)


def _letters(text: str, token: str, pattern: str) -> list[int]:
    out = []
    for c in text.upper():
        if c not in AA_INDEX:
            raise InputError(f"motif {pattern!r}: token {token!r} contains {c!r}, which is not one of the 20 "
                             f"standard amino acids {AMINO_ACIDS}")
        out.append(AA_INDEX[c])
    return out


def _row_for(token: str, pattern: str) -> tuple[np.ndarray, int]:
    m = _TOKEN.match(token)
    if not m:
        raise InputError(f"motif {pattern!r}: unknown token {token!r}; expected a residue (D), x (any), a set [ST], "
                         "an exclusion {P} or a repeat x(3)")
    row = np.zeros(20, dtype=bool)
    if m.group("any"):
        row[:] = True
    elif m.group("aa"):
        row[_letters(m.group("aa"), token, pattern)] = True
    elif m.group("set"):
        row[_letters(m.group("set"), token, pattern)] = True
    else:
        row[:] = True
        row[_letters(m.group("excl"), token, pattern)] = False
        if not row.any():
            raise InputError(f"motif {pattern!r}: token {token!r} excludes every amino acid")
    rep = int(m.group("rep") or 1)
    if rep < 1:
        raise InputError(f"motif {pattern!r}: token {token!r} repeats 0 times")
    return row, rep


def parse_motif(pattern: str) -> Motif:
    """Parse a motif in PROSITE-like or compact notation (see module docstring)."""
    text = re.sub(r"\s+", "", pattern or "")
    if not text:
        raise InputError("motif is empty; expected e.g. x-x-D-P-I-x-x-x-Y or XXDPIXXXY")
    if "-" in text:
        tokens = text.split("-")
        if any(t == "" for t in tokens):
            raise InputError(f"motif {pattern!r}: empty position between '-' separators")
    else:
        tokens = _COMPACT.findall(text)
        if "".join(tokens) != text:
            raise InputError(f"motif {pattern!r} cannot be split into positions")
        for t in tokens:
            if len(t) == 1 and not t.isalpha():
                raise InputError(f"motif {pattern!r}: unknown token {t!r}; expected residues, x, [..] sets or {{..}}")
    rows = []
    for tok in tokens:
        row, rep = _row_for(tok, pattern)
        rows.extend([row] * rep)
    allowed = np.array(rows, dtype=bool)
    return Motif(pattern=pattern, allowed=allowed)


def check_peptide_fits(motif: Motif, peptide: str, *, strict: bool = False) -> bool:
    """Raise if the motif length differs from the peptide's; return whether the peptide satisfies it.

    With ``strict`` a target peptide that does not satisfy its own motif is an error.
    """
    if motif.length != len(peptide):
        raise InputError(f"motif {motif.pattern!r} has {motif.length} positions but peptide {peptide!r} has "
                         f"{len(peptide)} residues; the motif must describe the target peptide")
    ok = motif.matches(peptide)
    if strict and not ok:
        raise InputError(f"peptide {peptide!r} does not satisfy its own recognition motif {motif.pattern!r}")
    return ok
