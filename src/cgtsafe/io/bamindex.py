"""BAM index reader (``.bai`` and ``.csi``, SAM specification SAMv1 section 5) and region queries on it.

One parser for every use of a BAM index in cgtsafe: the region reader of the genome-wide counter
(:mod:`cgtsafe.io.bgzf_region`) and the check that an index belongs to its alignment file
(:func:`cgtsafe.io.alignment.check_index_belongs`).

Layout (all little-endian):

* BAI: ``BAI\\1``, ``n_ref``; per reference ``n_bin``, per bin ``bin`` (uint32), ``n_chunk`` and that many
  ``(chunk_beg, chunk_end)`` virtual offsets (uint64), then ``n_intv`` linear-index offsets (uint64, one per
  16 kb window: the first record overlapping the window); optionally ``n_no_coor``. Binning: ``min_shift`` 14,
  depth 5.
* CSI (BGZF-compressed): ``CSI\\1``, ``min_shift``, ``depth``, ``l_aux`` and the aux bytes, ``n_ref``; per
  reference ``n_bin``, per bin ``bin``, ``loffset`` (the first record overlapping the bin), ``n_chunk`` and the
  chunks; optionally ``n_no_coor``. No linear index.

A bin ``t_l + k`` of level ``l`` (``t_l = (8^l - 1) / 7``) covers ``[k * 2^s, (k + 1) * 2^s)`` with
``s = min_shift + 3 * (depth - l)``; the pseudo-bin ``t_{depth+1} + 1`` (37450 in a BAI) holds statistics, not records.
A virtual offset is ``coffset << 16 | uoffset`` (byte of the BGZF block in the file, byte in its data).

Region query (:meth:`BamIndex.chunks`): the records overlapping ``[beg, end)`` (0-based, end exclusive) lie
in the chunks of the bins that overlap the region; chunks that end at or before a lower bound ``min_off`` are
left out, the others are sorted and merged. ``min_off``: BAI, the linear-index entry of the window holding
``beg`` (every record before it ends before that window starts, so before ``beg``); CSI, the largest
``loffset`` of the bins holding ``beg`` (every record before a bin's ``loffset`` ends before the bin starts).
The reader reads the merged ranges in order, keeps the overlapping records and stops at the first record of
another contig or starting at or after ``end`` (as htslib's iterator does), which gives the records htslib
returns for a sorted file with its own index.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError


@dataclass
class RefBins:
    """Index of one reference sequence."""

    chunks: dict[int, np.ndarray] = field(default_factory=dict)  # bin -> (n, 2) uint64 [beg, end) virtual offsets
    loffset: dict[int, int] = field(default_factory=dict)  # CSI: bin -> first overlapping record
    linear: np.ndarray | None = None  # BAI: uint64 per 16-kb window
    mapped: int | None = None  # the pseudo-bin's counts of records (htslib: mapped / unmapped placed here)
    unmapped: int | None = None


@dataclass
class BamIndex:
    path: Path
    kind: str  # "bai" | "csi"
    min_shift: int
    depth: int
    refs: list[RefBins]
    n_no_coor: int | None = None

    @property
    def pseudo_bin(self) -> int:
        return ((1 << (3 * (self.depth + 1))) - 1) // 7 + 1

    @property
    def max_pos(self) -> int:
        return 1 << (self.min_shift + 3 * self.depth)

    def reg2bin(self, beg: int, end: int) -> int:
        """The smallest bin holding ``[beg, end)`` (what an indexer files a record under; ``end`` > ``beg``)."""
        end -= 1
        for lvl in range(self.depth, 0, -1):
            s = self.min_shift + 3 * (self.depth - lvl)
            if beg >> s == end >> s:
                return ((1 << (3 * lvl)) - 1) // 7 + (beg >> s)
        return 0

    def reg2bins(self, beg: int, end: int) -> list[int]:
        """Every bin overlapping ``[beg, end)``, level by level."""
        out: list[int] = []
        end = min(end, self.max_pos)
        if end <= beg:
            return out
        for lvl in range(self.depth + 1):
            t = ((1 << (3 * lvl)) - 1) // 7
            s = self.min_shift + 3 * (self.depth - lvl)
            out.extend(range(t + (beg >> s), t + ((end - 1) >> s) + 1))
        return out

    def min_offset(self, tid: int, beg: int) -> int:
        """A virtual offset before which no record of ``tid`` overlaps ``beg`` or later."""
        r = self.refs[tid]
        if self.kind == "bai":
            lin = r.linear
            if lin is None or len(lin) == 0:
                return 0
            return int(lin[min(beg >> self.min_shift, len(lin) - 1)])
        best = 0
        for lvl in range(self.depth + 1):
            b = ((1 << (3 * lvl)) - 1) // 7 + (beg >> (self.min_shift + 3 * (self.depth - lvl)))
            best = max(best, r.loffset.get(b, 0))
        return best

    def chunks(self, tid: int, beg: int, end: int, gap: int = 1 << 16) -> list[tuple[int, int]]:
        """Sorted, merged ``[first, last)`` virtual-offset ranges that hold every record of ``tid`` overlapping
        ``[beg, end)``: the chunks of the overlapping bins that end after :meth:`min_offset`, merged when they
        overlap or the next starts within ``gap`` compressed bytes of the previous end (reading the records
        between them costs less than another read)."""
        if tid < 0 or tid >= len(self.refs) or end <= beg:
            return []
        r = self.refs[tid]
        lo = self.min_offset(tid, max(0, beg))
        cand = [ch[ch[:, 1] > lo] for b in self.reg2bins(max(0, beg), end) if (ch := r.chunks.get(b)) is not None]
        cand = [c for c in cand if len(c)]
        if not cand:
            return []
        allc = np.concatenate(cand)
        allc = allc[np.argsort(allc[:, 0], kind="stable")]
        out: list[list[int]] = []
        for v0, v1 in allc.tolist():
            if out and (v0 <= out[-1][1] or (v0 >> 16) <= (out[-1][1] >> 16) + gap):
                out[-1][1] = max(out[-1][1], v1)
            else:
                out.append([v0, v1])
        return [(a, b) for a, b in out if b > a]

    def last_chunks(self, refs: set[int] | None = None) -> list[tuple[int, int, int, int]]:
        """``(ref id, bin, beg, end)`` of the last chunk of every bin (pseudo-bin left out), in file order of
        the index; ``refs`` limits it to those reference ids."""
        out = []
        for tid, r in enumerate(self.refs):
            if refs is not None and tid not in refs:
                continue
            for b, ch in r.chunks.items():
                if len(ch):
                    out.append((tid, b, int(ch[-1, 0]), int(ch[-1, 1])))
        return out


def _bad(path: Path, what: str) -> InputError:
    return InputError(f"index {path.name} cannot be read ({what}): a damaged index or not a BAM index; re-run "
                      "'samtools index' on the alignment file", path=path)


def read_index(path: str | Path) -> BamIndex:
    """Parse a ``.bai`` or ``.csi`` file (one-line :class:`InputError` when it is not one or is cut short)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _bad(path, exc.strerror or type(exc).__name__) from None
    if raw[:2] == b"\x1f\x8b":  # CSI is BGZF (gzip members)
        import zlib

        parts = []
        data = raw
        try:
            while data:
                d = zlib.decompressobj(wbits=31)
                parts.append(d.decompress(data))
                if not d.eof:
                    raise zlib.error("truncated")
                data = d.unused_data
        except zlib.error as exc:
            raise _bad(path, f"gzip: {exc}") from None
        raw = b"".join(parts)
    magic = raw[:4]
    try:
        if magic == b"BAI\1":
            return _parse(path, raw, "bai", 14, 5, 4)
        if magic == b"CSI\1":
            min_shift, depth, l_aux = struct.unpack_from("<iii", raw, 4)
            if not (0 < min_shift < 32 and 0 <= depth < 14 and l_aux >= 0 and min_shift + 3 * depth < 64):
                raise _bad(path, f"min_shift {min_shift}, depth {depth}")
            return _parse(path, raw, "csi", min_shift, depth, 16 + l_aux)
    except struct.error:
        raise _bad(path, "cut short") from None
    raise _bad(path, f"starts with {magic!r}, not BAI\\1 or CSI\\1")


def _parse(path: Path, raw: bytes, kind: str, min_shift: int, depth: int, off: int) -> BamIndex:
    csi = kind == "csi"
    n = len(raw)
    (n_ref,) = struct.unpack_from("<i", raw, off)
    off += 4
    if n_ref < 0:
        raise _bad(path, f"{n_ref} references")
    max_bin = ((1 << (3 * (depth + 1))) - 1) // 7 + 1  # the pseudo-bin
    refs = []
    for _ in range(n_ref):
        r = RefBins()
        (n_bin,) = struct.unpack_from("<i", raw, off)
        off += 4
        if n_bin < 0:
            raise _bad(path, f"{n_bin} bins")
        for _ in range(n_bin):
            if csi:
                b, loff, n_chunk = struct.unpack_from("<IQi", raw, off)
                off += 16
            else:
                b, n_chunk = struct.unpack_from("<Ii", raw, off)
                off += 8
            if n_chunk < 0 or off + 16 * n_chunk > n or b > max_bin:
                raise _bad(path, f"bin {b} with {n_chunk} chunks")
            ch = np.frombuffer(raw, dtype="<u8", count=2 * n_chunk, offset=off).reshape(-1, 2)
            if b != max_bin:
                r.chunks[b] = ch
                if csi:
                    r.loffset[b] = loff
            elif n_chunk == 2:  # the pseudo-bin: the contig's first/last offsets, then the record counts
                r.mapped, r.unmapped = int(ch[1, 0]), int(ch[1, 1])
            off += 16 * n_chunk
        if not csi:
            (n_intv,) = struct.unpack_from("<i", raw, off)
            off += 4
            if n_intv < 0 or off + 8 * n_intv > n:
                raise _bad(path, f"{n_intv} linear-index entries")
            r.linear = np.frombuffer(raw, dtype="<u8", count=n_intv, offset=off)
            off += 8 * n_intv
        refs.append(r)
    n_no_coor = struct.unpack_from("<Q", raw, off)[0] if off + 8 <= n else None
    return BamIndex(path, kind, min_shift, depth, refs, n_no_coor)
