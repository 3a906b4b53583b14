"""Clone abundance: unique fragments, UMIs and the sonicLength-style estimate.

Validation of the sonic estimate (no published per-clone number for the A1 example was available
offline, so the brief's fallback is used):

1. **Simulation with known truth** (``test_sonic_recovers_true_sizes_better_than_unique_fragments``):
   clone sizes are drawn (lognormal plus three large clones), each cell yields one fragment whose
   length comes from a known gamma distribution, fragments of equal length at the same site collapse
   (shear-site collisions), and the estimate must recover the true relative sizes with a smaller
   error than the unique-fragment count, and the large clones' absolute sizes within 15 %.
2. **Internal consistency on the real A1 HTLV-1 data** (Berry et al. 2012; sonicLength's example,
   ``../shared/data/integration/soniclength_A1_htlv1``): every estimate >= the site's unique
   fragments, the largest clone is strongly collision-corrected, estimates from replicate 1 alone and
   replicates 2+3 agree for the larger clones, and the result is stable across length-bin widths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cgtsafe.integration.abundance import estimate_sonic, site_abundance
from cgtsafe.integration.fragments import merge_sites

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "integration"
A1 = SHARED / "soniclength_A1_htlv1" / "A1_htlv1_fragment_lengths.tsv"


def _simulate(seed):
    rng = np.random.default_rng(seed)
    n = 400
    sizes = np.maximum(1, np.round(rng.lognormal(1.0, 1.2, n))).astype(int)
    sizes[:3] = [1500, 600, 250]
    site, length = [], []
    for i, k in enumerate(sizes):
        lens = np.clip(np.round(rng.gamma(4.0, 60.0, k)), 20, 1500).astype(int)
        site += [i] * k
        length += list(lens)
    d = pd.DataFrame({"site": site, "length": length}).drop_duplicates()
    return sizes, d


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sonic_recovers_true_sizes_better_than_unique_fragments(seed):
    sizes, d = _simulate(seed)
    theta, labels, info = estimate_sonic(d["site"].to_numpy(), d["length"].to_numpy(), length_bin=10)
    assert info["converged"]
    est = pd.Series(theta, index=labels)
    uniq = d.groupby("site").size()
    true = pd.Series(sizes, index=range(len(sizes)))[est.index]
    err_sonic = np.abs(est / est.sum() - true / true.sum()).sum()
    err_uniq = np.abs(uniq / uniq.sum() - true / true.sum()).sum()
    assert err_sonic < 0.6 * err_uniq
    for i in range(3):  # large clones: unique fragments saturate, the estimate does not
        assert abs(est[i] / true[i] - 1) < 0.15, (i, est[i], true[i])
        assert abs(est[i] / true[i] - 1) < abs(uniq[i] / true[i] - 1)


def test_sonic_without_collisions_equals_fragment_count():
    # every site has distinct lengths spread over a wide range: lam small -> theta ~ unique count
    sites = np.repeat(np.arange(50), 2)
    lengths = np.arange(100)  * 7 + 30
    theta, labels, _ = estimate_sonic(sites, lengths, length_bin=1)
    assert np.allclose(theta, 2.0, rtol=0.05)


def test_empty_input():
    theta, labels, info = estimate_sonic([], [])
    assert len(theta) == 0 and labels == [] and info["converged"]


@pytest.fixture(scope="module")
def a1():
    if not A1.exists():
        pytest.skip(f"../shared/data/integration/soniclength_A1_htlv1 absent: {A1}")
    a = pd.read_csv(A1, sep="\t")
    a["lengths"] = a["lengths"].astype(int)
    return a


def test_a1_estimates_are_at_least_unique_fragments_and_correct_collisions(a1):
    theta, labels, info = estimate_sonic(a1["locations"], a1["lengths"], a1["replicates"], length_bin=10)
    assert info["converged"]
    est = pd.Series(theta, index=labels)
    uniq = a1.drop_duplicates().groupby("locations").size()[est.index]
    assert len(est) == 1949
    assert (est >= uniq - 1e-6).all()
    top = uniq.idxmax()
    assert top == "03 F 148398277" and est.idxmax() == top
    assert est[top] > 2 * uniq[top]  # 342 unique fragments in a 30-380 bp length range: heavy collisions
    # singletons stay ~1 cell
    single = uniq[uniq == 1].index
    assert np.median(est[single]) < 1.1


def test_a1_replicates_agree(a1):
    r1 = a1[a1["replicates"] == 1]
    r23 = a1[a1["replicates"] != 1]
    t1, l1, _ = estimate_sonic(r1["locations"], r1["lengths"], length_bin=10)
    t23, l23, _ = estimate_sonic(r23["locations"], r23["lengths"], r23["replicates"], length_bin=10)
    s1, s23 = pd.Series(t1, index=l1), pd.Series(t23, index=l23)
    uniq = a1.drop_duplicates().groupby("locations").size()
    big = uniq[uniq >= 5].index.intersection(s1.index).intersection(s23.index)
    r = stats.pearsonr(np.log(s1[big]), np.log(s23[big]))[0]
    assert len(big) > 150 and r > 0.5


def test_a1_stable_across_length_bins(a1):
    ests = []
    for b in (5, 10, 20):
        theta, labels, _ = estimate_sonic(a1["locations"], a1["lengths"], a1["replicates"], length_bin=b)
        ests.append(pd.Series(theta, index=labels))
    for e in ests[1:]:
        assert abs(e.sum() / ests[0].sum() - 1) < 0.03
        assert abs(e.max() / ests[0].max() - 1) < 0.05


def _frags(rows):
    return pd.DataFrame(rows, columns=["sample", "chrom", "position", "strand", "breakpoint", "umi", "reads"])


@pytest.mark.parametrize("method, expected", [("fragments", [3.0, 1.0]), ("umi", [2.0, 1.0])])
def test_fragment_and_umi_counts(method, expected):
    rows = [
        ("S", "c", 100, "+", 300, "AAA", 10), ("S", "c", 100, "+", 300, "CCC", 5),  # same shear site, 2 UMIs
        ("S", "c", 100, "+", 400, "AAA", 7), ("S", "c", 101, "+", 500, "AAA", 1),  # merged into 100
        ("S", "c", 900, "-", 700, "GGG", 99),
    ]
    merged = merge_sites(_frags(rows), {"S": "P"}, 5)
    out, excl = site_abundance(merged, method=method)
    assert list(out["site_position"]) == [100, 900]
    assert list(out["abundance"]) == expected
    assert list(out["reads"]) == [23, 99]  # reads shown, not used as size
    assert out["relative_abundance"].sum() == pytest.approx(1.0)
    assert excl == []


def test_umi_falls_back_to_fragments_without_umis():
    rows = [("S", "c", 100, "+", 300, "", 1), ("S", "c", 100, "+", 400, "", 1)]
    out, excl = site_abundance(merge_sites(_frags(rows), {"S": "P"}, 5), method="umi")
    assert list(out["abundance"]) == [2.0]
    assert excl and "no UMIs" in excl[0]["reason"]
