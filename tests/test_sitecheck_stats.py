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


def _brute_power(f, n1, k2, n2, alpha):
    """Power by enumerating every edited count with scipy's Fisher test (independent of our search)."""
    b = k2 / n2
    pe = b + f * (1 - b)
    tot = 0.0
    for k in range(n1 + 1):
        if st.fisher_exact([[k, n1 - k], [k2, n2 - k2]], alternative="greater").pvalue < alpha:
            tot += st.binom.pmf(k, n1, pe)
    return tot


@pytest.mark.parametrize("n1,k2,n2", [(30, 0, 30), (60, 1, 45), (200, 2, 150)])
def test_lod_is_where_brute_force_power_reaches_target(n1, k2, n2):
    lod, ok = stats.limit_of_detection(n1, k2, n2, alpha=0.05, target_power=0.8)
    lod = float(lod[0])
    assert ok[0]
    assert _brute_power(lod, n1, k2, n2, 0.05) >= 0.8 - 1e-6
    assert _brute_power(lod - 1e-3, n1, k2, n2, 0.05) < 0.8


def test_lod_by_simulation_and_monotone_in_depth():
    rng = np.random.default_rng(11)
    n1, k2, n2 = 2000, 2, 2000
    lod = float(stats.limit_of_detection(n1, k2, n2)[0][0])
    ks = rng.binomial(n1, k2 / n2 + lod * (1 - k2 / n2), size=4000)
    sim = np.mean(stats.fisher_greater(ks, n1, k2, n2) < 0.05)
    assert abs(sim - 0.8) < 0.03
    lods = stats.limit_of_detection([30, 300, 3000, 30000], [0, 0, 0, 0], [30, 300, 3000, 30000])[0]
    assert np.all(np.diff(lods) < 0)
    # 30x cannot show 0.1 %; 30,000x can
    assert lods[0] > 0.001 > lods[-1]


def test_lod_unreachable_and_no_reads():
    lod, ok = stats.limit_of_detection([2, 0], [0, 0], [2, 10])
    assert lod[0] == 1.0 and not ok[0]
    assert np.isnan(lod[1]) and not ok[1]
