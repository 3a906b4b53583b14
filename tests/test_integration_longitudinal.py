"""Clones over time: trajectories, the expansion rule, and the ISAnalytics-compatible matrix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cgtsafe.integration.longitudinal import ISA_COLUMNS, expansion, isa_matrix, timepoint_order, trajectories

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "integration"

SHEET = pd.DataFrame({"sample": ["m12", "m01", "m06"], "subject": "P", "timepoint": ["month12", "month01", "month06"],
                      "cell_type": "PBMC", "timepoint_days": ["360", "30", "180"]})


def _sites(rows):
    df = pd.DataFrame(rows, columns=["sample", "chrom", "position", "strand", "abundance"])
    df["subject"] = "P"
    df["nearest_gene"] = "G"
    df["nearest_gene_strand"] = "+"
    df["gene_of_concern"] = [("LMO2" if p == 500 else "") for p in df["position"]]
    df["goc_distance"] = [(1000 if p == 500 else -1) for p in df["position"]]
    return df


def test_timepoint_order_uses_days():
    s = timepoint_order(SHEET)
    assert dict(zip(s["sample"], s["tp_rank"])) == {"m01": 0, "m06": 1, "m12": 2}


def _example():
    # LMO2 clone (500): 1 % -> 5 % -> 20 %; clone 100 shrinks; clone 900 appears late at 10 %
    return _sites([
        ("m01", "c", 500, "+", 1.0), ("m01", "c", 100, "+", 60.0), ("m01", "c", 200, "+", 39.0),
        ("m06", "c", 500, "+", 5.0), ("m06", "c", 100, "+", 50.0), ("m06", "c", 200, "+", 45.0),
        ("m12", "c", 500, "+", 20.0), ("m12", "c", 100, "+", 30.0), ("m12", "c", 200, "+", 40.0),
        ("m12", "c", 900, "-", 10.0),
    ])


def test_trajectories_fill_absent_time_points_with_zero():
    t = trajectories(_example(), SHEET)
    late = t[t["clone_id"] == "c:900:-"]
    assert list(late["timepoint"]) == ["month01", "month06", "month12"]
    assert list(late["share"]) == [0.0, 0.0, 0.1]
    assert t.groupby("timepoint")["share"].sum().round(9).eq(1.0).all()


@pytest.mark.parametrize(
    "threshold, fold, expanding",
    [
        (0.05, 2.0, {"c:500:+", "c:900:-"}),  # 900: absent at month01 -> floor 1/100, fold 10
        (0.15, 2.0, {"c:500:+"}),
        (0.05, 25.0, set()),  # 500: 20x only
    ],
)
def test_expansion_rule(threshold, fold, expanding):
    s = _example()
    e = expansion(trajectories(s, SHEET), s, threshold=threshold, fold=fold)
    assert set(e.loc[e["expanding"] == 1, "clone_id"]) == expanding
    lmo2 = e.set_index("clone_id").loc["c:500:+"]
    assert lmo2["first_share"] == pytest.approx(0.01) and lmo2["last_share"] == pytest.approx(0.2)
    assert lmo2["fold"] == pytest.approx(20.0)
    assert lmo2["expanding_near_goc"] == int("c:500:+" in expanding)
    assert lmo2["first_timepoint"] == "month01" and lmo2["last_timepoint"] == "month12"


def test_single_time_point_not_assessed():
    sheet = SHEET.iloc[:1]
    s = _sites([("m12", "c", 500, "+", 90.0), ("m12", "c", 100, "+", 10.0)])
    e = expansion(trajectories(s, sheet), s)
    assert (e["assessed"] == 0).all() and (e["expanding"] == 0).all()


def test_cell_types_are_tracked_separately():
    sheet = pd.DataFrame({"sample": ["a1", "a2", "b1", "b2"], "subject": "P",
                          "timepoint": ["t1", "t2", "t1", "t2"], "cell_type": ["CD3", "CD3", "CD14", "CD14"]})
    s = _sites([("a1", "c", 500, "+", 1.0), ("a1", "c", 1, "+", 99.0), ("a2", "c", 500, "+", 50.0),
                ("a2", "c", 1, "+", 50.0), ("b1", "c", 500, "+", 50.0), ("b1", "c", 1, "+", 50.0),
                ("b2", "c", 500, "+", 50.0), ("b2", "c", 1, "+", 50.0)])
    e = expansion(trajectories(s, sheet), s).set_index(["cell_type", "clone_id"])
    assert e.loc[("CD3", "c:500:+"), "expanding"] == 1
    assert e.loc[("CD14", "c:500:+"), "expanding"] == 0


def test_isa_matrix_layout_and_zero_sample():
    s = _example()
    m = isa_matrix(s, ["m01", "m06", "m12", "empty"])
    assert list(m.columns) == ["chr", "integration_locus", "strand", "GeneName", "GeneStrand", "m01", "m06", "m12",
                               "empty"]
    assert (m["empty"] == 0).all()
    assert m.set_index("integration_locus").loc[900, "m12"] == 10.0


def test_isa_columns_match_isanalytics_files():
    p = SHARED / "isanalytics" / "integration_matrices.tsv"
    v = SHARED / "vispa2_expected" / "IS_matrix_classic_strand_specific_method_review_VISPA2_testcase.no0.annotated.tsv"
    if not p.exists() or not v.exists():
        pytest.skip(f"../shared/data/integration/isanalytics absent: {p}")
    header = pd.read_csv(p, sep="\t", nrows=0).columns
    assert list(header[:5]) == list(ISA_COLUMNS)  # ISAnalytics mandatory + annotation IS vars
    assert list(pd.read_csv(v, sep="\t", nrows=0).columns[:5]) == list(ISA_COLUMNS)  # VISPA2 annotated matrix
