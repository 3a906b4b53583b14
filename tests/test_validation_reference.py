"""Method performance on the real reference data (cgtsafe.validation.reference): every comparison with
the peer tools / publications of ../shared/data passes, the expected metrics are present, and the
comparisons can fail (tampered peer tables / inputs give failed records)."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from cgtsafe.validation import reference as vr
from conftest import SHARED_DATA, TEST_DATA

KEYS = {"analysis", "metric", "value", "reference", "n", "source", "passed"}

#: metric prefixes that must be present when the whole ../shared/data is there
EXPECTED = [
    ("offtarget", "off-target search, NRG PAM, <= 4 mismatches"),
    ("offtarget", "off-target search, NGG PAM, <= 5 mismatches"),
    ("offtarget", "recall of published GUIDE-seq / CIRCLE-seq off-target sites"),
    ("offtarget", "CFD score vs the published CRISPOR"),
    ("offtarget", "MIT hit score vs the published formula"),
    ("sitecheck", "amplicon FANCF (FANC.Cas9, 250 reads): modified % vs CRISPResso2"),
    ("sitecheck", "WGS-region FANCF (smallGenome BAM, chr11:1024-1274): modified % vs CRISPRessoWGS"),
    *[("integration", f"read stage {ours} vs intSiteCaller {theirs}") for theirs, ours in
      vr.INSPIIRED_STAGES + vr.INSPIIRED_CURATED],
    ("integration", "HIV sites inside transcription units vs matched random controls"),
    ("integration", "MLV near-TSS (+-5 kb) odds ratio"),
    ("tcr", "HPA expression loader: TTN"),
    ("tcr", "HPA expression loader: MAGEA3"),
    ("tcr", "BLOSUM62 matrix"),
]


def _need_shared():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data absent: {SHARED_DATA} not found (real reference comparisons)")


@functools.lru_cache(maxsize=1)
def _records_and_timings():
    t: dict = {}
    return vr.validate_reference(SHARED_DATA, timings=t), t


@pytest.mark.realdata
def test_all_reference_records_pass():
    _need_shared()
    records, timings = _records_and_timings()
    assert records
    for r in records:
        assert set(r) == KEYS
        assert isinstance(r["value"], (int, float)) and not isinstance(r["value"], bool), r
        assert isinstance(r["reference"], str) and isinstance(r["source"], str) and r["source"]
        assert isinstance(r["passed"], bool)
    failed = [f"{r['analysis']}: {r['metric']}: {r['value']} (expected {r['reference']})" for r in records
              if not r["passed"]]
    assert not failed, "\n".join(failed)
    json.dumps(records, allow_nan=False)  # the report reads it as strict JSON
    assert sum(timings.values()) < 60, timings


@pytest.mark.realdata
@pytest.mark.parametrize("analysis,prefix", EXPECTED, ids=[p for _, p in EXPECTED])
def test_expected_metric_present(analysis, prefix):
    _need_shared()
    records, _ = _records_and_timings()
    hits = [r for r in records if r["analysis"] == analysis and r["metric"].startswith(prefix)]
    assert hits, f"no record {analysis}: {prefix}..."
    # the source names the reference file relative to ../shared/data (the BLOSUM62 spot values are printed)
    if not prefix.startswith("BLOSUM62"):
        first = hits[0]["source"].split(";")[0].split(" + ")[0].split("/{")[0]
        assert (SHARED_DATA / first).exists(), hits[0]["source"]


def test_absent_folder_gives_no_records(tmp_path):
    assert vr.validate_reference(tmp_path / "nope") == []
    # an empty folder: only the BLOSUM62 check (no files needed) runs
    recs = vr.validate_reference(tmp_path)
    assert [r["metric"].split(" ")[0] for r in recs] == ["BLOSUM62"] and recs[0]["passed"]


# ---------------------------------------------------------------------------------------------------
# the comparisons can fail
# ---------------------------------------------------------------------------------------------------
def _peer_and_ours():
    peer = pd.DataFrame({"guide": ["g1", "g1", "g2"], "chrom": ["chrX"] * 3, "start": [10, 50, 90],
                         "strand": ["+", "-", "+"], "mm": [3, 4, 2]})
    ours = peer.rename(columns={"mm": "mismatches"})
    return peer, ours


def test_site_sets_identical_pass():
    peer, ours = _peer_and_ours()
    found, extra = vr.site_set_records(*vr.casoffinder_sets(peer, ours), "t", "src")
    assert found["passed"] and found["value"] == 1.0 and extra["passed"] and extra["value"] == 0


@pytest.mark.parametrize("tamper", ["drop_peer_site", "wrong_mismatches", "extra_site", "shifted_start"])
def test_site_sets_tampered_fail(tamper):
    peer, ours = _peer_and_ours()
    if tamper == "drop_peer_site":  # we miss a peer site
        ours = ours.iloc[1:]
    elif tamper == "wrong_mismatches":  # same locus, different mismatch count: both a miss and an extra
        ours = ours.assign(mismatches=[3, 4, 1])
    elif tamper == "extra_site":
        ours = pd.concat([ours, ours.iloc[:1].assign(start=11)])
    else:
        peer = peer.assign(start=peer["start"] + 1)
    found, extra = vr.site_set_records(*vr.casoffinder_sets(peer, ours), "t", "src")
    assert not (found["passed"] and extra["passed"])
    if tamper in ("drop_peer_site", "wrong_mismatches", "shifted_start"):
        assert not found["passed"] and found["value"] < 1.0
    if tamper in ("wrong_mismatches", "extra_site", "shifted_start"):
        assert not extra["passed"] and extra["value"] >= 1


@pytest.mark.realdata
def test_tampered_casoffinder_table_fails():
    """The real Cas-OFFinder NGG table with one row's mismatch count changed no longer agrees."""
    _need_shared()
    path = SHARED_DATA / vr.CASOFF / "v2_NGG_5mm.casoffinder2.4.1.txt"
    if not path.exists() or not (SHARED_DATA / vr.CHRX).exists():
        pytest.skip(f"../shared/data absent: {path}")
    from cgtsafe.offtarget.nuclease import get_nuclease
    from cgtsafe.offtarget.search import Guide, search_genome

    peer = pd.read_csv(path, sep="\t", header=None, names=["query", "chrom", "start", "site", "strand", "mm", "guide"])
    g = pd.read_csv(SHARED_DATA / vr.CASOFF / "guides.tsv", sep="\t")
    ours = search_genome(vr._ChrX(SHARED_DATA / vr.CHRX).get(), [Guide(n, s) for n, s in zip(g.name, g.spacer_20nt)],
                         get_nuclease("SpCas9"), max_mismatches=5, pam="NGG")
    ok = vr.site_set_records(*vr.casoffinder_sets(peer, ours), "t", "src")
    assert all(r["passed"] for r in ok)
    bad = peer.copy()
    bad.loc[0, "mm"] = int(bad.loc[0, "mm"]) - 1
    found, extra = vr.site_set_records(*vr.casoffinder_sets(bad, ours), "t", "src")
    assert not found["passed"] and not extra["passed"]
    assert found["value"] == pytest.approx((len(peer) - 1) / len(peer)) and extra["value"] == 1


def test_stage_deviation_fails_beyond_5_percent():
    rows = [{"sample": "s1", **{t: "100" for t, _ in vr.INSPIIRED_STAGES}},
            {"sample": "s2", **{t: "40" for t, _ in vr.INSPIIRED_STAGES}}]
    stages = pd.DataFrame({o: [100, 40] for _, o in vr.INSPIIRED_STAGES}, index=["s1", "s2"])
    assert all(r["passed"] and r["value"] == 0 for r in vr.stage_deviation_records(rows, stages, "src"))
    stages.loc["s2", "r2_ltr"] = 43  # 7.5 % off
    stages.loc["s1", "barcode"] = 95  # 5 % off: still inside
    recs = {r["metric"].split(" vs ")[0]: r for r in vr.stage_deviation_records(rows, stages, "src")}
    assert not recs["read stage r2_ltr"]["passed"] and recs["read stage r2_ltr"]["value"] == pytest.approx(7.5)
    assert "worst s2" in recs["read stage r2_ltr"]["metric"]
    assert recs["read stage barcode"]["passed"]
    # a sample missing from our table counts as 0 reads
    recs = vr.stage_deviation_records(rows, stages.drop(index="s1"), "src")
    assert not any(r["passed"] for r in recs)


def test_deviation_record_threshold():
    assert vr.deviation_record("sitecheck", "m", 26.69, 26.38, 0.5, "src", 235)["passed"]
    r = vr.deviation_record("sitecheck", "m", 27.0, 26.38, 0.5, "src", 235)
    assert not r["passed"] and r["value"] == pytest.approx(0.62)


def test_score_vectors_wrong_expected_value_fails(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("Test vectors:\n    guide23                  offtarget23               CFD\n"
                      "    GGGGGGGGGGGGGGGGGGGGGGG  GGGGGGGGGGGGGGGGGGGGGGG   1.0\n"
                      "    ATGGTCGGACTCCCTGCCAGAGG  ATGGTGGGACTCCCTGCCAGAGG   0.5\n")
    vec = vr.readme_cfd_vectors(readme)
    assert [v[2] for v in vec] == [1.0, 0.5]
    spacer = "GAGTCCGAGCAGAAGAAGAA"
    weights = {p: 0.1 for p in range(1, 21)}
    mit = [(spacer, vr._mutate(spacer, (20,)) + "AGG", vr.mit_expected((20,), weights))]
    good = vr.score_records(vec, [], "s", "s")
    assert good[0]["passed"] and good[0]["value"] == 0
    bad = vr.score_records([(g, o, e + 0.01) for g, o, e in vec], mit, "s", "s")
    assert not bad[0]["passed"] and bad[0]["value"] == pytest.approx(0.01)
    assert not bad[1]["passed"]  # weight 0.1 instead of the published 0.583 at position 20


@pytest.mark.realdata
def test_tampered_crispresso_expected_value_fails(tmp_path):
    """A copy of the CRISPResso2 folder whose expected Modified% is changed by 2 points gives a failed record."""
    _need_shared()
    src = SHARED_DATA / vr.CRISPRESSO
    if not (src / vr.FANC_EXPECTED).exists():
        pytest.skip(f"../shared/data absent: {src / vr.FANC_EXPECTED}")
    d = tmp_path / vr.CRISPRESSO
    d.mkdir(parents=True)
    for name in ("FANC.Cas9.fastq", "Cas9.amplicons.txt"):
        shutil.copy(src / name, d / name)
    df = pd.read_csv(src / vr.FANC_EXPECTED, sep="\t", dtype=str, keep_default_na=False)
    df.loc[0, "Modified%"] = f"{float(df.loc[0, 'Modified%']) + 2:.2f}"
    df.to_csv(d / vr.FANC_EXPECTED, sep="\t", index=False)
    recs = vr.check_crispresso(tmp_path)
    assert len(recs) == 1 and not recs[0]["passed"] and recs[0]["value"] > 1.5


def test_failing_check_is_a_failed_record(tmp_path, monkeypatch):
    def boom(_shared):
        raise ValueError("broken table")

    monkeypatch.setattr(vr, "check_hpa", boom)
    recs = vr.validate_reference(tmp_path)
    bad = [r for r in recs if not r["passed"]]
    assert len(bad) == 1 and bad[0]["analysis"] == "tcr" and "broken table" in bad[0]["metric"]


def test_cli_reference_data_absent_is_a_note(tmp_path):
    out = tmp_path / "perf.json"
    p = subprocess.run([sys.executable, "-m", "cgtsafe", "validate-demo", "--results", str(tmp_path / "none"),
                        "--truth", str(TEST_DATA), "--reference-data", str(tmp_path / "absent"), "--out", str(out),
                        "--no-fail"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "reference comparisons skipped" in p.stderr
    assert json.loads(out.read_text()) == []


def test_cli_reference_failure_counts_unless_no_fail(tmp_path):
    """A broken HPA table in the reference folder: a failed tcr record, exit 1; exit 0 with --no-fail."""
    hpa = tmp_path / "ref" / vr.HPA
    hpa.parent.mkdir(parents=True)
    hpa.write_text("gene\tHeart Muscle\nTTN\t5\n")  # lacks ensembl_id / gene_donor
    out = tmp_path / "perf.json"
    args = [sys.executable, "-m", "cgtsafe", "validate-demo", "--results", str(tmp_path / "none"), "--truth",
            str(TEST_DATA), "--reference-data", str(tmp_path / "ref"), "--out", str(out)]
    p = subprocess.run(args, capture_output=True, text=True)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "ok   tcr: BLOSUM62" in p.stdout and "FAIL tcr: reference check 'hpa' could not run" in p.stdout
    recs = json.loads(out.read_text())
    assert [r["passed"] for r in recs] == [False, True]
    assert subprocess.run(args + ["--no-fail"], capture_output=True, text=True).returncode == 0
