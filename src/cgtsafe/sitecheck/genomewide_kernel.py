"""The numba kernel of the genome-wide counter (:func:`cgtsafe.sitecheck.genomewide_count.count_region`).

Kept apart so that importing the genome-wide modules (e.g. for the command-line parser) does not load numba.
Coordinates 0-based; see :mod:`cgtsafe.sitecheck.genomewide_count` for the counting rules.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def count_kernel(pos, flag, mpos, cig, cig_end, seq, qual, seq_end, start, end, min_qchar, code, bases, depth,
                  frag_s, frag_e, ev):  # pragma: no cover - numba
    """Count the reads of one region (arrays in file order; ``*_end`` cumulative ends into the joined
    ``cig``/``seq``/``qual`` bytes). Fills ``bases`` (L*4), ``depth`` (difference array, L+1), the
    fragment spans and the indel events ``ev`` rows (fragment, kind 0=I 1=D, ref pos, length, query
    offset into ``seq``). Returns (fragments, events, index of a record out of order or -1)."""
    L = end - start
    n = len(pos)
    # (later mate start, first mate start, first mate is read 1) -> last first mate waiting (a stack per key);
    # a later mate matches only a first mate of the other read number (mates at one start: 0x40 / 0x80)
    head = dict()
    head[(np.int64(-1), np.int64(-1), np.int64(-1))] = np.int64(-1)
    nxt = np.full(n, -1, dtype=np.int64)
    nf = 0
    ne = 0
    max_span = 0
    c0 = 0
    q0 = 0
    for i in range(n):
        rs = pos[i]
        if i > 0 and rs < pos[i - 1]:
            return nf, ne, i
        f = flag[i]
        m = mpos[i] if (f & 0x9) == 0x1 else -1
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
        qp = q0
        num = 0
        for k in range(c0, cig_end[i]):
            ch = cig[k]
            if 48 <= ch <= 57:
                num = num * 10 + (ch - 48)
                continue
            ln = num
            num = 0
            if ch == 77 or ch == 61 or ch == 88:  # M = X
                a = rp if rp >= clip else clip
                if a > rp + ln:
                    a = rp + ln
                for x in range(a, rp + ln):
                    j = x - start
                    if 0 <= j < L:
                        qi = qp + (x - rp)
                        c = code[seq[qi]]
                        if c < 4 and qual[qi] >= min_qchar:
                            bases[j * 4 + c] += 1
                rp += ln
                qp += ln
            elif ch == 73 or ch == 68:  # I, D
                if start <= rp < end and rp >= clip and ne < ev.shape[0]:
                    ev[ne, 0] = frag
                    ev[ne, 1] = 0 if ch == 73 else 1
                    ev[ne, 2] = rp
                    ev[ne, 3] = ln
                    ev[ne, 4] = qp
                    ne += 1
                if ch == 73:
                    qp += ln
                else:
                    rp += ln
            elif ch == 78:  # N
                rp += ln
            elif ch == 83:  # S
                qp += ln
        c0 = cig_end[i]
        q0 = seq_end[i]
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
        b = frag_e[k] - start
        a = 0 if a < 0 else (L if a > L else a)
        b = 0 if b < 0 else (L if b > L else b)
        depth[a] += 1
        depth[b] -= 1
    return nf, ne, -1
