"""On-target structural outcomes: recovery of the planted large deletion and translocation.

Two data sets: the 30x synthetic WGS pair of test-data/sequencing (events found at the planted
breakpoints, frequency interval containing the truth, nothing in the control), and a deep (200x)
simulation of a small genome made with the same simulator (frequency within 3 binomial standard
errors of the truth, exact breakpoints, significant vs the control).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from cgtsafe.errors import InputError
from cgtsafe.sitecheck import structural as sv

ROOT = Path(__file__).resolve().parents[1]
TD = ROOT / "test-data"
SEQ = TD / "sequencing"
REF = TD / "genome" / "ref.fa"


def _check_events(df: pd.DataFrame, truth: pd.DataFrame, *, freq_se_tol: float | None, require_call: bool):
    for t in truth.itertuples():
        tol = 10 if t.type == "TRA" else 1000  # the 30x deletion has discordant pairs only (imprecise)
        hit = df[(df["type"] == t.type) & (df["chrom1"] == t.chrom1) & (df["chrom2"] == t.chrom2)
                 & ((df["pos1"] - t.pos1).abs() <= tol) & ((df["pos2"] - t.pos2).abs() <= tol)]
        assert len(hit) == 1, t
        h = hit.iloc[0]
        assert h["control_support"] == 0
        assert h["edited_freq_low"] <= t.frequency <= h["edited_freq_high"], (t.type, h["edited_frequency"])
        if freq_se_tol is not None:  # within freq_se_tol binomial standard errors of the truth
            n = h["edited_support"] + h["edited_ref"] * (2 if t.type == "TRA" else 1) / 2
            se = (t.frequency * (1 - t.frequency) / n) ** 0.5
            assert abs(h["edited_frequency"] - t.frequency) <= freq_se_tol * se, (t.type, h["edited_frequency"], se)
        assert h["site_id1"] == t.site_id1 and h["site_id2"] == t.site_id2
        if require_call:
            assert h["call"] == 1 and h["precise"] == 1
            assert (h["pos1"], h["pos2"]) == (t.pos1, t.pos2)
    assert len(df) == len(truth)  # nothing else near the cut sites


@pytest.fixture(scope="module")
def demo():
    if not (SEQ / "wgs_edited.cram").exists():
        pytest.skip("test-data/sequencing absent")
    return sv.detect(SEQ / "wgs_edited.cram", SEQ / "wgs_control.cram", REF, TD / "offtarget" / "planted_sites.tsv")


def test_demo_30x(demo):
    df, stats = demo
    truth = pd.read_csv(SEQ / "truth_sv.tsv", sep="\t")
    _check_events(df, truth, freq_se_tol=None, require_call=False)
    tra = df[df["type"] == "TRA"].iloc[0]
    assert tra["precise"] == 1 and (tra["pos1"], tra["pos2"]) == (102930, 21425)
    assert tra["detected"] == 1
    assert stats["control_split_reads"] == 0 and stats["control_discordant_pairs"] == 0


def test_control_vs_control_finds_nothing():
    if not (SEQ / "wgs_control.cram").exists():
        pytest.skip("test-data/sequencing absent")
    df, _ = sv.detect(SEQ / "wgs_control.cram", SEQ / "wgs_control.cram", REF, TD / "offtarget" / "planted_sites.tsv")
    assert df.empty


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    """A 50 kb genome with an on-target (60 % indels, 5 % 3-kb deletion, 2 % translocation) and an
    off-target (20 %), simulated at 200x by scripts/testdata/sequencing.py."""
    spec = importlib.util.spec_from_file_location("seqgen_sv", ROOT / "scripts" / "testdata" / "sequencing.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    d = tmp_path_factory.mktemp("deep")
    rng = np.random.default_rng(11)
    genome = {"ca": "".join(rng.choice(list("ACGT"), size=30_000)), "cb": "".join(rng.choice(list("ACGT"), size=20_000))}
    (d / "genome").mkdir()
    with open(d / "genome" / "ref.fa", "w") as fh:
        for n, s in genome.items():
            fh.write(f">{n}\n" + "\n".join(s[i:i + 60] for i in range(0, len(s), 60)) + "\n")
    pysam.faidx(str(d / "genome" / "ref.fa"))
    planted = [
        {"site_id": "g:ca:11983:+", "guide": "g", "chrom": "ca", "strand": "+", "cut_start": "12000",
         "category": "on_target", "wgs_edit_freq": "0.6", "amplicon": "0"},
        {"site_id": "g:cb:7994:-", "guide": "g", "chrom": "cb", "strand": "-", "cut_start": "8000",
         "category": "mismatch", "wgs_edit_freq": "0.2", "amplicon": "0"},
    ]
    pd.DataFrame(planted).to_csv(d / "sites.tsv", sep="\t", index=False)
    mod.generate(d, {"genome": genome, "genes": [], "planted": planted, "seed": 5, "coverage": 200,
                     "amplicons": False})
    return d


@pytest.mark.slow
def test_deep_simulation_frequency(deep):
    d = deep
    df, _ = sv.detect(d / "sequencing" / "wgs_edited.cram", d / "sequencing" / "wgs_control.cram",
                      d / "genome" / "ref.fa", d / "sites.tsv")
    truth = pd.read_csv(d / "sequencing" / "truth_sv.tsv", sep="\t")
    _check_events(df, truth, freq_se_tol=3.0, require_call=True)


def test_cigar_span():
    assert sv._cigar_span("67S83M") == (67, 83, 0)
    assert sv._cigar_span("43M107H") == (0, 43, 107)
    assert sv._cigar_span("10S20M5D30M2I10M15S") == (10, 65, 15)


def test_bad_sites_table(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_text("site_id\tchrom\tcut_start\nx\tchr1\tabc\n")
    with pytest.raises(InputError, match=r"s.tsv, line 2: column cut_start must be an integer"):
        sv.read_cut_sites(p)
    q = tmp_path / "t.tsv"
    q.write_text("site_id\tchrom\n")
    with pytest.raises(InputError, match="lacks column"):
        sv.read_cut_sites(q)


def test_summary_fragment(demo):
    df, stats = demo
    from dataclasses import asdict

    df = df.assign(sample="EDITED_D1", control="CONTROL_D1")
    merged, summary = sv.build_summary([df], [stats], asdict(sv.SVParams()), table_name="structural_events.tsv")
    assert {"key_figures", "tables", "figures", "methods_en", "methods_zh", "parameters"} <= set(summary)
    kf = {k["label_en"]: k["value"] for k in summary["key_figures"]}
    assert kf["Translocations detected (edited only)"] == 1
    assert kf["Events with support in the control"] == 0


def test_deletion_attributed_to_the_cut_it_removes(tmp_path):
    """A predicted site 400 bp left of the deletion is nearer to its left breakpoint than the on-target,
    but the deletion removes the on-target cut: both breakpoints are attributed to the on-target."""
    if not (SEQ / "wgs_edited.cram").exists():
        pytest.skip("test-data/sequencing absent")
    planted = pd.read_csv(TD / "offtarget" / "planted_sites.tsv", sep="\t", dtype=str)
    decoy = planted.iloc[[0]].assign(site_id="decoy:chr1:101234:-", chrom="chr1", cut_start="101240")
    p = tmp_path / "sites.tsv"
    pd.concat([planted, decoy]).to_csv(p, sep="\t", index=False)
    df, _ = sv.detect(SEQ / "wgs_edited.cram", SEQ / "wgs_control.cram", REF, p)
    d = df[df["type"] == "DEL"].iloc[0]
    assert d["site_id1"] == d["site_id2"] == "DEMO_g1:chr1:102913:+"


def test_cli_pair_and_summary(tmp_path):
    import json

    from cgtsafe.cli import main

    if not (SEQ / "wgs_edited.cram").exists():
        pytest.skip("test-data/sequencing absent")
    out = tmp_path / "sc"
    assert main(["sitecheck", "structural", "--edited", str(SEQ / "wgs_edited.cram"), "--control",
                 str(SEQ / "wgs_control.cram"), "--sample", "EDITED_D1", "--control-name", "CONTROL_D1",
                 "--reference", str(REF), "--sites", str(TD / "offtarget" / "planted_sites.tsv"),
                 "--out", str(out / "sv" / "E.tsv"), "--stats", str(out / "sv" / "E.json")]) == 0
    assert main(["sitecheck", "structural-summary", "--tables", str(out / "sv" / "E.tsv"), "--stats",
                 str(out / "sv" / "E.json"), "--out-table", str(out / "structural_events.tsv"),
                 "--out-figure", str(out / "fig_structural_events.json"),
                 "--out", str(out / "structural_summary.json")]) == 0
    df = pd.read_csv(out / "structural_events.tsv", sep="\t")
    assert sorted(df["type"]) == ["DEL", "TRA"] and (df["sample"] == "EDITED_D1").all()
    s = json.loads((out / "structural_summary.json").read_text())
    assert [f["path"] for f in s["figures"]] == ["fig_structural_events.json"]
    assert (out / s["tables"][0]["path"]).exists()
    assert len(json.loads((out / "fig_structural_events.json").read_text())["data"]) == 2
