"""Attrition edge cases: samples without reads, per-sample FASTQs, reads without LTR / vector reads."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from cgtsafe.cli import main
from cgtsafe.integration.callsites import ATTRITION_COLUMNS
from cgtsafe.integration.demux import read_fastq


@pytest.fixture(scope="module")
def synth(test_data):
    d = test_data / "integration"
    if not (d / "R1.fastq.gz").exists():
        pytest.skip("test-data/integration absent: run scripts/make_test_data.py")
    return d


def _call(test_data, d, sheet, out, *run):
    argv = ["integration", "call-sites", "--samples", str(sheet), "--layout", str(d / "layout.yaml"),
            "--genome", str(test_data / "genome" / "ref.fa"), "--vector", str(d / "vector.fa"),
            "--out-dir", str(out), *run]
    assert main(argv) == 0
    return {n: pd.read_csv(out / f"{n}.tsv", sep="\t", keep_default_na=False) for n in
            ("attrition", "fragments", "multihits", "read_stages")}


def test_sample_without_reads_is_a_row_of_zeros(synth, test_data, tmp_path):
    sheet = tmp_path / "s.tsv"
    rows = (synth / "samples.tsv").read_text().splitlines()
    sheet.write_text("\n".join(rows) + "\nPT01-M24\tPT01\tmonth24\t730\tPBMC\tGGGGCCCCAAAA\n")
    res = _call(test_data, synth, sheet, tmp_path / "out", "--r1", str(synth / "R1.fastq.gz"),
                "--r2", str(synth / "R2.fastq.gz"), "--i1", str(synth / "I1.fastq.gz"))
    att = res["attrition"].set_index("sample")
    assert att.loc["PT01-M24", "reads"] == att.loc["PT01-M01", "reads"]  # reads = pairs of the run
    assert (att.loc["PT01-M24", list(ATTRITION_COLUMNS[1:])] == 0).all()
    assert "PT01-M24" not in set(res["fragments"]["sample"])
    truth = pd.read_csv(synth / "truth_attrition.tsv", sep="\t").set_index("sample")
    assert att.loc["undetermined", "barcode"] == truth.loc["undetermined", "barcode"]


def _split(synth, tmp_path, barcode):
    """Per-sample FASTQs of one barcode (exact or one substitution), written by the test itself."""
    names = []
    for name, seq, _q in read_fastq(synth / "I1.fastq.gz"):
        if sum(a != b for a, b in zip(seq, barcode)) <= 1:
            names.append(name)
    keep = set(names)
    for read in ("R1", "R2"):
        with gzip.open(tmp_path / f"{read}.fq.gz", "wt") as fh:
            for name, seq, qual in read_fastq(synth / f"{read}.fastq.gz"):
                if name in keep:
                    fh.write(f"@{name}\n{seq}\n+\n{qual}\n")
    return len(keep)


def test_per_sample_fastqs_equal_the_multiplexed_run(synth, test_data, tmp_path):
    sheet_rows = pd.read_csv(synth / "samples.tsv", sep="\t").set_index("sample")
    n = _split(synth, tmp_path, sheet_rows.loc["PT01-M06", "barcode"])
    empty = tmp_path / "empty.fq.gz"
    with gzip.open(empty, "wt"):
        pass
    sheet = tmp_path / "s.tsv"
    sheet.write_text("sample\tsubject\ttimepoint\tcell_type\tbarcode\tr1\tr2\n"
                     f"PT01-M06\tPT01\tmonth06\tPBMC\t\t{tmp_path / 'R1.fq.gz'}\t{tmp_path / 'R2.fq.gz'}\n"
                     f"EMPTY\tPT01\tmonth99\tPBMC\t\t{empty}\t{empty}\n")
    res = _call(test_data, synth, sheet, tmp_path / "out")
    att = res["attrition"].set_index("sample")
    truth = pd.read_csv(synth / "truth_attrition.tsv", sep="\t").set_index("sample")
    assert att.loc["PT01-M06", "reads"] == n == truth.loc["PT01-M06", "barcode"]
    for col in ATTRITION_COLUMNS[1:]:
        assert att.loc["PT01-M06", col] == truth.loc["PT01-M06", col], col
    assert (att.loc["EMPTY", list(ATTRITION_COLUMNS)] == 0).all()
    assert "undetermined" not in att.index


@pytest.mark.parametrize("stage,truth_class", [
    ("qtrimmed", "n_low_quality"), ("primed", "n_no_primer"), ("ltr_verified", "n_no_ltr"),
    ("linker_found", "n_no_linker"), ("vector_filtered", "n_vector"), ("quality_filtered", "n_short"),
])
def test_each_dropped_class_lost_at_its_step(synth, test_data, tmp_path_factory, stage, truth_class):
    """The pairs lost at a step are exactly the simulated pairs of the class that should fail there."""
    out = tmp_path_factory.getbasetemp() / "attr_classes"
    if not (out / "attrition.tsv").exists():
        _call(test_data, synth, synth / "samples.tsv", out, "--r1", str(synth / "R1.fastq.gz"),
              "--r2", str(synth / "R2.fastq.gz"), "--i1", str(synth / "I1.fastq.gz"))
    att = pd.read_csv(out / "attrition.tsv", sep="\t").set_index("sample").drop("undetermined")
    truth = pd.read_csv(synth / "truth_attrition.tsv", sep="\t").set_index("sample").drop("undetermined")
    cols = list(ATTRITION_COLUMNS)
    before = cols[cols.index(stage) - 1]
    lost = att[before] - att[stage]
    assert (lost == truth[truth_class]).all()
    assert (lost > 0).all()
