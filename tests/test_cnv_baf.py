"""B-allele-frequency statistics on simulated allele counts with a known cell fraction, the mappability track, and
the centromere/arm tables (cytoBand format, shipped GRCh37 table)."""

from __future__ import annotations

import numpy as np
import pytest

from cgtsafe.cnv.baf import fraction_from_shift, imbalance, status
from cgtsafe.errors import InputError


def _sites(rng, n_sites, depth, f, kind):
    """Het-site counts in diploid cells where a fraction f lost (or gained) one homolog (random phase)."""
    k = -1 if kind == "loss" else 1
    b = (1 + k * f) / (2 + k * f)  # allele fraction of the changed homolog
    p = np.where(rng.random(n_sites) < 0.5, b, 1 - b)
    n = rng.poisson(depth, n_sites)
    return rng.binomial(n, p), n


@pytest.mark.parametrize("kind,f", [("loss", 0.2), ("loss", 0.5), ("gain", 1.0), ("gain", 0.4)])
def test_implied_fraction_interval_covers_truth(kind, f):
    """Coverage of the 95 % BAF-implied interval over 100 simulations of 500 het sites at 30x (>= 90; measured
    93.5-95.5 % over 200) and detection at p < 0.01 in >= 95 of 100."""
    hit = det = 0
    for seed in range(100):
        a, n = _sites(np.random.default_rng(seed), 500, 30, f, kind)
        imb = imbalance(a, n)
        lo, hi = fraction_from_shift(imb.low, kind), fraction_from_shift(imb.high, kind)
        hit += lo <= f <= hi
        det += imb.p < 0.01
    assert hit >= 90 and det >= 95, (hit, det)


def test_no_imbalance_without_change():
    """The boundary likelihood-ratio test keeps its level (measured 4.9 % at 0.05 over 1,000 simulations)."""
    ps = np.array([imbalance(*_sites(np.random.default_rng(1000 + s), 500, 30, 0.0, "loss")).p for s in range(400)])
    assert 0.02 <= np.mean(ps < 0.05) <= 0.08


def test_shift_formulas_round_trip():
    for f in (0.05, 0.2, 0.7, 1.0):
        d_loss = 0.5 - (1 - f) / (2 - f)
        d_gain = (1 + f) / (2 + f) - 0.5
        assert fraction_from_shift(d_loss, "loss") == pytest.approx(f)
        assert fraction_from_shift(d_gain, "gain") == pytest.approx(f)
    assert fraction_from_shift(1 / 6, "gain") == pytest.approx(1.0)  # clonal gain: BAF 1/3, 2/3


def test_not_assessable_with_few_sites():
    a, n = _sites(np.random.default_rng(1), 8, 30, 1.0, "gain")
    assert status(imbalance(a, n), "gain", 20, 0.01).startswith("not assessable (8 het sites")


def test_mappability_track_bins(tmp_path):
    from cgtsafe.cnv.depth import bin_mappability

    (tmp_path / "m.bedgraph").write_text("track type=bedGraph\nc\t0\t1500\t1\nc\t1500\t2000\t0.5\nc\t2500\t3000\t1\n")
    m = bin_mappability(tmp_path / "m.bedgraph", {"c": 3500}, 1000)["c"]
    assert m.tolist() == pytest.approx([1.0, 0.75, 0.5, 0.0])
    (tmp_path / "m.bed").write_text("c\t500\t1000\n")
    assert bin_mappability(tmp_path / "m.bed", {"c": 2000, "d": 10}, 1000)["c"].tolist() == [0.5, 0.0]
    (tmp_path / "bad.bed").write_text("c\t10\t5\t1\n")
    with pytest.raises(InputError, match="line 1"):
        bin_mappability(tmp_path / "bad.bed", {"c": 20}, 10)


def test_mappability_excludes_bins_in_a_run(tmp_path):
    """An unmappable stretch of the synthetic genome drops out of the used bins (and only it)."""
    import csv
    from pathlib import Path

    from cgtsafe.cli import main

    td = Path(__file__).resolve().parents[1] / "test-data"
    lines = [f"{c}\t0\t{n}\t1\n" for c, n in (("chr1", 900000), ("chr2", 600000), ("chr4", 100000))]
    lines += ["chr3\t0\t200000\t0\n", "chr3\t200000\t400000\t1\n"]
    (tmp_path / "map.bedgraph").write_text("".join(lines))
    assert main(["cnv", "call", "--edited", str(td / "sequencing" / "wgs_edited.cram"), "--control",
                 str(td / "sequencing" / "wgs_control.cram"), "--reference", str(td / "genome" / "ref.fa"),
                 "--mappability", str(tmp_path / "map.bedgraph"), "--no-baf", "--permutations", "50",
                 "--outdir", str(tmp_path / "o")]) == 0
    with open(tmp_path / "o" / "bins.tsv") as fh:
        bins = list(csv.DictReader(fh, delimiter="\t"))
    c3 = [b for b in bins if b["chrom"] == "chr3"]
    assert all(b["used"] == "no" for b in c3 if int(b["end"]) <= 200000)
    assert sum(b["used"] == "yes" for b in c3 if int(b["start"]) >= 200000) >= 30
    assert all(float(b["mappability"]) == 1.0 for b in bins if b["chrom"] == "chr1")


def test_centromeres_from_cytoband_and_shipped_grch37(tmp_path):
    from cgtsafe.cnv.regions import centromeres_for, flag, read_centromeres

    (tmp_path / "cytoBand.txt").write_text("chr12\t30700000\t33300000\tp11.21\tgneg\nchr12\t33300000\t35800000\tp11.1\t"
                                           "acen\nchr12\t35800000\t38200000\tq11\tacen\n")
    assert read_centromeres(tmp_path / "cytoBand.txt") == {"12": (33300000, 38200000)}
    cen, src = centromeres_for("GRCh37", None)
    assert "shipped" in src and cen["12"] == (33300000, 38200000) and cen["17"] == (22200000, 25800000)
    assert flag("12", 1_000_000, 20_000_000, "gain", {}, cen) == "12p gain"
    assert flag("chr12", 40_000_000, 60_000_000, "gain", {}, cen) == ""  # 12q only: not a recurrent iPSC gain
    assert flag("chr17", 40_000_000, 60_000_000, "gain", {}, cen) == "17q gain"
    assert centromeres_for("GRCh38", None) == ({}, "")  # no GRCh38 table is shipped: arms need a file
    (tmp_path / "bad.txt").write_text("chr1\tx\t5\n")
    with pytest.raises(InputError, match="line 1"):
        read_centromeres(tmp_path / "bad.txt")


def test_trisomy_named_from_arm_table():
    from cgtsafe.cnv.regions import arm_table
    from cgtsafe.cnv.segment import Segment

    bins = 100
    starts = np.arange(bins) * 10
    chroms = np.array(["chr12"] * bins, dtype=object)
    x = np.full(bins, np.log2(1.5)) + np.random.default_rng(0).normal(0, 0.05, bins)
    seg = [Segment("chr12", 0, 1000, bins, float(x.mean()), 0.005, 100.0, "gain", 1.0, 0.9, 1.1)]
    rows = arm_table(chroms, starts, starts + 10, x, {"chr12": 1000}, {"12": (300, 400)}, seg, 0.05, 3.0)
    assert [r["arm_level"] for r in rows] == ["gain", "gain"]
    assert rows[0]["name"].startswith("trisomy 12 (both arms); recurrent in cultured pluripotent cells")


def test_base_counts_equal_pysam_count_coverage():
    """The bulk base counter gives pysam count_coverage's counts (same read/base filters) on the demo CRAM, whose
    reads include clips, indels, duplicates, secondary/supplementary and low-MAPQ records."""
    from pathlib import Path

    pysam = pytest.importorskip("pysam")
    from cgtsafe.cnv.baf import base_counts

    td = Path(__file__).resolve().parents[1] / "test-data"
    af = pysam.AlignmentFile(str(td / "sequencing" / "wgs_edited.cram"), reference_filename=str(td / "genome" / "ref.fa"))
    ours = base_counts(af, "chr1", 95_000, 110_000)
    cc = af.count_coverage("chr1", 95_000, 110_000, quality_threshold=20,
                           read_callback=lambda r: not (r.flag & 0xF04) and r.mapping_quality >= 20)
    af.close()
    assert ours.sum() > 400_000 and (ours == np.stack([np.asarray(c) for c in cc], axis=1)).all()


def test_het_sites_from_a_population_vcf(tmp_path):
    """With ``--snps`` only the VCF's biallelic SNVs are examined: the planted het SNVs of chr4 (truth_germline.tsv)
    plus homozygous ones and an indel; het sites found = the planted hets with depth, nothing else."""
    import csv
    from pathlib import Path

    pytest.importorskip("pysam")
    from cgtsafe.cnv.baf import discover_hets, read_snps

    td = Path(__file__).resolve().parents[1] / "test-data"
    with open(td / "sequencing" / "truth_germline.tsv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["chrom"] == "chr4"]
    snv = [r for r in rows if len(r["ref"]) == 1 and len(r["alt"]) == 1]
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr4,length=100000>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"chr4\t{r['pos']}\t.\t{r['ref']}\t{r['alt']}\t.\tPASS\t." for r in rows]
    (tmp_path / "snps.vcf").write_text("\n".join(lines) + "\n")
    snps = read_snps(tmp_path / "snps.vcf")
    assert snps["chr4"].size == len(snv)
    hets, examined = discover_hets(td / "sequencing" / "wgs_control.cram", td / "genome" / "ref.fa",
                                   {"chr4": 100_000}, snps=snps)
    assert examined == len(snv)
    het_truth = {int(r["pos"]) - 1 for r in snv if r["genotype"] == "0/1"}
    found = set(hets.pos.tolist())
    assert found <= het_truth and len(found) >= 0.7 * len(het_truth)
    (tmp_path / "bad.vcf").write_text("not a vcf\n")
    with pytest.raises(InputError):
        read_snps(tmp_path / "bad.vcf")
