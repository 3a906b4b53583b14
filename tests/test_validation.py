"""validate-demo detects both agreement and disagreement with the truth tables (it must be able to fail)."""

from __future__ import annotations

import json
import shutil

import pandas as pd

from cgtsafe.validation.demo import check_cnv, check_offtarget, check_tcr


def _planted(test_data):
    return pd.read_csv(test_data / "offtarget" / "planted_sites.tsv", sep="\t", dtype=str, keep_default_na=False)


def _write_results(tmp_path, sites, params):
    d = tmp_path / "results" / "offtarget"
    d.mkdir(parents=True)
    sites.to_csv(d / "sites.tsv", sep="\t", index=False)
    (d / "summary.json").write_text(json.dumps({"parameters": params}))
    return tmp_path / "results"


def test_offtarget_recall_passes_and_fails(tmp_path, test_data):
    planted = _planted(test_data)
    ok_sites = planted[~planted["category"].str.startswith("variant")]
    params = {"max_mismatches": 6, "max_dna_bulge": 2, "max_rna_bulge": 2}
    res = _write_results(tmp_path / "a", ok_sites, params)
    rec = check_offtarget(res, test_data)[0]
    assert rec["passed"] and rec["value"] == 1.0 and rec["n"] == len(ok_sites)
    # drop one planted site, change the mismatch count of another: both must be caught
    broken = ok_sites.iloc[2:].copy()
    broken.iloc[0, broken.columns.get_loc("mismatches")] = "9"
    res = _write_results(tmp_path / "b", broken, params)
    rec = check_offtarget(res, test_data)[0]
    assert not rec["passed"] and rec["value"] == (len(ok_sites) - 3) / len(ok_sites)


def test_offtarget_limits_exclude_sites_outside_the_search(tmp_path, test_data):
    planted = _planted(test_data)
    within = planted[(planted["dna_bulge"].astype(int) <= 1) & (planted["rna_bulge"].astype(int) <= 1)
                     & ~planted["category"].str.startswith("variant")]
    res = _write_results(tmp_path, within, {"max_mismatches": 6, "max_dna_bulge": 1, "max_rna_bulge": 1})
    rec = check_offtarget(res, test_data)[0]
    assert rec["passed"] and rec["n"] == len(within)


def test_tcr_decoy_is_caught(tmp_path, test_data):
    truth = pd.read_csv(test_data / "tcr" / "truth_hits.tsv", sep="\t", dtype=str, keep_default_na=False)
    d = tmp_path / "results" / "tcr" / "T"
    d.mkdir(parents=True)
    truth[["protein", "position", "kmer"]].to_csv(d / "hits.tsv", sep="\t", index=False)  # decoys included
    recs = {r["metric"]: r for r in check_tcr(tmp_path / "results", test_data)}
    found = next(r for m, r in recs.items() if m.startswith("planted"))
    decoys = next(r for m, r in recs.items() if m.startswith("decoys"))
    assert found["passed"] and not decoys["passed"] and decoys["value"] > 0
    shutil.rmtree(tmp_path / "results")


def _segments(tmp_path, rows):
    d = tmp_path / "results" / "cnv" / "EDITED"
    d.mkdir(parents=True)
    cols = ["chrom", "start", "end", "call", "cell_fraction", "cell_fraction_low", "cell_fraction_high"]
    pd.DataFrame(rows, columns=cols).to_csv(d / "segments.tsv", sep="\t", index=False)
    return tmp_path / "results"


def test_cnv_planted_events_pass_and_fail(tmp_path, test_data):
    truth = pd.read_csv(test_data / "cnv" / "truth.tsv", sep="\t", dtype=str, keep_default_na=False)
    exact = [[t.chrom, int(t.start), int(t.end), t.type, float(t.cell_fraction), float(t.cell_fraction) - 0.03,
              float(t.cell_fraction) + 0.03] for t in truth.itertuples()]
    recs = check_cnv(_segments(tmp_path / "a", exact), test_data)
    assert [r["passed"] for r in recs] == [True, True]
    # the loss's interval misses the planted fraction, and a spurious gain elsewhere: both caught
    wrong = [list(r) for r in exact]
    wrong[0][5:7] = [0.5, 0.6]
    wrong.append([truth.chrom[0], 10**9, 10**9 + 10, "gain", 1.0, 0.9, 1.0])
    recs = check_cnv(_segments(tmp_path / "b", wrong), test_data)
    assert not recs[0]["passed"] and recs[0]["value"] == 0.5
    assert not recs[1]["passed"] and recs[1]["value"] == 1
