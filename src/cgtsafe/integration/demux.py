"""FASTQ reading (paired, checked for truncation and synchrony) and barcode demultiplexing.

* :func:`read_fastq` (:mod:`cgtsafe.io.fastq`, dnaio) yields ``(name, seq, qual)``; a truncated or malformed
  record raises :class:`~cgtsafe.errors.InputError` naming the file and the record number (1-based).
* :func:`iter_pairs` walks R1, R2 (and I1) together and fails, with one line, when the read names of
  a record differ (files out of sync) or one file ends before the other.
* :class:`BarcodeAssigner` assigns an index read to the unique sample barcode within
  ``max_mismatches`` substitutions (a base ``N`` counts as a mismatch); the sample sheet check in
  :func:`cgtsafe.integration.layout.read_samples` guarantees the answer is unique.
* :class:`DualBarcodeAssigner` (VISPA2-style double barcodes): the sample is the **pair** (LTR barcode at the
  start of the LTR-side read R2, linker-cassette (LC) barcode at the start of the linker-side read R1). A pair
  is assigned to the sample whose LTR barcode is within ``ltr_max_mismatches`` substitutions of R2's first
  bases **and** whose LC barcode is within ``lc_max_mismatches`` of R1's first bases (``N`` = mismatch). One
  barcode may be shared by several samples (VISPA2 reuses LTR51 with LC26 and LC66); two samples collide only
  when both their LTR barcodes and their LC barcodes are within 2 x tolerance of each other (a read could then
  match both) - :func:`cgtsafe.integration.layout.check_dual_barcodes` rejects such a sheet naming both samples.
  :meth:`DualBarcodeAssigner.explain` says why a pair stayed unassigned.
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


def _hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


class _Matcher:
    """Distinct barcodes of one kind: ``match(seq)`` = ids of the barcodes within ``k`` substitutions."""

    def __init__(self, barcodes: list[str], k: int):
        self.barcodes = barcodes
        self.k = k
        self.lookup: dict[str, tuple[int, ...]] = {}
        tmp: dict[str, set] = {}
        for i, bc in enumerate(barcodes):
            for variant in _neighbours(bc, k):
                tmp.setdefault(variant, set()).add(i)
        self.lookup = {v: tuple(sorted(ids)) for v, ids in tmp.items()}

    def match(self, seq: str) -> tuple[int, ...]:
        hit = self.lookup.get(seq)
        if hit is not None:
            return hit
        if "N" not in seq:
            return ()
        return tuple(i for i, bc in enumerate(self.barcodes) if len(bc) == len(seq) and _hamming(seq, bc) <= self.k)


class DualBarcodeAssigner:
    """Map (R2 start, R1 start) to a sample index (or ``-1``): VISPA2-style LTR + LC barcode pairs (module doc).

    ``pairs[i]`` = (LTR barcode, LC barcode) of sample ``i``; ``("", "")`` for a sample not in this run."""

    def __init__(self, pairs: list[tuple[str, str]], ltr_max_mismatches: int = 1, lc_max_mismatches: int = 1):
        ltrs = sorted({a.upper() for a, b in pairs if a and b})
        lcs = sorted({b.upper() for a, b in pairs if a and b})
        self.ltr = _Matcher(ltrs, ltr_max_mismatches)
        self.lc = _Matcher(lcs, lc_max_mismatches)
        self.ltr_len = len(ltrs[0]) if ltrs else 0
        self.lc_len = len(lcs[0]) if lcs else 0
        ids_a, ids_b = {b: i for i, b in enumerate(ltrs)}, {b: i for i, b in enumerate(lcs)}
        self.by_pair = {(ids_a[a.upper()], ids_b[b.upper()]): idx for idx, (a, b) in enumerate(pairs) if a and b}

    def assign(self, r2_start: str, r1_start: str) -> int:
        la, lb = self.ltr.match(r2_start[:self.ltr_len]), self.lc.match(r1_start[:self.lc_len])
        if not la or not lb:
            return -1
        hits = {self.by_pair[(x, y)] for x in la for y in lb if (x, y) in self.by_pair}
        return hits.pop() if len(hits) == 1 else -1

    def explain(self, r2_start: str, r1_start: str) -> str:
        """Why a pair stayed unassigned (one of :data:`DUAL_REASONS`)."""
        la, lb = self.ltr.match(r2_start[:self.ltr_len]), self.lc.match(r1_start[:self.lc_len])
        if not la and not lb:
            return DUAL_REASONS[0]
        if not la:
            return DUAL_REASONS[1]
        if not lb:
            return DUAL_REASONS[2]
        return DUAL_REASONS[3]


#: reasons a read pair is not assigned in double-barcode mode
DUAL_REASONS = ("neither barcode matched", "LTR barcode not matched", "LC barcode not matched",
                "barcode pair not in the sample sheet")
