"""Genome-wide scan, part 1: parameters, regions and per-region counting of one sample.

See :mod:`cgtsafe.sitecheck.genomewide` for the method as a whole. Counting (per position, same filters
for both samples): unmapped, secondary (0x100), QC-fail (0x200), duplicate (0x400) and supplementary
(0x800) records and reads with MAPQ < ``min_mapq`` are skipped; A/C/G/T counts come from aligned
(M/=/X) bases with quality >= ``min_baseq``; indels from the CIGAR (I/D), left-normalised against the
reference (VCF-style); depth = fragments whose aligned span covers the position (deletions included).

**A fragment counts once.** When the two mates of a pair overlap (insert shorter than two reads), the
mate that starts later (for equal starts: the one later in the file) contributes no base, indel or depth
in the part the first mate already covers; the fragment's span is the union of both mates. This is the
rule of :mod:`cgtsafe.sitecheck.quantify` (one count per fragment) at base resolution.

Coordinates: 0-based, end exclusive.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numba import njit

from cgtsafe.errors import InputError
from cgtsafe.io.alignment import read_error
from cgtsafe.io.reference import ReferenceGenome

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


@njit(cache=True, nogil=True)
def _accumulate(seq, qual, pos, lens, start, L, min_qchar, code, bases):  # pragma: no cover - numba
    """Add the aligned bases of segments (``pos[i]`` reference start, ``lens[i]`` bases, concatenated in
    ``seq``/``qual``) with quality >= ``min_qchar`` (Phred+33 character) to ``bases[(pos - start) * 4 + base]``."""
    k = 0
    for i in range(len(pos)):
        p = pos[i] - start
        for j in range(lens[i]):
            x = p + j
            if 0 <= x < L:
                c = code[seq[k]]
                if c < 4 and qual[k] >= min_qchar:
                    bases[x * 4 + c] += 1
            k += 1


def count_region(af, ref: ReferenceGenome, contig: str, start: int, end: int, params: Params, *,
                 path: str | Path = "") -> RegionCounts:
    """Allele counts, depth and indels of one sample in ``[start, end)`` (one pass over the reads).

    Each fragment counts once (see the module docstring); a record out of coordinate order is an error.
    """
    L = end - start
    pad = 1000
    rseq = ref.fetch_bytes(contig, start - pad, end + pad)
    roff = max(0, start - pad)
    q_seqs: list[str] = []
    q_quals: list[str] = []
    q_pos: list[int] = []
    q_len: list[int] = []
    spans_s: list[int] = []
    spans_e: list[int] = []
    indels: dict = defaultdict(int)
    obs: list = []
    pending: dict[str, tuple[int, int]] = {}  # first mate of an overlapping pair: name -> (fragment, end)
    n = 0
    last = -1
    min_mapq = params.min_mapq
    bases = np.zeros(L * 4, dtype=np.int64)
    depth = np.zeros(L + 1, dtype=np.int64)

    def flush():
        if not q_pos:
            return
        _accumulate(np.frombuffer("".join(q_seqs).encode(), dtype=np.uint8),
                    np.frombuffer("".join(q_quals).encode(), dtype=np.uint8), np.asarray(q_pos, dtype=np.int64),
                    np.asarray(q_len, dtype=np.int64), start, L, params.min_baseq + 33, CODE, bases)
        q_seqs.clear()
        q_quals.clear()
        q_pos.clear()
        q_len.clear()

    add_seq, add_qual, add_pos, add_len = q_seqs.append, q_quals.append, q_pos.append, q_len.append
    tid = af.get_tid(contig)
    max_span = 0  # longest aligned span of a first mate in ``pending``
    try:
        for r in af.fetch(contig, start, end):
            rs = r.reference_start
            if rs < last:
                raise InputError(f"record at {contig}:{rs + 1} follows one at {last + 1}: the file is not "
                                 "coordinate-sorted (or its index belongs to another file); run 'samtools sort' "
                                 "and 'samtools index'", path=path)
            last = rs
            flag = r.flag
            if flag & SKIP_FLAGS or r.mapping_quality < min_mapq:
                continue
            cig = r.cigartuples
            if not cig:
                continue
            seq = r.query_sequence
            qual = r.query_qualities_str
            if seq is None or qual is None:
                continue
            # overlapping mates: the later mate skips what the first one covered
            frag = n
            clip = -1
            mate = -1
            if flag & 0x9 == 0x1:  # paired, mate mapped
                mate = r.next_reference_start
                if r.next_reference_id != tid:
                    mate = -1
                elif mate <= rs < mate + max_span and pending:
                    first = pending.pop(r.query_name, None)
                    if first is not None:
                        frag, clip = first
            if clip < 0 and len(cig) == 1 and cig[0][0] == 0:
                ln = cig[0][1]
                add_seq(seq)
                add_qual(qual)
                add_pos(rs)
                add_len(ln)
                rp = rs + ln
            else:
                qp, rp = 0, rs
                for op, ln in cig:
                    if op in (0, 7, 8):
                        if rp + ln > clip:
                            k = max(0, clip - rp)
                            q_seqs.append(seq[qp + k:qp + ln])
                            q_quals.append(qual[qp + k:qp + ln])
                            q_pos.append(rp + k)
                            q_len.append(ln - k)
                        qp += ln
                        rp += ln
                    elif op == 1:
                        if start <= rp < end and rp >= clip:
                            key = normalize_indel(rseq, roff, "I", rp, seq[qp:qp + ln].upper())
                            indels[key] += 1
                            obs.append((frag, key[1], key[1] + 1, key))
                        qp += ln
                    elif op == 2:
                        if start <= rp < end and rp >= clip:
                            key = normalize_indel(rseq, roff, "D", rp, ln)
                            indels[key] += 1
                            obs.append((frag, key[1], key[1] + ln, key))
                        rp += ln
                    elif op == 3:
                        rp += ln
                    elif op == 4:
                        qp += ln
            if frag == n:
                if rs <= mate < rp:
                    pending[r.query_name] = (n, rp)
                    if rp - rs > max_span:
                        max_span = rp - rs
                spans_s.append(rs)
                spans_e.append(rp)
                n += 1
            elif rp > spans_e[frag]:
                spans_e[frag] = rp
            if len(q_pos) >= 50000:
                flush()
    except (OSError, ValueError) as exc:  # truncated file, CRAM decoded against another reference, ...
        raise read_error(exc, path, f"{contig}:{start}-{end}") from None
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
