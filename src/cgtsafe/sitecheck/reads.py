"""Amplicon read preparation: FASTQ reading with sequence/quality checks, 3' adapter trimming with cutadapt's
library (TruSeq / Nextera presets or given sequences) and paired-end merging by overlap (adapter read-through
the trimming missed included). The reads feed
:func:`cgtsafe.sitecheck.amplicon.quantify_amplicon` as ``(seq, qual)`` items (bytes; ``None`` = unmerged pair).
"""

from __future__ import annotations

from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import revcomp


def iter_fastq(path: str | Path):
    """Yield ``(name, seq, qual)`` (bytes) read by :func:`cgtsafe.io.fastq.read_fastq` (dnaio; its one-line
    errors for malformed or truncated records), plus one-line errors naming the file and line for letters
    other than A C G T N in a read, quality characters below '!' and Phred+64 qualities."""
    from cgtsafe.io.fastq import read_fastq

    path = Path(path)
    if not path.exists():
        raise InputError("FASTQ file not found", path=path)
    for n, (name, seq, qual) in enumerate(read_fastq(path), start=1):
        line = 4 * (n - 1) + 1  # four-line records
        s = seq.encode()
        q = qual.encode()
        bad = s.translate(None, b"ACGTN")
        if bad:
            raise InputError(f"read {name!r}: letter {chr(bad[0])!r} in the sequence; expected A, C, G, T or N",
                             path=path, line=line + 1)
        if q:
            lo, hi = min(q), max(q)
            if lo < 33:
                raise InputError(f"quality character {chr(lo)!r} (code {lo}) below '!': not Phred+33",
                                 path=path, line=line + 3)
            if lo >= 64 and hi > 75:
                raise InputError(f"qualities look like Phred+64 ('{chr(lo)}'..'{chr(hi)}'); convert to "
                                 "Phred+33 (e.g. seqtk seq -Q64 -V)", path=path, line=line + 3)
        yield name.encode(), s, q


def _consensus(a: bytes, qa: bytes, b: bytes, qb: bytes) -> tuple[bytearray, bytearray]:
    """Base-by-base merge of two aligned stretches: agreement keeps the base with the higher quality;
    disagreement keeps the higher-quality base (ties: read 1)."""
    seq, qual = bytearray(), bytearray()
    for x, qx, y, qy in zip(a, qa, b, qb):
        if x == y or qx >= qy:
            seq.append(x)
            qual.append(max(qx, qy) if x == y else qx)
        else:
            seq.append(y)
            qual.append(qy)
    return seq, qual


def merge_pair(s1: bytes, q1: bytes, s2: bytes, q2: bytes, min_overlap: int = 10,
               max_mismatch_frac: float = 0.1):
    """Merge mates by their overlap (R2 reverse-complemented); the higher-quality base wins at
    disagreements. Returns ``(seq, qual)`` or ``None`` when no acceptable overlap exists.

    First the usual overlap (R1's 3' end over R2's): the longest with <= ``max_mismatch_frac`` mismatches.
    Failing that, adapter read-through (insert shorter than the reads): the fragment is R1's first ``L``
    bases and reverse-complemented R2's last ``L`` bases; the longest ``L >= min_overlap`` that agrees
    within ``max_mismatch_frac`` is the insert, and the adapter tails beyond it are dropped."""
    r2 = revcomp(s2)
    rq2 = q2[::-1]
    n1, n2 = len(s1), len(r2)
    for ov in range(min(n1, n2), min_overlap - 1, -1):
        mism = sum(1 for x, y in zip(s1[n1 - ov:], r2[:ov]) if x != y)
        if mism <= max_mismatch_frac * ov:
            seq, qual = _consensus(s1[n1 - ov:], q1[n1 - ov:], r2[:ov], rq2[:ov])
            return bytes(s1[:n1 - ov] + seq + r2[ov:]), bytes(q1[:n1 - ov] + qual + rq2[ov:])
    for ins in range(min(n1, n2), min_overlap - 1, -1):  # n: one mate cut at its adapter, the other not
        a, b = s1[:ins], r2[n2 - ins:]
        mism = sum(1 for x, y in zip(a, b) if x != y)
        if mism <= max_mismatch_frac * ins:
            seq, qual = _consensus(a, q1[:ins], b, rq2[n2 - ins:])
            return bytes(seq), bytes(qual)
    return None


#: the 13 bases common to Illumina TruSeq read 1 and read 2 adapters
ADAPTER = b"AGATCGGAAGAGC"

#: 3' adapters as read at the end of read 1 / read 2 when the insert is shorter than the read (Illumina
#: "Adapter Sequences" document 1000000002694: TruSeq single/dual index and Nextera/DNA Prep)
ADAPTER_PRESETS = {
    "truseq": ("AGATCGGAAGAGCACACGTCTGAACTCCAGTCA", "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"),
    "nextera": ("CTGTCTCTTATACACATCTCCGAGCCCACGAGAC", "CTGTCTCTTATACACATCTGACGCTGCCGACGA"),
    "none": ("", ""),
}
#: cutadapt's defaults: up to 10 % errors in the adapter match, a 3' partial adapter of >= 3 bases is cut
ADAPTER_MAX_ERRORS = 0.1
ADAPTER_MIN_OVERLAP = 3


def adapter_pair(spec=None) -> tuple[str, str]:
    """``(read 1 adapter, read 2 adapter)`` from a preset name (``truseq`` (default), ``nextera``, ``none``),
    one sequence (both reads) or two sequences ``[r1, r2]``; one-line error otherwise."""
    if spec is None or spec == "":
        spec = "truseq"
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key in ADAPTER_PRESETS:
            return ADAPTER_PRESETS[key]
        spec = [spec, spec]
    try:
        a1, a2 = (str(x).strip().upper() for x in spec)
    except (TypeError, ValueError):
        raise InputError(f"adapters: expected a preset ({', '.join(ADAPTER_PRESETS)}) or one or two sequences, "
                         f"got {spec!r}") from None
    for a in (a1, a2):
        if a and (set(a) - set("ACGTN") or len(a) < 6):
            raise InputError(f"adapter {a!r}: expected >= 6 letters A, C, G, T, N or a preset "
                             f"({', '.join(ADAPTER_PRESETS)})")
    return a1, a2


class AdapterTrimmer:
    """3' adapter removal with cutadapt's library (:class:`cutadapt.adapters.BackAdapter`: the adapter or a
    3' prefix of it, >= :data:`ADAPTER_MIN_OVERLAP` bases, <= 10 % errors; the read is cut where the match
    starts). ``trimmed`` counts reads (single-end) or pairs (either mate) that had an adapter."""

    def __init__(self, adapters=None):
        from cutadapt.adapters import BackAdapter

        self.sequences = adapter_pair(adapters)
        self._ad = [BackAdapter(a, max_errors=ADAPTER_MAX_ERRORS, min_overlap=ADAPTER_MIN_OVERLAP,
                                name=f"r{i + 1}") if a else None for i, a in enumerate(self.sequences)]
        self.trimmed = 0

    def cut(self, seq: bytes, qual: bytes, mate: int = 0) -> tuple[bytes, bytes, bool]:
        ad = self._ad[mate]
        if ad is None:
            return seq, qual, False
        m = ad.match_to(seq.decode())
        if m is None:
            return seq, qual, False
        return seq[:m.rstart], qual[:m.rstart], True

    def single(self, seq: bytes, qual: bytes) -> tuple[bytes, bytes]:
        s, q, hit = self.cut(seq, qual, 0)
        self.trimmed += hit
        return s, q

    def pair(self, s1, q1, s2, q2):
        s1, q1, h1 = self.cut(s1, q1, 0)
        s2, q2, h2 = self.cut(s2, q2, 1)
        self.trimmed += h1 or h2
        return s1, q1, s2, q2


def trim_adapter(seq: bytes, qual: bytes, adapter: bytes = ADAPTER, min_partial: int = 6):
    """Cut a single-end read at the adapter (insert shorter than the read): at the first full occurrence,
    else where a 3' suffix of >= ``min_partial`` bases equals the adapter's start (chance match of a
    6-base prefix: 1 in 4,096 reads). Exact matching only; the quantification uses :class:`AdapterTrimmer`."""
    k = seq.upper().find(adapter)
    if k >= 0:
        return seq[:k], qual[:k]
    up = seq.upper()
    for n in range(min(len(adapter) - 1, len(seq)), min_partial - 1, -1):
        if up.endswith(adapter[:n]):
            return seq[:-n], qual[:-n]
    return seq, qual


def read_items(fastq: str | Path, fastq2: str | Path | None = None, min_overlap: int = 10, adapters=None,
               stats: dict | None = None):
    """Reads of one sample/amplicon as ``(seq, qual)`` items (merged pairs; ``None`` = unmerged pair).
    3' adapters (``adapters``: see :func:`adapter_pair`; default TruSeq) are cut from every read first
    (:class:`AdapterTrimmer`); pairs are then merged by overlap, which also catches read-through the
    adapter search missed (:func:`merge_pair`). ``stats`` (a dict) receives ``adapter_trimmed``: reads
    (pairs) in which an adapter was found."""
    trimmer = AdapterTrimmer(adapters)
    try:
        yield from _items(trimmer, fastq, fastq2, min_overlap)
    finally:
        if stats is not None:
            stats["adapter_trimmed"] = trimmer.trimmed


def _items(trimmer: AdapterTrimmer, fastq, fastq2, min_overlap: int):
    if not fastq2:
        for _, s, q in iter_fastq(fastq):
            yield trimmer.single(s, q)
        return
    it2 = iter_fastq(fastq2)
    for name1, s1, q1 in iter_fastq(fastq):
        try:
            name2, s2, q2 = next(it2)
        except StopIteration:
            raise InputError(f"mate file has fewer reads than {Path(fastq).name} (read {name1.decode()!r})",
                             path=fastq2) from None
        n1 = name1.decode().removesuffix("/1")
        n2 = name2.decode().removesuffix("/2")
        if n1 != n2:
            raise InputError(f"mates out of order: {n1!r} in R1 but {n2!r} in R2", path=fastq2)
        s1, q1, s2, q2 = trimmer.pair(s1, q1, s2, q2)
        if min(len(s1), len(s2)) < min_overlap:  # adapter dimer or insert shorter than the overlap
            yield None
            continue
        yield merge_pair(s1, q1, s2, q2, min_overlap=min_overlap)
    if next(it2, None) is not None:
        raise InputError(f"mate file has more reads than {Path(fastq).name}", path=fastq2)
