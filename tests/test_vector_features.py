"""Transfer-vector insertional-risk features against planted truth, a published HIV-1 sequence and a real vector.

* ``test-data/vector/`` (scripts/testdata/vector.py): synthetic constructs with planted splice sites, polyA
  signal, ORFs, elements, SIN / non-SIN 3' LTRs, WPRE X intact / mutated; ``truth.tsv`` computed at assembly.
* HIV-1 5' LTR R-U5, PBS and leader up to the gag start, as carried by lentiviral transfer plasmids (HIV-1
  HXB2 GenBank K03455, Ratner et al. 1985 Nature 313:277; the same LTR/leader is in pLKO.1, Addgene 8453,
  Stewart et al. 2003 RNA 9:493). Published facts used: the R region carries the HIV-1 polyA signal
  AATAAA followed by the GU-rich U5 element; the major splice donor D1 (CTG|GTGAGT) lies 46 nt upstream of
  the gag AUG (HXB2 744 / 790).
* The 3' region of third-generation lentiviral transfer plasmids (WPRE 3' part with the WHV X start codon
  mutated ATG->TTG, 3' PPT, SIN 3' LTR with the U3 deletion of Zufferey et al. 1998 J Virol 72:9873), as in
  lentiCRISPR v2 / lentiGuide-Puro (Addgene 52961 / 52963; Sanjana, Shalem & Zhang 2014 Nat Methods 11:783).
* p746 (../shared/data/integration/intsitecaller_validation, Bushman lab HIV vector): two full-length LTRs.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from conftest import shared_file

from cgtsafe.vector.run import VectorParams, run_features
from cgtsafe.vector.signals import DONOR_W, model_percentile, score_windows

HIV1_LTR_LEADER = (
    "GGGTCTCTCTGGTTAGACCAGATCTGAGCCTGGGAGCTCTCTGGCTAACTAGGGAACCCACTGCTTAAGCCTCAATAAAGCTTGCCTTGAGTGCTTCAAGTAG"
    "TGTGTGCCCGTCTGTTGTGTGACTCTGGTAACTAGAGATCCCTCAGACCCTTTTAGTCAGTGTGGAAAATCTCTAGCAGTGGCGCCCGAACAGGGACCTGAAAG"
    "CGAAAGGGAAACCAGAGGAGCTCTCTCGACGCAGGACTCGGCTTGCTGAAGCGCGCACGGCAAGAGGCGAGGGGCGGCGACTGGTGAGTACGCCAAAAATTTT"
    "GACTAGCGGAGGCTAGAAGGAGAGAGATGGGTGCGAGAGCGTCAGTATTAAGCGGGGGAGAATTAGATCGATGGGAAAAAATTCGGTTA")

LV_3PRIME_SIN = (
    "TTGGGCACTGACAATTCCGTGGTGTTGTCGGGGAAATCATCGTCCTTTCCTTGGCTGCTCGCCTGTGTTGCCACCTGGATTCTGCGCGGGACGTCCTTCTGCT"
    "ACGTCCCTTCGGCCCTCAATCCAGCGGACCTTCCTTCCCGCGGCCTGCTGCCGGCTCTGCGGCCTCTTCCGCGTCTTCGCCTTCGCCCTCAGACGAGTCGGATC"
    "TCCCTTTGGGCCGCCTCCCCGCGTCGACTTTAAGACCAATGACTTACAAGGCAGCTGTAGATCTTAGCCACTTTTTAAAAGAAAAGGGGGGACTGGAAGGGCT"
    "AATTCACTCCCAACGAAGACAAGATCTGCTTTTTGCTTGTACTGGGTCTCTCTGGTTAGACCAGATCTGAGCCTGGGAGCTCTCTGGCTAACTAGGGAACCCAC"
    "TGCTTAAGCCTCAATAAAGCTTGCCTTGAGTGCTTCAAGTAGTGTGTGCCCGTCTGTTGTGTGACTCTGGTAACTAGAGATCCCTCAGACCCTTTTAGTCAGTG"
    "TGGAAAATCTCTAGCA")


def _run(tmp_path, seq_path, **kw):
    out = tmp_path / "vector"
    summary = run_features(VectorParams(sequence=str(seq_path), **kw), out, out / "summary.json")

    def read(name):
        with open(out / name) as fh:
            return list(csv.DictReader(fh, delimiter="\t"))
    return summary, read


def _truth(test_data, construct):
    with open(test_data / "vector" / "truth.tsv") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["construct"] == construct]


def test_planted_truth_sin_genbank(tmp_path, test_data):
    summary, read = _run(tmp_path, test_data / "vector" / "sin_lv.gb", vcn=str(test_data / "vector" / "vcn.tsv"),
                         vcn_limit=5.0)
    feats, splice, polya, orfs, ltrs = (read(n) for n in ("features.tsv", "splice_sites.tsv", "polya_signals.tsv",
                                                           "orfs.tsv", "ltrs.tsv"))
    truth = _truth(test_data, "sin_lv.gb")
    assert truth
    for t in truth:
        s, e, cat = int(t["start"]), int(t["end"]), t["category"]
        if cat == "provirus":
            kf = {k["label_en"]: k["value"] for k in summary["key_figures"]}
            assert kf["Provirus (LTR to LTR, 1-based)"] == f"{s + 1}-{e}"
        elif cat == "sin":
            assert ltrs[-1]["status"].startswith("SIN") and int(ltrs[-1]["start"]) == s and int(ltrs[-1]["end"]) == e
        elif cat.startswith("splice_"):
            kind = cat.split("_")[1]
            hit = [x for x in splice if x["kind"] == kind and x["strand"] == t["strand"] and int(x["start"]) == s]
            assert hit, t
            assert f"site={hit[0]['site']}" == t["expected"] and hit[0]["strength"] == "typical_or_stronger"
        elif cat == "polya":
            hit = [x for x in polya if x["strand"] == t["strand"] and int(x["start"]) == s and x["hexamer"] == t["name"]]
            assert hit and hit[0]["strength"] == t["expected"] and hit[0]["dse"] == "yes"
        elif cat == "orf":
            hit = [x for x in orfs if x["strand"] == t["strand"] and int(x["start"]) == s and int(x["end"]) == e]
            assert hit and hit[0]["annotated"] == t["expected"], t
        elif cat == "wpre_x":
            hit = [x for x in feats if x["name"] == "WPRE_X_start"]
            assert hit and int(hit[0]["start"]) == s and hit[0]["detail"].endswith("ATG")
            assert {k["label_en"]: k["value"] for k in summary["key_figures"]}["WPRE X ORF"] == t["expected"]
            assert hit[0]["flag"] == "WPRE X ORF start intact"
        elif cat == "element":
            hit = [x for x in feats if x["category"] == "element" and x["name"] == t["name"] and int(x["start"]) == s]
            assert hit, t
            if t["expected"] == "flag_near_ltr":
                assert "nt from an LTR" in hit[0]["flag"]
            else:
                assert hit[0]["in_provirus"] == t["expected"]
    assert summary["verdict_level"] == "attention"
    assert "WPRE X protein start codon intact" in summary["verdict_en"]
    assert "0 of 3 above" in summary["verdict_en"] and "R004-19" in summary["requirements"]
    # the CMV enhancer upstream of the 5' R is plasmid backbone: not flagged
    assert not [x for x in feats if x["name"] == "CMV_IE_enhancer" and x["flag"]]


def test_planted_truth_nonsin_fasta(tmp_path, test_data):
    summary, read = _run(tmp_path, test_data / "vector" / "nonsin_lv.fa")
    ltrs, feats = read("ltrs.tsv"), read("features.tsv")
    for t in _truth(test_data, "nonsin_lv.fa"):
        if t["category"] == "sin":
            assert ltrs[-1]["status"] == t["expected"] and int(ltrs[-1]["start"]) == int(t["start"])
        elif t["category"] == "wpre_x":
            kf = {k["label_en"]: k["value"] for k in summary["key_figures"]}
            assert kf["WPRE X ORF"] == t["expected"]
            hit = [x for x in feats if x["name"] == "WPRE_X_start"]
            assert int(hit[0]["start"]) == int(t["start"]) and hit[0]["flag"] == ""
    assert "not self-inactivating" in summary["verdict_en"] and summary["verdict_level"] == "attention"
    assert any(e["what"].startswith("R004-19") for e in summary["exclusions"])  # no VCN: requirement open


def test_vcn_above_declared_limit_fails(tmp_path, test_data):
    summary, read = _run(tmp_path, test_data / "vector" / "nonsin_lv.fa",
                         vcn=str(test_data / "vector" / "vcn.tsv"), vcn_limit=3.0)
    assert summary["verdict_level"] == "fail"
    assert [r["exceeds_limit"] for r in read("vcn.tsv")] == ["no", "yes", "no"]


def test_published_hiv1_ltr_leader(tmp_path):
    fa = tmp_path / "hiv1.fa"
    fa.write_text(">HIV-1_5LTR_R_U5_leader\n" + HIV1_LTR_LEADER + "\n")
    summary, read = _run(tmp_path, fa)
    splice, polya, feats = read("splice_sites.tsv"), read("polya_signals.tsv"), read("features.tsv")
    gag = HIV1_LTR_LEADER.index("ATGGGTGCGAGAGCG")
    d1 = [x for x in splice if x["kind"] == "donor" and x["strand"] == "+" and x["sequence"] == "CTGGTGAGT"]
    assert len(d1) == 1 and d1[0]["strength"] == "typical_or_stronger"
    assert (gag + 1) - int(d1[0]["site"]) == 46  # D1 (HXB2 744) is 46 nt upstream of the gag AUG (HXB2 790)
    r_pa = [x for x in polya if x["hexamer"] == "AATAAA" and x["strand"] == "+"]
    assert len(r_pa) == 1 and r_pa[0]["strength"] == "strong"
    assert HIV1_LTR_LEADER[int(r_pa[0]["start"]):int(r_pa[0]["end"])] == "AATAAA"
    names = {x["name"] for x in feats if x["category"] == "element"}
    assert {"HIV1_R", "HIV1_U5", "HIV1_PBS", "HIV1_SD1_psi"} <= names
    # one LTR only: SIN status cannot be judged -> inconclusive, never 'pass'
    assert summary["verdict_level"] == "inconclusive"
    assert "inconclusive" in [k for k in summary["key_figures"] if k["label_en"].startswith("3' LTR")][0]["value"]


@pytest.mark.realdata
def test_real_p746_vector(tmp_path):
    p = shared_file("integration", "intsitecaller_validation", "p746vector.fasta")
    summary, read = _run(tmp_path, p)
    ltrs = read("ltrs.tsv")
    assert len(ltrs) == 2
    for x in ltrs:
        # wild-type HIV-1 U3 is ~455 nt with both NF-kB sites: the vector keeps full-length LTRs
        assert 440 <= int(x["u3_length"]) <= 470 and x["u3_nfkb_enhancer"] == "yes"
    assert "not SIN" in ltrs[1]["status"]
    assert summary["verdict_level"] == "attention"


def test_splice_model_facts():
    # consensus donor CAG|GTAAGT scores the per-position maximum of every non-GT position
    assert score_windows("CAGGTAAGT", DONOR_W)[0] == pytest.approx(DONOR_W[:4].max(axis=0).sum())
    assert score_windows("CAGGTAAGT", DONOR_W)[0] > score_windows("CTGGTGAGT", DONOR_W)[0] > model_percentile(
        "donor", 0.5)
    assert model_percentile("donor", 0.05) < model_percentile("donor", 0.5)


@pytest.mark.parametrize("content,needle", [
    (">a\nACGT\n", "expected a transfer-vector sequence"),
    (">a\n" + "ACGT" * 20 + "\n>b\n" + "ACGT" * 20 + "\n", "exactly one FASTA record"),
    ("hello\n", "expected FASTA ('>' header) or GenBank"),
    (">a\n" + "ACGT" * 20 + "Z\n", "non-nucleotide"),
])
def test_bad_sequence_one_line(tmp_path, content, needle):
    f = tmp_path / "v.fa"
    f.write_text(content)
    out = tmp_path / "o"
    p = subprocess.run([sys.executable, "-m", "cgtsafe", "vector", "features", "--sequence", str(f),
                        "--outdir", str(out), "--out", str(out / "summary.json")], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and needle in p.stderr, p.stderr
    assert not out.exists()


def test_bad_vcn_one_line(tmp_path, test_data):
    v = tmp_path / "vcn.tsv"
    v.write_text("lot\tvcn_per_transduced_cell\nL1\tabout 2\n")
    out = tmp_path / "o"
    p = subprocess.run([sys.executable, "-m", "cgtsafe", "vector", "features", "--sequence",
                        str(test_data / "vector" / "nonsin_lv.fa"), "--vcn", str(v), "--vcn-limit", "5",
                        "--outdir", str(out), "--out", str(out / "summary.json")], capture_output=True, text=True)
    assert p.returncode == 2 and "line 2" in p.stderr and "expected a number" in p.stderr
    assert not out.exists()


def test_plan_checks_config(tmp_path, test_data):
    from cgtsafe.errors import InputError
    from cgtsafe.plan.common import Layout
    from cgtsafe.plan.vector import VectorPlan

    seq = str(test_data / "vector" / "sin_lv.gb")
    cfg = {"sequence": seq, "vcn": {"file": None}, "min_orf_aa": 100, "ltr_distance": 1000, "donor_min": None,
           "acceptor_min": None}
    plan = VectorPlan({"vector": cfg}, Layout("out"), "c.yaml")
    assert plan.inputs() == {"sequence": seq} and plan.path("features.tsv") == "out/vector/features.tsv"
    with pytest.raises(InputError, match="vector.sequence"):
        VectorPlan({"vector": {**cfg, "sequence": ""}}, Layout("out"), "c.yaml")
    with pytest.raises(InputError, match="vector.vcn.file"):
        VectorPlan({"vector": {**cfg, "vcn": {"file": str(tmp_path / "no.tsv")}}}, Layout("out"), "c.yaml")


def test_schema_rejects_bad_vector_config(repo):
    from cgtsafe.config import load_yaml, validate_config
    from cgtsafe.errors import InputError

    cfg = load_yaml(repo / "test-data" / "demo" / "config.yaml")
    cfg["vector"]["min_orf_aa"] = 0
    with pytest.raises(InputError, match="vector.min_orf_aa"):
        validate_config(cfg, schema_dir=repo / "workflow" / "schemas")
    cfg = load_yaml(repo / "test-data" / "demo" / "config.yaml")
    cfg["antigen"]["targets"] = [{"name": "CD19"}]
    with pytest.raises(InputError, match="antigen.targets.0.id"):
        validate_config(cfg, schema_dir=repo / "workflow" / "schemas")


def test_genbank_ltr_features_fallback(tmp_path, test_data):
    """A non-HIV vector whose LTRs are only annotated: provirus from the features, SIN only 'according to the label'."""
    from Bio import SeqIO
    from Bio.SeqFeature import FeatureLocation, SeqFeature

    rec = SeqIO.read(test_data / "vector" / "sin_lv.gb", "genbank")
    seq = str(rec.seq).replace("GGGTCTCTCTGGTTAGACCAG", "CCCACACACAGGAAGTCCTG")  # break the HIV-1 R signature
    rec.seq = type(rec.seq)(seq)
    rec.features = [SeqFeature(FeatureLocation(100, 400, 1), type="LTR", qualifiers={"label": ["5' LTR"]}),
                    SeqFeature(FeatureLocation(3200, 3400, 1), type="LTR", qualifiers={"label": ["3' SIN LTR"]})]
    gb = tmp_path / "g.gb"
    SeqIO.write(rec, gb, "genbank")
    summary, read = _run(tmp_path, gb)
    kf = {k["label_en"]: k["value"] for k in summary["key_figures"]}
    assert kf["Provirus (LTR to LTR, 1-based)"] == "101-3400"
    assert kf["Provirus defined by"].startswith("GenBank LTR features")
    assert "according to the GenBank label" in kf["3' LTR self-inactivating (SIN) status"]


def test_published_lentiviral_sin_3prime_region(tmp_path):
    fa = tmp_path / "lv3.fa"
    fa.write_text(">LV_3prime_WPRE_PPT_SIN_LTR\n" + LV_3PRIME_SIN + "\n")
    summary, read = _run(tmp_path, fa)
    kf = {k["label_en"]: k["value"] for k in summary["key_figures"]}
    assert kf["WPRE X ORF"] == "mutated (TTG)"
    ltrs = read("ltrs.tsv")
    assert len(ltrs) == 1 and ltrs[0]["status"] == "SIN (U3 enhancer deleted)"
    u3 = LV_3PRIME_SIN[LV_3PRIME_SIN.index("TGGAAGGGCTAATTC"):LV_3PRIME_SIN.index("GGGTCTCTCTGG")]
    assert int(ltrs[0]["u3_length"]) == len(u3) < 60 and ltrs[0]["u3_nfkb_enhancer"] == "no"
    names = {x["name"] for x in read("features.tsv") if x["category"] == "element"}
    assert {"WPRE_3prime", "HIV1_PPT", "HIV1_U3_5prime", "HIV1_R", "HIV1_U5"} <= names
    assert "HIV1_U3_NFkB" not in names


def test_declared_orfs_make_fasta_orfs_expected(tmp_path, test_data):
    """FASTA + a declared CAR ORF: the declared one is expected, the planted unannotated one is unexpected."""
    from Bio import SeqIO

    rec = SeqIO.read(test_data / "vector" / "sin_lv.gb", "genbank")
    fa = tmp_path / "sin.fa"
    fa.write_text(f">sin\n{rec.seq}\n")
    truth = {t["name"]: t for t in _truth(test_data, "sin_lv.gb") if t["category"] == "orf"}
    car = truth["CAR_CDS"]
    summary, read = _run(tmp_path, fa, expected_orfs=[f"{int(car['start']) + 1}-{car['end']}:+"])
    got = {(int(o["start"]), o["strand"]): o["annotated"] for o in read("orfs.tsv")}
    assert got[(int(car["start"]), "+")] == "yes (declared)"
    assert got[(int(truth["ORF_unannotated"]["start"]), "+")] == "no (unexpected)"
    with pytest.raises(Exception, match="START-END"):
        _run(tmp_path / "bad", fa, expected_orfs=["0-10"])
