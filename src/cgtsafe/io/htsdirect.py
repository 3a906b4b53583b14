"""Region decoding of a BAM/CRAM with pysam's bundled htslib called directly (ctypes + numba), no re-encoding.

pysam's in-process ``samtools view -u`` decodes the records and then writes them again as level-0 BGZF
(a copy, a CRC32 per 64-kB block and a write) that the reader copies back: more than half of the decoding
cost of a CRAM. Here the shared object ``pysam/libchtslib*.so`` (the htslib pysam itself runs) is opened
with :mod:`ctypes` and the C functions of htslib's public API are called in the same order as
``samtools view`` does: ``hts_open``, ``hts_set_fai_filename`` (CRAM reference), ``hts_opt_add`` /
``hts_opt_apply`` (the ``--input-fmt-option`` strings, :data:`cgtsafe.io.alignment.COUNTING_FIELDS` for a
CRAM), ``sam_hdr_read``, ``sam_index_load``, then per region ``sam_itr_queryi`` and ``hts_itr_next``
(what htslib's inline ``sam_itr_next`` calls: the BGZF handle of a BAM, none for a CRAM).

:func:`decode_records` (numba, cached) calls ``hts_itr_next`` record by record through its address (an
``intrinsic`` that casts the integer to a function pointer, so that the compiled kernel is cached: no ctypes
object is a global of it) and copies each decoded ``bam1_t`` into one growing buffer in the on-disk BAM record
layout (SAMv1 section 4.2) after a minimal header (``BAM\\1``, no text, no references), which
:func:`cgtsafe.sitecheck.genomewide_kernel.count_records` parses. Read names and aux fields are left out
(the counter uses neither: the name is written empty); a CIGAR of more than 65,535 operations is written as
htslib writes it in a BAM (placeholder ``kSmN`` and the operations in a ``CG:B:I`` tag).

The ``bam1_t`` fields are read at their offsets (:data:`LAYOUT`: ``bam1_core_t`` then ``id``, ``data``,
``l_data``), a layout unchanged since htslib 1.10. The layout is trusted only when (a) ``hts_version()`` is
within :data:`VERSIONS` and (b) the records of a first small window decoded this way equal those of
``samtools view -u`` field by field (:meth:`DirectReader.self_check`, done by the caller). Otherwise the
caller uses ``samtools view -u`` (see :class:`cgtsafe.sitecheck.genomewide_count.RegionDecoder`).
htslib's own messages are silenced during a direct decode; on any htslib error the caller decodes the
region again with ``samtools view`` to report the same one-line error as before.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

#: htslib versions whose ``bam1_t`` layout is :data:`LAYOUT` (unchanged 1.10 .. 1.24; >= 1.25 untested but
#: still guarded by the self-check)
VERSIONS = ((1, 10), (1, 99))

#: byte offsets in ``bam1_t`` (htslib >= 1.10, sam.h): core.pos (int64), core.tid (int32), core.bin (uint16),
#: core.qual (uint8), core.l_extranul (uint8), core.flag (uint16), core.l_qname (uint16), core.n_cigar (uint32),
#: core.l_qseq (int32), core.mtid (int32), core.mpos (int64), core.isize (int64), data (uint8 *), l_data (int)
LAYOUT = np.array([0, 8, 12, 14, 15, 16, 18, 20, 24, 28, 32, 40, 56, 64], dtype=np.int64)
BAM1_SIZE = 72  # bytes of bam1_t read per record (up to and including l_data / m_data)
HEADER = np.frombuffer(b"BAM\x01" + bytes(8), dtype=np.uint8)  # magic, l_text = 0, n_ref = 0

_LIB = None


def _find_library() -> str | None:
    try:
        import pysam.libchtslib as m
    except ImportError:  # pragma: no cover - pysam is a dependency
        return None
    return getattr(m, "__file__", None)


def library():
    """The ctypes handle of pysam's htslib with the signatures used here; None where it cannot be loaded."""
    global _LIB
    if _LIB is not None:
        return _LIB or None
    path = _find_library()
    try:
        lib = ctypes.CDLL(path) if path else None
    except OSError:
        lib = None
    if lib is None:
        _LIB = False
        return None
    vp, cp, i, i64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int64
    sigs = {
        "hts_version": (cp, []), "hts_open": (vp, [cp, cp]), "hts_close": (i, [vp]),
        "hts_set_fai_filename": (i, [vp, cp]), "hts_opt_add": (i, [ctypes.POINTER(vp), cp]),
        "hts_opt_apply": (i, [vp, vp]), "hts_opt_free": (None, [vp]), "hts_get_bgzfp": (vp, [vp]),
        "sam_hdr_read": (vp, [vp]), "sam_hdr_destroy": (None, [vp]), "sam_hdr_nref": (i, [vp]),
        "sam_hdr_tid2name": (cp, [vp, i]), "sam_index_load": (vp, [vp, cp]), "hts_idx_destroy": (None, [vp]),
        "sam_itr_queryi": (vp, [vp, i, i64, i64]), "hts_itr_destroy": (None, [vp]),
        "hts_itr_next": (i, [vp, vp, vp, vp]), "bam_init1": (vp, []), "bam_destroy1": (None, [vp]),
        "hts_get_log_level": (i, []), "hts_set_log_level": (None, [i]),
    }
    try:
        for name, (res, args) in sigs.items():
            f = getattr(lib, name)
            f.restype, f.argtypes = res, args
    except AttributeError:
        _LIB = False
        return None
    _LIB = lib
    return lib


def version() -> tuple[int, int] | None:
    lib = library()
    if lib is None:
        return None
    try:
        major, minor = (lib.hts_version() or b"").decode().split("-")[0].split(".")[:2]
        return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)
    except ValueError:
        return None


def usable() -> str:
    """'' when direct decoding may be tried, else why not (for the log line of the fallback)."""
    if sys.byteorder != "little":  # pragma: no cover
        return "big-endian host"
    if library() is None:
        return "pysam's htslib (libchtslib) could not be loaded with ctypes"
    v = version()
    if v is None or not VERSIONS[0] <= v <= VERSIONS[1]:
        return f"htslib {v} is outside the tested range {VERSIONS[0]}..{VERSIONS[1]}"
    return ""


class DirectReader:
    """An open BAM/CRAM (header and index loaded) whose regions are decoded by :func:`decode_records`.

    Raises OSError when htslib cannot open it (the caller then uses ``samtools view``, which reports the
    error as before)."""

    def __init__(self, path: str | Path, reference: str | Path | None, options: tuple[str, ...] = (),
                 layout: np.ndarray = LAYOUT):
        lib = library()
        if lib is None:
            raise OSError("libchtslib not loaded")
        self._lib = lib
        self.path = str(path)
        self.layout = np.ascontiguousarray(layout, dtype=np.int64)
        self._fp = self._hdr = self._idx = self._rec = None
        level = lib.hts_get_log_level()
        lib.hts_set_log_level(0)  # the inputs were checked (cgtsafe.io.alignment); failures go to samtools view
        try:
            self._fp = lib.hts_open(self.path.encode(), b"r")
            if not self._fp:
                raise OSError("hts_open failed")
            if reference is not None and lib.hts_set_fai_filename(self._fp, str(reference).encode()) != 0:
                raise OSError("hts_set_fai_filename failed")
            if options:
                opts = ctypes.c_void_p()
                try:
                    for o in options:
                        if lib.hts_opt_add(ctypes.byref(opts), o.encode()) != 0:
                            raise OSError(f"hts_opt_add {o} failed")
                    if lib.hts_opt_apply(self._fp, opts) != 0:
                        raise OSError("hts_opt_apply failed")
                finally:
                    lib.hts_opt_free(opts)
            self._hdr = lib.sam_hdr_read(self._fp)
            if not self._hdr:
                raise OSError("sam_hdr_read failed")
            self.tids = {lib.sam_hdr_tid2name(self._hdr, t).decode(): t for t in range(lib.sam_hdr_nref(self._hdr))}
            self._idx = lib.sam_index_load(self._fp, self.path.encode())
            if not self._idx:
                raise OSError("sam_index_load failed")
            self._rec = lib.bam_init1()
            if not self._rec:
                raise OSError("bam_init1 failed")
            self._bgzf = lib.hts_get_bgzfp(self._fp) or 0
        except BaseException:
            self.close()
            raise
        finally:
            lib.hts_set_log_level(level)
        self._next = ctypes.cast(lib.hts_itr_next, ctypes.c_void_p).value
        self._core = np.zeros(BAM1_SIZE, dtype=np.uint8)

    def close(self) -> None:
        lib = self._lib
        if self._rec:
            lib.bam_destroy1(self._rec)
        if self._idx:
            lib.hts_idx_destroy(self._idx)
        if self._hdr:
            lib.sam_hdr_destroy(self._hdr)
        if self._fp:
            lib.hts_close(self._fp)
        self._fp = self._hdr = self._idx = self._rec = None

    def region(self, tid: int, start: int, end: int, buf: np.ndarray) -> tuple[np.ndarray, int, int]:
        """(buffer, length, status) of the records overlapping ``[start, end)`` (0-based) of reference ``tid``:
        the header of :data:`HEADER` then the records; status -1 = complete, < -1 = an htslib error
        (-3: a position beyond BAM's 32-bit fields)."""
        lib = self._lib
        itr = lib.sam_itr_queryi(self._idx, tid, start, end)
        if not itr:
            return buf, 0, -2
        level = lib.hts_get_log_level()
        lib.hts_set_log_level(0)  # HTS_LOG_OFF: errors are reported by the samtools path (see the module doc)
        try:
            buf, n, status = decode_records(self._next, self._bgzf or 0, itr, self._rec, self._fp, buf,
                                            self._core, self.layout)
        finally:
            lib.hts_set_log_level(level)
            lib.hts_itr_destroy(itr)
        return buf, n, status


    def stream(self, tid: int, start: int, end: int) -> "Stream | None":
        """An iterator over the records overlapping ``[start, end)`` for
        :func:`cgtsafe.sitecheck.genomewide_kernel.count_records` (None when htslib cannot make it)."""
        itr = self._lib.sam_itr_queryi(self._idx, tid, start, end)
        return Stream(self, itr) if itr else None


class Stream:
    """An htslib region iterator of a :class:`DirectReader` as the ``src`` / ``lay`` arguments of
    :func:`cgtsafe.sitecheck.genomewide_kernel.count_records`; a context manager that silences htslib's log
    while it is used and destroys the iterator at its end."""

    def __init__(self, reader: DirectReader, itr: int):
        self._lib, self._itr = reader._lib, itr
        self.src = np.array([reader._next, reader._bgzf or 0, itr, reader._rec, reader._fp], dtype=np.int64)
        self.lay = reader.layout
        self._level = None

    def __enter__(self):
        self._level = self._lib.hts_get_log_level()
        self._lib.hts_set_log_level(0)
        return self

    def __exit__(self, *exc):
        self._lib.hts_set_log_level(self._level)
        self._lib.hts_itr_destroy(self._itr)
        self._itr = None


# ------------------------------------------------------------------------------------------------------------
# numba: call htslib through a function address, read and copy raw memory


@intrinsic
def _call4(typingctx, fn, a, b, c, d):
    """``((int (*)(void *, void *, void *, void *)) fn)(a, b, c, d)``; every argument an int64 address."""
    sig = types.int32(types.int64, types.int64, types.int64, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        vp = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.IntType(32), [vp, vp, vp, vp])
        f = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(f, [builder.inttoptr(x, vp) for x in args[1:]])

    return sig, codegen


@intrinsic
def _copy_in(typingctx, dst, off, src, n):
    """``memcpy(&dst[off], (void *) src, n)`` (dst a uint8 array; no bounds check)."""
    sig = types.void(dst, types.int64, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        d = builder.gep(ary.data, [args[1]])
        s = builder.inttoptr(args[2], ir.IntType(8).as_pointer())
        cgutils.raw_memcpy(builder, d, s, args[3], 1)
        return context.get_dummy_value()

    return sig, codegen


def _unaligned_load(bits: int, result):
    """An intrinsic ``load(arr, idx)``: the ``bits // 8`` bytes at ``arr[idx]`` (a uint8 array) as one
    little-endian integer of type ``result``, one unaligned load (no bounds check)."""

    @intrinsic
    def load(typingctx, arr, idx):
        sig = result(arr, idx)

        def codegen(context, builder, signature, args):
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            ptr = builder.gep(ary.data, [args[1]])
            return builder.load(builder.bitcast(ptr, ir.IntType(bits).as_pointer()), align=1)

        return sig, codegen

    return load


_ld32 = _unaligned_load(32, types.uint32)
_ld64 = _unaligned_load(64, types.int64)


@intrinsic
def _st32(typingctx, arr, idx, v):
    """Store the low 32 bits of ``v`` at ``arr[idx]`` (little-endian, unaligned)."""
    sig = types.void(arr, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        builder.store(builder.trunc(args[2], ir.IntType(32)), builder.bitcast(ptr, ir.IntType(32).as_pointer()),
                      align=1)
        return context.get_dummy_value()

    return sig, codegen


def _addr_load(bits: int, result):
    """An intrinsic ``load(addr)``: the ``bits // 8`` bytes at the integer address ``addr`` (unaligned)."""

    @intrinsic
    def load(typingctx, addr):
        sig = result(types.int64)

        def codegen(context, builder, signature, args):
            ptr = builder.inttoptr(args[0], ir.IntType(bits).as_pointer())
            return builder.load(ptr, align=1)

        return sig, codegen

    return load


_peek_u8 = _addr_load(8, types.uint8)
_peek_u16 = _addr_load(16, types.uint16)
_peek_u32 = _addr_load(32, types.uint32)
_peek_i32 = _addr_load(32, types.int32)
_peek_i64 = _addr_load(64, types.int64)


@intrinsic
def _as_ptr(typingctx, addr):
    """The integer address ``addr`` as a ``uint8 *`` (for ``numba.carray``: a view, no copy)."""
    sig = types.CPointer(types.uint8)(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], ir.IntType(8).as_pointer())

    return sig, codegen


@njit(inline="always")
def _u16(b, p):  # pragma: no cover - numba
    return np.int64(b[p]) | (np.int64(b[p + 1]) << 8)


@njit(inline="always")
def put_record(buf, n, core, lay, rec):  # pragma: no cover - numba
    """Append the ``bam1_t`` at address ``rec`` to ``buf`` at ``n`` in the BAM record layout (``core``: scratch
    for ``bam1_t``'s first bytes; ``lay``: :data:`LAYOUT`). Returns ``(buf, new n, status)``: ``buf`` a new,
    larger array when the record did not fit; status 0, -3 for a position beyond BAM's int32 fields, -4 for
    fields that do not add up (a layout that is not the expected one)."""
    _copy_in(core, 0, rec, core.shape[0])
    pos = _ld64(core, lay[0])
    mpos = _ld64(core, lay[10])
    isize = _ld64(core, lay[11])
    if pos > 2147483647 or mpos > 2147483647 or isize > 2147483647 or isize < -2147483648:
        return buf, n, np.int64(-3)
    tid = np.int64(_ld32(core, lay[1]))
    l_qname = _u16(core, lay[6])
    n_cigar = np.int64(_ld32(core, lay[7]))
    l_qseq = np.int64(_ld32(core, lay[8]))
    if l_qseq >= 2147483648:
        l_qseq -= 4294967296
    mtid = np.int64(_ld32(core, lay[9]))
    data = _ld64(core, lay[12])
    l_data = np.int64(_ld32(core, lay[13]))
    ls = l_qseq if l_qseq > 0 else 0
    body = 4 * n_cigar + (ls + 1) // 2 + ls  # CIGAR, 4-bit bases, qualities
    if l_qname + body > l_data or l_qname < 1:
        return buf, n, np.int64(-4)
    long_cigar = n_cigar > 65535
    size = 37 + body + (8 + 8 if long_cigar else 0)  # block_size .. name (one NUL), body, CG tag
    if n + size > buf.shape[0]:
        b2 = np.empty(max(2 * buf.shape[0], n + size + (1 << 16)), dtype=np.uint8)
        b2[:n] = buf[:n]
        buf = b2
    _st32(buf, n, size - 4)
    _st32(buf, n + 4, tid)
    _st32(buf, n + 8, pos)
    buf[n + 12] = 1  # l_read_name: the name is left out (one NUL)
    buf[n + 13] = core[lay[3]]  # MAPQ
    buf[n + 14] = core[lay[2]]  # bin
    buf[n + 15] = core[lay[2] + 1]
    nc = 2 if long_cigar else n_cigar
    buf[n + 16] = nc & 255
    buf[n + 17] = (nc >> 8) & 255
    buf[n + 18] = core[lay[5]]  # flag
    buf[n + 19] = core[lay[5] + 1]
    _st32(buf, n + 20, l_qseq)
    _st32(buf, n + 24, mtid)
    _st32(buf, n + 28, mpos)
    _st32(buf, n + 32, isize)
    buf[n + 36] = 0
    p = n + 37
    if long_cigar:  # as htslib writes it in a BAM: kS (k = query length), mN (m = reference length), CG:B:I
        t = p + 8 + (body - 4 * n_cigar)  # the tag after the placeholder, bases and qualities
        _copy_in(buf, p + 8, data + l_qname + 4 * n_cigar, body - 4 * n_cigar)
        buf[t] = 67  # C
        buf[t + 1] = 71  # G
        buf[t + 2] = 66  # B
        buf[t + 3] = 73  # I
        _st32(buf, t + 4, n_cigar)
        _copy_in(buf, t + 8, data + l_qname, 4 * n_cigar)
        ref_len = np.int64(0)
        for k in range(n_cigar):
            op = np.int64(_ld32(buf, t + 8 + 4 * k))
            c = op & 15
            if c == 0 or c == 2 or c == 3 or c == 7 or c == 8:
                ref_len += op >> 4
        _st32(buf, p, (ls << 4) | 4)
        _st32(buf, p + 4, (ref_len << 4) | 3)
        p = t + 8 + 4 * n_cigar
    else:
        _copy_in(buf, p, data + l_qname, body)
        p += body
    return buf, p, np.int64(0)


@njit(cache=True, nogil=True)
def decode_records(fn_next, bgzf, itr, rec, fp, buf, core, lay):  # pragma: no cover - numba
    """Call ``hts_itr_next(bgzf, itr, rec, fp)`` (``fn_next`` its address; all handles as integer addresses)
    until it returns < 0 and append each record to ``buf`` in the BAM record layout (after the 12-byte
    header) with :func:`put_record`. Returns ``(buf, nbytes, status)``: ``buf`` is a new, larger array when
    the records did not fit; status -1 at the end of the region, < -1 on an error (see :func:`put_record`)."""
    n = 12
    if buf.shape[0] < 1 << 16:
        buf = np.empty(1 << 16, dtype=np.uint8)
    buf[0] = 66
    buf[1] = 65
    buf[2] = 77
    buf[3] = 1
    for k in range(4, 12):
        buf[k] = 0
    while True:
        r = _call4(fn_next, bgzf, itr, rec, fp)
        if r < 0:
            return buf, n, np.int64(r) if r < -1 else np.int64(-1)
        buf, n, st = put_record(buf, n, core, lay, rec)
        if st < 0:
            return buf, n, st


def warm() -> None:
    """Compile or load :func:`decode_records` (a call that returns at once: the function returns end of data)."""
    cb = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)(
        lambda *a: -1)
    decode_records(ctypes.cast(cb, ctypes.c_void_p).value, 0, 0, 0, 0, np.zeros(0, np.uint8),
                   np.zeros(BAM1_SIZE, np.uint8), LAYOUT)


def records(buf: np.ndarray, nbytes: int) -> list[tuple]:
    """The counted fields of every record of an uncompressed BAM stream ``buf[:nbytes]`` (header first):
    (tid, pos, MAPQ, flag, l_seq, mate tid, mate pos, tlen, CIGAR bytes, bases, qualities), the CIGAR taken
    from a ``CG`` tag when the record holds the long-CIGAR placeholder. For :meth:`DirectReader` self-checks."""
    import struct

    b = bytes(buf[:nbytes])
    if b[:4] != b"BAM\x01":
        raise ValueError("not an uncompressed BAM stream")
    p = 8 + struct.unpack_from("<I", b, 4)[0]
    (n_ref,) = struct.unpack_from("<I", b, p)
    p += 4
    for _ in range(n_ref):
        p += 8 + struct.unpack_from("<I", b, p)[0]
    out = []
    while p < nbytes:
        (bs, tid, pos, l_name, mapq, _bin, n_cig, flag, l_seq, mtid, mpos, tlen) = struct.unpack_from(
            "<IiiBBHHHiiii", b, p)
        e = p + 4 + bs
        c = p + 36 + l_name
        s = c + 4 * n_cig
        q = s + (l_seq + 1) // 2
        cig = b[c:s]
        aux = q + l_seq
        if n_cig == 2:
            ops = struct.unpack_from("<II", cig)
            if ops[0] & 15 == 4 and ops[0] >> 4 == l_seq and ops[1] & 15 == 3:
                k = b.find(b"CGBI", aux, e)
                if k >= 0:
                    (cnt,) = struct.unpack_from("<I", b, k + 4)
                    cig = b[k + 8:k + 8 + 4 * cnt]
        out.append((tid, pos, mapq, flag, l_seq, mtid, mpos, tlen, cig, b[s:q], b[q:aux]))
        p = e
    if p != nbytes:
        raise ValueError("truncated record")
    return out
