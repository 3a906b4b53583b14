"""cgtsafe.stats against published worked examples and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cgtsafe.stats import bh, fisher_2x2, fisher_greater


def test_bh_published_example():
    """Benjamini & Hochberg (1995), section 4 example (15 p-values of Neuhaus et al.): at q* = 0.05 the
    procedure rejects the four smallest hypotheses, i.e. exactly four adjusted p-values are <= 0.05."""
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
         0.6528, 0.7590, 1.000]
    q = bh(p)
    assert int((q <= 0.05).sum()) == 4
    # q_(i) = min_{j >= i} p_(j) m / j, by hand for the smallest and the largest
    assert q[0] == pytest.approx(0.0001 * 15 / 1)
    assert q[-1] == pytest.approx(1.0)
    assert q[4] == pytest.approx(min(0.0201 * 15 / 5, 0.0278 * 15 / 6, 0.0298 * 15 / 7, 0.0344 * 15 / 8,
                                     0.0459 * 15 / 9, 0.3240 * 15 / 10, 0.4262 * 15 / 11, 0.5719 * 15 / 12,
                                     0.6528 * 15 / 13, 0.7590 * 15 / 14, 1.0))


def test_bh_equal_pvalues_and_nan_mask():
    # R: p.adjust(c(.01,.02,.03,.04,.05), "BH") -> all 0.05
    assert bh([0.01, 0.02, 0.03, 0.04, 0.05]) == pytest.approx([0.05] * 5)
    # NaN stays NaN and does not count: same result as without it
    q = bh([0.04, np.nan, 0.01])
    assert np.isnan(q[1]) and q[[0, 2]] == pytest.approx([0.04, 0.02])
    assert bh([]).shape == (0,) and np.isnan(bh([np.nan, np.nan])).all()


def test_bh_matches_the_definition_on_random_pvalues():
    rng = np.random.default_rng(7)
    for m in (1, 2, 10, 500):
        p = rng.uniform(size=m) ** 3
        order = np.argsort(p)
        ranked = p[order] * m / np.arange(1, m + 1)
        ref = np.empty(m)
        ref[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
        np.testing.assert_allclose(bh(p), ref, rtol=1e-12)


def test_fisher_lady_tasting_tea():
    """Fisher (1935): 3 of 4 cups identified, [[3, 1], [1, 3]]: one-sided p = 17/70."""
    assert float(fisher_greater(3, 4, 1, 4)) == pytest.approx(17 / 70)
    odds, p = fisher_2x2(3, 1, 1, 3, alternative="greater")
    assert (odds, p) == (pytest.approx(9.0), pytest.approx(17 / 70))
    assert fisher_2x2(3, 1, 1, 3)[1] == pytest.approx(34 / 70)  # two-sided: both tails of the symmetric case


def test_fisher_greater_by_hypergeometric_sum_and_empty_groups():
    k1, n1, k2, n2 = 7, 20, 2, 25
    total, succ = n1 + n2, k1 + k2
    ref = sum(math.comb(succ, x) * math.comb(total - succ, n1 - x) for x in range(k1, min(n1, succ) + 1))
    assert float(fisher_greater(k1, n1, k2, n2)) == pytest.approx(ref / math.comb(total, n1), rel=1e-10)
    p = fisher_greater([1, 0, 3], [0, 5, 5], [0, 0, 0], [5, 0, 5])
    assert np.isnan(p[0]) and np.isnan(p[1]) and 0 < p[2] < 1
