"""Integration preference vs matched random controls, and site annotation against peer outputs.

References:
* Wu et al. 2003 Science (hiAnnotator example data, hg18): HIV integrates preferentially inside
  transcription units, MLV near transcription start sites. The 1,303 sites are tested against
  the 3,909 matched random controls shipped with hiAnnotator (linked by ``Sequence``) and the hg18
  refGene table.
* VISPA2 test-case annotated matrix and the ISAnalytics example matrices (hg19): their ``GeneName``
  / ``GeneStrand`` columns are compared with our nearest gene from the ISAnalytics hg19 refGenes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cgtsafe.integration.annotate import SiteAnnotator, load_gene_annotator
from cgtsafe.integration.enrichment import enrichment_table, mappable_intervals, random_controls
from cgtsafe.io.annotation import GeneAnnotator, Transcript
from cgtsafe.validation.reference import hiv_mlv_enrichment

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "integration"
HIA = SHARED / "hiannotator_hiv_mlv_hg18"
REFGENES_HG19 = SHARED / "annotation" / "ISAnalytics_refGenes_hg19.tsv.gz"


@pytest.fixture(scope="module")
def wu2003():
    """The same table as the method-validation record (cgtsafe.validation.reference.hiv_mlv_enrichment)."""
    if not (HIA / "sites_hiv_mlv_wu2003_hg18.tsv").exists():
        pytest.skip(f"../shared/data/integration/hiannotator_hiv_mlv_hg18 absent: {HIA}")
    return hiv_mlv_enrichment(HIA)


def test_hiv_favours_transcription_units(wu2003):
    r = wu2003.loc[("HIV", "in_gene")]
    assert r["real_n"] == 426 and r["control_n"] == 1278
    assert r["roc_auc"] > 0.6 and r["fisher_p"] < 1e-10
    assert r["real_fraction"] > 0.65 and r["control_fraction"] < 0.5  # Schroder 2002 / Wu 2003: ~70 % in genes


def test_mlv_favours_tss_more_than_hiv(wu2003):
    mlv, hiv = wu2003.loc[("MLV", "near_tss")], wu2003.loc[("HIV", "near_tss")]
    assert mlv["fisher_p"] < 1e-20 and mlv["odds_ratio"] > 3
    assert mlv["odds_ratio"] > 2 * hiv["odds_ratio"]
    assert mlv["real_fraction"] > 2 * hiv["real_fraction"]
    # and HIV favours genes more than MLV does
    assert wu2003.loc[("HIV", "in_gene"), "roc_auc"] > wu2003.loc[("MLV", "in_gene"), "roc_auc"]


def test_controls_alone_show_no_preference():
    # controls against controls from the same uniform draw: AUC ~ 0.5, no significance
    genes = [Transcript(f"T{i}", f"G{i}", "c1", "+", i * 10000, i * 10000 + 4000, i * 10000, i * 10000 + 4000, [])
             for i in range(1, 90)]
    sa = SiteAnnotator(GeneAnnotator(genes), {"G5": "x"})
    intervals = [("c1", 0, 1_000_000)]
    base = pd.DataFrame({"site_id": [f"s{i}" for i in range(400)], "sample": "S"})
    a = sa.annotate_table(random_controls(base, intervals, per_site=1, seed=11))
    b = sa.annotate_table(random_controls(base, intervals, per_site=3, seed=12))
    a["site_id"] = a["match_id"]
    t = enrichment_table(a, b).set_index("feature")
    assert abs(t.loc["in_gene", "roc_auc"] - 0.5) < 0.06
    assert t.loc["in_gene", "fisher_p"] > 0.01


def test_random_controls_reproducible_non_n_and_matched(tmp_path):
    fa = tmp_path / "g.fa"
    fa.write_text(">c1\n" + "N" * 50 + "ACGT" * 25 + "N" * 50 + "\n>c2\n" + "acgtNNNNacgt" * 10 + "\n")
    iv = mappable_intervals(fa)
    assert iv[0] == ("c1", 50, 150)
    sites = pd.DataFrame({"site_id": ["a", "b"], "sample": ["S1", "S2"]})
    c1 = random_controls(sites, iv, per_site=500, seed=3)
    c2 = random_controls(sites, iv, per_site=500, seed=3)
    pd.testing.assert_frame_equal(c1, c2)
    assert not c1.equals(random_controls(sites, iv, per_site=500, seed=4))
    seqs = {"c1": "N" * 50 + "ACGT" * 25 + "N" * 50, "c2": "acgtNNNNacgt" * 10}
    assert all(seqs[c][p - 1] != "N" for c, p in zip(c1["chrom"], c1["position"]))  # 1-based, never N
    assert list(c1.groupby("match_id").size()) == [500, 500]
    assert set(c1.loc[c1["match_id"] == "b", "sample"]) == {"S2"}
    # uniform over mappable bases: c1 has 100 of 180 mappable bases
    assert abs((c1["chrom"] == "c1").mean() - 100 / 180) < 0.05


@pytest.fixture(scope="module")
def hg19():
    if not REFGENES_HG19.exists():
        pytest.skip(f"../shared/data/integration/annotation absent: {REFGENES_HG19}")
    return SiteAnnotator(load_gene_annotator(REFGENES_HG19), {})


def test_vispa2_testcase_annotation(hg19):
    p = SHARED / "vispa2_expected" / "IS_matrix_classic_strand_specific_method_review_VISPA2_testcase.no0.annotated.tsv"
    v = pd.read_csv(p, sep="\t", dtype={"chr": str})
    r = hg19.annotate_table(v, chrom="chr", position="integration_locus")
    same = r["nearest_gene"] == v["GeneName"]
    # 8 of 10 agree. Exceptions: intergenic chr20:53962652, where this table has LINC01441 closer than
    # VISPA2's CBLN4 (74 kb); chr3:45920109, inside LZTFL1 (our nearest gene: the containing gene) and
    # 7.9 kb upstream of the CCR9 TSS (VISPA2's choice).
    assert same.sum() == 8
    assert sorted(r.loc[~same, "integration_locus"]) == [45920109, 53962652]
    assert (r.loc[same, "nearest_gene_strand"] == v.loc[same, "GeneStrand"]).all()


@pytest.mark.parametrize("name, min_agree", [("integration_matrices.tsv", 0.95), ("test_population_iss.tsv.gz", 0.96)])
def test_isanalytics_matrices_gene_names(hg19, name, min_agree):
    m = pd.read_csv(SHARED / "isanalytics" / name, sep="\t", dtype={"chr": str})
    m = m.drop_duplicates(["chr", "integration_locus", "strand"]).copy()
    m["integration_locus"] = m["integration_locus"].astype(float).astype(int)
    r = hg19.annotate_table(m, chrom="chr", position="integration_locus")
    agree = float(np.mean(r["GeneName"] == r["nearest_gene"]))
    assert agree >= min_agree, agree


@pytest.mark.parametrize(
    "pos1, strand, expect",
    [
        # gene G1 on + : 1001..2000 (1-based); TSS at 1001
        (1001, "+", {"in_gene": 1, "tss_distance": 0, "gene_orientation": "same"}),
        (991, "+", {"in_gene": 0, "tss_distance": -10, "feature": "promoter"}),
        (1500, "-", {"in_gene": 1, "tss_distance": 499, "gene_orientation": "opposite"}),
        # gene G2 on - : 5001..6000, TSS at 6000; 6010 is 10 bp upstream
        (6010, "+", {"in_gene": 0, "tss_distance": -10, "tss_gene": "G2"}),
        (5990, "-", {"in_gene": 1, "tss_distance": 10, "gene_orientation": "same"}),
    ],
)
def test_signed_tss_distance_convention(pos1, strand, expect):
    genes = [Transcript("T1", "G1", "c", "+", 1000, 2000, 1000, 2000, [(1000, 2000)]),
             Transcript("T2", "G2", "c", "-", 5000, 6000, 5000, 6000, [(5000, 6000)])]
    r = SiteAnnotator(GeneAnnotator(genes), {"G2": "onc"}, windows=(100, 5000)).annotate_one("c", pos1, strand)
    for k, v in expect.items():
        assert r[k] == v, (k, r[k], v)


@pytest.mark.parametrize("pos1, goc, dist, window", [(6500, "G2", 500, 5000), (5500, "G2", 0, 100),
                                                     (6060, "G2", 60, 100), (20000, "", -1, 0)])
def test_gene_of_concern_windows(pos1, goc, dist, window):
    genes = [Transcript("T2", "G2", "c", "-", 5000, 6000, 5000, 6000, [(5000, 6000)]),
             Transcript("T3", "G3", "c", "+", 30000, 31000, 30000, 31000, [(30000, 31000)])]
    r = SiteAnnotator(GeneAnnotator(genes), {"G2": "onc"}, windows=(100, 5000)).annotate_one("c", pos1, "+")
    assert (r["gene_of_concern"], r["goc_distance"], r["goc_window"]) == (goc, dist, window)
