"""Annotate integration sites with genes, TSS distance and genes of concern.

Positions given to this module are **1-based** (as in the site tables); they are converted to the
0-based coordinates of :mod:`cgtsafe.io.annotation` here. Columns added:

``nearest_gene``     gene whose span is closest (0 bp when inside; ties -> the gene starting first)
``gene_distance``    bp to that gene's span (0 = inside)
``nearest_gene_strand`` strand of the nearest gene (ISAnalytics ``GeneStrand``)
``tss_gene``         gene of the nearest TSS
``tss_distance``     signed distance to the nearest TSS, hiAnnotator/ISAnalytics convention:
                     site minus TSS on the gene's strand (negative = upstream of the gene)
``feature``          cds / utr5 / utr3 / exon / intron / promoter / intergenic
``in_gene``          1 when inside a transcription unit
``gene_strand``      strand of the overlapping gene(s) (``both`` when genes of both strands overlap)
``gene_orientation`` ``same`` / ``opposite`` (provirus strand vs gene strand) for in-gene sites, else ""
``gene_of_concern``  genes of concern whose span lies within the largest configured window (comma list)
``goc_distance``     bp to the nearest gene of concern's span (-1 when none within the largest window)
``goc_window``       smallest configured window (bp) containing that gene of concern (0 when none)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cgtsafe.io.annotation import GeneAnnotator, GenesOfConcern

ANNOTATION_COLUMNS = ("nearest_gene", "gene_distance", "nearest_gene_strand", "tss_gene", "tss_distance", "feature", "in_gene",
                      "gene_strand", "gene_orientation", "gene_of_concern", "goc_distance", "goc_window")


class SiteAnnotator:
    def __init__(self, annotator: GeneAnnotator, genes_of_concern: dict[str, str] | None = None,
                 windows=(50000, 100000)):
        self.ann = annotator
        self.goc = GenesOfConcern(genes_of_concern or {})  # case-insensitive symbols
        self.windows = sorted(int(w) for w in windows) or [0]
        self._spans: dict[tuple[str, str], tuple[int, int]] = {}
        self._strand: dict[tuple[str, str], str] = {}
        self._goc_by_chrom: dict[str, tuple] = {}
        for t in annotator.transcripts:
            k = (t.gene, t.chrom)
            prev = self._strand.get(k)
            self._strand[k] = t.strand if prev in (None, t.strand) else "both"
            if t.gene in self.goc:
                k = (t.gene, t.chrom)
                s = self._spans.get(k)
                self._spans[k] = (t.start, t.end) if s is None else (min(s[0], t.start), max(s[1], t.end))

    def _goc_arrays(self, chrom: str):
        arr = self._goc_by_chrom.get(chrom)
        if arr is None:
            items = sorted((s, e, g) for (g, c), (s, e) in self._spans.items() if c == chrom)
            arr = (np.array([x[0] for x in items], dtype=np.int64), np.array([x[1] for x in items], dtype=np.int64),
                   [x[2] for x in items])
            self._goc_by_chrom[chrom] = arr
        return arr

    def goc_hits(self, chrom: str, pos0: int) -> list[tuple[int, str]]:
        """(distance in bp to the gene span, gene) of genes of concern within the largest window, nearest first."""
        wmax = self.windows[-1]
        starts, ends, names = self._goc_arrays(chrom)
        if len(names) == 0:
            return []
        d = np.where(pos0 < starts, starts - pos0, np.where(pos0 >= ends, pos0 - ends + 1, 0))
        return sorted((int(d[i]), names[i]) for i in np.flatnonzero(d <= wmax))

    def annotate_one(self, chrom: str, position: int, strand: str) -> dict:
        pos0 = int(position) - 1
        a = self.ann.annotate(chrom, pos0)
        orient = ""
        if a["in_gene"] and a["gene_strand"] in ("+", "-"):
            orient = "same" if a["gene_strand"] == strand else "opposite"
        elif a["in_gene"]:
            orient = "both"
        hits = self.goc_hits(chrom, pos0)
        goc_d = hits[0][0] if hits else -1
        win = next((w for w in self.windows if goc_d <= w), 0) if hits else 0
        return {
            "nearest_gene": a["nearest_gene"],
            "gene_distance": int(a["gene_distance"]),
            "nearest_gene_strand": self._strand.get((a["nearest_gene"], chrom), ""),
            "tss_gene": a["tss_gene"],
            "tss_distance": a["tss_distance"] if a["tss_distance"] is not None else np.nan,
            "feature": a["feature"],
            "in_gene": int(a["in_gene"]),
            "gene_strand": a["gene_strand"],
            "gene_orientation": orient,
            "gene_of_concern": ",".join(sorted({g for _, g in hits})),
            "goc_distance": int(goc_d),
            "goc_window": int(win),
        }

    def annotate_table(self, df: pd.DataFrame, *, chrom="chrom", position="position", strand="strand") -> pd.DataFrame:
        """Return ``df`` with the annotation columns appended (one lookup per distinct site)."""
        keys = list(dict.fromkeys(zip(df[chrom], df[position], df[strand])))
        ann = {k: self.annotate_one(*k) for k in keys}
        extra = pd.DataFrame([ann[k] for k in zip(df[chrom], df[position], df[strand])],
                             columns=list(ANNOTATION_COLUMNS), index=df.index)
        # integer bp (empty when the chromosome has no gene); never a float format like 1.2e+06
        extra["tss_distance"] = pd.to_numeric(extra["tss_distance"]).round().astype("Int64")
        return pd.concat([df, extra], axis=1)


def load_gene_annotator(path, *, max_span_ratio: float = 10.0) -> GeneAnnotator:
    """GeneAnnotator from a GTF / genePred / refGene file, or from an ISAnalytics refGenes table.

    ISAnalytics refGenes tables (``name2 chrom strand min_txStart max_txEnd ... average_TxLen``) hold
    one row per symbol and chromosome; for multi-copy genes (e.g. MIR4454 on chr5) the min/max span
    covers tens of Mb and would swallow every site. Rows whose span exceeds ``max_span_ratio`` x their
    average transcript length are therefore dropped for annotation (they are kept for CIS lengths).
    """
    from cgtsafe.io.annotation import read_transcripts
    from cgtsafe.io.compressed import open_input

    transcripts = read_transcripts(path)
    with open_input(path, "rt", what="gene annotation") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    if "average_TxLen" in header and "min_txStart" in header:
        from cgtsafe.io.tables import read_table

        df = read_table(path, required=("name2", "chrom", "min_txStart", "max_txEnd", "average_TxLen"))
        span = pd.to_numeric(df["max_txEnd"]) - pd.to_numeric(df["min_txStart"])
        avg = pd.to_numeric(df["average_TxLen"], errors="coerce").fillna(0).clip(lower=1)
        bad = set(zip(df.loc[span > max_span_ratio * avg, "name2"], df.loc[span > max_span_ratio * avg, "chrom"]))
        transcripts = [t for t in transcripts if (t.gene, t.chrom) not in bad]
    return GeneAnnotator(transcripts)
