"""Region reader for indexed BAM files: uncompressed records of a region without htslib's re-encoding.

:class:`BamRegionReader` has the interface of the genome-wide counter's
:class:`cgtsafe.sitecheck.genomewide_count.RegionDecoder` (``region(contig, start, end) -> (buffer, nbytes)``,
``tids``, ``path``, context manager): the buffer holds the uncompressed BAM header, then exactly the records
htslib's region query (``samtools view file contig:start+1-end``, ``AlignmentFile.fetch``) returns for
``[start, end)`` (0-based, end exclusive), in file order, as the file stores them (all tags kept).

How (no per-read Python object):

1. the index (:mod:`cgtsafe.io.bamindex`, BAI or CSI) gives the virtual offsets of the first candidate chunk
   and the end of the last one (:meth:`cgtsafe.io.bamindex.BamIndex.span`);
2. the compressed bytes from the first block to the block of the last offset are read with one ``pread``;
3. the BGZF block headers are checked (gzip magic, deflate method, ``FEXTRA`` with the ``BC`` subfield and
   its block size, each block within the bytes read) in numba (:func:`_blocks`), and each block is inflated
   with ISA-L (``isal_zlib.decompress``, gzip mode: the CRC32 and the uncompressed size of every block are
   checked) straight after the header in one reused buffer; ISA-L releases the GIL, so ``threads`` > 1
   inflates blocks in a thread pool (wall time only; the CPU time is the same);
4. :func:`_select` walks the records from the first offset (SAMv1 section 4.2 layout), keeps those of the
   contig that overlap the region with htslib's rule (end = position + reference length of the CIGAR, M/D/N/=/X
   operations; position + 1 for an unmapped record or one without CIGAR or reference length; a long CIGAR's
   placeholder ``kSmN`` has the real reference length) and stops at the first record of another contig or
   starting at or after ``end``, or at the last chunk's end;
5. the kept records are moved together towards the last one (only the few records before the last gap move)
   and the header is written just before them: the returned buffer is a view of the reused buffer.

Every inconsistency (a chunk offset that is not a BGZF block or record boundary, a damaged block, a record
running past the data) is one :class:`cgtsafe.errors.InputError` naming the file and the region
(:func:`cgtsafe.io.alignment.read_error`); never a silent partial result.

Speed (``benchmarks/bench_bgzf_region.py --workdir /tmp/gwbench``: the 10 Mb, 30x BAM pair of
``bench_genomewide.py``, every 500-kb region of the genome-wide scan of both files, whole child processes on a
shared 2-core machine): decoding alone 1.9 CPU-s against 3.4 for htslib's ``RegionDecoder`` in the same run,
0.72 against 2.29 CPU-s without the start-up both pay (a ratio of 0.32); decoding and counting 2.7 against
4.3 CPU-s, the counts identical; peak RSS about 30 MB more (the records keep their tags, and the compressed
range is held while it is inflated). With ``--threads 2`` the wall time did not drop on the loaded machine
(1 is the default). In ``bench_genomewide.py --threads 1 --input bam`` with the reader wired in: 2.5 CPU-s
(3.97 Mb per CPU-second whole process, 7.5 at the margin) against 4.1 for the htslib path in the same run,
the table byte-identical.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from numba import njit

from cgtsafe.errors import InputError
from cgtsafe.io.alignment import _index_path, read_error
from cgtsafe.io.bamindex import BamIndex, read_index

#: the largest BGZF block (compressed and uncompressed size are at most 64 KiB)
MAX_BLOCK = 65536


@njit(cache=True, nogil=True)
def _blocks(cbuf, n, stop):  # pragma: no cover - numba
    """BGZF blocks of ``cbuf[:n]`` from offset 0 whose offset is <= ``stop``: ``(offsets, sizes, isizes, m, err,
    at)``; err 0 = fine, 1 = not a BGZF block header at ``at``, 2 = the block at ``at`` runs past the bytes read."""
    cap = n // 28 + 2
    offs = np.empty(cap, dtype=np.int64)
    sizes = np.empty(cap, dtype=np.int64)
    isz = np.empty(cap, dtype=np.int64)
    m = 0
    p = 0
    while p <= stop and p < n:
        if p + 18 > n:
            return offs, sizes, isz, m, 2, p
        if cbuf[p] != 31 or cbuf[p + 1] != 139 or cbuf[p + 2] != 8 or (cbuf[p + 3] & 4) == 0:
            return offs, sizes, isz, m, 1, p
        xlen = np.int64(cbuf[p + 10]) | (np.int64(cbuf[p + 11]) << 8)
        q = p + 12
        qe = q + xlen
        if qe > n:
            return offs, sizes, isz, m, 2, p
        bsize = -1
        while q + 4 <= qe:
            slen = np.int64(cbuf[q + 2]) | (np.int64(cbuf[q + 3]) << 8)
            if cbuf[q] == 66 and cbuf[q + 1] == 67 and slen == 2 and q + 6 <= qe:
                bsize = (np.int64(cbuf[q + 4]) | (np.int64(cbuf[q + 5]) << 8)) + 1
            q += 4 + slen
        if bsize < 0 or bsize < 12 + xlen + 8:
            return offs, sizes, isz, m, 1, p
        if p + bsize > n:
            return offs, sizes, isz, m, 2, p
        e = p + bsize
        s = (np.int64(cbuf[e - 4]) | (np.int64(cbuf[e - 3]) << 8) | (np.int64(cbuf[e - 2]) << 16)
             | (np.int64(cbuf[e - 1]) << 24))
        if s > MAX_BLOCK:
            return offs, sizes, isz, m, 1, p
        offs[m] = p
        sizes[m] = bsize
        isz[m] = s
        m += 1
        p = e
    return offs, sizes, isz, m, 0, p


@njit(inline="always")
def _i32(b, p):  # pragma: no cover - numba
    v = np.int64(b[p]) | (np.int64(b[p + 1]) << 8) | (np.int64(b[p + 2]) << 16) | (np.int64(b[p + 3]) << 24)
    return v - 4294967296 if v >= 2147483648 else v


@njit(cache=True, nogil=True)
def _select(b, p, pend, data_end, tid, beg, end, keep, m):  # pragma: no cover - numba
    """Walk the records from ``b[p]`` up to ``pend`` (the end of a chunk range) and append the ``(offset,
    length)`` of those of ``tid`` overlapping ``[beg, end)`` to ``keep[m:]``. Returns ``(count, err, at,
    stopped)``: err 0 = fine, 1 = a record runs past the data read or is malformed at ``at``, 2 = ``keep`` is
    full; stopped = a record of another contig or starting at or after ``end`` was met."""
    while p < pend:
        if p + 36 > data_end:
            return m, 1, p, False
        bs = _i32(b, p)
        if bs < 32 or p + 4 + bs > data_end:
            return m, 1, p, False
        ref = _i32(b, p + 4)
        pos = _i32(b, p + 8)
        if ref != tid or pos >= end:
            return m, 0, p, True
        l_name = np.int64(b[p + 12])
        n_cig = np.int64(b[p + 16]) | (np.int64(b[p + 17]) << 8)
        flag = np.int64(b[p + 18]) | (np.int64(b[p + 19]) << 8)
        l_seq = _i32(b, p + 20)
        if l_name < 1 or l_seq < 0 or 32 + l_name + 4 * n_cig + (l_seq + 1) // 2 + l_seq > bs:
            return m, 1, p, False
        rlen = 0
        if pos < beg and (flag & 4) == 0:  # a record starting in the region overlaps it whatever its CIGAR
            c = p + 36 + l_name
            for k in range(n_cig):
                v = np.int64(b[c]) | (np.int64(b[c + 1]) << 8) | (np.int64(b[c + 2]) << 16) | (
                    np.int64(b[c + 3]) << 24)
                op = v & 15
                if op == 0 or op == 2 or op == 3 or op == 7 or op == 8:
                    rlen += v >> 4
                c += 4
        if rlen == 0:
            rlen = 1
        if pos + rlen > beg:
            if m == keep.shape[0]:
                return m, 2, p, False
            keep[m, 0] = p
            keep[m, 1] = 4 + bs
            m += 1
        p += 4 + bs
    return m, 0, p, False


@njit(cache=True, nogil=True)
def _compact(b, keep, m):  # pragma: no cover - numba
    """Move the kept records together, towards the last one (copied downwards); returns the first byte."""
    dst = keep[m - 1, 0] + keep[m - 1, 1]
    for k in range(m - 1, -1, -1):
        src, ln = keep[k, 0], keep[k, 1]
        dst -= ln
        if dst != src:
            for i in range(ln - 1, -1, -1):
                b[dst + i] = b[src + i]
    return dst


def _parse_header(data: bytes) -> tuple[int, list[str]] | None:
    """(length, reference names) of the BAM header at the start of ``data``; None when ``data`` is too short."""
    if len(data) < 12:
        return None
    p = 8 + int.from_bytes(data[4:8], "little")
    if len(data) < p + 4:
        return None
    n_ref = int.from_bytes(data[p:p + 4], "little", signed=True)
    p += 4
    names = []
    for _ in range(n_ref):
        if len(data) < p + 4:
            return None
        ln = int.from_bytes(data[p:p + 4], "little")
        if len(data) < p + 8 + ln:
            return None
        names.append(data[p + 4:p + 4 + ln].rstrip(b"\0").decode("utf-8", "replace"))
        p += 8 + ln
    return p, names


class BamRegionReader:
    """Uncompressed BAM records of regions of one indexed BAM (see the module docstring).

    ``threads``: inflate blocks in a pool of that many threads (ISA-L releases the GIL)."""

    #: chunks closer than this many compressed bytes are read as one range (:meth:`BamIndex.chunks`)
    merge_gap = 1 << 16

    def __init__(self, path: str | Path, index: str | Path | BamIndex | None = None, *, threads: int = 1):
        if sys.byteorder != "little":  # pragma: no cover - the counting kernel reads BAM fields natively
            raise InputError("genome-wide counting needs a little-endian host (x86-64, AArch64)")
        from isal import isal_zlib

        self._decompress = isal_zlib.decompress
        self._zerr = isal_zlib.error
        self.path = str(path)
        self._fd, self._pool = -1, None
        if not isinstance(index, BamIndex):
            idx = Path(index) if index is not None else _index_path(Path(self.path))
            if idx is None:
                raise InputError(f"alignment file has no index (.bai or .csi); run 'samtools index {self.path}'",
                                 path=self.path)
            index = read_index(idx)
        self.index = index
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise InputError(f"cannot open ({exc.strerror})", path=self.path) from None
        self._size = os.fstat(self._fd).st_size
        self._cbuf = np.zeros(0, dtype=np.uint8)
        self._buf = np.zeros(0, dtype=np.uint8)
        self._keep = np.zeros((1024, 2), dtype=np.int64)
        self.threads = max(1, int(threads))
        try:
            self.header, names = self._read_header()
            if len(names) != len(self.index.refs):
                raise InputError(f"index {Path(self.index.path).name} has {len(self.index.refs)} references where "
                                 f"the header has {len(names)}: an index of another file; re-run 'samtools index "
                                 f"{self.path}'", path=self.path)
        except BaseException:
            self.close()
            raise
        self.tids = {c: i for i, c in enumerate(names)}

    # -- plumbing ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_compressed(self, off: int, n: int) -> int:
        n = max(0, min(n, self._size - off))
        if len(self._cbuf) < n:
            self._cbuf = np.empty(n + (n >> 3), dtype=np.uint8)
        if hasattr(os, "preadv"):
            return os.preadv(self._fd, [memoryview(self._cbuf)[:n]], off)
        data = os.pread(self._fd, n, off)  # pragma: no cover - systems without preadv
        self._cbuf[:len(data)] = np.frombuffer(data, dtype=np.uint8)
        return len(data)

    def _inflate_blocks(self, offs, sizes, isz, m: int, dst0: int, where: str) -> np.ndarray:
        """Inflate blocks ``0..m-1`` of ``self._cbuf`` into ``self._buf`` from ``dst0``; returns the start of
        each block's data in the buffer (m + 1 entries)."""
        pos = np.empty(m + 1, dtype=np.int64)
        pos[0] = dst0
        np.cumsum(isz[:m], out=pos[1:])
        pos[1:] += dst0
        total = int(pos[m])
        if len(self._buf) < total:
            grown = np.empty(total + (total >> 3) + MAX_BLOCK, dtype=np.uint8)
            grown[:dst0] = self._buf[:dst0]  # the ranges read before in this region
            self._buf = grown
        cmv = memoryview(self._cbuf)
        buf = self._buf
        inflate, zerr = self._decompress, self._zerr

        def run(lo: int, hi: int) -> str | None:
            for i in range(lo, hi):
                o = int(offs[i])
                try:
                    data = inflate(cmv[o:o + int(sizes[i])], 31)
                except zerr as exc:
                    return f"BGZF block at byte {o}: {exc}"
                if len(data) != isz[i]:
                    return f"BGZF block at byte {o}: {len(data)} bytes inflated, {int(isz[i])} announced"
                buf[pos[i]:pos[i + 1]] = np.frombuffer(data, dtype=np.uint8)
            return None

        if self.threads > 1 and m >= 8:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.threads)
            step = -(-m // self.threads)
            errs = list(self._pool.map(lambda k: run(k, min(m, k + step)), range(0, m, step)))
        else:
            errs = [run(0, m)]
        err = next((e for e in errs if e), None)
        if err:
            raise read_error(OSError(err), self.path, where)
        return pos

    def _blocks_at(self, coff: int, stop: int, where: str):
        """Read and check the blocks from byte ``coff`` up to the one at byte ``coff + stop``."""
        got = self._read_compressed(coff, stop + MAX_BLOCK)
        offs, sizes, isz, m, err, at = _blocks(self._cbuf, got, stop)
        if err == 1:
            raise read_error(OSError(f"no valid BGZF block header at byte {coff + at}"), self.path, where)
        if err == 2:
            raise read_error(OSError(f"BGZF block at byte {coff + at} is cut short"), self.path, where)
        return offs, sizes, isz, m

    def _read_header(self) -> tuple[np.ndarray, list[str]]:
        """The uncompressed BAM header (magic, text, references) and the reference names."""
        data, coff = b"", 0
        while True:
            if coff >= self._size:
                raise read_error(OSError("the header is cut short"), self.path, "the header")
            offs, sizes, isz, m = self._blocks_at(coff, 16 * MAX_BLOCK, "the header")
            pos = self._inflate_blocks(offs, sizes, isz, m, 0, "the header")
            data += self._buf[:pos[m]].tobytes()
            coff += int(offs[m - 1] + sizes[m - 1])
            if data[:4] != b"BAM\1" and len(data) >= 4:
                raise InputError("not a BAM file (no BAM\\1 magic)", path=self.path)
            got = _parse_header(data)
            if got is not None:
                return np.frombuffer(data[:got[0]], dtype=np.uint8).copy(), got[1]

    # -- the query --------------------------------------------------------------------------------------------
    def region(self, contig: str, start: int, end: int) -> tuple[np.ndarray, int]:
        """(buffer, length): uncompressed BAM header, then the records overlapping ``[start, end)`` (0-based)."""
        where = f"{contig}:{start}-{end}"
        tid = self.tids.get(contig)
        if tid is None:
            raise read_error(OSError(f"contig {contig!r} is not in the header"), self.path, where)
        H = len(self.header)
        n = 0  # records kept
        at_data = H  # where the next range's data go
        for v0, v1 in self.index.chunks(tid, start, end, self.merge_gap):
            n, at_data, stopped = self._range(v0, v1, n, at_data, tid, start, end, where)
            if stopped:
                break
        if n == 0:
            return self._header_only()
        b = self._buf
        first = _compact(b, self._keep, n)
        last_end = int(self._keep[n - 1, 0] + self._keep[n - 1, 1])
        b[first - H:first] = self.header
        return b[first - H:], last_end - first + H

    def _range(self, v0: int, v1: int, n: int, at_data: int, tid: int, start: int, end: int, where: str):
        """Read, check and inflate the blocks of ``[v0, v1)`` to ``at_data`` and select its records."""
        c0, u0, c1, u1 = v0 >> 16, v0 & 0xFFFF, v1 >> 16, v1 & 0xFFFF
        if c1 < c0 or c0 >= self._size:
            raise read_error(OSError(f"index chunk at virtual offset {v0} lies outside the file"), self.path, where)
        offs, sizes, isz, m = self._blocks_at(c0, c1 - c0, where)
        if not m or int(offs[m - 1]) != c1 - c0:
            raise read_error(OSError(f"the index's chunk end (byte {c1}) is not a BGZF block of the file"),
                             self.path, where)
        if u1 == 0:
            m -= 1  # the range ends where that block starts: its data are not needed
        elif u1 > isz[m - 1]:
            raise read_error(OSError(f"virtual offset {v1} lies past its block's data"), self.path, where)
        if m < 1 or u0 > isz[0]:
            raise read_error(OSError(f"virtual offset {v0} lies past its block's data"), self.path, where)
        pos = self._inflate_blocks(offs, sizes, isz, m, at_data, where)
        data_end = int(pos[m])
        pend = data_end if u1 == 0 else int(pos[m - 1]) + u1
        while True:
            k, err, at, stopped = _select(self._buf, at_data + u0, pend, data_end, tid, start, end, self._keep, n)
            if err != 2:
                break
            grown = np.zeros((2 * len(self._keep), 2), dtype=np.int64)
            grown[:n] = self._keep[:n]
            self._keep = grown
        if err:
            blk = int(np.searchsorted(pos, at, side="right")) - 1
            voff = ((c0 + int(offs[blk])) << 16) | (at - int(pos[blk]))
            raise read_error(OSError(f"no valid BAM record at virtual offset {voff} (a damaged file or an index of "
                                     "another file)"), self.path, where)
        return k, data_end, stopped

    def _header_only(self) -> tuple[np.ndarray, int]:
        H = len(self.header)
        if len(self._buf) < H:
            self._buf = np.empty(H + MAX_BLOCK, dtype=np.uint8)
        self._buf[:H] = self.header
        return self._buf, H


def open_region_reader(path: str | Path, reference=None, *, threads: int = 1) -> BamRegionReader | None:
    """A :class:`BamRegionReader` for a ``.bam`` with a ``.bai``/``.csi`` index; None for anything else (a CRAM,
    no index), for which the caller keeps htslib's decoder. ``reference`` is not needed for BAM (kept for the
    same call as the CRAM decoder)."""
    p = Path(path)
    if not p.name.lower().endswith(".bam") or _index_path(p) is None:
        return None
    return BamRegionReader(p, threads=threads)
