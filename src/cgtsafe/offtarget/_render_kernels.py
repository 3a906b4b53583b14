"""Numba kernels that turn the search's hit records into columns and TSV bytes (internal).

See :mod:`cgtsafe.offtarget.hits` for the columns. Every kernel here reproduces, byte for byte, what the
former per-row Python code produced: the site on the hit strand (reverse complement through the
``_COMP`` table of :mod:`cgtsafe.offtarget.search`, case kept), the alignment strings (mismatched bases
lower case), CFD / MIT with the same float operations in the same order as
:func:`cgtsafe.offtarget.scoring.cfd_score` / :func:`~cgtsafe.offtarget.scoring.mit_score`, and
integers in decimal ASCII.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_CACHE = True
_DASH = 45  # '-'


@njit(cache=_CACHE, inline="always")
def _span(q, glen, P, pam_right):
    """[start, end) on the + axis of a site with ``glen`` genomic protospacer bases and its PAM at ``q``."""
    if pam_right:
        return q - glen, q + P
    return q, q + P + glen


@njit(cache=_CACHE, nogil=True)
def render(seq, hits, ops, L, P, three, pam_right, guides, pats, comp, upper, lower):
    """Site, PAM, alignment strings and the bulge-free 23-mer (the locus' site without bulges) of each hit.

    ``guides``: (ng, L) ASCII spacers; ``pats``: (npat, P) ASCII PAM patterns; ``comp``/``upper``/``lower``:
    256-byte translation tables. Returns start, end, site (n, L+P+maxd) + site_len, pam (n, P), guide_aln
    and site_aln (n, W) + aln_len, bulge-free site (n, L+P) ASCII of the hit strand (``bf_ok`` 0 where it
    would leave the contig).
    """
    n = hits.shape[0]
    slen = seq.shape[0]
    wsite = L + P + ops.shape[1]
    waln = ops.shape[1] + P
    start = np.empty(n, dtype=np.int64)
    end = np.empty(n, dtype=np.int64)
    site = np.zeros((n, wsite), dtype=np.uint8)
    site_len = np.empty(n, dtype=np.int64)
    pam = np.zeros((n, P), dtype=np.uint8)
    galn = np.zeros((n, waln), dtype=np.uint8)
    saln = np.zeros((n, waln), dtype=np.uint8)
    aln_len = np.empty(n, dtype=np.int64)
    bf = np.zeros((n, L + P), dtype=np.uint8)
    bf_ok = np.zeros(n, dtype=np.uint8)
    ga = np.empty(waln, dtype=np.uint8)
    sa = np.empty(waln, dtype=np.uint8)
    for h in range(n):
        g = hits[h, 0]
        s = hits[h, 1]
        q = hits[h, 2]
        d = hits[h, 4]
        r = hits[h, 5]
        k = hits[h, 6]
        glen = L + d - r
        plus = s == 0
        pr = pam_right[s]
        st, en = _span(q, glen, P, pr)
        m = en - st
        start[h] = st
        end[h] = en
        site_len[h] = m
        for i in range(m):
            site[h, i] = seq[st + i] if plus else comp[seq[en - 1 - i]]
        # PAM and protospacer offsets on the hit-strand site
        p0 = m - P if three else 0
        t0 = 0 if three else P
        for i in range(P):
            pam[h, i] = upper[site[h, p0 + i]]
        # alignment from the PAM outwards: gp(i) guide base i from the PAM, tp(j) genomic base j from the PAM
        i = 0
        j = 0
        c = 0
        for col in range(ops.shape[1]):
            op = ops[h, col]
            if op < 0:
                break
            gch = 0
            if op != 1:
                gch = guides[g, L - 1 - i] if three else guides[g, i]
            tch = 0
            if op != 2:
                tch = upper[site[h, t0 + glen - 1 - j]] if three else upper[site[h, t0 + j]]
            if op == 0:
                ga[c] = gch
                sa[c] = tch if tch == gch else lower[tch]
                i += 1
                j += 1
            elif op == 1:
                ga[c] = _DASH
                sa[c] = tch
                j += 1
            else:
                ga[c] = gch
                sa[c] = _DASH
                i += 1
            c += 1
        if three:
            for x in range(c):
                galn[h, x] = ga[c - 1 - x]
                saln[h, x] = sa[c - 1 - x]
            for x in range(P):
                galn[h, c + x] = pats[k, x]
                saln[h, c + x] = pam[h, x]
        else:
            for x in range(P):
                galn[h, x] = pats[k, x]
                saln[h, x] = pam[h, x]
            for x in range(c):
                galn[h, P + x] = ga[x]
                saln[h, P + x] = sa[x]
        aln_len[h] = c + P
        # the bulge-free site at the same PAM (hit strand), for scores
        b_lo, b_hi = _span(q, L, P, pr)
        if b_lo >= 0 and b_hi <= slen:
            bf_ok[h] = 1
            for x in range(L + P):
                bf[h, x] = seq[b_lo + x] if plus else comp[seq[b_hi - 1 - x]]
    return start, end, site, site_len, pam, galn, saln, aln_len, bf, bf_ok


@njit(cache=_CACHE, nogil=True)
def score(bf, bf_ok, bulged, guides_code, gidx, code, mmtab, pamtab, mitw, max_mm):
    """CFD and MIT of each row's bulge-free 20 + 3 nt site (the row's own site when it has no bulge).

    ``code``: ASCII -> 0..3 (A C G T, either case), 4 otherwise; ``mmtab[pos, rna, comp(dna)]`` the CFD
    mismatch table, ``pamtab[b21, b22]`` the PAM table, ``mitw[1..20]`` the Hsu 2013 weights. A bulged row
    is scored only when that bulge-free alignment has at most ``max_mm`` mismatches. Returns cfd, mit
    (NaN when unscored) and basis (0 own alignment, 1 bulge-free alignment at the locus, 2 unscored).
    """
    n = bf.shape[0]
    cfd = np.full(n, np.nan)
    mit = np.full(n, np.nan)
    basis = np.full(n, 2, dtype=np.int8)
    pos = np.empty(20, dtype=np.int64)
    for h in range(n):
        if not bf_ok[h]:
            continue
        ok = True
        for x in range(23):
            if code[bf[h, x]] > 3:
                ok = False
                break
        if not ok:
            continue
        g = gidx[h]
        nm = 0
        for x in range(20):
            if code[bf[h, x]] != guides_code[g, x]:
                pos[nm] = x + 1
                nm += 1
        if bulged[h] and nm > max_mm:
            continue
        sc = 1.0
        for x in range(20):
            gc = guides_code[g, x]
            oc = code[bf[h, x]]
            if gc != oc:
                sc *= mmtab[x, gc, 3 - oc]
        b21 = code[bf[h, 21]]
        b22 = code[bf[h, 22]]
        cfd[h] = sc * pamtab[b21, b22]
        s1 = 1.0
        for y in range(nm):
            s1 *= 1.0 - mitw[pos[y]]
        if nm >= 2:
            mean_dist = (pos[nm - 1] - pos[0]) / (nm - 1)
            s2 = 1.0 / (((19.0 - mean_dist) / 19.0) * 4.0 + 1.0)
        else:
            s2 = 1.0
        s3 = 1.0 / (nm * nm) if nm else 1.0
        hs = 100.0 * s1 * s2 * s3
        if not (b21 == 2 and b22 == 2):
            hs *= 0.2
        mit[h] = hs
        basis[h] = 1 if bulged[h] else 0
    return cfd, mit, basis


@njit(cache=_CACHE, inline="always")
def _put_int(out, o, v):
    if v < 0:
        out[o] = 45
        o += 1
        v = -v
    if v == 0:
        out[o] = 48
        return o + 1
    k = 0
    t = v
    while t > 0:
        t //= 10
        k += 1
    for x in range(k - 1, -1, -1):
        out[o + x] = 48 + v % 10
        v //= 10
    return o + k


@njit(cache=_CACHE, inline="always")
def _put(out, o, src, lo, hi):
    for x in range(lo, hi):
        out[o] = src[x]
        o += 1
    return o


@njit(cache=_CACHE, nogil=True)
def tsv(order, names, name_off, gidx, chrom, start, end, strand, site, site_len, mm, dna, rna, pam, pclass,
        cls_txt, cls_off, cut_s, cut_e, galn, saln, aln_len, floats, float_off, basis, basis_txt, basis_off):
    """The TSV lines (search table columns, tab-separated, ``\\n``-terminated) of rows ``order``.

    Text fields come pre-quoted (``names``/``chrom``); ``floats`` holds the formatted cfd and mit of row
    h at ``float_off[2h] .. float_off[2h + 2]``. Returns (bytes, line end offsets).
    """
    n = order.shape[0]
    cap = 0
    for x in range(n):
        h = order[x]
        cap += (name_off[gidx[h] + 1] - name_off[gidx[h]]) + chrom.shape[0] + 2 * site_len[h] + 2 * aln_len[h]
        cap += float_off[2 * h + 2] - float_off[2 * h] + 7 * 21 + 64
    out = np.empty(cap, dtype=np.uint8)
    ends = np.empty(n, dtype=np.int64)
    o = 0
    for x in range(n):
        h = order[x]
        g = gidx[h]
        o = _put(out, o, names, name_off[g], name_off[g + 1])
        out[o] = 9
        o = _put(out, o + 1, chrom, 0, chrom.shape[0])
        out[o] = 9
        o = _put_int(out, o + 1, start[h])
        out[o] = 9
        o = _put_int(out, o + 1, end[h])
        out[o] = 9
        out[o + 1] = 43 if strand[h] == 0 else 45
        out[o + 2] = 9
        o = _put(out, o + 3, site[h], 0, site_len[h])
        out[o] = 9
        o = _put_int(out, o + 1, mm[h])
        out[o] = 9
        o = _put_int(out, o + 1, dna[h])
        out[o] = 9
        o = _put_int(out, o + 1, rna[h])
        out[o] = 9
        o = _put(out, o + 1, pam[h], 0, pam.shape[1])
        out[o] = 9
        o = _put(out, o + 1, cls_txt, cls_off[pclass[h]], cls_off[pclass[h] + 1])
        out[o] = 9
        o = _put_int(out, o + 1, cut_s[h])
        out[o] = 9
        o = _put_int(out, o + 1, cut_e[h])
        out[o] = 9
        o = _put(out, o + 1, galn[h], 0, aln_len[h])
        out[o] = 9
        o = _put(out, o + 1, saln[h], 0, aln_len[h])
        out[o] = 9
        # cfd and mit are two strings; the tab between them is written here
        f0 = float_off[2 * h]
        f1 = float_off[2 * h + 1]
        f2 = float_off[2 * h + 2]
        o = _put(out, o + 1, floats, f0, f1)
        out[o] = 9
        o = _put(out, o + 1, floats, f1, f2)
        out[o] = 9
        o = _put(out, o + 1, basis_txt, basis_off[basis[h]], basis_off[basis[h] + 1])
        out[o] = 10
        o += 1
        ends[x] = o
    return out[:o], ends
