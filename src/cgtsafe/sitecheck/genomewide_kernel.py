"""The numba kernels of the genome-wide counter (:func:`cgtsafe.sitecheck.genomewide_count.count_region`).

They read the records of one region in the BAM record layout (SAM specification, SAMv1 section 4.2) and
count without any per-read Python object:

* :func:`count_records` takes the records either from htslib's region iterator, one at a time (the fields
  of each ``bam1_t`` read in place, its data through a view: the direct path) or from a buffer of
  uncompressed BAM (header, then the records: what ``samtools view -u`` writes, the fallback path and a
  direct path before its self-check), and walks them (flag, MAPQ, position, CIGAR, 4-bit sequence,
  qualities, mate position; a CIGAR of more than 65,535 operations is taken from the ``CG`` tag as htslib writes it in a
  BAM), accumulating the per-position counts; the same per-record code for both sources;
* :func:`bgzf_blocks` finds the data of the level-0 (stored) BGZF blocks of the fallback path (moved
  together in place by the caller).

Multi-byte fields are read with unaligned little-endian loads (BAM is little-endian; x86-64 and
AArch64 hosts are too). Kept apart so that importing the genome-wide modules (e.g. for the command-line
parser) does not load numba. Coordinates 0-based; see :mod:`cgtsafe.sitecheck.genomewide_count` for the
counting rules.
"""

from __future__ import annotations

import sys

import numpy as np
from numba import carray, njit, types

from cgtsafe.io.htsdirect import (LAYOUT, _as_ptr, _call4, _peek_i32, _peek_i64, _peek_u8, _peek_u16, _peek_u32,
                                  _unaligned_load)

#: 4-bit BAM base code -> 0..3 for A, C, G, T; 4 for every other code (=, N, IUPAC)
NIB_CODE = np.full(16, 4, dtype=np.uint8)
NIB_CODE[1], NIB_CODE[2], NIB_CODE[4], NIB_CODE[8] = 0, 1, 2, 3
#: 4-bit BAM base code -> letter
NIB_LETTER = np.frombuffer(b"=ACMGRSVTWYHKDBN", dtype=np.uint8).copy()


@njit(cache=True, nogil=True)
def bgzf_blocks(buf, n):  # pragma: no cover - numba
    """Data ranges ``(offset, length)`` of the level-0 (stored) BGZF blocks of ``buf[:n]`` (empty blocks
    left out); ``None`` when a block is compressed (the caller inflates instead) or the framing is broken."""
    out = np.empty((n // 65536 + 16, 2), dtype=np.int64)
    m = 0
    off = 0
    while off + 26 <= n:
        if buf[off] != 31 or buf[off + 1] != 139 or buf[off + 12] != 66 or buf[off + 13] != 67:
            return None
        bsize = (np.int64(buf[off + 16]) | (np.int64(buf[off + 17]) << 8)) + 1
        if off + bsize > n:
            return None
        e = off + bsize
        isize = (np.int64(buf[e - 4]) | (np.int64(buf[e - 3]) << 8) | (np.int64(buf[e - 2]) << 16)
                 | (np.int64(buf[e - 1]) << 24))
        if isize > 0:
            if buf[off + 18] != 1:  # BFINAL=1, BTYPE=00 (stored), one deflate block per BGZF block
                return None
            ln = np.int64(buf[off + 19]) | (np.int64(buf[off + 20]) << 8)
            if ln != isize or 23 + ln + 8 != bsize:
                return None
            if m == out.shape[0]:
                o2 = np.empty((2 * m, 2), dtype=np.int64)
                o2[:m] = out
                out = o2
            out[m, 0] = off + 23
            out[m, 1] = ln
            m += 1
        off = e
    if off != n:
        return None
    return out[:m]


_load_u32 = _unaligned_load(32, types.uint32)
_u64 = _unaligned_load(64, types.uint64)
_load_u16 = _unaligned_load(16, types.uint16)


@njit(inline="always")
def _u32(b, p):  # pragma: no cover - numba
    return np.int64(_load_u32(b, p))


@njit(inline="always")
def _i32(b, p):  # pragma: no cover - numba
    v = _u32(b, p)
    return v - 4294967296 if v >= 2147483648 else v


HIGH = np.uint64(0x8080808080808080)
HIGH4 = np.uint64(0x80808080)
#: ``src`` of :func:`count_records` for a buffer of records (no iterator)
NO_STREAM = np.zeros(5, dtype=np.int64)


@njit(cache=True, nogil=True)
def _cg_tag(b, p, e):  # pragma: no cover - numba
    """(offset, count) of the uint32 array of a ``CG:B:I`` tag among the aux fields ``b[p:e]``; (-1, 0) if none."""
    while p + 3 <= e:
        t0 = b[p]
        t1 = b[p + 1]
        ty = b[p + 2]
        p += 3
        if ty == 65 or ty == 99 or ty == 67:  # A c C
            p += 1
        elif ty == 115 or ty == 83:  # s S
            p += 2
        elif ty == 105 or ty == 73 or ty == 102:  # i I f
            p += 4
        elif ty == 90 or ty == 72:  # Z H
            while p < e and b[p] != 0:
                p += 1
            p += 1
        elif ty == 66:  # B
            sub = b[p]
            cnt = _u32(b, p + 1)
            p += 5
            if t0 == 67 and t1 == 71 and (sub == 73 or sub == 105):  # CG:B:I
                return p, cnt
            size = 1 if (sub == 99 or sub == 67) else (2 if (sub == 115 or sub == 83) else 4)
            p += cnt * size
        else:
            return -1, 0
    return -1, 0


@njit(cache=True, nogil=True)
def count_records(b, nbytes, tid, start, end, c0, c1, min_mapq, min_baseq, skip_flags, nib_code, nib_letter,
                  ref_nib, ref_even, ref_odd, bases, depth, src, lay, work):  # pragma: no cover - numba
    """Count the records of an uncompressed BAM stream ``b[:nbytes]`` (header first) for ``[start, end)``
    of reference ``tid``; or, when ``src[0]`` is not 0, the records htslib's region iterator returns
    (``src`` = addresses of ``hts_itr_next`` and of its four arguments, see
    :class:`cgtsafe.io.htsdirect.DirectReader`), counted as they come: the fields read from the ``bam1_t``
    at their offsets ``lay`` (:data:`cgtsafe.io.htsdirect.LAYOUT`), its CIGAR, bases and qualities through a
    view of its data (htslib holds the whole CIGAR there, however long); the same per-record code,
    without copying or holding the region's records.

    ``ref_nib``: 4-bit code of the reference base at each position of the region (0 where it is not
    A/C/G/T); ``ref_even`` / ``ref_odd``: the same codes packed two per byte as BAM packs a read, pairs
    starting at even / odd offsets (see :func:`pack_reference`). Adds to ``bases`` (L*4, int32:
    quality-filtered A/C/G/T) and ``depth`` (L, int32: fragments covering each position); ``work``: an int32
    array of at least 2 * (L + 1) entries, overwritten.
    Returns ``(n_fragments, frag_s, frag_e, n_events, ev, ins, bad_pos, prev_pos, records_in_core)``:
    fragment spans; indel events ``ev`` rows (fragment, kind 0=I 1=D, ref pos, length, offset of the
    inserted letters in ``ins``); ``bad_pos`` >= 0 is the position of a kept record that follows one at
    ``prev_pos`` (not coordinate-sorted), -2 a malformed stream, -3 an error of the iterator (its status in
    ``prev_pos``: the caller decodes the region again to report it); ``records_in_core`` = mapped records
    (any flag but 0x4) starting in ``[c0, c1)``.
    """
    L = end - start
    # difference arrays in the caller's reused int32 work array (no fresh pages per region): bases equal to
    # the reference base, fragments covering
    match = work[:L + 1]
    dd = work[L + 1:2 * L + 2]
    match[:] = 0
    dd[:] = 0
    qthr = np.uint64(min_baseq) * np.uint64(0x0101010101010101)
    qthr4 = np.uint64(min_baseq) * np.uint64(0x01010101)
    fast = min_baseq <= 128  # the byte-wise quality test below needs thresholds < 129
    stream = src[0] != 0
    if stream:
        n = 4096  # fragment arrays grow as records come
        first = 0
    else:
        # header: magic, text, references
        if nbytes < 12 or b[0] != 66 or b[1] != 65 or b[2] != 77 or b[3] != 1:
            return (0, np.zeros(0, np.int64), np.zeros(0, np.int64), 0, np.zeros((0, 5), np.int64),
                    np.zeros(0, np.uint8), -2, 0, 0)
        p = 8 + _u32(b, 4)
        n_ref = _u32(b, p)
        p += 4
        for _ in range(n_ref):
            p += 8 + _u32(b, p)
        first = p
        # records: count them first (fragment arrays)
        n = 0
        while p + 4 <= nbytes:
            p += 4 + _u32(b, p)
            n += 1
        if p != nbytes:
            return (0, np.zeros(0, np.int64), np.zeros(0, np.int64), 0, np.zeros((0, 5), np.int64),
                    np.zeros(0, np.uint8), -2, 0, 0)
    frag_s = np.empty(n, dtype=np.int64)
    frag_e = np.empty(n, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    ev = np.empty((64, 5), dtype=np.int64)
    ins = np.empty(256, dtype=np.uint8)
    n_ins = 0
    # (later mate start, first mate start, first mate is read 1) -> last first mate waiting (a stack per key);
    # a later mate matches only a first mate of the other read number (mates at one start: 0x40 / 0x80)
    head = dict()
    head[(np.int64(-1), np.int64(-1), np.int64(-1))] = np.int64(-1)
    nf = 0
    ne = 0
    max_span = 0
    n_core = 0
    prev = np.int64(-1)
    have_prev = False
    p = first
    while True:
        if stream:  # the fields of htslib's bam1_t (offsets ``lay``) and a view of its data, no copy
            r = _call4(src[0], src[1], src[2], src[3], src[4])
            if r < 0:
                if r < -1:
                    return (nf, frag_s, frag_e, ne, ev, ins[:n_ins], -3, np.int64(r), n_core)
                break
            if nf == frag_s.shape[0]:
                m2 = 2 * nf
                fs2 = np.empty(m2, dtype=np.int64)
                fe2 = np.empty(m2, dtype=np.int64)
                nx2 = np.full(m2, -1, dtype=np.int64)
                fs2[:nf] = frag_s[:nf]
                fe2[:nf] = frag_e[:nf]
                nx2[:nf] = nxt[:nf]
                frag_s, frag_e, nxt = fs2, fe2, nx2
            a0 = src[3]
            rid = np.int64(_peek_i32(a0 + lay[1]))
            rs = _peek_i64(a0 + lay[0])
            f = np.int64(_peek_u16(a0 + lay[5]))
            if c0 <= rs < c1 and not f & 0x4:
                n_core += 1
            if f & skip_flags or np.int64(_peek_u8(a0 + lay[3])) < min_mapq or rid != tid:
                continue
            l_name = np.int64(_peek_u16(a0 + lay[6]))
            n_cig = np.int64(_peek_u32(a0 + lay[7]))
            l_seq = np.int64(_peek_i32(a0 + lay[8]))
            mrid = np.int64(_peek_i32(a0 + lay[9]))
            mpos = _peek_i64(a0 + lay[10])
            l_data = np.int64(_peek_i32(a0 + lay[13]))
            ls = l_seq if l_seq > 0 else 0
            if l_name < 1 or l_name + 4 * n_cig + (ls + 1) // 2 + ls > l_data:
                return (nf, frag_s, frag_e, ne, ev, ins[:n_ins], -3, np.int64(-4), n_core)
            b = carray(_as_ptr(_peek_i64(a0 + lay[12])), (l_data,))
            cig = l_name
            sq = cig + 4 * n_cig
            ql = sq + (l_seq + 1) // 2
            if l_seq <= 0 or b[ql] == 255:  # no sequence or no qualities
                continue
        else:
            if p >= nbytes:
                break
            rec = p
            bsz = _u32(b, p)
            p += 4 + bsz
            rid = _i32(b, rec + 4)
            rs = _i32(b, rec + 8)
            f = np.int64(b[rec + 18]) | (np.int64(b[rec + 19]) << 8)
            if c0 <= rs < c1 and not f & 0x4:
                n_core += 1
            if f & skip_flags or b[rec + 13] < min_mapq or rid != tid:
                continue
            l_name = np.int64(b[rec + 12])
            n_cig = np.int64(b[rec + 16]) | (np.int64(b[rec + 17]) << 8)
            l_seq = _i32(b, rec + 20)
            mrid = _i32(b, rec + 24)
            mpos = _i32(b, rec + 28)
            cig = rec + 36 + l_name
            sq = cig + 4 * n_cig
            ql = sq + (l_seq + 1) // 2
            if l_seq <= 0 or b[ql] == 255:  # no sequence or no qualities
                continue
            if (n_cig == 2 and (_u32(b, cig) & 15) == 4 and (_u32(b, cig) >> 4) == l_seq
                    and (_u32(b, cig + 4) & 15) == 3):
                cg, cg_n = _cg_tag(b, ql + l_seq, p)  # the real CIGAR of a long read is in the CG tag
                if cg >= 0:
                    cig = cg
                    n_cig = cg_n
        if have_prev and rs < prev:
            return (nf, frag_s, frag_e, ne, ev, ins[:n_ins], rs, prev, n_core)
        prev = rs
        have_prev = True
        m = -1
        if (f & 0x9) == 0x1 and mrid == tid:
            m = mpos
        frag = nf
        clip = -1
        if 0 <= m <= rs < m + max_span:
            key = (np.int64(rs), np.int64(m), np.int64(0 if f & 0x40 else 1))
            if key in head:
                frag = head[key]
                clip = frag_e[frag]
                if nxt[frag] >= 0:
                    head[key] = nxt[frag]
                else:
                    del head[key]
        # walk the CIGAR
        rp = rs
        qp = 0
        for k in range(n_cig):
            op_ = _u32(b, cig + 4 * k)
            ch = op_ & 15
            ln = op_ >> 4
            if ch == 0 or ch == 7 or ch == 8:  # M = X
                a = rp if rp >= clip else clip
                if a < start:
                    a = start
                z = rp + ln
                if z > end:
                    z = end
                if a < z:
                    # every base counts as a match of the reference base ('match' difference array); the
                    # others (low quality, another base, a reference that is not A/C/G/T) are taken back
                    # and counted one by one. 16 bases at a time when their 4-bit codes equal the packed
                    # reference and no quality is below the threshold.
                    match[a - start] += 1
                    match[z - start] -= 1
                    x = a
                    qi = qp + (a - rp)
                    while x < z:
                        j = x - start
                        stop = x + 1
                        if fast and (qi & 1) == 0 and x + 4 <= z:
                            rpk = ref_even if (j & 1) == 0 else ref_odd
                            h = (j + 1) >> 1
                            sp = sq + (qi >> 1)
                            qq = ql + qi
                            if (x + 16 <= z and _u64(b, sp) == _u64(rpk, h)
                                    and ((_u64(b, qq) | HIGH) - qthr) & HIGH == HIGH
                                    and ((_u64(b, qq + 8) | HIGH) - qthr) & HIGH == HIGH):
                                x += 16
                                qi += 16
                                continue
                            if (x + 8 <= z and _load_u32(b, sp) == _load_u32(rpk, h)
                                    and ((_u64(b, qq) | HIGH) - qthr) & HIGH == HIGH):
                                x += 8
                                qi += 8
                                continue
                            if (_load_u16(b, sp) == _load_u16(rpk, h)
                                    and ((np.uint64(_load_u32(b, qq)) | HIGH4) - qthr4) & HIGH4 == HIGH4):
                                x += 4
                                qi += 4
                                continue
                            stop = x + 4  # these 4 one by one
                        while x < stop:
                            j = x - start
                            byte = np.int64(b[sq + (qi >> 1)])
                            nib = (byte >> 4) if (qi & 1) == 0 else (byte & 15)
                            q = b[ql + qi]
                            if nib != ref_nib[j] or q < min_baseq:
                                match[j] -= 1
                                match[j + 1] += 1
                                c = nib_code[nib]
                                if c < 4 and q >= min_baseq:
                                    bases[j * 4 + c] += 1
                            x += 1
                            qi += 1
                rp += ln
                qp += ln
            elif ch == 1 or ch == 2:  # I, D
                if start <= rp < end and rp >= clip:
                    if ne == ev.shape[0]:
                        ev2 = np.empty((2 * ne, 5), dtype=np.int64)
                        ev2[:ne] = ev
                        ev = ev2
                    ev[ne, 0] = frag
                    ev[ne, 1] = 0 if ch == 1 else 1
                    ev[ne, 2] = rp
                    ev[ne, 3] = ln
                    ev[ne, 4] = n_ins
                    ne += 1
                    if ch == 1:
                        if n_ins + ln > ins.shape[0]:
                            ins2 = np.empty(2 * (n_ins + ln), dtype=np.uint8)
                            ins2[:n_ins] = ins[:n_ins]
                            ins = ins2
                        for t in range(ln):
                            qi = qp + t
                            byte = np.int64(b[sq + (qi >> 1)])
                            ins[n_ins] = nib_letter[(byte >> 4) if (qi & 1) == 0 else (byte & 15)]
                            n_ins += 1
                if ch == 1:
                    qp += ln
                else:
                    rp += ln
            elif ch == 3:  # N
                rp += ln
            elif ch == 4:  # S
                qp += ln
        if frag == nf:
            if rs <= m < rp:
                key = (np.int64(m), np.int64(rs), np.int64(1 if f & 0x40 else 0))
                if key in head:
                    nxt[nf] = head[key]
                head[key] = np.int64(nf)
                if rp - rs > max_span:
                    max_span = rp - rs
            frag_s[nf] = rs
            frag_e[nf] = rp
            nf += 1
        elif rp > frag_e[frag]:
            frag_e[frag] = rp
    for k in range(nf):
        a = frag_s[k] - start
        z = frag_e[k] - start
        a = 0 if a < 0 else (L if a > L else a)
        z = 0 if z < 0 else (L if z > L else z)
        dd[a] += 1
        dd[z] -= 1
    run = 0
    run_m = 0
    for j in range(L):
        run += dd[j]
        depth[j] = run
        run_m += match[j]
        if ref_nib[j] != 0:
            bases[j * 4 + nib_code[ref_nib[j]]] += run_m
    return nf, frag_s, frag_e, ne, ev, ins[:n_ins], -1, 0, n_core


@njit(cache=True, nogil=True)
def scan_positions(e_bases, c_bases, e_depth, c_depth, rcode, a0, a1, min_depth, min_control_depth, min_alt_reads,
                   min_vaf, hist_max):  # pragma: no cover - numba
    """Per-position part of :func:`cgtsafe.sitecheck.genomewide_call.call_region` over ``[a0, a1)``.

    Returns ``(callable, hist_e, hist_c, cand)``: positions with edited depth >= ``min_depth`` and control
    depth >= ``min_control_depth``, the histograms of both depths there (capped at ``hist_max``), and one row
    per SNV candidate (reference base A/C/G/T; the most frequent other base, the first of ties in A, C, G, T
    order, seen >= ``min_alt_reads`` times and in >= ``min_vaf`` of the counted bases; edited depth >=
    ``min_depth``): position, alt base, edited alt, edited bases, control alt, control bases, control depth.
    """
    hist_e = np.zeros(hist_max + 1, dtype=np.int64)
    hist_c = np.zeros(hist_max + 1, dtype=np.int64)
    n_call = 0
    cand = np.empty((16, 7), dtype=np.int64)
    nc = 0
    for i in range(a0, a1):
        de = e_depth[i]
        if de >= min_depth and c_depth[i] >= min_control_depth:
            n_call += 1
            hist_e[de if de < hist_max else hist_max] += 1
            dc = c_depth[i]
            hist_c[dc if dc < hist_max else hist_max] += 1
        r = rcode[i]
        if r >= 4 or de < min_depth:
            continue
        if (np.int64(e_bases[i, 0]) + e_bases[i, 1] + e_bases[i, 2] + e_bases[i, 3] - e_bases[i, r]
                < min_alt_reads):  # all other bases together are too few: no candidate (most positions)
            continue
        best = -1
        alt = 0
        tot = 0
        for c in range(4):
            v = np.int64(e_bases[i, c])
            tot += v
            if c != r and v > best:
                best = v
                alt = c
        if best < min_alt_reads or best / (tot if tot > 1 else 1) < min_vaf:
            continue
        if nc == cand.shape[0]:
            c2 = np.empty((2 * nc, 7), dtype=np.int64)
            c2[:nc] = cand
            cand = c2
        cand[nc, 0] = i
        cand[nc, 1] = alt
        cand[nc, 2] = best
        cand[nc, 3] = tot
        cand[nc, 4] = c_bases[i, alt]
        cand[nc, 5] = np.int64(c_bases[i, 0]) + c_bases[i, 1] + c_bases[i, 2] + c_bases[i, 3]
        cand[nc, 6] = c_depth[i]
        nc += 1
    return n_call, hist_e, hist_c, cand[:nc]


#: reference byte -> 4-bit BAM code of A/C/G/T (either case); 0 for every other byte
REF_NIB = np.zeros(256, dtype=np.uint8)
for _i, _c in enumerate(b"ACGT"):
    REF_NIB[_c] = REF_NIB[_c + 32] = 1 << _i


def pack_reference(seq: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes, pairs from even offsets, pairs from odd offsets) of a region's reference bases for
    :func:`count_records`: 4-bit codes (0 = not A/C/G/T), packed two per byte with the first base in the
    high nibble (as BAM packs reads): ``even[i]`` = bases 2i, 2i+1; ``odd[i]`` = bases 2i-1, 2i."""
    nib = REF_NIB[np.frombuffer(seq, dtype=np.uint8)]
    L = len(nib)
    ext = np.zeros(L + 20, dtype=np.uint8)
    ext[1:L + 1] = nib  # ext[k] = code of base k-1
    n = L // 2 + 9
    even = (ext[1::2][:n] << 4) | ext[2::2][:n]
    odd = (ext[0::2][:n] << 4) | ext[1::2][:n]
    return nib, np.ascontiguousarray(even), np.ascontiguousarray(odd)


_WARM: set = set()


def warm() -> None:
    """Load the kernels from numba's cache; on a cold cache say once that they are being compiled."""
    if _WARM:
        return
    from cgtsafe.io import htsdirect
    from cgtsafe.offtarget._kernels import _cached

    if not all(_cached(f) for f in (bgzf_blocks, count_records, scan_positions, htsdirect.decode_records)):
        print("cgtsafe: first genome-wide scan with this installation: compiling its numba kernels into the cache "
              "(NUMBA_CACHE_DIR, else the package's __pycache__); this takes about 10-30 s once, later runs "
              "load them", file=sys.stderr, flush=True)
    b = np.frombuffer(b"BAM\x01" + bytes(8), dtype=np.uint8).copy()
    bgzf_blocks(np.zeros(0, np.uint8), 0)
    nib, even, odd = pack_reference(b"A")
    count_records(b, len(b), 0, 0, 1, 0, 1, 0, 0, 0, NIB_CODE, NIB_LETTER, nib, even, odd, np.zeros(4, np.int32),
                  np.zeros(1, np.int32), NO_STREAM, LAYOUT, np.zeros(4, np.int32))
    htsdirect.warm()
    scan_positions(np.zeros((1, 4), np.int32), np.zeros((1, 4), np.int32), np.zeros(1, np.int32),
                   np.zeros(1, np.int32), np.zeros(1, np.uint8), 0, 1, 1, 1, 1, 0.05, 10)
    _WARM.add(True)
