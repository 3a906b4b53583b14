"""Genome-wide edited-only small variants: edited sample vs its matched unedited control.

Guidance 004 asks for an in vitro whole-genome comparison of edited and unedited cells, 002 6.2.3
for WGS next to prediction and validation. This module scans the whole genome (or BED regions) of an
edited BAM/CRAM and its matched control in one pass per region and reports small variants (SNVs and
indel loci) present in the edited sample and absent from the control.

Read filters: unmapped, secondary (0x100), QC-fail (0x200), duplicate (0x400) and supplementary
(0x800) records and reads with MAPQ < ``min_mapq`` are skipped; bases with quality < ``min_baseq``
are not counted as alleles (they still count for depth).

Counting (per position, both samples, same filters): A/C/G/T counts from aligned (M/=/X) bases;
indels from the CIGAR (I/D), left-normalised against the reference (VCF-style, so that the same
indel placed differently by an aligner is one allele); depth = reads whose aligned span covers the
position (deletions included).

Candidates and tests
* **SNV**: the most frequent non-reference base of the edited sample at a position with
  edited depth >= ``min_depth``, alt reads >= ``min_alt_reads``, VAF >= ``min_vaf``; control depth
  >= ``min_control_depth``. A candidate whose control alt reads exceed ``max_control_alt`` is a
  *shared* variant (germline or clonal in both) and is not reported (only counted).
* **Indel locus**: CRISPR repair gives many different indels at one cut, each at a low VAF, so
  indels are tested per locus. Indel alleles of the edited sample that are not present in the
  control (control reads with that allele <= ``max_control_alt``) are clustered when their spans
  lie within ``cluster_distance`` bp; the locus count is the number of reads carrying any indel
  overlapping the (extended) locus span, in each sample; depth = reads spanning the locus.
  Thresholds as for SNVs with ``min_indel_reads`` instead of ``min_alt_reads``; a locus whose control
  indel reads exceed ``max_control_alt`` is shared.
* One-sided Fisher exact test (edited alt/ref vs control alt/ref, alternative "greater"),
  Benjamini-Hochberg per variant class (SNV, indel) over all tested candidates; ``call`` =
  q <= ``alpha``.
* Each reported row is checked for similarity to the guides: the reference within ``guide_window``
  bp of the variant is searched with the exhaustive off-target engine
  (:func:`cgtsafe.offtarget.search.search_genome`, <= ``guide_max_mismatches`` mismatches and
  <= ``guide_max_bulges`` DNA and RNA bulges); ``guide_like`` = a site overlaps the window. Rows are
  annotated with genes and genes of concern (:func:`cgtsafe.offtarget.annotate.annotate_positions`).

Expected sensitivity is computed, not assumed: for a true VAF f at the median depths, the power is
P(Binomial(d_edited, f) >= k_min), k_min the smallest alt count that passes the thresholds and the
Fisher test at nominal ``alpha`` against 0 alt reads in the control.

Coordinates of ``genomewide_variants.tsv``: ``start``/``end`` 0-based, end exclusive (reference
bases affected: the SNV base, the deleted bases, or for an insertion the base right of the insertion
point); ``pos``/``ref``/``alt`` VCF-style, ``pos`` **1-based**, indels with the preceding anchor
base (for an indel locus: the most frequent allele; all alleles in ``alleles`` as
``pos:REF>ALT:reads`` with the same 1-based convention). ``guide_site_start`` 0-based,
``guide_cut`` 0-based (base right of the break), gene positions as in ``cgtsafe.io.annotation``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError

CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    CODE[_b] = _i
    CODE[_b + 32] = _i
BASES = "ACGT"
SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800
#: chunks are counted this many bp beyond their ends so that an indel locus on a border is seen whole
#: (it belongs to the chunk holding its first base)
CHUNK_OVERLAP = 500

COLUMNS = [
    "variant_id", "chrom", "start", "end", "pos", "ref", "alt", "type", "n_alleles", "alleles",
    "edited_alt", "edited_depth", "edited_vaf", "control_alt", "control_depth", "control_vaf",
    "p_value", "q_value", "call", "guide_like", "guide", "guide_mismatches", "guide_dna_bulge", "guide_rna_bulge",
    "guide_site_start", "guide_strand", "guide_cut", "guide_cut_distance", "gene", "feature", "nearest_gene",
    "gene_of_concern", "gene_of_concern_name", "gene_of_concern_distance",
]


@dataclass
class Params:
    min_mapq: int = 20
    min_baseq: int = 20
    min_depth: int = 10
    min_control_depth: int = 10
    min_alt_reads: int = 3
    min_indel_reads: int = 2
    min_vaf: float = 0.05
    max_control_alt: int = 1
    cluster_distance: int = 5
    alpha: float = 0.05
    chunk_size: int = 500_000
    guide_window: int = 30
    guide_max_mismatches: int = 6
    guide_max_bulges: int = 2

    def check(self) -> None:
        for k in ("min_mapq", "min_baseq", "min_depth", "min_control_depth", "min_alt_reads", "min_indel_reads",
                  "max_control_alt", "cluster_distance", "guide_window", "guide_max_mismatches", "guide_max_bulges"):
            v = getattr(self, k)
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise InputError(f"{k} must be a non-negative integer, got {v!r}")
        if self.min_alt_reads < 1 or self.min_indel_reads < 1:
            raise InputError("min_alt_reads and min_indel_reads must be >= 1")
        if not 0 <= self.min_vaf <= 1:
            raise InputError(f"min_vaf must be within 0..1, got {self.min_vaf!r}")
        if not 0 < self.alpha < 1:
            raise InputError(f"alpha must be within (0, 1), got {self.alpha!r}")
        if self.chunk_size < 1000:
            raise InputError(f"chunk_size must be >= 1000, got {self.chunk_size!r}")


# --------------------------------------------------------------------------------------------
# input


def open_alignments(path: str | Path, reference: str | Path | None):
    """Open a BAM/CRAM with its index; one-line errors for the usual mistakes."""
    import pysam

    path = Path(path)
    if not path.exists():
        raise InputError("alignment file not found", path=path)
    kw = {}
    if path.suffix.lower() == ".cram":
        if reference is None:
            raise InputError("a CRAM file needs the reference FASTA (--reference)", path=path)
        kw["reference_filename"] = str(reference)
    try:
        af = pysam.AlignmentFile(str(path), "rc" if path.suffix.lower() == ".cram" else "rb", **kw)
    except (ValueError, OSError) as exc:
        raise InputError(f"cannot open as BAM/CRAM ({str(exc).splitlines()[0]})", path=path) from None
    if not af.has_index():
        af.close()
        raise InputError("alignment file has no index (.bai/.csi/.crai); run samtools index", path=path)
    return af


class Reference:
    """Random access to the reference (pysam.FastaFile when indexed, else read into memory)."""

    def __init__(self, path: str | Path):
        import pysam

        self.path = Path(path)
        if not self.path.exists():
            raise InputError("reference FASTA not found", path=self.path)
        self._fa = None
        self._mem: dict[str, bytes] | None = None
        if Path(str(self.path) + ".fai").exists():
            try:
                self._fa = pysam.FastaFile(str(self.path))
            except (OSError, ValueError):
                self._fa = None
        if self._fa is None:
            from cgtsafe.io.fasta import read_fasta

            self._mem = read_fasta(self.path)
        self.lengths = (dict(zip(self._fa.references, self._fa.lengths)) if self._fa is not None
                        else {k: len(v) for k, v in self._mem.items()})

    def fetch(self, contig: str, start: int, end: int) -> bytes:
        start, end = max(0, start), min(self.lengths[contig], end)
        if end <= start:
            return b""
        if self._fa is not None:
            return self._fa.fetch(contig, start, end).upper().encode()
        return self._mem[contig][start:end].upper()


def read_regions(path: str | Path | None, lengths: dict[str, int]) -> list[tuple[str, int, int]]:
    """BED regions (0-based, end exclusive), merged per contig; whole contigs when ``path`` is None."""
    if path is None:
        return [(c, 0, n) for c, n in lengths.items()]
    path = Path(path)
    if not path.exists():
        raise InputError("regions BED not found", path=path)
    by: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t")
        if len(f) < 3:
            raise InputError("BED line needs chrom<TAB>start<TAB>end", path=path, line=lineno)
        try:
            s, e = int(f[1]), int(f[2])
        except ValueError:
            raise InputError("BED start/end must be integers", path=path, line=lineno) from None
        if f[0] not in lengths:
            raise InputError(f"contig {f[0]!r} is not in the reference", path=path, line=lineno)
        if s < 0 or e <= s or e > lengths[f[0]]:
            raise InputError(f"BED interval {s}-{e} is empty or outside {f[0]} (length {lengths[f[0]]})",
                             path=path, line=lineno)
        by[f[0]].append((s, e))
    out = []
    for c in lengths:
        iv = sorted(by.get(c, []))
        merged: list[list[int]] = []
        for s, e in iv:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        out += [(c, s, e) for s, e in merged]
    if not out:
        raise InputError("regions BED has no intervals", path=path)
    return out


# --------------------------------------------------------------------------------------------
# one pass over a region


@dataclass
class RegionCounts:
    start: int
    end: int
    bases: np.ndarray  # (L, 4) int32 allele counts (quality-filtered)
    depth: np.ndarray  # (L,) int32 reads covering (deletions included)
    indels: dict = field(default_factory=dict)  # key -> reads
    indel_obs: list = field(default_factory=list)  # (read_idx, span_start, span_end, key)
    read_start: np.ndarray = None  # aligned spans of counted reads
    read_end: np.ndarray = None
    n_reads: int = 0


def normalize_indel(ref: bytes, off: int, kind: str, p: int, x) -> tuple:
    """Left-normalise an indel. ``ref`` covers the genome from ``off``; ``p`` 0-based (first deleted
    base / base before which the insertion sits); ``x`` = length (D) or inserted bases (I)."""
    if kind == "D":
        d = x
        while p - 1 - off >= 0 and p + d - 1 - off < len(ref) and ref[p - 1 - off] == ref[p + d - 1 - off]:
            p -= 1
        return ("D", p, d)
    ins = x
    while p - 1 - off >= 0 and ref[p - 1 - off] == ord(ins[-1]):
        ins = ins[-1] + ins[:-1]
        p -= 1
    return ("I", p, ins)


def count_region(af, ref: Reference, contig: str, start: int, end: int, params: Params) -> RegionCounts:
    """Allele counts, depth and indels of one sample in ``[start, end)`` (one pass over the reads)."""
    L = end - start
    pad = 1000
    rseq = ref.fetch(contig, start - pad, end + pad)
    roff = max(0, start - pad)
    q_seqs: list[str] = []
    q_quals: list[str] = []
    q_pos: list[int] = []
    q_len: list[int] = []
    spans_s: list[int] = []
    spans_e: list[int] = []
    indels: dict = defaultdict(int)
    obs: list = []
    n = 0
    min_mapq = params.min_mapq
    bases = np.zeros(L * 4, dtype=np.int64)
    depth = np.zeros(L + 1, dtype=np.int64)

    def flush():
        nonlocal bases
        if not q_pos:
            return
        codes = CODE[np.frombuffer("".join(q_seqs).encode(), dtype=np.uint8)]
        quals = np.frombuffer("".join(q_quals).encode(), dtype=np.uint8)
        lens = np.asarray(q_len, dtype=np.int32)
        pos = np.repeat(np.asarray(q_pos, dtype=np.int32) - np.int32(start) - np.cumsum(lens, dtype=np.int32) + lens,
                        lens) + np.arange(len(codes), dtype=np.int32)
        keep = (pos >= 0) & (pos < L) & (codes < 4) & (quals >= params.min_baseq + 33)
        bases += np.bincount(pos[keep].astype(np.int64) * 4 + codes[keep], minlength=L * 4)[: L * 4]
        q_seqs.clear()
        q_quals.clear()
        q_pos.clear()
        q_len.clear()

    for r in af.fetch(contig, start, end):
        if len(q_pos) >= 50000:
            flush()
        if r.flag & SKIP_FLAGS or r.mapping_quality < min_mapq:
            continue
        cig = r.cigartuples
        if not cig:
            continue
        rs = r.reference_start
        seq = r.query_sequence
        qual = r.query_qualities_str
        if seq is None or qual is None:
            continue
        if len(cig) == 1 and cig[0][0] == 0:
            q_seqs.append(seq)
            q_quals.append(qual)
            q_pos.append(rs)
            q_len.append(cig[0][1])
            spans_s.append(rs)
            spans_e.append(rs + cig[0][1])
            n += 1
            continue
        qp, rp = 0, rs
        for op, ln in cig:
            if op in (0, 7, 8):
                q_seqs.append(seq[qp:qp + ln])
                q_quals.append(qual[qp:qp + ln])
                q_pos.append(rp)
                q_len.append(ln)
                qp += ln
                rp += ln
            elif op == 1:
                if start <= rp < end:
                    key = normalize_indel(rseq, roff, "I", rp, seq[qp:qp + ln].upper())
                    indels[key] += 1
                    obs.append((n, key[1], key[1] + 1, key))
                qp += ln
            elif op == 2:
                if start <= rp < end:
                    key = normalize_indel(rseq, roff, "D", rp, ln)
                    indels[key] += 1
                    obs.append((n, key[1], key[1] + ln, key))
                rp += ln
            elif op == 3:
                rp += ln
            elif op == 4:
                qp += ln
        spans_s.append(rs)
        spans_e.append(rp)
        n += 1
    flush()
    ss = np.asarray(spans_s, dtype=np.int64)
    se = np.asarray(spans_e, dtype=np.int64)
    if len(ss):
        a = np.clip(ss - start, 0, L)
        b = np.clip(se - start, 0, L)
        np.add.at(depth, a, 1)
        np.add.at(depth, b, -1)
    depth = np.cumsum(depth)[:L].astype(np.int32)
    bases = bases.reshape(L, 4).astype(np.int32)
    return RegionCounts(start, end, bases, depth, dict(indels), obs, ss, se, n)


# --------------------------------------------------------------------------------------------
# candidates


def _fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided Fisher exact p for [[a, b], [c, d]] (edited alt/ref vs control alt/ref), a large."""
    from scipy.stats import hypergeom

    n1, n2, k = a + b, c + d, a + c
    if k == 0:
        return 1.0
    return float(hypergeom.sf(a - 1, n1 + n2, k, n1))


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as ``p``."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def _vcf(ref_fetch, contig: str, key: tuple) -> tuple[int, str, str, int, int]:
    """(pos 1-based, REF, ALT, span start 0-based, span end) of an indel key."""
    kind, p, x = key
    anchor = ref_fetch(contig, p - 1, p).decode() or "N"
    if kind == "D":
        return p, anchor + ref_fetch(contig, p, p + x).decode(), anchor, p, p + x
    return p, anchor, anchor + x, p, p + 1


def call_region(ed: RegionCounts, ct: RegionCounts, ref: Reference, contig: str, params: Params,
                stats: dict, core: tuple[int, int] | None = None) -> list[dict]:
    """Tested candidates of one region (SNVs and indel loci); shared variants only counted in ``stats``.

    ``core``: the part of the counted region this call owns (chunks are counted with an overlap so that
    an indel locus on a chunk border is seen whole); SNVs and loci starting outside it are dropped.
    """
    rows: list[dict] = []
    L = ed.end - ed.start
    c0, c1 = core if core is not None else (ed.start, ed.end)
    a0, a1 = c0 - ed.start, c1 - ed.start
    rseq = np.frombuffer(ref.fetch(contig, ed.start, ed.end), dtype=np.uint8)
    rcode = CODE[rseq]
    both = (ed.depth >= params.min_depth) & (ct.depth >= params.min_control_depth)
    both[:a0] = False
    both[a1:] = False
    stats["callable_bp"] += int(both.sum())
    stats["scanned_bp"] += c1 - c0
    stats["depth_samples_e"].append(ed.depth[both][:: max(1, L // 2000)])
    stats["depth_samples_c"].append(ct.depth[both][:: max(1, L // 2000)])
    # ---- SNVs
    e_alt = ed.bases.copy()
    valid = rcode < 4
    e_alt[np.arange(L)[valid], rcode[valid]] = -1
    alt_base = np.argmax(e_alt, axis=1)
    alt_n = e_alt[np.arange(L), alt_base]
    e_cnt = ed.bases.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        vaf = np.where(e_cnt > 0, alt_n / np.maximum(e_cnt, 1), 0.0)
    cand = valid & (alt_n >= params.min_alt_reads) & (vaf >= params.min_vaf) & (ed.depth >= params.min_depth)
    cand[:a0] = False
    cand[a1:] = False
    for i in np.nonzero(cand)[0].tolist():
        b = int(alt_base[i])
        c_alt = int(ct.bases[i, b])
        c_cnt = int(ct.bases[i].sum())
        if ct.depth[i] < params.min_control_depth:
            stats["low_control_depth"] += 1
            continue
        if c_alt > params.max_control_alt:
            stats["shared_snv"] += 1
            continue
        a = int(alt_n[i])
        n_e = int(e_cnt[i])
        pos0 = ed.start + i
        rows.append({
            "chrom": contig, "start": pos0, "end": pos0 + 1, "pos": pos0 + 1, "ref": BASES[int(rcode[i])],
            "alt": BASES[b], "type": "SNV", "n_alleles": 1, "alleles": f"{pos0 + 1}:{BASES[int(rcode[i])]}>{BASES[b]}:{a}",
            "edited_alt": a, "edited_depth": n_e, "control_alt": c_alt, "control_depth": c_cnt,
        })
    # ---- indel loci
    ctl_allele = ct.indels
    specific = {k: v for k, v in ed.indels.items() if ctl_allele.get(k, 0) <= params.max_control_alt}
    stats["shared_indel_alleles"] += sum(1 for k in ed.indels if k not in specific)
    if specific:
        spans = sorted((k[1], k[1] + (k[2] if k[0] == "D" else 1), k) for k in specific)
        clusters: list[list] = []
        for s, e, k in spans:
            if clusters and s <= clusters[-1][1] + params.cluster_distance:
                clusters[-1][1] = max(clusters[-1][1], e)
                clusters[-1][2].append(k)
            else:
                clusters.append([s, e, [k]])
        for cs, ce, keys in clusters:
            if not c0 <= cs < c1:
                continue
            lo, hi = cs - params.cluster_distance, ce + params.cluster_distance
            e_reads = {o[0] for o in ed.indel_obs if o[1] < hi and o[2] > lo}
            c_reads = {o[0] for o in ct.indel_obs if o[1] < hi and o[2] > lo}
            e_dp = int(((ed.read_start <= cs) & (ed.read_end >= ce)).sum()) if ed.n_reads else 0
            c_dp = int(((ct.read_start <= cs) & (ct.read_end >= ce)).sum()) if ct.n_reads else 0
            a = len(e_reads)
            if a < params.min_indel_reads or e_dp < params.min_depth or a / max(e_dp, 1) < params.min_vaf:
                continue
            if c_dp < params.min_control_depth:
                stats["low_control_depth"] += 1
                continue
            if len(c_reads) > params.max_control_alt:
                stats["shared_indel_loci"] += 1
                continue
            keys = sorted(keys, key=lambda k: (-specific[k], k[1], k[0], str(k[2])))
            top = keys[0]
            pos, r_, a_, _, _ = _vcf(ref.fetch, contig, top)
            alle = []
            for k in sorted(keys, key=lambda k: (k[1], k[0], str(k[2]))):
                p1, rr, aa, _, _ = _vcf(ref.fetch, contig, k)
                alle.append(f"{p1}:{rr}>{aa}:{specific[k]}")
            rows.append({
                "chrom": contig, "start": cs, "end": ce, "pos": pos, "ref": r_, "alt": a_, "type": "INDEL",
                "n_alleles": len(keys), "alleles": ";".join(alle),
                "edited_alt": a, "edited_depth": e_dp, "control_alt": len(c_reads), "control_depth": c_dp,
            })
    for r in rows:
        a, n_e, c, n_c = r["edited_alt"], r["edited_depth"], r["control_alt"], r["control_depth"]
        r["p_value"] = _fisher_greater(a, max(n_e - a, 0), c, max(n_c - c, 0))
        r["edited_vaf"] = a / n_e if n_e else 0.0
        r["control_vaf"] = c / n_c if n_c else 0.0
    return rows


# --------------------------------------------------------------------------------------------
# guide similarity and annotation


def guide_similarity(rows: pd.DataFrame, ref: Reference, guides_path, nuclease_name: str, params: Params) -> pd.DataFrame:
    """Best guide-like site (fewest edits) overlapping each row's +-guide_window window."""
    out = {k: [] for k in ("guide_like", "guide", "guide_mismatches", "guide_dna_bulge", "guide_rna_bulge",
                           "guide_site_start", "guide_strand", "guide_cut", "guide_cut_distance")}
    if rows.empty or guides_path is None:
        n = len(rows)
        out["guide_like"] = [0] * n
        for k in out:
            if k != "guide_like":
                out[k] = [""] * n
        return pd.DataFrame(out, index=rows.index)
    from cgtsafe.offtarget.nuclease import get_nuclease
    from cgtsafe.offtarget.search import read_guides, search_genome

    nuc = get_nuclease(nuclease_name)
    guides = read_guides(guides_path, nuc)
    flank = params.guide_window + nuc.site_length + params.guide_max_bulges
    mini = {}
    offsets = {}
    for i, r in enumerate(rows.itertuples(index=False)):
        a = max(0, int(r.start) - flank)
        b = min(ref.lengths[r.chrom], int(r.end) + flank)
        mini[f"w{i}"] = ref.fetch(r.chrom, a, b)
        offsets[f"w{i}"] = a
    hits = search_genome(mini, guides, nuc, max_mismatches=params.guide_max_mismatches,
                         max_dna_bulge=params.guide_max_bulges, max_rna_bulge=params.guide_max_bulges)
    best: dict[str, tuple] = {}
    for h in hits.itertuples(index=False):
        i = int(str(h.chrom)[1:])
        r = rows.iloc[i]
        off = offsets[h.chrom]
        s, e = int(h.start) + off, int(h.end) + off
        if e <= int(r.start) - params.guide_window or s >= int(r.end) + params.guide_window:
            continue
        cut = int(h.cut_start) + off
        dist = 0 if int(r.start) <= cut <= int(r.end) else min(abs(cut - int(r.start)), abs(cut - int(r.end)))
        edits = int(h.mismatches) + int(h.dna_bulge) + int(h.rna_bulge)
        key = (edits, dist, int(h.dna_bulge) + int(h.rna_bulge), str(h.guide), s, str(h.strand))
        if h.chrom not in best or key < best[h.chrom][0]:
            best[h.chrom] = (key, (str(h.guide), int(h.mismatches), int(h.dna_bulge), int(h.rna_bulge), s,
                                   str(h.strand), cut, dist))
    for i in range(len(rows)):
        b = best.get(f"w{i}")
        if b is None:
            out["guide_like"].append(0)
            for k in list(out)[1:]:
                out[k].append("")
        else:
            out["guide_like"].append(1)
            for k, v in zip(list(out)[1:], b[1]):
                out[k].append(v)
    return pd.DataFrame(out, index=rows.index)


# --------------------------------------------------------------------------------------------
# driver


def _counted(af, path, ref, contig, lo, hi, params):
    try:
        return count_region(af, ref, contig, lo, hi, params)
    except (OSError, ValueError) as exc:  # truncated file, CRAM decoded against another reference, ...
        raise InputError(f"cannot read alignments in {contig}:{lo}-{hi} ({str(exc).splitlines()[0]}); is the "
                         f"file complete and --reference the FASTA it was aligned to?", path=path) from None


def _scan_chunk(args):
    edited, control, reference, contig, s, e, params = args
    ref = Reference(reference)
    af_e = open_alignments(edited, reference)
    af_c = open_alignments(control, reference)
    stats = new_stats()
    try:
        lo, hi = max(0, s - CHUNK_OVERLAP), min(ref.lengths[contig], e + CHUNK_OVERLAP)
        ed = _counted(af_e, edited, ref, contig, lo, hi, params)
        ct = _counted(af_c, control, ref, contig, lo, hi, params)
        rows = call_region(ed, ct, ref, contig, params, stats, core=(s, e))
    finally:
        af_e.close()
        af_c.close()
    return rows, stats


def new_stats() -> dict:
    return {"callable_bp": 0, "scanned_bp": 0, "low_control_depth": 0, "shared_snv": 0, "shared_indel_alleles": 0,
            "shared_indel_loci": 0, "depth_samples_e": [], "depth_samples_c": []}


def scan(edited: str | Path, control: str | Path, reference: str | Path, *, regions: str | Path | None = None,
         params: Params | None = None, threads: int = 1) -> tuple[pd.DataFrame, dict]:
    """Scan the genome (or ``regions``) and return (tested candidates without guide/gene columns, stats)."""
    params = params or Params()
    params.check()
    ref = Reference(reference)
    present = set(ref.lengths)
    for p in (edited, control):  # validate before any work
        af = open_alignments(p, reference)
        present &= set(af.references)
        missing = [c for c in ref.lengths if c not in af.references]
        bad = [c for c in af.references if c in ref.lengths and af.get_reference_length(c) != ref.lengths[c]]
        af.close()
        if bad:
            raise InputError(f"contig length of {bad[0]} differs from the reference {reference}", path=p)
        if len(missing) == len(ref.lengths):
            raise InputError(f"no contig of the reference {reference} is in the alignment header", path=p)
    tasks = []
    skipped = []
    for c, s, e in read_regions(regions, ref.lengths):
        if c not in present:  # a reference contig without alignments in one of the samples
            skipped.append(c)
            continue
        for a in range(s, e, params.chunk_size):
            tasks.append((str(edited), str(control), str(reference), c, a, min(e, a + params.chunk_size), params))
    if threads > 1 and len(tasks) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=threads) as ex:
            results = list(ex.map(_scan_chunk, tasks))
    else:
        results = [_scan_chunk(t) for t in tasks]
    rows: list[dict] = []
    stats = new_stats()
    for rws, st in results:
        rows += rws
        for k, v in st.items():
            if isinstance(v, int):
                stats[k] += v
            elif isinstance(v, list):
                stats[k] += v
    de = np.concatenate(stats.pop("depth_samples_e")) if stats["depth_samples_e"] else np.zeros(0)
    dc = np.concatenate(stats.pop("depth_samples_c")) if stats["depth_samples_c"] else np.zeros(0)
    stats["contigs_not_in_alignments"] = sorted(set(skipped))
    stats["median_edited_depth"] = float(np.median(de)) if len(de) else 0.0
    stats["median_control_depth"] = float(np.median(dc)) if len(dc) else 0.0
    df = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in (
        "variant_id", "q_value", "call", "guide_like", "guide", "guide_mismatches", "guide_dna_bulge",
        "guide_rna_bulge", "guide_site_start", "guide_strand", "guide_cut", "guide_cut_distance", "gene", "feature",
        "nearest_gene", "gene_of_concern", "gene_of_concern_name", "gene_of_concern_distance")])
    order = {c: i for i, c in enumerate(ref.lengths)}
    if not df.empty:
        df["_o"] = df["chrom"].map(order)
        df = df.sort_values(["_o", "start", "end", "type", "alt"], kind="mergesort").drop(columns="_o")
        df = df.reset_index(drop=True)
    q = np.ones(len(df))
    for t in ("SNV", "INDEL"):
        m = (df["type"] == t).to_numpy() if len(df) else np.zeros(0, bool)
        if m.any():
            q[m] = bh(df.loc[m, "p_value"].to_numpy())
    df["q_value"] = q
    df["call"] = (df["q_value"] <= params.alpha).astype(int) if len(df) else []
    df.insert(0, "variant_id", [f"{r.chrom}:{r.pos}:{r.type}" for r in df.itertuples()] if len(df) else [])
    stats["tested_snv"] = int((df["type"] == "SNV").sum()) if len(df) else 0
    stats["tested_indel"] = int((df["type"] == "INDEL").sum()) if len(df) else 0
    return df, stats


def annotate(df: pd.DataFrame, reference: str | Path, *, guides=None, nuclease: str = "SpCas9", genes=None,
             genes_of_concern=None, windows=(50000, 100000), params: Params | None = None) -> pd.DataFrame:
    params = params or Params()
    ref = Reference(reference)
    g = guide_similarity(df, ref, guides, nuclease, params)
    df = pd.concat([df, g], axis=1)
    if genes and len(df):
        from cgtsafe.offtarget.annotate import annotate_positions

        mid = [(int(s) + int(e)) // 2 for s, e in zip(df["start"], df["end"])]
        ann = annotate_positions(list(df["chrom"]), mid, genes=genes, genes_of_concern=genes_of_concern,
                                 windows=windows)
        for k in ("gene", "feature", "nearest_gene", "gene_of_concern", "gene_of_concern_name",
                  "gene_of_concern_distance"):
            df[k] = ann[k]
    else:
        for k in ("gene", "feature", "nearest_gene", "gene_of_concern_name"):
            df[k] = ""
        df["gene_of_concern"] = 0
        df["gene_of_concern_distance"] = -1
    return df[COLUMNS]


def expected_sensitivity(depth_e: float, depth_c: float, params: Params,
                         vafs=(0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5)) -> pd.DataFrame:
    """Power to call an edited-only indel locus of VAF f at the median depths (see module docstring)."""
    from scipy.stats import binom

    de, dc = int(round(depth_e)), int(round(depth_c))
    kmin = None
    for k in range(max(params.min_indel_reads, 1), de + 1):
        if k / max(de, 1) >= params.min_vaf and _fisher_greater(k, de - k, 0, dc) <= params.alpha:
            kmin = k
            break
    rows = []
    for f in vafs:
        power = float(binom.sf(kmin - 1, de, f)) if kmin is not None and de > 0 else 0.0
        rows.append({"vaf": f, "edited_depth": de, "control_depth": dc, "min_alt_reads_needed": kmin if kmin else -1,
                     "power": power})
    return pd.DataFrame(rows)


def params_dict(params: Params) -> dict:
    return asdict(params)


def fmt_pct(x: float) -> str:
    return f"{100 * x:.3g} %" if not math.isnan(x) else "NA"


# --------------------------------------------------------------------------------------------
# per-pair run and the summary fragment


def run_pair(edited, control, reference, *, sample: str, control_name: str, regions=None, guides=None,
             nuclease: str = "SpCas9", genes=None, genes_of_concern=None, windows=(50000, 100000),
             params: Params | None = None, threads: int = 1) -> tuple[pd.DataFrame, dict]:
    """Scan one edited/control pair; return the annotated table (with ``sample``/``control``) and stats."""
    params = params or Params()
    df, stats = scan(edited, control, reference, regions=regions, params=params, threads=threads)
    df = annotate(df, reference, guides=guides, nuclease=nuclease, genes=genes, genes_of_concern=genes_of_concern,
                  windows=windows, params=params)
    df.insert(0, "control", control_name)
    df.insert(0, "sample", sample)
    sens = expected_sensitivity(stats["median_edited_depth"], stats["median_control_depth"], params)
    stats.update({"sample": sample, "control": control_name, "inputs": [str(edited), str(control)],
                  "sensitivity": sens.to_dict("records"), "parameters": params_dict(params),
                  "regions": str(regions) if regions else "whole genome"})
    return df, stats


def build_summary(tables: list[pd.DataFrame], stats: list[dict], *, table_name: str, sens_name: str) -> tuple[
        pd.DataFrame, pd.DataFrame, dict]:
    """Merge per-pair results into the combined table, the sensitivity table and the summary fragment."""
    df = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["sample", "control", *COLUMNS])
    df = df.sort_values(["sample"], kind="mergesort").reset_index(drop=True)
    sens = pd.DataFrame([{"sample": s["sample"], **r} for s in stats for r in s["sensitivity"]])
    called = df[df["call"].astype(int) == 1] if len(df) else df
    n_snv = int((called["type"] == "SNV").sum()) if len(called) else 0
    n_indel = int((called["type"] == "INDEL").sum()) if len(called) else 0
    n_guide = int(called["guide_like"].astype(int).sum()) if len(called) else 0
    n_concern = int(called["gene_of_concern"].astype(int).sum()) if len(called) else 0
    shared = sum(s["shared_snv"] + s["shared_indel_loci"] for s in stats)
    callable_mb = sum(s["callable_bp"] for s in stats) / 1e6
    p = stats[0]["parameters"] if stats else asdict(Params())
    dep = ", ".join(f"{s['sample']} {s['median_edited_depth']:.0f}x / {s['control']} {s['median_control_depth']:.0f}x"
                    for s in stats)

    def power_at(f):
        vals = [r["power"] for s in stats for r in s["sensitivity"] if abs(r["vaf"] - f) < 1e-9]
        return min(vals) if vals else float("nan")

    key = [
        {"label_en": "Edited/control pairs scanned", "label_zh": "扫描的编辑/对照样本对", "value": len(stats)},
        {"label_en": "Callable genome (both samples at minimum depth), Mb", "label_zh": "可判读基因组（两样本均达最低深度），Mb",
         "value": round(callable_mb, 3)},
        {"label_en": "Edited-only indel loci (BH q <= alpha)", "label_zh": "仅编辑样本中出现的插入缺失位点（BH q ≤ alpha）",
         "value": n_indel},
        {"label_en": "Edited-only SNVs (BH q <= alpha)", "label_zh": "仅编辑样本中出现的单核苷酸变异（BH q ≤ alpha）",
         "value": n_snv},
        {"label_en": "Called variants resembling a guide site", "label_zh": "与向导序列位点相似的检出变异", "value": n_guide},
        {"label_en": "Called variants near genes of concern", "label_zh": "位于关注基因附近的检出变异", "value": n_concern},
        {"label_en": "Variants shared with the control (germline, not reported)",
         "label_zh": "与对照共有的变异（胚系，不报告）", "value": shared},
        {"label_en": "Expected sensitivity at VAF 20 % / 5 %",
         "label_zh": "VAF 20 % / 5 % 时的预期灵敏度",
         "value": f"{fmt_pct(power_at(0.2))} / {fmt_pct(power_at(0.05))}"},
    ]
    methods_en = (
        f"Genome-wide edited-only small variants ({dep}; {stats[0]['regions'] if stats else 'whole genome'}): "
        f"reads with MAPQ >= {p['min_mapq']} (no duplicates, secondary or supplementary records), bases with "
        f"quality >= {p['min_baseq']}; SNV candidates need >= {p['min_alt_reads']} alt reads, indel loci "
        f"(edited-specific indel alleles clustered within {p['cluster_distance']} bp) >= {p['min_indel_reads']} reads, "
        f"VAF >= {p['min_vaf']}, depth >= {p['min_depth']} (edited) and >= {p['min_control_depth']} (control); "
        f"candidates with more than {p['max_control_alt']} alt reads in the control are shared (germline) and not "
        f"reported. One-sided Fisher exact test edited vs control, Benjamini-Hochberg per variant class, "
        f"called at q <= {p['alpha']}. Each variant is compared with the guides (+-{p['guide_window']} bp, "
        f"<= {p['guide_max_mismatches']} mismatches, <= {p['guide_max_bulges']} DNA/RNA bulges, exhaustive search) "
        f"and annotated with genes and genes of concern. Expected sensitivity is the binomial power at the median "
        f"depths (table {sens_name})."
    )
    methods_zh = (
        f"全基因组仅编辑样本小变异分析（{dep}）：使用 MAPQ ≥ {p['min_mapq']} 的读段（排除重复、次要和补充比对），"
        f"碱基质量 ≥ {p['min_baseq']}；SNV 候选需 ≥ {p['min_alt_reads']} 条变异读段，插入缺失位点（{p['cluster_distance']} bp 内"
        f"编辑样本特有的插入缺失等位基因合并）需 ≥ {p['min_indel_reads']} 条读段，VAF ≥ {p['min_vaf']}，编辑样本深度 ≥ "
        f"{p['min_depth']}、对照深度 ≥ {p['min_control_depth']}；对照中变异读段多于 {p['max_control_alt']} 条者视为共有"
        f"（胚系）变异，不予报告。编辑与对照之间采用单侧 Fisher 精确检验，按变异类别进行 Benjamini-Hochberg 校正，"
        f"q ≤ {p['alpha']} 判为检出。每个变异在 ±{p['guide_window']} bp 范围内与向导序列进行穷举比对（≤ "
        f"{p['guide_max_mismatches']} 个错配，≤ {p['guide_max_bulges']} 个 DNA/RNA 凸起），并注释基因及关注基因。"
        f"预期灵敏度为中位深度下的二项分布检验效能（表 {sens_name}）。"
    )
    summary = {
        "key_figures": key,
        "tables": [
            {"id": "sitecheck_genomewide_variants", "title_en": "Genome-wide edited-only small variants",
             "title_zh": "全基因组仅编辑样本小变异", "path": table_name,
             "description_en": "Tested candidates (call = 1: significant edited-only); pos 1-based (VCF), start/end 0-based.",
             "description_zh": "所有检验的候选变异（call = 1 为显著的仅编辑样本变异）；pos 为 1 起始（VCF），start/end 为 0 起始。"},
            {"id": "sitecheck_genomewide_sensitivity", "title_en": "Expected sensitivity of the genome-wide scan",
             "title_zh": "全基因组扫描的预期灵敏度", "path": sens_name,
             "description_en": "Power to call an edited-only locus of a given VAF at the median depths.",
             "description_zh": "在中位深度下检出给定 VAF 的仅编辑样本位点的检验效能。"},
        ],
        "figures": [],
        "methods_en": methods_en,
        "methods_zh": methods_zh,
        "exclusions": [
            {"what": "genome-wide candidates shared with the matched control (germline or pre-existing)",
             "count": shared, "reason": f"more than {p['max_control_alt']} alt reads in the control"},
            {"what": "genome-wide candidates with low control depth",
             "count": sum(s["low_control_depth"] for s in stats),
             "reason": f"control depth < {p['min_control_depth']}: cannot tell edited-only from shared"},
        ],
        "performance": [
            {"metric": f"genome-wide scan: expected sensitivity at VAF {int(f * 100)} % ({s['sample']})",
             "value": round(r["power"], 4),
             "source": f"binomial power at median depth {r['edited_depth']}x/{r['control_depth']}x"}
            for s in stats for r in s["sensitivity"] for f in (r["vaf"],) if f in (0.05, 0.2, 0.5)
        ],
        "inputs": sorted({x for s in stats for x in s.get("inputs", [])}),
        "parameters": {"genomewide": p, "pairs": [{k: s[k] for k in ("sample", "control", "regions", "callable_bp",
                                                                   "scanned_bp", "median_edited_depth",
                                                                   "median_control_depth", "tested_snv", "tested_indel",
                                                                   "shared_snv", "shared_indel_loci",
                                                                   "low_control_depth")} for s in stats]},
    }
    return df, sens, summary


def sensitivity_figure(sens: pd.DataFrame, called: pd.DataFrame) -> str:
    """Plotly JSON: expected power vs VAF per pair, with the VAFs of the called edited-only variants."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for sample, part in sens.groupby("sample", sort=True):
        fig.add_trace(go.Scatter(x=part["vaf"].astype(float).tolist(), y=part["power"].astype(float).round(6).tolist(),
                                 mode="lines+markers", name=f"expected power / 预期检出率 {sample}"))
    if len(called):
        fig.add_trace(go.Scatter(x=called["edited_vaf"].astype(float).round(6).tolist(),
                                 y=[1.02] * len(called), mode="markers", name="called variants / 检出变异",
                                 text=[f"{v} {g}" for v, g in zip(called["variant_id"], called["gene"])],
                                 marker={"symbol": "triangle-down", "size": 10, "color": "#d62728"}))
    fig.update_layout(title="Genome-wide scan: expected sensitivity vs VAF / 全基因组扫描：预期灵敏度与变异等位基因频率",
                      xaxis={"title": "variant allele fraction / 变异等位基因频率", "type": "log"},
                      yaxis={"title": "power / 检验效能", "range": [0, 1.05]})
    return fig.to_json() + "\n"
