"""On-target structural outcomes: large deletions and translocations at the cut sites (edited vs control).

Double-strand breaks can be repaired into kilobase deletions and, with several breaks in one cell
(on-target + off-target, or multiplexed guides), into translocations. This module looks for them in
paired-end WGS of the edited sample and its matched control, within ``max_distance`` bp of the cut
sites of the candidate-site table.

Evidence (reads: primary, not duplicate/secondary/QC-fail, MAPQ >= ``min_mapq``):

* **split reads**: a primary alignment with an ``SA`` tag whose supplementary piece has MAPQ >=
  ``min_mapq``; the junction is read in query order: the piece clipped on its right ends at ``posL``,
  the piece clipped on its left starts at ``posR``. Junctions are written ``(chromL, posL) ->
  (chromR, posR)``: the sequence of ``chromL`` left of ``posL`` continues with ``chromR`` from
  ``posR`` on (both on the + strand; pieces on opposite strands are ``INV``-type and reported as such).
* **discordant pairs**: a forward read and its reverse mate on another contig, or on the same contig
  with an insert > ``max_insert`` (or the reverse read left of the forward one): evidence for a
  junction between the forward read's end and the mate's start.

Split-read junctions within ``tolerance`` bp are clustered (precise events, breakpoint = the most
frequent position); discordant pairs are added to a precise event when compatible (forward read
ends within ``[posL - max_insert, posL + tolerance]``, mate starts within ``[posR - tolerance,
posR + max_insert]``), otherwise they form imprecise events (``precise = 0``; breakpoints = last
forward-read base / first mate base). Two junctions ``A:x -> B:y`` and ``B:y' -> A:x'`` with
``|x - x'|, |y - y'| <= reciprocal_tolerance`` are one reciprocal translocation. Types: ``DEL``
(same contig, ``posR > posL``), ``DUP`` (same contig, ``posR <= posL``), ``TRA`` (two contigs), ``INV``.
Only events with every breakpoint within ``max_distance`` of a cut site are kept. Breakpoints are
attributed to the nearest cut site, except for deletions/duplications, which are attributed to the
cut site(s) inside ``[pos1, pos2]`` (the spanned cut nearest to each breakpoint).

Counting and test: ``support`` = distinct fragments (split or discordant) of the event;
``ref`` = proper pairs whose fragment covers a breakpoint +- ``ref_margin`` bp (reference allele),
summed over breakpoints. The frequency (fraction of alleles) is
``support / (support + ref * junctions / breakpoints)`` (a DEL has one junction and two breakpoints,
a reciprocal TRA two and two), with a Clopper-Pearson 95 % interval. Edited vs control: one-sided
Fisher test on ``[[support_e, ref'_e], [support_c, ref'_c]]``, Benjamini-Hochberg over events; ``call``
= q <= ``alpha`` and ``support_e >= min_support``; ``detected`` = ``support_e >= min_support`` and the
control has no support (weaker evidence than ``call`` when depth is low: at 30x a 5 % event has
only ~2 supporting fragments, which cannot reach significance on its own).

Coordinates of ``structural_events.tsv`` (0-based): DEL ``pos1`` = first deleted base, ``pos2`` =
first base after the deletion; TRA ``chrom1`` left of ``pos1`` is joined to ``chrom2`` from ``pos2``
on (``chrom1`` first in reference order); the reciprocal junction joins ``chrom2`` left of ``pos2``
to ``chrom1`` from ``pos1``. ``cut1``/``cut2``: 0-based cut (base right of the break) of the
assigned sites.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.alignment import duplicate_marking_notes, open_checked, read_error
from cgtsafe.io.reference import ReferenceGenome

_CIG = re.compile(r"(\d+)([MIDNSHP=X])")

COLUMNS = [
    "event_id", "type", "chrom1", "pos1", "chrom2", "pos2", "size", "precise", "n_junctions",
    "site_id1", "cut1", "cut_distance1", "site_id2", "cut2", "cut_distance2",
    "edited_split", "edited_discordant", "edited_support", "edited_ref", "edited_frequency",
    "edited_freq_low", "edited_freq_high", "control_split", "control_discordant", "control_support", "control_ref",
    "control_frequency", "p_value", "q_value", "detected", "call",
]


@dataclass
class SVParams:
    min_mapq: int = 20
    max_distance: int = 10000
    max_insert: int = 1000
    tolerance: int = 10
    reciprocal_tolerance: int = 50
    ref_margin: int = 10
    min_support: int = 2
    alpha: float = 0.05

    def check(self) -> None:
        for k, v in asdict(self).items():
            if k == "alpha":
                if not 0 < v < 1:
                    raise InputError(f"alpha must be within (0, 1), got {v!r}")
            elif not isinstance(v, (int, np.integer)) or v < 0:
                raise InputError(f"{k} must be a non-negative integer, got {v!r}")
        if self.min_support < 1:
            raise InputError("min_support must be >= 1")


@dataclass(frozen=True)
class Junction:
    chrom_l: str
    pos_l: int
    chrom_r: str
    pos_r: int
    inverted: bool = False


def _cigar_span(cigar: str) -> tuple[int, int, int]:
    """(left clip, reference length, right clip) of a CIGAR string."""
    ops = [(int(n), op) for n, op in _CIG.findall(cigar)]
    lc = ops[0][0] if ops and ops[0][1] in "SH" else 0
    rc = ops[-1][0] if len(ops) > 1 and ops[-1][1] in "SH" else 0
    ref_len = sum(n for n, op in ops if op in "MDN=X")
    return lc, ref_len, rc


def read_cut_sites(path: str | Path) -> pd.DataFrame:
    """Candidate sites (``site_id chrom cut_start``; ``cut_end`` optional) as a frame."""
    from cgtsafe.io.tables import read_table

    df = read_table(path, required=("site_id", "chrom", "cut_start"), what="candidate-site table")
    try:
        df["cut"] = df["cut_start"].astype(int)
    except ValueError:
        bad = next(i for i, v in enumerate(df["cut_start"], start=2) if not str(v).lstrip("-").isdigit())
        raise InputError("column cut_start must be an integer", path=path, line=bad) from None
    return df[["site_id", "chrom", "cut"]].drop_duplicates().reset_index(drop=True)


def _windows(sites: pd.DataFrame, lengths: dict[str, int], pad: int) -> list[tuple[str, int, int]]:
    by: dict[str, list[list[int]]] = defaultdict(list)
    for c, cut in zip(sites["chrom"], sites["cut"]):
        if c not in lengths:
            continue
        by[c].append([max(0, cut - pad), min(lengths[c], cut + pad)])
    out = []
    for c in lengths:
        merged: list[list[int]] = []
        for s, e in sorted(by.get(c, [])):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        out += [(c, s, e) for s, e in merged]
    return out


@dataclass
class Evidence:
    split: list  # (Junction, qname)
    discordant: list  # (chrom_l, end_l, chrom_r, start_r, qname)


def collect_evidence(af, windows, params: SVParams) -> Evidence:
    split: list = []
    disc: list = []
    seen_split: set = set()
    seen_disc: set = set()
    for c, s, e in windows:
        for r in af.fetch(c, s, e):
            fl = r.flag
            if fl & (0x4 | 0x100 | 0x200 | 0x400 | 0x800) or r.mapping_quality < params.min_mapq:
                continue
            q = r.query_name
            if r.has_tag("SA"):
                cig = r.cigarstring
                plc, _, prc = _cigar_span(cig)
                p_rev = r.is_reverse
                for ent in str(r.get_tag("SA")).rstrip(";").split(";"):
                    f = ent.split(",")
                    if len(f) < 6 or int(f[4]) < params.min_mapq:
                        continue
                    sc, spos, sstrand, scig = f[0], int(f[1]) - 1, f[2], f[3]
                    slc, slen, src = _cigar_span(scig)
                    inverted = (sstrand == "-") != p_rev
                    if prc > plc and slc > src:
                        j = Junction(r.reference_name, r.reference_end, sc, spos, inverted)
                    elif plc > prc and src > slc:
                        j = Junction(sc, spos + slen, r.reference_name, r.reference_start, inverted)
                    else:
                        continue
                    key = (j, q, r.is_read1)
                    if key not in seen_split:
                        seen_split.add(key)
                        split.append((j, q))
            if (fl & 0x1) and not (fl & 0x8) and not r.is_reverse and r.mate_is_reverse:
                other = r.next_reference_name
                far = other != r.reference_name or (r.next_reference_start + 1 - r.reference_start > params.max_insert)
                wrong = other == r.reference_name and r.next_reference_start < r.reference_start
                if (far or wrong) and q not in seen_disc:
                    seen_disc.add(q)
                    disc.append((r.reference_name, r.reference_end, other, r.next_reference_start, q))
    return Evidence(split, disc)


def count_reference(af, chrom: str, pos: int, params: SVParams) -> int:
    """Proper pairs whose fragment covers ``pos`` +- ref_margin (each fragment once, via its leftmost read)."""
    n = 0
    lo, hi = pos - params.ref_margin, pos + params.ref_margin
    for r in af.fetch(chrom, max(0, pos - params.max_insert), pos + 1):
        fl = r.flag
        if fl & (0x4 | 0x100 | 0x200 | 0x400 | 0x800) or not fl & 0x2 or r.mapping_quality < params.min_mapq:
            continue
        t = r.template_length
        if t <= 0 or t > params.max_insert:
            continue
        if r.reference_start <= lo and r.reference_start + t >= hi:
            # a read that itself is clipped at the breakpoint is not reference evidence
            if r.has_tag("SA"):
                continue
            n += 1
    return n


def _cluster_split(split, tol: int):
    groups: dict[tuple, list] = defaultdict(list)
    for j, q in split:
        groups[(j.chrom_l, j.chrom_r, j.inverted)].append((j.pos_l, j.pos_r, q))
    events = []
    for (cl, cr, inv), items in sorted(groups.items()):
        items.sort()
        clusters: list[list] = []
        for pl, pr, q in items:
            for cl_ in clusters:
                if abs(pl - cl_[0][0]) <= tol and abs(pr - cl_[0][1]) <= tol:
                    cl_.append((pl, pr, q))
                    break
            else:
                clusters.append([(pl, pr, q)])
        for cl_ in clusters:
            pl = Counter(x[0] for x in cl_).most_common()
            pr = Counter(x[1] for x in cl_).most_common()
            pl = min(p for p, n in pl if n == pl[0][1])
            pr = min(p for p, n in pr if n == pr[0][1])
            events.append({"j": Junction(cl, pl, cr, pr, inv), "precise": 1, "split": {x[2] for x in cl_},
                           "disc": set()})
    return events


def _compatible(j: Junction, d, params: SVParams) -> bool:
    cl, el, cr, sr, _ = d
    return (cl == j.chrom_l and cr == j.chrom_r and j.pos_l - params.max_insert <= el <= j.pos_l + params.tolerance
            and j.pos_r - params.tolerance <= sr <= j.pos_r + params.max_insert)


def junction_events(ev: Evidence, params: SVParams) -> list[dict]:
    events = _cluster_split(ev.split, params.tolerance)
    rest = []
    for d in ev.discordant:
        hit = [e for e in events if _compatible(e["j"], d, params)]
        if hit:
            hit[0]["disc"].add(d[4])
        else:
            rest.append(d)
    # imprecise events from the remaining discordant pairs
    rest.sort(key=lambda d: (d[0], d[2], d[1], d[3]))
    groups: list[list] = []
    for d in rest:
        for g in groups:
            h = g[0]
            if h[0] == d[0] and h[2] == d[2] and abs(h[1] - d[1]) <= params.max_insert and abs(h[3] - d[3]) <= params.max_insert:
                g.append(d)
                break
        else:
            groups.append([d])
    for g in groups:
        j = Junction(g[0][0], max(x[1] for x in g), g[0][2], min(x[3] for x in g), False)
        events.append({"j": j, "precise": 0, "split": set(), "disc": {x[4] for x in g}})
    return events


def _support_in(ev: Evidence, j: Junction, params: SVParams) -> tuple[set, set]:
    split = {q for jj, q in ev.split if jj.chrom_l == j.chrom_l and jj.chrom_r == j.chrom_r
             and jj.inverted == j.inverted and abs(jj.pos_l - j.pos_l) <= params.tolerance
             and abs(jj.pos_r - j.pos_r) <= params.tolerance}
    disc = {d[4] for d in ev.discordant if _compatible(j, d, params)}
    return split, disc


def _nearest_site(sites: pd.DataFrame, chrom: str, pos: int, max_d: int):
    sub = sites[sites["chrom"] == chrom]
    if sub.empty:
        return None
    d = (sub["cut"] - pos).abs()
    i = int(np.argmin(d.to_numpy()))
    if int(d.iloc[i]) > max_d:
        return None
    return sub.iloc[i]["site_id"], int(sub.iloc[i]["cut"]), int(pos - sub.iloc[i]["cut"])


def _clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    from scipy.stats import beta

    if n == 0:
        return 0.0, 1.0
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def detect(edited, control, reference, sites_path, *, params: SVParams | None = None) -> tuple[pd.DataFrame, dict]:
    """Structural events near the cut sites, edited vs control (see the module docstring)."""
    from cgtsafe.sitecheck.genomewide_call import _fisher_greater

    params = params or SVParams()
    params.check()
    ref = ReferenceGenome(reference)
    sites = read_cut_sites(sites_path)
    sites = sites[sites["chrom"].isin(list(ref.lengths))].reset_index(drop=True)
    if sites.empty:
        raise InputError("no candidate site lies on a contig of the reference", path=sites_path)
    contigs = sorted(set(sites["chrom"]))
    af_e, info_e = open_checked(edited, ref, contigs=contigs, check_duplicates=True)
    try:
        af_c, info_c = open_checked(control, ref, contigs=contigs, check_duplicates=True)
    except BaseException:
        af_e.close()
        raise
    try:
        win = _windows(sites, ref.lengths, params.max_distance + params.max_insert)
        evs = []
        for af, path in ((af_e, edited), (af_c, control)):
            try:
                evs.append(collect_evidence(af, win, params))
            except (OSError, ValueError) as exc:
                raise read_error(exc, path) from None
        ev_e, ev_c = evs
        juncs = junction_events(ev_e, params)
        order = {c: i for i, c in enumerate(ref.lengths)}
        # keep junctions whose both breakpoints are near a cut
        kept = []
        for e in juncs:
            j = e["j"]
            s1 = _nearest_site(sites, j.chrom_l, j.pos_l, params.max_distance)
            s2 = _nearest_site(sites, j.chrom_r, j.pos_r, params.max_distance)
            if s1 is None or s2 is None:
                continue
            e["s1"], e["s2"] = s1, s2
            kept.append(e)
        # pair reciprocal translocation junctions
        used = set()
        events = []
        for i, e in enumerate(kept):
            if i in used:
                continue
            j = e["j"]
            group = [e]
            used.add(i)
            if j.chrom_l != j.chrom_r:
                for k in range(i + 1, len(kept)):
                    if k in used:
                        continue
                    o = kept[k]["j"]
                    if (o.chrom_l == j.chrom_r and o.chrom_r == j.chrom_l
                            and abs(o.pos_l - j.pos_r) <= params.reciprocal_tolerance
                            and abs(o.pos_r - j.pos_l) <= params.reciprocal_tolerance):
                        group.append(kept[k])
                        used.add(k)
                        break
            events.append(group)
        rows = []
        for group in events:
            # orient: the junction whose left contig comes first in reference order is the primary one
            group.sort(key=lambda e: (order[e["j"].chrom_l], e["j"].pos_l, order[e["j"].chrom_r], e["j"].pos_r))
            main = group[0]
            j = main["j"]
            if j.inverted:
                typ = "INV"
            elif j.chrom_l != j.chrom_r:
                typ = "TRA"
            else:
                typ = "DEL" if j.pos_r > j.pos_l else "DUP"
            if typ == "TRA" and len(group) == 1 and order[j.chrom_l] > order[j.chrom_r]:
                pos1_chrom, pos1, pos2_chrom, pos2 = j.chrom_r, j.pos_r, j.chrom_l, j.pos_l
                s1, s2 = main["s2"], main["s1"]
            else:
                pos1_chrom, pos1, pos2_chrom, pos2 = j.chrom_l, j.pos_l, j.chrom_r, j.pos_r
                s1, s2 = main["s1"], main["s2"]
            if typ in ("DEL", "DUP"):
                # a deletion is attributed to the cut site(s) it removes (resection can put both breakpoints
                # kilobases away from the cut): the spanned cut nearest to each breakpoint
                # (an imprecise deletion lies within [pos1, pos2]: pos1 is the last base of the forward
                # reads, pos2 the first base of their mates)
                lo_, hi_ = min(pos1, pos2), max(pos1, pos2)
                inside = sites[(sites["chrom"] == pos1_chrom) & (sites["cut"] >= lo_) & (sites["cut"] <= hi_)]
                if len(inside):
                    cuts = inside["cut"].to_numpy()
                    i1 = int(np.argmin(np.abs(cuts - pos1)))
                    i2 = int(np.argmin(np.abs(cuts - pos2)))
                    s1 = (inside.iloc[i1]["site_id"], int(cuts[i1]), 0)
                    s2 = (inside.iloc[i2]["site_id"], int(cuts[i2]), 0)
            n_j = 2 if typ == "TRA" else 1  # a translocation is reciprocal (two junctions) by assumption
            size = abs(pos2 - pos1) if typ in ("DEL", "DUP") else ""
            e_split = set().union(*(e["split"] for e in group))
            e_disc = set().union(*(e["disc"] for e in group)) - e_split
            c_split, c_disc = set(), set()
            for e in group:
                cs, cd = _support_in(ev_c, e["j"], params)
                c_split |= cs
                c_disc |= cd
            c_disc -= c_split
            if typ == "TRA" and len(group) == 1:  # look for the reciprocal junction's support too
                recip = Junction(j.chrom_r, j.pos_r, j.chrom_l, j.pos_l, False)
                es, ed = _support_in(ev_e, recip, params)
                e_split |= es
                e_disc |= ed - e_split
                cs, cd = _support_in(ev_c, recip, params)
                c_split |= cs
                c_disc |= cd - c_split
            bps = [(pos1_chrom, pos1), (pos2_chrom, pos2)]
            e_ref = sum(count_reference(af_e, c, p, params) for c, p in bps)
            c_ref = sum(count_reference(af_c, c, p, params) for c, p in bps)
            scale = n_j / len(bps)
            e_sup, c_sup = len(e_split | e_disc), len(c_split | c_disc)
            e_refs = int(round(e_ref * scale))
            c_refs = int(round(c_ref * scale))
            e_n = e_sup + e_refs
            c_n = c_sup + c_refs
            lo, hi = _clopper_pearson(e_sup, e_n)
            rows.append({
                "type": typ, "chrom1": pos1_chrom, "pos1": pos1, "chrom2": pos2_chrom, "pos2": pos2, "size": size,
                "precise": main["precise"], "n_junctions": len(group),
                "site_id1": s1[0], "cut1": s1[1], "cut_distance1": pos1 - s1[1],
                "site_id2": s2[0], "cut2": s2[1], "cut_distance2": pos2 - s2[1],
                "edited_split": len(e_split), "edited_discordant": len(e_disc), "edited_support": e_sup,
                "edited_ref": e_ref, "edited_frequency": e_sup / e_n if e_n else 0.0,
                "edited_freq_low": lo, "edited_freq_high": hi,
                "control_split": len(c_split), "control_discordant": len(c_disc), "control_support": c_sup,
                "control_ref": c_ref, "control_frequency": c_sup / c_n if c_n else 0.0,
                "p_value": _fisher_greater(e_sup, e_refs, c_sup, c_refs),
            })
    finally:
        af_e.close()
        af_c.close()
    df = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("event_id", "q_value", "detected", "call")])
    if not df.empty:
        df["_o1"] = df["chrom1"].map(order)
        df["_o2"] = df["chrom2"].map(order)
        df = df.sort_values(["_o1", "pos1", "_o2", "pos2", "type"], kind="mergesort").drop(columns=["_o1", "_o2"])
        df = df.reset_index(drop=True)
    from cgtsafe.sitecheck.stats import bh

    df["q_value"] = bh(df["p_value"].to_numpy()) if len(df) else []
    df["detected"] = ((df["edited_support"] >= params.min_support) & (df["control_support"] == 0)).astype(int) \
        if len(df) else []
    df["call"] = ((df["q_value"] <= params.alpha) & (df["edited_support"] >= params.min_support)).astype(int) \
        if len(df) else []
    df.insert(0, "event_id", [f"{r.type}:{r.chrom1}:{r.pos1}:{r.chrom2}:{r.pos2}" for r in df.itertuples()]
              if len(df) else [])
    stats = {"sites": int(len(sites)), "windows": len(win), "edited_split_reads": len(ev_e.split),
             "edited_discordant_pairs": len(ev_e.discordant), "control_split_reads": len(ev_c.split),
             "control_discordant_pairs": len(ev_c.discordant), "junctions_far_from_cuts": len(juncs) - len(kept),
             "duplicates_marked": {str(edited): info_e.duplicates_marked, str(control): info_c.duplicates_marked}}
    return df[COLUMNS], stats


def build_summary(tables: list[pd.DataFrame], stats: list[dict], params: dict, *, table_name: str) -> tuple[
        pd.DataFrame, dict]:
    """Merge per-pair event tables and write the summary fragment."""
    df = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["sample", "control", *COLUMNS])
    df = df.sort_values(["sample"], kind="mergesort").reset_index(drop=True)
    det = df[df["detected"].astype(int) == 1] if len(df) else df
    called = df[df["call"].astype(int) == 1] if len(df) else df

    def n(frame, t):
        return int((frame["type"] == t).sum()) if len(frame) else 0

    top = ""
    if len(det):
        best = det.sort_values("edited_frequency", ascending=False, kind="mergesort").iloc[0]
        top = (f"{best['type']} {best['chrom1']}:{best['pos1']}-{best['chrom2']}:{best['pos2']} "
               f"{100 * float(best['edited_frequency']):.2g} % "
               f"(95 % CI {100 * float(best['edited_freq_low']):.2g}-{100 * float(best['edited_freq_high']):.2g} %)")
    p = params
    key = [
        {"label_en": "Large deletions detected (edited only)", "label_zh": "检出的大片段缺失（仅编辑样本）",
         "value": n(det, "DEL")},
        {"label_en": "Translocations detected (edited only)", "label_zh": "检出的染色体易位（仅编辑样本）",
         "value": n(det, "TRA")},
        {"label_en": "Structural events significant vs control (BH q <= alpha)",
         "label_zh": "与对照相比显著的结构变异（BH q ≤ alpha）", "value": int(len(called))},
        {"label_en": "Events with support in the control", "label_zh": "对照中有支持证据的事件",
         "value": int((df["control_support"].astype(int) > 0).sum()) if len(df) else 0},
        {"label_en": "Most frequent event", "label_zh": "频率最高的事件", "value": top or "none"},
    ]
    methods_en = (
        f"Structural outcomes within {p['max_distance']} bp of the cut sites: split reads (SA tag, supplementary MAPQ "
        f">= {p['min_mapq']}) clustered within {p['tolerance']} bp and discordant pairs (other contig or insert > "
        f"{p['max_insert']} bp); reciprocal translocation junctions paired within {p['reciprocal_tolerance']} bp. "
        f"Frequency = supporting fragments / (supporting + reference fragments spanning the breakpoints), "
        f"Clopper-Pearson 95 % interval; one-sided Fisher test edited vs control with Benjamini-Hochberg; an event "
        f"is 'detected' with >= {p['min_support']} supporting fragments and none in the control, 'called' when also "
        f"q <= {p['alpha']}. At ~30x a 5 % event has only about two supporting fragments: absence of a call is not "
        f"evidence of absence below ~10-20 % frequency; targeted long-range methods are needed for lower limits."
    )
    methods_zh = (
        f"在切割位点 {p['max_distance']} bp 范围内分析结构性结果：拆分读段（SA 标签，补充比对 MAPQ ≥ {p['min_mapq']}）"
        f"在 {p['tolerance']} bp 内聚类，异常配对读段（比对到其他染色体或插入片段 > {p['max_insert']} bp）；相互易位的两个"
        f"连接点在 {p['reciprocal_tolerance']} bp 内配对。频率 = 支持片段 /（支持片段 + 跨越断点的参考片段），"
        f"给出 Clopper-Pearson 95 % 置信区间；编辑与对照之间进行单侧 Fisher 检验并做 Benjamini-Hochberg 校正；"
        f"支持片段 ≥ {p['min_support']} 且对照中无支持时判为“检出”，同时 q ≤ {p['alpha']} 时判为“显著”。约 30x 深度下"
        f"5 % 频率的事件仅有约两个支持片段：未检出不能证明频率低于约 10-20 %，更低的检测限需采用靶向长片段方法。"
    )
    dup_excl, dup_en, dup_zh = duplicate_marking_notes(stats)
    summary = {
        "key_figures": key,
        "tables": [{"id": "sitecheck_structural_events", "title_en": "Structural events at the cut sites",
                    "title_zh": "切割位点处的结构变异事件", "path": table_name,
                    "description_en": "Large deletions and translocations, edited vs control; positions 0-based.",
                    "description_zh": "大片段缺失与易位（编辑 vs 对照）；坐标为 0 起始。"}],
        "figures": [],
        "methods_en": methods_en + dup_en,
        "methods_zh": methods_zh + dup_zh,
        "exclusions": dup_excl,
        "inputs": sorted({x for s in stats for x in s.get("inputs", [])}),
        "parameters": {"structural": p, "pairs": stats},
    }
    return df, summary


def events_figure(df: pd.DataFrame) -> str:
    """Plotly JSON: event frequency in edited and control with the Clopper-Pearson 95 % interval."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if len(df):
        x = [f"{s} {e}" for s, e in zip(df["sample"], df["event_id"])]
        f = df["edited_frequency"].astype(float)
        fig.add_trace(go.Bar(x=x, y=f.round(6).tolist(), name="edited / 编辑样本",
                             error_y={"type": "data", "symmetric": False,
                                      "array": (df["edited_freq_high"].astype(float) - f).round(6).tolist(),
                                      "arrayminus": (f - df["edited_freq_low"].astype(float)).round(6).tolist()}))
        fig.add_trace(go.Bar(x=x, y=df["control_frequency"].astype(float).round(6).tolist(), name="control / 对照"))
    fig.update_layout(title="Structural events at the cut sites (95 % CI) / 切割位点结构变异频率（95 % 置信区间）",
                      barmode="group", yaxis={"title": "fraction of alleles / 等位基因比例"},
                      xaxis={"title": "event / 事件"})
    return fig.to_json() + "\n"
