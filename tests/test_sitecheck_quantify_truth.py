"""WGS and amplicon quantification against the simulation truth of test-data/sequencing
(scripts/testdata/sequencing.py: truth_sites.tsv holds the simulated edited/unedited read counts)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEQ = ROOT / "test-data" / "sequencing"
REF = ROOT / "test-data" / "genome" / "ref.fa"
PLANTED = ROOT / "test-data" / "offtarget" / "planted_sites.tsv"


def _need():
    for p in (SEQ / "wgs_edited.cram", SEQ / "wgs_control.cram", SEQ / "truth_sites.tsv", PLANTED, REF):
        if not p.exists():
            pytest.skip(f"test-data absent: {p.relative_to(ROOT)}")


@pytest.fixture(scope="module")
def wgs():
    _need()
    from cgtsafe.sitecheck.quantify import quantify_bam
    from cgtsafe.sitecheck.sites import read_sites
    from cgtsafe.sitecheck.verdict import compare

    sites = read_sites(PLANTED)
    e = quantify_bam(SEQ / "wgs_edited.cram", REF, sites, sample="EDITED_D1", threads=2)
    c = quantify_bam(SEQ / "wgs_control.cram", REF, sites, sample="CONTROL_D1")
    v = compare(e, c, sites, assay="wgs", threshold=0.001).set_index("site_id")
    truth = pd.read_csv(SEQ / "truth_sites.tsv", sep="\t").set_index("site_id")
    return v, truth


@pytest.fixture(scope="module")
def amplicon(tmp_path_factory):
    _need()
    from cgtsafe.cli import main

    d = tmp_path_factory.mktemp("amp")
    for s in ("EDITED_D1", "CONTROL_D1"):
        assert main(["sitecheck", "quantify-amplicon", "--sheet", str(ROOT / "test-data" / "demo" / "samples_amplicon.tsv"),
                     "--sample", s, "--amplicons", str(SEQ / "amplicons.tsv"), "--sites", str(PLANTED),
                     "--out", str(d / f"{s}.tsv")]) == 0
    sheet = pd.read_csv(ROOT / "test-data" / "demo" / "samples_amplicon.tsv", sep="\t", dtype=str, keep_default_na=False)
    nuclease = d / "nuclease_arm.tsv"  # the editor arms (CBE_*, PE_*) are tested in test_sitecheck_demo_editors.py
    sheet[sheet["sample"].isin(["EDITED_D1", "CONTROL_D1"])].to_csv(nuclease, sep="\t", index=False)
    assert main(["sitecheck", "compare", "--sites", str(PLANTED), "--amplicon-sheet",
                 str(nuclease), "--counts", str(d / "EDITED_D1.tsv"),
                 str(d / "CONTROL_D1.tsv"), "--threshold", "0.001", "--out", str(d / "v.tsv")]) == 0
    v = pd.read_csv(d / "v.tsv", sep="\t").set_index("site_id")
    truth = pd.read_csv(SEQ / "truth_sites.tsv", sep="\t").set_index("site_id")
    return v, truth


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)  # sample sheets hold paths relative to the repository root


def test_wgs_simulated_frequency_inside_wilson_interval(wgs):
    v, truth = wgs
    checked = 0
    for sid, t in truth.iterrows():
        n_true = t["wgs_EDITED_D1_edited"] + t["wgs_EDITED_D1_unedited"]
        if n_true < 10 or v.loc[sid, "edited_reads"] < 10:
            continue
        # simulated allele fraction in the reads (large-deletion reads count as edited: they delete the window)
        f = (t["wgs_EDITED_D1_edited"] + t["wgs_EDITED_D1_sv"]) / (n_true + t["wgs_EDITED_D1_sv"])
        assert v.loc[sid, "edited_ci_low"] <= f <= v.loc[sid, "edited_ci_high"], sid
        checked += 1
    assert checked >= 15


def test_wgs_no_edit_called_where_none_planted(wgs):
    v, truth = wgs
    unedited = truth.index[truth["wgs_edit_freq"] == 0]
    assert (v.loc[unedited, "edited_indel"] == 0).all()       # germline SNVs/indels near sites are not edits
    assert (v["control_indel"] == 0).all()
    assert not v.loc[unedited, "verdict"].isin(["edited", "edited_below_threshold"]).any()


def test_wgs_verdicts(wgs):
    v, truth = wgs
    on = truth.index[truth["wgs_edit_freq"] >= 0.45]
    assert (v.loc[on, "verdict"] == "edited").all()
    # 30x cannot show 0.1 %: every covered clean site is inconclusive, never silently clean
    clean = v.loc[truth.index[truth["wgs_edit_freq"] == 0]]
    covered = clean[clean["verdict"] != "no_coverage"]
    assert (covered["verdict"] == "inconclusive_lod_above_threshold").all() and (covered["lod"] > 0.001).all()
    # the duplicated segment is simulated with low MAPQ: its sites lose their reads to the MAPQ filter
    cat = pd.read_csv(PLANTED, sep="\t", keep_default_na=False).set_index("site_id")["category"]
    dup = cat.index[cat == "duplicated"]
    assert (v.loc[dup, "verdict"] == "no_coverage").all()
    assert (v.loc[dup, "edited_reads"] < truth.loc[dup, "wgs_EDITED_D1_unedited"]).all()


def test_amplicon_counts_equal_simulation(amplicon):
    v, truth = amplicon
    for sid, row in v.iterrows():
        t = truth.loc[sid]
        assert row["edited_reads"] == t["amplicon_EDITED_D1_edited"] + t["amplicon_EDITED_D1_unedited"]
        assert row["edited_indel"] == t["amplicon_EDITED_D1_edited"], sid
        assert row["control_indel"] == t["amplicon_CONTROL_D1_edited"] == 0
        f = t["amplicon_edit_freq"]
        assert row["edited_ci_low"] <= f <= row["edited_ci_high"], sid


def test_amplicon_verdicts(amplicon):
    v, truth = amplicon
    label = pd.read_csv(PLANTED, sep="\t", keep_default_na=False).set_index("site_id")["label"]
    verdict = {label[s]: v.loc[s, "verdict"] for s in v.index}
    assert verdict["ON"] == verdict["OT1"] == verdict["OT2"] == "edited"
    # OT3 is not edited; 2,000 reads give a LOD of ~0.34 %, above 0.1 %: inconclusive, not "clean"
    assert verdict["OT3"] == "inconclusive_lod_above_threshold"
