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

Detection never hides a vital tissue: every vital tissue with a value ``> 0`` nTPM is listed in
``vital_tissues_detected`` with its value (MAGE-A12, whose cross-reactive peptide killed two patients
through brain toxicity, is at 0.1-0.5 nTPM in nine HPA brain regions -- Morgan et al. 2013 J
Immunother 36:133). The ``min_ntpm`` cut-off only orders candidates within a priority class
(:mod:`cgtsafe.tcr.candidates`). When no vital tissue has a value above 0, ``max_vital_tissue`` is
empty (the highest of several zeros is not a tissue) and ``max_vital_ntpm`` is 0.

Gene symbols: a ``GN=`` value may name several genes joined by commas (``CTAG1A,CTAG1B``, UniProt's
notation for identical products of duplicated genes); each symbol is looked up and the per-tissue
maximum taken (conservative), see :func:`split_genes`.
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
        """nTPM per tissue; for ``A,B`` (several symbols) the per-tissue maximum of those in the table."""
        if not gene:
            return None
        if gene in self.genes:
            return self.genes[gene]
        profs = [self.genes[g] for g in split_genes(gene) if g in self.genes]
        if not profs:
            return None
        out = profs[0]
        for pr in profs[1:]:
            out = np.fmax(out, pr)
        return out


def split_genes(gene: str) -> list[str]:
    """``"CTAG1A,CTAG1B"`` -> ``["CTAG1A", "CTAG1B"]`` (UniProt ``GN=`` lists several genes with commas)."""
    return [g.strip() for g in (gene or "").replace(";", ",").split(",") if g.strip()]


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
        values = df[tissues].replace("", "nan").to_numpy(dtype=float)
    except (ValueError, TypeError):
        for col in tissues:
            bad = pd.to_numeric(df[col], errors="coerce").isna() & (df[col].str.strip() != "")
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
    #: every vital tissue with > 0 nTPM, as (tissue, nTPM), in table column order
    vital_tissues_detected: tuple[tuple[str, float], ...] = ()

    def detected_text(self, gene: str, min_ntpm: float) -> str:
        """Reason text that never hides a vital tissue (see :func:`detection_text`)."""
        return detection_text(gene, self.vital_tissues_detected, min_ntpm)


def detection_text(gene: str, detected, min_ntpm: float) -> str:
    """'MAGEA12: detected in 10 vital tissue(s) at 0.1-0.5 nTPM (Amygdala 0.4, ...), below the 1 nTPM cut-off'."""
    det = list(detected)
    if not det:
        return f"{gene}: not detected in any vital tissue (0 nTPM in all)"
    vals = [v for _, v in det]
    rng = f"{min(vals):g}-{max(vals):g}" if min(vals) != max(vals) else f"{vals[0]:g}"
    listed = ", ".join(f"{t} {v:g}" for t, v in det)
    below = "" if max(vals) >= min_ntpm else f", below the {min_ntpm:g} nTPM cut-off"
    return f"{gene}: detected in {len(det)} vital tissue(s) at {rng} nTPM ({listed}){below}"


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
    mv = float(vvals[j])
    mt = vital[j] if mv > 0 else ""  # no vital tissue detected: do not name one of the zeros
    k = int(np.nanargmax(prof))
    expressed = tuple(t for t, i in zip(vital, vidx) if prof[i] >= min_ntpm)
    detected = tuple((t, float(prof[i])) for t, i in zip(vital, vidx) if prof[i] > 0)
    return GeneExpression("found", mv, mt, float(prof[k]), table.tissues[k] if prof[k] > 0 else "", expressed,
                          detected)
