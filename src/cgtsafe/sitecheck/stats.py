"""Statistics of the edited-vs-control comparison (vectorised over sites).

* :func:`wilson` - Wilson score interval of a binomial proportion (Wilson 1927), two-sided 95 % by default.
* :func:`newcombe_diff` - interval of a difference of two independent proportions from the two Wilson
  intervals (Newcombe 1998, method 10).
* :func:`fisher_greater` - one-sided Fisher exact test, H1: edited frequency > control frequency, and
  :func:`bh` - Benjamini-Hochberg q-values across the sites of one comparison: the shared implementations of
  :mod:`cgtsafe.stats`, re-exported here for the sitecheck modules.
* (no power-based LOD: a limit of detection computed conditionally on the observed control overstates the
  power once the control is resampled, e.g. 0.72-0.79 instead of 0.80; the verdicts rest on
  :func:`clean_pvalue` and :func:`exclusion_limit`, which account for the control's sampling.)
* :func:`clopper_pearson_upper` / :func:`clopper_pearson_lower` - exact one-sided binomial bounds.
* :func:`clean_pvalue` - exact (conservative) p-value of H0 "the site is edited at >= threshold" against H1
  "editing below threshold": the test behind ``not_detected``. See its docstring.
* :func:`exclusion_limit` - the dual upper confidence bound of the editing frequency (the smallest editing
  frequency the data exclude), at a given error level.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

from cgtsafe.stats import bh, fisher_greater  # noqa: F401  (the one implementation; see module docstring)


def wilson(k, n, z: float = 1.959963984540054):
    """Wilson score interval; returns ``(low, high)`` arrays (NaN where n == 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        lo = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        hi = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    # exact bounds at the edges
    lo = np.where((n > 0) & (k == 0), 0.0, lo)
    hi = np.where((n > 0) & (k == n), 1.0, hi)
    return lo, hi


def newcombe_diff(k1, n1, k2, n2, z: float = 1.959963984540054):
    """Interval for p1 - p2 (Newcombe hybrid score); returns ``(diff, low, high)``."""
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = k1 / n1
        p2 = k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lo, hi


def clopper_pearson_upper(k, n, conf):
    """Exact one-sided upper bound of a binomial proportion at confidence ``conf`` (1 where k == n; NaN n == 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = _st.beta.ppf(conf, k + 1, np.maximum(n - k, 1e-300))
    u = np.where(k >= n, 1.0, u)
    return np.where(n > 0, u, np.nan)


def clopper_pearson_lower(k, n, conf):
    """Exact one-sided lower bound of a binomial proportion at confidence ``conf`` (0 where k == 0; NaN n == 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = _st.beta.ppf(1 - conf, np.maximum(k, 1e-300), n - k + 1)
    lo = np.where(k <= 0, 0.0, lo)
    return np.where(n > 0, lo, np.nan)


def clean_pvalue(ke, ne, kc, nc, threshold: float, gamma: float):
    """p-value of H0: the true editing frequency ``f`` is >= ``threshold`` (H1: f < threshold).

    Editing model (as for the LOD): the edited sample's event frequency is ``pe = pc + f * (1 - pc)`` with
    ``pc`` the control's (background) frequency. Both counts are random. Berger-Boos construction: with
    ``Lc`` the exact (Clopper-Pearson) lower ``1 - gamma`` bound of ``pc``, under H0 and when ``pc >= Lc``
    (probability >= 1 - gamma), ``pe >= Lc + threshold * (1 - Lc)``; so
    ``p = P(Binomial(ne, Lc + threshold * (1 - Lc)) <= ke) + gamma`` is a valid p-value
    (P(p <= a) <= a for every a), whatever the background. Exact and conservative; NaN where a sample has
    no reads.
    """
    ke, ne, kc, nc = (np.asarray(x, dtype=float) for x in (ke, ne, kc, nc))
    lc = clopper_pearson_lower(kc, nc, 1 - gamma)
    p0 = np.clip(lc + threshold * (1 - lc), 0, 1)
    with np.errstate(invalid="ignore"):
        p = _st.binom.cdf(ke, ne, np.nan_to_num(p0)) + gamma
    return np.where((ne > 0) & (nc > 0), np.clip(p, 0, 1), np.nan)


def exclusion_limit(ke, ne, kc, nc, level, gamma: float):
    """Upper confidence bound of the editing frequency ``f`` dual to :func:`clean_pvalue`: the smallest
    threshold ``t`` for which ``clean_pvalue(..., t, gamma) <= level``. ``level`` (> gamma) may be an array.
    ``f_up = (U - Lc) / (1 - Lc)`` with ``U`` the Clopper-Pearson upper ``1 - (level - gamma)`` bound of the
    edited frequency and ``Lc`` the lower ``1 - gamma`` bound of the control's; clipped to [0, 1]."""
    ke, ne, kc, nc = (np.asarray(x, dtype=float) for x in (ke, ne, kc, nc))
    level = np.asarray(level, dtype=float)
    u = clopper_pearson_upper(ke, ne, 1 - (level - gamma))
    lc = clopper_pearson_lower(kc, nc, 1 - gamma)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(lc < 1, (u - lc) / np.maximum(1 - lc, 1e-300), 1.0)
    return np.where((ne > 0) & (nc > 0), np.clip(f, 0, 1), np.nan)


def bh_threshold(p, level: float) -> float:
    """The Benjamini-Hochberg step-up rejection level ``level * R / m`` (R = number of rejections, at least 1
    so that the bound is defined when nothing is rejected); NaN p-values are not counted."""
    p = np.asarray(p, dtype=float)
    pv = np.sort(p[~np.isnan(p)])
    m = len(pv)
    if m == 0:
        return float(level)
    ok = np.nonzero(pv <= level * np.arange(1, m + 1) / m)[0]
    r = int(ok[-1]) + 1 if len(ok) else 0
    return float(level * max(r, 1) / m)
