"""Genome-wide scan, part 2: candidates and tests of one region, the scan driver, region jobs and their merge.

See :mod:`cgtsafe.sitecheck.genomewide` for the method. A scan is a list of tasks (chunks of
``chunk_size`` bp of the regions, in reference order); ``--chunk i/n`` runs the i-th of n contiguous,
near-equal shares of them (:func:`plan_tasks`), and :func:`finalize` (sort, Benjamini-Hochberg, ids)
runs once on the union, so n region jobs merged give the same table as one unsplit run.
Coordinates: see :mod:`cgtsafe.sitecheck.genomewide`.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.alignment import open_alignment, open_checked
from cgtsafe.io.reference import ReferenceGenome
from cgtsafe.sitecheck.genomewide_count import (BASES, CHUNK_OVERLAP, CODE, Params, RegionCounts, RegionDecoder,
                                                count_region, read_regions)
from cgtsafe.sitecheck.stats import bh as _bh
from cgtsafe.sitecheck.stats import fisher_greater

COLUMNS = [
    "variant_id", "chrom", "start", "end", "pos", "ref", "alt", "type", "n_alleles", "alleles",
    "edited_alt", "edited_depth", "edited_vaf", "control_alt", "control_depth", "control_vaf",
    "p_value", "q_value", "call", "guide_like", "guide", "guide_mismatches", "guide_dna_bulge", "guide_rna_bulge",
    "guide_site_start", "guide_strand", "guide_cut", "guide_cut_distance", "gene", "feature", "nearest_gene",
    "gene_of_concern", "gene_of_concern_name", "gene_of_concern_distance",
]
#: columns of the tested candidates before q-values and annotation (the table a region job writes)
RAW_COLUMNS = ["chrom", "start", "end", "pos", "ref", "alt", "type", "n_alleles", "alleles", "edited_alt",
               "edited_depth", "edited_vaf", "control_alt", "control_depth", "control_vaf", "p_value"]
#: depth histograms (for the median depths) are capped here
DEPTH_HIST_MAX = 5000


def _fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided Fisher exact p for [[a, b], [c, d]] (edited alt/ref vs control alt/ref)."""
    p = float(fisher_greater(a, a + b, c, c + d))
    return 1.0 if np.isnan(p) else p


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as ``p``."""
    return _bh(p)


def _vcf(ref_fetch, contig: str, key: tuple) -> tuple[int, str, str, int, int]:
    """(pos 1-based, REF, ALT, span start 0-based, span end) of an indel key."""
    kind, p, x = key
    anchor = ref_fetch(contig, p - 1, p).decode() or "N"
    if kind == "D":
        return p, anchor + ref_fetch(contig, p, p + x).decode(), anchor, p, p + x
    return p, anchor, anchor + x, p, p + 1


def call_region(ed: RegionCounts, ct: RegionCounts, ref: ReferenceGenome, contig: str, params: Params,
                stats: dict, core: tuple[int, int] | None = None) -> list[dict]:
    """Tested candidates of one region (SNVs and indel loci); shared variants only counted in ``stats``.

    ``core``: the part of the counted region this call owns (chunks are counted with an overlap so that
    an indel locus on a chunk border is seen whole); SNVs and loci starting outside it are dropped.
    """
    rows: list[dict] = []
    L = ed.end - ed.start
    c0, c1 = core if core is not None else (ed.start, ed.end)
    a0, a1 = c0 - ed.start, c1 - ed.start
    rseq = np.frombuffer(ref.fetch_bytes(contig, ed.start, ed.end), dtype=np.uint8)
    rcode = CODE[rseq]
    from cgtsafe.sitecheck.genomewide_kernel import scan_positions

    n_call, hist_e, hist_c, cand = scan_positions(
        ed.bases, ct.bases, ed.depth, ct.depth, rcode, a0, a1, params.min_depth, params.min_control_depth,
        params.min_alt_reads, float(params.min_vaf), DEPTH_HIST_MAX)
    stats["callable_bp"] += int(n_call)
    stats["scanned_bp"] += c1 - c0
    _add_hist(stats, "depth_hist_e", hist_e)
    _add_hist(stats, "depth_hist_c", hist_c)
    cand_list = cand.tolist()
    _private_snvs(ed, ct, rcode, rseq, a0, a1, cand_list, params, stats)
    # ---- SNVs
    for i, b, a, n_e, c_alt, c_cnt, c_dp in cand_list:
        if c_dp < params.min_control_depth:
            stats["low_control_depth"] += 1
            continue
        if c_alt > params.max_control_alt:
            stats["shared_snv"] += 1
            continue
        pos0 = ed.start + i
        rb = BASES[int(rcode[i])]
        rows.append({
            "chrom": contig, "start": pos0, "end": pos0 + 1, "pos": pos0 + 1, "ref": rb,
            "alt": BASES[b], "type": "SNV", "n_alleles": 1, "alleles": f"{pos0 + 1}:{rb}>{BASES[b]}:{a}",
            "edited_alt": a, "edited_depth": n_e, "control_alt": c_alt, "control_depth": c_cnt,
        })
    # ---- indel loci
    for cs, ce, keys, specific, a, e_dp, c_alt, c_dp in _indel_loci(ed, ct, c0, c1, params, stats, edited=True):
        keys = sorted(keys, key=lambda k: (-specific[k], k[1], k[0], str(k[2])))
        top = keys[0]
        pos, r_, a_, _, _ = _vcf(ref.fetch_bytes, contig, top)
        alle = []
        for k in sorted(keys, key=lambda k: (k[1], k[0], str(k[2]))):
            p1, rr, aa, _, _ = _vcf(ref.fetch_bytes, contig, k)
            alle.append(f"{p1}:{rr}>{aa}:{specific[k]}")
        rows.append({
            "chrom": contig, "start": cs, "end": ce, "pos": pos, "ref": r_, "alt": a_, "type": "INDEL",
            "n_alleles": len(keys), "alleles": ";".join(alle),
            "edited_alt": a, "edited_depth": e_dp, "control_alt": c_alt, "control_depth": c_dp,
        })
    # private indel loci of both samples under the symmetric rule (the null of the editor test); the edited
    # sample's are the reported loci that reach the symmetric depth (the same loci, stricter depths)
    d_sym = max(params.min_depth, params.min_control_depth)
    loci_e = [(r["edited_alt"], r["edited_depth"], r["control_alt"], r["control_depth"]) for r in rows
              if r["type"] == "INDEL" and r["edited_depth"] >= d_sym and r["control_depth"] >= d_sym]
    loci_c = [x[4:] for x in _indel_loci(ct, ed, c0, c1, params, None, edited=False)]
    for who, loci in (("private_e", loci_e), ("private_c", loci_c)):
        n = sum(_fisher_greater(a, max(x_dp - a, 0), y_alt, max(y_dp - y_alt, 0)) <= params.alpha
                for a, x_dp, y_alt, y_dp in loci)
        if n:
            stats[who]["INDEL"] = stats[who].get("INDEL", 0) + n
    for r in rows:
        a, n_e, c, n_c = r["edited_alt"], r["edited_depth"], r["control_alt"], r["control_depth"]
        r["p_value"] = _fisher_greater(a, max(n_e - a, 0), c, max(n_c - c, 0))
        r["edited_vaf"] = a / n_e if n_e else 0.0
        r["control_vaf"] = c / n_c if n_c else 0.0
    return rows


def _indel_loci(x: RegionCounts, y: RegionCounts, c0: int, c1: int, params: Params, stats: dict | None,
                edited: bool):
    """Indel loci of sample ``x`` absent from ``y`` (``x`` = edited for the reported rows; the control for the
    symmetric null count): yields ``(start, end, allele keys, {key: reads}, x reads, x depth, y reads, y depth)``
    of loci starting in ``[c0, c1)`` that pass ``x``'s thresholds (``edited``: the scan's ``min_depth`` /
    ``min_control_depth`` and its counters in ``stats``; else the symmetric depth, counted by the caller)."""
    specific = {k: v for k, v in x.indels.items() if y.indels.get(k, 0) <= params.max_control_alt}
    if stats is not None:
        stats["shared_indel_alleles"] += sum(1 for k in x.indels if k not in specific)
    if not specific:
        return
    min_x = params.min_depth if edited else max(params.min_depth, params.min_control_depth)
    min_y = params.min_control_depth if edited else min_x
    spans = sorted((k[1], k[1] + (k[2] if k[0] == "D" else 1), k) for k in specific)
    clusters: list[list] = []
    for s, e, k in spans:
        if clusters and s <= clusters[-1][1] + params.cluster_distance:
            clusters[-1][1] = max(clusters[-1][1], e)
            clusters[-1][2].append(k)
        else:
            clusters.append([s, e, [k]])
    for cs, ce, keys in clusters:
        if not c0 <= cs < c1:
            continue
        lo, hi = cs - params.cluster_distance, ce + params.cluster_distance
        x_reads = {o[0] for o in x.indel_obs if o[1] < hi and o[2] > lo}
        y_reads = {o[0] for o in y.indel_obs if o[1] < hi and o[2] > lo}
        x_dp = int(((x.read_start <= cs) & (x.read_end >= ce)).sum()) if x.n_reads else 0
        y_dp = int(((y.read_start <= cs) & (y.read_end >= ce)).sum()) if y.n_reads else 0
        a = len(x_reads)
        if a < params.min_indel_reads or x_dp < min_x or a / max(x_dp, 1) < params.min_vaf:
            continue
        if y_dp < min_y:
            if stats is not None:
                stats["low_control_depth"] += 1
            continue
        if len(y_reads) > params.max_control_alt:
            if stats is not None:
                stats["shared_indel_loci"] += 1
            continue
        yield cs, ce, keys, specific, a, x_dp, len(y_reads), y_dp


#: pyrimidine-strand substitution classes (COSMIC SBS notation: a G or A reference base is reported as the
#: reverse complement, so C>T stands for C>T on either strand = C>T / G>A on the + strand)
SBS_CLASSES = ("C>A", "C>G", "C>T", "T>A", "T>C", "T>G")
_COMP = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}


def sbs_channel(five: str, ref: str, alt: str, three: str) -> str:
    """Trinucleotide channel of a + strand SNV in pyrimidine notation, e.g. ``T[C>T]A``
    (5' base, substitution, 3' base; N where the neighbour is not A/C/G/T or beyond the contig)."""
    if ref in "GA":
        five, ref, alt, three = _COMP[three], _COMP[ref], _COMP[alt], _COMP[five]
    return f"{five}[{ref}>{alt}]{three}"


def _private_snvs(ed: RegionCounts, ct: RegionCounts, rcode: np.ndarray, rseq: np.ndarray, a0: int, a1: int,
                  cand_e: list, params: Params, stats: dict) -> None:
    """Count the SNVs private to each sample of the pair under one symmetric rule, per trinucleotide channel
    (``stats['private_e']`` / ``['private_c']``; ``private_callable_bp``): both depths >= max(min_depth,
    min_control_depth), the sample's alt reads >= min_alt_reads and VAF >= min_vaf, the other sample's alt
    reads <= max_control_alt, one-sided Fisher p <= alpha (nominal: the same per-position rule both ways)."""
    from cgtsafe.sitecheck.genomewide_kernel import scan_positions

    d = max(params.min_depth, params.min_control_depth)
    n_sym, _, _, cand_c = scan_positions(ct.bases, ed.bases, ct.depth, ed.depth, rcode, a0, a1, d, d,
                                         params.min_alt_reads, float(params.min_vaf), 1)
    stats["private_callable_bp"] += int(n_sym)
    nb = len(rseq)
    for key, x, rows in (("private_e", ed, cand_e), ("private_c", ct, cand_c.tolist())):
        keep = [r for r in rows if x.depth[r[0]] >= d and r[6] >= d and r[4] <= params.max_control_alt]
        if not keep:
            continue
        arr = np.asarray(keep, dtype=np.int64)
        p = fisher_greater(arr[:, 2], np.maximum(arr[:, 3], arr[:, 2]), arr[:, 4], np.maximum(arr[:, 5], arr[:, 4]))
        out = stats[key]
        for (i, b, *_), pv in zip(keep, p.tolist()):
            if not pv <= params.alpha:
                continue
            five = BASES[rcode[i - 1]] if i > 0 and rcode[i - 1] < 4 else "N"
            three = BASES[rcode[i + 1]] if i + 1 < nb and rcode[i + 1] < 4 else "N"
            ch = sbs_channel(five, BASES[int(rcode[i])], BASES[b], three)
            out[ch] = out.get(ch, 0) + 1


# --------------------------------------------------------------------------------------------
# guide similarity and annotation


def guide_similarity(rows: pd.DataFrame, ref: ReferenceGenome, guides_path, nuclease_name: str, params: Params) -> pd.DataFrame:
    """Best guide-like site (fewest edits) overlapping each row's +-guide_window window."""
    out = {k: [] for k in ("guide_like", "guide", "guide_mismatches", "guide_dna_bulge", "guide_rna_bulge",
                           "guide_site_start", "guide_strand", "guide_cut", "guide_cut_distance")}
    if rows.empty or guides_path is None:
        n = len(rows)
        out["guide_like"] = [0] * n
        for k in out:
            if k != "guide_like":
                out[k] = [""] * n
        return pd.DataFrame(out, index=rows.index)
    from cgtsafe.offtarget.nuclease import get_nuclease
    from cgtsafe.offtarget.search import read_guides, search_genome

    nuc = get_nuclease(nuclease_name)
    guides = read_guides(guides_path, nuc)
    flank = params.guide_window + nuc.site_length + params.guide_max_bulges
    mini = {}
    offsets = {}
    for i, r in enumerate(rows.itertuples(index=False)):
        a = max(0, int(r.start) - flank)
        b = min(ref.lengths[r.chrom], int(r.end) + flank)
        mini[f"w{i}"] = ref.fetch_bytes(r.chrom, a, b)
        offsets[f"w{i}"] = a
    hits = search_genome(mini, guides, nuc, max_mismatches=params.guide_max_mismatches,
                         max_dna_bulge=params.guide_max_bulges, max_rna_bulge=params.guide_max_bulges)
    best: dict[str, tuple] = {}
    for h in hits.itertuples(index=False):
        i = int(str(h.chrom)[1:])
        r = rows.iloc[i]
        off = offsets[h.chrom]
        s, e = int(h.start) + off, int(h.end) + off
        if e <= int(r.start) - params.guide_window or s >= int(r.end) + params.guide_window:
            continue
        cut = int(h.cut_start) + off
        dist = 0 if int(r.start) <= cut <= int(r.end) else min(abs(cut - int(r.start)), abs(cut - int(r.end)))
        edits = int(h.mismatches) + int(h.dna_bulge) + int(h.rna_bulge)
        key = (edits, dist, int(h.dna_bulge) + int(h.rna_bulge), str(h.guide), s, str(h.strand))
        if h.chrom not in best or key < best[h.chrom][0]:
            best[h.chrom] = (key, (str(h.guide), int(h.mismatches), int(h.dna_bulge), int(h.rna_bulge), s,
                                   str(h.strand), cut, dist))
    for i in range(len(rows)):
        b = best.get(f"w{i}")
        if b is None:
            out["guide_like"].append(0)
            for k in list(out)[1:]:
                out[k].append("")
        else:
            out["guide_like"].append(1)
            for k, v in zip(list(out)[1:], b[1]):
                out[k].append(v)
    return pd.DataFrame(out, index=rows.index)




# --------------------------------------------------------------------------------------------
# driver: tasks, region jobs, merge


def _add_hist(stats: dict, key: str, h: np.ndarray) -> None:
    """Add a depth histogram (``DEPTH_HIST_MAX + 1`` bins) to ``stats[key]`` (a list of ints)."""
    old = stats[key]
    stats[key] = (np.asarray(old, dtype=np.int64) + h).tolist() if old else h.astype(np.int64).tolist()


def median_from_hist(hist: list[int]) -> float:
    """Median (as numpy.median: mean of the two middle values for an even count) of a value histogram."""
    h = np.asarray(hist, dtype=np.int64)
    n = int(h.sum())
    if n == 0:
        return 0.0
    cum = np.cumsum(h)
    lo = int(np.searchsorted(cum, (n - 1) // 2 + 1))
    hi = int(np.searchsorted(cum, n // 2 + 1))
    return (lo + hi) / 2


def new_stats() -> dict:
    return {"callable_bp": 0, "scanned_bp": 0, "low_control_depth": 0, "shared_snv": 0, "shared_indel_alleles": 0,
            "shared_indel_loci": 0, "depth_hist_e": [], "depth_hist_c": [], "records_e": {}, "records_c": {},
            "private_callable_bp": 0, "private_e": {}, "private_c": {}}


def merge_stats(parts: list[dict]) -> dict:
    """Sum the counters and histograms of several tasks or region jobs (order-independent)."""
    out = new_stats()
    for st in parts:
        for k in out:
            if k.startswith("depth_hist"):
                if st.get(k):
                    a, b = out[k], st[k]
                    out[k] = [x + y for x, y in zip(a, b)] if a else list(b)
            elif k.startswith("records_") or k in ("private_e", "private_c"):
                for c, v in st.get(k, {}).items():
                    out[k][c] = out[k].get(c, 0) + int(v)
            else:
                out[k] += int(st.get(k, 0))
    return out


def plan_tasks(lengths: dict[str, int], regions, params: Params, chunk: tuple[int, int] | None = None,
               present=None) -> list[tuple[str, int, int]]:
    """Chunks ``(contig, start, end)`` of the scan in reference order; ``chunk=(i, n)`` keeps the i-th
    (1-based) of n contiguous shares of near-equal total length. ``present``: contigs in the alignment
    headers (others have no reads and are not scanned)."""
    tasks = [(c, a, min(e, a + params.chunk_size)) for c, s, e in read_regions(regions, lengths)
             if present is None or c in present for a in range(s, e, params.chunk_size)]
    if chunk is None:
        return tasks
    i, n = chunk
    total = sum(e - s for _, s, e in tasks)
    out, acc = [], 0
    for t in tasks:
        mid = acc + (t[2] - t[1]) / 2
        if (i - 1) * total / n <= mid < i * total / n:
            out.append(t)
        acc += t[2] - t[1]
    return out


def parse_chunk(text: str) -> tuple[int, int]:
    """``i/n`` (1 <= i <= n) -> (i, n)."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise InputError(f"--chunk must be i/n (e.g. 3/10), got {text!r}") from None
    if not 1 <= i <= n:
        raise InputError(f"--chunk i/n needs 1 <= i <= n, got {text!r}")
    return i, n


def _open_pair(edited, control, ref: ReferenceGenome, contigs, check_duplicates=False):
    out = []
    try:
        for p in (edited, control):
            out.append(open_checked(p, ref, contigs=contigs, check_duplicates=check_duplicates))
    except BaseException:
        for af, _ in out:
            af.close()
        raise
    return out


def _scan_tasks(args):
    edited, control, reference, tasks, params = args
    ref = ReferenceGenome(reference)
    stats = new_stats()
    rows: list[dict] = []
    # checked against the reference by scan_raw; htslib decodes each region to raw BAM bytes (RegionDecoder)
    with RegionDecoder(edited, ref) as dec_e, RegionDecoder(control, ref) as dec_c:
        for contig, s, e in tasks:
            lo, hi = max(0, s - CHUNK_OVERLAP), min(ref.lengths[contig], e + CHUNK_OVERLAP)
            ed = count_region(dec_e, ref, contig, lo, hi, params, path=edited, core=(s, e))
            ct = count_region(dec_c, ref, contig, lo, hi, params, path=control, core=(s, e))
            for key, rc in (("records_e", ed), ("records_c", ct)):
                stats[key][contig] = stats[key].get(contig, 0) + rc.records_in_core
            rows += call_region(ed, ct, ref, contig, params, stats, core=(s, e))
    return rows, stats


def scan_raw(edited, control, reference, *, regions=None, params: Params | None = None, threads: int = 1,
             chunk: tuple[int, int] | None = None) -> tuple[pd.DataFrame, dict]:
    """Count and test the chunks of this job; return (tested candidates before BH, in task order; stats).

    The inputs are checked first (:func:`cgtsafe.io.alignment.open_checked`: contigs, sequence identity,
    index, duplicate marking)."""
    params = params or Params()
    params.check()
    ref = ReferenceGenome(reference)
    present = set(ref.lengths)
    for p in (edited, control):
        af = open_alignment(p, ref)
        present &= set(af.references)
        af.close()
    tasks = plan_tasks(ref.lengths, regions, params, chunk, present)
    contigs = sorted({t[0] for t in tasks})
    dup = {}
    for (af, info), p in zip(_open_pair(edited, control, ref, contigs, check_duplicates=True), (edited, control)):
        dup[str(p)] = info.duplicates_marked
        af.close()
    # two-sample work per group of consecutive tasks; groups keep the task order in the output
    n_groups = min(len(tasks), max(1, threads) * 4) if threads > 1 else 1
    size = -(-len(tasks) // max(1, n_groups)) if tasks else 1
    jobs = [(str(edited), str(control), str(reference), tasks[k:k + size], params)
            for k in range(0, len(tasks), size)]
    if threads > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=threads) as ex:
            results = list(ex.map(_scan_tasks, jobs))
    else:
        results = [_scan_tasks(j) for j in jobs]
    rows = [r for rws, _ in results for r in rws]
    stats = merge_stats([st for _, st in results])
    stats["duplicates_marked"] = dup
    stats["parameters_counting"] = job_key(edited, control, regions, params)
    stats["contigs_not_in_alignments"] = [c for c in ref.lengths if c not in present]
    stats["tasks"] = len(tasks)
    stats["chunk"] = f"{chunk[0]}/{chunk[1]}" if chunk else "1/1"
    df = pd.DataFrame(rows, columns=RAW_COLUMNS)
    return df, stats


def job_key(edited, control, regions, params: Params) -> dict:
    """What region jobs of one run must share (checked by the merge)."""
    return {"inputs": [str(edited), str(control)], "regions": str(regions) if regions else "whole genome",
            "parameters": {k: v for k, v in asdict(params).items() if not k.startswith("guide_")}}


def finalize(parts: list[pd.DataFrame], part_stats: list[dict], lengths: dict[str, int], params: Params
             ) -> tuple[pd.DataFrame, dict]:
    """Union of region jobs (or one whole run): total order, BH per variant class, call, ids, medians."""
    frames = [p for p in parts if len(p)]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RAW_COLUMNS)
    stats = merge_stats(part_stats)
    stats["duplicates_marked"] = {k: all(s["duplicates_marked"].get(k, True) for s in part_stats)
                                  for s0 in part_stats[:1] for k in s0.get("duplicates_marked", {})}
    stats["contigs_not_in_alignments"] = sorted({c for s in part_stats for c in s.get("contigs_not_in_alignments", [])},
                                               key=list(lengths).index)
    stats["median_edited_depth"] = median_from_hist(stats.pop("depth_hist_e"))
    stats["median_control_depth"] = median_from_hist(stats.pop("depth_hist_c"))
    order = {c: i for i, c in enumerate(lengths)}
    if not df.empty:  # tests from the integer counts (region-job tables hold rounded floats)
        a, ne, c, nc = (df[k].astype(np.int64).to_numpy() for k in ("edited_alt", "edited_depth", "control_alt",
                                                                     "control_depth"))
        p = fisher_greater(a, np.maximum(ne, a), c, np.maximum(nc, c))
        df["p_value"] = np.where(np.isnan(p), 1.0, p)
        df["edited_vaf"] = np.where(ne > 0, a / np.maximum(ne, 1), 0.0)
        df["control_vaf"] = np.where(nc > 0, c / np.maximum(nc, 1), 0.0)
        df["_o"] = df["chrom"].map(order)
        df = df.sort_values(["_o", "start", "end", "type", "alt"], kind="mergesort").drop(columns="_o")
        df = df.reset_index(drop=True)
    q = np.ones(len(df))
    for t in ("SNV", "INDEL"):
        m = (df["type"] == t).to_numpy() if len(df) else np.zeros(0, bool)
        if m.any():
            q[m] = bh(df.loc[m, "p_value"].astype(float).to_numpy())
    df["q_value"] = q
    df["call"] = (df["q_value"] <= params.alpha).astype(int) if len(df) else []
    df.insert(0, "variant_id", [f"{r.chrom}:{r.pos}:{r.type}" for r in df.itertuples()] if len(df) else [])
    stats["tested_snv"] = int((df["type"] == "SNV").sum()) if len(df) else 0
    stats["tested_indel"] = int((df["type"] == "INDEL").sum()) if len(df) else 0
    return df, stats


def scan(edited, control, reference, *, regions=None, params: Params | None = None, threads: int = 1
         ) -> tuple[pd.DataFrame, dict]:
    """Scan the genome (or ``regions``) and return (tested candidates without guide/gene columns, stats)."""
    params = params or Params()
    raw, st = scan_raw(edited, control, reference, regions=regions, params=params, threads=threads)
    return finalize([raw], [st], ReferenceGenome(reference).lengths, params)


def annotate(df: pd.DataFrame, reference, *, guides=None, nuclease: str = "SpCas9", genes=None,
             genes_of_concern=None, windows=(50000, 100000), params: Params | None = None) -> pd.DataFrame:
    params = params or Params()
    ref = ReferenceGenome(reference)
    g = guide_similarity(df, ref, guides, nuclease, params)
    df = pd.concat([df, g], axis=1)
    if genes and len(df):
        from cgtsafe.offtarget.annotate import annotate_positions

        mid = [(int(s) + int(e)) // 2 for s, e in zip(df["start"], df["end"])]
        ann = annotate_positions(list(df["chrom"]), mid, genes=genes, genes_of_concern=genes_of_concern,
                                 windows=windows)
        for k in ("gene", "feature", "nearest_gene", "gene_of_concern", "gene_of_concern_name",
                  "gene_of_concern_distance"):
            df[k] = ann[k]
    else:
        # No annotation: say so (the offtarget convention), never "0 genes of concern" (no false reassurance).
        for k in ("gene", "nearest_gene", "gene_of_concern_name"):
            df[k] = ""
        df["feature"] = "not_annotated"
        df["gene_of_concern"] = -1
        df["gene_of_concern_distance"] = -1
    return df[COLUMNS]


def expected_sensitivity(depth_e: float, depth_c: float, params: Params,
                         vafs=(0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5)) -> pd.DataFrame:
    """Power to call an edited-only indel locus of VAF f at the median depths (see module docstring)."""
    from scipy.stats import binom

    de, dc = int(round(depth_e)), int(round(depth_c))
    kmin = None
    for k in range(max(params.min_indel_reads, 1), de + 1):
        if k / max(de, 1) >= params.min_vaf and _fisher_greater(k, de - k, 0, dc) <= params.alpha:
            kmin = k
            break
    rows = []
    for f in vafs:
        power = float(binom.sf(kmin - 1, de, f)) if kmin is not None and de > 0 else 0.0
        rows.append({"vaf": f, "edited_depth": de, "control_depth": dc, "min_alt_reads_needed": kmin if kmin else -1,
                     "power": power})
    return pd.DataFrame(rows)


def check_index_counts(path, reference, counted: dict[str, int]) -> None:
    """Whole-genome scans read every record once: per contig, the mapped records read must equal the
    index's count (BAM/CSI index statistics; CRAM indexes have none and are not checked). A difference
    means an index made from another file or an earlier version of it."""
    af = open_alignment(path, reference)
    try:
        idx = {s.contig: s.mapped for s in af.get_index_statistics()}
    finally:
        af.close()
    if not any(idx.values()):
        return
    for contig, n in counted.items():
        if abs(idx.get(contig, 0) - n) > max(10, idx.get(contig, 0) // 1000):  # records without a reference span
            raise InputError(f"contig {contig}: {n} mapped records read through the index, the index says "
                             f"{idx.get(contig, 0)}: the index belongs to another file or an earlier version of "
                             f"it; re-run 'samtools index {path}'", path=path)


def complete_pair(parts: list[pd.DataFrame], part_stats: list[dict], edited, control, reference, *, sample: str,
                  control_name: str, regions=None, guides=None, nuclease: str = "SpCas9", genes=None,
                  genes_of_concern=None, windows=(50000, 100000), params: Params | None = None
                  ) -> tuple[pd.DataFrame, dict]:
    """Finalize region jobs of one pair: BH, guide similarity, genes, sensitivity (same as an unsplit run)."""
    params = params or Params()
    df, stats = finalize(parts, part_stats, ReferenceGenome(reference).lengths, params)
    if regions is None:
        check_index_counts(edited, reference, stats.pop("records_e"))
        check_index_counts(control, reference, stats.pop("records_c"))
    else:
        stats.pop("records_e"), stats.pop("records_c")
    df = annotate(df, reference, guides=guides, nuclease=nuclease, genes=genes, genes_of_concern=genes_of_concern,
                  windows=windows, params=params)
    df.insert(0, "control", control_name)
    df.insert(0, "sample", sample)
    sens = expected_sensitivity(stats["median_edited_depth"], stats["median_control_depth"], params)
    stats.update({"sample": sample, "control": control_name, "inputs": [str(edited), str(control)],
                  "sensitivity": sens.to_dict("records"), "parameters": asdict(params),
                  "regions": str(regions) if regions else "whole genome",
                  "region_jobs": len(part_stats)})
    return df, stats


def run_pair(edited, control, reference, *, sample: str, control_name: str, regions=None, guides=None,
             nuclease: str = "SpCas9", genes=None, genes_of_concern=None, windows=(50000, 100000),
             params: Params | None = None, threads: int = 1) -> tuple[pd.DataFrame, dict]:
    """Scan one edited/control pair; return the annotated table (with ``sample``/``control``) and stats."""
    params = params or Params()
    raw, st = scan_raw(edited, control, reference, regions=regions, params=params, threads=threads)
    return complete_pair([raw], [st], edited, control, reference, sample=sample, control_name=control_name,
                         regions=regions, guides=guides, nuclease=nuclease, genes=genes,
                         genes_of_concern=genes_of_concern, windows=windows, params=params)
