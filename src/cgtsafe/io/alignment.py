"""One opener for BAM/CRAM alignment files, with the checks against the reference they were aligned to.

Used by the per-site quantification (:mod:`cgtsafe.sitecheck.quantify`), the genome-wide scan
(:mod:`cgtsafe.sitecheck.gw_count`) and the structural comparison (:mod:`cgtsafe.sitecheck.structural`).
Every mistake is one line (:class:`cgtsafe.errors.InputError`) naming the file:

* file absent; not ``.bam``/``.cram``; a BAM without the BGZF end-of-file marker (truncated);
  a CRAM without ``--reference``; htslib cannot open it;
* not coordinate-sorted (``@HD SO`` other than ``coordinate``), no index (``.bai``/``.csi``/``.crai``),
  an index older than the alignment file (stale);
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
        if check_duplicates:
            info.duplicates_marked = duplicates_marked(af)
            if not info.duplicates_marked:
                print(f"cgtsafe: warning: {path}: no duplicate marking found (no @PG of a duplicate marker, no "
                      "0x400 flag); PCR duplicates are counted as independent reads", file=log or sys.stderr)
    except BaseException:
        af.close()
        raise
    return af, info


def read_error(exc: Exception, path: str | Path, where: str = "") -> InputError:
    """One-line error for an htslib failure while reading records."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = ("is --reference the FASTA the CRAM was written with, and the file complete?" if _is_cram(Path(path))
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
