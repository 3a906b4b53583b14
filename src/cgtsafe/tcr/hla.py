"""HLA class I binding predictions: a built-in offline predictor, and tables supplied by the user.

Built-in predictor (default, ``--hla-predictor smmpmbec``): IEDB's SMMPMBEC position-specific scoring
matrices (Kim et al. 2009 BMC Bioinformatics 10:394), which predict an IC50 (nM) for 8-11-mers. The 171
matrices (81 alleles) ship with cgtsafe as ``cgtsafe/data/smmpmbec_class1_matrices.tsv.gz``, converted
unchanged from the epytope 4.0.1 wheel (Schubert et al. 2016 Bioinformatics 32:2044) by
``scripts/data/smmpmbec_matrices.py``; they are read once per process, their SHA-256 checked against
:data:`MATRIX_SHA256` (source, licence and checksum: ``cgtsafe/data/README_smmpmbec.md``). Nothing is
downloaded at run time and epytope is not a dependency: the converter showed that the IC50s computed here
are bit-identical to epytope's ``EpitopePredictorFactory("smmpmbec").predict`` (80,120 allele/peptide
pairs). An allele or length without a matrix is ``no_model`` (never assumed to bind or not bind).

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

import functools
import gzip
import hashlib
import math
import re
from dataclasses import dataclass
from importlib import resources
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


MATRIX_FILE = "smmpmbec_class1_matrices.tsv.gz"
#: SHA-256 of the decompressed shipped matrix table (also in ``cgtsafe/data/README_smmpmbec.md``); checked on load
MATRIX_SHA256 = "f33ad3ee1bf7a151a8d86364888b0d1ed9558935fa0bc1f34c3b804dc9aea349"
_MATRIX_COLUMNS = ["allele", "length", "position", "constant", *AMINO_ACIDS]


def matrix_path() -> Path:
    """The shipped SMMPMBEC matrix table (``cgtsafe/data/``; made by ``scripts/data/smmpmbec_matrices.py``)."""
    return Path(str(resources.files("cgtsafe") / "data" / MATRIX_FILE))


@functools.lru_cache(maxsize=4)
def load_matrices(path: str | None = None) -> dict[tuple[str, int], tuple[np.ndarray, float]]:
    """``{(allele, length): (values (length, 20) in AMINO_ACIDS order, constant)}`` from a matrix table.

    ``path`` None = the shipped table, whose SHA-256 must equal :data:`MATRIX_SHA256` (a modified or
    truncated installation is an error, never a silently different prediction). Read once per process.
    """
    shipped = path is None
    p = matrix_path() if shipped else Path(path)
    try:
        raw = gzip.decompress(p.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read the SMMPMBEC matrix table ({exc})", path=p) from None
    if shipped and hashlib.sha256(raw).hexdigest() != MATRIX_SHA256:
        raise InputError(f"SMMPMBEC matrix table has SHA-256 {hashlib.sha256(raw).hexdigest()}, expected "
                         f"{MATRIX_SHA256} (modified installation: reinstall cgtsafe)", path=p)
    rows: dict[tuple[str, int], list] = {}
    header = None
    for n, line in enumerate(raw.decode("ascii").splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        f = line.split("\t")
        if header is None:
            if f != _MATRIX_COLUMNS:
                raise InputError(f"expected columns {' '.join(_MATRIX_COLUMNS)}", path=p, line=n)
            header = f
            continue
        try:
            key, pos = (f[0], int(f[1])), int(f[2])
            vals = [float(v) for v in f[3:]]
        except ValueError:
            raise InputError("expected integer length/position and numeric values", path=p, line=n) from None
        got = rows.setdefault(key, [])
        if len(f) != len(_MATRIX_COLUMNS) or pos != len(got) + 1 or (got and vals[0] != got[0][0]):
            raise InputError(f"malformed row of the {key[0]} {key[1]}-mer matrix (24 fields, positions 1, 2, "
                             "... in order, one constant)", path=p, line=n)
        got.append(vals)
    out = {}
    for (allele, length), r in rows.items():
        if len(r) != length:
            raise InputError(f"{allele} {length}-mer matrix has {len(r)} positions", path=p)
        mat = np.array([v[1:] for v in r], dtype=np.float64)
        mat.setflags(write=False)
        out[(allele, length)] = (mat, r[0][0])
    return out


class BuiltinPredictor:
    """SMMPMBEC IC50 predictions from the shipped IEDB matrices (offline; see module docstring).

    log10 IC50 = constant + sum of the per-position values, summed position by position in the order
    epytope's ``SMMPMBEC.predict`` uses and raised with ``math.pow``, so that every IC50 is bit-identical
    to epytope 4.0.1's (checked on 80,120 allele/peptide pairs by ``scripts/data/smmpmbec_matrices.py
    --check``; epytope itself is not a dependency). Where the allele has no matrix for a peptide length,
    epytope 4.0.1's result table shows 1 nM (10**0, a spurious strong binder); cgtsafe reports
    ``no_model`` instead.
    """

    name = "SMMPMBEC"
    lengths = frozenset({8, 9, 10, 11})

    def __init__(self, path: str | Path | None = None):
        self._mats = load_matrices(str(path) if path is not None else None)
        self.alleles = frozenset(a for a, _ in self._mats)
        self._cache: dict[tuple[str, str], Prediction | None] = {}

    def supports(self, allele: str) -> bool:
        """True when the allele has a matrix for at least one peptide length."""
        return allele in self.alleles

    def matrix(self, allele: str, length: int) -> tuple[np.ndarray, float] | None:
        """``(values (length, 20) in AMINO_ACIDS order, constant)``: log10 IC50 = constant + sum of values;
        ``None`` without a matrix for that allele and length."""
        return self._mats.get((allele, length))

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
            mat, con = mc
            codes = LOOKUP[np.frombuffer("".join(peps).encode("ascii"), dtype=np.uint8)].reshape(len(peps), length)
            codes = codes.astype(np.intp)
            lg = mat[0, codes[:, 0]].copy()
            for i in range(1, length):  # position order, as epytope's Python sum()
                lg += mat[i, codes[:, i]]
            lg += con
            for p, v in zip(peps, lg.tolist()):
                self._cache[(p, allele)] = Prediction(None, math.pow(10.0, v), None, self.name)
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
