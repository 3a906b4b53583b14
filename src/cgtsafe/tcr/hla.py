"""HLA class I binding predictions supplied by the user (cgtsafe does not run a predictor itself).

Accepted files:

1. a TSV with columns ``peptide``, ``allele`` and one or more of ``percentile_rank`` (%), ``affinity_nM``
   (IC50, nM) and ``score`` (predictor score, higher = stronger, no class threshold);
2. NetMHCpan 4.x text output (the table printed to stdout, with a header line containing ``Pos``,
   ``MHC`` and ``Peptide``; columns ``%Rank_EL`` / ``%Rank`` and, with ``-BA``, ``Aff(nM)``).

Binder classes (``hla_binder``) follow the NetMHCpan 4.1 defaults (Reynisson et al. 2020 Nucleic Acids
Res 48:W449): percentile rank <= 0.5 ``strong``, <= 2 ``weak``, else ``non_binder``; when only an affinity
is given, <= 50 nM ``strong``, <= 500 nM ``weak`` (the customary 500 nM cut-off, Sette et al. 1994
J Immunol 153:5586), else ``non_binder``; a bare ``score`` gives ``score_only``. A peptide/allele pair
absent from the file is ``not_predicted``; without any file every pair is ``unavailable`` -- never 0.

mhcnuggets was evaluated as a built-in predictor (2026-11-21): ``pip install mhcnuggets`` (2.4.1, the
latest on PyPI) ships its models inside the wheel and installs into a clean Python 3.11 environment,
but pulls tensorflow 2.21, keras 3 and varcode, and ``mhcnuggets.src.predict.predict`` then fails with
``ValueError: Argument(s) not recognized: {'lr': 0.001}`` (it was written for Keras 2). It is therefore
not offered as ``cgtsafe[hla]``; run a predictor separately (NetMHCpan, MHCflurry, mhcnuggets in its
own Keras-2 environment) and pass its table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.tcr.peptide import AMINO_ACIDS, normalize_allele

CLASS_ORDER = {"strong": 0, "weak": 1, "score_only": 2, "unavailable": 3, "not_predicted": 3, "non_binder": 4}
_PEP = re.compile(f"^[{AMINO_ACIDS}]+$")


@dataclass(frozen=True)
class Prediction:
    percentile_rank: float | None
    affinity_nM: float | None
    score: float | None

    @property
    def binder_class(self) -> str:
        if self.percentile_rank is not None:
            r = self.percentile_rank
            return "strong" if r <= 0.5 else "weak" if r <= 2.0 else "non_binder"
        if self.affinity_nM is not None:
            a = self.affinity_nM
            return "strong" if a <= 50 else "weak" if a <= 500 else "non_binder"
        return "score_only"

    def text(self) -> str:
        """Value shown in the ``hla_binding`` column, with its unit."""
        if self.percentile_rank is not None:
            return f"%rank={self.percentile_rank:.4g}"
        if self.affinity_nM is not None:
            return f"IC50={self.affinity_nM:.4g}nM"
        return f"score={self.score:.4g}"


class Predictions:
    """Lookup ``(peptide, allele) -> Prediction``; ``available`` False when no file was given."""

    def __init__(self, table: dict[tuple[str, str], Prediction] | None = None, path: str | None = None):
        self.table = table or {}
        self.path = path

    @property
    def available(self) -> bool:
        return self.path is not None

    def lookup(self, peptide: str, allele: str) -> tuple[str, str]:
        """``(hla_binding text, hla_binder class)``."""
        if not self.available:
            return "unavailable", "unavailable"
        p = self.table.get((peptide, allele))
        if p is None:
            return "not_predicted", "not_predicted"
        return p.text(), p.binder_class

    def alleles(self) -> list[str]:
        return sorted({a for _, a in self.table})


def _float(v, path, line, col):
    if v is None or str(v).strip() in ("", "NA", "nan", "-"):
        return None
    try:
        return float(v)
    except ValueError:
        raise InputError(f"column {col}: expected a number, got {v!r}", path=path, line=line) from None


def _add(table, pep, allele, pred, path, line):
    pep = pep.strip().upper()
    if not _PEP.match(pep):
        raise InputError(f"peptide {pep!r} contains non-amino-acid letters", path=path, line=line)
    allele = normalize_allele(allele, what=f"{path}, line {line}: allele")
    key = (pep, allele)
    if key in table:
        old = table[key]
        # keep the strongest evidence if the same pair is listed twice (e.g. several lengths/cores)
        def rank(p):
            return (CLASS_ORDER[p.binder_class], p.percentile_rank if p.percentile_rank is not None else 1e9,
                    p.affinity_nM if p.affinity_nM is not None else 1e12)
        if rank(pred) >= rank(old):
            return
    table[key] = pred


def _read_netmhcpan(path: Path, lines: list[str]) -> dict:
    table: dict = {}
    header = None
    for n, line in enumerate(lines, start=1):
        toks = line.split()
        if not toks or line.lstrip().startswith("#"):
            continue
        if "Pos" in toks and "Peptide" in toks and ("MHC" in toks or "HLA" in toks):
            header = toks
            continue
        if header is None or not toks[0].isdigit():
            continue
        if len(toks) < len(header) - 1:
            continue
        row = dict(zip(header, toks))
        allele = row.get("MHC", row.get("HLA"))
        rank = row.get("%Rank_EL", row.get("%Rank"))
        aff = row.get("Aff(nM)")
        score = row.get("Score_EL", row.get("Score"))
        pred = Prediction(_float(rank, path, n, "%Rank_EL"), _float(aff, path, n, "Aff(nM)"),
                          _float(score, path, n, "Score_EL"))
        _add(table, row["Peptide"], allele, pred, path, n)
    if header is None:
        raise InputError("NetMHCpan output without a header line (Pos MHC Peptide ...)", path=path)
    return table


def read_predictions(path: str | Path | None) -> Predictions:
    """Read a prediction table (TSV or NetMHCpan output); ``None`` gives an 'unavailable' lookup."""
    if path in (None, ""):
        return Predictions()
    path = Path(path)
    if not path.exists():
        raise InputError("HLA prediction table not found", path=path)
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), "")
    netmhcpan = "\t" not in first and any("Pos" in ln.split() and "Peptide" in ln.split() for ln in lines[:500])
    if netmhcpan:
        return Predictions(_read_netmhcpan(path, lines), str(path))
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    except Exception as exc:
        raise InputError(f"cannot read HLA prediction table ({str(exc).splitlines()[0]})", path=path) from None
    cols = {c.strip().lower(): c for c in df.columns}
    if "peptide" not in cols or "allele" not in cols:
        raise InputError("HLA prediction table lacks column(s) peptide/allele; expected peptide, allele and one of "
                         "percentile_rank, affinity_nM, score", path=path, line=1)
    value_cols = [c for c in ("percentile_rank", "affinity_nm", "score") if c in cols]
    if not value_cols:
        raise InputError("HLA prediction table has no value column; expected one of percentile_rank, affinity_nM, "
                         "score", path=path, line=1)
    table: dict = {}
    for n, (_, row) in enumerate(df.iterrows(), start=2):
        vals = {c: _float(row[cols[c]], path, n, cols[c]) for c in value_cols}
        pred = Prediction(vals.get("percentile_rank"), vals.get("affinity_nm"), vals.get("score"))
        if pred.percentile_rank is None and pred.affinity_nM is None and pred.score is None:
            raise InputError(f"no value in {', '.join(cols[c] for c in value_cols)}", path=path, line=n)
        _add(table, row[cols["peptide"]], row[cols["allele"]], pred, path, n)
    return Predictions(table, str(path))
