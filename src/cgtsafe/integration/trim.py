"""Read trimming for LM-PCR integration-site reads (pure functions on strings).

Stages, applied per read pair in :mod:`cgtsafe.integration.callsites`:

1. quality tail trimming (:func:`quality_trim_length`): ShortRead ``trimTailw(k, a, halfwidth)`` as its C
   loop (``trim_tailw``, src/trim.c) computes it, used by intSiteCaller (``badQualityBases=5``,
   ``qualityThreshold='?'`` = Q30, ``qualitySlidingWindow=10`` -> ``halfwidth = w // 2 = 5``): the read keeps
   ``j`` bases for the first ``j`` whose count of bad bases (quality <= ``quality_threshold``, Phred+33) in
   positions ``j-w+1 .. j+w`` (``w`` = halfwidth; the first/last base's quality stands in beyond the read
   ends) **plus the badness of base ``w``** reaches ``quality_bad_bases``. The extra term is how the C loop
   initialises its running window (base ``w`` enters it twice); it is kept because it decides a few reads per
   sample on INSPIIRED's validation run (a centred 2w+1 window differs on 25 of 8,886 reads there).
2. R2: primer then LTR end (:func:`find_primer_ltr`), substitutions only, with offsets.
3. R1: linker parts around the UMI (:func:`find_linker`); the UMI is the bases between them.
4. read-through (:func:`find_readthrough`): R2 running into the linker, R1 running into the LTR;
   the read is cut at the marker (full marker anywhere, or a partial marker at the 3' end).

All positions are 0-based offsets in the read.
"""

from __future__ import annotations

import numpy as np


def quality_trim_length(qual: str, threshold: int = 30, window: int = 11, bad_bases: int = 5) -> int:
    """Number of leading bases kept by ShortRead's ``trimTailw`` (module doc; ``window`` = 2 x halfwidth + 1)."""
    n = len(qual)
    if n == 0 or bad_bases <= 0:
        return 0 if bad_bases <= 0 else n
    q = np.frombuffer(qual.encode("ascii"), dtype=np.uint8)
    bad = (q <= threshold + 33).astype(np.int32)
    hw = window // 2
    extra = int(bad[min(hw, n - 1)])
    if bad.sum() + extra < bad_bases and not (bad[0] or bad[-1]):
        return n
    # count_j = bad[j-hw+1 .. j+hw] (ends padded) + bad[hw]
    padded = np.concatenate([np.full(max(hw - 1, 0), bad[0]), bad, np.full(hw, bad[-1])])
    csum = np.concatenate([[0], np.cumsum(padded)])
    span = 2 * hw if hw >= 1 else 1
    counts = csum[span:span + n] - csum[:n] + extra
    hit = np.flatnonzero(counts >= bad_bases)
    return int(hit[0]) if hit.size else n


def _mismatches(seq: str, pat: str, pos: int, limit: int) -> int:
    mm = 0
    for a, b in zip(seq[pos:pos + len(pat)], pat):
        if a != b:
            mm += 1
            if mm > limit:
                break
    return mm


def hamming_search(seq: str, pat: str, lo: int = 0, hi: int | None = None, max_mm: int = 0):
    """Best start ``p`` in ``[lo, hi]`` with ``seq[p:p+len(pat)]`` within ``max_mm`` substitutions.

    Returns ``(start, mismatches)`` (fewest mismatches, then leftmost) or ``None``. The pattern must fit
    completely in ``seq``.
    """
    m = len(pat)
    last = len(seq) - m
    hi = last if hi is None else min(hi, last)
    if m == 0 or hi < lo:
        return None
    exact = seq.find(pat, lo, hi + m)
    if exact >= 0:
        return exact, 0
    if max_mm <= 0:
        return None
    best = None
    if hi - lo <= 12:
        candidates = range(lo, hi + 1)
    else:  # pigeonhole seeds: with <= k mismatches one of k+1 chunks matches exactly
        chunks = max_mm + 1
        size = m // chunks
        cand = set()
        if size >= 4:
            for c in range(chunks):
                off = c * size
                piece = pat[off:off + size]
                start = seq.find(piece, lo + off)
                while 0 <= start <= hi + off:
                    cand.add(start - off)
                    start = seq.find(piece, start + 1)
            candidates = sorted(p for p in cand if lo <= p <= hi)
        else:
            candidates = range(lo, hi + 1)
    for p in candidates:
        mm = _mismatches(seq, pat, p, max_mm)
        if mm <= max_mm and (best is None or mm < best[1]):
            best = (p, mm)
            if mm == 1:
                break
    return best


def find_primer_ltr(seq: str, layout) -> tuple[int, int]:
    """Locate primer and LTR end at the start of R2.

    Returns ``(primer_end, ltr_end)``: ``-1`` where not found (``ltr_end`` is -1 when the primer is
    missing). The host part of R2 starts at ``ltr_end``.
    """
    p = hamming_search(seq, layout.primer, 0, layout.primer_max_offset, layout.primer_max_mismatches)
    if p is None:
        return -1, -1
    pend = p[0] + len(layout.primer)
    lt = hamming_search(seq, layout.ltr_bit, pend, pend + layout.ltr_max_offset, layout.ltr_max_mismatches)
    if lt is None:
        return pend, -1
    return pend, lt[0] + len(layout.ltr_bit)


def find_linker(seq: str, linker, layout) -> tuple[int, str]:
    """Locate the linker in R1. Returns ``(genomic_start, umi)`` or ``(-1, "")``."""
    rate = layout.linker_max_mismatch_rate
    k1 = int(len(linker.part1) * rate + 1e-9)
    hi = layout.linker_max_offset if layout.linker_max_offset is not None else None
    a = hamming_search(seq, linker.part1, 0, hi, k1)
    if a is None:
        return -1, ""
    end1 = a[0] + len(linker.part1)
    if not linker.umi_length:
        return end1, ""
    k2 = int(len(linker.part2) * rate + 1e-9)
    tol = layout.umi_length_tolerance
    lo = end1 + max(0, linker.umi_length - tol)
    b = hamming_search(seq, linker.part2, lo, end1 + linker.umi_length + tol, k2)
    if b is None:
        return -1, ""
    return b[0] + len(linker.part2), seq[end1:b[0]]


def find_readthrough(seq: str, marker: str, max_rate: float = 0.15, min_overlap: int = 3) -> int:
    """Cut position of a read-through marker (``len(seq)`` when absent).

    The full marker may sit anywhere; a marker prefix of >= ``min_overlap`` bases may end the read.
    Substitutions allowed: ``floor(max_rate * compared length)``.
    """
    m = len(marker)
    if m == 0:
        return len(seq)
    full = hamming_search(seq, marker, 0, None, int(m * max_rate + 1e-9))
    cut = full[0] if full else len(seq)
    # partial marker at the 3' end: only positions left of an already found full marker matter
    hi = min(m - 1, len(seq))
    if hi < min_overlap:
        return cut
    return _partial_cut(seq.encode("ascii", "replace"), marker.encode("ascii"), cut, hi, min_overlap, max_rate)


def _partial_cut(seq: bytes, marker: bytes, cut: int, hi: int, min_overlap: int, max_rate: float) -> int:
    """The O(len(marker)^2) prefix scan, the hottest loop of the per-pair path: the compiled kernel's."""
    from cgtsafe.integration._trimkernel import partial_cut

    return partial_cut(np.frombuffer(seq, dtype=np.uint8), np.frombuffer(marker, dtype=np.uint8), cut, hi,
                       min_overlap, max_rate)
