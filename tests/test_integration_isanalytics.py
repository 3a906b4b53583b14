"""ISAnalytics/VISPA2 interchange and the read-count mode.

References: ISAnalytics' example association file and integration matrices and VISPA2's test-case IS matrix
(``../shared/data/integration/{isanalytics,vispa2_expected}``; tests skip when absent), and a planted
round trip (export -> import gives back the values written)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cgtsafe.cli import main
from cgtsafe.integration.isanalytics import AF_COLUMNS, association_file, quant_matrices, read_isa_matrix
from conftest import SHARED_DATA

ISA = SHARED_DATA / "integration" / "isanalytics"
VISPA = SHARED_DATA / "integration" / "vispa2_expected"
GTF = 'chr1\tt\texon\t1\t100\t.\t+\t.\tgene_id "G"; transcript_id "G.1"; gene_name "G";\n'


def test_association_file_columns_are_isanalytics():
    af = ISA / "association_file.tsv"
    if not af.exists():
        pytest.skip(f"real reference data absent: {af}")
    header = af.read_text(encoding="utf-8").splitlines()[0].split("\t")
    sheet = pd.DataFrame({"sample": ["S1", "S2"], "subject": ["P1", "P1"], "timepoint": ["m2", "m6"],
                          "timepoint_days": ["60", "180"], "cell_type": ["CD34", "PB"]})
    got = association_file(sheet)
    assert list(got.columns) == header == list(AF_COLUMNS)
    assert list(got["TimePoint"]) == ["0060", "0180"] and list(got["CompleteAmplificationID"]) == ["S1", "S2"]


def test_import_vispa2_wide_matrix_from_cli(tmp_path):
    m = VISPA / "IS_matrix_classic_strand_specific_method_review_VISPA2_testcase.tsv"
    if not m.exists():
        pytest.skip(f"real reference data absent: {m}")
    raw = pd.read_csv(m, sep="\t", dtype={"chr": str})
    (tmp_path / "genes.gtf").write_text(GTF)
    out = tmp_path / "out"
    assert main(["integration", "from-matrix", "--matrix", str(m), "--genes", str(tmp_path / "genes.gtf"),
                 "--out", str(out)]) == 0
    sites = pd.read_csv(out / "sites.tsv", sep="\t", dtype={"chrom": str})
    sample = raw.columns[3]
    assert len(sites) == (raw[sample] > 0).sum() == 10
    got = dict(zip(zip(sites["chrom"], sites["position"], sites["strand"]), sites["reads"]))
    want = dict(zip(zip(raw["chr"], raw["integration_locus"], raw["strand"]), raw[sample]))
    assert got == want
    assert abs(sites["relative_abundance"].sum() - 1) < 1e-4
    ex = json.loads((out / "from_fragments.exclusions.json").read_text())["exclusions"]
    assert any("read-count mode" in e["reason"] for e in ex)


def test_import_isanalytics_long_matrix():
    m = ISA / "integration_matrices.tsv"
    if not m.exists():
        pytest.skip(f"real reference data absent: {m}")
    raw = pd.read_csv(m, sep="\t")
    for q in ("seqCount", "fragmentEstimate"):
        long = read_isa_matrix(m, quantification=q)
        want = raw[raw[q] > 0].groupby("CompleteAmplificationID")[q].sum()
        got = long.groupby("sample")["value"].sum()
        assert set(got.index) == set(want.index)
        assert (abs(got.reindex(want.index) - want) < 1e-6 * want.clip(lower=1)).all()


def test_export_import_round_trip(tmp_path):
    sites = pd.DataFrame({"sample": ["A", "A", "B"], "chrom": ["chr1", "chr2", "chr1"], "position": [100, 200, 100],
                          "strand": ["+", "-", "+"], "nearest_gene": ["G1", "G2", "G1"],
                          "nearest_gene_strand": ["+", "-", "+"], "reads": [40, 7, 3], "sonic": [12.5, 2.0, 1.0],
                          "abundance": [12.5, 2.0, 1.0]})
    for q, col in (("seqCount", "reads"), ("fragmentEstimate", "sonic")):
        mat = quant_matrices(sites, ["A", "B", "C"])[q]
        assert list(mat.columns) == ["chr", "integration_locus", "strand", "GeneName", "GeneStrand", "A", "B", "C"]
        mat.to_csv(tmp_path / f"{q}.tsv", sep="\t", index=False)
        back = read_isa_matrix(tmp_path / f"{q}.tsv", quantification=q)
        assert sorted(zip(back["sample"], back["chrom"], back["position"], back["value"])) == sorted(
            zip(sites["sample"], sites["chrom"], sites["position"], sites[col].astype(float)))


def test_read_count_mode_from_fragments(tmp_path):
    """Restriction-enzyme LAM-PCR: every fragment of a site ends at the same restriction site, so fragments are
    1 per site and the reads are the only size signal."""
    rows = [("S1", "chr1", 1000, "+", 1100, "", 90), ("S1", "chr1", 5000, "+", 5200, "", 10)]
    pd.DataFrame(rows, columns=["sample", "chrom", "position", "strand", "breakpoint", "umi", "reads"]).to_csv(
        tmp_path / "f.tsv", sep="\t", index=False)
    (tmp_path / "genes.gtf").write_text(GTF)
    assert main(["integration", "from-fragments", "--fragments", str(tmp_path / "f.tsv"), "--genes",
                 str(tmp_path / "genes.gtf"), "--out", str(tmp_path / "o"), "--abundance", "reads"]) == 0
    s = pd.read_csv(tmp_path / "o" / "sites.tsv", sep="\t").set_index("position")
    assert s.loc[1000, "relative_abundance"] == pytest.approx(0.9) and (s["fragments"] == 1).all()
    ex = json.loads((tmp_path / "o" / "from_fragments.exclusions.json").read_text())["exclusions"]
    assert any("PCR-amplified" in e["reason"] for e in ex)


def test_bad_matrix_is_one_line(tmp_path, capsys):
    (tmp_path / "m.tsv").write_text("chr\tintegration_locus\tstrand\tS1\nchr1\t12x\t+\t3\n")
    (tmp_path / "genes.gtf").write_text(GTF)
    assert main(["integration", "from-matrix", "--matrix", str(tmp_path / "m.tsv"), "--genes",
                 str(tmp_path / "genes.gtf"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "integration_locus" in err[0] and "12x" in err[0]
    assert not (tmp_path / "o" / "sites.tsv").exists()
