"""Numba kernels of the off-target search (internal; see :mod:`cgtsafe.offtarget.search`).

The genome is passed as its ASCII bytes (a zero-copy uint8 view of the FASTA sequence) and mapped to
base codes by ``LUT``: A/a=0 C/c=1 G/g=2 T/t=3, any other letter (N, IUPAC) = 4, which never matches.
PAM patterns are per-position bit masks over those codes (A=1 C=2 G=4 T=8; code 4 is in no mask) and,
for the mismatch-only scan, a table from the 2-bit code of the P PAM bases to the first matching
pattern. Every kernel works on one block of PAM positions of a contig and reports a *locus* by the
0-based leftmost + strand coordinate of its PAM (``q``) and its strand (0 = +, 1 = -).

Orientation: the bulge DP reads the guide and the genome "PAM-proximal first": ``gprox[i]`` is the
i-th guide base counted from the PAM, ``_tp(k)`` the k-th genomic base (on the hit strand) counted from
the PAM into the protospacer. The same code serves 3' PAMs (Cas9) and 5' PAMs (Cas12a), both strands.

The kernels release the GIL; :func:`scan` runs blocks of 1 Mb on Python threads and concatenates the
results in block order, so the output is identical for any thread count.
"""

from __future__ import annotations

import os

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_CACHE = True
INF = 127

# record layout of a hit: guide, strand, q (PAM leftmost), mismatches, dna_bulge, rna_bulge, pam index
NFIELDS = 7


@intrinsic
def _popcount64(typingctx, x):
    """Population count of a uint64 (LLVM ``ctpop``: one instruction where the CPU has it)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, [args[0]])

    return sig, codegen


@njit(cache=_CACHE, inline="always")
def _emit(out, cnt, cap, g, s, q, mm, d, r, k):
    """Store hit record ``cnt`` (when it fits in ``cap`` rows) and return the new count."""
    if cnt < cap:
        out[cnt, 0] = g
        out[cnt, 1] = s
        out[cnt, 2] = q
        out[cnt, 3] = mm
        out[cnt, 4] = d
        out[cnt, 5] = r
        out[cnt, 6] = k
    return cnt + 1


@njit(cache=_CACHE, inline="always")
def _pam_index(seq, lut, q, pam_masks, strand):
    """Index of the first PAM pattern matching at genomic [q, q+P) on ``strand``, or -1."""
    npat = pam_masks.shape[1]
    plen = pam_masks.shape[2]
    for k in range(npat):
        ok = True
        for m in range(plen):
            c = lut[seq[q + m]]
            if (pam_masks[strand, k, m] >> c) & 1 == 0:
                ok = False
                break
        if ok:
            return k
    return -1


@njit(cache=_CACHE, nogil=True)
def _mm_block(seq, lut, lo, hi, L, P, pam_right, pam_tab, gcodes, lanes, max_mm, out, cap):
    """Mismatch-only scan of PAM positions q in [lo, hi); returns the hit count (may exceed cap).

    A 2-bit rolling window holds the W = L + P genomic bases ending at e (+ strand axis) and a parallel
    mask flags non-ACGT bases. For the strand whose PAM is at the right end of the window the PAM code is
    the low 2P bits and the protospacer the high 2L bits; for the other strand the reverse. pam_tab[s, code]
    is the first matching PAM pattern (canonical first) or -1; gcodes[g, s] is the guide (s=0) or its
    reverse complement (s=1) coded like the protospacer window; mismatches = popcount of the differing
    lanes (lanes = low bit of every 2-bit lane) plus non-ACGT lanes.
    """
    n = seq.shape[0]
    ng = gcodes.shape[0]
    W = L + P
    cnt = 0
    sh_p = np.uint64(2 * P)
    sh_l = np.uint64(2 * L)
    one = np.uint64(1)
    wmask = (one << np.uint64(2 * W)) - one if W < 32 else ~np.uint64(0)
    pmask = (one << sh_p) - one
    lmask = (one << sh_l) - one
    # window end e: right-PAM strand has q = e - P + 1, left-PAM strand q = e - W + 1
    e_lo = lo + P - 1
    if lo + W - 1 < e_lo:
        e_lo = lo + W - 1
    if e_lo < W - 1:
        e_lo = W - 1
    e_hi = hi + W - 1  # exclusive
    if e_hi > n:
        e_hi = n
    win = np.uint64(0)
    nwin = np.uint64(0)
    first = e_lo - W + 1
    three = np.uint64(3)
    two = np.uint64(2)
    # the strand whose PAM is at the right end of the window (sr) and the other one (sl), written out
    # rather than a loop over s with a branch on pam_right[s]; the first W - 1 bases only fill the window
    sr = 0 if pam_right[0] else 1
    sl = 1 - sr
    tab_r = pam_tab[sr]
    tab_l = pam_tab[sl]
    g_r = gcodes[:, sr].copy()
    g_l = gcodes[:, sl].copy()
    for e in range(first, min(e_lo, e_hi)):
        c = np.uint64(lut[seq[e]])
        win = ((win << two) | (c & three)) & wmask
        nwin = ((nwin << two) | (c >> two)) & wmask
    for e in range(max(e_lo, first), e_hi):
        c = np.uint64(lut[seq[np.uint64(e)]])  # 0..3, or 4 = not A/C/G/T (branch-free update)
        win = ((win << two) | (c & three)) & wmask
        nwin = ((nwin << two) | (c >> two)) & wmask
        k = tab_r[win & pmask]
        if k >= 0 and not (nwin & pmask):
            q = e - P + 1
            if q >= lo and q < hi:
                proto = win >> sh_p
                nproto = nwin >> sh_p
                for g in range(ng):
                    x = proto ^ g_r[g]
                    mm = _popcount64(((x | (x >> one)) | nproto) & lanes)
                    if mm <= max_mm:
                        cnt = _emit(out, cnt, cap, g, sr, q, mm, 0, 0, k)
        k = tab_l[win >> sh_l]
        if k >= 0 and not (nwin >> sh_l):
            q = e - W + 1
            if q >= lo and q < hi:
                proto = win & lmask
                nproto = nwin & lmask
                for g in range(ng):
                    x = proto ^ g_l[g]
                    mm = _popcount64(((x | (x >> one)) | nproto) & lanes)
                    if mm <= max_mm:
                        cnt = _emit(out, cnt, cap, g, sl, q, mm, 0, 0, k)
    return cnt


@njit(cache=_CACHE, inline="always")
def _tp(seq, lut, n, q, P, k, pam_right, s):
    """k-th genomic base (code, on the hit strand) counted from the PAM into the protospacer; 5 = outside."""
    if pam_right:
        pos = q - 1 - k
    else:
        pos = q + P + k
    if pos < 0 or pos >= n:
        return 5
    c = lut[seq[pos]]
    if s == 1 and c < 4:
        c = 3 - c
    return c


@njit(cache=_CACHE, inline="always")
def _min_run(alt, m0, L):
    """Minimum over contiguous runs of lanes of sum(alt lane - m0 lane) (0 for the empty run): lanes are
    the low bits of the 2-bit lanes of ``alt``/``m0`` (mismatch flags at another shift / at shift 0)."""
    best = 0
    cur = 0
    if (m0 & ~alt) == np.uint64(0):  # nothing to gain anywhere
        return 0
    for i in range(L):
        sh = np.uint64(2 * i)
        v = np.int64((alt >> sh) & np.uint64(1)) - np.int64((m0 >> sh) & np.uint64(1))
        if cur > 0:
            cur = v
        else:
            cur += v
        if cur < best:
            best = cur
    return best


@njit(cache=_CACHE, nogil=True)
def _bulge_block(seq, lut, lo, hi, L, P, pam_right, pam_masks, gprox, gcodes, lanes, max_mm, max_mmb, max_d, max_r, max_b,
                 ends, out, cap):
    """Banded DP (mismatches + DNA/RNA bulges) anchored at every PAM position q in [lo, hi).

    State (d, r) after i guide bases = minimum mismatches of an alignment of the first i guide bases
    (from the PAM) with the first i + d - r genomic bases, using d DNA and r RNA bulges, d + r <= max_b.
    The first and the last alignment column must be a base pair (match or mismatch), i.e. no bulge at either
    end of the protospacer, unless ``ends``: then DNA bulges may precede the first base pair (next to the
    PAM) and the PAM-distal guide base(s) may be RNA-bulged (Cas-OFFinder 3's rule); an RNA bulge next to
    the PAM stays forbidden. States with a bulge are limited to max_mmb mismatches, the bulge-free state
    to max_mm. A locus stops as soon as every state exceeds its limit. The best final
    state is the one with the fewest edits (mm + d + r), then the fewest bulges, then the fewest
    DNA bulges.
    """
    n = seq.shape[0]
    ng = gprox.shape[0]
    D1 = max_d + 1
    R1 = max_r + 1
    cur = np.empty((D1, R1), dtype=np.int16)
    nxt = np.empty((D1, R1), dtype=np.int16)
    tbuf = np.empty(L + max_d + 1, dtype=np.int16)
    cnt = 0
    qlo = lo if lo > 0 else 0
    qhi = hi if hi < n - P + 1 else n - P + 1
    if qhi <= qlo:
        return 0
    # 2-bit windows (as in _mm_block) for every window end e the shifts can need; windows that are
    # not fully inside the contig count as all-mismatch (a valid lower bound, see the filter below)
    elo = qlo - 1 - max_d
    ehi = qhi + P + L + max_d
    wmask = (np.uint64(1) << np.uint64(2 * L)) - np.uint64(1)
    wins = np.zeros(ehi - elo, dtype=np.uint64)
    nwins = np.empty(ehi - elo, dtype=np.uint64)
    win = np.uint64(0)
    nwin = np.uint64(0)
    first = elo - L + 1
    if first < 0:
        first = 0
    for e in range(first, ehi):
        if e < n:
            c = lut[seq[e]]
            if c > 3:
                win = (win << np.uint64(2)) & wmask
                nwin = ((nwin << np.uint64(2)) | np.uint64(1)) & wmask
            else:
                win = ((win << np.uint64(2)) | np.uint64(c)) & wmask
                nwin = (nwin << np.uint64(2)) & wmask
        if e >= elo:
            if e - L + 1 < 0 or e >= n:
                # partly outside the contig: mark with the (impossible) all-ones code and no mismatch
                # lanes; the filter then skips the locus (lower bound 0), the DP decides
                wins[e - elo] = ~np.uint64(0)
                nwins[e - elo] = np.uint64(0)
            else:
                wins[e - elo] = win
                nwins[e - elo] = nwin
    for q in range(qlo, qhi):
        for s in range(2):
            k = _pam_index(seq, lut, q, pam_masks, s)
            if k < 0:
                continue
            pr = pam_right[s]
            filled = False  # tbuf (the genomic bases from the PAM) is filled when a DP first needs it
            for g in range(ng):
                # filter: a guide base mismatched at every shift -max_r..max_d is a mismatch in any
                # alignment unless it is RNA-bulged, so popcount(AND of mismatch lanes) - max_r
                # is a lower bound of the mismatches.
                # With max_mmb < max_mm a bulged alignment may be impossible (bound > max_mmb) while the
                # bulge-free one (shift 0, exact count mm0) is within max_mm: then it is the answer.
                allmm = lanes
                gc = gcodes[g, s]
                mm0 = 99
                m0 = np.uint64(0)
                mplus = np.uint64(0)
                mminus = np.uint64(0)
                for dl in range(-max_r, max_d + 1):
                    if pr:
                        e = q - 1 - dl
                    else:
                        e = q + P + dl + L - 1
                    w = wins[e - elo]
                    if w == ~np.uint64(0):
                        allmm = np.uint64(0)
                        mm0 = 99
                        break
                    x = w ^ gc
                    mmv = ((x | (x >> np.uint64(1))) | nwins[e - elo]) & lanes
                    if dl == 0:
                        mm0 = _popcount64(mmv)
                        m0 = mmv
                    elif dl == 1:
                        mplus = mmv
                    elif dl == -1:
                        mminus = mmv
                    allmm &= mmv
                if mm0 < 99 and max_d <= 1 and max_r <= 1:
                    # cheap form first: a run gains at most the lanes mismatched at 0 and matched at +-1
                    gmax = _popcount64(m0 & ~mplus) if max_d == 1 else 0
                    if max_r == 1:
                        gm = _popcount64(m0 & ~mminus)
                        if gm > gmax:
                            gmax = gm
                    if mm0 - gmax - max_r > max_mmb:
                        if mm0 <= max_mm:
                            cnt = _emit(out, cnt, cap, g, s, q, mm0, 0, 0, k)
                        continue
                    # segment bound (one bulge of each kind at most): in any alignment the guide bases are
                    # paired at shift 0 except one contiguous run at shift +1 (after a DNA bulge) or -1
                    # (after an RNA bulge), and each RNA bulge frees one base, so
                    #   mismatches >= mm0 + min over runs of (mismatches at shift +-1 - at shift 0) - max_r
                    # (column rules and limits relaxed: a lower bound). Bulged alignments have at least
                    # one more edit than that, so when it is >= mm0 the bulge-free alignment wins the
                    # one-hit-per-locus rule (fewest edits, then fewest bulges) and the DP is not needed.
                    gain = 0
                    if max_d == 1:
                        gain = _min_run(mplus, m0, L)
                    if max_r == 1:
                        gr = _min_run(mminus, m0, L)
                        if gr < gain:
                            gain = gr
                    bmm = mm0 + gain - max_r
                    if bmm > max_mmb or (mm0 <= max_mm and bmm + 1 >= mm0):
                        if mm0 <= max_mm:
                            cnt = _emit(out, cnt, cap, g, s, q, mm0, 0, 0, k)
                        continue
                if _popcount64(allmm) > max_mmb + max_r:
                    if mm0 <= max_mm:
                        cnt = _emit(out, cnt, cap, g, s, q, mm0, 0, 0, k)
                    continue
                if not filled:
                    for t in range(L + max_d):
                        tbuf[t] = _tp(seq, lut, n, q, P, t, pr, s)
                    filled = True
                # row 1: the first column must be a base pair (or, with ends, DNA bulges then a base pair)
                for d in range(D1):
                    for r in range(R1):
                        cur[d, r] = INF
                c0 = tbuf[0]
                if c0 > 4:
                    continue
                cur[0, 0] = 0 if c0 == gprox[g, s, 0] else 1
                if cur[0, 0] > max_mm:
                    cur[0, 0] = INF
                any0 = cur[0, 0] < INF
                if ends:
                    for d in range(1, D1):
                        if d > max_b or tbuf[d] > 4:
                            break
                        v0 = 0 if tbuf[d] == gprox[g, s, 0] else 1
                        if v0 <= max_mmb:
                            cur[d, 0] = v0
                            any0 = True
                if not any0:
                    continue
                alive = True
                for i in range(1, L):
                    # DNA bulges inside row i (not allowed before row 1: first column rule)
                    for d in range(1, D1):
                        for r in range(R1):
                            if d + r > max_b:
                                continue
                            prev = cur[d - 1, r]
                            if prev <= max_mmb:
                                j = i + (d - 1) - r
                                if tbuf[j] < 5 and prev < cur[d, r]:
                                    cur[d, r] = prev
                    # move to row i+1: base pair (diagonal) or RNA bulge
                    gi = gprox[g, s, i]
                    best = INF
                    last = i == L - 1
                    for d in range(D1):
                        for r in range(R1):
                            v = INF
                            a = cur[d, r]
                            if a < INF:
                                j = i + d - r
                                tc = tbuf[j]
                                if tc < 5:
                                    v = a + (0 if tc == gi else 1)
                            if r > 0 and (ends or not last) and i >= 1:
                                b = cur[d, r - 1]
                                # RNA bulge column at guide base i (i >= 1: not the first column)
                                if b < v:
                                    v = b
                            if v > (max_mm if d + r == 0 else max_mmb) or d + r > max_b:
                                v = INF
                            nxt[d, r] = v
                            if v < best:
                                best = v
                    for d in range(D1):
                        for r in range(R1):
                            cur[d, r] = nxt[d, r]
                    if best >= INF:
                        alive = False
                        break
                if not alive:
                    continue
                bk = 10000
                bd = -1
                br = -1
                for d in range(D1):
                    for r in range(R1):
                        v = cur[d, r]
                        if v < INF:
                            key = ((v + d + r) * 100 + (d + r)) * 10 + d
                            if key < bk:
                                bk = key
                                bd = d
                                br = r
                if bd >= 0:
                    cnt = _emit(out, cnt, cap, g, s, q, cur[bd, br], bd, br, k)
    return cnt


def scan(seq, lo, hi, *, L, P, pam_right, pam_masks, pam_tab, gcodes, lanes, gprox, max_mm, max_d, max_r,
         max_mmb=None, max_b=None, ends=False, threads=1, block=1 << 20):
    """Scan PAM positions [lo, hi) of one contig (``seq``: the contig's ASCII bytes as uint8).

    Blocks of ``block`` PAM positions run on ``threads`` Python threads (the kernels release the GIL);
    results are concatenated in block order, so the output is identical for any thread count.
    Returns an (n_hits, NFIELDS) int64 array.
    """
    span = max(0, hi - lo)
    if span == 0:
        return np.zeros((0, NFIELDS), dtype=np.int64)
    bounds = [(b, min(b + block, hi)) for b in range(lo, hi, block)]
    bulges = max_d > 0 or max_r > 0
    if max_mmb is None:
        max_mmb = max_mm
    if max_b is None:
        max_b = max_d + max_r

    def one(bound):
        b_lo, b_hi = bound
        cap = 256 + gcodes.shape[0] * 256
        while True:
            out = np.empty((cap, NFIELDS), dtype=np.int64)
            if bulges:
                cnt = _bulge_block(seq, LUT, b_lo, b_hi, L, P, pam_right, pam_masks, gprox, gcodes, lanes, max_mm,
                                   max_mmb, max_d, max_r, max_b, bool(ends), out, cap)
            else:
                cnt = _mm_block(seq, LUT, b_lo, b_hi, L, P, pam_right, pam_tab, gcodes, lanes, max_mm, out, cap)
            if cnt <= cap:
                return out[:cnt]
            cap = int(cnt) + 16

    if threads <= 1 or len(bounds) == 1:
        parts = [one(b) for b in bounds]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(one, bounds))
    return np.concatenate(parts, axis=0)


def pam_table(pam_masks: np.ndarray) -> np.ndarray:
    """(2, 4**P) int16: index of the first pattern whose masks accept the 2-bit PAM code, else -1."""
    _, npat, P = pam_masks.shape
    codes = np.arange(4**P, dtype=np.int64)
    tab = np.full((2, 4**P), -1, dtype=np.int16)
    for s in range(2):
        for k in range(npat - 1, -1, -1):  # reverse so that the first pattern wins
            ok = np.ones(4**P, dtype=bool)
            for m in range(P):
                base = (codes >> (2 * (P - 1 - m))) & 3
                ok &= ((pam_masks[s, k, m].astype(np.int64) >> base) & 1).astype(bool)
            tab[s, ok] = k
    return tab


#: ASCII -> base code (A/a=0, C/c=1, G/g=2, T/t=3, anything else 4: never matches)
LUT = np.full(256, 4, dtype=np.uint8)
for _ch, _v in zip(b"ACGTacgt", (0, 1, 2, 3, 0, 1, 2, 3)):
    LUT[_ch] = _v


def n_threads(threads: int | None) -> int:
    """Worker threads: ``threads`` or all CPUs available to this process."""
    if threads is not None:
        return max(1, int(threads))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


__all__ = ["scan", "pam_table", "traceback_batch", "n_threads", "warm", "pack_record", "LUT", "NFIELDS", "INF"]


@njit(cache=_CACHE, nogil=True)
def _pack(data, start, end, cls, out):
    """Copy the sequence letters of ``data[start:end]`` (byte class 1) to ``out``, dropping line breaks
    (class 2); returns the number of letters, or -1 at the first other byte. Writes letters only (the
    parts of a record are packed concurrently into adjacent ranges of one buffer)."""
    j = 0
    for i in range(start, end):
        b = data[i]
        c = cls[b]
        if c == 1:
            out[j] = b
            j += 1
        elif c != 2:
            return -1
    return j


@njit(cache=_CACHE, nogil=True)
def _count_breaks(data, start, end):
    """Number of line breaks (CR, LF) in ``data[start:end]``."""
    cnt = 0
    for i in range(start, end):
        b = data[i]
        cnt += (b == 10) | (b == 13)
    return cnt


def pack_record(rec, threads: int = 1) -> np.ndarray:
    """Sequence of a :class:`cgtsafe.io.fasta.RawFastaRecord` as a read-only uint8 array (the bytes
    iter_fasta_fast would give), joined and checked by numba kernels without the GIL, in ``threads``
    parts (each part's output offset = its start minus the line breaks before it, so the result does not
    depend on the thread count); a byte that is not an allowed letter raises the exact reader's error
    (``rec.error()``). The array lives in the record's pre-faulted buffer when it has one
    (``rec.buffer()``), else in an anonymous mmap."""
    from cgtsafe.io.fasta import RAW_BYTE_CLASS

    out = np.frombuffer(rec.buffer(), dtype=np.uint8)
    data = np.frombuffer(rec.data, dtype=np.uint8)
    cls = np.frombuffer(RAW_BYTE_CLASS, dtype=np.uint8)
    n = rec.end - rec.start
    parts = max(1, min(int(threads), n >> 22))
    if parts == 1:
        cnt = _pack(data, rec.start, rec.end, cls, out)
        if cnt < 0:
            rec.error()
    else:
        edges = [rec.start + n * k // parts for k in range(parts + 1)]
        offsets = [0]
        for k in range(parts - 1):
            offsets.append(offsets[-1] + (edges[k + 1] - edges[k]) - int(_count_breaks(data, edges[k], edges[k + 1])))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=parts) as pool:
            counts = list(pool.map(lambda k: int(_pack(data, edges[k], edges[k + 1], cls, out[offsets[k]:])),
                                   range(parts)))
        if min(counts) < 0:
            rec.error()
        cnt = offsets[-1] + counts[-1]
    codes = out[:cnt]
    codes.flags.writeable = False  # the same numba type (and cached kernels) as a view of bytes
    return codes


_WARM: set = set()


def _cached(fn) -> bool:
    """Whether numba's cache holds compiled code for ``fn``'s current source (False = it will compile)."""
    try:
        return bool(fn._cache._cache_file._load_index())
    except Exception:  # pragma: no cover - numba internals changed: assume cached (no message)
        return True


class _NoScipy:
    """Meta-path finder that hides scipy.linalg (and cffi) while numba loads its registries (see :func:`warm`)."""

    def __init__(self, hidden=("scipy.linalg", "cffi")):
        self.hidden = hidden

    def find_spec(self, name, path=None, target=None):
        if any(name == h or name.startswith(h + ".") for h in self.hidden):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while numba loads)", name=name)
        return None


def warm(bulges: bool) -> None:
    """Load (or compile) the kernels a search needs, before the genome is ready.

    The first dispatch of any numba function installs numba's typing/lowering registries, and
    ``numba.np.arraymath`` then probes for a BLAS by importing ``scipy.linalg`` (about 0.15-0.25 s of
    start-up, half of the cached-kernel load time). None of these kernels uses BLAS, so scipy is hidden
    during that first dispatch (only if it is not imported yet) and numba's BLAS flag is reset
    afterwards to what the probe would have found, so later numba code in the process is unaffected.
    Likewise ``numba.core.typing.cffi_utils`` builds a ``cffi.FFI()`` (its C parser: about 0.025 s) when
    cffi is installed; no kernel calls cffi functions, so cffi is hidden too (numba's cffi support is then
    off in this process; no cgtsafe code uses it).
    """
    key = "bulge" if bulges else "mm"
    if key in _WARM:
        return
    import sys

    if not all(_cached(f) for f in ((_bulge_block if bulges else _mm_block), traceback_batch)):
        print("cgtsafe: first off-target search with this installation: compiling its numba kernels into the cache "
              "(NUMBA_CACHE_DIR, else the package's __pycache__); this takes about 10-60 s once on an idle "
              "machine, later runs load them", file=sys.stderr, flush=True)

    hide = "scipy.linalg" not in sys.modules and "numba.np.arraymath" not in sys.modules
    finder = _NoScipy(("scipy.linalg",) + (("cffi",) if "numba.core.typing.cffi_utils" not in sys.modules
                                           and "cffi" not in sys.modules else ()))
    if hide:
        sys.meta_path.insert(0, finder)
    try:
        seq = np.frombuffer(b"ACGTACGTAC" * 8, dtype=np.uint8)
        pm = np.full((2, 1, 3), 15, dtype=np.uint8)
        tab = pam_table(pm)
        pr = np.array([True, False])
        gcodes = np.zeros((1, 2), dtype=np.uint64)
        gprox = np.zeros((1, 2, 20), dtype=np.int16)
        lanes = np.uint64(int("01" * 20, 2))
        out = np.empty((4, NFIELDS), dtype=np.int64)
        if bulges:
            _bulge_block(seq, LUT, 0, 0, 20, 3, pr, pm, gprox, gcodes, lanes, 0, 0, 1, 1, 2, False, out, 4)
        else:
            _mm_block(seq, LUT, 0, 0, 20, 3, pr, tab, gcodes, lanes, 0, out, 4)
        traceback_batch(seq, LUT, np.zeros((0, NFIELDS), dtype=np.int64), 20, 3, pr, gprox, 0, 0, False)
        _pack(seq, 0, 0, seq, np.zeros(1, dtype=np.uint8))
        _count_breaks(seq, 0, 0)
    finally:
        if hide:
            sys.meta_path.remove(finder)
            arraymath = sys.modules.get("numba.np.arraymath")
            if arraymath is not None and not getattr(arraymath, "_HAVE_BLAS", True):
                import importlib.util

                try:
                    arraymath._HAVE_BLAS = importlib.util.find_spec("scipy.linalg") is not None
                except (ImportError, ValueError):  # pragma: no cover
                    pass
    _WARM.add(key)


@njit(cache=_CACHE)
def traceback_batch(seq, lut, hits, L, P, pam_right, gprox, max_d, max_r, ends):
    """Alignment columns of each reported locus (rule (4) of cgtsafe.offtarget.search: traceback from the
    PAM-distal end preferring DNA bulge, then RNA bulge, then base pair among optimal moves).

    Returns (ops, mm): ops[h, c] = 0 base pair, 1 DNA bulge, 2 RNA bulge, -1 padding; columns ordered
    from the PAM outwards; mm[h] = mismatches of that alignment (checked against the scan).
    """
    nh = hits.shape[0]
    n = seq.shape[0]
    W = L + max_d
    ops = np.full((nh, W + max_r + 1), -1, dtype=np.int8)
    mms = np.zeros(nh, dtype=np.int64)
    BIG = 10000
    V = np.empty((L + 1, max_d + 1, max_r + 1), dtype=np.int64)
    tb = np.empty(W + 1, dtype=np.int64)
    for h in range(nh):
        g = hits[h, 0]
        s = hits[h, 1]
        q = hits[h, 2]
        d = hits[h, 4]
        r = hits[h, 5]
        pr = pam_right[s]
        for t in range(W + 1):
            tb[t] = _tp(seq, lut, n, q, P, t, pr, s)
        V[:, :, :] = BIG
        V[0, 0, 0] = 0
        # V[i, dd, rr]: fewest mismatches placing i guide bases with dd DNA and rr RNA bulges. Columns: a base
        # pair (diagonal), an RNA bulge of guide base i-1 (not the first column; not the last unless ends), a DNA
        # bulge after i guide bases (i >= 1 unless ends; never after the last guide base)
        for i in range(0, L + 1):
            for dd in range(d + 1):
                for rr in range(r + 1):
                    if i == 0 and dd == 0:
                        continue
                    best = BIG
                    if i >= 1 and V[i - 1, dd, rr] < BIG:
                        j = i - 1 + dd - rr
                        if j >= 0 and tb[j] < 5:
                            c = V[i - 1, dd, rr] + (0 if tb[j] == gprox[g, s, i - 1] else 1)
                            if c < best:
                                best = c
                    if rr > 0 and i >= 2 and (i < L or ends) and V[i - 1, dd, rr - 1] < best:
                        best = V[i - 1, dd, rr - 1]
                    if dd > 0 and (i >= 1 or ends) and i < L and V[i, dd - 1, rr] < best and tb[i + dd - 1 - rr] < 5:
                        best = V[i, dd - 1, rr]
                    V[i, dd, rr] = best
        mms[h] = V[L, d, r]
        if V[L, d, r] >= BIG:
            continue
        # traceback from the distal end; columns collected distal -> proximal, then reversed
        tmp = np.empty(W + max_r + 1, dtype=np.int8)
        nc = 0
        i = L
        dd = d
        rr = r
        while i > 0 or dd > 0:
            v = V[i, dd, rr]
            if dd > 0 and (i >= 1 or ends) and i < L and V[i, dd - 1, rr] == v and tb[i + dd - 1 - rr] < 5:
                tmp[nc] = 1
                dd -= 1
            elif rr > 0 and i >= 2 and (i < L or ends) and V[i - 1, dd, rr - 1] == v:
                tmp[nc] = 2
                i -= 1
                rr -= 1
            else:
                tmp[nc] = 0
                i -= 1
            nc += 1
        for c in range(nc):
            ops[h, c] = tmp[nc - 1 - c]
    return ops, mms
