"""Normal-tissue expression profile of a CAR/TCR target antigen (004 九（一）, R004-24).

Data: an HPA-layout consensus tissue table (nTPM per gene x tissue; the shipped copy is the Human
Protein Atlas consensus tissue table, Uhlén et al. 2015 Science 347:1260419, CC BY-SA 4.0; see
``cgtsafe/data/README_hpa.md``), read with :func:`cgtsafe.tcr.expression.read_expression`.

A target is given as a gene symbol (``CD19``), an Ensembl gene ID (``ENSG00000177455``, looked up in
the table's ``ensembl_id`` column) or a UniProt accession (``P15391``, resolved to a symbol through
the ``GN=`` field of a UniProt FASTA passed as ``proteome``). A target that cannot be resolved or is
not in the table gets status ``not_resolved`` / ``not_in_table``: its expression is *unknown*, never 0.

Tier rule (monotone: more expression or a positive sponsor study never lowers the tier). ``m`` is the
highest nTPM over the vital tissues the table measures; ``positive_vital`` is a sponsor IHC / tissue
cross-reactivity row with result ``positive`` in a vital tissue:

====  =====================  =====================================================================
tier  name                   rule
====  =====================  =====================================================================
4     ``vital_high``         m >= ``high_ntpm`` (default 10 nTPM)
3     ``vital_expressed``    m >= ``detected_ntpm`` (default 1 nTPM, HPA "detected"), or positive_vital
2     ``vital_low``          0 < m < ``detected_ntpm``
1     ``vital_not_detected`` m == 0 in every measured vital tissue (bulk data cannot exclude rare cells)
0     ``unavailable``        not resolved / not in the table / no vital tissue measured
====  =====================  =====================================================================

Every vital tissue with m > 0 is listed with its value (low-level ones included: ERBB2 on lung
epithelium was lethal at a level called "low", Morgan 2010).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.tcr.expression import ExpressionTable

TIER_NAMES = {4: "vital_high", 3: "vital_expressed", 2: "vital_low", 1: "vital_not_detected", 0: "unavailable"}
TIER_EN = {
    4: "expressed in a vital tissue at a high level",
    3: "expressed in a vital tissue",
    2: "low-level expression in a vital tissue",
    1: "not detected in any vital tissue in bulk data (rare cell types cannot be excluded)",
    0: "expression unknown (target not in the table or not resolved)",
}
TIER_ZH = {
    4: "在重要组织中高表达",
    3: "在重要组织中表达",
    2: "在重要组织中低水平表达",
    1: "整体组织数据中任何重要组织均未检出（不能排除稀有细胞类型表达）",
    0: "表达未知（靶点不在表中或无法解析）",
}

#: tissues of the HPA consensus set that on-target toxicities of immune-cell therapies involve; when a
#: table lacks one of them the output says so (expression there is unknown, not zero)
EXPECTED_TISSUES = {
    "Bone Marrow": "haematopoietic progenitors, plasma cells",
    "Lymph Node": "B and T lymphocytes",
    "Thymus": "developing T cells",
    "Tonsil": "B and T lymphocytes, squamous epithelium",
    "Appendix": "lymphoid follicles",
    "Gallbladder": "biliary epithelium",
    "Heart Muscle": "cardiomyocytes",
    "Lung": "airway and alveolar epithelium",
    "Liver": "hepatocytes, bile duct epithelium",
    "Kidney": "tubular epithelium",
}

_ENSG = re.compile(r"^ENSG[0-9]{11}(\.[0-9]+)?$")
_UNIPROT = re.compile(r"^([OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9]([A-Z][A-Z0-9]{2}[0-9]){1,2})(-[0-9]+)?$")


@dataclass
class Target:
    name: str
    query: str
    symbol: str = ""
    how: str = ""  # symbol | ensembl | uniprot
    status: str = ""  # found | not_in_table | not_resolved


@dataclass
class Profile:
    target: Target
    values: np.ndarray | None  # nTPM per table tissue (NaN = not measured)
    tier: int
    max_vital_ntpm: float | None
    max_vital_tissue: str
    max_ntpm: float | None
    max_tissue: str
    vital_detected: list[tuple[str, float]] = field(default_factory=list)  # every vital tissue > 0, descending
    sponsor_positive_vital: list[str] = field(default_factory=list)


def ensembl_symbols(path: str | Path) -> dict[str, str]:
    """``ensembl_id`` (version stripped) -> symbol from an HPA-layout table."""
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, usecols=["ensembl_id", "gene_donor"])
    return {e.split(".")[0]: s for e, s in zip(df["ensembl_id"], df["gene_donor"]) if e and s}


def uniprot_symbols(path: str | Path) -> dict[str, str]:
    """Canonical UniProt accession -> gene symbol (``GN=``) from a UniProt FASTA (headers only)."""
    from cgtsafe.io.fasta import open_text_bytes
    from cgtsafe.tcr.proteome import parse_header

    out: dict[str, str] = {}
    p = Path(path)
    if not p.exists():
        raise InputError("UniProt FASTA (antigen.proteome) not found", path=p)
    with open_text_bytes(p) as fh:
        for raw in fh:
            if raw.startswith(b">"):
                acc, _entry, gene, _desc = parse_header(raw[1:].decode("utf-8", "replace").strip())
                if gene:
                    out.setdefault(acc.split("-")[0], gene)
    return out


def resolve(name: str, query: str, table: ExpressionTable, ensembl: dict[str, str],
            uniprot: dict[str, str] | None) -> Target:
    q = query.strip()
    t = Target(name=name, query=q)
    if _ENSG.match(q):
        t.how = "ensembl"
        t.symbol = ensembl.get(q.split(".")[0], "")
        t.status = "found" if t.symbol and t.symbol in table.genes else "not_in_table"
        return t
    if q in table.genes:
        t.how, t.symbol, t.status = "symbol", q, "found"
        return t
    if _UNIPROT.match(q):
        t.how = "uniprot"
        if uniprot is None:
            t.status = "not_resolved"
            return t
        t.symbol = uniprot.get(q.split("-")[0], "")
        if not t.symbol:
            t.status = "not_resolved"
        else:
            t.status = "found" if t.symbol in table.genes else "not_in_table"
        return t
    t.how, t.symbol, t.status = "symbol", q, "not_in_table"
    return t


def tier_of(max_vital: float | None, positive_vital: bool, *, detected_ntpm: float, high_ntpm: float) -> int:
    """The documented monotone tier rule (module docstring)."""
    if max_vital is None or np.isnan(max_vital):
        return 3 if positive_vital else 0
    if max_vital >= high_ntpm:
        return 4
    if max_vital >= detected_ntpm or positive_vital:
        return 3
    if max_vital > 0:
        return 2
    return 1


def profile(target: Target, table: ExpressionTable, vital: list[str], *, detected_ntpm: float = 1.0,
            high_ntpm: float = 10.0, sponsor_positive_vital: list[str] | None = None) -> Profile:
    pos = sorted(set(sponsor_positive_vital or []))
    if target.status != "found":
        return Profile(target, None, tier_of(None, bool(pos), detected_ntpm=detected_ntpm, high_ntpm=high_ntpm),
                       None, "", None, "", [], pos)
    prof = table.genes[target.symbol]
    vidx = [table.tissues.index(t) for t in vital]
    vvals = prof[vidx]
    if np.isnan(vvals).all():
        mv, mt = None, ""
    else:
        j = int(np.nanargmax(vvals))
        mv, mt = float(vvals[j]), vital[j]
    if np.isnan(prof).all():
        mx, mxt = None, ""
    else:
        k = int(np.nanargmax(prof))
        mx, mxt = float(prof[k]), table.tissues[k]
    detected = sorted(((t, float(v)) for t, v in zip(vital, vvals) if not np.isnan(v) and v > 0),
                      key=lambda tv: (-tv[1], vital.index(tv[0])))
    tier = tier_of(mv, bool(pos), detected_ntpm=detected_ntpm, high_ntpm=high_ntpm)
    return Profile(target, prof, tier, mv, mt, mx, mxt, detected, pos)


def published_cases() -> pd.DataFrame:
    """Shipped, cited on-target/off-tumour findings (``cgtsafe/data/antigen_published_cases.tsv``)."""
    path = Path(str(resources.files("cgtsafe") / "data" / "antigen_published_cases.tsv"))
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def fmt_ntpm(v: float) -> str:
    return f"{v:.1f}" if v >= 0.1 or v == 0 else f"{v:.2g}"
