"""Compiled batch trimming of integration-site read pairs (numba, releases the GIL).

:func:`trim_batch` applies, to a batch of barcode-assigned pairs held as concatenated byte buffers, the
same steps and the same rules as the per-pair reference :func:`cgtsafe.integration.callsites.process_pair`
(quality tail trim, primer + LTR end in R2, linker + UMI in R1, read-through cuts, vector k-mer screen,
host-part length filter; :mod:`cgtsafe.integration.trim` documents each rule). Every search returns the
same answer as :func:`cgtsafe.integration.trim.hamming_search` (fewest substitutions, then leftmost),
so the stage counts and host parts are identical; ``tests/test_integration_trim_batch.py`` checks this
pair by pair against the reference on random and real reads.

Reads must consist of upper-case ``A C G T N`` only; the caller routes any other pair to the reference
path. Positions are 0-based offsets in the read.

Output per pair (``out[i, :]``, int32): ``stage`` (0 assigned, 1 qtrimmed, 2 primed, 3 ltr_verified,
4 linker_found, 5 vector_filtered, 6 quality_filtered = kept), read-stage flags ``r2_q r2_primed r2_ltr
r1_q r1_linker``, then the kept host parts ``g2_start g2_end g1_start g1_end`` and the UMI ``umi_start
umi_end`` (offsets in R2 / R1).
"""

from __future__ import annotations

import numpy as np
from numba import njit

N_OUT = 13
# columns of the output
STAGE, R2Q, R2P, R2L, R1Q, R1L, G2S, G2E, G1S, G1E, US, UE = range(12)


@njit(cache=True, nogil=True)
def _bad(q, a, n, p, thr, b0, bl):
    """1 when base ``p`` of the padded quality track (first/last base repeated beyond the ends) is bad."""
    if p < 0:
        return b0
    if p >= n:
        return bl
    return 1 if q[a + p] <= thr else 0


@njit(cache=True, nogil=True)
def _qtrim(q, a, n, thr, hw, bad_bases):
    """Leading bases kept by ShortRead's trimTailw (as trim.quality_trim_length): the first ``j`` whose bad-base
    count over read positions ``j-L .. j-L+S-1`` (``L = max(hw-1, 0)``, ``S = 2hw`` or 1 when ``hw = 0``; ends
    padded with the first/last base) plus the badness of base ``min(hw, n-1)`` reaches ``bad_bases``."""
    if n == 0 or bad_bases <= 0:
        return 0 if bad_bases <= 0 else n
    b0 = 1 if q[a] <= thr else 0
    bl = 1 if q[a + n - 1] <= thr else 0
    extra = 1 if q[a + min(hw, n - 1)] <= thr else 0
    left = max(hw - 1, 0)
    span = 2 * hw if hw >= 1 else 1
    s = extra
    for j in range(span):
        s += _bad(q, a, n, j - left, thr, b0, bl)
    for i in range(n):
        if s >= bad_bases:
            return i
        s += _bad(q, a, n, i + span - left, thr, b0, bl) - _bad(q, a, n, i - left, thr, b0, bl)
    return n


@njit(cache=True, nogil=True)
def _search(seq, a, n, pat, lo, hi, max_mm):
    """As trim.hamming_search on ``seq[a:a+n]``: (start, mismatches) of the best placement, start -1 if none.
    ``hi < 0`` means no upper bound."""
    m = pat.shape[0]
    last = n - m
    if hi < 0 or hi > last:
        hi = last
    if m == 0 or hi < lo:
        return -1, 0
    best = -1
    best_mm = max_mm + 1
    for p in range(lo, hi + 1):
        mm = 0
        for i in range(m):
            if seq[a + p + i] != pat[i]:
                mm += 1
                if mm >= best_mm:
                    break
        if mm < best_mm:
            best, best_mm = p, mm
            if mm == 0:
                break
    if best < 0:
        return -1, 0
    return best, best_mm


@njit(cache=True, nogil=True)
def _readthrough(seq, a, n, marker, max_mm_full, max_rate, min_overlap):
    """Cut position of a read-through marker in ``seq[a:a+n]`` (as trim.find_readthrough)."""
    m = marker.shape[0]
    if m == 0:
        return n
    p, _mm = _search(seq, a, n, marker, 0, -1, max_mm_full)
    cut = p if p >= 0 else n
    hi = min(m - 1, n)
    if hi < min_overlap:
        return cut
    return partial_cut(seq[a:a + n], marker, cut, hi, min_overlap, max_rate)


@njit(cache=True, nogil=True)
def partial_cut(seq, marker, cut: int, hi: int, min_overlap: int, max_rate: float) -> int:
    """Start of the longest marker prefix (``hi`` .. ``min_overlap`` bases) ending the read within its substitution
    limit ``floor(overlap x max_rate)``, left of ``cut``; else ``cut`` (``seq``, ``marker``: uint8 arrays)."""
    n = seq.shape[0]
    for ov in range(hi, min_overlap - 1, -1):
        start = n - ov
        if start >= cut:
            break
        limit = int(ov * max_rate + 1e-9)
        mm = 0
        for i in range(ov):
            if seq[start + i] != marker[i]:
                mm += 1
                if mm > limit:
                    break
        if mm <= limit:
            return start
    return cut


_MULT = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def kmer_table(codes):
    """Open-addressing hash set of 2-bit k-mer codes (k <= 31): slots hold ``code + 1``, 0 = empty."""
    bits = 4
    while (1 << bits) < 4 * max(codes.shape[0], 1):
        bits += 1
    table = np.zeros(1 << bits, dtype=np.uint64)
    mask = np.uint64((1 << bits) - 1)
    shift = np.uint64(64 - bits)
    for c in codes:
        h = (c * _MULT) >> shift
        while table[h] != 0 and table[h] != c + np.uint64(1):
            h = (h + np.uint64(1)) & mask
        table[h] = c + np.uint64(1)
    return table


@njit(cache=True, nogil=True)
def _in_table(table, code):
    n = table.shape[0]
    bits = 0
    while (1 << bits) < n:
        bits += 1
    mask = np.uint64(n - 1)
    h = (code * _MULT) >> np.uint64(64 - bits)
    key = code + np.uint64(1)
    while True:
        v = table[h]
        if v == key:
            return True
        if v == 0:
            return False
        h = (h + np.uint64(1)) & mask


@njit(cache=True, nogil=True)
def _is_vector(seq, a, n, k, kmers, min_fraction):
    """As VectorScreen.is_vector on ``seq[a:a+n]`` (``kmers``: :func:`kmer_table` of the vector k-mers)."""
    nk = n - k + 1
    if nk <= 0:
        return 0.0 >= min_fraction
    step = 1 if nk <= 32 else 2
    mask = (np.uint64(1) << np.uint64(2 * k)) - np.uint64(1)
    tested = 0
    hits = 0
    code = np.uint64(0)
    valid = 0  # bases since the last N
    nxt = 0  # next k-mer start to test
    for i in range(n):
        c = seq[a + i]
        if c == 65:
            v = 0
        elif c == 67:
            v = 1
        elif c == 71:
            v = 2
        elif c == 84:
            v = 3
        else:
            v = -1
        if v < 0:
            valid = 0
            code = np.uint64(0)
        else:
            code = ((code << np.uint64(2)) | np.uint64(v)) & mask
            valid += 1
        start = i - k + 1
        if start == nxt:
            tested += 1
            nxt += step
            if valid >= k and _in_table(kmers, code):
                hits += 1
    return hits / tested >= min_fraction


@njit(cache=True, nogil=True)
def trim_batch(s1, q1, o1, s2, q2, o2, sample, out,
               qthr, hw, bad_bases, min_trimmed, min_genomic,
               primer, primer_off, primer_mm, ltr, ltr_off, ltr_mm,
               l1, l1_off, l1_mm, l2, l2_off, l2_mm, umi_len, umi_tol, lk_hi,
               lmark, lmark_off, lmark_mm, ltrmark, ltrmark_mm, rt_rate, rt_min,
               k, kmers, min_fraction, screen, finish):
    """Trim every pair ``i`` (R1 = ``s1[o1[i]:o1[i+1]]``, R2 likewise) of sample ``sample[i]`` into ``out[i]``.

    With ``finish`` false the kernel stops at ``linker_found`` (stage 4) and returns the host parts before the
    read-through cut (for the intSiteCaller read-through/vector rules applied by the caller).
    Per-sample linker parts are slices of the flat arrays ``l1``/``l2``/``lmark`` at the offsets
    ``*_off[sample]`` .. ``*_off[sample + 1]``, with their own mismatch limits.
    """
    for i in range(sample.shape[0]):
        smp = sample[i]
        a1 = o1[i]
        n1 = o1[i + 1] - a1
        a2 = o2[i]
        n2 = o2[i + 1] - a2
        for c in range(N_OUT):
            out[i, c] = 0
        t2 = _qtrim(q2, a2, n2, qthr, hw, bad_bases)
        t1 = _qtrim(q1, a1, n1, qthr, hw, bad_bases)
        ok2 = t2 >= min_trimmed
        ok1 = t1 >= min_trimmed
        pend = -1
        lend = -1
        if ok2:
            out[i, R2Q] = 1
            p, _mm = _search(s2, a2, t2, primer, 0, primer_off, primer_mm)
            if p >= 0:
                pend = p + primer.shape[0]
                out[i, R2P] = 1
                p2, _mm = _search(s2, a2, t2, ltr, pend, pend + ltr_off, ltr_mm)
                if p2 >= 0:
                    lend = p2 + ltr.shape[0]
                    out[i, R2L] = 1
        gstart = -1
        ustart = 0
        uend = 0
        if ok1:
            out[i, R1Q] = 1
            part1 = l1[l1_off[smp]:l1_off[smp + 1]]
            pa, _mm = _search(s1, a1, t1, part1, 0, lk_hi, l1_mm[smp])
            if pa >= 0:
                end1 = pa + part1.shape[0]
                if umi_len[smp] == 0:
                    gstart = end1
                else:
                    part2 = l2[l2_off[smp]:l2_off[smp + 1]]
                    lo = end1 + max(0, umi_len[smp] - umi_tol)
                    pb, _mm = _search(s1, a1, t1, part2, lo, end1 + umi_len[smp] + umi_tol, l2_mm[smp])
                    if pb >= 0:
                        gstart = pb + part2.shape[0]
                        ustart = end1
                        uend = pb
            if gstart >= 0:
                out[i, R1L] = 1
        if not (ok1 and ok2):
            continue
        out[i, STAGE] = 1
        if pend < 0:
            continue
        out[i, STAGE] = 2
        if lend < 0:
            continue
        out[i, STAGE] = 3
        if gstart < 0:
            continue
        out[i, STAGE] = 4
        if not finish:  # read-through and vector rules applied by the caller: the untrimmed host parts
            out[i, G2S] = lend
            out[i, G2E] = t2
            out[i, G1S] = gstart
            out[i, G1E] = t1
            out[i, US] = ustart
            out[i, UE] = uend
            continue
        # host parts after read-through cuts
        mk = lmark[lmark_off[smp]:lmark_off[smp + 1]]
        c2 = _readthrough(s2, a2 + lend, t2 - lend, mk, lmark_mm[smp], rt_rate, rt_min)
        c1 = _readthrough(s1, a1 + gstart, t1 - gstart, ltrmark, ltrmark_mm, rt_rate, rt_min)
        if screen and (_is_vector(s2, a2 + lend, c2, k, kmers, min_fraction)
                       or _is_vector(s1, a1 + gstart, c1, k, kmers, min_fraction)):
            continue
        out[i, STAGE] = 5
        if c2 < min_genomic or c1 < min_genomic:
            continue
        out[i, STAGE] = 6
        out[i, G2S] = lend
        out[i, G2E] = lend + c2
        out[i, G1S] = gstart
        out[i, G1E] = gstart + c1
        out[i, US] = ustart
        out[i, UE] = uend
