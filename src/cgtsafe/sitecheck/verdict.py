"""Per-site verdicts of one edited-vs-control comparison (one assay), and the pairing of count tables.

The editing frequency of a sample at a site is ``events / reads`` (counted fragments; see
:mod:`cgtsafe.sitecheck.quantify`). ``events`` is the ``events`` column of the counts table when present (the
reads the configured editor's editing produces, :mod:`cgtsafe.sitecheck.editors`), else ``indel`` (nuclease).

Verdict rule (docs/outputs/sitecheck.md; the report's methods state it). Per covered site, two one-sided
tests, each with Benjamini-Hochberg (BH) across the covered sites of the comparison:

* *editing*: one-sided Fisher exact test, H1 edited > control; ``q`` = BH-adjusted p (level ``alpha``);
* *clean*: H0 "the true editing frequency f is >= threshold", H1 "f < threshold", exact conservative
  p-value :func:`cgtsafe.sitecheck.stats.clean_pvalue` (control resampled, Berger-Boos with
  ``gamma = beta / (10 m)``, ``beta = 1 - power``, ``m`` covered sites); BH at level ``beta``. The
  ``lod`` column is the dual upper confidence bound of f at the BH level actually used
  (:func:`cgtsafe.sitecheck.stats.exclusion_limit`): the smallest editing frequency the data exclude. A
  site is shown clean at the threshold exactly when ``lod <= threshold``.

``no_coverage``                        fewer than ``min_depth`` counted reads in the edited or the control
``edited``                             q < alpha, and not shown below the threshold (lod > threshold)
``edited_below_threshold``             q < alpha and lod <= threshold (significant editing that the data
                                       show to be below the threshold; reported, never hidden)
``not_detected``                       q >= alpha and lod <= threshold
``inconclusive_lod_above_threshold``   q >= alpha and lod > threshold (the data cannot exclude editing at
                                       the threshold)

A site truly edited at the threshold is called ``not_detected`` with probability <= ``beta`` = 1 - power,
whatever the number of sites and the control background (the clean test is valid and BH never rejects
above its level); among ``not_detected`` sites the expected share edited at >= threshold is <= beta (BH).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.sitecheck import stats
from cgtsafe.sitecheck.sites import Site

VERDICTS = ("edited", "edited_below_threshold", "not_detected", "inconclusive_lod_above_threshold",
            "no_coverage")

VERDICT_COLUMNS = (
    "assay", "edited_sample", "control_sample", "site_id", "guide", "chrom", "start", "end", "strand",
    "cut_start", "cut_end", "window_start", "window_end", "source", "on_target", "mismatches", "gene",
    "gene_of_concern", "counted_event", "edited_reads", "edited_events", "edited_indel",
    "edited_substitution_only", "edited_unmodified", "edited_freq", "edited_ci_low", "edited_ci_high",
    "control_reads", "control_events", "control_indel", "control_substitution_only", "control_unmodified",
    "control_freq", "control_ci_low", "control_ci_high",
    "excess_freq", "excess_ci_low", "excess_ci_high", "p_value", "q_value", "clean_p_value", "clean_q_value",
    "lod", "lod_reachable", "threshold", "verdict", "edited_conversions", "control_conversions",
    "edited_outcomes", "control_outcomes",
)
#: columns older verdict tables lack (read with an empty default)
OPTIONAL_VERDICT_COLUMNS = ("edited_outcomes", "control_outcomes")


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


def decide(ke, ne, kc, nc, *, threshold: float, alpha: float = 0.05, target_power: float = 0.8,
           min_depth: int = 10) -> dict:
    """Statistics and verdicts for arrays of counts (edited events/reads, control events/reads); see the
    module docstring. Returns a dict of arrays: p, q, clean_p, clean_q, lod, reachable, verdict."""
    ke, ne, kc, nc = (np.atleast_1d(np.asarray(x, dtype=np.int64)) for x in (ke, ne, kc, nc))
    if not 0 < threshold <= 1:
        raise InputError(f"threshold must be a fraction in (0, 1], got {threshold}")
    if not 0 < target_power < 1:
        raise InputError(f"power must be between 0 and 1, got {target_power}")
    beta = 1.0 - target_power
    covered = (ne >= min_depth) & (nc >= min_depth)
    m = max(1, int(covered.sum()))
    gamma = beta / (10 * m)
    p = np.where(covered, stats.fisher_greater(ke, ne, kc, nc), np.nan)
    q = stats.bh(p)
    cp = np.where(covered, stats.clean_pvalue(ke, ne, kc, nc, threshold, gamma), np.nan)
    cq = stats.bh(cp)  # BH-adjusted; the site is shown clean when cq <= beta
    level = stats.bh_threshold(cp, beta)
    lod = np.where(covered, stats.exclusion_limit(ke, ne, kc, nc, level, gamma), np.nan)
    shown_clean = covered & (cp <= level)
    # reachable: a site with no excess (edited count at the control's frequency) at these depths would be
    # shown clean at the per-site level beta
    k0 = np.floor(ne * np.where(nc > 0, kc / np.maximum(nc, 1), 0.0))
    reach = covered & (stats.exclusion_limit(k0, ne, kc, nc, beta, gamma) <= threshold)
    sig = covered & (q < alpha)
    verdict = np.where(~covered, "no_coverage",
                       np.where(sig, np.where(shown_clean, "edited_below_threshold", "edited"),
                                np.where(shown_clean, "not_detected", "inconclusive_lod_above_threshold")))
    return {"p": p, "q": q, "clean_p": cp, "clean_q": cq, "lod": lod, "reachable": reach, "verdict": verdict,
            "covered": covered}


def _event_column(df: pd.DataFrame) -> str:
    return "events" if "events" in df.columns else "indel"


def compare(edited: pd.DataFrame, control: pd.DataFrame, sites: list[Site], *, assay: str, threshold: float,
            alpha: float = 0.05, target_power: float = 0.8, min_depth: int = 10) -> pd.DataFrame:
    """Join the per-site counts of an edited and a control sample and compute statistics + verdicts.

    ``edited``/``control``: count tables (:data:`cgtsafe.sitecheck.quantify.COUNT_COLUMNS`, optionally with
    ``events`` and ``counted_event``) restricted to the sites to compare (sites missing from a table count
    as 0 reads -> ``no_coverage``).
    """
    site_by_id = {s.site_id: s for s in sites}
    present = set(edited["site_id"]) | set(control["site_id"])
    ids = [s.site_id for s in sites if s.site_id in present]
    e = edited.set_index("site_id").reindex(ids)
    c = control.set_index("site_id").reindex(ids)

    def col(df, name):
        if name not in df.columns:
            return np.zeros(len(df), dtype=np.int64)
        return pd.to_numeric(df[name], errors="coerce").fillna(0).astype(np.int64).to_numpy()

    ne, ke = col(e, "reads"), col(e, _event_column(edited))
    nc, kc = col(c, "reads"), col(c, _event_column(control))
    with np.errstate(invalid="ignore", divide="ignore"):
        fe = np.where(ne > 0, ke / np.maximum(ne, 1), np.nan)
        fc = np.where(nc > 0, kc / np.maximum(nc, 1), np.nan)
    el, eh = stats.wilson(ke, ne)
    cl, ch = stats.wilson(kc, nc)
    d, dl, dh = stats.newcombe_diff(ke, ne, kc, nc)
    res = decide(ke, ne, kc, nc, threshold=threshold, alpha=alpha, target_power=target_power, min_depth=min_depth)
    wstart = pd.to_numeric(e["window_start"], errors="coerce").fillna(
        pd.to_numeric(c["window_start"], errors="coerce")).to_numpy()
    wend = pd.to_numeric(e["window_end"], errors="coerce").fillna(pd.to_numeric(c["window_end"], errors="coerce")).to_numpy()
    if "counted_event" in edited.columns:
        what = e["counted_event"].fillna(c["counted_event"] if "counted_event" in control.columns else "indel")
    else:
        what = pd.Series(["indel"] * len(ids), index=e.index)
    rows = []
    for i, sid in enumerate(ids):
        s = site_by_id[sid]
        rows.append({
            "assay": assay, "site_id": sid, "guide": s.extra.get("guide", ""), "chrom": s.chrom,
            "start": s.start, "end": s.end, "strand": s.strand, "cut_start": s.cut_start, "cut_end": s.cut_end,
            "window_start": int(wstart[i]), "window_end": int(wend[i]), "source": s.source,
            "on_target": "yes" if is_on_target(s) else "no", "mismatches": s.extra.get("mismatches", ""),
            "gene": s.extra.get("gene", ""), "gene_of_concern": s.extra.get("gene_of_concern", ""),
            "counted_event": what.iloc[i] or "indel",
        })
    out = pd.DataFrame(rows, columns=["assay", "site_id", "guide", "chrom", "start", "end", "strand", "cut_start",
                                      "cut_end", "window_start", "window_end", "source", "on_target", "mismatches",
                                      "gene", "gene_of_concern", "counted_event"])
    out.insert(1, "edited_sample", edited["sample"].iloc[0] if len(edited) else "")
    out.insert(2, "control_sample", control["sample"].iloc[0] if len(control) else "")
    for prefix, df, n, k, f, lo_, hi_ in (("edited", e, ne, ke, fe, el, eh), ("control", c, nc, kc, fc, cl, ch)):
        out[f"{prefix}_reads"] = n
        out[f"{prefix}_events"] = k
        out[f"{prefix}_indel"] = col(df, "indel")
        out[f"{prefix}_substitution_only"] = col(df, "substitution_only")
        out[f"{prefix}_unmodified"] = col(df, "unmodified")
        out[f"{prefix}_freq"] = f
        out[f"{prefix}_ci_low"] = lo_
        out[f"{prefix}_ci_high"] = hi_
    out["excess_freq"] = d
    out["excess_ci_low"] = dl
    out["excess_ci_high"] = dh
    out["p_value"] = res["p"]
    out["q_value"] = res["q"]
    out["clean_p_value"] = res["clean_p"]
    out["clean_q_value"] = res["clean_q"]
    out["lod"] = res["lod"]
    out["lod_reachable"] = np.where(res["covered"], np.where(res["reachable"], "yes", "no"), "")
    out["threshold"] = threshold
    out["verdict"] = res["verdict"]
    for prefix, df in (("edited", e), ("control", c)):
        out[f"{prefix}_conversions"] = (df["conversions"].fillna("").astype(str).to_numpy()
                                        if "conversions" in df.columns else "")
        out[f"{prefix}_outcomes"] = _outcomes(df)
    return out[list(VERDICT_COLUMNS)]


def _outcomes(df: pd.DataFrame):
    """Prime editing / HDR with an intended edit: ``intended_unmodified:314;reference_modified:50;...`` per row
    (the non-zero CRISPResso2 classes, :data:`cgtsafe.sitecheck.editors.OUTCOMES`); '' elsewhere."""
    from cgtsafe.sitecheck.editors import OUTCOMES

    cols = [k for k in OUTCOMES if k in df.columns]
    if not cols:
        return ""
    vals = df[cols].apply(pd.to_numeric, errors="coerce").fillna(0).astype(int).to_numpy()
    return [";".join(f"{k}:{n}" for k, n in zip(cols, row) if n) if row.sum() else "" for row in vals]


def compare_pairs(tables: dict[tuple[str, str], pd.DataFrame], pairs: list[tuple[str, str, str]],
                  sites: list[Site], expected: dict[tuple[str, str], tuple[str, set[str]]], *, threshold: float,
                  alpha: float = 0.05, target_power: float = 0.8, min_depth: int = 10) -> pd.DataFrame:
    """Verdicts for every ``(assay, edited, control)`` pair, sorted by assay, edited sample, control sample,
    then site order. ``tables``: ``{(assay, sample): counts}``; ``expected``: ``{(assay, sample): (column,
    values)}``: the values of ``column`` (``site_id`` for WGS, ``amplicon`` for amplicons) each table must
    hold (a truncated or foreign counts table is an error, never fewer verdicts)."""
    if not pairs:
        raise InputError("no edited/control pair: give --wgs-sheet and/or --amplicon-sheet with edited samples")
    known = {s.site_id for s in sites}
    parts = []
    for assay, e, c in pairs:
        for name in (e, c):
            if (assay, name) not in tables:
                raise InputError(f"no {assay} counts for sample {name!r} among --counts files")
            key, want = expected.get((assay, name), ("site_id", set()))
            t = tables[(assay, name)]
            have = set(t[key]) if key in t.columns else set()
            missing = sorted(want - have)
            if missing:
                raise InputError(f"{assay} counts of sample {name!r} lack {len(missing)} of {len(want)} "
                                 f"{'amplicons' if key == 'amplicon' else 'sites'} (e.g. {missing[0]!r}): "
                                 "truncated or stale counts table; re-run quantify")
            extra = sorted(set(t["site_id"]) - known)
            if extra:
                raise InputError(f"{assay} counts of sample {name!r} hold site {extra[0]!r}, which is not a "
                                 "candidate site: counts made with another site list; re-run quantify")
        ids = set(tables[(assay, e)]["site_id"])
        if ids != set(tables[(assay, c)]["site_id"]):
            raise InputError(f"{assay} counts of {e!r} and its control {c!r} cover different sites; re-run quantify")
        sub = [s for s in sites if s.site_id in ids]
        parts.append(compare(tables[(assay, e)], tables[(assay, c)], sub, assay=assay, threshold=threshold,
                             alpha=alpha, target_power=target_power, min_depth=min_depth))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(VERDICT_COLUMNS))
    order = {s.site_id: i for i, s in enumerate(sites)}
    out["_o"] = out["site_id"].map(order)
    out = out.sort_values(["assay", "edited_sample", "control_sample", "_o"], kind="mergesort").drop(columns="_o")
    return out.reset_index(drop=True)
