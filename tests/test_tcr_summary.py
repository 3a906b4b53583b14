"""`cgtsafe tcr summarize`: verdict, requirements, imported items, figures (against the planted truth)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from cgtsafe.summary import LEVELS


def _scan(d, out, *extra):
    cmd = [sys.executable, "-m", "cgtsafe", "tcr", "scan", "--proteome", str(d / "proteome.fasta"), "--peptide",
           "EVDPIGHLY", "--hla", "HLA-A*01:01", "--name", "MAGEA3", "--source", "MAGEA3", "--motif",
           "x-x-D-P-I-x-x-x-Y", "--xscan", str(d / "xscan.tsv"), "--expression", str(d / "expression.tsv"),
           "--out", str(out / "hits.tsv"), "--candidates", str(out / "candidates.tsv"), "--panel-out",
           str(out / "panel.tsv"), "--stats", str(out / "scan.json"), "--top-n", "0", "--hla-predictor", "none",
           *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _summarize(out, *extra):
    cmd = [sys.executable, "-m", "cgtsafe", "tcr", "summarize", "--stats", str(out / "MAGEA3" / "scan.json"),
           "--out", str(out / "summary.json"), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="module")
def full(test_data, tmp_path_factory):
    d = test_data / "tcr"
    out = tmp_path_factory.mktemp("tcr_full")
    _scan(d, out / "MAGEA3", "--hla-predictions", str(d / "hla_predictions.tsv"), "--hla-panel", "HLA-A*02:01")
    s = _summarize(out, "--allo-hla", str(d / "allo_hla.tsv"), "--affinity", str(d / "affinity.tsv"),
                   "--mispairing-statement", str(d / "mispairing_statement.txt"))
    return out, s


def test_verdict_names_the_titin_peptide(full):
    _, s = full
    assert s["analysis"] == "tcr" and s["status"] == "computed"
    assert s["verdict_level"] == "attention" and s["verdict_level"] in LEVELS
    assert "7 peptide(s)" in s["verdict_en"]
    assert "TTN ESDPIVAQY (Heart Muscle 150 nTPM)" in s["verdict_en"]
    assert "EVDPIGHLY in MAGEA6" in s["verdict_en"]
    assert "TTN ESDPIVAQY" in s["verdict_zh"] and "体外" in s["verdict_zh"]


def test_requirements_and_imported(full):
    out, s = full
    assert s["requirements"] == [f"R004-{n}" for n in range(27, 35)]
    ids = {t["id"]: t for t in s["tables"]}
    for name in ("allo_hla", "affinity", "mispairing_statement"):
        t = ids[f"tcr_imported_{name}"]
        assert "Imported, not computed" in t["description_en"]
        assert (out / t["path"]).exists()
    st = pd.read_csv(out / ids["tcr_imported_mispairing_statement"]["path"], sep="\t")
    assert len(st) == 2 and st["text"].iloc[1].startswith("Endogenous TRAC")
    # every table/figure path resolves relative to the summary folder
    for entry in s["tables"] + s["figures"]:
        assert (out / entry["path"]).exists(), entry


def test_figure_is_plotly(full):
    out, s = full
    fig = json.loads((out / s["figures"][0]["path"]).read_text())
    assert isinstance(fig["data"], list) and len(fig["data"]) == 3  # tiers 0..2 present (EXPECTED_ORDER)
    names = [tr["name"] for tr in fig["data"]]
    assert names[0].startswith("tier 0")


def test_missing_imports_and_predictions_are_stated(test_data, tmp_path):
    d = test_data / "tcr"
    _scan(d, tmp_path / "MAGEA3")
    s = _summarize(tmp_path)
    assert "R004-28" not in s["requirements"] and "R004-33" not in s["requirements"]
    assert "R004-34" not in s["requirements"]
    what = " ".join(e["what"] + " " + e["reason"] for e in s["exclusions"])
    assert "R004-33" in what and "not provided" in what
    assert "HLA binding" in what and "unavailable" in what
    kf = {k["label_en"]: k["value"] for k in s["key_figures"]}
    assert kf["MAGEA3: HLA binding predictions"].startswith("unavailable")
    assert kf["allo-HLA screening results"] == "not provided"
    cands = pd.read_csv(tmp_path / "candidates.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert set(cands["hla_binder"]) == {"unavailable"}


def test_summary_byte_identical(full, test_data, tmp_path):
    out, s = full
    d = test_data / "tcr"
    _scan(d, tmp_path / "MAGEA3", "--hla-predictions", str(d / "hla_predictions.tsv"), "--hla-panel", "HLA-A*02:01")
    _summarize(tmp_path, "--allo-hla", str(d / "allo_hla.tsv"), "--affinity", str(d / "affinity.tsv"),
               "--mispairing-statement", str(d / "mispairing_statement.txt"))
    for rel in ("summary.json", "candidates.tsv", "figures/tcr_score_vs_expression.json"):
        assert (tmp_path / rel).read_bytes() == (out / rel).read_bytes(), rel


def test_defaults_builtin_predictor_and_ranking_in_summary(test_data, tmp_path):
    """Default scan (built-in SMMPMBEC, top 500 ranking, Chinese panel): the summary says so and what is missing."""
    d = test_data / "tcr"
    cmd = [sys.executable, "-m", "cgtsafe", "tcr", "scan", "--proteome", str(d / "proteome.fasta"), "--peptide",
           "EVDPIGHLY", "--hla", "HLA-A*01:01", "--name", "MAGEA3", "--source", "MAGEA3", "--expression",
           str(d / "expression.tsv"), "--out", str(tmp_path / "MAGEA3" / "hits.tsv"), "--candidates",
           str(tmp_path / "MAGEA3" / "candidates.tsv"), "--stats", str(tmp_path / "MAGEA3" / "scan.json")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    s = _summarize(tmp_path)
    kf = {k["label_en"]: k["value"] for k in s["key_figures"]}
    assert kf["MAGEA3: HLA binding predictions"].startswith("built-in SMMPMBEC")
    assert kf["MAGEA3: most similar k-mers kept (contact-weighted BLOSUM62, top 500)"] >= 500
    assert "500 most similar distinct k-mers" in s["methods_en"] and "CrossDome" in s["methods_en"]
    assert "Morgan et al. 2013" in s["methods_en"] and "monotone" in s["methods_en"]
    what = " ".join(e["what"] for e in s["exclusions"])
    assert "without a built-in 9-mer model" in what and "HLA-A*33:03" in what
    cands = pd.read_csv(tmp_path / "candidates.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert list(cands.columns[:6]) == ["rank", "target", "kmer", "genes", "tier", "evidence"]
    ttn = cands.set_index("kmer").loc["ESDPIVAQY"]
    assert ttn["hla_binder"] == "weak" and "SMMPMBEC" in ttn["hla_binding"]
