"""Normal-tissue expression of the source genes of scan hits.

Default table: the Human Protein Atlas consensus tissue expression (nTPM per gene and tissue, 37
tissues) shipped as ``cgtsafe/data/hpa_consensus_tissue_ntpm.tsv.gz`` (see
``cgtsafe/data/README_hpa.md``: HPA, CC BY-SA 4.0; Uhlen et al. 2015 Science 347:1260419). A user table
must have the same layout: columns ``ensembl_id``, ``gene_donor`` (gene symbol) and one numeric column
per tissue; the HPA annotation columns ``Group``, ``spec_degree`` and ``tissues`` are ignored when
present. Genes are matched on the symbol from the FASTA ``GN=`` field, case-sensitively. When a symbol
has several rows (several Ensembl IDs), the per-tissue maximum is used (conservative).

A gene that is not in the table, or a protein without ``GN=``, has expression ``unavailable`` (empty
cells), never 0. Empty cells in the table mean "not measured" (the HPA table has 325 genes measured
in only a few tissues) and are skipped; a gene without any vital-tissue value has status
``vital_tissues_not_measured`` and is treated like an unavailable one. A gene counts as expressed in
a tissue at ``>= min_ntpm`` nTPM (default 1, the HPA "detected" cut-off).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError

ID_COLUMNS = ("ensembl_id", "gene_donor")
ANNOTATION_COLUMNS = ("Group", "spec_degree", "tissues")

#: default vital tissues (HPA consensus tissue names): heart, central nervous system, lung, liver,
#: kidney, pancreas, adrenal gland -- organs whose damage by T cells is life-threatening
DEFAULT_VITAL_TISSUES = (
    "Heart Muscle", "Amygdala", "Caudate", "Cerebellum", "Cerebral Cortex", "Hippocampus", "Hypothalamus",
    "Nucleus Accumbens", "Putamen", "Substantia Nigra", "Spinal Cord", "Lung", "Liver", "Kidney", "Pancreas",
    "Adrenal Gland",
)


def shipped_table_path() -> Path:
    return Path(str(resources.files("cgtsafe") / "data" / "hpa_consensus_tissue_ntpm.tsv.gz"))


@dataclass
class ExpressionTable:
    path: str
    tissues: list[str]
    genes: dict[str, np.ndarray]  # symbol -> nTPM per tissue (float64)

    def profile(self, gene: str) -> np.ndarray | None:
        return self.genes.get(gene) if gene else None


def read_expression(path: str | Path | None, *, vital_tissues: list[str] | tuple[str, ...] | None = None
                    ) -> ExpressionTable:
    """Read an HPA-format expression table (``None`` = the shipped HPA copy)."""
    path = Path(path) if path else shipped_table_path()
    if not path.exists():
        raise InputError("expression table not found", path=path)
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except Exception as exc:
        raise InputError(f"cannot read expression table as TSV ({str(exc).splitlines()[0]})", path=path) from None
    missing = [c for c in ID_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"expression table lacks column(s) {', '.join(missing)}; expected ensembl_id, gene_donor "
                         "and one nTPM column per tissue (HPA consensus layout)", path=path, line=1)
    tissues = [c for c in df.columns if c not in ID_COLUMNS and c not in ANNOTATION_COLUMNS]
    if not tissues:
        raise InputError("expression table has no tissue columns; expected ensembl_id, gene_donor, <tissues...>",
                         path=path, line=1)
    absent = [t for t in (vital_tissues or []) if t not in tissues]
    if absent:
        raise InputError(f"expression table lacks the vital tissue column(s) {', '.join(map(repr, absent))}; "
                         f"tissues present: {', '.join(tissues)}", path=path, line=1)
    try:
        values = df[tissues].apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError):
        for col in tissues:
            bad = pd.to_numeric(df[col], errors="coerce").isna()
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"column {col!r}: expected nTPM (a number), got {df[col].iloc[i]!r}",
                                 path=path, line=i + 2) from None
        raise
    if (values < 0).any():
        r, c = map(int, np.argwhere(values < 0)[0])
        raise InputError(f"column {tissues[c]!r}: negative nTPM {values[r, c]}", path=path, line=r + 2)
    genes: dict[str, np.ndarray] = {}
    for sym, row in zip(df["gene_donor"].tolist(), values):
        if not sym:
            continue
        if sym in genes:
            genes[sym] = np.fmax(genes[sym], row)
        else:
            genes[sym] = row
    return ExpressionTable(path=str(path), tissues=tissues, genes=genes)


@dataclass(frozen=True)
class GeneExpression:
    status: str  # found | gene_not_in_table | no_gene_name | vital_tissues_not_measured
    max_vital_ntpm: float | None
    max_vital_tissue: str
    max_ntpm: float | None
    max_tissue: str
    vital_tissues_expressed: tuple[str, ...]


def gene_expression(table: ExpressionTable, gene: str, vital: list[str], min_ntpm: float) -> GeneExpression:
    if not gene:
        return GeneExpression("no_gene_name", None, "", None, "", ())
    prof = table.profile(gene)
    if prof is None:
        return GeneExpression("gene_not_in_table", None, "", None, "", ())
    vidx = [table.tissues.index(t) for t in vital]
    vvals = prof[vidx]
    if np.isnan(vvals).all():
        # the table has the gene but no value for any vital tissue: unavailable, not 0
        k = int(np.nanargmax(prof)) if not np.isnan(prof).all() else None
        return GeneExpression("vital_tissues_not_measured", None, "", None if k is None else float(prof[k]),
                              "" if k is None else table.tissues[k], ())
    # ties broken by the table's column order (deterministic); empty cells (not measured) are skipped
    j = int(np.nanargmax(vvals))
    mv, mt = float(vvals[j]), vital[j]
    k = int(np.nanargmax(prof))
    expressed = tuple(t for t, i in zip(vital, vidx) if prof[i] >= min_ntpm)
    return GeneExpression("found", mv, mt, float(prof[k]), table.tissues[k], expressed)
