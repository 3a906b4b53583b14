"""The numba kernels of the genome-wide counter (:func:`cgtsafe.sitecheck.genomewide_count.count_region`).

They read the records of one region as uncompressed BAM bytes (what htslib writes for
``samtools view -u``; the record layout is that of the SAM specification, SAMv1 section 4.2) and count
without any per-read Python object:

* :func:`unframe` strips the BGZF framing of level-0 (stored) blocks into one contiguous buffer;
* :func:`count_records` walks the header and the records (flag, MAPQ, position, CIGAR, 4-bit
  sequence, qualities, mate position; a CIGAR of more than 65,535 operations is taken from the ``CG``
  tag as htslib writes it) and accumulates the per-position counts.

Kept apart so that importing the genome-wide modules (e.g. for the command-line parser) does not load
numba. Coordinates 0-based; see :mod:`cgtsafe.sitecheck.genomewide_count` for the counting rules.
"""

from __future__ import annotations

import sys

import numpy as np
from numba import njit

#: 4-bit BAM base code -> 0..3 for A, C, G, T; 4 for every other code (=, N, IUPAC)
NIB_CODE = np.full(16, 4, dtype=np.uint8)
NIB_CODE[1], NIB_CODE[2], NIB_CODE[4], NIB_CODE[8] = 0, 1, 2, 3
#: 4-bit BAM base code -> letter
NIB_LETTER = np.frombuffer(b"=ACMGRSVTWYHKDBN", dtype=np.uint8).copy()


@njit(cache=True, nogil=True)
def unframe(raw, out):  # pragma: no cover - numba
    """Copy the data of the BGZF blocks of ``raw`` into ``out``; returns the length, -1 when a block is
    compressed (not a level-0 stored block: the caller inflates it instead), -2 when ``out`` is too small."""
    n = raw.shape[0]
    off = 0
    k = 0
    while off + 26 <= n:
        if raw[off] != 31 or raw[off + 1] != 139 or raw[off + 12] != 66 or raw[off + 13] != 67:
            return -1
        bsize = (np.int64(raw[off + 16]) | (np.int64(raw[off + 17]) << 8)) + 1
        if off + bsize > n:
            return -1
        e = off + bsize
        isize = (np.int64(raw[e - 4]) | (np.int64(raw[e - 3]) << 8) | (np.int64(raw[e - 2]) << 16)
                 | (np.int64(raw[e - 1]) << 24))
        if isize > 0:
            if raw[off + 18] != 1:  # BFINAL=1, BTYPE=00 (stored), one deflate block per BGZF block
                return -1
            ln = np.int64(raw[off + 19]) | (np.int64(raw[off + 20]) << 8)
            if ln != isize or 23 + ln + 8 != bsize:
                return -1
            if k + ln > out.shape[0]:
                return -2
            out[k:k + ln] = raw[off + 23:off + 23 + ln]
            k += ln
        off = e
    if off != n:
        return -1
    return k


@njit(inline="always")
def _u32(b, p):  # pragma: no cover - numba
    return (np.int64(b[p]) | (np.int64(b[p + 1]) << 8) | (np.int64(b[p + 2]) << 16)
            | (np.int64(b[p + 3]) << 24))


@njit(inline="always")
def _i32(b, p):  # pragma: no cover - numba
    v = _u32(b, p)
    return v - 4294967296 if v >= 2147483648 else v


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
                  bases, depth):  # pragma: no cover - numba
    """Count the records of an uncompressed BAM stream ``b[:nbytes]`` (header first) for ``[start, end)``
    of reference ``tid``.

    Fills ``bases`` (L*4, quality-filtered A/C/G/T) and ``depth`` (difference array, L+1; fragments).
    Returns ``(n_fragments, frag_s, frag_e, n_events, ev, ins, bad_pos, prev_pos, records_in_core)``:
    fragment spans; indel events ``ev`` rows (fragment, kind 0=I 1=D, ref pos, length, offset of the
    inserted letters in ``ins``); ``bad_pos`` >= 0 is the position of a kept record that follows one at
    ``prev_pos`` (not coordinate-sorted), -2 a malformed stream; ``records_in_core`` = mapped records
    (any flag but 0x4) starting in ``[c0, c1)``.
    """
    L = end - start
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
    while p < nbytes:
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
        cig = rec + 36 + l_name
        sq = cig + 4 * n_cig
        ql = sq + (l_seq + 1) // 2
        if l_seq <= 0 or b[ql] == 255:  # no sequence or no qualities
            continue
        if n_cig == 2 and (_u32(b, cig) & 15) == 4 and (_u32(b, cig) >> 4) == l_seq and (_u32(b, cig + 4) & 15) == 3:
            cg, cg_n = _cg_tag(b, ql + l_seq, p)  # the real CIGAR of a long read is in the CG tag
            if cg >= 0:
                cig = cg
                n_cig = cg_n
        if have_prev and rs < prev:
            return (nf, frag_s, frag_e, ne, ev, ins[:n_ins], rs, prev, n_core)
        prev = rs
        have_prev = True
        m = -1
        if (f & 0x9) == 0x1 and _i32(b, rec + 24) == tid:
            m = _i32(b, rec + 28)
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
                for x in range(a, z):
                    qi = qp + (x - rp)
                    if b[ql + qi] >= min_baseq:
                        byte = np.int64(b[sq + (qi >> 1)])
                        c = nib_code[(byte >> 4) if (qi & 1) == 0 else (byte & 15)]
                        if c < 4:
                            bases[(x - start) * 4 + c] += 1
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
        depth[a] += 1
        depth[z] -= 1
    return nf, frag_s, frag_e, ne, ev, ins[:n_ins], -1, 0, n_core


_WARM: set = set()


def warm() -> None:
    """Load the kernels from numba's cache; on a cold cache say once that they are being compiled."""
    if _WARM:
        return
    from cgtsafe.offtarget._kernels import _cached

    if not all(_cached(f) for f in (unframe, count_records)):
        print("cgtsafe: first genome-wide scan with this installation: compiling its numba kernels into the cache "
              "(NUMBA_CACHE_DIR, else the package's __pycache__); this takes about 10-30 s once, later runs "
              "load them", file=sys.stderr, flush=True)
    b = np.frombuffer(b"BAM\x01" + bytes(8), dtype=np.uint8).copy()
    unframe(np.zeros(0, np.uint8), np.zeros(0, np.uint8))
    count_records(b, len(b), 0, 0, 1, 0, 1, 0, 0, 0, NIB_CODE, NIB_LETTER, np.zeros(4, np.int64),
                  np.zeros(2, np.int64))
    _WARM.add(True)
