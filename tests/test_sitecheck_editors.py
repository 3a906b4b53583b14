"""Editor-aware classification on simulated reads with a truth table (CRISPResso2's per-read classes as the
reference: Clement et al. 2019 Nat Biotechnol 37:224; CRISPResso2 docs: quantification window, base editor
output, prime editing Reference / Prime-edited / Scaffold-incorporated)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from cgtsafe.errors import InputError
from cgtsafe.sitecheck.amplicon import prime_edited_amplicon, quantify_amplicon
from cgtsafe.io.fasta import revcomp
from cgtsafe.sitecheck.editors import get_editor
from cgtsafe.sitecheck.sites import Site
from cgtsafe.sitecheck.verdict import compare

R = random.Random(20261205)
LEFT = "".join(R.choice("ACGT") for _ in range(80))
# protospacer positions 1..20; Cs at 3, 5, 6, 7 and 9 (4-8 = activity window of BE4max/CBE), As at 4 and 8
PROTO = "GTCACCCAC" + "GTTGTGGTTTG"[:11]
PAM = "AGG"
RIGHT = "".join(R.choice("ACGT") for _ in range(97))
AMP = LEFT + PROTO + PAM + RIGHT          # + strand site: protospacer at 80..100, cut (base right) at 97
CUT = 80 + 17
SCAFFOLD = "GTTTTAGAGCTAGAAATAGCAAGTTAAAATAAGGCTAGTCCGTTATCAACTTGAAAAAGTGGCACCGAGTCGGTGC"


def _mut(seq, i, b):
    return seq[:i] + b + seq[i + 1:]


def _q(seq):
    return seq.encode(), b"I" * len(seq)


def _base_editor_reads(amp, pos_index, n, share, rng, noise_index=None, noise_base="A"):
    """``share`` of reads with C>T at the given amplicon indexes (+ strand letters given by caller)."""
    reads, truth_conv = [], dict.fromkeys(pos_index, 0)
    for _ in range(n):
        s = amp
        if rng.random() < share:
            for i, (ref, alt) in pos_index.items():
                if rng.random() < 0.8 or i == list(pos_index)[0]:
                    assert s[i] == ref
                    s = _mut(s, i, alt)
                    truth_conv[i] += 1
        if noise_index is not None and rng.random() < 0.02:
            s = _mut(s, noise_index, noise_base)  # a substitution of another type than the editor's
        reads.append(_q(s))
    return reads, truth_conv


@pytest.mark.parametrize("strand", ["+", "-"])
def test_cbe_conversions_counted_on_both_strands(strand):
    rng = random.Random(3)
    amp, cut = (AMP, CUT) if strand == "+" else (revcomp(AMP), len(AMP) - CUT)

    def idx(p):
        return cut + p - 18 if strand == "+" else cut + 17 - p

    ref, alt = ("C", "T") if strand == "+" else ("G", "A")
    # target C5, bystander C7 (both in window 4-8); C9 is outside the window
    pos = {idx(5): (ref, alt), idx(7): (ref, alt)}
    reads, truth = _base_editor_reads(amp, pos, 600, 0.25, rng, noise_index=idx(6),
                                      noise_base="A" if strand == "+" else "C")
    outside = _mut(amp, idx(9), alt)  # conversion outside the activity window: not an editor event
    reads += [_q(outside)] * 7
    res = quantify_amplicon(amp, cut, reads, flank=5, min_baseq=20, editor=get_editor("BE4max"), strand=strand)
    converted_reads = sum(1 for s, _ in reads if any(s[i:i + 1] == alt.encode() for i in pos))
    assert res["events"] == converted_reads
    assert res["conversions"] == f"C5:{truth[idx(5)]};C7:{truth[idx(7)]}"
    # CRISPResso2's read class with the window covering the activity window: any substitution = modified
    crispresso_modified = sum(1 for s, _ in reads if s != amp.encode())
    assert res["substitution_only"] + res["indel"] == crispresso_modified
    assert res["reads"] == len(reads)


def test_abe_window_and_conversion():
    rng = random.Random(4)
    # A at protospacer 4 and 8; ABE7.10 window 4-7 counts A4 only, ABE8e (4-8) both
    reads = []
    for _ in range(200):
        s = AMP
        if rng.random() < 0.3:
            s = _mut(s, CUT + 4 - 18, "G")
        if rng.random() < 0.3:
            s = _mut(s, CUT + 8 - 18, "G")
        reads.append(_q(s))
    a4 = sum(1 for s, _ in reads if s[CUT + 4 - 18:CUT + 4 - 17] == b"G")
    both = sum(1 for s, _ in reads if s != AMP.encode())
    r710 = quantify_amplicon(AMP, CUT, reads, editor=get_editor("ABE7.10"), strand="+")
    r8e = quantify_amplicon(AMP, CUT, reads, editor=get_editor("ABE8e"), strand="+")
    assert r710["events"] == a4 and r8e["events"] == both


def _counts(sample, res, site_id="BE1"):
    return pd.DataFrame([{"sample": sample, "assay": "amplicon", "site_id": site_id, "chrom": "c",
                          "window_start": res["window_start"], "window_end": res["window_end"], **res}])


def test_base_editor_site_25_vs_3_percent_is_edited_not_clean():
    # issue #11: 25 % C>T edited vs 3 % control was not_detected at a 10 % threshold (only indels counted)
    rng = random.Random(8)
    pos = {CUT + 5 - 18: ("C", "T")}
    ed, _ = _base_editor_reads(AMP, pos, 1000, 0.25, rng)
    ct, _ = _base_editor_reads(AMP, pos, 1000, 0.03, rng)
    site = Site("BE1", "c", 80, 103, "+", CUT, CUT)
    be = get_editor("CBE")
    e, c = (quantify_amplicon(AMP, CUT, x, editor=be, strand="+") for x in (ed, ct))
    v = compare(_counts("E", e), _counts("C", c), [site], assay="amplicon", threshold=0.10)
    assert v.loc[0, "verdict"] == "edited" and v.loc[0, "counted_event"].startswith("indel or C>T")
    assert v.loc[0, "edited_conversions"] == f"C5:{e['events']}" and v.loc[0, "edited_events"] == e["events"]
    # the nuclease view of the same reads (the old behaviour) cannot see it, and is not made 'clean'
    e0, c0 = (quantify_amplicon(AMP, CUT, x, strand="+") for x in (ed, ct))
    assert e0["events"] == 0


def _pe_design(strand):
    """pegRNA for a G>T at nick+2 (PAM-side) with a 13-nt PBS and 15-nt RTT; returns amp, cut, ext, expected,
    flap end (independently of the code under test)."""
    amp = AMP
    flap = _mut(amp[CUT:CUT + 15], 2, "T" if amp[CUT + 2] != "T" else "A")
    ext = revcomp(flap) + revcomp(amp[CUT - 13:CUT])
    expected = amp[:CUT] + flap + amp[CUT + 15:]
    if strand == "+":
        return amp, CUT, ext, expected, CUT + 15
    return revcomp(amp), len(amp) - CUT, ext, revcomp(expected), len(amp) - CUT - 15


@pytest.mark.parametrize("strand", ["+", "-"])
def test_prime_edited_amplicon_from_pegrna(strand):
    amp, cut, ext, expected, fe = _pe_design(strand)
    got, flap_end = prime_edited_amplicon(amp, cut, strand, ext.replace("T", "U"))
    assert got == expected and flap_end == fe
    with pytest.raises(InputError, match="primer-binding site"):
        prime_edited_amplicon(amp, cut, strand, "ACGTACGTACGTACGTTTTTTTTTTTTT")


@pytest.mark.parametrize("strand", ["+", "-"])
def test_prime_editing_classes_match_truth(strand):
    amp, cut, ext, expected, fe = _pe_design(strand)
    sc_rc = revcomp(SCAFFOLD)
    pe_fwd = expected if strand == "+" else revcomp(expected)
    fe_fwd = CUT + 15
    scaf = pe_fwd[:fe_fwd] + sc_rc[:12] + pe_fwd[fe_fwd:]
    nick_del = AMP[:CUT - 4] + AMP[CUT:]  # deletion left of the nick, edit base intact
    both_gone = AMP[:CUT - 2] + AMP[CUT + 3:]  # the edited base deleted: equal to both amplicons
    pe_sub = _mut(pe_fwd, CUT - 3, "A" if pe_fwd[CUT - 3] != "A" else "C")
    truth = {"reference_unmodified": (AMP, 50), "reference_modified": (nick_del, 20),
             "intended_unmodified": (pe_fwd, 40), "intended_modified": (pe_sub, 10),
             "scaffold_incorporated": (scaf, 8)}
    reads = []
    for _, (s, n) in truth.items():
        s = s if strand == "+" else revcomp(s)
        reads += [_q(s)] * n
    reads += [_q(both_gone if strand == "+" else revcomp(both_gone))] * 3
    res = quantify_amplicon(amp, cut, reads, editor=get_editor("PE2"), strand=strand, expected_seq=expected,
                            flap_end=fe, scaffold=SCAFFOLD)
    assert {k: res[k] for k in truth} == {k: n for k, (_, n) in truth.items()}
    # equal alignment scores to both amplicons: CRISPResso2's ambiguous; counted as an event (not clean)
    assert res["ambiguous"] == 3
    assert res["events"] == 3 + sum(n for k, (_, n) in truth.items() if k != "reference_unmodified")


def test_hdr_expected_amplicon_and_unknown_editor():
    exp = _mut(AMP, CUT + 1, "A" if AMP[CUT + 1] != "A" else "C")
    reads = [_q(AMP)] * 30 + [_q(exp)] * 20
    res = quantify_amplicon(AMP, CUT, reads, editor=get_editor("HDR"), strand="+", expected_seq=exp)
    assert res["intended_unmodified"] == 20 and res["reference_unmodified"] == 30 and res["events"] == 20
    with pytest.raises(InputError, match="unknown editor"):
        get_editor("TALEN")
    with pytest.raises(InputError, match="base editors only"):
        get_editor("PE2", (4, 8))
    assert np.all(get_editor("CBE", [3, 9]).window == (3, 9))


def test_config_editor_reaches_both_quantify_steps(monkeypatch):
    """sitecheck.editor / editor_window become the quantify steps' --editor options (default nuclease)."""
    import copy
    import shlex
    from pathlib import Path

    import yaml

    from cgtsafe.config import validate_config
    from cgtsafe.plan import Plan

    repo = Path(__file__).resolve().parents[1]
    if not (repo / "test-data" / "genome" / "ref.fa").exists():
        pytest.skip("test-data absent")
    monkeypatch.chdir(repo)
    cfg = validate_config(yaml.safe_load((repo / "test-data" / "demo" / "config.yaml").read_text()),
                          schema_dir=repo / "workflow" / "schemas")
    sc = Plan(copy.deepcopy(cfg), config_file="cfg.yaml", root="results").sitecheck
    assert shlex.split(sc.wgs_filters())[-2:] == ["--editor", "nuclease"]
    cfg["sitecheck"]["editor"], cfg["sitecheck"]["editor_window"] = "BE4max", [3, 9]
    sc = Plan(copy.deepcopy(cfg), config_file="cfg.yaml", root="results").sitecheck
    for args in (sc.wgs_filters(), sc.amplicon_filters()):
        assert shlex.split(args)[-5:] == ["--editor", "BE4max", "--editor-window", "3", "9"]
    cfg["sitecheck"]["editor"] = "TALEN"
    with pytest.raises(InputError, match="key 'sitecheck.editor': unknown editor 'TALEN'"):
        Plan(copy.deepcopy(cfg), config_file="cfg.yaml", root="results").sitecheck.wgs_filters()
    # prime editor: RT template length and intended edits (WGS); adapters (amplicon)
    ie = Path(pytest.importorskip("tempfile").mkdtemp()) / "intended.tsv"
    ie.write_text("site_id\tpegrna_extension\nDEMO_g1:chr1:102913:+\tACGUACGUACGUACGUACGU\n")
    cfg["sitecheck"].update(editor="PE", editor_window=None, rt_template_length=16, intended_edits=str(ie),
                            adapters="nextera")
    sc = Plan(copy.deepcopy(cfg), config_file="cfg.yaml", root="results").sitecheck
    assert shlex.split(sc.wgs_filters())[-6:] == ["--editor", "PE", "--rt-template-length", "16",
                                                  "--intended-edits", str(ie)]
    assert shlex.split(sc.amplicon_filters())[-6:-4] == ["--adapters", "nextera"]
    assert sc.intended_edits() == [str(ie)]
    cfg["sitecheck"]["adapters"] = ["ACGTACGT", "TTTTGGGG"]
    sc = Plan(copy.deepcopy(cfg), config_file="cfg.yaml", root="results").sitecheck
    assert shlex.split(sc.amplicon_filters())[6:9] == ["--adapters", "ACGTACGT", "TTTTGGGG"]
    with pytest.raises(InputError, match="key 'sitecheck.intended_edits': intended edits apply to prime"):
        Plan({**cfg, "sitecheck": {**cfg["sitecheck"], "editor": "CBE"}}, config_file="cfg.yaml",
             root="results").sitecheck
    cfg["sitecheck"]["adapters"] = "ACGX"
    with pytest.raises(InputError, match="key 'sitecheck.adapters'"):
        Plan(copy.deepcopy(cfg), config_file="cfg.yaml", root="results").sitecheck.amplicon_filters()


def test_base_editor_end_to_end_cli(tmp_path):
    """quantify-amplicon --editor CBE -> compare -> summarize: the on-target base edit and its bystander reach
    the verdict table and the summary; a clean off-target amplicon is not made 'edited'."""
    import json

    from cgtsafe.cli import main

    rng = random.Random(11)
    other = "".join(rng.choice("ACGT") for _ in range(200))
    (tmp_path / "sites.tsv").write_text(
        "site_id\tchrom\tstart\tend\tstrand\tmismatches\tcut_start\tcut_end\n"
        f"ON\tc\t80\t103\t+\t0\t{CUT}\t{CUT}\nOT\tc2\t80\t103\t+\t3\t{CUT}\t{CUT}\n")
    (tmp_path / "amplicons.tsv").write_text(
        "amplicon\tsite_id\tchrom\tstart\tend\tsequence\tguide\tcut_offset\n"
        f"A_ON\tON\tc\t0\t{len(AMP)}\t{AMP}\tg\t{CUT}\nA_OT\tOT\tc2\t0\t200\t{other}\tg\t{CUT}\n")
    rows = ["sample\trole\tamplicon\tfastq\tcontrol"]
    for name, share in (("E", 0.4), ("C", 0.0)):
        reads, _ = _base_editor_reads(AMP, {CUT + 5 - 18: ("C", "T"), CUT + 7 - 18: ("C", "T")}, 300, share, rng)
        (tmp_path / f"{name}.fq").write_text("".join(f"@r{i}\n{s.decode()}\n+\n{q.decode()}\n"
                                                     for i, (s, q) in enumerate(reads)))
        (tmp_path / f"{name}_ot.fq").write_text("".join(f"@r{i}\n{other}\n+\n{'I' * 200}\n" for i in range(300)))
        ctl = "C" if name == "E" else ""
        role = "edited" if name == "E" else "control"
        rows += [f"{name}\t{role}\tA_ON\t{tmp_path / f'{name}.fq'}\t{ctl}",
                 f"{name}\t{role}\tA_OT\t{tmp_path / f'{name}_ot.fq'}\t{ctl}"]
    (tmp_path / "sheet.tsv").write_text("\n".join(rows) + "\n")
    common = ["--sites", str(tmp_path / "sites.tsv")]
    for name in ("E", "C"):
        assert main(["sitecheck", "quantify-amplicon", "--sheet", str(tmp_path / "sheet.tsv"), "--sample", name,
                     "--amplicons", str(tmp_path / "amplicons.tsv"), *common, "--editor", "BE4max",
                     "--out", str(tmp_path / f"{name}.tsv")]) == 0
    counts = [str(tmp_path / "E.tsv"), str(tmp_path / "C.tsv")]
    assert main(["sitecheck", "compare", *common, "--amplicon-sheet", str(tmp_path / "sheet.tsv"), "--counts",
                 *counts, "--threshold", "0.05", "--out", str(tmp_path / "v.tsv")]) == 0
    assert main(["sitecheck", "summarize", "--verdicts", str(tmp_path / "v.tsv"), "--counts", *counts,
                 "--threshold", "0.05", "--justification", "5 % for the test", "--out",
                 str(tmp_path / "summary.json")]) == 0
    v = pd.read_csv(tmp_path / "v.tsv", sep="\t", keep_default_na=False).set_index("site_id")
    assert v.loc["ON", "verdict"] == "edited" and v.loc["ON", "edited_conversions"].startswith("C5:")
    assert "C7:" in v.loc["ON", "edited_conversions"]
    assert v.loc["OT", "verdict"] == "not_detected" and v.loc["OT", "edited_events"] == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert any("bystander" in k["label_en"] for k in s["key_figures"])
    assert "indel or C>T at protospacer 4-8" in s["methods_en"]
