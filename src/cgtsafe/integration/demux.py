"""FASTQ reading (paired, checked for truncation and synchrony) and barcode demultiplexing.

* :func:`read_fastq` (:mod:`cgtsafe.io.fastq`, dnaio) yields ``(name, seq, qual)``; a truncated or malformed
  record raises :class:`~cgtsafe.errors.InputError` naming the file and the record number (1-based).
* :func:`iter_pairs` walks R1, R2 (and I1) together and fails, with one line, when the read names of
  a record differ (files out of sync) or one file ends before the other.
* :class:`BarcodeAssigner` assigns an index read to the unique sample barcode within
  ``max_mismatches`` substitutions (a base ``N`` counts as a mismatch); the sample sheet check in
  :func:`cgtsafe.integration.layout.read_samples` guarantees the answer is unique.
"""

from __future__ import annotations

from itertools import combinations, product
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.io.fastq import read_fastq


def iter_pairs(r1: str | Path, r2: str | Path, i1: str | Path | None = None):
    """Yield ``(name, (seq1, qual1), (seq2, qual2), (index_seq, index_qual) | None)`` in file order."""
    files = [Path(r1), Path(r2)] + ([Path(i1)] if i1 else [])
    its = [read_fastq(p) for p in files]
    n = 0
    while True:
        recs = []
        for it in its:
            recs.append(next(it, None))
        n += 1
        ended = [p for p, r in zip(files, recs) if r is None]
        if len(ended) == len(files):
            return
        if ended:
            other = next(p for p, r in zip(files, recs) if r is not None)
            raise InputError(f"record {n}: file ends here while {other} continues; R1/R2/I1 files out of sync",
                             path=ended[0])
        names = [r[0] for r in recs]
        for p, name in zip(files[1:], names[1:]):
            if name != names[0]:
                raise InputError(f"record {n}: read name {name!r} differs from {names[0]!r} in {files[0]}; "
                                 "R1/R2/I1 files out of sync", path=p)
        yield names[0], recs[0][1:], recs[1][1:], (recs[2][1:] if i1 else None)


class BarcodeAssigner:
    """Map an index read to a sample index (or ``-1``) within ``max_mismatches`` substitutions."""

    def __init__(self, barcodes: list[str], max_mismatches: int = 1):
        self.barcodes = [b.upper() for b in barcodes]
        self.k = max_mismatches
        self.lookup: dict[str, int] = {}
        for idx, bc in enumerate(self.barcodes):
            if not bc:
                continue
            for variant in _neighbours(bc, max_mismatches):
                prev = self.lookup.get(variant)
                if prev is not None and prev != idx:
                    raise ValueError(f"barcodes {self.barcodes[prev]} and {bc} are not separable")
                self.lookup[variant] = idx

    def assign(self, seq: str) -> int:
        hit = self.lookup.get(seq)
        if hit is not None:
            return hit
        if "N" not in seq:
            return -1
        best, best_d = -1, self.k + 1
        for idx, bc in enumerate(self.barcodes):
            if bc and len(bc) == len(seq):
                d = sum(a != b for a, b in zip(seq, bc))
                if d < best_d:
                    best, best_d = idx, d
        return best if best_d <= self.k else -1


def _neighbours(seq: str, k: int):
    yield seq
    for n in range(1, k + 1):
        for positions in combinations(range(len(seq)), n):
            choices = [[b for b in "ACGT" if b != seq[p]] for p in positions]
            for subs in product(*choices):
                s = list(seq)
                for p, b in zip(positions, subs):
                    s[p] = b
                yield "".join(s)
