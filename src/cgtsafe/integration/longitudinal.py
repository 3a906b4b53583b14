"""Clones over time, expansion flags and the ISAnalytics-compatible integration matrix.

A clone is a merged site (``chrom``, ``position`` 1-based, ``strand``) of one subject; its id is
``chrom:position:strand``. Sites are merged across all samples of a subject (see
:mod:`cgtsafe.integration.fragments`), so the same clone has the same id at every time point.

Trajectories are followed per (subject, cell_type) across time points, ordered by
``timepoint_days`` when the sample sheet has it, else by the ``timepoint`` label. Several samples
at one time point (replicates) are pooled: shares are recomputed from the summed abundance.

Expansion rule (``expansion.threshold``, ``expansion.fold``): with ``first_share`` the clone's share
at the earliest time point and ``last_share`` its share at the latest, the clone is *expanding*
when ``last_share >= threshold`` and ``last_share / max(first_share, floor) >= fold``; ``floor`` is
the detection limit of the first time point (one unit of abundance, ``1 / total abundance``),
so a clone absent at first and large later counts as expanded. Groups with fewer than two time
points are not assessed (``assessed = 0``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def timepoint_order(sheet: pd.DataFrame) -> pd.DataFrame:
    """Sample sheet with ``tp_rank`` (0-based order of time points within the sheet)."""
    s = sheet.copy()
    if "cell_type" not in s:
        s["cell_type"] = "all"
    if "subject" not in s:
        s["subject"] = "all"
    if "timepoint" not in s:
        s["timepoint"] = s["sample"]
    if "timepoint_days" in s and (s["timepoint_days"].astype(str) != "").all():
        key = pd.to_numeric(s["timepoint_days"], errors="coerce")
        if key.isna().any():
            from cgtsafe.errors import InputError

            bad = s.loc[key.isna(), "timepoint_days"].iloc[0]
            raise InputError(f"sample sheet column timepoint_days: expected a number, got {bad!r} "
                             f"(line {int(key.isna().to_numpy().argmax()) + 2})")
        tps = s.assign(_k=key).drop_duplicates("timepoint").sort_values(["_k", "timepoint"], kind="mergesort")
    else:
        tps = s.drop_duplicates("timepoint").sort_values("timepoint", kind="mergesort")
    rank = {t: i for i, t in enumerate(tps["timepoint"])}
    s["tp_rank"] = s["timepoint"].map(rank).astype(int)
    return s


def trajectories(sites: pd.DataFrame, sheet: pd.DataFrame) -> pd.DataFrame:
    """Long table: subject, cell_type, clone_id, timepoint, tp_rank, abundance, share (0 when absent)."""
    s = timepoint_order(sheet)
    cols = ["subject", "cell_type", "clone_id", "chrom", "position", "strand", "timepoint", "tp_rank",
            "abundance", "share"]
    if sites.empty:
        return pd.DataFrame(columns=cols)
    d = sites.merge(s[["sample", "cell_type", "timepoint", "tp_rank"]], on="sample", how="left")
    d["clone_id"] = d["chrom"].astype(str) + ":" + d["position"].astype(str) + ":" + d["strand"].astype(str)
    agg = d.groupby(["subject", "cell_type", "clone_id", "chrom", "position", "strand", "timepoint", "tp_rank"],
                    sort=True)["abundance"].sum().reset_index()
    tot = agg.groupby(["subject", "cell_type", "timepoint"])["abundance"].transform("sum")
    agg["share"] = np.where(tot > 0, agg["abundance"] / tot.where(tot > 0, 1.0), 0.0)
    # add zero rows for time points at which a clone is absent (same subject/cell type)
    out = []
    grid = s.drop_duplicates(["subject", "cell_type", "timepoint"])[["subject", "cell_type", "timepoint", "tp_rank"]]
    for (subj, ct), grp in agg.groupby(["subject", "cell_type"], sort=True):
        tps = grid[(grid["subject"] == subj) & (grid["cell_type"] == ct)]
        clones = grp.drop_duplicates("clone_id")[["subject", "cell_type", "clone_id", "chrom", "position", "strand"]]
        full = clones.merge(tps[["timepoint", "tp_rank"]], how="cross")
        full = full.merge(grp[["clone_id", "timepoint", "abundance", "share"]], on=["clone_id", "timepoint"], how="left")
        out.append(full.fillna({"abundance": 0.0, "share": 0.0}))
    res = pd.concat(out, ignore_index=True)
    return res.sort_values(["subject", "cell_type", "clone_id", "tp_rank"], kind="mergesort").reset_index(drop=True)[cols]


def expansion(traj: pd.DataFrame, annotation: pd.DataFrame, *, threshold: float = 0.05, fold: float = 2.0) -> pd.DataFrame:
    """One row per (subject, cell_type, clone) with first/last/max share, fold and flags."""
    cols = ["subject", "cell_type", "clone_id", "chrom", "position", "strand", "nearest_gene", "gene_of_concern",
            "goc_distance", "first_timepoint", "last_timepoint", "n_timepoints_detected", "first_share",
            "last_share", "max_share", "fold", "assessed", "expanding", "expanding_near_goc"]
    if traj.empty:
        return pd.DataFrame(columns=cols)
    keys = ["subject", "cell_type", "clone_id"]
    t = traj.sort_values(keys + ["tp_rank"], kind="mergesort").assign(det=lambda x: (x["abundance"] > 0).astype(int))
    g = t.groupby(keys, sort=True)
    out = g.agg(chrom=("chrom", "first"), position=("position", "first"), strand=("strand", "first"),
                first_timepoint=("timepoint", "first"), last_timepoint=("timepoint", "last"),
                first_rank=("tp_rank", "first"), n_tp=("tp_rank", "size"), n_timepoints_detected=("det", "sum"),
                first_share=("share", "first"), last_share=("share", "last"), max_share=("share", "max")).reset_index()
    totals = traj.groupby(["subject", "cell_type", "tp_rank"])["abundance"].sum().rename("tot_first").reset_index()
    out = out.merge(totals.rename(columns={"tp_rank": "first_rank"}), on=["subject", "cell_type", "first_rank"],
                    how="left")
    floor = np.where(out["tot_first"] > 0, 1.0 / out["tot_first"].where(out["tot_first"] > 0, 1.0), 1.0)
    out["fold"] = out["last_share"] / np.maximum(out["first_share"], floor)
    out["position"] = out["position"].astype(np.int64)
    assessed = out["n_tp"] >= 2
    out["assessed"] = assessed.astype(int)
    out["expanding"] = (assessed & (out["last_share"] >= threshold) & (out["fold"] >= fold)).astype(int)
    ann = annotation.drop_duplicates(["chrom", "position", "strand"])[
        ["chrom", "position", "strand", "nearest_gene", "gene_of_concern", "goc_distance"]]
    out = out.merge(ann, on=["chrom", "position", "strand"], how="left")
    out["gene_of_concern"] = out["gene_of_concern"].fillna("")
    out["nearest_gene"] = out["nearest_gene"].fillna("")
    out["goc_distance"] = out["goc_distance"].fillna(-1).astype(int)
    out["expanding_near_goc"] = ((out["expanding"] == 1) & (out["gene_of_concern"] != "")).astype(int)
    out = out.sort_values(["subject", "cell_type", "expanding", "last_share", "clone_id"],
                          ascending=[True, True, False, False, True], kind="mergesort")
    return out.reset_index(drop=True)[cols]


ISA_COLUMNS = ("chr", "integration_locus", "strand", "GeneName", "GeneStrand")


def isa_matrix(sites: pd.DataFrame, samples: list[str], value: str = "abundance") -> pd.DataFrame:
    """Wide ISAnalytics/VISPA2-style matrix: ``chr integration_locus strand GeneName GeneStrand`` + one
    column per sample (value = ``value`` column, 0 when absent). ``integration_locus`` is 1-based."""
    cols = list(ISA_COLUMNS) + list(samples)
    if sites.empty:
        return pd.DataFrame(columns=cols)
    d = sites.rename(columns={"chrom": "chr", "position": "integration_locus", "nearest_gene": "GeneName",
                              "nearest_gene_strand": "GeneStrand"})
    wide = d.pivot_table(index=list(ISA_COLUMNS), columns="sample", values=value, aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=list(samples), fill_value=0).reset_index()
    wide.columns.name = None
    return wide.sort_values(["chr", "integration_locus", "strand"], kind="mergesort").reset_index(drop=True)[cols]
