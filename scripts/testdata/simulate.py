"""Read simulator of the synthetic sequencing test data (``sequencing.py``; the benchmarks call that module).

Reads are simulated together with their alignment: each base of a simulated molecule carries the
reference contig and 0-based position it came from (``-1`` for inserted bases), so alignment
records (CIGAR, split/supplementary alignments, mate fields) follow from the molecule's origin
without running an aligner. Nothing here reads the system clock; all randomness comes from the
``numpy.random.Generator`` passed in, so outputs are reproducible.

Coordinates: all positions in this module are 0-based (``Event.pos``: the first deleted base of a
deletion, the reference base *before which* an insertion is placed, the substituted base of an
SNV, the first base *not* taken before a junction ``jump``).

Sequencing error model (Illumina-like): per-cycle substitution probability
``p(c) = 0.0012 + 0.008 exp(-(L-1-c)/10) + 0.002 exp(-c/2)`` (mean ~0.18 % for 150 cycles,
rising at both read ends); qualities are binned to the four NovaSeq bins (2, 12, 23, 37):
Q37 for most cycles, Q23 for the last 10 cycles, Q12 for ~70 % of erroneous bases and 0.2 % of
correct bases.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

#: byte -> 2-bit code (A0 C1 G2 T3), N and other IUPAC -> 4
CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    CODE[_b] = _i
    CODE[_b + 32] = _i
LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)
COMP_CODE = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
QBINS = (2, 12, 23, 37)
MAX_SMALL_DEL = 50  # a longer reference gap inside a read is reported as a split alignment
MIN_SEGMENT = 20  # shorter pieces of a split read are soft-clipped, not aligned


def encode(seq: str | bytes) -> np.ndarray:
    if isinstance(seq, str):
        seq = seq.encode()
    return CODE[np.frombuffer(seq, dtype=np.uint8)]


def decode(codes: np.ndarray) -> str:
    return LETTERS[codes].tobytes().decode()


@dataclass(frozen=True, order=True)
class Event:
    """A change of a haplotype relative to the reference (0-based ``pos``, see module docstring)."""

    contig: str
    pos: int
    kind: str  # "snv" | "ins" | "del" | "jump"
    alt: str = ""  # snv: the new base; ins: inserted bases
    length: int = 0  # del: number of deleted bases
    to_contig: str = ""  # jump: sequence continues on to_contig at to_pos
    to_pos: int = 0


class EventIndex:
    """Events of one haplotype (or one molecule), sorted per contig for walking."""

    def __init__(self, events=()):
        self.by_contig: dict[str, list[Event]] = {}
        for e in sorted(events):
            self.by_contig.setdefault(e.contig, []).append(e)
        self.pos = {c: [e.pos for e in evs] for c, evs in self.by_contig.items()}

    def first_at_or_after(self, contig: str, pos: int) -> int:
        return bisect.bisect_left(self.pos.get(contig, []), pos)


@dataclass
class Molecule:
    codes: np.ndarray  # uint8 base codes
    tids: np.ndarray  # int32 contig index per base
    poss: np.ndarray  # int64 0-based reference position per base, -1 for inserted bases


def build_molecule(seqs: dict[str, np.ndarray], tid_of: dict[str, int], events: EventIndex, contig: str,
                   start: int, *, length: int | None = None, stop: int | None = None) -> Molecule | None:
    """Walk a haplotype from ``contig:start`` applying ``events``; take ``length`` bases or stop at
    reference position ``stop`` of the start contig (exclusive). ``None`` when the molecule would
    run off a contig end before ``length`` bases."""
    cs, ts, ps = [], [], []
    n = 0
    c, cur = contig, start
    k = events.first_at_or_after(c, cur)
    while True:
        evs = events.by_contig.get(c, [])
        nxt = evs[k] if k < len(evs) else None
        limit = len(seqs[c])
        if stop is not None and c == contig:
            limit = min(limit, stop)
        end = limit if nxt is None else min(nxt.pos, limit)
        if length is not None:
            end = min(end, cur + (length - n))
        if end > cur:
            cs.append(seqs[c][cur:end])
            ts.append(np.full(end - cur, tid_of[c], dtype=np.int32))
            ps.append(np.arange(cur, end, dtype=np.int64))
            n += end - cur
            cur = end
        if (length is not None and n >= length) or (stop is not None and c == contig and cur >= stop):
            break
        if nxt is None or nxt.pos > cur:
            if cur >= len(seqs[c]):
                return None if length is not None else _mol(cs, ts, ps)
            break  # pragma: no cover - only reached when stop < next event
        # apply nxt at cur
        k += 1
        if nxt.kind == "snv":
            cs.append(encode(nxt.alt))
            ts.append(np.full(1, tid_of[c], dtype=np.int32))
            ps.append(np.array([cur], dtype=np.int64))
            n += 1
            cur += 1
        elif nxt.kind == "ins":
            ins = encode(nxt.alt)
            cs.append(ins)
            ts.append(np.full(len(ins), tid_of[c], dtype=np.int32))
            ps.append(np.full(len(ins), -1, dtype=np.int64))
            n += len(ins)
        elif nxt.kind == "del":
            cur += nxt.length
            k = events.first_at_or_after(c, cur)
        elif nxt.kind == "jump":
            c, cur = nxt.to_contig, nxt.to_pos
            k = events.first_at_or_after(c, cur)
        else:  # pragma: no cover
            raise ValueError(nxt.kind)
    mol = _mol(cs, ts, ps)
    if length is not None and len(mol.codes) > length:
        mol = Molecule(mol.codes[:length], mol.tids[:length], mol.poss[:length])
    return mol


def _mol(cs, ts, ps) -> Molecule:
    if not cs:
        return Molecule(np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(0, np.int64))
    return Molecule(np.concatenate(cs), np.concatenate(ts), np.concatenate(ps))


# --------------------------------------------------------------------------------------------
# sequencing errors and qualities


def error_profile(read_len: int) -> np.ndarray:
    c = np.arange(read_len, dtype=float)
    return 0.0012 + 0.008 * np.exp(-(read_len - 1 - c) / 10.0) + 0.002 * np.exp(-c / 2.0)


def add_errors(rng: np.random.Generator, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Substitution errors and binned qualities for reads in *cycle order*.

    ``codes`` is (n, L) or (L,) uint8; returns (codes, phred qualities) of the same shape.
    """
    one = codes.ndim == 1
    x = codes[None, :] if one else codes
    n, L = x.shape
    p = error_profile(L)
    err = rng.random((n, L)) < p[None, :]
    shift = rng.integers(1, 4, size=(n, L), dtype=np.uint8)
    out = x.copy()
    out[err] = (x[err] + shift[err]) % 4
    q = np.full((n, L), 37, dtype=np.uint8)
    q[:, max(0, L - 10):] = 23
    low = rng.random((n, L))
    q[(err & (low < 0.7)) | (~err & (low < 0.002))] = 12
    q[x == 4] = 2
    out[x == 4] = 4
    if one:
        return out[0], q[0]
    return out, q


# --------------------------------------------------------------------------------------------
# alignment of a simulated read from the origin of its bases


@dataclass
class Segment:
    tid: int
    ref_start: int
    ops: list = field(default_factory=list)  # [(op, len)] with op in "MID"
    q_start: int = 0
    q_end: int = 0
    aligned: int = 0
    ref_end: int = 0


def _push(ops, op, n):
    if ops and ops[-1][0] == op:
        ops[-1] = (op, ops[-1][1] + n)
    else:
        ops.append((op, n))


def align_read(tids: np.ndarray, poss: np.ndarray) -> list[Segment]:
    """Split a read (bases in reference-forward order) into local alignments.

    Consecutive bases whose reference positions increase by one are matches, inserted bases
    (position -1) are insertions, gaps of up to ``MAX_SMALL_DEL`` bases are deletions; larger gaps
    or contig changes start a new segment. Segments shorter than ``MIN_SEGMENT`` aligned bases are
    dropped (their bases become clips); insertions at a segment edge become clips.
    """
    n = len(poss)
    if n and poss[0] >= 0 and tids[0] == tids[-1] and poss[-1] - poss[0] == n - 1 and (np.diff(poss) == 1).all():
        return [Segment(int(tids[0]), int(poss[0]), [("M", n)], 0, n, n, int(poss[-1]) + 1)]
    segs: list[Segment] = []
    cur: Segment | None = None
    last = -1
    pending_ins = 0
    for i in range(n):
        p = int(poss[i])
        t = int(tids[i])
        if p < 0:
            if cur is not None:
                pending_ins += 1
            continue
        if cur is not None and t == cur.tid and 0 < p - last <= MAX_SMALL_DEL + 1:
            if pending_ins:
                _push(cur.ops, "I", pending_ins)
            if p - last > 1:
                _push(cur.ops, "D", p - last - 1)
            _push(cur.ops, "M", 1)
            cur.aligned += 1
            cur.q_end = i + 1
        else:
            if cur is not None:
                cur.ref_end = last + 1
                segs.append(cur)
            cur = Segment(t, p, [("M", 1)], i, i + 1, 1)
        pending_ins = 0
        last = p
    if cur is not None:
        cur.ref_end = last + 1
        segs.append(cur)
    return [s for s in segs if s.aligned >= MIN_SEGMENT]


def cigar_string(seg: Segment, read_len: int, clip: str) -> str:
    parts = []
    if seg.q_start:
        parts.append(f"{seg.q_start}{clip}")
    parts += [f"{n}{op}" for op, n in seg.ops]
    if read_len - seg.q_end:
        parts.append(f"{read_len - seg.q_end}{clip}")
    return "".join(parts)


def segment_nm(seg: Segment, read_codes: np.ndarray, ref_codes: np.ndarray) -> int:
    """Edit distance of a segment: mismatches + inserted + deleted bases."""
    nm = 0
    q, r = seg.q_start, seg.ref_start
    for op, n in seg.ops:
        if op == "M":
            nm += int((read_codes[q:q + n] != ref_codes[r:r + n]).sum())
            q += n
            r += n
        elif op == "I":
            nm += n
            q += n
        else:
            nm += n
            r += n
    return nm


# --------------------------------------------------------------------------------------------
# repeat mask for mapping quality


def kmer_repeats(seqs: dict[str, np.ndarray], k: int = 31) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For every contig: (repeated, other_tid, other_pos) per k-mer start.

    ``repeated`` is True where the k-mer (upper-cased, without N) occurs more than once in the
    genome on the forward strand; for k-mers that occur exactly twice ``other_tid/other_pos`` give
    the other copy (else -1). Used to lower MAPQ in duplicated segments and place secondaries.
    """
    names = list(seqs)
    codes_all, tid_all, pos_all = [], [], []
    for t, name in enumerate(names):
        s = seqs[name]
        m = len(s) - k + 1
        if m <= 0:
            codes_all.append(np.zeros(0, np.uint64))
            tid_all.append(np.zeros(0, np.int32))
            pos_all.append(np.zeros(0, np.int64))
            continue
        code = np.zeros(m, dtype=np.uint64)
        bad = np.zeros(m, dtype=bool)
        for j in range(k):
            w = s[j:j + m]
            code = (code << np.uint64(2)) | (w & 3).astype(np.uint64)
            bad |= w == 4
        code[bad] = np.uint64(2**63) + np.arange(int(bad.sum()), dtype=np.uint64)  # unique sentinels
        codes_all.append(code)
        tid_all.append(np.full(m, t, np.int32))
        pos_all.append(np.arange(m, dtype=np.int64))
    code = np.concatenate(codes_all)
    tid = np.concatenate(tid_all)
    pos = np.concatenate(pos_all)
    order = np.argsort(code, kind="stable")
    sc = code[order]
    same_prev = np.r_[False, sc[1:] == sc[:-1]]
    same_next = np.r_[sc[1:] == sc[:-1], False]
    rep_sorted = same_prev | same_next
    # group sizes
    grp_start = ~same_prev
    gid = np.cumsum(grp_start) - 1
    sizes = np.bincount(gid)
    size_sorted = sizes[gid]
    other_sorted = np.full(len(sc), -1, dtype=np.int64)
    two = size_sorted == 2
    idx = np.nonzero(two & grp_start)[0]
    other_sorted[idx] = order[idx + 1]
    other_sorted[idx + 1] = order[idx]
    repeated = np.zeros(len(code), bool)
    repeated[order] = rep_sorted
    other = np.full(len(code), -1, dtype=np.int64)
    other[order] = other_sorted
    out = {}
    off = 0
    for t, name in enumerate(names):
        m = len(codes_all[t])
        o = other[off:off + m]
        ot = np.where(o >= 0, tid[np.maximum(o, 0)], -1).astype(np.int32)
        op = np.where(o >= 0, pos[np.maximum(o, 0)], -1)
        out[name] = (repeated[off:off + m], ot, op)
        off += m
    return out
