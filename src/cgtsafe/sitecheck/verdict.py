"""Per-site verdicts of one edited-vs-control comparison (one assay).

The editing frequency of a sample at a site is ``indel / reads`` (counted fragments; see
:mod:`cgtsafe.sitecheck.quantify`); substitution-only reads are reported but not counted as editing
(nuclease editing produces indels; substitutions in the window are dominated by sequencing error).

Verdict rule (documented in docs/outputs/sitecheck.md), with ``q`` the Benjamini-Hochberg adjusted
one-sided Fisher p-value across the sites of the comparison, ``excess = f_edited - f_control`` and
``LOD`` the per-site limit of detection (:func:`cgtsafe.sitecheck.stats.limit_of_detection`):

``no_coverage``                        fewer than ``min_depth`` counted reads in the edited or the control
``edited``                             q < alpha and excess >= threshold
``edited_below_threshold``             q < alpha and excess < threshold (significant editing whose point
                                       estimate is below the declared threshold; reported, never hidden)
``not_detected``                       q >= alpha and LOD <= threshold (the site would have been detected
                                       at the threshold with the configured power)
``inconclusive_lod_above_threshold``   q >= alpha and LOD > threshold (depth too low to show the site is
                                       clean at the threshold)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cgtsafe.sitecheck import stats
from cgtsafe.sitecheck.sites import Site

VERDICTS = ("edited", "edited_below_threshold", "not_detected", "inconclusive_lod_above_threshold",
            "no_coverage")

VERDICT_COLUMNS = (
    "assay", "edited_sample", "control_sample", "site_id", "guide", "chrom", "start", "end", "strand",
    "cut_start", "cut_end", "window_start", "window_end", "source", "on_target", "mismatches", "gene",
    "gene_of_concern", "edited_reads", "edited_indel", "edited_substitution_only", "edited_unmodified",
    "edited_freq", "edited_ci_low", "edited_ci_high",
    "control_reads", "control_indel", "control_substitution_only", "control_unmodified",
    "control_freq", "control_ci_low", "control_ci_high",
    "excess_freq", "excess_ci_low", "excess_ci_high", "p_value", "q_value", "lod", "lod_reachable",
    "threshold", "verdict",
)


def is_on_target(site: Site) -> bool:
    """On-target = 0 mismatches and no bulge (the ``category`` column, when present, decides)."""
    cat = site.extra.get("category", "")
    if cat:
        return cat == "on_target"
    try:
        return (int(site.extra.get("mismatches", "") or -1) == 0 and int(site.extra.get("dna_bulge", 0) or 0) == 0
                and int(site.extra.get("rna_bulge", 0) or 0) == 0)
    except ValueError:
        return False


def compare(edited: pd.DataFrame, control: pd.DataFrame, sites: list[Site], *, assay: str, threshold: float,
            alpha: float = 0.05, target_power: float = 0.8, min_depth: int = 10) -> pd.DataFrame:
    """Join the per-site counts of an edited and a control sample and compute statistics + verdicts.

    ``edited``/``control``: count tables (:data:`cgtsafe.sitecheck.quantify.COUNT_COLUMNS`) restricted to
    the sites to compare (sites missing from a table count as 0 reads -> ``no_coverage``).
    """
    site_by_id = {s.site_id: s for s in sites}
    present = set(edited["site_id"]) | set(control["site_id"])
    ids = [s.site_id for s in sites if s.site_id in present]
    e = edited.set_index("site_id").reindex(ids)
    c = control.set_index("site_id").reindex(ids)

    def col(df, name):
        return pd.to_numeric(df[name], errors="coerce").fillna(0).astype(np.int64).to_numpy()

    ne, ke = col(e, "reads"), col(e, "indel")
    nc, kc = col(c, "reads"), col(c, "indel")
    with np.errstate(invalid="ignore", divide="ignore"):
        fe = np.where(ne > 0, ke / np.maximum(ne, 1), np.nan)
        fc = np.where(nc > 0, kc / np.maximum(nc, 1), np.nan)
    el, eh = stats.wilson(ke, ne)
    cl, ch = stats.wilson(kc, nc)
    d, dl, dh = stats.newcombe_diff(ke, ne, kc, nc)
    covered = (ne >= min_depth) & (nc >= min_depth)
    p = np.where(covered, stats.fisher_greater(ke, ne, kc, nc), np.nan)
    q = stats.bh(p)
    if len(ids):
        lod, reach = stats.limit_of_detection(ne, kc, nc, alpha=alpha, target_power=target_power)
    else:
        lod, reach = np.array([]), np.array([], dtype=bool)
    verdict = np.where(
        ~covered, "no_coverage",
        np.where(q < alpha, np.where(d >= threshold, "edited", "edited_below_threshold"),
                 np.where(lod <= threshold, "not_detected", "inconclusive_lod_above_threshold")))
    wstart = pd.to_numeric(e["window_start"], errors="coerce").fillna(
        pd.to_numeric(c["window_start"], errors="coerce")).to_numpy()
    wend = pd.to_numeric(e["window_end"], errors="coerce").fillna(pd.to_numeric(c["window_end"], errors="coerce")).to_numpy()
    rows = []
    for i, sid in enumerate(ids):
        s = site_by_id[sid]
        ws, we = wstart[i], wend[i]
        rows.append({
            "assay": assay, "site_id": sid, "guide": s.extra.get("guide", ""), "chrom": s.chrom,
            "start": s.start, "end": s.end, "strand": s.strand, "cut_start": s.cut_start, "cut_end": s.cut_end,
            "window_start": int(ws), "window_end": int(we), "source": s.source,
            "on_target": "yes" if is_on_target(s) else "no", "mismatches": s.extra.get("mismatches", ""),
            "gene": s.extra.get("gene", ""), "gene_of_concern": s.extra.get("gene_of_concern", ""),
        })
    out = pd.DataFrame(rows, columns=["assay", "site_id", "guide", "chrom", "start", "end", "strand", "cut_start",
                                      "cut_end", "window_start", "window_end", "source", "on_target", "mismatches",
                                      "gene", "gene_of_concern"])
    out.insert(1, "edited_sample", edited["sample"].iloc[0] if len(edited) else "")
    out.insert(2, "control_sample", control["sample"].iloc[0] if len(control) else "")
    for prefix, df, n, k, f, lo_, hi_ in (("edited", e, ne, ke, fe, el, eh), ("control", c, nc, kc, fc, cl, ch)):
        out[f"{prefix}_reads"] = n
        out[f"{prefix}_indel"] = k
        out[f"{prefix}_substitution_only"] = col(df, "substitution_only")
        out[f"{prefix}_unmodified"] = col(df, "unmodified")
        out[f"{prefix}_freq"] = f
        out[f"{prefix}_ci_low"] = lo_
        out[f"{prefix}_ci_high"] = hi_
    out["excess_freq"] = d
    out["excess_ci_low"] = dl
    out["excess_ci_high"] = dh
    out["p_value"] = p
    out["q_value"] = q
    out["lod"] = lod
    out["lod_reachable"] = np.where(np.isnan(lod), "", np.where(reach, "yes", "no"))
    out["threshold"] = threshold
    out["verdict"] = verdict
    return out[list(VERDICT_COLUMNS)]
