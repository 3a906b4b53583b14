"""Genome-wide scan, part 1: parameters, regions and per-region counting of one sample.

See :mod:`cgtsafe.sitecheck.genomewide` for the method as a whole. Counting (per position, same filters
for both samples): unmapped, secondary (0x100), QC-fail (0x200), duplicate (0x400) and supplementary
(0x800) records and reads with MAPQ < ``min_mapq`` are skipped; A/C/G/T counts come from aligned
(M/=/X) bases with quality >= ``min_baseq``; indels from the CIGAR (I/D), left-normalised against the
reference (VCF-style); depth = fragments whose aligned span covers the position (deletions included).

**A fragment counts once.** When the two mates of a pair overlap (insert shorter than two reads), the
mate that starts later (for equal starts: the one later in the file) contributes no base, indel or depth
in the part the first mate already covers; the fragment's span is the union of both mates. This is the
rule of :mod:`cgtsafe.sitecheck.quantify` (one count per fragment) at base resolution. Mates are paired by
their positions (a record whose mate starts where it starts, or earlier, is matched with a waiting first
mate of the other read number (0x40/0x80) that starts at the mate's position and points back at this
record's start), not by name; among pairs with identical start and mate start the file order decides,
which changes neither counts nor depths unless their CIGARs differ.

Speed (``benchmarks/bench_genomewide.py``): no per-read Python object and no re-encoding. For each region
htslib's iterator (pysam's bundled htslib called directly, :mod:`cgtsafe.io.htsdirect`; CRAM with only the
fields counted) hands :func:`cgtsafe.sitecheck.genomewide_kernel.count_records` (numba) one decoded record
at a time, which it reads in place: flag, MAPQ, position, CIGAR, 4-bit bases, qualities, mate position.
Bases equal to the reference base are counted with a difference array per aligned block and the others
one by one; 16, 8 or 4 bases at a time are passed over when their 4-bit codes equal the packed reference
and none of their qualities is below ``min_baseq``. Until the direct path's self-check has passed (a
region whose first kilobase holds no record), and for every region when the direct path is not used
(:class:`RegionDecoder`), the records go through a buffer of uncompressed BAM records parsed by the same
kernel.
Measured with ``benchmarks/bench_genomewide.py --threads 1 --input cram bam --baseline-src`` (10 Mb, 30x pair,
one core, whole child processes; two runs on a shared 2-core machine with a load average of about 5, so
+-20 %): CRAM: 2.2-2.3 CPU-s (4.3-4.5 Mb per CPU-second) against 3.9-5.0 CPU-s for the ``samtools view -u``
route it replaces (same runs; tables byte-identical); 0.9-1.1 CPU-s of it is the fixed start-up
(interpreter, pandas/scipy/numba imports, input checks, kernel loading: the same command on 1 kb), so 7-9
Mb per CPU-second at the margin. htslib's decoding alone (both files, region by region, records copied out)
costs 0.92 CPU-s (10.8 Mb per CPU-second): CRAM decoding is about two thirds of the marginal cost, counting
and the per-region work the rest. BAM input goes through :class:`cgtsafe.io.bgzf_region.BamRegionReader` instead (its own index walk,
ISA-L inflation: htslib inflates BGZF with zlib, about three times the CPU; :func:`open_decoder`): 2.4 CPU-s
(4.1 Mb per CPU-second, 6.7 at the margin) against 4.4 CPU-s for the code before both changes, tables
byte-identical. On a 50 Mb 30x pair (``--genome-mb 50``, load about 2), where the start-up weighs less as in
a region job of a human genome: CRAM 7.5 CPU-s (6.7 Mb per CPU-second whole process, 7.6 at the margin),
BAM 7.8 CPU-s (6.4, 7.3), against 13.3 and 15.7 CPU-s before. Other routes: pysam's per-read ``AlignedSegment``
objects alone cost 1.6 CPU-s (6.4 Mb per CPU-second, no counting); ``samtools view -u`` writes the decoded records again as BGZF (a copy and a CRC32
per block) that the reader reads back, half of its decoding cost; pysam's ``count_coverage`` counts
A/C/G/T only (no indels, no fragments) and ``bcftools mpileup`` emits every site as text.

Memory of a region job (or of each ``--threads`` worker) is bounded by one region (``chunk_size`` +
2 x :data:`CHUNK_OVERLAP`, whatever the genome size), for both samples: counts of 20 bytes per position
(int32 A/C/G/T and depth; 8 more bytes per position, reused, while counting), the fragment spans and the
indel observations, and htslib's decoding state (one CRAM container or BGZF block); records are not held,
except in the buffer path (before the self-check, or the fallback): the region's uncompressed records,
about 28 MB for 501 kb at 30x of 150-bp reads, without read names and tags.

Coordinates: 0-based, end exclusive.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.io.alignment import COUNTING_FIELDS, read_error
from cgtsafe.io.reference import ReferenceGenome

CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    CODE[_b] = _i
    CODE[_b + 32] = _i
BASES = "ACGT"
SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800
#: chunks are counted this many bp beyond their ends so that an indel locus on a border is seen whole
#: (it belongs to the chunk holding its first base)
CHUNK_OVERLAP = 500


@dataclass
class Params:
    min_mapq: int = 20
    min_baseq: int = 20
    min_depth: int = 10
    min_control_depth: int = 10
    min_alt_reads: int = 3
    min_indel_reads: int = 2
    min_vaf: float = 0.05
    max_control_alt: int = 1
    cluster_distance: int = 5
    alpha: float = 0.05
    chunk_size: int = 500_000
    guide_window: int = 30
    guide_max_mismatches: int = 6
    guide_max_bulges: int = 2

    def check(self) -> None:
        for k in ("min_mapq", "min_baseq", "min_depth", "min_control_depth", "min_alt_reads", "min_indel_reads",
                  "max_control_alt", "cluster_distance", "guide_window", "guide_max_mismatches", "guide_max_bulges"):
            v = getattr(self, k)
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise InputError(f"{k} must be a non-negative integer, got {v!r}")
        if self.min_alt_reads < 1 or self.min_indel_reads < 1:
            raise InputError("min_alt_reads and min_indel_reads must be >= 1")
        if not 0 <= self.min_vaf <= 1:
            raise InputError(f"min_vaf must be within 0..1, got {self.min_vaf!r}")
        if not 0 < self.alpha < 1:
            raise InputError(f"alpha must be within (0, 1), got {self.alpha!r}")
        if self.chunk_size < 1000:
            raise InputError(f"chunk_size must be >= 1000, got {self.chunk_size!r}")



def read_regions(path: str | Path | None, lengths: dict[str, int]) -> list[tuple[str, int, int]]:
    """BED regions (0-based, end exclusive), merged per contig; whole contigs when ``path`` is None."""
    if path is None:
        return [(c, 0, n) for c, n in lengths.items()]
    path = Path(path)
    if not path.exists():
        raise InputError("regions BED not found", path=path)
    by: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t")
        if len(f) < 3:
            raise InputError("BED line needs chrom<TAB>start<TAB>end", path=path, line=lineno)
        try:
            s, e = int(f[1]), int(f[2])
        except ValueError:
            raise InputError("BED start/end must be integers", path=path, line=lineno) from None
        if f[0] not in lengths:
            raise InputError(f"contig {f[0]!r} is not in the reference", path=path, line=lineno)
        if s < 0 or e <= s or e > lengths[f[0]]:
            raise InputError(f"BED interval {s}-{e} is empty or outside {f[0]} (length {lengths[f[0]]})",
                             path=path, line=lineno)
        by[f[0]].append((s, e))
    out = []
    for c in lengths:
        iv = sorted(by.get(c, []))
        merged: list[list[int]] = []
        for s, e in iv:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        out += [(c, s, e) for s, e in merged]
    if not out:
        raise InputError("regions BED has no intervals", path=path)
    return out



@dataclass
class RegionCounts:
    start: int
    end: int
    bases: np.ndarray  # (L, 4) int32 allele counts (quality-filtered)
    depth: np.ndarray  # (L,) int32 reads covering (deletions included)
    indels: dict = field(default_factory=dict)  # key -> reads
    indel_obs: list = field(default_factory=list)  # (read_idx, span_start, span_end, key)
    read_start: np.ndarray = None  # aligned spans of counted reads
    read_end: np.ndarray = None
    n_reads: int = 0
    records_in_core: int = 0  # mapped records (any flag but 0x4) starting in the core (index check)


def normalize_indel(ref: bytes, off: int, kind: str, p: int, x) -> tuple:
    """Left-normalise an indel. ``ref`` covers the genome from ``off``; ``p`` 0-based (first deleted
    base / base before which the insertion sits); ``x`` = length (D) or inserted bases (I)."""
    if kind == "D":
        d = x
        while p - 1 - off >= 0 and p + d - 1 - off < len(ref) and ref[p - 1 - off] == ref[p + d - 1 - off]:
            p -= 1
        return ("D", p, d)
    ins = x
    while p - 1 - off >= 0 and ref[p - 1 - off] == ord(ins[-1]):
        ins = ins[-1] + ins[:-1]
        p -= 1
    return ("I", p, ins)


class RegionDecoder:
    """Decodes regions of one BAM/CRAM with htslib, without per-read Python objects.

    Direct path (:mod:`cgtsafe.io.htsdirect`): pysam's htslib called through ctypes, the same index query as
    ``AlignmentFile.fetch`` (CRAM with :data:`cgtsafe.io.alignment.COUNTING_FIELDS`). :meth:`stream` gives
    :func:`count_region` htslib's region iterator, whose records the kernel counts as they are decoded;
    :meth:`region` copies them into one reused buffer in the BAM record layout (no read names, no tags but a
    long CIGAR's ``CG``), without writing them again as BGZF. Used when the htslib version is in the tested
    range and the records of a first small window with records equal those of the ``samtools view`` path
    field by field (until then :meth:`region`); an htslib error is reported by decoding the region again
    with ``samtools view`` (the same one-line error as before).

    ``samtools view`` path (the fallback, with a log line saying why; ``direct=False`` forces it):
    ``samtools view -u --keep-tag CG`` (pysam's in-process samtools) writes the records overlapping a region
    as level-0 BGZF into an anonymous in-memory file (``memfd``; a temporary file where the OS has none),
    which is read into the buffer and whose block data are moved together in place
    (:func:`cgtsafe.sitecheck.genomewide_kernel.bgzf_blocks`).
    In the buffer paths one region's bytes are held at a time (about 28 MB for 501 kb at 30x, without read
    names and tags)."""

    def __init__(self, path: str | Path, reference: ReferenceGenome | str | Path | None = None, *,
                 direct: bool = True, layout=None):
        if sys.byteorder != "little":  # pragma: no cover - the kernel reads BAM's little-endian fields natively
            raise InputError("genome-wide counting needs a little-endian host (x86-64, AArch64)")
        self.path = str(path)
        ref_path = reference.path if isinstance(reference, ReferenceGenome) else reference
        cram = self.path.lower().endswith(".cram")
        opts: list[str] = ["--keep-tag", "CG"]  # no tags but a long read's CIGAR: less to write and read
        if cram:
            for o in COUNTING_FIELDS:
                opts += ["--input-fmt-option", o]
            opts += ["--reference", str(ref_path)]
        self._opts = opts
        self._mode = "-u"  # level-0 BGZF (another mode, e.g. "-b", goes through the inflating fallback)
        self._fd, self._tmp, self._out = -1, None, None
        self._buf = np.zeros(0, dtype=np.uint8)
        self._direct = None
        self._checked = False
        if direct:
            from cgtsafe.io import htsdirect

            why = htsdirect.usable()
            if not why:
                try:
                    self._direct = htsdirect.DirectReader(
                        self.path, ref_path if cram else None, COUNTING_FIELDS if cram else (),
                        htsdirect.LAYOUT if layout is None else layout)
                except OSError as exc:
                    why = f"htslib did not open it directly ({exc})"
            if why:
                _log_fallback(self.path, why)
        if self._direct is not None:
            self.tids = dict(self._direct.tids)
        else:
            import pysam

            with pysam.AlignmentFile(self.path, reference_filename=str(ref_path) if cram else None) as af:
                self.tids = {c: i for i, c in enumerate(af.references)}

    @property
    def direct(self) -> bool:
        """True while regions are decoded by the direct path."""
        return self._direct is not None

    def close(self) -> None:
        if self._direct is not None:
            self._direct.close()
            self._direct = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._tmp:
            Path(self._tmp).unlink(missing_ok=True)
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _drop_direct(self, why: str) -> None:
        _log_fallback(self.path, why)
        self._direct.close()
        self._direct = None

    def region(self, contig: str, start: int, end: int) -> tuple[np.ndarray, int]:
        """(buffer, length): uncompressed BAM (header, then the records overlapping ``[start, end)``, 0-based)."""
        d = self._direct
        tid = self.tids.get(contig)
        if d is not None and tid is not None:
            self._buf, n, status = d.region(tid, start, end, self._buf)
            if status == -1:
                if self._checked or n <= 12:
                    return self._buf, n
                p0 = max(start, int(np.frombuffer(self._buf[20:24].tobytes(), dtype="<i4")[0]))  # first record
                if self._self_check(contig, p0, min(end, p0 + 200)):
                    return self._buf, n
            else:  # an htslib error: the samtools path reports it as before (or, if it decodes, is used)
                self._buf, n = self._samtools_region(contig, start, end, self._buf)
                self._drop_direct(f"htslib's iterator failed (status {status}) in {contig}:{start}-{end} where "
                                  "samtools view did not")
                return self._buf, n
        self._buf, n = self._samtools_region(contig, start, end, self._buf)
        return self._buf, n

    def stream(self, contig: str, start: int, end: int):
        """The direct path's htslib iterator over ``[start, end)`` (:class:`cgtsafe.io.htsdirect.Stream`) for
        :func:`count_region` to count records as they are decoded, once the self-check has passed; None
        otherwise (then :meth:`region`)."""
        if self._direct is None or contig not in self.tids:
            return None
        if not self._checked and not self._self_check(contig, start, min(end, start + 1000)):
            return None  # no record there to check with (the buffer path checks at its first record) or failed
        return self._direct.stream(self.tids[contig], start, end)

    def _self_check(self, contig: str, w0: int, w1: int) -> bool | None:
        """Whether the records of ``[w0, w1)`` decoded both ways agree (if not: the samtools path from now on,
        with a log line); None when the window holds no record."""
        from cgtsafe.io.htsdirect import records

        w = (w0, w1)
        got, gn, status = self._direct.region(self.tids[contig], w0, w1, np.zeros(0, dtype=np.uint8))
        if status == -1 and gn <= 12:
            return None
        want, wn = self._samtools_region(contig, w0, w1, np.zeros(0, dtype=np.uint8))
        try:
            ok = status == -1 and records(got, gn) == records(want, wn)
        except (ValueError, IndexError) as exc:  # struct.error is a ValueError
            ok, status = False, str(exc)
        if ok:
            self._checked = True
            return True
        self._drop_direct(f"the records of {contig}:{w[0]}-{w[1]} decoded directly differ from samtools view's "
                          f"(status {status}): htslib's record layout is not the one expected")
        return False

    def _samtools_region(self, contig: str, start: int, end: int, buf: np.ndarray) -> tuple[np.ndarray, int]:
        import pysam

        from cgtsafe.sitecheck.genomewide_kernel import bgzf_blocks

        if self._fd < 0:
            if hasattr(os, "memfd_create"):
                self._fd = os.memfd_create("cgtsafe-genomewide")
                self._out = f"/proc/self/fd/{self._fd}"
            else:  # pragma: no cover - systems without memfd
                self._fd, self._out = tempfile.mkstemp(prefix="cgtsafe-genomewide-", suffix=".bam")
                self._tmp = self._out
        name = f"{{{contig}}}" if ":" in contig else contig
        try:
            pysam.view(self._mode, "--no-PG", *self._opts, "-o", self._out, self.path, f"{name}:{start + 1}-{end}",
                       catch_stdout=False)
        except pysam.SamtoolsError as exc:
            os.ftruncate(self._fd, 0)
            text = str(exc).replace("\\n", "\n")
            text = text.split("stderr=", 1)[-1]  # pysam: "samtools returned with error N: stdout=..., stderr=..."
            msg = [ln.strip(" '\"") for ln in text.splitlines() if ln.strip(" '\"")]
            detail = next((ln for ln in msg if "[E::" in ln), msg[0] if msg else "htslib failed")
            raise read_error(OSError(detail[:300]), self.path, f"{contig}:{start}-{end}") from None
        size = os.fstat(self._fd).st_size
        if size == 0:
            raise read_error(OSError("htslib wrote no records"), self.path, f"{contig}:{start}-{end}")
        if len(buf) < size:
            buf = np.empty(size + (size >> 3), dtype=np.uint8)
        got = os.preadv(self._fd, [memoryview(buf)[:size]], 0) if hasattr(os, "preadv") else None
        if got is None:  # pragma: no cover - no preadv
            os.lseek(self._fd, 0, os.SEEK_SET)
            with os.fdopen(os.dup(self._fd), "rb") as fh:
                got = fh.readinto(memoryview(buf)[:size])
        os.ftruncate(self._fd, 0)  # the in-memory file's pages are freed
        if got != size:
            raise read_error(OSError("short read of the decoded records"), self.path, f"{contig}:{start}-{end}")
        blocks = bgzf_blocks(buf, size)
        if blocks is not None:  # the data of the blocks moved together in place (numpy: memmove)
            n = 0
            for off, ln in blocks.tolist():
                buf[n:n + ln] = buf[off:off + ln]
                n += ln
        else:  # not level-0 blocks (another htslib): inflate
            data = _inflate_bgzf(buf[:size].tobytes())
            if len(data) > len(buf):
                buf = np.empty(len(data), dtype=np.uint8)
            buf[:len(data)] = np.frombuffer(data, dtype=np.uint8)
            n = len(data)
        return buf, n


def _log_fallback(path: str, why: str) -> None:
    print(f"cgtsafe: genome-wide decoding of {path} goes through samtools view (slower): {why}", file=sys.stderr,
          flush=True)


def _inflate_bgzf(data: bytes) -> bytes:
    """Concatenated gzip members (BGZF) -> bytes."""
    out = []
    while data:
        d = zlib.decompressobj(wbits=31)
        out.append(d.decompress(data))
        data = d.unused_data
    return b"".join(out)


_EMPTY = np.zeros(0, dtype=np.uint8)
_WORK = [np.zeros(0, dtype=np.int32)]


def _work(n: int) -> np.ndarray:
    """The process's reused int32 work array of :func:`count_region` (at least ``n`` entries)."""
    if len(_WORK[0]) < n:
        _WORK[0] = np.zeros(n, dtype=np.int32)
    return _WORK[0]


#: of the last region counted (both samples of a region share them): reference, region, its pack_reference,
#: its bases with INDEL_PAD more on each side (clipped to the contig) and their offset
_PACKED: list = [None, None, None, b"", 0]
INDEL_PAD = 1000  # reference bases beyond a region for left-normalising its indels


def open_decoder(path: str | Path, reference: ReferenceGenome | str | Path | None = None):
    """The fastest decoder for one sample's regions: :class:`cgtsafe.io.bgzf_region.BamRegionReader` for a BAM
    with a ``.bai``/``.csi`` (its own index walk and ISA-L inflation: a third of htslib's zlib CPU), else
    :class:`RegionDecoder` (htslib: CRAM, or a BAM without an index, which the input checks reject anyway)."""
    from cgtsafe.io.bgzf_region import open_region_reader

    return open_region_reader(path, reference) or RegionDecoder(path, reference)


def count_region(source, ref: ReferenceGenome, contig: str, start: int, end: int, params: Params, *,
                 path: str | Path = "", core: tuple[int, int] | None = None) -> RegionCounts:
    """Allele counts, depth and indels of one sample in ``[start, end)`` (one pass over the reads).

    ``source``: a :class:`RegionDecoder` (or a path / pysam ``AlignmentFile`` of a BAM/CRAM, decoded with
    one made for this call). Each fragment counts once (see the module docstring); a record out of
    coordinate order is an error. htslib decodes the region to uncompressed BAM bytes and
    :func:`cgtsafe.sitecheck.genomewide_kernel.count_records` (numba) parses and counts them.
    """
    from cgtsafe.io.htsdirect import LAYOUT
    from cgtsafe.sitecheck.genomewide_kernel import (NIB_CODE, NIB_LETTER, NO_STREAM, count_records,
                                                     pack_reference, warm)

    if not hasattr(source, "region"):
        fn = source.filename.decode() if hasattr(source, "filename") else str(source)
        with open_decoder(fn, ref) as dec:
            return count_region(dec, ref, contig, start, end, params, path=path, core=core)
    path = path or source.path
    L = end - start
    c0, c1 = core if core is not None else (start, end)
    warm()  # the inputs are checked: load the kernels (on a cold cache: compile, with a notice)
    key = (contig, start, end)
    if _PACKED[0] is not ref or _PACKED[1] != key:
        roff = max(0, start - INDEL_PAD)
        rseq = ref.fetch_bytes(contig, roff, end + INDEL_PAD)
        _PACKED[:] = [ref, key, pack_reference(rseq[start - roff:end - roff]), rseq, roff]
    nib, even, odd = _PACKED[2]
    stream = source.stream(contig, start, end) if hasattr(source, "stream") else None
    while True:
        if stream is not None:  # records counted as htslib decodes them
            buf, nbytes, src, lay = _EMPTY, 0, stream.src, stream.lay
        else:  # the region's records decoded into one buffer first
            buf, nbytes = source.region(contig, start, end)
            src, lay = NO_STREAM, LAYOUT
        bases = np.zeros((L, 4), dtype=np.int32)
        depth = np.zeros(L, dtype=np.int32)
        with stream or contextlib.nullcontext():
            nf, frag_s, frag_e, ne, ev, ins, bad, prev, n_core = count_records(
                buf, nbytes, source.tids.get(contig, -1), start, end, c0, c1, params.min_mapq, params.min_baseq,
                SKIP_FLAGS, NIB_CODE, NIB_LETTER, nib, even, odd, bases.reshape(-1), depth, src, lay,
                _work(2 * L + 2))
        if bad != -3 or stream is None:
            break
        stream = None  # the iterator failed: decode the region again (region() reports the error as before)
    indels: dict = defaultdict(int)
    obs: list = []
    if ne:
        rseq, roff = _PACKED[3], _PACKED[4]
        ins_b = ins.tobytes()
        for frag, kind, rp, ln, io in ev[:ne].tolist():
            if kind == 0:
                key = normalize_indel(rseq, roff, "I", rp, ins_b[io:io + ln].decode())
                obs.append((frag, key[1], key[1] + 1, key))
            else:
                key = normalize_indel(rseq, roff, "D", rp, ln)
                obs.append((frag, key[1], key[1] + ln, key))
            indels[key] += 1
    return RegionCounts(start, end, bases, depth, dict(indels), obs, frag_s[:nf], frag_e[:nf], nf, n_core)
