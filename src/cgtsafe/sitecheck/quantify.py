"""Per-site read classification from coordinate-sorted, indexed BAM/CRAM files (WGS-style input).

For each candidate site and sample, every read overlapping the quantification window (see
:mod:`cgtsafe.sitecheck.sites`; 0-based half-open ``[window_start, window_end)``) goes through these
filters, in this order (the first that applies is the reason it is excluded):

``unmapped`` (0x4), ``secondary`` (0x100), ``supplementary`` (0x800), ``qc_fail`` (0x200),
``duplicate`` (0x400), ``mate_unmapped`` (paired 0x1 with 0x8), ``low_mapq`` (MAPQ < ``min_mapq``),
``not_spanning`` (the aligned part of the read does not cover the whole window: ``reference_start >
window_start`` or ``reference_end < window_end``; a deletion spanning the window counts as covering it),
``overlapping_mate`` (both mates of a fragment span the window: the fragment is counted once, using
read 1 (0x40); the other mate is excluded with this reason).

Each counted fragment is classified as

``indel``              an insertion or deletion of the CIGAR overlaps the window. Overlap is decided on
                       the *equivalence span* of the event: a deletion of ``ref[s:e)`` or an insertion
                       at point ``p`` that can be shifted along a repeat without changing the read
                       sequence counts if any of its equivalent placements overlaps the window, so the
                       result does not depend on the aligner's left/right placement. An insertion at
                       point ``p`` (between ref ``p-1`` and ``p``) overlaps when ``window_start <= p <=
                       window_end``; a deletion ``[s, e)`` when ``s < window_end`` and ``e > window_start``.
``substitution_only``  no indel, but at least one base inside the window differs from the reference,
                       with base quality >= ``min_baseq`` and neither base ``N``
``unmodified``         otherwise.

The same classifier (:func:`classify_events`) is used for amplicon reads (:mod:`.amplicon`).
Sites closer than :data:`REGION_GAP` are counted in one pass over their span (one ``fetch``; each read is
assigned to every window it overlaps), so dense candidate lists do not re-decode the same CRAM slices.
Output: one row per site (see :data:`COUNT_COLUMNS`), coordinates 0-based half-open.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.alignment import check_contigs, open_alignment, open_checked, read_error  # noqa: F401
from cgtsafe.io.reference import ReferenceGenome
from cgtsafe.sitecheck.sites import Site

UNMODIFIED, INDEL, SUBSTITUTION = 0, 1, 2
CLASSES = ("unmodified", "indel", "substitution_only")
EXCLUSION_REASONS = ("unmapped", "secondary", "supplementary", "qc_fail", "duplicate", "mate_unmapped",
                     "low_mapq", "not_spanning", "overlapping_mate")
#: editor-aware columns (:mod:`cgtsafe.sitecheck.editors`): ``events`` = reads counted as editing,
#: ``editor_substitution`` = reads without an indel carrying a base editor's conversion in its activity window,
#: ``conversions`` = reads converted per editable protospacer position, ``counted_event`` = what ``events`` counts
EDITOR_COLUMNS = ("events", "editor_substitution", "counted_event", "conversions")
#: WGS rows also carry CRISPResso2's per-read classes at sites with an intended edit (0 elsewhere)
from cgtsafe.sitecheck.editors import OUTCOMES  # noqa: E402

COUNT_COLUMNS = ("sample", "assay", "site_id", "chrom", "window_start", "window_end", "reads",
                 *CLASSES, *(f"excluded_{r}" for r in EXCLUSION_REASONS), *EDITOR_COLUMNS, *OUTCOMES)
#: reference bases fetched on each side of the window to find the equivalence span of indels
REF_PAD = 400


# ----------------------------------------------------------------------------------------------
# classification (shared with the amplicon path)


def deletion_span(ref: bytes, s: int, e: int) -> tuple[int, int]:
    """Leftmost start and rightmost end of all placements of the deletion ``ref[s:e)`` (local coords)."""
    ls, le = s, e
    while ls > 0 and le - 1 < len(ref) and ref[ls - 1] == ref[le - 1]:
        ls -= 1
        le -= 1
    rs, re_ = s, e
    while re_ < len(ref) and ref[rs] == ref[re_]:
        rs += 1
        re_ += 1
    return ls, re_


def insertion_span(ref: bytes, p: int, ins: bytes) -> tuple[int, int]:
    """Leftmost and rightmost insertion point equivalent to inserting ``ins`` before ``ref[p]``."""
    if not ins:
        return p, p
    x = ins
    lp = p
    while lp > 0 and lp - 1 < len(ref) and ref[lp - 1] == x[-1]:
        x = x[-1:] + x[:-1]
        lp -= 1
    x = ins
    rp = p
    while rp < len(ref) and ref[rp] == x[0]:
        x = x[1:] + x[:1]
        rp += 1
    return lp, rp


def classify_events(deletions, insertions, n_subs: int, ws: int, we: int, ref: bytes) -> int:
    """Class of one read from its events, all in the local coordinates of ``ref``.

    ``deletions``: ``[(s, e), ...]`` deleted ``ref[s:e)``; ``insertions``: ``[(p, bases), ...]``
    inserted before ``ref[p]``; ``n_subs``: substitutions already counted inside the window.
    """
    for s, e in deletions:
        if s < we and e > ws:
            return INDEL
        if e < ws - REF_PAD // 2 or s > we + REF_PAD // 2:
            continue
        ls, re_ = deletion_span(ref, s, e)
        if ls < we and re_ > ws:
            return INDEL
    for p, ins in insertions:
        if ws <= p <= we:
            return INDEL
        if p < ws - REF_PAD // 2 or p > we + REF_PAD // 2:
            continue
        lp, rp = insertion_span(ref, p, ins)
        if lp <= we and rp >= ws:
            return INDEL
    return SUBSTITUTION if n_subs else UNMODIFIED


# ----------------------------------------------------------------------------------------------
# input checks


def check_sites_on_contigs(sites: list[Site], bam_lengths: dict[str, int], *, bam) -> None:
    for s in sites:
        if s.chrom not in bam_lengths:
            raise InputError(f"site {s.site_id} is on contig {s.chrom!r}, which is absent from the alignment "
                             f"header ({len(bam_lengths)} contigs)", path=bam)


# ----------------------------------------------------------------------------------------------
# per-site counting


#: sites whose windows are closer than this are read in one pass over the alignments (one fetch)
REGION_GAP = 20_000


def _filter_reason(read, min_mapq: int) -> str | None:
    flag = read.flag
    if flag & 0x4:
        return "unmapped"
    if flag & 0x100:
        return "secondary"
    if flag & 0x800:
        return "supplementary"
    if flag & 0x200:
        return "qc_fail"
    if flag & 0x400:
        return "duplicate"
    if flag & 0x1 and flag & 0x8:
        return "mate_unmapped"
    if read.mapping_quality < min_mapq:
        return "low_mapq"
    return None


def _count_region(af, ref: ReferenceGenome, chrom: str, sites: list[Site], flank: int, min_mapq: int, min_baseq: int,
                  contig_len: int, editor=None, intended: dict | None = None) -> list[dict]:
    """Count all ``sites`` (one contig, sorted by window start) with a single fetch over their span.
    ``intended``: ``{site_id: IntendedEdit}`` (:func:`cgtsafe.sitecheck.sheets.read_intended_edits`)."""
    from bisect import bisect_left

    from cgtsafe.sitecheck.editors import format_conversions, get_editor, site_context

    editor = editor or get_editor()
    intended = intended or {}
    ctxs = [site_context(editor, s.strand, s.cut_start, s.cut_end, flank, contig_len,
                         intended=s.site_id in intended) for s in sites]
    for s, c in zip(sites, ctxs):
        if s.site_id in intended:
            lo, hi = intended[s.site_id].span(ref, chrom, s, contig_len)
            c.ws, c.we = max(0, min(c.ws, lo - 1)), min(contig_len, max(c.we, hi + 1))
    order = sorted(range(len(sites)), key=lambda k: (ctxs[k].ws, sites[k].site_id))  # bisect needs sorted starts
    sites, ctxs = [sites[k] for k in order], [ctxs[k] for k in order]
    wins = [(c.ws, c.we) for c in ctxs]
    starts = [w[0] for w in wins]
    max_len = max(we - ws for ws, we in wins)
    r_lo = min(starts)
    r_hi = max(we for _, we in wins)
    off = max(0, r_lo - REF_PAD)
    refseq = ref.fetch_bytes(chrom, off, min(contig_len, r_hi + REF_PAD))
    excl = [dict.fromkeys(EXCLUSION_REASONS, 0) for _ in sites]
    cands: list[dict] = [{} for _ in sites]
    for read in af.fetch(chrom, r_lo, r_hi):
        rs = read.reference_start
        re_ = read.reference_end
        if re_ is None:
            re_ = rs + 1
        lo = bisect_left(starts, rs - max_len)
        hi = bisect_left(starts, re_)
        hits = [i for i in range(lo, hi) if wins[i][0] < re_ and wins[i][1] > rs]
        if not hits:
            continue
        reason = _filter_reason(read, min_mapq)
        for i in hits:
            if reason is not None:
                excl[i][reason] += 1
            elif rs > wins[i][0] or re_ < wins[i][1]:
                excl[i]["not_spanning"] += 1
            else:
                cands[i].setdefault(read.query_name, []).append(read)
    rows = []
    for i, site in enumerate(sites):
        ws, we = wins[i]
        counts = [0, 0, 0]
        events = ed_sub = 0
        conv: dict[int, int] = {}
        local = ctxs[i]
        local.activity = {k - off: v for k, v in local.activity.items()}
        local.templated = (local.templated[0] - off, local.templated[1] - off)
        edit = intended.get(site.site_id)
        outcomes = dict.fromkeys(OUTCOMES, 0)
        if edit is not None:
            edit = edit.local(refseq, off, site, editor)
        for reads in cands[i].values():
            if len(reads) > 1:
                reads.sort(key=lambda r: (0 if r.flag & 0x40 else 1, r.reference_start))
                excl[i]["overlapping_mate"] += len(reads) - 1
            cls, subs = _classify_read(reads[0], refseq, off, ws - off, we - off, min_baseq)
            if edit is not None:
                key = edit.outcome(reads[0], refseq, off, flank, min_baseq, editor)
                if key is None:  # the read does not cover the intended edit's stretch
                    excl[i]["not_spanning"] += 1
                    continue
                outcomes[key] += 1
            counts[cls] += 1
            is_event, positions = local.classify(cls, subs)
            if edit is not None:
                is_event = key != "reference_unmodified"
            events += is_event
            ed_sub += bool(positions) and cls != INDEL
            for p in positions:
                conv[p] = conv.get(p, 0) + 1
        row = {"site_id": site.site_id, "chrom": chrom, "window_start": ws, "window_end": we, "reads": sum(counts)}
        row.update(dict(zip(CLASSES, counts)))
        row.update({f"excluded_{k}": v for k, v in excl[i].items()})
        row.update({"events": events, "editor_substitution": ed_sub,
                    "counted_event": ("any change from the reference-unmodified read (intended edit: "
                                      f"{intended[site.site_id].describe()})" if edit is not None
                                      else editor.counted_event),
                    "conversions": format_conversions(conv, local.label)})
        row.update(outcomes)
        rows.append(row)
    return rows


def _regions(sites: list[Site], flank: int) -> list[list[Site]]:
    """Group sites (any order) into runs on one contig whose windows are < REGION_GAP apart."""
    order = sorted(sites, key=lambda s: (s.chrom, s.window(flank)[0], s.site_id))
    groups: list[list[Site]] = []
    group_end = 0
    for s in order:
        ws, we = s.window(flank)
        if groups and groups[-1][0].chrom == s.chrom and ws - group_end < REGION_GAP and len(groups[-1]) < 2000:
            groups[-1].append(s)
            group_end = max(group_end, we)
        else:
            groups.append([s])
            group_end = we
    return groups


def _classify_read(read, refseq: bytes, off: int, lws: int, lwe: int, min_baseq: int) -> tuple[int, list]:
    """Class of one read and its window substitutions ``[(local index, read base, reference base)]``."""
    rp = read.reference_start - off
    qp = 0
    dels: list[tuple[int, int]] = []
    ins: list[tuple[int, bytes]] = []
    subs: list[tuple[int, int, int]] = []
    seq = None
    quals = None
    for op, ln in read.cigartuples:
        if op in (0, 7, 8):
            a = max(rp, lws)
            b = min(rp + ln, lwe)
            if a < b:
                if seq is None:
                    seq = read.query_sequence.encode()
                    quals = read.query_qualities
                for r in range(a, b):
                    q = qp + r - rp
                    base = seq[q]
                    rb = refseq[r] if 0 <= r < len(refseq) else 78
                    if base != rb and base != 78 and rb != 78 and (quals is None or quals[q] >= min_baseq):
                        subs.append((r, base, rb))
            rp += ln
            qp += ln
        elif op == 1:
            if seq is None:
                seq = read.query_sequence.encode()
                quals = read.query_qualities
            ins.append((rp, seq[qp:qp + ln]))
            qp += ln
        elif op in (2, 3):
            dels.append((rp, rp + ln))
            rp += ln
        elif op == 4:
            qp += ln
    return classify_events(dels, ins, len(subs), lws, lwe, refseq), subs


def _worker(args) -> list[dict]:
    bam, reference, groups, flank, min_mapq, min_baseq, editor, intended = args
    ref = ReferenceGenome(reference)
    af = open_alignment(bam, ref)
    lengths = dict(zip(af.references, af.lengths))
    try:
        return [r for g in groups
                for r in _count_region(af, ref, g[0].chrom, g, flank, min_mapq, min_baseq, lengths[g[0].chrom],
                                       editor, intended)]
    except (OSError, ValueError) as exc:
        raise read_error(exc, bam) from None
    finally:
        af.close()


def quantify_bam(bam: str | Path, reference: str | Path, sites: list[Site], *, sample: str, flank: int = 5,
                 min_mapq: int = 20, min_baseq: int = 20, threads: int = 1, assay: str = "wgs",
                 editor=None, intended: dict | None = None) -> pd.DataFrame:
    """Count read classes per site for one sample. Checks the inputs first (contigs, index, sites).
    ``intended``: ``{site_id: IntendedEdit}`` for prime-editing / HDR sites with an intended edit."""
    ref = ReferenceGenome(reference)
    af, _info = open_checked(bam, ref, contigs=sorted({s.chrom for s in sites}), check_duplicates=True)
    bam_lengths = dict(zip(af.references, af.lengths))
    af.close()
    check_sites_on_contigs(sites, bam_lengths, bam=bam)
    threads = max(1, int(threads))
    groups = _regions(sites, flank)
    n_jobs = min(len(groups), threads * 4) if threads > 1 else 1
    # deal groups round-robin by size so the workers get similar loads; results are re-ordered below
    jobs_groups: list[list[list[Site]]] = [[] for _ in range(max(1, n_jobs))]
    for k, g in enumerate(sorted(groups, key=len, reverse=True)):
        jobs_groups[k % len(jobs_groups)].append(g)
    jobs = [(str(bam), str(reference), gs, flank, min_mapq, min_baseq, editor, intended or {})
            for gs in jobs_groups if gs]
    if len(jobs) <= 1:
        rows = [r for j in jobs for r in _worker(j)]
    else:
        with ProcessPoolExecutor(max_workers=threads) as ex:
            rows = [r for part in ex.map(_worker, jobs) for r in part]
    order = {s.site_id: i for i, s in enumerate(sites)}
    rows.sort(key=lambda r: order[r["site_id"]])
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=[c for c in COUNT_COLUMNS if c not in ("sample", "assay")])
    df.insert(0, "assay", assay)
    df.insert(0, "sample", sample)
    return df[list(COUNT_COLUMNS)]


WGS_SHEET_COLUMNS = ("sample", "role", "file", "control")


def read_wgs_sheet(path: str | Path, *, check_files: bool = True) -> pd.DataFrame:
    """WGS sample sheet ``sample role file control`` (schema ``workflow/schemas/samples_wgs.schema.yaml``):
    roles, unique names, files present, controls exist and have role ``control``."""
    from cgtsafe.config import read_sample_sheet

    from cgtsafe.io.sheets import check_sheet

    df = read_sample_sheet(path, required=WGS_SHEET_COLUMNS, allowed={"role": ("edited", "control")})
    check_sheet(df, "wgs", path)
    names = dict(zip(df["sample"], df["role"]))
    for i, row in enumerate(df.to_dict("records"), start=2):
        if check_files:
            if not row["file"]:
                raise InputError(f"sample {row['sample']}: column file is empty", path=path, line=i)
            if not Path(row["file"]).exists():
                raise InputError(f"sample {row['sample']}: file {row['file']!r} does not exist", path=path, line=i)
        if row["role"] == "edited":
            ctl = row["control"]
            if not ctl:
                raise InputError(f"edited sample {row['sample']} has no control", path=path, line=i)
            if ctl not in names:
                raise InputError(f"control {ctl!r} of {row['sample']} does not exist in the sheet", path=path,
                                 line=i)
            if names[ctl] != "control":
                raise InputError(f"control {ctl!r} of {row['sample']} does not have role 'control'", path=path,
                                 line=i)
        elif row["control"]:
            raise InputError(f"control sample {row['sample']} must leave column control empty", path=path, line=i)
    return df
