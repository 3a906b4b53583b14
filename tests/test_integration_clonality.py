"""Clonality indices against hand-computed values and independent implementations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cgtsafe.integration.clonality import clonality_table, indices

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "integration"
VISPA2 = SHARED / "vispa2_expected" / "IS_matrix_classic_strand_specific_method_review_VISPA2_testcase.tsv"


def test_hand_computed_small_table():
    # p = .5 .3 .1 .1 (values worked out by hand, see comments)
    r = indices([5, 3, 1, 1], [5, 3, 1, 1])
    assert r["n_sites"] == 4
    assert r["shannon"] == pytest.approx(-(0.5 * math.log(0.5) + 0.3 * math.log(0.3) + 0.2 * math.log(0.1)))
    assert r["shannon"] == pytest.approx(1.168282, abs=1e-6)
    assert r["simpson"] == pytest.approx(0.64)  # 1 - (.25 + .09 + .01 + .01)
    assert r["gini"] == pytest.approx(0.35)  # sum_ij |xi-xj| = 28; 28 / (2 * 16 * 2.5)
    assert r["pielou"] == pytest.approx(1.168282 / math.log(4), abs=1e-6)
    assert r["uc50"] == 1  # the largest clone alone is exactly 50 %
    assert r["chao1"] == pytest.approx(5.0)  # S=4, F1=2, F2=0: 4 + 2*1/(2*1)
    assert r["top1"] == pytest.approx(0.5) and r["top10"] == pytest.approx(1.0)
    assert r["dominant_5pct"] == r["dominant_10pct"] == r["dominant_20pct"] == 1
    assert r["n_clones_ge_20pct"] == 2 and r["n_clones_ge_5pct"] == 4


@pytest.mark.parametrize("a, uc50", [([2, 2, 2, 2], 2), ([1, 1, 1], 2), ([10], 1), ([4, 3, 2, 1], 2),
                                     ([1] * 100, 50), ([30, 20, 20, 20, 10], 2)])
def test_uc50_with_ties(a, uc50):
    assert indices(a)["uc50"] == uc50


@pytest.mark.parametrize("n", [1, 2, 7, 50])
def test_even_population(n):
    r = indices([3] * n, [3] * n)
    assert r["shannon"] == pytest.approx(math.log(n))
    assert r["gini"] == pytest.approx(0.0, abs=1e-12)
    assert r["pielou"] == pytest.approx(1.0 if n > 1 else 0.0)
    assert r["simpson"] == pytest.approx(1 - 1 / n)
    assert r["chao1"] == pytest.approx(n)  # no singletons


@pytest.mark.parametrize("f1, f2, expected", [(3, 1, 4 + 3 * 2 / 4), (1, 0, 1.0), (4, 2, 6 + 4 * 3 / 6)])
def test_chao1_bias_corrected(f1, f2, expected):
    counts = [1] * f1 + [2] * f2
    assert indices(counts, counts)["chao1"] == pytest.approx(expected)


def test_zero_sample_is_a_row_of_zeros():
    sites = pd.DataFrame({"sample": ["A", "A"], "abundance": [2.0, 1.0], "fragments": [2, 1]})
    t = clonality_table(sites, ["A", "EMPTY"])
    row = t.set_index("sample").loc["EMPTY"]
    assert (row == 0).all()
    assert list(t.columns[:10]) == ["sample", "n_sites", "shannon", "simpson", "gini", "uc50", "chao1", "top1",
                                    "top10", "pielou"]


def test_vispa2_testcase_matrix_against_independent_formulas():
    """VISPA2's expected 10-site test-case matrix: Shannon vs scipy.stats.entropy, Gini vs the O(n^2)
    pairwise definition, top-1 and UC50 by sorting."""
    if not VISPA2.exists():
        pytest.skip(f"../shared/data/integration/vispa2_expected absent: {VISPA2}")
    m = pd.read_csv(VISPA2, sep="\t")
    a = m.iloc[:, 3].to_numpy(dtype=float)
    assert len(a) == 10 and a.sum() == 928
    r = indices(a, a)
    assert r["shannon"] == pytest.approx(stats.entropy(a))
    pair = np.abs(a[:, None] - a[None, :]).sum() / (2 * len(a) ** 2 * a.mean())
    assert r["gini"] == pytest.approx(pair)
    assert r["top1"] == pytest.approx(315 / 928)
    assert r["uc50"] == 3  # half of 928 = 464: 315 + 142 = 457 < 464, + 121 = 578 >= 464
