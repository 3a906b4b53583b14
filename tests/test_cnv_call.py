"""``cgtsafe cnv call`` on simulated WGS BAMs of the synthetic genome with planted truth: a loss in 20 % of cells
from the DEMO_g1 on-target cut (chr1:102930) to the end of chr1, and a clonal single-copy gain of chr3:100-250 kb;
the edited sample also has a GC bias the control lacks. ~200k reads per sample (single-end 100 nt), 400 reads per bin (3-kb bins)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cgtsafe.cli import main

TD = Path(__file__).resolve().parents[1] / "test-data"
CUT = ("chr1", 102930)
GAIN = ("chr3", 100_000, 250_000)


def _tsv(p):
    with open(p, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _bam(path: Path, genome: dict, n_reads: int, seed: int, events: bool, gc_bias: float):
    import pysam

    rng = np.random.default_rng(seed)
    names = list(genome)
    lengths = np.array([len(genome[c]) for c in names])
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": c, "LN": int(n)} for c, n in zip(names, lengths)]}
    reads = []
    for ci, c in enumerate(names):
        seq = genome[c]
        n = int(n_reads * lengths[ci] / lengths.sum() * 1.6)
        pos = np.sort(rng.integers(0, lengths[ci] - 100, n))
        keep_p = np.ones(n)
        if events and c == CUT[0]:
            keep_p[pos >= CUT[1]] *= 0.9  # 20 % of cells lost one of two copies
        if events and c == GAIN[0]:
            keep_p[(pos >= GAIN[1]) & (pos < GAIN[2])] *= 1.5
        keep_p /= 1.6
        u = rng.random(n)
        for p, k in zip(pos, u < keep_p):
            if not k:
                continue
            s = seq[p:p + 100].upper()
            if b"N" in s:
                continue
            gc = (s.count(b"G") + s.count(b"C")) / 100
            if rng.random() > min(1.0, 1 + gc_bias * (gc - 0.45)) / 1.3:
                continue
            reads.append((ci, int(p)))
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i, (ci, p) in enumerate(reads):
            a = pysam.AlignedSegment()
            a.query_name, a.flag, a.reference_id, a.reference_start, a.mapping_quality = f"r{i}", 0, ci, p, 60
            a.cigarstring = "100M"
            out.write(a)
    pysam.index(str(path))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    pytest.importorskip("pysam")
    from cgtsafe.io.fasta import read_fasta

    tmp = tmp_path_factory.mktemp("cnv")
    genome = read_fasta(TD / "genome" / "ref.fa")
    _bam(tmp / "control.bam", genome, 300_000, 1, False, 0.0)
    _bam(tmp / "edited.bam", genome, 300_000, 2, True, -1.5)
    _bam(tmp / "plain.bam", genome, 300_000, 3, False, 1.0)
    out = {}
    for name, ed in (("events", "edited.bam"), ("none", "plain.bam")):
        o = tmp / name
        assert main(["cnv", "call", "--edited", str(tmp / ed), "--control", str(tmp / "control.bam"), "--reference",
                     str(TD / "genome" / "ref.fa"), "--cut", f"DEMO_g1={CUT[0]}:{CUT[1]}", "--permutations", "100", "--target-reads", "400",
                     "--outdir", str(o)]) == 0
        out[name] = o
    return out


def test_planted_loss_and_gain_called_with_cell_fractions(runs):
    seg = [s for s in _tsv(runs["events"] / "segments.tsv") if s["call"] != "neutral"]
    assert sorted(s["call"] for s in seg) == ["gain", "loss"], seg
    loss = next(s for s in seg if s["call"] == "loss")
    gain = next(s for s in seg if s["call"] == "gain")
    bins = _tsv(runs["events"] / "bins.tsv")
    size = int(bins[0]["end"]) - int(bins[0]["start"])
    assert loss["chrom"] == "chr1" and abs(int(loss["start"]) - CUT[1]) <= size and int(loss["end"]) >= 880_000
    assert float(loss["cell_fraction_low"]) <= 0.2 <= float(loss["cell_fraction_high"])
    assert gain["chrom"] == "chr3" and abs(int(gain["start"]) - GAIN[1]) <= size
    assert abs(int(gain["end"]) - GAIN[2]) <= size
    assert float(gain["cell_fraction_low"]) <= 1.0 <= float(gain["cell_fraction_high"])


def test_cut_distal_loss_detected(runs):
    d = {r["side"]: r for r in _tsv(runs["events"] / "cut_distal.tsv")}
    assert d["to_end"]["status"] == "loss detected"
    assert float(d["to_end"]["cell_fraction_low"]) <= 0.2 <= float(d["to_end"]["cell_fraction_high"])
    assert d["to_start"]["status"].startswith("not detected")


def test_nothing_found_reports_limit_of_detection(runs):
    assert all(s["call"] == "neutral" for s in _tsv(runs["none"] / "segments.tsv"))
    d = {r["side"]: r for r in _tsv(runs["none"] / "cut_distal.tsv")}
    assert d["to_end"]["status"].startswith("not detected (>= ")
    assert 0 < float(d["to_end"]["detectable_loss"]) < 0.2
    lod = _tsv(runs["none"] / "lod.tsv")
    assert lod and all(0 < float(r["detectable_loss"]) <= 1 for r in lod)


def test_bad_cut_one_line_error(tmp_path, capsys):
    rc = main(["cnv", "call", "--edited", "x.bam", "--control", "y.bam", "--reference", str(TD / "genome" / "ref.fa"),
               "--cut", "bad", "--outdir", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "NAME=CHROM:POS" in err and err.count("\n") == 1


def test_summary_verdicts(runs, tmp_path):
    import json

    for name, level in (("events", "attention"), ("none", "info")):
        o = tmp_path / name
        assert main(["cnv", "summarize", "--sample", f"E1={runs[name]}", "--outdir", str(o), "--out",
                     str(o / "summary.json")]) == 0
        s = json.loads((o / "summary.json").read_text())
        assert s["analysis"] == "cnv" and s["verdict_level"] == level, s["verdict_en"]
        assert (o / "figures" / "genome_ratio.json").exists()
    assert "would have been detected" in s["verdict_en"] and "%" in s["verdict_zh"]


def test_plan_pairs_and_cuts():
    import os

    import yaml

    from cgtsafe.config import validate_config
    from cgtsafe.plan import Plan

    root = Path(__file__).resolve().parents[1]
    cfg = validate_config(yaml.safe_load((root / "test-data" / "demo" / "config.yaml").read_text()))
    cwd = os.getcwd()
    os.chdir(root)
    try:
        p = Plan(cfg, root="res")
        assert p.cnv.edited == ["EDITED_D1"]
        files = p.cnv.pair_files(type("W", (), {"sample": "EDITED_D1"})())
        assert files["sites"] == "res/offtarget/sites.tsv" and files["edited"].endswith("wgs_edited.cram")
        assert p.cnv.summarize_args() == "--sample EDITED_D1=res/cnv/EDITED_D1"
    finally:
        os.chdir(cwd)
