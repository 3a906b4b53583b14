"""Bad input to `cgtsafe tcr scan`: one line on stderr naming the file/key, exit 2, nothing written."""

from __future__ import annotations

import shutil

import pytest

from cgtsafe.cli import main


def _run(args, tmp_path, capsys):
    """In-process `cgtsafe tcr scan` (same code path as the console script)."""
    out = tmp_path / "out" / "hits.tsv"
    rc = main(["tcr", "scan", *args, "--out", str(out), "--stats", str(tmp_path / "out" / "stats.json")])
    return rc, capsys.readouterr().err, out


@pytest.fixture()
def td(test_data, tmp_path):
    d = tmp_path / "in"
    shutil.copytree(test_data / "tcr", d)
    return d


def _base(d):
    return ["--proteome", str(d / "proteome.fasta"), "--hla", "HLA-A*01:01", "--expression", str(d / "expression.tsv")]


def _edit(path, fn):
    path.write_text(fn(path.read_text()))


CASES = {
    "peptide_letters": (lambda d: ["--peptide", "EVDPIGHL1"], "'1'"),
    "peptide_motif_length": (lambda d: ["--peptide", "EVDPIGHL", "--motif", "x-x-D-P-I-x-x-x-Y"],
                             "9 positions but peptide 'EVDPIGHL' has 8"),
    "motif_token": (lambda d: ["--peptide", "EVDPIGHLY", "--motif", "x-x-D-P-I-x-x-x-%"], "unknown token '%'"),
    "xscan_missing_position": (
        lambda d: (_edit(d / "xscan.tsv", lambda t: "\n".join(t.splitlines()[:-1]) + "\n"),
                   ["--peptide", "EVDPIGHLY", "--xscan", str(d / "xscan.tsv")])[1], "missing positions 9"),
    "xscan_missing_residue": (
        lambda d: (_edit(d / "xscan.tsv", lambda t: "\n".join("\t".join(ln.split("\t")[:-1])
                                                                for ln in t.splitlines()) + "\n"),
                   ["--peptide", "EVDPIGHLY", "--xscan", str(d / "xscan.tsv")])[1], "lacks residue column(s) Y"),
    "fasta_duplicate": (
        lambda d: (_edit(d / "proteome.fasta", lambda t: t + ">sp|P43360|DUP_HUMAN copy GN=X\nACDEFGHIK\n"),
                   ["--peptide", "EVDPIGHLY"])[1], "duplicate accession 'P43360'"),
    "fasta_bad_char": (
        lambda d: (_edit(d / "proteome.fasta", lambda t: t + ">sp|Q0XXX1|BAD_HUMAN bad GN=X\nACDEF1HIK\n"),
                   ["--peptide", "EVDPIGHLY"])[1], "unexpected character '1'"),
    "expression_columns": (
        lambda d: (_edit(d / "expression.tsv", lambda t: t.replace("gene_donor", "symbol", 1)),
                   ["--peptide", "EVDPIGHLY"])[1], "lacks column(s) gene_donor"),
    "expression_vital_tissue": (lambda d: ["--peptide", "EVDPIGHLY", "--vital-tissues", "Heart,Liver"],
                                "lacks the vital tissue column(s) 'Heart'"),
    "hla_allele": (lambda d: ["--peptide", "EVDPIGHLY", "--hla-panel", "A1"], "not an HLA allele"),
    "predictions_columns": (
        lambda d: (_edit(d / "hla_predictions.tsv", lambda t: t.replace("percentile_rank", "rank")),
                   ["--peptide", "EVDPIGHLY", "--hla-predictions", str(d / "hla_predictions.tsv")])[1],
        "no value column"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_one_line(td, tmp_path, capsys, case):
    make_args, fragment = CASES[case]
    args = make_args(td)
    rc, err, out = _run([*_base(td), *args], tmp_path, capsys)
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cgtsafe: error: "), err
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in err
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_dna_fasta_rejected(td, tmp_path, capsys):
    dna = tmp_path / "genes.fasta"
    dna.write_text(">NM_000001 some mRNA\n" + "ACGTTGCAAGGCTTACGATCGATCGGATCCATGCAAGTTCGA" * 5 + "\n")
    rc, err, out = _run(["--proteome", str(dna), "--hla", "HLA-A*01:01", "--peptide", "EVDPIGHLY",
                         "--expression", str(td / "expression.tsv")], tmp_path, capsys)
    assert rc == 2 and err.count("\n") == 1 and "looks like a nucleotide FASTA" in err and "Traceback" not in err
    assert not out.exists()


def _plain_headers(d):
    """Same proteome with non-UniProt headers ('>ACC description', no GN=)."""
    lines = []
    for ln in (d / "proteome.fasta").read_text().splitlines():
        if ln.startswith(">"):
            acc = ln[1:].split("|")[1]
            ln = f">{acc} {ln.split(' ', 1)[1].split(' OS=')[0]}"
        lines.append(ln)
    p = d / "plain.fasta"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_non_uniprot_headers_warn_and_source_accession(td, tmp_path, capsys):
    import pandas as pd

    plain = _plain_headers(td)
    args = ["--proteome", str(plain), "--hla", "HLA-A*01:01", "--peptide", "EVDPIGHLY", "--source", "MAGEA3",
            "--expression", str(td / "expression.tsv"), "--top-n", "0", "--hla-predictor", "none"]
    rc, err, out = _run(args, tmp_path, capsys)
    assert rc == 0
    warn = [ln for ln in err.splitlines() if ln.startswith("cgtsafe: warning:")]
    assert any("not UniProt style" in w and "--source-accession" in w for w in warn), err
    hits = pd.read_csv(out, sep="\t", dtype=str)
    assert (hits.loc[hits["protein"] == "P43357", "is_source"] == "no").all()  # unrecognised without help
    rc, err, out = _run([*args, "--source-accession", "P43357,P43357-2"], tmp_path, capsys)
    assert rc == 0 and "warning" not in err, err
    hits = pd.read_csv(out, sep="\t", dtype=str)
    assert set(hits.loc[hits["protein"].isin(["P43357", "P43357-2"]), "is_source"]) == {"yes"}


def test_unknown_source_accession_is_an_error(td, tmp_path, capsys):
    rc, err, _ = _run([*_base(td), "--peptide", "EVDPIGHLY", "--source-accession", "NOPE1"], tmp_path, capsys)
    assert rc == 2 and "source accession 'NOPE1' is not a record" in err


def test_gene_names_with_commas(td, tmp_path):
    """UniProt GN=CTAG1A,CTAG1B (identical products of duplicated genes): source and expression both work."""
    from cgtsafe.tcr.expression import DEFAULT_VITAL_TISSUES, gene_expression, read_expression
    from cgtsafe.tcr.run import ScanParams, run_scan

    fa = td / "proteome.fasta"
    fa.write_text(fa.read_text().replace("GN=MAGEA3 ", "GN=CTAG1A,CTAG1B "))
    hits, cands, _, _ = run_scan(ScanParams(proteome=str(fa), peptide="EVDPIGHLY", hla="HLA-A*01:01",
                                            source="CTAG1B", expression=str(td / "expression.tsv"), top_n=0,
                                            hla_predictor="none"))
    assert set(hits.loc[hits["protein"].isin(["P43357", "P43357-2"]), "is_source"]) == {"yes"}
    hpa = read_expression(None)
    ge = gene_expression(hpa, "CTAG1A,CTAG1B", list(DEFAULT_VITAL_TISSUES), 1.0)
    assert ge.status == "found" and ge.max_tissue == "Testis"
    assert ge.max_ntpm == max(hpa.profile("CTAG1A").max(), hpa.profile("CTAG1B").max())


def test_plan_passes_ranking_predictor_and_source_accession(monkeypatch):
    """The workflow passes the config's top_n, hla_predictor, hla_panel (even empty) and source_accession."""
    import shlex
    from types import SimpleNamespace

    import yaml

    from cgtsafe.config import validate_config
    from cgtsafe.plan import Plan

    from conftest import REPO

    monkeypatch.chdir(REPO)
    cfg = validate_config(yaml.safe_load((REPO / "test-data" / "demo" / "config.yaml").read_text()),
                          schema_dir=REPO / "workflow" / "schemas")
    cfg["tcr"].update(top_n=250, hla_predictor="none", hla_panel=[])
    cfg["tcr"]["peptides"][0]["source_accession"] = ["P43357", "P43357-2"]
    t = Plan(cfg, root="results").tcr
    name = cfg["tcr"]["peptides"][0]["name"]
    inputs = t.scan_inputs(SimpleNamespace(target=name))
    w = shlex.split(t.scan_args(SimpleNamespace(target=name), SimpleNamespace(**inputs, keys=lambda: list(inputs))))
    assert w[w.index("--top-n") + 1] == "250" and w[w.index("--hla-predictor") + 1] == "none"
    assert w[w.index("--hla-panel") + 1] == "" and w[w.index("--source-accession") + 1] == "P43357,P43357-2"
    # schema defaults for a user config: top 500, built-in predictor, the Chinese panel
    raw = yaml.safe_load((REPO / "test-data" / "demo" / "config.yaml").read_text())
    raw["tcr"] = {"enabled": True, "proteome": "x.fa", "peptides": []}
    user = validate_config(raw, schema_dir=REPO / "workflow" / "schemas", check_inputs=False)  # defaults only
    assert user["tcr"]["top_n"] == 500 and user["tcr"]["hla_predictor"] == "smmpmbec"
    assert "HLA-A*11:01" in user["tcr"]["hla_panel"]
