"""Common integration sites: Abel et al. 2007 window rule on constructed cases, and the per-gene
Grubbs outlier test against the published Grubbs critical values (ASTM E178 / Grubbs 1969 table,
one-sided) and on constructed hot spots (no published CIS_grubbs output was available offline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cgtsafe.integration.cis import background_cis, grubbs_cis, grubbs_t_p, window_cis

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "integration"


def _sites(positions, chrom="c1"):
    return pd.DataFrame({"chrom": chrom, "position": positions, "strand": "+",
                         "nearest_gene": [f"G{p // 100000}" for p in positions], "gene_of_concern": ""})


@pytest.mark.parametrize(
    "positions, expected",
    [
        ([1_000_000, 1_030_000], [(2, 30_000)]),  # 2 within 30 kb
        ([1_000_000, 1_030_001], []),  # 2 just outside 30 kb
        ([1_000_000, 1_025_000, 1_050_000], [(3, 50_000)]),  # 3 within 50 kb (pairs 25 kb also qualify)
        ([1_000_000, 1_040_000, 1_080_000], []),  # pairs 40 kb apart, 3 span 80 kb > 50 kb
        ([1_000_000, 1_033_000, 1_066_000, 1_099_000], [(4, 99_000)]),  # 4 within 100 kb
        ([1_000_000, 1_034_000, 1_068_000, 1_102_000], []),  # 4 span 102 kb, no pair <= 30 kb, no 3 <= 50 kb
        ([1_000_000, 1_049_000, 1_098_000, 1_147_000, 1_196_000], [(5, 196_000)]),  # 5 within 200 kb
        ([1_000_000, 1_049_000, 1_098_000, 1_147_000, 1_201_000], []),  # 5 span 201 kb
        ([0, 49_000, 98_000, 147_000, 196_000, 199_000], [(6, 199_000)]),  # 6 within 200 kb, one region
        ([100_000, 110_000, 500_000, 520_000], [(2, 10_000), (2, 20_000)]),  # two separate regions
    ],
)
def test_abel_window_rule(positions, expected):
    r = window_cis(_sites(positions))
    assert [(int(o), int(s)) for o, s in zip(r["order"], r["span"])] == expected


def test_window_rule_is_per_chromosome_and_counts_distinct_sites():
    s = pd.concat([_sites([1_000_000]), _sites([1_010_000], chrom="c2"), _sites([1_000_000])])
    assert window_cis(s).empty


def test_region_carries_genes_of_concern():
    s = _sites([1_000_000, 1_020_000])
    s.loc[1, "gene_of_concern"] = "LMO2"
    r = window_cis(s)
    assert r.loc[0, "genes_of_concern"] == "LMO2" and r.loc[0, "cis_id"] == "CIS0001"


@pytest.mark.parametrize("g, n, alpha", [(2.176, 10, 0.05), (2.410, 10, 0.01), (2.557, 20, 0.05),
                                         (2.884, 20, 0.01), (1.672, 5, 0.05)])
def test_grubbs_p_matches_published_critical_values(g, n, alpha):
    _, p = grubbs_t_p(np.array([g]), n)
    assert n * p[0] == pytest.approx(alpha, rel=0.03)


def test_grubbs_flags_a_hot_gene_only():
    rng = np.random.default_rng(5)
    rows, lengths = [], {}
    for i in range(60):
        gene = f"G{i:02d}"
        lengths[gene] = 50_000.0
        for k in range(int(rng.integers(1, 4))):
            rows.append(("c1", i * 1_000_000 + k * 1000, "+", gene))
    for k in range(40):  # hot spot: 40 distinct sites in HOT
        rows.append(("c2", 5_000_000 + k * 500, "+", "HOT"))
    lengths["HOT"] = 50_000.0
    s = pd.DataFrame(rows, columns=["chrom", "position", "strand", "nearest_gene"])
    r = grubbs_cis(s, lengths).set_index("gene")
    assert r.loc["HOT", "is_cis"] == 1 and r.loc["HOT", "n_sites"] == 40
    assert r["is_cis"].sum() == 1
    # the same sites counted twice (another sample) must not change anything
    r2 = grubbs_cis(pd.concat([s, s]), lengths).set_index("gene")
    assert r2.loc["HOT", "n_sites"] == 40


def test_grubbs_no_outlier_in_uniform_data():
    s = pd.DataFrame({"chrom": "c1", "position": np.arange(30) * 1000, "strand": "+",
                      "nearest_gene": [f"G{i % 10}" for i in range(30)]})
    r = grubbs_cis(s, {f"G{i}": 10_000.0 for i in range(10)})
    assert r["is_cis"].sum() == 0 and (r["p_bonferroni"] == 1).all()


def test_grubbs_gene_without_length_is_untested():
    s = pd.DataFrame({"chrom": "c1", "position": [1, 2, 3, 4], "strand": "+", "nearest_gene": ["A", "B", "C", "X"]})
    r = grubbs_cis(s, {"A": 1000.0, "B": 2000.0, "C": 3000.0}).set_index("gene")
    assert r.loc["X", "tested"] == 0 and np.isnan(r.loc["X", "p_value"])


def test_background_counts_regions_per_replicate():
    c = pd.DataFrame({"match_id": ["a", "a", "b", "b"], "chrom": "c1", "position": [100, 1_000_000, 10_000, 3_000_000]})
    bg = background_cis(c)
    # replicate 1 = first control of each site (100, 10_000 -> 1 region); replicate 2 -> none
    assert list(bg["n_regions"]) == [1, 0] and list(bg["n_sites"]) == [2, 2]


def test_isanalytics_population_runs_with_refgenes_lengths():
    """The ISAnalytics example population (hg19) with its exact gene input: the test runs and its
    top genes are genes with many distinct sites (sanity; no published output to compare with)."""
    iss = SHARED / "isanalytics" / "test_population_iss.tsv.gz"
    ref = SHARED / "annotation" / "ISAnalytics_refGenes_hg19.tsv.gz"
    if not iss.exists() or not ref.exists():
        pytest.skip(f"../shared/data/integration/isanalytics absent: {iss}")
    from cgtsafe.integration.cis import gene_lengths

    m = pd.read_csv(iss, sep="\t", dtype={"chr": str})
    s = m.drop_duplicates(["chr", "integration_locus", "strand"]).rename(
        columns={"chr": "chrom", "integration_locus": "position", "GeneName": "nearest_gene"})
    r = grubbs_cis(s, gene_lengths(ref))
    assert r["tested"].sum() > 0.95 * len(r)
    top = r[r["is_cis"] == 1]
    assert len(top) >= 1
    assert top["n_sites"].min() >= r["n_sites"].median()
