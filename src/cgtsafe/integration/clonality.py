"""Per-sample clonality indices from clone abundances.

With ``a_i`` the abundance of site ``i`` in the sample and ``p_i = a_i / sum(a)``:

``n_sites``   number of sites with ``a_i > 0``
``shannon``   ``H = -sum p_i ln p_i`` (natural log, as vegan/ISAnalytics ``shannon``)
``simpson``   Gini-Simpson index ``1 - sum p_i^2`` (vegan ``simpson``; 0 = one clone, -> 1 polyclonal)
``gini``      Gini coefficient of the abundances, ``sum_i sum_j |a_i - a_j| / (2 n^2 mean(a))`` (as
              ``ineq::Gini`` without small-sample correction; 0 = all equal)
``pielou``    evenness ``H / ln(n_sites)`` (0 when ``n_sites <= 1``)
``uc50``      the smallest number of clones whose abundances, largest first, sum to at least 50 % of
              the total. The count does not depend on how ties are ordered (equal abundances
              contribute equally), so ties need no rule.
``chao1``     bias-corrected Chao1 richness ``S + F1 (F1 - 1) / (2 (F2 + 1))`` on the integer counts of
              unique fragments (``F1``/``F2`` = sites seen with exactly 1/2 unique fragments)
``top1``      largest share ``max p_i``; ``top10`` = sum of the 10 largest shares
``dominant_<t>pct``  1 when ``top1 >= t %`` for each configured dominance threshold, else 0
``n_clones_ge_<t>pct`` number of sites with ``p_i >= t %``

A sample without fragments is a row of zeros.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def threshold_label(t: float) -> str:
    pct = t * 100
    return f"{pct:g}".replace(".", "_") + "pct"


def indices(abundance, counts=None, *, dominance_thresholds=(0.05, 0.10, 0.20)) -> dict:
    """Clonality indices of one sample (``counts``: integer unique-fragment counts for Chao1)."""
    a = np.asarray(abundance, dtype=float)
    a = a[a > 0]
    out: dict = {"n_sites": int(len(a))}
    if counts is None:
        counts = np.rint(a)
    c = np.asarray(counts, dtype=float)
    c = c[c > 0]
    if len(a) == 0:
        out.update(shannon=0.0, simpson=0.0, gini=0.0, pielou=0.0, uc50=0, chao1=0.0, top1=0.0, top10=0.0)
    else:
        p = a / a.sum()
        h = float(-(p * np.log(p)).sum())
        s = np.sort(a)
        n = len(s)
        # sum_i sum_j |a_i - a_j| = 2 * sum_i (2i - n - 1) a_(i) for sorted a (i = 1..n)
        gini = float(2 * np.sum((2 * np.arange(1, n + 1) - n - 1) * s) / (2 * n * n * s.mean()))
        desc = s[::-1]
        cum = np.cumsum(desc)
        uc50 = int(np.searchsorted(cum, 0.5 * cum[-1] * (1 - 1e-12), side="left") + 1)
        f1 = int(np.sum(c == 1))
        f2 = int(np.sum(c == 2))
        out.update(
            shannon=h,
            simpson=float(1 - np.sum(p * p)),
            gini=max(gini, 0.0),
            pielou=float(h / np.log(n)) if n > 1 else 0.0,
            uc50=uc50,
            chao1=float(len(c) + f1 * (f1 - 1) / (2 * (f2 + 1))),
            top1=float(desc[0] / cum[-1]),
            top10=float(cum[min(9, n - 1)] / cum[-1]),
        )
    shares = a / a.sum() if len(a) else a
    for t in dominance_thresholds:
        lab = threshold_label(t)
        out[f"dominant_{lab}"] = int(out["top1"] >= t) if len(a) else 0
        out[f"n_clones_ge_{lab}"] = int(np.sum(shares >= t))
    return out


def clonality_table(sites: pd.DataFrame, samples: list[str], *, dominance_thresholds=(0.05, 0.10, 0.20)) -> pd.DataFrame:
    """One row per sample in ``samples`` (in that order; samples without sites get zeros)."""
    rows = []
    for sample in samples:
        sub = sites[sites["sample"] == sample]
        row = {"sample": sample}
        row.update(indices(sub["abundance"].to_numpy(), sub["fragments"].to_numpy(),
                           dominance_thresholds=dominance_thresholds))
        rows.append(row)
    cols = ["sample", "n_sites", "shannon", "simpson", "gini", "uc50", "chao1", "top1", "top10", "pielou"]
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=cols)
    return df[cols + [c for c in df.columns if c not in cols]]
