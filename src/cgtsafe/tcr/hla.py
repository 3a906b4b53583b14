"""HLA class I binding predictions: a built-in offline predictor, and tables supplied by the user.

Built-in predictor (default, ``--hla-predictor smmpmbec``): IEDB's SMMPMBEC position-specific scoring
matrices (Kim et al. 2009 BMC Bioinformatics 10:394), which predict an IC50 (nM) for 8-11-mers; run
through epytope 4 (``epytope.EpitopePrediction.EpitopePredictorFactory("smmpmbec")``; Schubert et al.
2016 Bioinformatics 32:2044, the FRED 2 framework it continues), a PyPI package whose matrices are part
of the wheel -- nothing is downloaded at run time. The matrices are read from the package and scored
with numpy (identical results, checked by the tests). An allele or length without a matrix is
``no_model`` (never assumed to bind or not bind).

Chosen on 2026-12-05 by measured accuracy on the peptides of the two clinical MAGE-A3 cases and two
classic epitopes (IC50 nM; binder = <= 500 nM):

=============  ===========  ===========  ===============================
peptide        A*01:01      A*02:01      truth
=============  ===========  ===========  ===============================
EVDPIGHLY      146          302,294      A*01:01 binder (MAGE-A3)
ESDPIVAQY      201          987,256      A*01:01 binder (titin)
KVAELVHFL      14,204       51           A*02:01 binder (MAGE-A3)
KMAELVHFL      14,874       6            A*02:01 binder (MAGE-A12)
NLVPMVATV      97,818       63           A*02:01 binder (CMV pp65)
GILGFVFTL      101,958      46           A*02:01 binder (influenza M1)
=============  ===========  ===========  ===============================

SMMPMBEC and SMM classify all twelve pairs correctly; ARB too; BIMAS and SYFPEITHI give scores
without a calibrated binder cut-off. SMMPMBEC was taken because its prior (the PMBEC amino-acid
similarity) improves the matrices of alleles with few measured peptides. mhcnuggets 2.4.1 (PyPI)
ships its network weights; under Keras 3 its ``predict`` fails (``Argument(s) not recognized: {'lr':
0.001}``, measured 2026-11-21), and it runs once ``keras`` is pointed at ``tf-keras`` (Keras 2 API, as
reported in issue #12; not re-measured here) -- but it needs TensorFlow (hundreds of MB), too heavy for
a ranking annotation; MHCflurry downloads its models at run time and is excluded. The test
``tests/test_tcr_hla.py`` re-measures the table above.

A user table takes precedence (a pair found there is taken from it; pairs absent from it fall back to
the built-in predictor, and the text says which source was used). Accepted files:

1. a TSV with columns ``peptide``, ``allele`` and one or more of ``percentile_rank`` (%), ``affinity_nM``
   (IC50, nM) and ``score`` (predictor score, higher = stronger, no class threshold);
2. NetMHCpan 4.x text output (the table printed to stdout, with a header line containing ``Pos``,
   ``MHC`` and ``Peptide``; columns ``%Rank_EL`` / ``%Rank`` and, with ``-BA``, ``Aff(nM)``).

Binder classes (``hla_binder``) follow the NetMHCpan 4.1 defaults (Reynisson et al. 2020 Nucleic Acids
Res 48:W449): percentile rank <= 0.5 ``strong``, <= 2 ``weak``, else ``non_binder``; when only an affinity
is given (and for the built-in predictor), <= 50 nM ``strong``, <= 500 nM ``weak`` (the customary 500 nM
cut-off, Sette et al. 1994 J Immunol 153:5586), else ``non_binder``; a bare ``score`` gives
``score_only``. Without a table and with ``--hla-predictor none`` every pair is ``unavailable``.

Default allele panel (:data:`CHINESE_PANEL`): the most frequent HLA-A, -B and -C alleles of the Chinese
population in the China Marrow Donor Program registry (169,995 volunteers; Zhou et al. 2015 PLoS ONE
10:e0139485).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.tcr.peptide import AMINO_ACIDS, LOOKUP, normalize_allele

CLASS_ORDER = {"strong": 0, "weak": 1, "score_only": 2, "unavailable": 3, "not_predicted": 3, "no_model": 3,
               "non_binder": 4}
PREDICTORS = ("smmpmbec", "none")
#: common class I alleles of the Chinese population (Zhou et al. 2015 PLoS ONE 10:e0139485, CMDP)
CHINESE_PANEL = (
    "HLA-A*11:01", "HLA-A*24:02", "HLA-A*02:01", "HLA-A*02:07", "HLA-A*33:03", "HLA-A*30:01", "HLA-A*02:06",
    "HLA-B*46:01", "HLA-B*40:01", "HLA-B*58:01", "HLA-B*13:02", "HLA-B*15:01", "HLA-B*51:01",
    "HLA-C*01:02", "HLA-C*07:02", "HLA-C*03:04", "HLA-C*08:01", "HLA-C*06:02",
)
_PEP = re.compile(f"^[{AMINO_ACIDS}]+$")


@dataclass(frozen=True)
class Prediction:
    percentile_rank: float | None
    affinity_nM: float | None
    score: float | None
    source: str = ""  # "" = the user's table; else the built-in method name

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
        tag = f" ({self.source})" if self.source else ""
        if self.percentile_rank is not None:
            return f"%rank={self.percentile_rank:.4g}{tag}"
        if self.affinity_nM is not None:
            return f"IC50={self.affinity_nM:.4g}nM{tag}"
        return f"score={self.score:.4g}{tag}"


class BuiltinPredictor:
    """SMMPMBEC IC50 predictions from the matrices shipped in epytope (offline; see module docstring).

    The matrix modules are read directly (``epytope.Data.pssms.smmpmbec.mat``; log10 IC50 = constant +
    sum of the per-position values) and scored with numpy, which avoids importing epytope's prediction
    framework (~1 s) and scores thousands of peptides at once; ``tests/test_tcr_hla.py`` checks that
    the result equals ``EpitopePredictorFactory("smmpmbec").predict``. Where the allele has no matrix for
    a peptide length, epytope 4.0.1's result table shows 1 nM (10**0, a spurious strong binder); cgtsafe
    reports ``no_model`` instead.
    """

    name = "SMMPMBEC"
    lengths = frozenset({8, 9, 10, 11})

    def __init__(self):
        import importlib

        mod = importlib.import_module("epytope.Data.supportedAlleles.pssm.smmpmbec_1_0")
        self.alleles = {str(a) for a in mod.smmpmbec_1_0}
        self._cache: dict[tuple[str, str], Prediction | None] = {}
        self._mats: dict[tuple[str, int], tuple[np.ndarray, float] | None] = {}

    def supports(self, allele: str) -> bool:
        return allele in self.alleles

    def matrix(self, allele: str, length: int) -> tuple[np.ndarray, float] | None:
        """``(values (length, 20) in AMINO_ACIDS order, constant)``: log10 IC50 = constant + sum of values;
        ``None`` without a matrix for that allele and length."""
        import importlib

        key = (allele, length)
        if key in self._mats:
            return self._mats[key]
        out = None
        if self.supports(allele) and length in self.lengths:
            gene, rest = allele.removeprefix("HLA-").split("*")
            name = f"{gene}_{rest.replace(':', '_')}_{length}"
            try:
                d = getattr(importlib.import_module(f"epytope.Data.pssms.smmpmbec.mat.{name}"), name)
                mat = np.array([[float(d[i][aa]) for aa in AMINO_ACIDS] for i in range(length)])
                out = (mat, float(d[-1]["con"]) if -1 in d else 0.0)
            except (ImportError, AttributeError, KeyError):
                out = None
        self._mats[key] = out
        return out

    def predict(self, peptides, allele: str) -> dict[str, Prediction | None]:
        """IC50 per peptide for one allele; ``None`` = no model for that allele/length."""
        todo = sorted({p for p in peptides if (p, allele) not in self._cache})
        by_len: dict[int, list[str]] = {}
        for p in todo:
            by_len.setdefault(len(p), []).append(p)
        for length, peps in by_len.items():
            mc = self.matrix(allele, length)
            if mc is None:
                self._cache.update({(p, allele): None for p in peps})
                continue
            codes = LOOKUP[np.frombuffer("".join(peps).encode("ascii"), dtype=np.uint8)].reshape(len(peps), length)
            lg = mc[1] + mc[0][np.arange(length)[None, :], codes.astype(np.intp)].sum(axis=1)
            for p, v in zip(peps, np.power(10.0, lg).tolist()):
                self._cache[(p, allele)] = Prediction(None, float(v), None, self.name)
        return {p: self._cache[(p, allele)] for p in peptides}

    def cached(self, peptide: str, allele: str):
        key = (peptide, allele)
        return self._cache[key] if key in self._cache else self.predict([peptide], allele)[peptide]


class Predictions:
    """Lookup ``(peptide, allele) -> Prediction``; ``available`` False when no file was given."""

    def __init__(self, table: dict[tuple[str, str], Prediction] | None = None, path: str | None = None,
                 builtin: BuiltinPredictor | None = None):
        self.table = table or {}
        self.path = path
        self.builtin = builtin

    @property
    def available(self) -> bool:
        return self.path is not None or self.builtin is not None

    def prepare(self, peptides, alleles) -> None:
        """Batch-predict (built-in) every pair not in the user's table, so that lookups are cheap."""
        if self.builtin is None:
            return
        peps = sorted(set(peptides))
        for allele in alleles:
            self.builtin.predict([p for p in peps if (p, allele) not in self.table], allele)

    def lookup(self, peptide: str, allele: str) -> tuple[str, str]:
        """``(hla_binding text, hla_binder class)``."""
        if not self.available:
            return "unavailable", "unavailable"
        p = self.table.get((peptide, allele))
        if p is None and self.builtin is not None:
            p = self.builtin.cached(peptide, allele)
            if p is None:
                return f"no {self.builtin.name} model for {allele} {len(peptide)}-mers", "no_model"
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


def read_predictions(path: str | Path | None, predictor: str = "none") -> Predictions:
    """Read a prediction table (TSV or NetMHCpan output) and/or set up the built-in predictor.

    ``path`` None and ``predictor`` "none" give an 'unavailable' lookup.
    """
    if predictor not in PREDICTORS:
        raise InputError(f"HLA predictor {predictor!r} unknown; expected one of {', '.join(PREDICTORS)}")
    builtin = BuiltinPredictor() if predictor == "smmpmbec" else None
    if path in (None, ""):
        return Predictions(builtin=builtin)
    path = Path(path)
    if not path.exists():
        raise InputError("HLA prediction table not found", path=path)
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), "")
    netmhcpan = "\t" not in first and any("Pos" in ln.split() and "Peptide" in ln.split() for ln in lines[:500])
    if netmhcpan:
        return Predictions(_read_netmhcpan(path, lines), str(path), builtin)
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
    return Predictions(table, str(path), builtin)
