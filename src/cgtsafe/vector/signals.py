"""Cryptic splice sites, polyadenylation signals and open reading frames on both strands.

**Splice sites: what model, and what it is not.** MaxEntScan (Yeo & Burge 2004 J Comput Biol 11:377) is
not available offline here (no PyPI package ships its tables; they could not be obtained), so cgtsafe
scores candidate sites with a *position weight matrix* instead and says so in every output: the
human splice-site position frequency matrices of SQUIRLS / vmvt (Danis et al. 2021 Am J Hum Genet
108:1564; frequencies of RefSeq splice sites, donor -3..+6 = 9 nt with GT at +1/+2, acceptor -25..+2 =
27 nt with AG at -2/-1). A site's score is its individual information
``Ri = sum_positions (2 + log2 f(base))`` in bits (Rogan, Faux & Schneider 1998 Hum Mutat 12:153),
frequencies floored at 0.001. Every GT (donor) and AG (acceptor) on both strands is scored.

Known accuracy: weight-matrix models ignore dependencies between positions; Yeo & Burge (2004) showed
they separate real from decoy sites less well than MaxEntScan, and Buratti et al. 2007 (Nucleic Acids
Res 35:4250; 346 aberrant 5' splice sites of disease genes) found cryptic 5' splice sites best predicted
by models with nucleotide dependencies, not weight matrices. cgtsafe has not measured this matrix's
sensitivity or specificity on vector sequences. A site above threshold is a candidate for RT-PCR
testing; a site below is not proven unused.

Threshold (default): the 5th percentile of Ri over sites distributed as the matrix itself (computed
exactly by convolution, :func:`model_percentile`): 95 % of sites that follow the published
frequencies score at or above it.

**Polyadenylation signals**: the 11 hexamers of Beaudoing et al. 2000 (Genome Res 10:1001): AATAAA
(canonical), ATTAAA and 9 single-base variants. The downstream element (DSE) is searched 5..45 nt past
the hexamer: *GU-rich* = an 8-nt window with >= 6 G/T of which >= 3 T, or the YGTGTTYY consensus
(McLauchlan et al. 1985 Nucleic Acids Res 13:1347). Strength: ``strong`` = AATAAA + DSE; ``moderate`` =
AATAAA without DSE or ATTAAA with DSE; ``weak`` = otherwise.

**ORFs**: ATG to the first in-frame stop, both strands, linear sequence, >= ``min_aa`` codons.

Positions: ``start``/``end`` 0-based, end exclusive, forward-strand coordinates; ``site`` (1-based) is
the first intron base for donors (the G of GT) and the last intron base for acceptors (the G of AG).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from cgtsafe.vector.construct import revcomp

# SQUIRLS / vmvt published frequencies (Danis et al. 2021), rows A, C, G, T
DONOR_FREQ = np.array([
    [0.332, 0.638, 0.097, 0.002, 0.001, 0.597, 0.683, 0.091, 0.179],
    [0.359, 0.107, 0.028, 0.001, 0.012, 0.031, 0.079, 0.060, 0.152],
    [0.186, 0.117, 0.806, 0.996, 0.001, 0.339, 0.122, 0.771, 0.191],
    [0.123, 0.139, 0.069, 0.001, 0.986, 0.032, 0.116, 0.079, 0.478],
])
ACCEPTOR_FREQ = np.array([
    [0.248, 0.242, 0.238, 0.228, 0.215, 0.201, 0.181, 0.164, 0.147, 0.136, 0.125, 0.116, 0.106, 0.097, 0.090,
     0.091, 0.102, 0.111, 0.117, 0.092, 0.096, 0.240, 0.063, 0.997, 0.001, 0.261, 0.251],
    [0.242, 0.247, 0.250, 0.250, 0.253, 0.255, 0.263, 0.268, 0.271, 0.274, 0.281, 0.278, 0.274, 0.278, 0.259,
     0.281, 0.292, 0.319, 0.330, 0.339, 0.293, 0.272, 0.644, 0.001, 0.002, 0.147, 0.191],
    [0.159, 0.155, 0.154, 0.151, 0.151, 0.148, 0.148, 0.142, 0.138, 0.136, 0.128, 0.122, 0.116, 0.107, 0.102,
     0.108, 0.114, 0.104, 0.093, 0.066, 0.066, 0.207, 0.006, 0.001, 0.996, 0.478, 0.194],
    [0.350, 0.355, 0.358, 0.371, 0.381, 0.397, 0.409, 0.426, 0.444, 0.454, 0.466, 0.483, 0.504, 0.518, 0.549,
     0.519, 0.491, 0.465, 0.460, 0.504, 0.545, 0.281, 0.287, 0.001, 0.001, 0.114, 0.365],
])
DONOR_OFFSET = 3  # index of the G of GT in the 9-mer
ACCEPTOR_OFFSET = 23  # index of the A of AG in the 27-mer
MATRIX_SOURCE = ("position weight matrix (not MaxEntScan): SQUIRLS/vmvt human RefSeq splice-site frequencies, "
                 "Danis et al. 2021 Am J Hum Genet 108:1564; Ri in bits (Rogan et al. 1998)")

POLYA_HEXAMERS = ("AATAAA", "ATTAAA", "AGTAAA", "TATAAA", "CATAAA", "GATAAA", "AATATA", "AATACA", "AATAGA",
                  "AAAAAG", "ACTAAA")
_CODE = np.full(256, 4, dtype=np.int8)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _i


def _weights(freq: np.ndarray) -> np.ndarray:
    """bits per base and position; row 4 (non-ACGT) gets the minimum (never helps a site)."""
    w = 2.0 + np.log2(np.maximum(freq, 0.001))
    return np.vstack([w, w.min(axis=0, keepdims=True)])


DONOR_W = _weights(DONOR_FREQ)
ACCEPTOR_W = _weights(ACCEPTOR_FREQ)


def _encode(seq: str) -> np.ndarray:
    return _CODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]


def score_windows(seq: str, w: np.ndarray) -> np.ndarray:
    """Ri of every window (index = window start) of a forward-strand sequence."""
    codes = _encode(seq)
    L = w.shape[1]
    n = len(codes) - L + 1
    if n <= 0:
        return np.zeros(0)
    out = np.zeros(n)
    for j in range(L):
        out += w[codes[j:j + n], j]
    return out


@lru_cache(maxsize=4)
def model_percentile(kind: str, q: float) -> float:
    """Exact q-quantile of Ri over sequences drawn from the matrix (independent positions)."""
    freq = DONOR_FREQ if kind == "donor" else ACCEPTOR_FREQ
    w = _weights(freq)[:4]
    p = freq / freq.sum(axis=0, keepdims=True)
    ints = np.rint(w * 100).astype(np.int64)  # 0.01-bit grid
    lo = int(ints.min(axis=0).sum())
    span = int(ints.max(axis=0).sum()) - lo + 1
    dist = np.zeros(span)
    dist[0] = 1.0  # index = score - running minimum
    run_min = 0
    for j in range(freq.shape[1]):
        mj = int(ints[:, j].min())
        new = np.zeros(span)
        for b in range(4):
            k = int(ints[b, j]) - mj
            new[k:] += p[b, j] * dist[:span - k]
        dist, run_min = new, run_min + mj
    cum = np.cumsum(dist)
    return (int(np.searchsorted(cum, q - 1e-12)) + run_min) / 100


def model_mean(kind: str) -> float:
    freq = DONOR_FREQ if kind == "donor" else ACCEPTOR_FREQ
    p = freq / freq.sum(axis=0, keepdims=True)
    return float((p * _weights(freq)[:4]).sum())


def splice_sites(seq: str, *, donor_min: float, acceptor_min: float) -> list[dict]:
    """Every GT/AG site on both strands with Ri >= the thresholds (see module docstring)."""
    n = len(seq)
    rows = []
    for strand, s in (("+", seq), ("-", revcomp(seq))):
        for kind, w, off, dinuc, thr in (("donor", DONOR_W, DONOR_OFFSET, "GT", donor_min),
                                         ("acceptor", ACCEPTOR_W, ACCEPTOR_OFFSET, "AG", acceptor_min)):
            sc = score_windows(s, w)
            L = w.shape[1]
            for i in np.flatnonzero(sc >= thr):
                i = int(i)
                if s[i + off:i + off + 2] != dinuc:
                    continue
                # site: donor = first intron base (G of GT); acceptor = last intron base (G of AG)
                site_s = i + off if kind == "donor" else i + off + 1
                ws, we = i, i + L
                if strand == "+":
                    site, start, end = site_s + 1, ws, we
                else:
                    site, start, end = n - site_s, n - we, n - ws
                rows.append({"kind": kind, "strand": strand, "site": site, "start": start, "end": end,
                             "sequence": s[ws:we], "ri_bits": round(float(sc[i]), 3)})
    rows.sort(key=lambda r: (r["start"], r["kind"], r["strand"]))
    return rows


_DSE_CONSENSUS = re.compile(r"(?=([CT]GTGTT[CT][CT]))")


def _dse(window: str) -> tuple[bool, str]:
    if _DSE_CONSENSUS.search(window):
        return True, "YGTGTTYY"
    for i in range(0, max(0, len(window) - 7)):
        w8 = window[i:i + 8]
        gt = sum(c in "GT" for c in w8)
        if gt >= 6 and w8.count("T") >= 3:
            return True, "GU-rich 8-mer"
    return False, ""


def polya_signals(seq: str) -> list[dict]:
    n = len(seq)
    rows = []
    for strand, s in (("+", seq), ("-", revcomp(seq))):
        for hexamer in POLYA_HEXAMERS:
            for m in re.finditer(f"(?={hexamer})", s):
                i = m.start()
                down = s[i + 6 + 5:i + 6 + 45]
                has, kind = _dse(down)
                canonical = hexamer == "AATAAA"
                if canonical and has:
                    strength = "strong"
                elif canonical or (hexamer == "ATTAAA" and has):
                    strength = "moderate"
                else:
                    strength = "weak"
                start, end = (i, i + 6) if strand == "+" else (n - i - 6, n - i)
                rows.append({"hexamer": hexamer, "strand": strand, "start": start, "end": end,
                             "dse": "yes" if has else "no", "dse_kind": kind, "strength": strength,
                             "downstream_checked_nt": len(down)})
    rows.sort(key=lambda r: (r["start"], r["strand"], r["hexamer"]))
    return rows


_STOPS = {"TAA", "TAG", "TGA"}


def orfs(seq: str, *, min_aa: int) -> list[dict]:
    """ATG..stop ORFs of >= min_aa codons (stop excluded) on both strands; nested ATGs in frame skipped."""
    from Bio.Seq import Seq

    n = len(seq)
    rows = []
    for strand, s in (("+", seq), ("-", revcomp(seq))):
        for frame in range(3):
            i = frame
            open_at = None
            while i + 3 <= len(s):
                codon = s[i:i + 3]
                if open_at is None and codon == "ATG":
                    open_at = i
                elif open_at is not None and codon in _STOPS:
                    aa = (i - open_at) // 3
                    if aa >= min_aa:
                        a, b = open_at, i + 3
                        start, end = (a, b) if strand == "+" else (n - b, n - a)
                        prot = str(Seq(s[a:i]).translate())
                        rows.append({"strand": strand, "start": start, "end": end, "length_aa": aa,
                                     "protein_start": prot[:20]})
                    open_at = None
                i += 3
    rows.sort(key=lambda r: (r["start"], r["strand"]))
    return rows
