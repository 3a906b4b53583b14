"""Genome-wide scan, part 1: parameters, regions and per-region counting of one sample.

See :mod:`cgtsafe.sitecheck.genomewide` for the method as a whole. Counting (per position, same filters
for both samples): unmapped, secondary (0x100), QC-fail (0x200), duplicate (0x400) and supplementary
(0x800) records and reads with MAPQ < ``min_mapq`` are skipped; A/C/G/T counts come from aligned
(M/=/X) bases with quality >= ``min_baseq``; indels from the CIGAR (I/D), left-normalised against the
reference (VCF-style); depth = fragments whose aligned span covers the position (deletions included).

**A fragment counts once.** When the two mates of a pair overlap (insert shorter than two reads), the
mate that starts later (for equal starts: the one later in the file) contributes no base, indel or depth
in the part the first mate already covers; the fragment's span is the union of both mates. This is the
rule of :mod:`cgtsafe.sitecheck.quantify` (one count per fragment) at base resolution. Mates are paired by
their positions (a record whose mate starts where it starts, or earlier, is matched with a waiting first
mate of the other read number (0x40/0x80) that starts at the mate's position and points back at this
record's start), not by name; among pairs with identical start and mate start the file order decides,
which changes neither counts nor depths unless their CIGARs differ.

Speed: Python only collects each kept record's fields (start, flag, mate start, CIGAR string, bases,
qualities); :func:`cgtsafe.sitecheck.genomewide_kernel.count_kernel` (numba) walks the CIGARs and counts. The cost per record is then close
to pysam's own decoding (``benchmarks/bench_genomewide.py`` prints both).

Coordinates: 0-based, end exclusive.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
    records_in_core: int = 0  # mapped records (any flag but 0x4) starting in the core (index check)


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


def count_region(af, ref: ReferenceGenome, contig: str, start: int, end: int, params: Params, *,
                 path: str | Path = "", core: tuple[int, int] | None = None) -> RegionCounts:
    """Allele counts, depth and indels of one sample in ``[start, end)`` (one pass over the reads).

    Each fragment counts once (see the module docstring); a record out of coordinate order is an error.
    Python collects the fields of each read; :func:`cgtsafe.sitecheck.genomewide_kernel.count_kernel` (numba) does the counting.
    """
    L = end - start
    pad = 1000
    rseq = ref.fetch_bytes(contig, start - pad, end + pad)
    roff = max(0, start - pad)
    P: list[int] = []
    F: list[int] = []
    M: list[int] = []
    C: list[str] = []
    S: list[str] = []
    Q: list[str] = []
    tid = af.get_tid(contig)
    min_mapq = params.min_mapq
    c0, c1 = core if core is not None else (start, end)
    add_p, add_f, add_m, add_c, add_s, add_q = P.append, F.append, M.append, C.append, S.append, Q.append
    n_core = 0
    try:
        for r in af.fetch(contig, start, end):
            flag = r.flag
            rs = r.reference_start
            if c0 <= rs < c1 and not flag & 0x4:
                n_core += 1
            if flag & SKIP_FLAGS or r.mapping_quality < min_mapq:
                continue
            seq = r.query_sequence
            qual = r.query_qualities_str
            if seq is None or qual is None:
                continue
            add_p(rs)
            add_f(flag)
            add_m(r.next_reference_start if r.next_reference_id == tid else -1)
            add_c(r.cigarstring or "")
            add_s(seq)
            add_q(qual)
    except (OSError, ValueError) as exc:  # truncated file, CRAM decoded against another reference, ...
        raise read_error(exc, path, f"{contig}:{start}-{end}") from None
    n = len(P)
    bases = np.zeros(L * 4, dtype=np.int64)
    depth = np.zeros(L + 1, dtype=np.int64)
    frag_s = np.zeros(n, dtype=np.int64)
    frag_e = np.zeros(n, dtype=np.int64)
    seq_b = "".join(S).encode()
    cig_b = "".join(C).encode()
    ev = np.zeros((max(16, cig_b.count(b"I") + cig_b.count(b"D")), 5), dtype=np.int64)
    from cgtsafe.sitecheck.genomewide_kernel import count_kernel  # numba: imported when counting starts

    nf, ne, bad = count_kernel(
        np.asarray(P, dtype=np.int64), np.asarray(F, dtype=np.int64), np.asarray(M, dtype=np.int64),
        np.frombuffer(cig_b, dtype=np.uint8), np.cumsum(np.fromiter(map(len, C), dtype=np.int64, count=n)),
        np.frombuffer(seq_b, dtype=np.uint8), np.frombuffer("".join(Q).encode(), dtype=np.uint8),
        np.cumsum(np.fromiter(map(len, S), dtype=np.int64, count=n)), start, end, params.min_baseq + 33, CODE,
        bases, depth, frag_s, frag_e, ev)
    if bad >= 0:
        raise InputError(f"record at {contig}:{P[bad] + 1} follows one at {P[bad - 1] + 1}: the file is not "
                         "coordinate-sorted (or its index belongs to another file); run 'samtools sort' and "
                         "'samtools index'", path=path)
    indels: dict = defaultdict(int)
    obs: list = []
    for frag, kind, rp, ln, qp in ev[:ne].tolist():
        if kind == 0:
            key = normalize_indel(rseq, roff, "I", rp, seq_b[qp:qp + ln].decode().upper())
            obs.append((frag, key[1], key[1] + 1, key))
        else:
            key = normalize_indel(rseq, roff, "D", rp, ln)
            obs.append((frag, key[1], key[1] + ln, key))
        indels[key] += 1
    depth = np.cumsum(depth)[:L].astype(np.int32)
    return RegionCounts(start, end, bases.reshape(L, 4).astype(np.int32), depth, dict(indels), obs, frag_s[:nf].copy(),
                        frag_e[:nf].copy(), nf, n_core)
