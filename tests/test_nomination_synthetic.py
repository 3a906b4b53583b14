"""Nomination on synthetic reads with known truth: the GUIDE-seq-like demo run (test-data/guideseq/truth.tsv), an
in vitro (CHANGE-seq / CIRCLE-seq) layout made here from the same read model, the missed-by-prediction reasons,
the verdict rules, the plan and one-line input errors."""

from __future__ import annotations

import csv
import gzip
import json
import sys
from pathlib import Path

import pytest

from cgtsafe.cli import main
from cgtsafe.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
TD = ROOT / "test-data"
sys.path.insert(0, str(ROOT / "scripts"))


def _tsv(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "out"
    g = TD / "guideseq"
    rc = main(["nomination", "call", "--genome", str(TD / "genome" / "ref.fa"), "--guides",
               str(TD / "offtarget" / "guides.tsv"), "--samples", str(g / "samples.tsv"),
               *[a for k in ("r1", "r2", "i1", "i2") for a in (f"--pool-{k}", str(g / f"{k.upper()}.fastq.gz"))],
               "--max-dna-bulge", "2", "--outdir", str(out)])
    assert rc == 0
    return out


def test_planted_sites_recovered_with_exact_molecule_counts(demo):
    truth = _tsv(TD / "guideseq" / "truth.tsv")
    wins = _tsv(demo / "windows.tsv")
    for t in truth:
        cut = int(t["cut"])
        hit = [w for w in wins if w["chrom"] == t["chrom"] and int(w["start"]) - 2 <= cut <= int(w["end"]) + 2]
        if t["expected_status"] == "none":
            assert not hit, t
            continue
        assert len(hit) == 1, t
        w = hit[0]
        assert w["status"] == t["expected_status"]
        assert int(w["umi"]) == int(t["molecules_treated"])  # UMI consolidation undoes the PCR duplicates
        assert int(w["control_umi"]) == int(t["molecules_control"])
        if t["kind"] == "site":
            assert (int(w["site_start"]), int(w["site_end"]), w["site_strand"]) == (
                int(t["site_start"]), int(t["site_end"]), t["strand"])
    nom = _tsv(demo / "nominated.tsv")
    assert {(n["chrom"], int(n["start"])) for n in nom} == {
        (t["chrom"], int(t["site_start"])) for t in truth if t["kind"] == "site"}
    assert {n["source"] for n in nom} == {"GUIDE-seq"}


def test_nominated_file_is_read_by_sitecheck(demo):
    from cgtsafe.sitecheck.sites import read_nominated

    sites = read_nominated(demo / "nominated.tsv")
    assert len(sites) == 5 and {s.source for s in sites} == {"GUIDE-seq"}
    on = [s for s in sites if s.chrom == "chr1" and s.start == 102913][0]
    assert (on.cut_start, on.cut_end, on.strand) == (102930, 102930, "+")


def test_summary_names_the_site_prediction_missed(demo, tmp_path):
    pred = tmp_path / "pred.tsv"
    truth = [t for t in _tsv(TD / "guideseq" / "truth.tsv") if t["kind"] == "site"]
    rows = ["guide\tchrom\tstart\tend"] + [f"DEMO_g1\t{t['chrom']}\t{t['site_start']}\t{t['site_end']}"
                                           for t in truth if t["chrom"] != "chr2" or t["site_start"] != "460000"]
    rows.append("DEMO_g1\tchr3\t30000\t30023")  # predicted only
    pred.write_text("\n".join(rows) + "\n")
    out = tmp_path / "s"
    assert main(["nomination", "summarize", "--windows", str(demo / "windows.tsv"), "--nominated",
                 str(demo / "nominated.tsv"), "--reads", str(demo / "reads.tsv"), "--predicted", str(pred),
                 "--pred-max-mismatches", "6", "--pred-max-dna-bulge", "1", "--pred-max-rna-bulge", "1",
                 "--outdir", str(out), "--out", str(out / "summary.json")]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["analysis"] == "nomination" and s["verdict_level"] == "attention"
    missed = _tsv(out / "missed_by_prediction.tsv")
    assert [(m["chrom"], m["start"], m["reason"]) for m in missed] == [
        ("chr2", "460000", "bulge beyond the prediction limit")]
    fig = json.loads((out / "figures" / "predicted_vs_nominated.json").read_text())
    assert list(fig["data"][0]["y"]) == [4, 1, 1]


@pytest.mark.parametrize("site,lim,reason", [
    ({"mismatches": "5", "dna_bulge": "0", "rna_bulge": "0", "pam_class": "canonical"},
     dict(max_mismatches=4), "beyond the mismatch limit"),
    ({"mismatches": "1", "dna_bulge": "0", "rna_bulge": "0", "pam_class": "alternative"},
     dict(max_mismatches=6, alternative_pams=False), "non-canonical PAM"),
    ({"mismatches": "1", "dna_bulge": "0", "rna_bulge": "1", "pam_class": "canonical"},
     dict(max_mismatches=6, max_dna_bulge=1, max_rna_bulge=0), "bulge beyond the prediction limit"),
    ({"mismatches": "3", "dna_bulge": "1", "rna_bulge": "0", "pam_class": "canonical"},
     dict(max_mismatches=6, max_dna_bulge=1, max_rna_bulge=1, max_bulge_mismatches=2),
     "bulged site with more mismatches than the prediction kept"),
    ({"mismatches": "2", "dna_bulge": "0", "rna_bulge": "0", "pam_class": "canonical"},
     dict(max_mismatches=6), "within the prediction limits but absent from the prediction table"),
])
def test_missed_reasons(site, lim, reason):
    from cgtsafe.nomination.summarize import PredictionLimits, missed_reason

    assert missed_reason(site, PredictionLimits(**lim)) == reason


def test_no_on_target_is_inconclusive(demo, tmp_path):
    """Without the on-target window the assay is not shown to work: never 'no off-target found'."""
    rows = _tsv(demo / "windows.tsv")
    keep = [r for r in rows if not (r["chrom"] == "chr1" and r["position"] == "102931")]
    assert len(keep) == len(rows) - 1
    w = tmp_path / "windows.tsv"
    with open(w, "w", encoding="utf-8", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        wr.writeheader()
        wr.writerows(keep)
    out = tmp_path / "s"
    assert main(["nomination", "summarize", "--windows", str(w), "--nominated", str(demo / "nominated.tsv"),
                 "--reads", str(demo / "reads.tsv"), "--outdir", str(out), "--out", str(out / "summary.json")]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["verdict_level"] == "inconclusive" and "not recovered" in s["verdict_en"]


def _fq(path, recs):
    with gzip.open(path, "wt") as fh:
        for name, seq in recs:
            fh.write(f"@{name}\n{seq}\n+\n{'I' * len(seq)}\n")


def test_invitro_layout_no_tag_no_control(tmp_path):
    """CHANGE-seq / CIRCLE-seq layout: both reads start at the cleavage ends, no tag, UMI or control."""
    from testdata.guideseq import simulate_pair

    from cgtsafe.io.fasta import read_fasta

    genome = {k: v.decode() for k, v in read_fasta(TD / "genome" / "ref.fa").items()}
    planted = {r["site_id"]: r for r in _tsv(TD / "offtarget" / "planted_sites.tsv")}
    want = {"DEMO_g1:chr1:102913:+": 12, "DEMO_g1:chr3:140000:-": 6}  # on-target; 1 mm + RNA bulge
    r1s, r2s = [], []
    k = 0
    for sid, n in want.items():
        p = planted[sid]
        for m in range(n):
            # the linearised cleaved unit is read outwards from the cut: read 1 from the cut rightwards (+),
            # read 2 from the cut leftwards (-); both 5' ends mark the cleavage
            _, right = simulate_pair(genome, p["chrom"], int(p["cut_start"]), "+", 150 + 7 * m, None)
            _, left = simulate_pair(genome, p["chrom"], int(p["cut_start"]), "-", 150 + 5 * m, None)
            r1s.append((f"r{k}", right))
            r2s.append((f"r{k}", left))
            k += 1
    _fq(tmp_path / "r1.fq.gz", r1s)
    _fq(tmp_path / "r2.fq.gz", r2s)
    (tmp_path / "samples.tsv").write_text(f"name\trole\tguide\tr1\tr2\nchg\ttreated\tDEMO_g1\t{tmp_path}/r1.fq.gz\t"
                                          f"{tmp_path}/r2.fq.gz\n")
    out = tmp_path / "out"
    assert main(["nomination", "call", "--genome", str(TD / "genome" / "ref.fa"), "--guides",
                 str(TD / "offtarget" / "guides.tsv"), "--samples", str(tmp_path / "samples.tsv"), "--layout",
                 "invitro", "--method", "CHANGE-seq", "--outdir", str(out)]) == 0
    nom = _tsv(out / "nominated.tsv")
    assert {(n["chrom"], int(n["start"])) for n in nom} == {("chr1", 102913), ("chr3", 140000)}
    assert {n["source"] for n in nom} == {"CHANGE-seq"}
    wins = {w["chrom"]: w for w in _tsv(out / "windows.tsv")}
    assert wins["chr3"]["rna_bulge"] == "1" and wins["chr3"]["background"] == "not_tested"
    # no UMI: one molecule per read pair, counted once on each strand (its two ends flank the cut)
    assert (int(wins["chr1"]["umi_plus"]), int(wins["chr1"]["umi_minus"])) == (12, 12)


@pytest.mark.parametrize("sheet,msg", [
    ("name\trole\tguide\tr1\tr2\nx\tedited\tDEMO_g1\ta\tb\n", "column role"),
    ("name\trole\tguide\tr1\nx\ttreated\tDEMO_g1\ta\n", "missing column 'r2'"),
    ("name\trole\tguide\tr1\tr2\nx\ttreated\tNOPE\t{r}\t{r}\n", "not in the guide file"),
    ("name\trole\tguide\tr1\tr2\tbarcode1\tbarcode2\nx\ttreated\tDEMO_g1\t\t\tAC\tGT\n", "--pool-r1"),
])
def test_bad_sample_sheet_one_line_error(tmp_path, capsys, sheet, msg):
    r = TD / "guideseq" / "R1.fastq.gz"
    (tmp_path / "s.tsv").write_text(sheet.format(r=r))
    rc = main(["nomination", "call", "--genome", str(TD / "genome" / "ref.fa"), "--guides",
               str(TD / "offtarget" / "guides.tsv"), "--samples", str(tmp_path / "s.tsv"), "--outdir",
               str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_plan_feeds_sitecheck(tmp_path):
    import yaml

    from cgtsafe.config import validate_config
    from cgtsafe.plan import Plan

    cfg = validate_config(yaml.safe_load((ROOT / "test-data" / "demo" / "config.yaml").read_text()))
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        p = Plan(cfg, root="res")
        assert p.nomination.call_args().count("--pool-") == 4
        assert "GUIDE-seq=res/nomination/nominated.tsv" in p.sitecheck.common_args()
        assert "res/nomination/nominated.tsv" in p.sitecheck.nominated_files()
        cfg2 = {**cfg, "nomination": {**cfg["nomination"], "samples": "nope.tsv"}}
        with pytest.raises(InputError, match="nomination.samples"):
            Plan(cfg2, root="res").nomination
    finally:
        os.chdir(cwd)
