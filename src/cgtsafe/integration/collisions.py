"""Collisions: the same integration site in independent samples (different subjects).

A vector integrates at random, so one site in two subjects is almost always contamination or
barcode/index cross-talk (ISAnalytics ``remove_collisions``; VISPA2's collision step). The rule, as
ISAnalytics' (Calabria et al., ISAnalytics vignette "Collision removal functionality"), applied per
colliding site in order until one decides:

1. ``date``: if the sheet has ``sequencing_date`` and exactly one subject has the earliest date among
   the samples holding the site, the site belongs to that subject (a later run is the contaminated one);
2. ``replicates``: the subject in whose samples the site is seen in the most replicates (distinct
   sample x replicate), if exactly one;
3. ``ratio``: the subject with the largest total abundance, if it is >= ``ratio`` (default 10, as
   ISAnalytics' ``reads_ratio``) times the second largest;
4. otherwise the site is removed from every subject.

The site stays in the winning subject and is removed from the others. Differences from ISAnalytics:
ISAnalytics compares exact (chr, locus, strand) and read counts (``seqCount``); cgtsafe compares sites
whose merged positions lie within ``merge_distance`` bp (same chromosome and strand; each subject's
sites are merged on their own, so the same junction can land 1-2 bp apart) and the configured clone
size (``abundance``: sonic estimate, fragments or UMIs; reads are PCR-amplified and never clone size).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLLISION_COLUMNS = ["collision_id", "chrom", "position", "strand", "subject", "samples", "replicates", "abundance",
                     "first_date", "decision", "rule"]


def _clusters(sites: pd.DataFrame, distance: int) -> pd.Series:
    """Cluster id per row: same chrom/strand, sorted positions chained within ``distance`` bp."""
    d = sites[["chrom", "strand", "position"]].copy()
    d["_i"] = np.arange(len(d))
    d = d.sort_values(["chrom", "strand", "position"], kind="mergesort")
    new = ((d["chrom"] != d["chrom"].shift()) | (d["strand"] != d["strand"].shift())
           | (d["position"] - d["position"].shift() > distance))
    d["cluster"] = new.cumsum() - 1
    return d.sort_values("_i")["cluster"].reset_index(drop=True)


def resolve_collisions(sites: pd.DataFrame, replicates: pd.DataFrame | None = None, *, ratio: float = 10.0,
                       distance: int = 5, dates: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(sites without the removed rows, collision table)``: per colliding site and subject what is kept
    and what removed, and by which rule.

    ``sites``: ``sample subject chrom position strand abundance`` (one row per sample and site);
    ``replicates``: ``sample replicate chrom position strand`` rows (seen per replicate; optional);
    ``dates``: sample -> sequencing date (ISO text, compared as text). Returns :data:`COLLISION_COLUMNS`
    (empty when there is no collision); ``position`` is the subject's merged site (1-based; the smallest
    when the subject has several within the colliding cluster).
    """
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in COLLISION_COLUMNS})
    if sites.empty or sites["subject"].nunique() < 2:
        return sites, empty
    s = sites.reset_index(drop=True).copy()
    s["cluster"] = _clusters(s, distance)
    per = s.groupby("cluster")["subject"].nunique()
    coll = s[s["cluster"].isin(per[per > 1].index)].copy()
    if coll.empty:
        return sites, empty
    if replicates is not None and len(replicates):
        r = replicates[["sample", "replicate", "chrom", "position", "strand"]].drop_duplicates()
        nrep = r.groupby(["sample", "chrom", "position", "strand"]).size().rename("_nrep").reset_index()
        coll = coll.merge(nrep, on=["sample", "chrom", "position", "strand"], how="left")
        coll["_nrep"] = coll["_nrep"].fillna(1).astype(int)
    else:
        coll["_nrep"] = 1
    coll["_date"] = [str((dates or {}).get(x, "") or "") for x in coll["sample"]]
    rows, removed = [], set()
    for k, (_cl, g) in enumerate(coll.groupby("cluster", sort=True), start=1):
        by = g.groupby("subject", sort=True).agg(
            position=("position", "min"), samples=("sample", lambda x: ",".join(sorted(set(x)))),
            replicates=("_nrep", "sum"), abundance=("abundance", "sum"),
            first_date=("_date", lambda x: min([v for v in x if v], default="")))
        winner, rule = None, "none"
        dated = by[by["first_date"] != ""]
        if dates and len(dated) == len(by):
            first = dated["first_date"].min()
            if (dated["first_date"] == first).sum() == 1:
                winner, rule = dated.index[dated["first_date"] == first][0], "date"
        if winner is None:
            top = by["replicates"].max()
            if (by["replicates"] == top).sum() == 1:
                winner, rule = by.index[by["replicates"] == top][0], "replicates"
        if winner is None:
            ab = by["abundance"].sort_values(ascending=False, kind="mergesort")
            if len(ab) > 1 and ab.iloc[0] > 0 and ab.iloc[0] >= ratio * ab.iloc[1]:
                winner, rule = ab.index[0], "ratio"
        chrom, strand = g["chrom"].iloc[0], g["strand"].iloc[0]
        removed |= {(a, c, int(p), st) for a, c, p, st, subj in
                    zip(g["sample"], g["chrom"], g["position"], g["strand"], g["subject"]) if subj != winner}
        for subj, row in by.iterrows():
            rows.append([k, chrom, int(row["position"]), strand, subj, row["samples"], int(row["replicates"]),
                         float(row["abundance"]), row["first_date"], "kept" if subj == winner else "removed", rule])
    keep = [(a, c, int(p), st) not in removed
            for a, c, p, st in zip(sites["sample"], sites["chrom"], sites["position"], sites["strand"])]
    return sites[np.asarray(keep, dtype=bool)].reset_index(drop=True), pd.DataFrame(rows, columns=COLLISION_COLUMNS)
