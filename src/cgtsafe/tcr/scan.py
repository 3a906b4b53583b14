"""Proteome scans for one target peptide (numpy-vectorised over the encoded proteome).

Every window of length ``k`` (the peptide length) that lies inside one protein and contains only
standard residues is tested, in chunks, with four methods:

``exact``       the window equals the target peptide (Hamming distance 0);
``motif``       the window satisfies the recognition motif (:mod:`cgtsafe.tcr.motif`);
``xscan``       the window's X-scan score is >= the threshold (:mod:`cgtsafe.tcr.xscan`);
``similarity``  the window differs from the target at 1..``max_hamming`` positions;
``ranked``      the window is among the ``top_n`` most similar distinct k-mers of the whole proteome by the
                contact-weighted BLOSUM62 score (:mod:`cgtsafe.tcr.similarity`), whatever its Hamming
                distance (every k-mer tied with the ``top_n``-th best score is kept too; the target
                itself and its exact copies count among the ``top_n``); with a built-in binding matrix
                for the restricting allele, the ``top_n`` most similar among the k-mers predicted to bind
                it (IC50 <= 500 nM) are kept as well -- the analogue of CrossDome's background of
                HLA-presented peptides, which reaches titin's ESDPIVAQY without any TCR information.

The ``ranked`` scan scores every window of the proteome (numpy, one table look-up per peptide
position over the encoded proteome, in chunks of :data:`CHUNK` windows); windows with a non-standard
residue or spanning two proteins score ``-inf``. It replaces a Hamming radius as the similarity search:
cross-reactive peptides of the two MAGE-A3 cases differ from their targets at 1 (MAGE-A12
KMAELVHFL) and 4 (titin ESDPIVAQY) positions, and a peptide-level peer (CrossDome, Fonseca &
Antunes 2023) scores biochemical similarity over every 9-mer for that reason.

The result holds, for every window found by at least one method, its 0-based offset in the encoded
proteome and which methods found it; :func:`hit_records` turns that into one record per
(protein, position) with 1-based positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cgtsafe.tcr.motif import Motif
from cgtsafe.tcr.peptide import encode
from cgtsafe.tcr.proteome import Proteome
from cgtsafe.tcr.xscan import XScan

METHODS = ("exact", "motif", "xscan", "similarity", "ranked")
CHUNK = 1 << 22


@dataclass
class ScanResult:
    peptide: str
    offsets: np.ndarray  # int64, sorted, unique windows found by any method
    flags: dict[str, np.ndarray]  # method -> bool array aligned with offsets
    n_windows: int  # windows inside proteins
    n_windows_scanned: int  # of those, windows with standard residues only
    counts: dict[str, int] = field(default_factory=dict)
    ranked_cutoff: float | None = None  # weighted BLOSUM62 score of the last kept ``ranked`` k-mer


def _padded_bool(allowed: np.ndarray) -> np.ndarray:
    out = np.zeros((allowed.shape[0], 22), dtype=bool)
    out[:, :20] = allowed
    return out


def _top_distinct(codes: np.ndarray, offsets: np.ndarray, scores: np.ndarray, k: int, top_n: int):
    """Offsets of the windows whose k-mer is among the ``top_n`` best distinct k-mers (ties kept)."""
    order = np.lexsort((offsets, -scores))
    offsets, scores = offsets[order], scores[order]
    mat = codes[offsets[:, None] + np.arange(k)[None, :]]
    keys = np.ascontiguousarray(mat).view(f"V{k}").ravel()
    _, first = np.unique(keys, return_index=True)
    first.sort()  # first occurrence of each distinct k-mer, in score order
    if first.size <= top_n:
        return offsets, (float(scores[-1]) if scores.size else None)
    cutoff = scores[first[top_n - 1]]
    keep = scores >= cutoff
    return offsets[keep], float(cutoff)


def ranked_scan(proteome: Proteome, peptide: str, weights: np.ndarray, top_n: int,
                binding: tuple[np.ndarray, float, float] | None = None):
    """``(offsets, cutoff)`` of the windows of the ``top_n`` most similar distinct k-mers (see module doc).

    ``binding`` = ``(matrix (k, 20), constant, log10 IC50 cut-off)`` of a position-specific scoring matrix
    (log10 IC50 = constant + sum of the per-position values): the ``top_n`` most similar distinct k-mers
    among the predicted binders are kept too.
    """
    from cgtsafe.tcr.similarity import blosum62

    codes = proteome.codes
    k = len(peptide)
    n = codes.shape[0] - k + 1
    if top_n <= 0 or n <= 0:
        return np.zeros(0, dtype=np.int64), None
    target = encode(peptide).astype(np.intp)
    table = np.full((k, 22), -1e6, dtype=np.float32)  # non-standard / separator: never selected
    table[:, :20] = (blosum62()[target, :] * np.asarray(weights, dtype=float)[:, None]).astype(np.float32)
    btable = None
    if binding is not None:
        btable = np.full((k, 22), 1e6, dtype=np.float32)
        btable[:, :20] = binding[0].astype(np.float32)
    keep = {"all": ([], []), "binders": ([], [])}
    # candidates per chunk: enough windows to hold top_n distinct k-mers plus ties and repeats
    per_chunk = max(8 * top_n, 4096)

    def take(sc, a, store):
        m = min(per_chunk, sc.size)
        idx = np.argpartition(-sc, m - 1)[:m] if m < sc.size else np.arange(sc.size)
        # ties with the chunk's m-th best are all kept so the global cut never splits a tie
        cut = sc[idx].min()
        idx = np.flatnonzero(sc >= cut)
        idx = idx[sc[idx] > -1e5]
        store[0].append(idx + a)
        store[1].append(sc[idx])

    for a in range(0, n, CHUNK):
        b = min(a + CHUNK, n)
        s = table[0][codes[a:b]].copy()
        for p in range(1, k):
            s += table[p][codes[a + p:b + p]]
        take(s, a, keep["all"])
        if btable is not None:
            lg = btable[0][codes[a:b]].copy()
            for p in range(1, k):
                lg += btable[p][codes[a + p:b + p]]
            take(np.where(lg + binding[1] <= binding[2], s, np.float32(-1e6)), a, keep["binders"])
    out_off, cutoff = [], None
    for key, (offs, scs) in keep.items():
        if not offs:
            continue
        o, c = _top_distinct(codes, np.concatenate(offs).astype(np.int64), np.concatenate(scs).astype(np.float64),
                             k, top_n)
        out_off.append(o)
        if key == "all":
            cutoff = c
    return (np.unique(np.concatenate(out_off)) if out_off else np.zeros(0, dtype=np.int64)), cutoff


def scan(proteome: Proteome, peptide: str, *, motif: Motif | None = None, xscan: XScan | None = None,
         max_hamming: int = 3, top_n: int = 0, weights: np.ndarray | None = None,
         binding: tuple[np.ndarray, float, float] | None = None) -> ScanResult:
    codes = proteome.codes
    k = len(peptide)
    target = encode(peptide)
    n = codes.shape[0] - k + 1
    # window starting at o is invalid when one of codes[o:o+k] is non-standard or a separator
    bad_pos = np.flatnonzero(codes >= 20)
    invalid = np.zeros(max(n, 0), dtype=bool)
    for j in range(k):
        pos = bad_pos - j
        invalid[pos[(pos >= 0) & (pos < n)]] = True
    allowed = _padded_bool(motif.allowed) if motif is not None else None
    if xscan is not None:
        raw = np.zeros((k, 22), dtype=float)
        raw[:, :20] = xscan.matrix
        if xscan.scoring == "product":
            with np.errstate(divide="ignore"):
                table = np.log(raw)
            table[:, 20:] = -np.inf
            cut = np.log(xscan.threshold) - 1e-9 if xscan.threshold > 0 else -np.inf
        else:
            table = raw / k
            cut = xscan.threshold - 1e-12
    found_off = []
    found_flags = {m: [] for m in METHODS}
    n_valid = 0
    for a in range(0, max(n, 0), CHUNK):
        b = min(a + CHUNK, n)
        length = b - a
        valid = ~invalid[a:b]
        n_valid += int(valid.sum())
        mism = np.zeros(length, dtype=np.int16)
        for p in range(k):
            mism += codes[a + p : b + p] != target[p]
        sim = valid & (mism <= max_hamming)
        any_hit = sim.copy()
        motif_ok = None
        if allowed is not None:
            motif_ok = valid.copy()
            for p in range(k):
                motif_ok &= allowed[p][codes[a + p : b + p]]
            any_hit |= motif_ok
        x_ok = None
        if xscan is not None:
            s = np.zeros(length, dtype=float)
            for p in range(k):
                s += table[p][codes[a + p : b + p]]
            x_ok = valid & (s >= cut)
            any_hit |= x_ok
        idx = np.flatnonzero(any_hit)
        if idx.size == 0:
            continue
        found_off.append(idx + a)
        found_flags["exact"].append(mism[idx] == 0)
        found_flags["similarity"].append(sim[idx] & (mism[idx] > 0))
        found_flags["motif"].append(motif_ok[idx] if motif_ok is not None else np.zeros(idx.size, dtype=bool))
        found_flags["xscan"].append(x_ok[idx] if x_ok is not None else np.zeros(idx.size, dtype=bool))
    offsets = np.concatenate(found_off) if found_off else np.zeros(0, dtype=np.int64)
    flags = {m: (np.concatenate(v) if v else np.zeros(0, dtype=bool)) for m, v in found_flags.items() if v}
    for m in METHODS:
        flags.setdefault(m, np.zeros(offsets.size, dtype=bool))
    cutoff = None
    if top_n > 0:
        w = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
        r_off, cutoff = ranked_scan(proteome, peptide, w, top_n, binding)
        allo = np.union1d(offsets, r_off)
        pos_old = np.searchsorted(allo, offsets)
        new_flags = {}
        for m in METHODS:
            f = np.zeros(allo.size, dtype=bool)
            if m == "ranked":
                f[np.searchsorted(allo, r_off)] = True
            else:
                f[pos_old] = flags[m]
            new_flags[m] = f
        offsets, flags = allo, new_flags
    n_windows = int(np.clip(proteome.lengths - k + 1, 0, None).sum())
    counts = {m: int(flags[m].sum()) for m in METHODS}
    return ScanResult(peptide=peptide, offsets=offsets.astype(np.int64), flags=flags, n_windows=n_windows,
                      n_windows_scanned=n_valid, counts=counts, ranked_cutoff=cutoff)
