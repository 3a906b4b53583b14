"""One opener for BAM/CRAM alignment files, with the checks against the reference they were aligned to.

Used by the per-site quantification (:mod:`cgtsafe.sitecheck.quantify`), the genome-wide scan
(:mod:`cgtsafe.sitecheck.gw_count`) and the structural comparison (:mod:`cgtsafe.sitecheck.structural`).
Every mistake is one line (:class:`cgtsafe.errors.InputError`) naming the file:

* file absent; not ``.bam``/``.cram``; a BAM without the BGZF end-of-file marker (truncated);
  a CRAM without ``--reference``; htslib cannot open it;
* not coordinate-sorted (``@HD SO`` other than ``coordinate``), no index (``.bai``/``.csi``/``.crai``),
  an index older than the alignment file (stale), an index of another file (:func:`check_index_belongs`:
  sampled ``.bai``/``.csi`` chunks (:mod:`cgtsafe.io.bamindex`) must start at a record of their bin and
  contig; sampled ``.crai`` entries must
  point at a container of their contig whose slice offsets and sizes they repeat); checked by
  :func:`open_checked`, which every entry point uses (per-site quantification, genome-wide, structural);
* contigs: none in common with the FASTA (with a hint for a ``chr`` prefix), a contig of the header
  that the FASTA lacks, a contig whose length differs (another build);
* sequence identity: the ``@SQ M5`` tags of the header against the MD5 of the FASTA's sequences when the
  header has them (a CRAM always does); otherwise the bases of up to :data:`SAMPLE_READS` reads against the
  FASTA (more than :data:`MAX_SAMPLE_MISMATCH` mismatching aligned bases = another sequence). A CRAM decoded
  with the wrong reference is caught by the same check before any decoding;
* while reading, :func:`read_error` turns an htslib failure into one line naming the likely cause; the
  genome-wide counter stops at the first record out of coordinate order (an unsorted file with a forced
  or foreign index) and, for whole-genome BAM scans, compares the records read per contig with the
  index statistics (:func:`cgtsafe.sitecheck.genomewide_call.check_index_counts`: an index of another
  file).

Duplicate marking (:func:`duplicates_marked`): a ``@PG`` line of a known duplicate marker, or a
duplicate flag (0x400) among the first :data:`DUP_SCAN_READS` mapped records. An unmarked file is not
an error (PCR-free libraries, amplicons) but gets a warning in the log and a flag the summaries show.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.io.reference import ReferenceGenome

_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
#: reads sampled for the base-identity check when the header has no M5 tags
SAMPLE_READS = 400
#: share of mismatching aligned bases above which the alignments are taken to be on another sequence
MAX_SAMPLE_MISMATCH = 0.2
#: mapped records looked at for a duplicate flag when no @PG names a duplicate marker
DUP_SCAN_READS = 200_000
_DUP_PROGRAMS = re.compile(r"markdup|markduplicates|dedup|rmdup|bammarkduplicates|sambamba.*markdup|gencore",
                           re.IGNORECASE)


@dataclass
class AlignmentInfo:
    """What the checks learned about one alignment file (kept for logs and summaries)."""

    path: str
    lengths: dict[str, int] = field(default_factory=dict)
    identity: str = ""  # "md5" | "sampled_bases" | "not_checked"
    duplicates_marked: bool | None = None


def _is_cram(path: Path) -> bool:
    return path.name.lower().endswith(".cram")


#: CRAM fields the genome-wide counter needs (htslib ``required_fields``: FLAG RNAME POS MAPQ CIGAR RNEXT PNEXT
#: SEQ QUAL; no read names, tags or MD/NM regeneration): decoding is about 20 % cheaper
COUNTING_FIELDS = ("required_fields=0x6fe", "decode_md=0")


def open_alignment(path: str | Path, reference: str | Path | ReferenceGenome | None = None, *,
                   cram_fields: tuple[str, ...] = ()):
    """Open a BAM/CRAM and check file, EOF marker, sort order and index; one-line errors.

    ``cram_fields``: htslib CRAM format options (e.g. :data:`COUNTING_FIELDS`) for a reader that needs
    only some fields; ignored for BAM."""
    import pysam

    path = Path(path)
    if not path.exists():
        raise InputError("alignment file not found", path=path)
    name = path.name.lower()
    if name.endswith(".bam"):
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 28))
            tail = fh.read()
        if size < 28 or tail != _BGZF_EOF:
            raise InputError("BAM is truncated or not a BAM (no BGZF end-of-file marker)", path=path)
    elif not name.endswith(".cram"):
        raise InputError("expected a .bam or .cram file", path=path)
    ref_path = reference.path if isinstance(reference, ReferenceGenome) else reference
    if name.endswith(".cram") and ref_path is None:
        raise InputError("a CRAM file needs the reference FASTA (--reference)", path=path)
    try:
        kwargs = {"reference_filename": str(ref_path)} if name.endswith(".cram") else {}
        if name.endswith(".cram") and cram_fields:
            kwargs["format_options"] = [o.encode() for o in cram_fields]
        af = pysam.AlignmentFile(str(path), "rc" if name.endswith(".cram") else "rb", **kwargs)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot open as BAM/CRAM ({str(exc).splitlines()[0]})", path=path) from None
    so = af.header.to_dict().get("HD", {}).get("SO")
    if so is not None and so != "coordinate":
        af.close()
        raise InputError(f"alignments are not coordinate-sorted (@HD SO:{so}); run 'samtools sort' and "
                         "'samtools index'", path=path)
    if not af.has_index():
        af.close()
        ext = ".crai" if name.endswith(".cram") else ".bai or .csi"
        raise InputError(f"alignment file has no index ({ext}); run 'samtools index {path}'", path=path)
    for suffix in ((".crai",) if name.endswith(".cram") else (".bai", ".csi")):
        for idx in (Path(str(path) + suffix), path.with_suffix(suffix)):
            if idx.exists() and idx.stat().st_mtime + 1 < path.stat().st_mtime:
                af.close()
                raise InputError(f"index {idx.name} is older than the alignment file (stale index of an earlier "
                                 f"version?); re-run 'samtools index {path}'", path=path)
    return af


#: index entries (BAI chunks / CRAI slices) checked against the alignment file, spread over the file
INDEX_PROBES = 64


def _index_path(path: Path) -> Path | None:
    for suffix in ((".crai",) if _is_cram(path) else (".bai", ".csi")):
        for idx in (Path(str(path) + suffix), path.with_suffix(suffix)):
            if idx.exists():
                return idx
    return None


def _foreign(path, idx: Path, what: str) -> InputError:
    return InputError(f"index {idx.name} does not belong to this file ({what}): an index copied from another "
                      f"sample or made from an earlier version; re-run 'samtools index {path}'", path=path)


def _spread(items: list, n: int) -> list:
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def _itf8(buf: bytes, i: int) -> tuple[int, int]:
    b0 = buf[i]
    if b0 < 0x80:
        return b0, i + 1
    if b0 < 0xC0:
        return ((b0 & 0x7F) << 8) | buf[i + 1], i + 2
    if b0 < 0xE0:
        return ((b0 & 0x3F) << 16) | (buf[i + 1] << 8) | buf[i + 2], i + 3
    if b0 < 0xF0:
        return ((b0 & 0x1F) << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3], i + 4
    v = ((b0 & 0x0F) << 28) | (buf[i + 1] << 20) | (buf[i + 2] << 12) | (buf[i + 3] << 4) | (buf[i + 4] & 0x0F)
    return (v - (1 << 32) if v >= 1 << 31 else v), i + 5


def _ltf8_skip(buf: bytes, i: int) -> int:
    b0, n = buf[i], 0
    while n < 8 and b0 & (0x80 >> n):
        n += 1
    return i + 1 + n


def _check_crai(path: Path, idx: Path, refs: set[int]) -> None:
    import gzip

    with open(path, "rb") as fh:
        head = fh.read(26)
        if head[:4] != b"CRAM" or head[4] < 3:
            return  # CRAM 2.x containers: not checked
        size = fh.seek(0, os.SEEK_END)
        try:
            rows = [ln.split("\t") for ln in gzip.decompress(idx.read_bytes()).decode().splitlines() if ln.strip()]
            entries = [tuple(int(x) for x in r[:6]) for r in rows]
        except (OSError, ValueError, EOFError):
            raise _foreign(path, idx, "not a readable .crai") from None
        entries = _spread([e for e in entries if e[0] in refs or e[0] == -1], INDEX_PROBES)
        for ref_id, _start, _span, c_off, s_off, s_size in entries:
            if c_off + s_off + s_size > size:
                raise _foreign(path, idx, f"a slice at byte {c_off + s_off} beyond the end of the file")
            fh.seek(c_off)
            buf = fh.read(64 + 16 * 1024)
            try:
                (length,) = __import__("struct").unpack_from("<i", buf, 0)
                i = 4
                cref, i = _itf8(buf, i)
                for _ in range(3):  # start, span, records
                    _, i = _itf8(buf, i)
                i = _ltf8_skip(buf, i)  # record counter
                i = _ltf8_skip(buf, i)  # bases
                _, i = _itf8(buf, i)    # blocks
                n_land, i = _itf8(buf, i)
                marks = []
                for _ in range(n_land):
                    m, i = _itf8(buf, i)
                    marks.append(m)
            except IndexError:
                raise _foreign(path, idx, f"no container at byte {c_off}") from None
            if cref not in (ref_id, -2) or s_off not in marks:
                raise _foreign(path, idx, f"the container at byte {c_off} does not hold the indexed slice")
            k = marks.index(s_off)
            end = marks[k + 1] if k + 1 < len(marks) else length
            if s_off + s_size != end:
                raise _foreign(path, idx, f"the slice at byte {c_off + s_off} has another size")


#: records read from the start of the file without the index and again through it (:func:`_first_records`)
FIRST_RECORDS = 5000


def _first_records(path: Path, idx: Path, reference) -> None:
    """The first :data:`FIRST_RECORDS` records read in file order must be exactly those the index returns for
    the span they cover (an index of another file starts or ends its chunks elsewhere)."""
    import pysam

    kw = {"reference_filename": str(reference)} if _is_cram(path) and reference is not None else {}
    if _is_cram(path) and not kw:
        return
    with pysam.AlignmentFile(str(path), "rc" if _is_cram(path) else "rb", index_filename=str(idx), **kw) as fh:
        lin = []
        full = True
        for r in fh.fetch(until_eof=True):
            if r.reference_id < 0:
                break
            if lin and r.reference_id != lin[0][0]:
                break
            lin.append((r.reference_id, r.reference_start, r.query_name, r.flag))
            if len(lin) >= FIRST_RECORDS:
                full = False
                break
        if not lin:
            return
        ref_id, lo = lin[0][0], lin[0][1]
        hi = lin[-1][1]
        if not full:  # stopped inside a position: compare the records that start before it
            lin = [x for x in lin if x[1] < hi]
            hi -= 1
        if hi < lo:
            return
        name = fh.references[ref_id]
        via = [(r.reference_id, r.reference_start, r.query_name, r.flag)
               for r in fh.fetch(fh.references[ref_id], lo, hi + 1) if lo <= r.reference_start <= hi]
    if sorted(via) != sorted(lin):
        raise _foreign(path, idx, f"the index returns {len(via)} records for {name}:{lo + 1}-"
                                  f"{hi + 1} where the file holds {len(lin)}")


def _span_end(rec) -> int:
    """htslib's end of a record's span: position + reference length, or position + 1 for an unmapped record or
    one without reference length."""
    end = rec.reference_end if not rec.is_unmapped else None
    return rec.reference_start + 1 if end is None or end <= rec.reference_start else end


def _filed_under(rec, index, b: int) -> bool:
    """Whether an indexer may file ``rec`` under bin ``b``: its span (:func:`_span_end`) binned with the index's
    own ``min_shift`` and depth is ``b`` or lies inside ``b`` (htslib moves the chunks of a bin with little data
    to its parent bin)."""
    own = index.reg2bin(rec.reference_start, _span_end(rec))
    while own > b:
        own = (own - 1) >> 3
    return own == b


def check_index_belongs(af, path: str | Path, contigs=None, reference=None) -> None:
    """Sampled index entries must describe this file (one-line error naming the index otherwise).

    BAI and CSI (parsed by :func:`cgtsafe.io.bamindex.read_index`): up to :data:`INDEX_PROBES` bins (over the
    contigs read), the last chunk of each must start at a record of the chunk's contig that falls into that
    bin (its span binned with the index's ``min_shift`` and depth, as the indexer did, or into a bin inside it:
    htslib moves the chunks of a bin with little data to its parent), and the record after the chunk's end
    must not be one of that bin. CRAI (CRAM 3): the container at each sampled entry's offset
    must be of its contig and hold a slice at the entry's offset with the entry's size. All: the first
    :data:`FIRST_RECORDS` records in file order against the same span read through the index
    (:func:`_first_records`)."""
    import pysam

    from cgtsafe.io.bamindex import read_index

    path = Path(path)
    idx = _index_path(path)
    if idx is None:
        return
    try:
        _first_records(path, idx, reference)
    except (OSError, ValueError):
        raise _foreign(path, idx, "reading through it fails") from None
    names = list(af.references)
    refs = {names.index(c) for c in (contigs if contigs is not None else names) if c in names}
    if _is_cram(path):
        _check_crai(path, idx, refs)
        return
    try:
        index = read_index(idx)
    except InputError:  # a truncated or garbled index: htslib opened it, but its bins cannot be walked
        raise _foreign(path, idx, "its bins cannot be read") from None
    if len(index.refs) != len(names):
        raise _foreign(path, idx, f"{len(index.refs)} contigs indexed, {len(names)} in the header")
    chunks = _spread(index.last_chunks(refs), INDEX_PROBES)
    if not chunks:
        return
    size = path.stat().st_size
    fh = pysam.AlignmentFile(str(path), "rb", index_filename=str(idx))
    try:
        _probe_chunks(fh, path, idx, index, names, chunks, size)
    finally:
        try:
            fh.close()
        except OSError:  # htslib refuses to close a stream a bad offset left in error (reported above)
            pass


def _probe_chunks(fh, path: Path, idx: Path, index, names: list, chunks: list, size: int) -> None:
    """The record at each sampled chunk's start is of its contig and bin; the one at its end is not of its bin."""
    for ref_id, b, voff, end in chunks:
        if voff >> 16 >= size:
            raise _foreign(path, idx, f"a chunk at byte {voff >> 16} beyond the end of the file")
        try:
            fh.seek(voff)
            rec = next(fh)
        except (OSError, ValueError, StopIteration):
            raise _foreign(path, idx, f"no record at virtual offset {voff}") from None
        if rec.reference_id != ref_id or not _filed_under(rec, index, b):
            raise _foreign(path, idx, f"the record at virtual offset {voff} is not of the indexed contig "
                                      f"{names[ref_id]} and bin {b}")
        if end >> 16 > size:
            raise _foreign(path, idx, f"a chunk ends at byte {end >> 16} beyond the end of the file")
        try:
            fh.seek(end)
            nxt = next(fh, None)
        except (OSError, ValueError):
            raise _foreign(path, idx, f"no record boundary at virtual offset {end}") from None
        if (nxt is not None and nxt.reference_id == ref_id and nxt.reference_start >= 0
                and index.reg2bin(nxt.reference_start, _span_end(nxt)) == b):
            raise _foreign(path, idx, f"a chunk of bin {b} ends before the bin's records do")


def check_contigs(bam_lengths: dict[str, int], ref_lengths: dict[str, int], *, bam: str | Path,
                  reference: str | Path) -> None:
    """Names and lengths of the alignment header against the reference FASTA."""
    common = set(bam_lengths) & set(ref_lengths)
    if not common:
        def strip(n):
            return n[3:] if n.startswith("chr") else n
        if {strip(n) for n in bam_lengths} & {strip(n) for n in ref_lengths}:
            raise InputError(f"contig names differ by a 'chr' prefix: alignment has e.g. {sorted(bam_lengths)[0]!r}, "
                             f"reference {Path(reference).name} has e.g. {sorted(ref_lengths)[0]!r}", path=bam)
        raise InputError(f"no contig in common with reference {Path(reference).name} "
                         f"(alignment has e.g. {sorted(bam_lengths)[:3]}, reference {sorted(ref_lengths)[:3]})",
                         path=bam)
    for name in sorted(common):
        if bam_lengths[name] != ref_lengths[name]:
            raise InputError(f"contig {name!r} is {bam_lengths[name]} bp in the alignment header but "
                             f"{ref_lengths[name]} bp in reference {Path(reference).name} (different genome "
                             "build, e.g. hg19 vs hg38?)", path=bam)
    missing = [n for n in bam_lengths if n not in ref_lengths]
    if missing:
        raise InputError(f"contig {missing[0]!r} of the alignment header is not in reference "
                         f"{Path(reference).name} ({len(missing)} contig(s) missing): not the FASTA the reads "
                         "were aligned to", path=bam)


def check_identity(af, ref: ReferenceGenome, *, bam: str | Path, contigs=None) -> str:
    """Sequence identity of the header's contigs and the FASTA; returns the method used.

    ``contigs`` limits the check to those contigs (a region job hashes only what it reads).
    """
    sq = {d["SN"]: d for d in af.header.to_dict().get("SQ", [])}
    names = [c for c in (contigs if contigs is not None else sq) if c in sq and c in ref.lengths]
    with_m5 = [c for c in names if sq[c].get("M5")]
    if names and len(with_m5) == len(names):
        for c in names:
            if sq[c]["M5"].lower() != ref.md5(c):
                what = ("a CRAM decoded with another reference would fail or be wrong" if _is_cram(Path(bam))
                        else "the reads were aligned to another sequence")
                raise InputError(f"contig {c!r}: the header's M5 {sq[c]['M5']} differs from the MD5 of that contig "
                                 f"in reference {ref.path.name} ({ref.md5(c)}): same name, different sequence "
                                 f"({what}); give the FASTA the alignments were made with", path=bam)
        return "md5"
    return _sample_bases(af, ref, bam=bam, contigs=names)


def _sample_bases(af, ref: ReferenceGenome, *, bam, contigs) -> str:
    """Mismatch rate of aligned bases of sampled reads (spread over the contigs) against the FASTA."""
    n_reads = n_bases = n_mis = 0
    per = max(1, SAMPLE_READS // max(1, min(len(contigs), 20)))
    try:
        for c in contigs:
            if n_reads >= SAMPLE_READS:
                break
            length = ref.lengths[c]
            for start in (0, length // 3, 2 * length // 3):
                k = 0
                for r in af.fetch(c, start, length):
                    if r.flag & 0xF04 or r.mapping_quality < 20 or r.query_sequence is None:
                        continue
                    seq = r.query_sequence.upper()
                    lo, hi = r.reference_start, r.reference_end
                    rs = ref.fetch_bytes(c, lo, hi).decode()
                    for qp, rp in r.get_aligned_pairs(matches_only=True):
                        a, b = seq[qp], rs[rp - lo]
                        if a != "N" and b != "N":
                            n_bases += 1
                            n_mis += a != b
                    n_reads += 1
                    k += 1
                    if k >= per // 3 + 1:
                        break
    except (OSError, ValueError) as exc:
        raise read_error(exc, bam) from None
    if n_bases < 1000:
        return "not_checked"
    rate = n_mis / n_bases
    if rate > MAX_SAMPLE_MISMATCH:
        raise InputError(f"{100 * rate:.0f} % of the aligned bases of {n_reads} sampled reads differ from reference "
                         f"{ref.path.name}: same contig names, different sequence; give the FASTA the alignments "
                         "were made with", path=bam)
    return "sampled_bases"


def duplicates_marked(af) -> bool:
    """True when a @PG line names a duplicate marker or a 0x400 flag occurs early in the file."""
    for pg in af.header.to_dict().get("PG", []):
        if _DUP_PROGRAMS.search(" ".join(str(pg.get(k, "")) for k in ("ID", "PN", "CL"))):
            return True
    n = 0
    for r in af.fetch(until_eof=True):
        if r.flag & 0x400:
            return True
        if not r.flag & 0x4:
            n += 1
            if n >= DUP_SCAN_READS:
                break
    return False


def open_checked(path: str | Path, ref: ReferenceGenome, *, contigs=None, check_duplicates: bool = False,
                 log=None):
    """Open and check an alignment file against ``ref``; returns ``(AlignmentFile, AlignmentInfo)``.

    ``contigs``: the contigs the caller will read (the identity check is limited to them).
    ``check_duplicates``: look for duplicate marking; an unmarked file gets a warning on ``log``
    (default ``sys.stderr``, which the workflow's rules send to the rule's log).
    """
    af = open_alignment(path, ref)
    try:
        lengths = dict(zip(af.references, af.lengths))
        check_contigs(lengths, ref.lengths, bam=path, reference=ref.path)
        info = AlignmentInfo(str(path), lengths)
        info.identity = check_identity(af, ref, bam=path, contigs=contigs)
        check_index_belongs(af, path, contigs, ref.path)
        if check_duplicates:
            info.duplicates_marked = duplicates_marked(af)
            if not info.duplicates_marked:
                print(f"cgtsafe: warning: {path}: no duplicate marking found (no @PG of a duplicate marker, no "
                      "0x400 flag); PCR duplicates are counted as independent reads", file=log or sys.stderr)
    except BaseException:
        try:
            af.close()
        except OSError:  # htslib refuses to close a stream a failed read left in error: keep the first error
            pass
        raise
    return af, info


def read_error(exc: Exception, path: str | Path, where: str = "") -> InputError:
    """One-line error for an htslib failure while reading records."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = ("a CRAM decoded with another reference (htslib checks each slice's reference MD5; the file's end "
            "marker was checked when it was opened) or a damaged file: is --reference the FASTA the CRAM was "
            "written with?" if _is_cram(Path(path))
            else "is the file complete and its index made from this file (samtools index)?")
    return InputError(f"cannot read alignments{' in ' + where if where else ''} ({msg}); {hint}", path=path)


def duplicate_marking_notes(stats: list[dict]) -> tuple[list[dict], str, str]:
    """Summary pieces for alignment files without duplicate marking (``duplicates_marked`` of per-pair
    stats: file -> bool): the exclusions entry (empty list when every file is marked) and a methods
    sentence in English and Chinese ('' when none)."""
    unmarked = sorted({p for s in stats for p, m in s.get("duplicates_marked", {}).items() if m is False})
    if not unmarked:
        return [], "", ""
    names = ", ".join(Path(p).name for p in unmarked)
    entry = {"what": "alignment files without duplicate marking (PCR duplicates were counted as independent reads)",
             "count": len(unmarked),
             "reason": f"{names}: no @PG line of a duplicate marker and no duplicate flag (0x400); read counts and "
                       "frequencies may be inflated; mark duplicates (e.g. samtools markdup) for WGS data"}
    en = (f" Warning: {names} had no duplicate marking; PCR duplicates were counted as independent reads, which can "
          "inflate frequencies and understate uncertainty.")
    zh = f" 警告：{names} 未标记重复读段；PCR 重复被当作独立读段计数，可能高估频率并低估不确定性。"
    return [entry], en, zh
