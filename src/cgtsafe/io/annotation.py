"""Gene annotation: GTF, UCSC genePred / refGene (with or without the ``bin`` column, with or
without a header line), and the position-level annotator shared by the analyses.

Coordinates inside this module are 0-based half-open (``start`` inclusive, ``end`` exclusive), as
in genePred and BED; GTF's 1-based closed intervals are converted on reading.

Feature classes, in priority order for a position covered by several transcripts:
``cds`` > ``utr5`` / ``utr3`` > ``exon`` (non-coding transcript) > ``intron`` > ``promoter``
(within ``promoter_upstream`` bp upstream of a TSS, not in a transcript) > ``intergenic``.

Signed TSS distance follows the hiAnnotator/ISAnalytics convention: position minus TSS on the
gene's strand, so negative values are upstream of the gene.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.io.compressed import open_input

FEATURE_PRIORITY = ("cds", "utr5", "utr3", "exon", "intron", "promoter", "intergenic")


@dataclass
class Transcript:
    name: str
    gene: str
    chrom: str
    strand: str
    start: int  # 0-based
    end: int  # exclusive
    cds_start: int
    cds_end: int
    exons: list[tuple[int, int]] = field(default_factory=list)

    @property
    def tss(self) -> int:
        """0-based position of the first transcribed base."""
        return self.start if self.strand == "+" else self.end - 1

    def feature_at(self, pos: int) -> str | None:
        if not (self.start <= pos < self.end):
            return None
        in_exon = any(s <= pos < e for s, e in self.exons) if self.exons else True
        if not in_exon:
            return "intron"
        if self.cds_end <= self.cds_start:  # non-coding
            return "exon"
        if self.cds_start <= pos < self.cds_end:
            return "cds"
        upstream = pos < self.cds_start if self.strand == "+" else pos >= self.cds_end
        return "utr5" if upstream else "utr3"


_GTF_ATTR = re.compile(r'(\S+)\s+"([^"]*)"')


def read_transcripts(path: str | Path) -> list[Transcript]:
    """Read a GTF or genePred-like file; the format is detected from the content."""
    path = Path(path)
    if not path.exists():
        raise InputError("gene annotation not found", path=path)
    with open_input(path, "rt", what="gene annotation") as fh:
        lines = [ln.rstrip("\n") for ln in fh if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise InputError("empty gene annotation", path=path)
    first = lines[0].split("\t")
    if len(first) >= 9 and re.match(r"^\d+$", first[3]) and re.match(r"^\d+$", first[4]) and "gene" in first[8]:
        return _read_gtf(path, lines)
    return _read_genepred(path, lines)


def _read_gtf(path: Path, lines: list[str]) -> list[Transcript]:
    tx: dict[str, Transcript] = {}
    cds: dict[str, list[int]] = {}
    for lineno, line in enumerate(lines, start=1):
        f = line.split("\t")
        if len(f) < 9:
            raise InputError("GTF line has fewer than 9 tab-separated columns", path=path, line=lineno)
        chrom, _, feature, start, end, _, strand, _, attrs = f[:9]
        if feature not in ("exon", "CDS", "transcript"):
            continue
        a = dict(_GTF_ATTR.findall(attrs))
        tid = a.get("transcript_id")
        if not tid:
            raise InputError(f"GTF {feature} line without transcript_id", path=path, line=lineno)
        gene = a.get("gene_name") or a.get("gene_id") or tid
        s0, e = int(start) - 1, int(end)
        t = tx.get(tid)
        if t is None:
            t = tx[tid] = Transcript(tid, gene, chrom, strand, s0, e, 0, 0, [])
        t.start, t.end = min(t.start, s0), max(t.end, e)
        if feature == "exon":
            t.exons.append((s0, e))
        elif feature == "CDS":
            c = cds.setdefault(tid, [s0, e])
            c[0], c[1] = min(c[0], s0), max(c[1], e)
    for tid, t in tx.items():
        t.exons.sort()
        if tid in cds:
            t.cds_start, t.cds_end = cds[tid]
        else:
            t.cds_start = t.cds_end = t.start
    return list(tx.values())


def _read_genepred(path: Path, lines: list[str]) -> list[Transcript]:
    """genePred, genePredExt, refGene (bin column), or a headed table (geneName/name2, chrom, ...)."""
    header = lines[0].split("\t")
    cols: dict[str, int]
    body = lines
    if "chrom" in header and "strand" in header:
        cols = {c: i for i, c in enumerate(header)}
        body = lines[1:]
    else:
        offset = 1 if re.match(r"^\d+$", header[0]) and len(header) >= 11 else 0
        if len(header) - offset < 10 or not re.match(r"^\d+$", header[3 + offset] or ""):
            raise InputError(
                "not a GTF or genePred file: expected 9 GTF columns or >= 10 genePred columns "
                "(name chrom strand txStart txEnd cdsStart cdsEnd exonCount exonStarts exonEnds)",
                path=path,
            )
        names = ["name", "chrom", "strand", "txStart", "txEnd", "cdsStart", "cdsEnd", "exonCount", "exonStarts",
                 "exonEnds", "score", "name2"]
        cols = {n: i + offset for i, n in enumerate(names)}
    gene_col = next((c for c in ("name2", "geneName", "gene", "symbol") if c in cols), "name")
    start_col = "txStart" if "txStart" in cols else "min_txStart"
    end_col = "txEnd" if "txEnd" in cols else "max_txEnd"
    need = ["chrom", "strand", start_col, end_col]
    missing = [c for c in need if c not in cols]
    if missing:
        raise InputError(
            f"not a GTF or genePred file: missing column(s) {', '.join(missing)}", path=path
        )
    out = []
    for lineno, line in enumerate(body, start=2 if body is not lines else 1):
        f = line.split("\t")

        def get(c, default=None):
            i = cols.get(c)
            return f[i] if i is not None and i < len(f) and f[i] != "" else default

        try:
            s0, e = int(float(get(start_col))), int(float(get(end_col)))
            cs = int(float(get("cdsStart", get("min_cdsStart", s0))))
            ce = int(float(get("cdsEnd", get("max_cdsEnd", s0))))
        except (TypeError, ValueError):
            raise InputError("gene annotation line with a non-numeric coordinate", path=path, line=lineno) from None
        exons: list[tuple[int, int]] = []
        es, ee = get("exonStarts"), get("exonEnds")
        if es and ee:
            starts = [int(x) for x in es.strip(",").split(",") if x]
            ends = [int(x) for x in ee.strip(",").split(",") if x]
            exons = list(zip(starts, ends))
        gene = get(gene_col) or get("name") or f"tx{lineno}"
        if gene in ("none", "NA"):
            gene = get("name") or gene
        strand = get("strand", "+")
        if strand not in ("+", "-"):
            raise InputError(f"strand must be + or -, found {strand!r}", path=path, line=lineno)
        out.append(Transcript(get("name", gene), gene, get("chrom"), strand, s0, e, cs, ce, exons))
    if not out:
        raise InputError("gene annotation has no transcripts", path=path)
    return out


@dataclass
class _ChromIndex:
    tx: list[Transcript]
    starts: list[int]
    prefix_max_end: np.ndarray
    gene_starts: np.ndarray
    gene_ends: np.ndarray
    gene_names: list[str]
    gene_prefix_max_end: np.ndarray
    gene_prefix_argmax: np.ndarray
    tss: np.ndarray
    tss_gene: list[str]
    tss_strand: list[str]


class GeneAnnotator:
    """Answers, for a position, which gene and feature it is in and how far the nearest gene/TSS is."""

    def __init__(self, transcripts: list[Transcript], *, promoter_upstream: int = 2000):
        self.promoter_upstream = promoter_upstream
        self.transcripts = transcripts
        self._chrom: dict[str, _ChromIndex] = {}
        by_chrom: dict[str, list[Transcript]] = {}
        for t in transcripts:
            by_chrom.setdefault(t.chrom, []).append(t)
        for chrom, txs in by_chrom.items():
            txs.sort(key=lambda t: (t.start, t.end, t.gene, t.name))
            starts = [t.start for t in txs]
            pme = np.maximum.accumulate(np.array([t.end for t in txs], dtype=np.int64))
            genes: dict[str, list[int]] = {}
            for t in txs:
                g = genes.setdefault(t.gene, [t.start, t.end])
                g[0], g[1] = min(g[0], t.start), max(g[1], t.end)
            gl = sorted(genes.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0]))
            gs = np.array([v[0] for _, v in gl], dtype=np.int64)
            ge = np.array([v[1] for _, v in gl], dtype=np.int64)
            gpme = np.maximum.accumulate(ge)
            argmax = np.zeros(len(ge), dtype=np.int64)
            best = 0
            for i in range(len(ge)):
                if ge[i] > ge[best]:
                    best = i
                argmax[i] = best
            tss_list = sorted({(t.tss, t.gene, t.strand) for t in txs})
            self._chrom[chrom] = _ChromIndex(
                txs, starts, pme, gs, ge, [k for k, _ in gl], gpme, argmax,
                np.array([x[0] for x in tss_list], dtype=np.int64), [x[1] for x in tss_list], [x[2] for x in tss_list],
            )

    @classmethod
    def from_file(cls, path: str | Path, **kw) -> "GeneAnnotator":
        return cls(read_transcripts(path), **kw)

    def overlapping(self, chrom: str, pos: int) -> list[Transcript]:
        ci = self._chrom.get(chrom)
        if ci is None:
            return []
        j = bisect.bisect_right(ci.starts, pos) - 1
        out = []
        while j >= 0 and ci.prefix_max_end[j] > pos:
            if ci.tx[j].end > pos:
                out.append(ci.tx[j])
            j -= 1
        return out

    def nearest_gene(self, chrom: str, pos: int) -> tuple[str | None, int | None]:
        """Nearest gene (by span) and the distance to it in bp (0 when inside)."""
        ci = self._chrom.get(chrom)
        if ci is None or len(ci.gene_starts) == 0:
            return None, None
        i = int(np.searchsorted(ci.gene_starts, pos, side="right")) - 1
        best_name, best_d = None, None
        if i >= 0:
            k = int(ci.gene_prefix_argmax[i])
            d = 0 if ci.gene_ends[k] > pos else int(pos - ci.gene_ends[k] + 1)
            best_name, best_d = ci.gene_names[k], d
        if i + 1 < len(ci.gene_starts):
            d = int(ci.gene_starts[i + 1] - pos)
            if best_d is None or d < best_d:
                best_name, best_d = ci.gene_names[i + 1], d
        return best_name, best_d

    def nearest_tss(self, chrom: str, pos: int) -> tuple[str | None, int | None]:
        """Gene of the nearest TSS and the signed distance (negative = upstream of that gene)."""
        ci = self._chrom.get(chrom)
        if ci is None or len(ci.tss) == 0:
            return None, None
        i = int(np.searchsorted(ci.tss, pos))
        cands = [j for j in (i - 1, i) if 0 <= j < len(ci.tss)]
        j = min(cands, key=lambda j: (abs(int(ci.tss[j]) - pos), j))
        d = pos - int(ci.tss[j])
        return ci.tss_gene[j], d if ci.tss_strand[j] == "+" else -d

    def genes_within(self, chrom: str, pos: int, window: int) -> list[str]:
        """Genes whose span lies within ``window`` bp of ``pos`` (sorted names)."""
        ci = self._chrom.get(chrom)
        if ci is None:
            return []
        hi = int(np.searchsorted(ci.gene_starts, pos + window, side="right"))
        names = {ci.gene_names[k] for k in range(hi) if ci.gene_ends[k] > pos - window}
        return sorted(names)

    def annotate(self, chrom: str, pos: int) -> dict:
        """Annotate one 0-based position."""
        txs = self.overlapping(chrom, pos)
        feature, genes = "intergenic", []
        if txs:
            found = {t.feature_at(pos) for t in txs}
            feature = next(f for f in FEATURE_PRIORITY if f in found)
            genes = sorted({t.gene for t in txs})
        tss_gene, tss_d = self.nearest_tss(chrom, pos)
        if feature == "intergenic" and tss_d is not None and -self.promoter_upstream <= tss_d < 0:
            feature = "promoter"
            genes = [tss_gene]
        near, dist = self.nearest_gene(chrom, pos)
        in_gene_strand = None
        if txs:
            strands = {t.strand for t in txs}
            in_gene_strand = strands.pop() if len(strands) == 1 else "both"
        return {
            "gene": ",".join(genes) if genes else "",
            "feature": feature,
            "nearest_gene": near or "",
            "gene_distance": dist if dist is not None else -1,
            "tss_gene": tss_gene or "",
            "tss_distance": tss_d,
            "in_gene": bool(txs),
            "gene_strand": in_gene_strand or "",
        }


class GenesOfConcern(dict):
    """Gene symbol -> category, looked up case-insensitively (``in``, ``[]``, ``get``).

    The shipped list holds human (HGNC, upper-case) symbols; mouse and rat (MGI/RGD: ``Lmo2``, ``Mecom``) and
    zebrafish (``lmo2``) symbols of the same genes differ only in case, so an annotation of those species is
    matched by case-insensitive symbol comparison. This is not an ortholog map: a gene whose ortholog has a
    different symbol in that species is not matched (give that species' symbols in your own list,
    ``reference.genes_of_concern``). Iteration, ``len`` and ``keys`` keep the symbols as written in the list.
    """

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self._folded = {str(k).casefold(): k for k in self}

    def _key(self, key):
        return self._folded.get(str(key).casefold(), key) if not super().__contains__(key) else key

    def __contains__(self, key) -> bool:
        return super().__contains__(key) or str(key).casefold() in self._folded

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def get(self, key, default=None):
        return super().get(self._key(key), default)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._folded[str(key).casefold()] = key

    def __reduce__(self):  # pickling (multiprocessing) keeps the class
        return (GenesOfConcern, (dict(self),))


def load_genes_of_concern(path: str | Path | None = None) -> GenesOfConcern:
    """Gene symbol -> category from a TSV with a ``gene_symbol`` column (shipped default when ``None``).

    The shipped list (``cgtsafe/data/genes_of_concern.tsv``) is a copy of the curated list in
    the project's shared reference data; its ``evidence`` and ``primary_source`` columns cite
    the clinical reports and databases each gene comes from. Symbols are matched case-insensitively
    (:class:`GenesOfConcern`), so a mouse annotation's ``Lmo2``/``Mecom`` are flagged.
    """
    import csv

    if path is None:
        path = Path(__file__).resolve().parent.parent / "data" / "genes_of_concern.tsv"
    path = Path(path)
    if not path.exists():
        raise InputError("genes-of-concern list not found", path=path)
    try:
        with open(path, encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            if not reader.fieldnames or "gene_symbol" not in reader.fieldnames:
                raise InputError("genes-of-concern list needs a 'gene_symbol' column", path=path)
            rows = {row["gene_symbol"].strip(): row.get("category", "") or "" for row in reader
                    if (row.get("gene_symbol") or "").strip()}
    except UnicodeDecodeError:
        raise InputError("genes-of-concern list is not UTF-8 text", path=path) from None
    except IsADirectoryError:
        raise InputError("genes-of-concern list is a directory; expected a TSV file", path=path) from None
    if not rows:
        raise InputError("genes-of-concern list has no gene symbols", path=path)
    return GenesOfConcern(rows)
