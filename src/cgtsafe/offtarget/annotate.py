"""Annotation and ranking of predicted off-target sites: the candidate-site table.

Input: the merged search table (:mod:`cgtsafe.offtarget.merge`). Output ``sites.tsv`` (one row per
site, one site per locus) and ``sites.bed``; ``sites.tsv`` is the candidate-site table that the
``sitecheck`` step (deep sequencing / WGS at candidate sites) reads.

Columns of ``sites.tsv`` (coordinates 0-based unless stated):

==========================  ==========================================================================
``site_id``                 ``{guide}:{chrom}:{start}:{strand}`` (``start`` as below, 0-based); unique
``guide``                   guide name (guides table)
``chrom``                   contig of the reference genome
``start``                   0-based leftmost + strand position of protospacer+PAM (Cas-OFFinder convention)
``end``                     exclusive end (``end - start`` = site length incl. PAM and bulges)
``strand``                  ``+`` / ``-``: strand on which the site (and the PAM) reads 5'->3'
``site``                    genomic sequence 5'->3' on the hit strand (protospacer + PAM, case as in the FASTA)
``mismatches``              mismatches between spacer and protospacer
``dna_bulge``               extra genomic bases (DNA bulges)
``rna_bulge``               extra guide bases (RNA bulges)
``pam``                     PAM bases of the site
``pam_class``               PAM class from the nuclease preset (canonical / alternative)
``cut_start``, ``cut_end``  0-based + strand coordinate of the base right of the double-strand break
                            (equal for blunt cutters; staggered cutters give both ends)
``guide_aln``, ``site_aln`` guide / site alignment strings ('-' = bulge gap)
``cfd``                     CFD score (Doench 2016), 0..1; empty when unscored (see ``score_basis``)
``mit``                     MIT/Hsu 2013 hit score, 0..100; empty when unscored
``score_basis``             ``alignment`` / ``bulge_free_alignment`` (a bulged site scored on the bulge-free
                            alignment at the same PAM, within the mismatch limit) / ``unscored``
``edits``                   mismatches + dna_bulge + rna_bulge
``category``                ``on_target`` (no mismatch, no bulge, canonical PAM) or ``off_target``
``priority``                ``on_target`` / ``high`` / ``medium`` / ``low`` (rule below)
``rank``                    1..n within the guide: on-target first, then priority, CFD (high first),
                            edits, bulges, genomic position
``loci``                    number of search loci collapsed into this site (see "Overlapping loci")
``alt_alignments``          the other collapsed loci: ``mismatches/dna_bulge/rna_bulge@start-end/strand``, ';'-separated
``gene``                    genes whose transcripts overlap the cut position (comma-separated)
``feature``                 cds / utr5 / utr3 / exon / intron / promoter / intergenic at the cut position;
                            ``not_annotated`` when no gene annotation was given or its contig is not in it
``nearest_gene``            nearest gene (by gene span) to the cut position
``gene_distance``           bp from the cut position to ``nearest_gene`` (0 = inside; -1 = no gene on contig)
``tss_gene``, ``tss_distance``  gene of the nearest TSS and signed distance (cut - TSS on the gene strand;
                            negative = upstream)
``gene_of_concern``         1 when a gene of concern lies within the largest configured window of the cut,
                            0 when none does, -1 when not annotated (unknown, never "none")
``gene_of_concern_name``    those genes (comma-separated, nearest first)
``gene_of_concern_distance`` bp from the cut position to the nearest gene of concern (0 = inside;
                            -1 = none within the largest window)
``gene_of_concern_window``  smallest configured window (bp) that contains it (-1 = none)
==========================  ==========================================================================

Overlapping loci: the search reports one alignment per PAM position (its one-hit-per-locus rule), so
one genomic site can appear several times, shifted by a bulge to a neighbouring PAM position (e.g. a
1-mismatch site and "the same" site read with 2 mismatches + 1 RNA bulge through the next NGG). Loci of
the same guide and strand whose cut positions lie within ``merge.LOCUS_WINDOW`` (5) bp of each other
(single linkage) are one candidate site here; the representative is the alignment with the lowest cost
``mismatches + 2 x bulges`` (a bulge is counted as two mismatches: bulges are less tolerated than
mismatches, Lin et al. 2014 Nucleic Acids Res 42:7473), then fewer bulges, higher CFD, smaller start.
The others are listed in ``alt_alignments``. This also makes ``site_id`` unique.

Priority rule (documented in the methods text): ``high`` when edits <= 2, or CFD >= 0.5, or
(edits <= 3 and the cut is in an exon (cds/utr/exon) or near a gene of concern); ``medium`` when
edits <= 4, or CFD >= 0.2, or the cut is exonic or near a gene of concern; ``low`` otherwise.
A ``not_annotated`` site counts as possibly exonic / near a gene of concern (``gene_of_concern`` -1):
without an annotation no site is lowered to ``low`` for being outside genes.

Missing annotation: without ``--genes`` every site is ``not_annotated``; with it, a site table whose
contig names match none of the annotation's (``chr1`` vs ``1``) is an error (exit 2), and sites on
contigs the annotation does not mention (e.g. unplaced contigs) are ``not_annotated`` with a warning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.annotation import GeneAnnotator, load_genes_of_concern, read_transcripts

EXONIC = ("cds", "utr5", "utr3", "exon")
PRIORITIES = ("on_target", "high", "medium", "low")

#: column order of sites.tsv (the contract with sitecheck)
SITE_COLUMNS = (
    "site_id", "guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge", "pam",
    "pam_class", "cut_start", "cut_end", "guide_aln", "site_aln", "cfd", "mit", "score_basis", "edits", "category", "priority",
    "rank", "loci", "alt_alignments", "gene", "feature", "nearest_gene", "gene_distance", "tss_gene", "tss_distance", "gene_of_concern",
    "gene_of_concern_name", "gene_of_concern_distance", "gene_of_concern_window",
)


def is_canonical_pam(pam_class) -> bool:
    """True for the preset's main PAM (the search labels it ``canonical``)."""
    return str(pam_class) == "canonical"


def filter_bulged(df: pd.DataFrame, max_bulge_mismatches: int | None) -> pd.DataFrame:
    """Keep bulged sites only with at most ``max_bulge_mismatches`` mismatches (None = keep all)."""
    if max_bulge_mismatches is None or df.empty:
        return df
    bulged = (df["dna_bulge"] + df["rna_bulge"]) > 0
    return df[~bulged | (df["mismatches"] <= max_bulge_mismatches)].reset_index(drop=True)


def site_ids(df: pd.DataFrame) -> pd.Series:
    return df["guide"].astype(str) + ":" + df["chrom"].astype(str) + ":" + df["start"].astype(str) + ":" + \
        df["strand"].astype(str)


def cut_position(df: pd.DataFrame) -> np.ndarray:
    """The annotated position: the base right of the break on the + strand (``cut_start``), 0-based."""
    return df["cut_start"].to_numpy(dtype=np.int64)


class ConcernIndex:
    """Distance from a position to the genes of concern (gene span = union of its transcripts)."""

    def __init__(self, annotator: GeneAnnotator, genes_of_concern: dict[str, str]):
        spans: dict[tuple[str, str], list[int]] = {}
        for t in annotator.transcripts:
            if t.gene in genes_of_concern:
                s = spans.setdefault((t.chrom, t.gene), [t.start, t.end])
                s[0], s[1] = min(s[0], t.start), max(s[1], t.end)
        self.by_chrom: dict[str, list[tuple[str, int, int]]] = {}
        for (chrom, gene), (s, e) in sorted(spans.items()):
            self.by_chrom.setdefault(chrom, []).append((gene, s, e))
        self.present = sorted({g for _, g in spans})

    def near(self, chrom: str, pos: int, window: int) -> list[tuple[int, str]]:
        out = []
        for gene, s, e in self.by_chrom.get(chrom, ()):
            d = 0 if s <= pos < e else (s - pos if pos < s else pos - e + 1)
            if d <= window:
                out.append((d, gene))
        return sorted(out)


def collapse_overlapping(hits: pd.DataFrame, window: int | None = None) -> pd.DataFrame:
    """One row per candidate site: collapse loci with nearby cuts (see "Overlapping loci" above)."""
    from cgtsafe.offtarget.merge import LOCUS_WINDOW

    window = LOCUS_WINDOW if window is None else window
    df = hits.copy().reset_index(drop=True)
    if df.empty:
        df["loci"] = pd.Series(dtype=np.int64)
        df["alt_alignments"] = pd.Series(dtype=str)
        return df
    df = df.sort_values(["guide", "chrom", "strand", "cut_start", "start", "end", "site_aln"], kind="mergesort")
    g, c, s = (df[k].to_numpy() for k in ("guide", "chrom", "strand"))
    cut = df["cut_start"].to_numpy()
    same = (g[1:] == g[:-1]) & (c[1:] == c[:-1]) & (s[1:] == s[:-1]) & (np.diff(cut) <= window)
    df["_cl"] = np.concatenate([[0], np.cumsum(~same)])
    b = df["dna_bulge"] + df["rna_bulge"]
    df["_cost"] = df["mismatches"] + 2 * b
    df["_b"] = b
    df["_negcfd"] = -df["cfd"].fillna(-1.0)
    df = df.sort_values(["_cl", "_cost", "_b", "_negcfd", "start", "end", "site_aln"], kind="mergesort")
    desc = (df["mismatches"].astype(str) + "/" + df["dna_bulge"].astype(str) + "/" + df["rna_bulge"].astype(str)
            + "@" + df["start"].astype(str) + "-" + df["end"].astype(str) + "/" + df["strand"])
    # rows are grouped by cluster now: per cluster, the first row is kept and the others are listed
    cl = df["_cl"].to_numpy()
    first = np.flatnonzero(np.r_[True, cl[1:] != cl[:-1]]) if len(cl) else np.zeros(0, dtype=np.int64)
    bounds = np.r_[first, len(cl)].tolist()
    d = desc.tolist()
    best = df.iloc[first].copy()
    best["loci"] = np.diff(bounds).astype(np.int64)
    best["alt_alignments"] = [";".join(d[a + 1:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    return best.drop(columns=["_cl", "_cost", "_b", "_negcfd"]).reset_index(drop=True)


def priority_of(edits: int, cfd: float, feature: str, concern: bool, on_target: bool) -> str:
    if on_target:
        return "on_target"
    cfd = 0.0 if cfd is None or np.isnan(cfd) else cfd
    exonic = feature in EXONIC
    if edits <= 2 or cfd >= 0.5 or (edits <= 3 and (exonic or concern)):
        return "high"
    if edits <= 4 or cfd >= 0.2 or exonic or concern:
        return "medium"
    return "low"


def annotate_sites(hits: pd.DataFrame, *, genes: str | Path | None, genes_of_concern: str | Path | None = None,
                   windows: list[int] | tuple[int, ...] = (50000, 100000), promoter_upstream: int = 2000,
                   max_bulge_mismatches: int | None = None) -> pd.DataFrame:
    """Filter bulged sites, collapse overlapping loci, annotate, prioritise and rank; returns ``sites.tsv``.

    ``max_bulge_mismatches``: bulged loci with more mismatches than this are dropped before collapsing
    (None = keep all within the search limits).
    """
    return rank_sites(annotate_unranked(hits, genes=genes, genes_of_concern=genes_of_concern, windows=windows,
                                        promoter_upstream=promoter_upstream,
                                        max_bulge_mismatches=max_bulge_mismatches))


def annotate_unranked(hits: pd.DataFrame, *, genes, genes_of_concern=None, windows=(50000, 100000),
                      promoter_upstream: int = 2000, max_bulge_mismatches: int | None = None,
                      context=None) -> pd.DataFrame:
    """:func:`annotate_sites` before the ranking (no ``rank`` column, rows in hit order); ``context``: an
    :func:`annotation_context` shared by several calls (then the contig names are not checked here)."""
    df = collapse_overlapping(filter_bulged(hits, max_bulge_mismatches))
    df["site_id"] = site_ids(df)
    df["edits"] = (df["mismatches"] + df["dna_bulge"] + df["rna_bulge"]).astype(np.int64)
    canon = df["pam_class"].map(is_canonical_pam).to_numpy(dtype=bool)
    on_target = (df["edits"].to_numpy() == 0) & canon
    df["category"] = np.where(on_target, "on_target", "off_target")
    cols = annotate_positions(df["chrom"].astype(str).tolist(), cut_position(df).tolist(), genes=genes,
                              genes_of_concern=genes_of_concern, windows=windows,
                              promoter_upstream=promoter_upstream, context=context)
    for k, v in cols.items():
        df[k] = v
    df["tss_distance"] = pd.array([None if x is None or x != x else int(x) for x in df["tss_distance"]], dtype="Int64")
    df["priority"] = [
        priority_of(int(e), float(c), f, int(g) != 0, bool(o))  # -1 (not annotated): possibly near
        for e, c, f, g, o in zip(df["edits"], df["cfd"], df["feature"], df["gene_of_concern"], on_target)
    ]
    return df


NOT_ANNOTATED = "not_annotated"


def annotate_positions(chroms: list[str], positions: list[int], *, genes, genes_of_concern=None,
                       windows=(50000, 100000), promoter_upstream: int = 2000,
                       where: str = "site table", context=None) -> dict[str, list]:
    """Gene / feature / nearest gene / TSS / gene-of-concern columns for 0-based positions.

    Without ``genes`` every position is ``not_annotated`` (feature ``not_annotated``, ``gene_of_concern``
    -1): the absence of an annotation is never reported as "intergenic" or "no gene of concern nearby".
    With ``genes``: when no contig of the positions occurs in the annotation (e.g. ``chr1`` vs ``1``)
    -> InputError naming both; positions on contigs the annotation does not mention are
    ``not_annotated`` and a warning naming those contigs goes to stderr.
    """
    windows = sorted(int(w) for w in windows) or [0]
    wmax = windows[-1]
    cols: dict[str, list] = {k: [] for k in ("gene", "feature", "nearest_gene", "gene_distance", "tss_gene",
                                              "tss_distance", "gene_of_concern", "gene_of_concern_name",
                                              "gene_of_concern_distance", "gene_of_concern_window")}
    if context is None:
        context = annotation_context(genes, genes_of_concern, promoter_upstream)
        if context[0] is not None:
            check_contig_names(chroms, context[2], genes=genes, where=where)
    annotator, concern, known = context
    blank = {"gene": "", "feature": NOT_ANNOTATED, "nearest_gene": "", "gene_distance": -1, "tss_gene": "",
             "tss_distance": None}
    for chrom, pos in zip(chroms, positions):
        pos = int(pos)
        if annotator is None or chrom not in known:
            for k, v in blank.items():
                cols[k].append(v)
            cols["gene_of_concern"].append(-1)
            cols["gene_of_concern_name"].append("")
            cols["gene_of_concern_distance"].append(-1)
            cols["gene_of_concern_window"].append(-1)
            continue
        a = annotator.annotate(chrom, pos)
        near = concern.near(chrom, pos, wmax)
        for k in ("gene", "feature", "nearest_gene", "gene_distance", "tss_gene", "tss_distance"):
            cols[k].append(a[k])
        if near:
            d0 = near[0][0]
            names = []
            for _, g in near:
                if g not in names:
                    names.append(g)
            cols["gene_of_concern"].append(1)
            cols["gene_of_concern_name"].append(",".join(names))
            cols["gene_of_concern_distance"].append(d0)
            cols["gene_of_concern_window"].append(next(w for w in windows if d0 <= w))
        else:
            cols["gene_of_concern"].append(0)
            cols["gene_of_concern_name"].append("")
            cols["gene_of_concern_distance"].append(-1)
            cols["gene_of_concern_window"].append(-1)
    return cols


def annotation_context(genes, genes_of_concern=None, promoter_upstream: int = 2000) -> tuple:
    """(gene annotator, gene-of-concern index, annotated contig names); (None, None, set()) without genes."""
    annotator = GeneAnnotator(read_transcripts(genes), promoter_upstream=promoter_upstream) if genes else None
    concern = ConcernIndex(annotator, load_genes_of_concern(genes_of_concern)) if annotator else None
    known = {t.chrom for t in annotator.transcripts} if annotator else set()
    return annotator, concern, known


def check_contig_names(chroms, known: set[str], *, genes, where: str = "site table") -> None:
    """No contig of ``chroms`` in the annotation -> InputError; some missing -> a warning on stderr."""
    import sys

    present = sorted(set(map(str, chroms)))
    if not present:
        return
    missing = [c for c in present if c not in known]
    if len(missing) == len(present):
        ex = ", ".join(sorted(known)[:3]) or "none"
        raise InputError(f"no contig of the {where} ({', '.join(present[:3])}{' ...' if len(present) > 3 else ''}) "
                         f"occurs in the gene annotation (its contigs: {ex}{' ...' if len(known) > 3 else ''}); "
                         "use an annotation with the genome's contig names (e.g. chr1 vs 1)", path=genes)
    if missing:
        print(f"cgtsafe: warning: {len(missing)} contig(s) of the {where} are not in the gene annotation {genes} "
              f"({', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}): their sites are 'not_annotated'",
              file=sys.stderr)


def rank_sites(df: pd.DataFrame) -> pd.DataFrame:
    """Total order within each guide; ``rank`` 1..n; rows sorted by guide then rank."""
    df = df.copy()
    df["_p"] = df["priority"].map({p: i for i, p in enumerate(PRIORITIES)})
    df["_negcfd"] = -df["cfd"].fillna(0.0)
    df["_bulges"] = df["dna_bulge"] + df["rna_bulge"]
    df = df.sort_values(["guide", "_p", "_negcfd", "edits", "_bulges", "mismatches", "chrom", "start", "strand",
                         "end", "site"], kind="mergesort")
    df["rank"] = df.groupby("guide", sort=False).cumcount() + 1
    df = df.drop(columns=["_p", "_negcfd", "_bulges"]).reset_index(drop=True)
    extra = [c for c in df.columns if c not in SITE_COLUMNS]
    return df[list(SITE_COLUMNS) + extra]


def sites_bed(sites: pd.DataFrame) -> pd.DataFrame:
    """BED6 (0-based half-open): chrom, start, end, name = site_id, score = round(1000 * CFD) or ``.`` when
    unscored (an unscored site is not a CFD of 0), strand."""
    cfd = sites["cfd"].astype(float)
    score = [("." if c != c else str(int(round(c * 1000)))) for c in cfd]
    bed = pd.DataFrame({
        "#chrom": sites["chrom"], "start": sites["start"], "end": sites["end"], "name": sites["site_id"],
        "score": score, "strand": sites["strand"],
    })
    return bed.sort_values(["#chrom", "start", "end", "strand", "name"], kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Streamed form (the workflow's path): the hit table is split into (guide, contig) parts, annotated one
# part at a time (``threads`` worker processes in parallel), and written one guide at a time: only that
# guide's ranking keys (about 60 bytes per site) and byte offsets of its formatted rows are held, the rows
# are written in rank order from a memory-mapped scratch file. The BED (ordered by contig, position, then
# guide) is written per guide as a sorted run and the runs are merged (heap merge of sorted files).

def _text_lines(df: pd.DataFrame) -> list[bytes]:
    from cgtsafe.io.tables import FLOAT_FORMAT

    if df.shape[1] == 0:
        return [b""] * len(df)
    text = df.to_csv(sep="\t", index=False, header=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return [x.encode() for x in text.split("\n")[:-1]]


class _Rows:
    """Formatted rows in a scratch file: ``prefix`` + (rank) + ``suffix`` per row, and the offsets."""

    def __init__(self, path):
        self.path = path
        self.fh = open(path, "wb")
        self.pos = 0
        self.offsets: list[np.ndarray] = []

    def add_blob(self, blob: bytes, lp: np.ndarray, ls: np.ndarray) -> None:
        """Rows given as one blob of ``prefix + suffix`` per row with the prefix / suffix lengths."""
        ends = self.pos + np.cumsum(lp + ls)
        starts = ends - lp - ls
        self.offsets.append(np.stack([starts, starts + lp, ends], axis=1))
        self.fh.write(blob)
        self.pos += len(blob)

    def write(self, out, order: np.ndarray, middle=None, batch: int = 100_000) -> None:
        """Rows in ``order``; ``middle(i, rows)`` gives the bytes between prefix and suffix (the rank)."""
        import mmap

        self.fh.close()
        off = np.concatenate(self.offsets) if self.offsets else np.zeros((0, 3), dtype=np.int64)
        self.offsets = []
        if not len(off):
            return
        with open(self.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            for lo in range(0, len(order), batch):
                idx = order[lo:lo + batch]
                o = off[idx].tolist()
                mid = middle(lo, len(idx)) if middle is not None else None
                if mid is None:
                    out.write(b"".join(mm[a:e] for a, _, e in o))
                else:
                    out.write(b"".join(mm[a:m] + r + mm[m:e] for (a, m, e), r in zip(o, mid)))
                if hasattr(mm, "madvise"):  # drop the mapped pages from this process (they stay in the page cache)
                    mm.madvise(mmap.MADV_DONTNEED)


def _ranks(names: list[str]) -> dict[str, int]:
    return {n: i for i, n in enumerate(sorted(set(names)))}


#: width of the sort key that prefixes each line of a BED run: contig rank, start, end, strand, guide rank (hex)
_BED_KEY = 8 + 16 + 16 + 1 + 8
#: state of the part workers (set before the worker processes fork; read-only in them)
_STATE: dict = {}


def _annotate_part(i: int):
    """Annotate part ``i`` of ``_STATE["parts"]``; returns None (no site) or the formatted rows and keys:
    (columns, rows blob, prefix lengths, suffix lengths, ranking keys, BED run blob)."""
    st = _STATE
    parts = st["parts"]
    key = parts.keys[i]
    df = annotate_unranked(parts.frame(key), context=st["context"], **st["kw"])
    parts.drop(key)
    if df.empty:
        return None
    df["rank"] = 0
    cols = list(SITE_COLUMNS) + [c for c in df.columns if c not in SITE_COLUMNS]
    df = df[cols]
    r = cols.index("rank")
    prefix = [x + b"\t" for x in _text_lines(df.iloc[:, :r])] if r else [b""] * len(df)
    suffix = [(b"\t" if r + 1 < len(cols) else b"") + x + b"\n" for x in _text_lines(df.iloc[:, r + 1:])]
    lp = np.fromiter(map(len, prefix), dtype=np.int64, count=len(prefix))
    ls = np.fromiter(map(len, suffix), dtype=np.int64, count=len(suffix))
    blob = b"".join(x for pair in zip(prefix, suffix) for x in pair)
    del prefix, suffix
    n = len(df)
    c = st["crank"][key[1]]
    minus = (df["strand"] == "-").to_numpy(dtype=np.int8)
    keys = [  # within one guide; compact dtypes: about 33 bytes per site
        df["priority"].map({p: i for i, p in enumerate(PRIORITIES)}).to_numpy(dtype=np.int8),
        -df["cfd"].fillna(0.0).to_numpy(dtype=np.float64), df["edits"].to_numpy(dtype=np.int16),
        (df["dna_bulge"] + df["rna_bulge"]).to_numpy(dtype=np.int16), df["mismatches"].to_numpy(dtype=np.int16),
        np.full(n, c, dtype=np.int32), df["start"].to_numpy(dtype=np.int64), minus, df["end"].to_numpy(dtype=np.int64)]
    bedblob = b""
    if st["bed"]:
        b = sites_bed(df)  # one guide on one contig: sorted by start, end, strand (the name is then unique)
        g = st["gcolon"][key[0] + ":"]
        hk = [b"%08x%016x%016x%d%08x" % (c, s, e, m, g) for s, e, m in
              zip(b["start"].tolist(), b["end"].tolist(), (b["strand"] == "-").astype(int).tolist())]
        bedblob = b"".join(h + x + b"\n" for h, x in zip(hk, _text_lines(b)))
    return cols, blob, lp, ls, keys, bedblob


def _worker_init() -> None:
    """A worker ends quietly when the pool stops it (not through the command line's SIGTERM handler)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _merge_runs(paths: list[Path], out, tmp: Path, fan_in: int = 200) -> None:
    """Heap merge of sorted runs (lines prefixed by a ``_BED_KEY``-wide key) into ``out`` without the keys;
    more than ``fan_in`` runs are merged in rounds (open files stay few)."""
    import heapq

    paths = list(paths)
    fan_in = max(2, fan_in)
    k = 0
    while len(paths) > fan_in:
        group, paths = paths[:fan_in], paths[fan_in:]
        merged = tmp / f"bedmerge{k}"
        k += 1
        fhs = [open(p, "rb") for p in group]
        with open(merged, "wb") as fo:
            fo.writelines(heapq.merge(*fhs))
        for fh, p in zip(fhs, group):
            fh.close()
            p.unlink()
        paths.append(merged)
    fhs = [open(p, "rb") for p in paths]
    try:
        buf = []
        for line in heapq.merge(*fhs):
            buf.append(line[_BED_KEY:])
            if len(buf) >= 65536:
                out.write(b"".join(buf))
                buf = []
        out.write(b"".join(buf))
    finally:
        for fh in fhs:
            fh.close()


def annotate_hit_file(hits_path: str | Path, out: str | Path, *, bed: str | Path | None = None, genes=None,
                      genes_of_concern=None, windows=(50000, 100000), promoter_upstream: int = 2000,
                      max_bulge_mismatches: int | None = None, threads: int = 1) -> int:
    """:func:`annotate_sites` (+ :func:`sites_bed`) streamed from the TSV hit table to the TSV ``out`` (and
    ``bed``): same bytes as writing their frames, whatever ``threads``. Collapsing, annotation and priority
    are per guide and contig, so each (guide, contig) part is annotated alone (by ``threads`` worker
    processes); the ranking (within a guide, across contigs) is a sort of one guide's numeric keys, the BED
    order a merge of the guides' sorted runs. Memory: one guide's keys (about 60 bytes per site) plus one
    part per worker. Returns the number of sites."""
    import multiprocessing as mp

    from cgtsafe.io.tables import atomic_path
    from cgtsafe.offtarget.merge import Parts, scratch_dir

    out = Path(out)
    with scratch_dir(out) as tmp:
        parts = Parts([hits_path], tmp, what="off-target hit table")
        context = annotation_context(genes, genes_of_concern, promoter_upstream)
        if context[0] is not None:
            check_contig_names([c for _, c in parts.keys], context[2], genes=genes)
        grank = _ranks([g for g, _ in parts.keys])
        crank = _ranks([c for _, c in parts.keys])
        _STATE.update(parts=parts, context=context, crank=crank, gcolon=_ranks([g + ":" for g, _ in parts.keys]),
                      bed=bed is not None, kw={"genes": genes, "genes_of_concern": genes_of_concern,
                                               "windows": windows, "promoter_upstream": promoter_upstream,
                                               "max_bulge_mismatches": max_bulge_mismatches})
        # guide by guide (name order), within a guide contig by contig (name order: the BED run's order)
        todo = sorted(range(len(parts.keys)), key=lambda i: (grank[parts.keys[i][0]], crank[parts.keys[i][1]]))
        pool = None
        try:
            if threads > 1 and len(todo) > 1:
                pool = mp.get_context("fork").Pool(min(threads, len(todo)), initializer=_worker_init)
                results = pool.imap(_annotate_part, todo)
            else:
                results = map(_annotate_part, todo)
            n_sites, columns, bed_runs = 0, None, []
            with atomic_path(out) as t, open(t, "wb") as fh:
                guide, rows, keys, bedfh = None, None, [], None

                def finish():  # write the current guide's rows in rank order
                    nonlocal n_sites
                    if rows is None:
                        return
                    if bedfh is not None:
                        bedfh.close()
                    k = [np.concatenate(col) for col in zip(*keys)]
                    keys.clear()
                    if k:
                        order = np.lexsort(k[::-1])  # priority, -CFD, edits, bulges, mismatches, contig, start,
                        del k  # strand, end; rank = 1.. in that order
                        rows.write(fh, order, middle=lambda lo, m: [b"%d" % x for x in range(lo + 1, lo + m + 1)])
                        n_sites += len(order)
                    rows.fh.close()
                    Path(rows.path).unlink()

                for i, res in zip(todo, results):
                    g = parts.keys[i][0]
                    if g != guide:
                        finish()
                        guide, keys = g, []
                        rows = _Rows(tmp / f"rows{grank[g]}")
                        bedfh = None
                        if bed is not None:
                            bed_runs.append(tmp / f"bed{grank[g]}")
                            bedfh = open(bed_runs[-1], "wb")
                    if res is None:
                        continue
                    cols, blob, lp, ls, k, bedblob = res
                    if columns is None:
                        columns = cols
                        fh.write(("\t".join(columns) + "\n").encode())
                    rows.add_blob(blob, lp, ls)
                    keys.append(k)
                    if bedfh is not None:
                        bedfh.write(bedblob)
                    del res, blob, bedblob
                finish()
                if columns is None:
                    raise _NoSites
            if bed is not None:
                with atomic_path(bed) as t, open(t, "wb") as bfh:
                    bfh.write(b"#chrom\tstart\tend\tname\tscore\tstrand\n")
                    _merge_runs([p for p in bed_runs if p.exists()], bfh, tmp)
            if pool is not None:
                pool.close()
                pool.join()
                pool = None
            return n_sites
        except _NoSites:  # no site: the frame path writes the empty table with its column types
            from cgtsafe.io.tables import read_table, write_table
            from cgtsafe.offtarget.merge import HIT_COLUMNS, coerce_hits

            hits = coerce_hits(read_table(hits_path, required=HIT_COLUMNS, what="off-target hit table"),
                               path=hits_path)
            sites = annotate_sites(hits, genes=genes, genes_of_concern=genes_of_concern, windows=windows,
                                   promoter_upstream=promoter_upstream, max_bulge_mismatches=max_bulge_mismatches)
            if bed is not None:
                write_table(sites_bed(sites), bed)
            write_table(sites, out)
            return len(sites)
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
            _STATE.clear()


class _NoSites(Exception):
    """No part had a site (the empty table is written by the frame path)."""
