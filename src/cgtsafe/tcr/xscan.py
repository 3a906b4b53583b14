"""X-scan / alanine-scan matrix: reading and scoring.

An X-scan (Cameron et al. 2013 Sci Transl Med 5:197ra103; Bijen et al. 2018 Mol Ther 26:1206) measures
the TCR's response to every single-residue substitution of the index peptide, relative to the index
peptide.
The matrix file is a TSV with one row per peptide position and one column per amino acid::

    position  A     C     D    ...  Y
    1         0.8   0.6   0.9  ...  0.7
    ...

(``position`` 1..k, every position once; all 20 standard amino acids as columns; values are
relative activities >= 0, the index residue normally 1.0). The transposed layout (first column
``residue``/``aa``, columns ``1``..``k``) is accepted too. Missing positions, missing residues,
empty cells and negative or non-numeric values are errors.

Scoring of a k-mer ``s`` (``scoring``):

* ``product`` (default): ``prod_i M[i, s_i]`` -- the predicted relative activity of the k-mer if the
  single-substitution effects were independent and multiplicative. This is a simple ranking model
  (an assumption, not a measured quantity): substitutions often interact, so a passing k-mer is a
  candidate for in vitro testing, and a failing one is not proven safe;
* ``mean``: ``sum_i M[i, s_i] / k`` -- a more permissive additive score (one tolerated position
  cannot veto the k-mer).

A k-mer passes when its score is ``>= threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.tcr.peptide import AA_INDEX, AMINO_ACIDS

SCORINGS = ("product", "mean")


@dataclass(frozen=True)
class XScan:
    path: str
    matrix: np.ndarray  # float64, (k, 20), residue order AMINO_ACIDS
    scoring: str = "product"
    threshold: float = 0.1

    @property
    def length(self) -> int:
        return int(self.matrix.shape[0])

    def score(self, kmer: str) -> float:
        vals = [self.matrix[i, AA_INDEX[c]] for i, c in enumerate(kmer)]
        if self.scoring == "product":
            out = 1.0
            for v in vals:
                out *= float(v)
            return out
        return float(sum(vals)) / len(vals)

    def implied_motif_positions(self, cutoff: float | None = None) -> list[int]:
        """1-based positions where fewer than half of the residues keep activity >= ``cutoff``."""
        cutoff = self.threshold if cutoff is None else cutoff
        return [i + 1 for i in range(self.length) if (self.matrix[i] >= cutoff).sum() < 10]


def _num(value: str, path, line: int, col: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"column {col}: expected a relative activity (number >= 0), got {value!r}",
                         path=path, line=line) from None
    if not np.isfinite(x) or x < 0:
        raise InputError(f"column {col}: expected a relative activity (number >= 0), got {value!r}",
                         path=path, line=line)
    return x


def read_xscan(path: str | Path, *, length: int | None = None, scoring: str = "product",
               threshold: float = 0.1) -> XScan:
    """Read an X-scan matrix TSV (see module docstring); ``length`` = expected peptide length."""
    path = Path(path)
    if scoring not in SCORINGS:
        raise InputError(f"X-scan scoring {scoring!r} unknown; expected one of {', '.join(SCORINGS)}")
    if not path.exists():
        raise InputError("X-scan matrix not found", path=path)
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    except Exception as exc:
        raise InputError(f"cannot read X-scan matrix as TSV ({str(exc).splitlines()[0]})", path=path) from None
    if df.shape[1] < 2:
        raise InputError("X-scan matrix: expected a TSV with a 'position' column and 20 amino-acid columns",
                         path=path)
    first = str(df.columns[0]).strip().lower()
    cols = [str(c).strip() for c in df.columns]
    if first in ("residue", "aa", "amino_acid"):
        # transposed: rows = residues, columns = positions
        pos_cols = cols[1:]
        try:
            positions = [int(c) for c in pos_cols]
        except ValueError:
            raise InputError(f"X-scan matrix (residue rows): expected position columns 1..k, got {pos_cols}",
                             path=path, line=1) from None
        k = len(positions)
        if sorted(positions) != list(range(1, k + 1)):
            raise InputError(f"X-scan matrix: position columns must be 1..{k} once each, got {pos_cols}",
                             path=path, line=1)
        mat = np.full((k, 20), np.nan)
        for r, (_, row) in enumerate(df.iterrows(), start=2):
            aa = str(row.iloc[0]).strip().upper()
            if aa not in AA_INDEX:
                raise InputError(f"X-scan matrix: residue {aa!r} is not a standard amino acid", path=path, line=r)
            if not np.isnan(mat[0, AA_INDEX[aa]]):
                raise InputError(f"X-scan matrix: residue {aa} occurs twice", path=path, line=r)
            for c, p in zip(pos_cols, positions):
                mat[p - 1, AA_INDEX[aa]] = _num(row[c], path, r, c)
        missing = [AMINO_ACIDS[j] for j in range(20) if np.isnan(mat[0, j])]
        if missing:
            raise InputError(f"X-scan matrix lacks residue row(s) {', '.join(missing)}; expected all 20 amino acids",
                             path=path)
    else:
        if first != "position":
            raise InputError(f"X-scan matrix: first column must be 'position' (or 'residue' for the transposed "
                             f"layout), got {df.columns[0]!r}", path=path, line=1)
        aa_cols = {c.upper(): c0 for c, c0 in zip(cols[1:], df.columns[1:])}
        missing = [aa for aa in AMINO_ACIDS if aa not in aa_cols]
        if missing:
            raise InputError(f"X-scan matrix lacks residue column(s) {', '.join(missing)}; expected all 20 amino "
                             "acids as columns", path=path, line=1)
        extra = [c for c in aa_cols if c not in AA_INDEX]
        if extra:
            raise InputError(f"X-scan matrix: unexpected column(s) {', '.join(extra)}; expected the 20 standard "
                             "amino acids", path=path, line=1)
        rows = {}
        for r, (_, row) in enumerate(df.iterrows(), start=2):
            try:
                p = int(str(row.iloc[0]).strip())
            except ValueError:
                raise InputError(f"X-scan matrix: position {row.iloc[0]!r} is not an integer", path=path,
                                 line=r) from None
            if p in rows:
                raise InputError(f"X-scan matrix: position {p} occurs twice", path=path, line=r)
            rows[p] = [_num(row[aa_cols[aa]], path, r, aa) for aa in AMINO_ACIDS]
        k = max(rows) if rows else 0
        absent = [str(p) for p in range(1, k + 1) if p not in rows]
        if not rows or absent or min(rows) < 1:
            raise InputError(f"X-scan matrix: positions must be 1..k without gaps; missing {', '.join(absent) or 'all'}",
                             path=path)
        mat = np.array([rows[p] for p in range(1, k + 1)], dtype=float)
    if length is not None and mat.shape[0] != length:
        raise InputError(f"X-scan matrix has {mat.shape[0]} positions but the peptide has {length} residues; "
                         f"missing positions {', '.join(str(p) for p in range(mat.shape[0] + 1, length + 1))}"
                         if mat.shape[0] < length else
                         f"X-scan matrix has {mat.shape[0]} positions but the peptide has {length} residues",
                         path=path)
    return XScan(path=str(path), matrix=mat, scoring=scoring, threshold=float(threshold))
