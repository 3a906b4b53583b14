"""``cgtsafe cnv call`` on the demo WGS pair (test-data/sequencing) against its planted copy-number truth
(test-data/cnv/truth.tsv, written by scripts/testdata/cnv.py): a loss of one chr1 homolog from the DEMO_g1 on-target
cut to the end of chr1 in 20 % of cells and a clonal single-copy 20q11.21-like gain of chr2:330-480 kb. Both depth
and B-allele frequencies (at the control's het SNPs; planted hets: truth_germline.tsv 0/1 rows) must put the planted
cell fraction inside their intervals. A control-vs-control comparison (the control's reads split in two halves by
fragment name) must call nothing and state its limit of detection."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from cgtsafe.cli import main

TD = Path(__file__).resolve().parents[1] / "test-data"
REF = TD / "genome" / "ref.fa"


def _tsv(p):
    with open(p, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _truth():
    return {r["event"]: r for r in _tsv(TD / "cnv" / "truth.tsv")}


def _call(edited, control, out, *extra):
    assert main(["cnv", "call", "--edited", str(edited), "--control", str(control), "--reference", str(REF),
                 "--centromeres", str(TD / "cnv" / "centromeres.tsv"), "--regions",
                 str(TD / "cnv" / "recurrent_regions.tsv"), "--permutations", "100", "--outdir", str(out),
                 *extra]) == 0
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    pytest.importorskip("pysam")
    t = _truth()["CUT_DISTAL_LOSS"]
    out = tmp_path_factory.mktemp("cnvdemo") / "o"
    return _call(TD / "sequencing" / "wgs_edited.cram", TD / "sequencing" / "wgs_control.cram", out,
                 "--cut", f"DEMO_g1={t['chrom']}:{t['start']}")


def _overlap(seg, ev):
    return seg["chrom"] == ev["chrom"] and int(seg["start"]) < int(ev["end"]) and int(ev["start"]) < int(seg["end"])


def test_planted_events_recovered_with_depth_and_baf_fractions(demo):
    truth = _truth()
    called = [s for s in _tsv(demo / "segments.tsv") if s["call"] != "neutral"]
    assert len(called) == 2, called
    bins = _tsv(demo / "bins.tsv")
    size = int(bins[0]["end"]) - int(bins[0]["start"])
    for ev in truth.values():
        seg = next(s for s in called if _overlap(s, ev))
        f = float(ev["cell_fraction"])
        assert seg["call"] == ev["type"]
        # breakpoints within 3 bins of the planted ones
        assert abs(int(seg["start"]) - int(ev["start"])) <= 3 * size and abs(int(seg["end"]) - int(ev["end"])) <= 3 * size
        assert float(seg["cell_fraction_low"]) <= f <= float(seg["cell_fraction_high"]), seg
        # second line of evidence: B-allele frequencies at the control's het SNPs
        assert seg["baf_status"] == f"allelic imbalance supports the {ev['type']}", seg
        assert float(seg["baf_cell_fraction_low"]) <= f <= float(seg["baf_cell_fraction_high"]), seg
        assert float(seg["baf_shift_low"]) <= float(ev["expected_baf_shift"]) <= float(seg["baf_shift_high"])
    gain = next(s for s in called if s["call"] == "gain")
    assert gain["recurrent_region"].startswith("20q11.21-like")


def test_cut_distal_loss_with_baf(demo):
    ev = _truth()["CUT_DISTAL_LOSS"]
    d = {r["side"]: r for r in _tsv(demo / "cut_distal.tsv")}
    assert d["to_end"]["status"] == "loss detected" and int(d["to_end"]["start"]) == int(ev["start"])
    assert float(d["to_end"]["cell_fraction_low"]) <= 0.2 <= float(d["to_end"]["cell_fraction_high"])
    assert float(d["to_end"]["baf_cell_fraction_low"]) <= 0.2 <= float(d["to_end"]["baf_cell_fraction_high"])
    assert d["to_start"]["status"].startswith("not detected")


def test_het_sites_are_the_planted_hets(demo):
    """The het sites found in the control are planted 0/1 SNVs (truth_germline.tsv, pos 1-based)."""
    truth = {(r["chrom"], int(r["pos"]) - 1) for r in _tsv(TD / "sequencing" / "truth_germline.tsv")
             if r["genotype"] == "0/1" and len(r["ref"]) == 1 and len(r["alt"]) == 1}
    found = {(r["chrom"], int(r["pos"])) for r in _tsv(demo / "baf.tsv")}
    assert len(found) > 800
    assert len(found & truth) / len(found) >= 0.99
    assert len(found & truth) / len(truth) >= 0.7


def test_arms_from_the_centromere_file(demo):
    arms = {(r["chrom"], r["arm"]): r for r in _tsv(demo / "arms.tsv")}
    assert arms[("chr1", "q")]["arm_level"] == "loss" and arms[("chr1", "q")]["name"] == "1q loss (arm level)"
    assert arms[("chr2", "q")]["arm_level"] == ""  # the focal 20q11.21-like gain is not arm level
    assert all(r["arm_level"] == "" for k, r in arms.items() if k not in (("chr1", "q"),))


def test_summary_names_events_and_baf(demo, tmp_path):
    o = tmp_path / "s"
    assert main(["cnv", "summarize", "--sample", f"EDITED_D1={demo}", "--outdir", str(o), "--out",
                 str(o / "summary.json")]) == 0
    s = json.loads((o / "summary.json").read_text())
    assert s["verdict_level"] == "attention"
    vals = " ".join(str(k["value"]) for k in s["key_figures"])
    assert "allelic imbalance supports the loss" in vals and "1q loss (arm level)" in vals
    assert (o / "figures" / "genome_ratio.json").exists()
    fig = json.loads((o / "figures" / "genome_baf.json").read_text())
    assert any("B-allele" in (t.get("name") or "") for t in fig["data"])
    assert [f["id"] for f in s["figures"]] == ["cnv_genome_ratio", "cnv_genome_baf"]


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """The control's reads split in two by fragment name: two independent ~15x control libraries."""
    pysam = pytest.importorskip("pysam")
    tmp = tmp_path_factory.mktemp("cnvhalves")
    src = pysam.AlignmentFile(str(TD / "sequencing" / "wgs_control.cram"), reference_filename=str(REF))
    outs = [pysam.AlignmentFile(str(tmp / f"h{i}.bam"), "wb", template=src) for i in (0, 1)]
    for r in src.fetch(until_eof=True):
        outs[hashlib.md5(r.query_name.encode()).digest()[0] & 1].write(r)
    for o in outs:
        o.close()
    src.close()
    for i in (0, 1):
        pysam.index(str(tmp / f"h{i}.bam"))
    return tmp


def test_control_vs_control_no_call_and_limit_of_detection(halves, tmp_path):
    out = _call(halves / "h0.bam", halves / "h1.bam", tmp_path / "cc", "--cut", "DEMO_g1=chr1:102930")
    assert all(s["call"] == "neutral" for s in _tsv(out / "segments.tsv"))
    assert all(r["arm_level"] == "" for r in _tsv(out / "arms.tsv"))
    d = {r["side"]: r for r in _tsv(out / "cut_distal.tsv")}
    assert d["to_end"]["status"].startswith("not detected (>= ")
    assert all(not s["baf_status"].startswith("allelic imbalance") for s in _tsv(out / "segments.tsv"))
    o = tmp_path / "s"
    assert main(["cnv", "summarize", "--sample", f"C1={out}", "--outdir", str(o), "--out", str(o / "summary.json")]) == 0
    s = json.loads((o / "summary.json").read_text())
    assert s["verdict_level"] == "info"
    import re

    m = re.search(r"a ([0-9.]+) Mb single-copy loss in >= ([0-9.]+)% of cells .* would have been detected",
                  s["verdict_en"])
    assert m, s["verdict_en"]
    lod = {int(r["segment_bp"]): float(r["detectable_loss"]) for r in _tsv(out / "lod.tsv")}
    assert abs(lod[int(float(m.group(1)) * 1e6)] * 100 - float(m.group(2))) < 0.06
    assert "% " in s["verdict_zh"] or "%" in s["verdict_zh"]
