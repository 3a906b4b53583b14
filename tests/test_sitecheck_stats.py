"""Statistics against published values and independent implementations (scipy, brute force, simulation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from cgtsafe.sitecheck import stats


# Newcombe RG (1998) Stat Med 17:857-872, Table I, method 3 (Wilson score interval without correction)
@pytest.mark.parametrize("k,n,lo,hi", [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605),
                                       (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_matches_newcombe_1998(k, n, lo, hi):
    l, h = stats.wilson(k, n)
    assert float(l) == pytest.approx(lo, abs=6e-5)
    assert float(h) == pytest.approx(hi, abs=6e-5)


def test_newcombe_difference_published_example():
    # Newcombe RG (1998) Stat Med 17:873-890, example (a) 56/70 vs 48/80, method 10: 0.0524 to 0.3339
    d, lo, hi = stats.newcombe_diff(56, 70, 48, 80)
    assert float(d) == pytest.approx(0.2)
    assert float(lo) == pytest.approx(0.0524, abs=6e-5)
    assert float(hi) == pytest.approx(0.3339, abs=6e-5)


@pytest.mark.parametrize("k1,n1,k2,n2", [(5, 30, 0, 30), (0, 30, 0, 30), (3, 1000, 1, 1200), (60, 100, 2, 90),
                                         (1, 5, 4, 5), (17, 2000, 2, 2000)])
def test_fisher_matches_scipy(k1, n1, k2, n2):
    ref = st.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="greater").pvalue
    assert float(stats.fisher_greater(k1, n1, k2, n2)) == pytest.approx(ref, rel=1e-9, abs=1e-15)


def test_bh_matches_scipy():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=40), rng.uniform(0, 1e-3, size=5)])
    assert np.allclose(stats.bh(p), st.false_discovery_control(p, method="bh"))
    q = stats.bh(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(q[1]) and np.allclose(q[[0, 2]], [0.02, 0.04])


@pytest.mark.parametrize("k,n", [(0, 30), (3, 30), (10, 10000), (250, 1000), (30, 30)])
def test_clopper_pearson_matches_scipy_exact_interval(k, n):
    # a one-sided bound at confidence c is the matching end of the two-sided exact interval at 2c - 1
    for c in (0.8, 0.95, 0.99):
        ci = st.binomtest(k, n).proportion_ci(confidence_level=2 * c - 1, method="exact")
        assert float(stats.clopper_pearson_upper(k, n, c)) == pytest.approx(ci.high, abs=1e-9)
        assert float(stats.clopper_pearson_lower(k, n, c)) == pytest.approx(ci.low, abs=1e-9)
