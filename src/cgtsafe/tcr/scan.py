"""Proteome scans for one target peptide (numpy-vectorised over the encoded proteome).

Every window of length ``k`` (the peptide length) that lies inside one protein and contains only
standard residues is tested, in chunks, with four methods:

``exact``       the window equals the target peptide (Hamming distance 0);
``motif``       the window satisfies the recognition motif (:mod:`cgtsafe.tcr.motif`);
``xscan``       the window's X-scan score is >= the threshold (:mod:`cgtsafe.tcr.xscan`);
``similarity``  the window differs from the target at 1..``max_hamming`` positions.

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

METHODS = ("exact", "motif", "xscan", "similarity")
CHUNK = 1 << 22


@dataclass
class ScanResult:
    peptide: str
    offsets: np.ndarray  # int64, sorted, unique windows found by any method
    flags: dict[str, np.ndarray]  # method -> bool array aligned with offsets
    n_windows: int  # windows inside proteins
    n_windows_scanned: int  # of those, windows with standard residues only
    counts: dict[str, int] = field(default_factory=dict)


def _padded_bool(allowed: np.ndarray) -> np.ndarray:
    out = np.zeros((allowed.shape[0], 22), dtype=bool)
    out[:, :20] = allowed
    return out


def scan(proteome: Proteome, peptide: str, *, motif: Motif | None = None, xscan: XScan | None = None,
         max_hamming: int = 3) -> ScanResult:
    codes = proteome.codes
    k = len(peptide)
    target = encode(peptide)
    n = codes.shape[0] - k + 1
    bad = np.zeros(codes.shape[0] + 1, dtype=np.int32)
    np.cumsum(codes >= 20, out=bad[1:])
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
        valid = (bad[a + k : b + k] - bad[a:b]) == 0
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
    flags = {m: (np.concatenate(v) if v else np.zeros(0, dtype=bool)) for m, v in found_flags.items()}
    n_windows = int(np.clip(proteome.lengths - k + 1, 0, None).sum())
    counts = {m: int(flags[m].sum()) for m in METHODS}
    return ScanResult(peptide=peptide, offsets=offsets.astype(np.int64), flags=flags, n_windows=n_windows,
                      n_windows_scanned=n_valid, counts=counts)
