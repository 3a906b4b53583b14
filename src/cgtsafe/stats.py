"""Shared statistical tests: Benjamini-Hochberg q-values and Fisher's exact test on 2x2 tables.

One implementation for every analysis (sitecheck per-site and genome-wide calls, structural events,
integration enrichment), built on SciPy:

* :func:`bh` - Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``,
  method ``bh``) over the finite entries; NaN entries (untested) stay NaN and do not count in ``m``.
* :func:`fisher_greater` - one-sided Fisher exact p-value, H1: the first proportion is larger
  (hypergeometric upper tail, vectorised); NaN where a group has no observations.
* :func:`fisher_2x2` - Fisher's exact test on one table ``[[a, b], [c, d]]``
  (``scipy.stats.fisher_exact``): conditional-free sample odds ratio and p-value.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st


def bh(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, same order as ``p``; NaN stays NaN and is not counted."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = _st.false_discovery_control(p[ok], method="bh")
    return out


def fisher_greater(k1, n1, k2, n2) -> np.ndarray:
    """One-sided Fisher exact p-value of ``k1``/``n1`` > ``k2``/``n2`` (vectorised over arrays).

    The table is ``[[k1, n1 - k1], [k2, n2 - k2]]``; p = P(X >= k1) for X hypergeometric with the
    margins fixed. NaN where ``n1`` or ``n2`` is 0."""
    k1, n1, k2, n2 = (np.asarray(x, dtype=np.int64) for x in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore"):
        p = _st.hypergeom.sf(k1 - 1, n1 + n2, k1 + k2, n1)
    return np.where((n1 > 0) & (n2 > 0), np.clip(p, 0.0, 1.0), np.nan)


def fisher_2x2(a: int, b: int, c: int, d: int, *, alternative: str = "two-sided") -> tuple[float, float]:
    """(sample odds ratio ``ad / bc``, p-value) of Fisher's exact test on ``[[a, b], [c, d]]``."""
    res = _st.fisher_exact([[a, b], [c, d]], alternative=alternative)
    return float(res.statistic), float(res.pvalue)
