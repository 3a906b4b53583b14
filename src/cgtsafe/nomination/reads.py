"""Read handling for empirical off-target nomination: read layouts, demultiplexing, UMI consolidation
and dsODN tag recognition.

Read layouts (:data:`LAYOUTS`)
  ``guideseq``  GUIDE-seq (Tsai et al. 2015, Nat Biotechnol 33:187): paired reads; read 2 is primed
                inside the integrated dsODN tag, so its 5' end (after the rest of the tag) is the genomic
                base next to the tag integration (= the double-strand break). Index read 1 holds barcode 1,
                index read 2 holds barcode 2 followed by an 8-nt UMI. A control sample (cells without the
                nuclease, or with the tag only) is expected; its windows are background.
  ``invitro``   CHANGE-seq / CIRCLE-seq read-out (Lazzarotto 2020, Tsai 2017): genomic DNA cleaved in vitro;
                the 5' end of *each* read of a pair starts at a cleavage end, there is no tag, no UMI and no
                control (the cleavage itself is the signal: both strands' ends meet at the cut).

Molecules (UMI consolidation, GUIDE-seq)
  Read pairs are grouped by the molecular index ``UMI + first 6 nt of read 1 + first 6 nt of read 2``
  (the definition of the GUIDE-seq pipeline). Each group becomes one consensus pair: at each position
  the most frequent base among bases with Phred >= ``min_qual`` (15) is called when it is carried by at
  least ``min_freq`` (0.9) of the group's reads, otherwise ``N``. The molecule keeps the number of read
  pairs it stands for.

dsODN tag (GUIDE-seq)
  Read 2 starts with the part of the 34-bp blunt dsODN that lies 3' of the tag primer:
  ``TTGAGTTGTCATATGTTAATAACGGTAT`` (``sense`` tag orientation, primer 1) or
  ``ACATATGACAACTCAATTAAAC`` (``antisense``, primer 2). A read whose first bases match one of them with at
  most ``tag_mismatches`` mismatches is *tagged* and the tag is trimmed before alignment; untagged reads are
  aligned as they are (the aligner clips what does not match) and counted as ``nomatch``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError

#: the dsODN sequence read by read 2 after each tag primer (GUIDE-seq dsODN, Tsai et al. 2015)
DSODN_TAGS = {"primer1": "TTGAGTTGTCATATGTTAATAACGGTAT", "primer2": "ACATATGACAACTCAATTAAAC"}


@dataclass(frozen=True)
class ReadLayout:
    """How positions are read from a library (see the module docstring)."""

    name: str
    paired: bool = True
    umi: tuple[int, int] | None = None  # (offset, length) of the UMI in index read 2
    tags: dict = field(default_factory=dict)  # primer name -> sequence read after the primer (read 2)
    ends_from: tuple[int, ...] = (2,)  # which reads' 5' ends mark the break (1, 2)
    control: bool = True  # a control sample is expected


LAYOUTS = {
    "guideseq": ReadLayout("guideseq", umi=(8, 8), tags=dict(DSODN_TAGS), ends_from=(2,), control=True),
    "invitro": ReadLayout("invitro", umi=None, tags={}, ends_from=(1, 2), control=False),
}


def get_layout(name: str) -> ReadLayout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise InputError(f"unknown read layout {name!r}; expected one of {', '.join(LAYOUTS)}") from None


@dataclass
class Pair:
    """One read pair (or a consensus molecule): sequences, Phred qualities (numpy uint8), ``count`` pairs."""

    name: str
    seq1: str
    qual1: np.ndarray
    seq2: str
    qual2: np.ndarray
    umi: str = ""
    count: int = 1


def _records(path: str | Path) -> Iterator[tuple[str, str, str]]:
    from cgtsafe.io.fastq import read_fastq

    p = Path(path)
    if not p.exists():
        raise InputError("FASTQ file not found", path=p)
    yield from read_fastq(p)


def _quals(q: str) -> np.ndarray:
    return np.frombuffer(q.encode(), dtype=np.uint8) - 33


def read_pairs(r1: str | Path, r2: str | Path, i1: str | Path | None = None,
               i2: str | Path | None = None) -> Iterator[tuple[Pair, str, str]]:
    """Read pairs (with the index reads' sequences, '' when not given); names must agree line by line."""
    it = [_records(r1), _records(r2)] + [_records(p) for p in (i1, i2) if p]
    has_i1, has_i2 = i1 is not None, i2 is not None
    n = 0
    while True:
        recs = [next(x, None) for x in it]
        if all(r is None for r in recs):
            return
        n += 1
        if any(r is None for r in recs):
            short = [str(p) for p, r in zip([r1, r2, i1, i2], recs) if r is None]
            raise InputError(f"read files have different numbers of records (ends after {n - 1})", path=short[0])
        names = {r[0] for r in recs}
        if len(names) != 1:
            raise InputError(f"read names differ between the files of a pair at record {n}: {sorted(names)}",
                             path=r2, line=4 * n - 3)
        a, b = recs[0], recs[1]
        idx1 = recs[2][1] if has_i1 else ""
        idx2 = recs[2 + has_i1][1] if has_i2 else ""
        yield Pair(a[0], a[1], _quals(a[2]), b[1], _quals(b[2])), idx1, idx2


def _hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def demultiplex(pairs: Iterable[tuple[Pair, str, str]], barcodes: dict[str, tuple[str, str]],
                max_mismatches: int = 0, umi: tuple[int, int] | None = None) -> dict[str, list[Pair]]:
    """Assign pairs to samples by ``barcode1`` (start of index read 1) and ``barcode2`` (start of index
    read 2), each with at most ``max_mismatches`` mismatches; a pair matching no sample or more than one is
    ``undetermined``. The UMI (``umi`` = offset, length in index read 2) is kept on the pair."""
    out: dict[str, list[Pair]] = {name: [] for name in barcodes}
    out["undetermined"] = []
    for pair, i1, i2 in pairs:
        hits = [name for name, (b1, b2) in barcodes.items()
                if _hamming(i1[:len(b1)], b1) <= max_mismatches and _hamming(i2[:len(b2)], b2) <= max_mismatches]
        if umi is not None:
            pair.umi = i2[umi[0]:umi[0] + umi[1]]
        out[hits[0] if len(hits) == 1 else "undetermined"].append(pair)
    return out


_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def _consensus(seqs: list[str], quals: list[np.ndarray], min_qual: int, min_freq: float) -> tuple[str, np.ndarray]:
    L = max(len(s) for s in seqs)
    n = len(seqs)
    arr = np.full((n, L), ord("N"), dtype=np.uint8)
    q = np.zeros((n, L), dtype=np.uint8)
    for k, (s, qq) in enumerate(zip(seqs, quals)):
        arr[k, :len(s)] = np.frombuffer(s.encode(), dtype=np.uint8)
        q[k, :len(s)] = qq
    good = q >= min_qual
    counts = np.stack([((arr == b) & good).sum(axis=0) for b in _BASES])  # (4, L)
    best = counts.argmax(axis=0)
    top = counts.max(axis=0)
    ok = (top > 0) & (top >= min_freq * n)
    cons = np.where(ok, _BASES[best], ord("N")).astype(np.uint8)
    qual = np.where(ok, np.where(good & (arr == cons), q, 0).max(axis=0), 0).astype(np.uint8)
    return cons.tobytes().decode(), qual


def consolidate(pairs: Iterable[Pair], *, min_qual: int = 15, min_freq: float = 0.9) -> list[Pair]:
    """UMI consolidation (see the module docstring); molecules sorted by molecular index (deterministic)."""
    groups: dict[str, list[Pair]] = {}
    for p in pairs:
        groups.setdefault(f"{p.umi}_{p.seq1[:6]}_{p.seq2[:6]}", []).append(p)
    out = []
    for key in sorted(groups):
        g = groups[key]
        if len(g) == 1:
            p = g[0]
            out.append(Pair(key, p.seq1, p.qual1, p.seq2, p.qual2, p.umi, 1))
            continue
        s1, q1 = _consensus([p.seq1 for p in g], [p.qual1 for p in g], min_qual, min_freq)
        s2, q2 = _consensus([p.seq2 for p in g], [p.qual2 for p in g], min_qual, min_freq)
        out.append(Pair(key, s1, q1, s2, q2, g[0].umi, len(g)))
    return out


#: 3' adapter read-through (Illumina TruSeq/Nextera adapters start with this; trimmed from both reads)
ADAPTER = "AGATCGGAAGAGC"
_RC = str.maketrans("ACGTN", "TGCAN")


def _rc(s: str) -> str:
    return s.translate(_RC)[::-1]


def _find(s: str, motif: str, max_mm: int) -> int:
    """First position where ``motif`` starts in ``s`` with at most ``max_mm`` mismatches (a motif running off
    the end of ``s`` must match its part inside ``s`` exactly, at least 8 nt); -1 when none."""
    k, n = len(motif), len(s)
    if n < 8:
        return -1
    a = np.frombuffer(s.encode(), dtype=np.uint8)
    m = np.frombuffer(motif.encode(), dtype=np.uint8)
    if n >= k:
        mm = (np.lib.stride_tricks.sliding_window_view(a, k) != m).sum(axis=1)
        hit = np.flatnonzero(mm <= max_mm)
        if hit.size:
            return int(hit[0])
    for i in range(max(0, n - k + 1), n - 7):
        if s[i:] == motif[:n - i]:
            return i
    return -1


def trim_readthrough(seq1: str, seq2: str, tag: str | None, max_mm: int = 2) -> tuple[str, str]:
    """Cut short-fragment read-through: read 2 at the adapter, read 1 at the adapter or at the start of
    the (reverse-complemented) tag read 2 began with (first occurrence with at most ``max_mm``
    mismatches over 13 nt, or an exact partial match of >= 8 nt at the read end)."""
    def cut(s: str, motifs: list[str]) -> str:
        at = [i for i in (_find(s, m[:13], max_mm) for m in motifs) if i >= 0]
        return s[:min(at)] if at else s

    m1 = [ADAPTER] + ([_rc(tag)] if tag else [])
    return cut(seq1, m1), cut(seq2, [ADAPTER])


def match_tag(seq: str, tags: dict[str, str], max_mismatches: int) -> tuple[str, int]:
    """``(primer, tag_length)`` of the tag that starts ``seq`` (fewest mismatches, first on ties), or
    ``("nomatch", 0)``."""
    best = ("nomatch", 0, max_mismatches + 1)
    for name, tag in tags.items():
        mm = _hamming(seq[:len(tag)], tag)
        if mm < best[2]:
            best = (name, len(tag), mm)
    return (best[0], best[1]) if best[0] != "nomatch" else ("nomatch", 0)
