"""Integration-site preference against matched random controls.

Random controls (:func:`random_controls`): for every real site, ``k`` positions drawn uniformly from
the non-N bases (A/C/G/T in either case) of the whole reference genome, with a random strand,
from ``numpy.random.default_rng(seed)``; each control carries ``match_id`` = the real site's id and
the real site's sample. Control ``position`` is **1-based**. The draw is genome-wide (not on the
same chromosome) because integration chromosome preference is itself part of the biology.

Features (:data:`FEATURES`), computed from :mod:`cgtsafe.integration.annotate` columns:

``in_gene``         binary, inside a transcription unit
``near_tss``        binary ``|tss_distance| <= tss_window``; its ROC score is ``-|tss_distance|``
``near_goc``        binary, a gene of concern within the largest window; ROC score ``-goc_distance``

For each feature and group (sample, or all sites): the fractions of real and control sites with
the feature, the odds ratio and two-sided Fisher exact p-value of the 2 x 2 table, and an ROC area
(Berry et al. 2006, PLoS Comput Biol 2:e157): the probability that a real site's feature score
exceeds that of a control (ties count 1/2). When controls are matched to sites (``match_id``) the
area is computed within each matched set and averaged over the sets, as in the matched-random-
control ROC of hiAnnotator; otherwise over all real x control pairs (Mann-Whitney). AUC > 0.5 means
integration is favoured in/near the feature.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from cgtsafe.stats import fisher_2x2

FEATURES = ("in_gene", "near_tss", "near_goc")


def mappable_intervals(genome: str | Path) -> list[tuple[str, int, int]]:
    """Non-N intervals (chrom, start0, end) of a FASTA, in file order."""
    from cgtsafe.io.fasta import iter_fasta

    out = []
    for name, seq in iter_fasta(genome):
        for m in re.finditer(rb"[ACGTacgt]+", seq):
            out.append((name, m.start(), m.end()))
    return out


def random_controls(sites: pd.DataFrame, intervals: list[tuple[str, int, int]], *, per_site: int = 3,
                    seed: int = 1) -> pd.DataFrame:
    """``per_site`` uniform random non-N positions per row of ``sites`` (needs ``site_id``, ``sample``)."""
    n = len(sites) * per_site
    cols = ["match_id", "sample", "chrom", "position", "strand"]
    if n == 0 or not intervals:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    lengths = np.array([e - s for _, s, e in intervals], dtype=np.int64)
    cum = np.cumsum(lengths)
    rng = np.random.default_rng(seed)
    u = rng.integers(0, cum[-1], size=n)
    strands = np.where(rng.integers(0, 2, size=n) == 1, "+", "-")
    k = np.searchsorted(cum, u, side="right")
    offset = u - np.concatenate([[0], cum[:-1]])[k]
    chroms = [intervals[i][0] for i in k]
    pos1 = np.array([intervals[i][1] for i in k], dtype=np.int64) + offset + 1
    return pd.DataFrame({
        "match_id": np.repeat(sites["site_id"].to_numpy(), per_site),
        "sample": np.repeat(sites["sample"].to_numpy(), per_site),
        "chrom": chroms,
        "position": pos1,
        "strand": strands,
    })


def feature_values(df: pd.DataFrame, *, tss_window: int = 5000) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """feature -> (binary indicator, ROC score) for annotated rows."""
    tss = pd.to_numeric(df["tss_distance"], errors="coerce").abs().to_numpy(dtype=float)
    tss = np.where(np.isnan(tss), np.inf, tss)
    goc = pd.to_numeric(df["goc_distance"], errors="coerce").to_numpy(dtype=float)
    goc = np.where(goc < 0, np.inf, goc)
    in_gene = pd.to_numeric(df["in_gene"]).to_numpy(dtype=float)
    return {
        "in_gene": (in_gene > 0, in_gene),
        "near_tss": (tss <= tss_window, -tss),
        "near_goc": (np.isfinite(goc), -goc),
    }


def _auc_unmatched(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) == 0 or len(y) == 0:
        return float("nan")
    ranks = stats.rankdata(np.concatenate([x, y]))
    u = ranks[: len(x)].sum() - len(x) * (len(x) + 1) / 2
    return float(u / (len(x) * len(y)))


def _auc_matched(x: np.ndarray, x_id: np.ndarray, y: np.ndarray, y_id: np.ndarray) -> float:
    real = pd.DataFrame({"id": x_id, "rs": x, "k": np.arange(len(x))})
    ctrl = pd.DataFrame({"id": y_id, "cs": y})
    pairs = real.merge(ctrl, on="id", how="inner")
    if pairs.empty:
        return float("nan")
    win = (pairs["rs"] > pairs["cs"]).to_numpy(float) + 0.5 * (pairs["rs"] == pairs["cs"]).to_numpy(float)
    per_set = pd.Series(win).groupby(pairs["k"].to_numpy()).mean()
    return float(per_set.mean())


def enrichment_table(real: pd.DataFrame, ctrl: pd.DataFrame, *, group_col: str | None = None,
                     tss_window: int = 5000, matched: bool = True) -> pd.DataFrame:
    """Per group and feature: counts, fractions, odds ratio, Fisher p, ROC area.

    ``real`` needs ``site_id`` and the annotation columns; ``ctrl`` needs ``match_id`` (when
    ``matched``) and the annotation columns. ``group_col`` splits both tables (e.g. ``sample``);
    ``all`` pools everything.
    """
    groups = [("all", real, ctrl)]
    if group_col:
        for g in sorted(set(real[group_col])):
            groups.append((str(g), real[real[group_col] == g], ctrl[ctrl[group_col] == g]))
    rows = []
    for name, r, c in groups:
        fr = feature_values(r, tss_window=tss_window) if len(r) else None
        fc = feature_values(c, tss_window=tss_window) if len(c) else None
        for feat in FEATURES:
            rb, rs = fr[feat] if fr else (np.zeros(0, bool), np.zeros(0))
            cb, cs = fc[feat] if fc else (np.zeros(0, bool), np.zeros(0))
            a, b = int(rb.sum()), int(len(rb) - rb.sum())
            cc, d = int(cb.sum()), int(len(cb) - cb.sum())
            if len(rb) and len(cb):
                odds, p = fisher_2x2(a, b, cc, d)
                if matched and "match_id" in c.columns and "site_id" in r.columns:
                    auc = _auc_matched(rs, r["site_id"].to_numpy(), cs, c["match_id"].to_numpy())
                else:
                    auc = _auc_unmatched(rs, cs)
            else:
                odds, p, auc = float("nan"), float("nan"), float("nan")
            rows.append({
                "group": name, "feature": feat, "real_n": len(rb), "real_with": a,
                "control_n": len(cb), "control_with": cc,
                "real_fraction": a / len(rb) if len(rb) else 0.0,
                "control_fraction": cc / len(cb) if len(cb) else 0.0,
                "odds_ratio": float(odds), "fisher_p": float(p), "roc_auc": auc,
            })
    return pd.DataFrame(rows)
