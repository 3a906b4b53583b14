"""intSiteCaller's read-through and vector rules (layout keys ``readthrough_rule: overlap`` and
``vector_rule: align``; both are the default preset ``intsitecaller``).

The attrition table of intSiteCaller's validation run (``intSiteValidation.attr``) was produced by the
intSiteCaller version whose ``getTrimmedSeqs`` (BushmanLab, ``intSiteLogic.R``) does, after primer/LTR and
linker trimming:

* **read-through** (``pairwiseAlignSeqs(reads, marker, qualityThreshold=0.55, side='middle')`` of
  hiReadsProcessor): each read is aligned to the marker (R2: the reverse complement of the linker part after
  the N-run; R1: ``largeLTRFrag``, 34 nt) with Biostrings' ``pairwiseAlignment(type='overlap')`` -- end gaps
  free on both sequences, gap opening 1 and extension 1, and, as no substitution matrix is given, the
  quality-based scores of Biostrings' default Phred quality 22 on both sequences. A hit needs
  ``round(score) >= 2 * round(0.55 * len(marker))``; the read is cut before the first aligned read base. So a
  partial marker at the 3' end needs >= 9 exact bases of a 16-nt linker part (>= 19 of the 34-nt LTR
  fragment), and a read that *starts* with the marker's tail (a fragment sheared inside the LTR) is cut to
  nothing. :func:`overlap_cut` computes exactly this alignment (own implementation of the recurrences).
* **vector** (``findVectorReads``): BLAT of each host part against the vector (``minIdentity=70,
  tileSize=8``); a pair is vector-derived only when **both** reads have a hit with ``matches > 0.75 x read
  length``, the LTR-side (R2) hit starting within the read's first 5 bases and lying after the first
  occurrence of primer + LTR end in the vector. :class:`VectorAlignScreen` uses minimap2 (mappy, k=11, w=1:
  sensitive enough for 75 %-of-read hits on a plasmid) in place of BLAT with the same acceptance rule.

The Biostrings scores (``qualitySubstitutionMatrices``): with error probability e = 10^(-22/10) on both
sequences, combined error E = 2e - (4/3)e^2; match = log2(1 - E) + 2 = +1.982, mismatch = log2(E / 3) + 2 =
-5.899 bits (alphabet of 4).

The other rules (``readthrough_rule: hamming``, ``vector_rule: kmer``; preset ``tolerant``) are cgtsafe's
own: :func:`cgtsafe.integration.trim.find_readthrough` and :class:`cgtsafe.integration.align.VectorScreen`
(a pair is dropped when either read is vector-derived).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

_E1 = 10 ** (-22 / 10)
_E = 2 * _E1 - (4 / 3) * _E1 * _E1
MATCH = math.log2(1 - _E) + 2
MISMATCH = math.log2(_E / 3) + 2
GAP_OPEN = 1.0
GAP_EXTEND = 1.0


def _overlap_py(read, marker, match, mismatch, go, ge):
    """Ends-free (overlap) affine-gap alignment of ``read`` vs ``marker`` (uint8 arrays): (score, first aligned
    read position, 0-based). A leading read overhang is free; so is a trailing one of either sequence."""
    n, m = len(read), len(marker)
    neg = -1e18
    h_prev = np.zeros(m + 1)
    s_prev = np.zeros(m + 1, np.int64)
    f_prev = np.full(m + 1, neg)  # gap in marker (read bases consumed), per column
    sf_prev = np.zeros(m + 1, np.int64)
    best, best_start = neg, n
    h_cur = np.zeros(m + 1)
    s_cur = np.zeros(m + 1, np.int64)
    f_cur = np.full(m + 1, neg)
    sf_cur = np.zeros(m + 1, np.int64)
    for i in range(1, n + 1):
        h_cur[0] = 0.0
        s_cur[0] = i  # marker not started yet: the alignment starts after read base i
        e, se = neg, 0  # gap in read (marker bases consumed), along the row
        for j in range(1, m + 1):
            a, b = h_prev[j] - go - ge, f_prev[j] - ge
            if a >= b:
                f_cur[j], sf_cur[j] = a, s_prev[j]
            else:
                f_cur[j], sf_cur[j] = b, sf_prev[j]
            a, b = h_cur[j - 1] - go - ge, e - ge
            if a >= b:
                e, se = a, s_cur[j - 1]
            else:
                e, se = b, se
            d = h_prev[j - 1] + (match if read[i - 1] == marker[j - 1] else mismatch)
            sd = s_prev[j - 1] if j > 1 else i - 1
            hv, sv = d, sd
            if f_cur[j] > hv:
                hv, sv = f_cur[j], sf_cur[j]
            if e > hv:
                hv, sv = e, se
            h_cur[j], s_cur[j] = hv, sv
        if h_cur[m] > best:  # marker ends inside the read (trailing read overhang free)
            best, best_start = h_cur[m], s_cur[m]
        h_prev, h_cur = h_cur, h_prev
        s_prev, s_cur = s_cur, s_prev
        f_prev, f_cur = f_cur, f_prev
        sf_prev, sf_cur = sf_cur, sf_prev
    for j in range(1, m + 1):  # read ends inside the marker (trailing marker overhang free)
        if h_prev[j] > best:
            best, best_start = h_prev[j], s_prev[j]
    return best, best_start


def _overlap_score_py(read, marker, match, mismatch, go, ge):
    """The best score of :func:`_overlap_py` without the start (one rolling row; the fast first pass)."""
    n, m = len(read), len(marker)
    neg = -1e18
    h = np.zeros(m + 1)
    f = np.full(m + 1, neg)
    best = neg
    for i in range(1, n + 1):
        diag = 0.0  # H[i-1][0]
        left = 0.0  # H[i][0]
        e = neg
        c = read[i - 1]
        for j in range(1, m + 1):
            up = h[j]
            fv = max(up - go - ge, f[j] - ge)
            f[j] = fv
            e = max(left - go - ge, e - ge)
            d = diag + (match if c == marker[j - 1] else mismatch)
            diag = up
            hv = max(d, fv, e)
            h[j] = hv
            left = hv
        if h[m] > best:
            best = h[m]
    for j in range(1, m + 1):
        if h[j] > best:
            best = h[j]
    return best


try:
    from numba import njit

    _overlap = njit(cache=True, nogil=True)(_overlap_py)
    _overlap_best = njit(cache=True, nogil=True)(_overlap_score_py)
except ImportError:  # pragma: no cover - numba is a dependency
    _overlap = _overlap_py
    _overlap_best = _overlap_score_py


def overlap_score(seq: str, marker: str) -> tuple[float, int]:
    """(alignment score, first aligned base of ``seq``, 0-based) of the ends-free alignment (module doc)."""
    r = np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)
    k = np.frombuffer(marker.encode("ascii"), dtype=np.uint8)
    if len(r) == 0 or len(k) == 0:
        return 0.0, len(seq)
    return _overlap(r, k, MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND)


def overlap_cut(seq: str, marker: str, fraction: float = 0.55) -> int:
    """Bases of ``seq`` kept by intSiteCaller's read-through trim: the start of a marker hit with
    ``round(score) >= 2 * round(fraction * len(marker))`` (R's rounding: half to even), else ``len(seq)``."""
    if not marker or not seq:
        return len(seq)
    need = 2 * round(fraction * len(marker))
    r = np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)
    k = np.frombuffer(marker.encode("ascii"), dtype=np.uint8)
    if round(_overlap_best(r, k, MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND)) < need:  # no hit (most reads)
        return len(seq)
    score, start = _overlap(r, k, MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND)
    return int(start) if round(score) >= need else len(seq)


class VectorAlignScreen:
    """intSiteCaller's vector rule with minimap2 in place of BLAT (module doc): :meth:`drop` is true when both
    host parts align to the vector with more than ``min_fraction`` of their bases matching."""

    def __init__(self, vector_fasta: str | Path, ltr_start: str = "", min_fraction: float = 0.75,
                 max_query_start: int = 5):
        import mappy

        from cgtsafe.errors import InputError
        from cgtsafe.io.fasta import read_fasta

        records = read_fasta(vector_fasta)
        if not any(len(s) >= 11 for s in records.values()):
            raise InputError("vector FASTA has no sequence of >= 11 nt", path=vector_fasta)
        #: 0-based start of the first primer + LTR end per vector record (the R2 hit must lie after it)
        self.ltr_pos = {}
        for name, seq in records.items():
            p = seq.decode().upper().find(ltr_start.upper()) if ltr_start else -1
            if p >= 0:
                self.ltr_pos[name] = p
        self.aligner = mappy.Aligner(str(vector_fasta), k=11, w=1, min_cnt=2, min_chain_score=10, min_dp_score=10,
                                     best_n=20)
        if not self.aligner:
            raise InputError("vector FASTA could not be indexed", path=vector_fasta)
        self.buf = mappy.ThreadBuffer()
        self.min_fraction = min_fraction
        self.max_query_start = max_query_start
        # minimap2 (k=11, w=1, min_cnt=2) cannot chain a read with fewer than 2 shared 11-mers: skip those
        from cgtsafe.io.fasta import revcomp

        self.kmers = set()
        for seq in records.values():
            t = seq.decode().upper()
            for strand in (t, revcomp(t)):
                self.kmers.update(strand[i:i + 11] for i in range(len(strand) - 10))

    def _seeded(self, seq: str) -> bool:
        kmers, n = self.kmers, 0
        for i in range(len(seq) - 10):
            if seq[i:i + 11] in kmers:
                n += 1
                if n >= 2:
                    return True
        return False

    def _hit(self, seq: str, ltr_side: bool) -> bool:
        if len(seq) * self.min_fraction < 11 or not self._seeded(seq):
            return False
        for h in self.aligner.map(seq, buf=self.buf):
            if h.mlen <= self.min_fraction * len(seq):
                continue
            if ltr_side:
                # BLAT: qStart <= 5 and tStart (0-based) > ltrpos (1-based start of primer + LTR end)
                if h.q_st > self.max_query_start:
                    continue
                pos = self.ltr_pos.get(h.ctg)
                if pos is not None and not h.r_st > pos + 1:
                    continue
            return True
        return False

    def drop(self, r2_host: str, r1_host: str) -> bool:
        return self._hit(r2_host, True) and self._hit(r1_host, False)


class KmerEitherScreen:
    """cgtsafe's own rule (``vector_rule: kmer``): drop the pair when either host part is vector-derived by
    :class:`cgtsafe.integration.align.VectorScreen`."""

    def __init__(self, screen):
        self.screen = screen

    def drop(self, r2_host: str, r1_host: str) -> bool:
        return self.screen.is_vector(r2_host) or self.screen.is_vector(r1_host)


def vector_screen(vector: str | Path, layout):
    """The pair screen of ``layout.vector_rule`` (``kmer`` or ``align``)."""
    if layout.vector_rule == "align":
        return VectorAlignScreen(vector, layout.primer + layout.ltr_bit, layout.vector_min_aligned_fraction)
    from cgtsafe.integration.align import VectorScreen

    return KmerEitherScreen(VectorScreen(vector, layout.vector_kmer, layout.vector_min_kmer_fraction))


def readthrough_cut(seq: str, marker: str, layout) -> int:
    """Bases of a host part kept by the read-through rule of ``layout.readthrough_rule``."""
    if layout.readthrough_rule == "overlap":
        return overlap_cut(seq, marker, layout.readthrough_min_score_fraction)
    from cgtsafe.integration.trim import find_readthrough

    return find_readthrough(seq, marker, layout.readthrough_max_mismatch_rate, layout.readthrough_min_overlap)
