"""Candidate sites: nominated BED intervals are located before they are quantified; sites created by the
donor's own alleles join the candidates with the allele named. Truth: the planted sites and the simulated
WGS pair of test-data (scripts/testdata), not the code's own output."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cgtsafe.errors import InputError
from cgtsafe.sitecheck import sites as st
from cgtsafe.sitecheck.quantify import quantify_bam

ROOT = Path(__file__).resolve().parents[1]
TD = ROOT / "test-data"
SEQ = TD / "sequencing"
ON = "DEMO_g1:chr1:102913:+"  # planted on-target, edited in 60 % of the edited sample's fragments


def _predicted_without(tmp_path, drop: str) -> Path:
    df = pd.read_csv(TD / "offtarget" / "planted_sites.tsv", sep="\t", dtype=str, keep_default_na=False)
    out = tmp_path / "sites.tsv"
    df[df["site_id"] != drop].to_csv(out, sep="\t", index=False)
    return out


def test_bed_interval_without_predicted_site_is_quantified_at_its_centre(tmp_path):
    """A 200 bp GUIDE-seq window around an edited cut that the prediction missed: quantifying the whole
    interval (the former behaviour) spans no read; the located window counts the edits."""
    if not (SEQ / "wgs_edited.cram").exists():
        pytest.skip("test-data/sequencing absent")
    truth = pd.read_csv(SEQ / "truth_sites.tsv", sep="\t").set_index("site_id").loc[ON]
    cut = int(truth["cut"])
    bed = tmp_path / "guideseq.bed"
    bed.write_text(f"chr1\t{cut - 97}\t{cut + 103}\tGS1\n")
    sites = st.load_sites(_predicted_without(tmp_path, ON), [f"GUIDE-seq={bed}"], flank=5)
    gs = [s for s in sites if s.source == "GUIDE-seq"]
    assert len(gs) == 1
    site = gs[0]
    c = cut + 3  # interval centre
    assert (site.cut_start, site.cut_end) == (c - st.CENTRE_TOLERANCE, c + st.CENTRE_TOLERANCE)
    assert site.window(5)[0] <= cut < site.window(5)[1]
    assert "interval centre" in site.extra["cut_located_by"]
    whole = st.Site("whole", "chr1", cut - 97, cut + 103, "+", cut - 97, cut + 103)
    df = quantify_bam(SEQ / "wgs_edited.cram", TD / "genome" / "ref.fa", [whole, site], sample="E")
    reads = dict(zip(df["site_id"], df["reads"]))
    indel = dict(zip(df["site_id"], df["indel"]))
    assert reads["whole"] == 0  # the defect: no 150 bp read spans a 210 bp window
    assert reads["GS1"] >= 5
    # 60 % of the fragments are edited; the located window sees a comparable share
    assert 0.3 <= indel["GS1"] / reads["GS1"] <= 0.9


def test_bed_interval_takes_the_best_predicted_site_inside(tmp_path):
    sites = tmp_path / "sites.tsv"
    sites.write_text(
        "site_id\tchrom\tstart\tend\tstrand\tcut_start\tcut_end\tmismatches\tdna_bulge\trna_bulge\n"
        "far\tchr1\t1000\t1023\t+\t1017\t1017\t4\t0\t0\n"
        "A\tchr1\t5000\t5023\t+\t5017\t5017\t3\t0\t0\n"
        "B\tchr1\t5090\t5113\t-\t5096\t5096\t1\t0\t0\n"
        "C\tchr1\t5060\t5083\t+\t5077\t5077\t1\t1\t0\n")
    bed = tmp_path / "n.bed"
    bed.write_text("chr1\t4990\t5190\tn1\n")
    out = st.load_sites(sites, [f"CHANGE-seq={bed}"], flank=5)
    assert [(s.site_id, s.source) for s in out] == [("far", "predicted"), ("A", "predicted"),
                                                    ("B", "predicted;CHANGE-seq"), ("C", "predicted")]


def test_donor_allele_sites_join_the_candidates(tmp_path):
    """The donor VCF of test-data creates a site (chr2, PAM restored) and lowers one (chr3); the
    prediction on the reference does not list them (here: dropped from the planted table). Through the
    off-target step's variant table they join the quantified candidates, the allele named."""
    from cgtsafe.cli import main

    vt = tmp_path / "variants_donor.tsv"
    assert main(["offtarget", "variants", "--vcf", str(TD / "offtarget" / "donor.vcf"), "--label", "donor",
                 "--genome", str(TD / "genome" / "ref.fa"), "--guides", str(TD / "offtarget" / "guides.tsv"),
                 "--max-mismatches", "4", "--out", str(vt)]) == 0
    planted = pd.read_csv(TD / "offtarget" / "planted_sites.tsv", sep="\t", dtype=str, keep_default_na=False)
    truth = planted[planted["category"].str.startswith("variant_")].set_index("chrom")
    pred = tmp_path / "sites.tsv"
    planted[~planted["category"].str.startswith("variant_")].to_csv(pred, sep="\t", index=False)
    sites = st.load_sites(pred, [], flank=5, variants=[str(vt)])
    donor = {s.chrom: s for s in sites if s.source.startswith("donor:")}
    # with at most 4 mismatches the chr3 reference site (5 mismatches) is outside the limits: "created"
    assert set(donor) == {"chr2", "chr3"}
    for chrom, allele in (("chr2", "chr2:250023:C:G (created, donor)"), ("chr3", "chr3:370014:T:C (created, donor)")):
        s = donor[chrom]
        assert s.extra["donor_allele"] == allele
        assert s.source == "donor:" + allele.split(" ")[0]
        assert (s.start, s.strand, s.cut_start) == (int(truth.loc[chrom, "start"]), truth.loc[chrom, "strand"],
                                                    int(truth.loc[chrom, "cut_start"]))
    # a donor site already in the list is named on it, not added twice
    again = st.load_sites(TD / "offtarget" / "planted_sites.tsv", [], flank=5, variants=[str(vt)])
    assert len(again) == len(planted)
    on2 = [s for s in again if s.chrom == "chr2" and s.start == 250000][0]
    assert on2.source == "predicted;donor:chr2:250023:C:G" and "chr2:250023:C:G" in on2.extra["donor_allele"]
    if (SEQ / "wgs_edited.cram").exists():
        df = quantify_bam(SEQ / "wgs_edited.cram", TD / "genome" / "ref.fa", [donor["chr2"]], sample="E")
        assert int(df["reads"].iloc[0]) > 0


def test_candidate_table_read_in_blocks_of_its_columns(tmp_path):
    """A full off-target sites.tsv (35 columns) read in blocks of 4 rows, only the columns a Site keeps: every
    field of every Site equals the table's cell (pandas reading of all columns), in table order; a bad value
    in a later block names its line of the whole file."""
    from helpers import demo_sites, need_test_data

    need_test_data()
    df = demo_sites(1, 1).astype(str)
    df.loc[df.index[::5], "source"] = "predicted;GUIDE-seq"
    df["source"] = df["source"].fillna("")
    path = tmp_path / "sites.tsv"
    df.to_csv(path, sep="\t", index=False)
    ref = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    got = st.read_sites(path, block_rows=4)
    assert len(got) == len(ref) > 20 and len(ref.columns) > 30
    for s, (_, r) in zip(got, ref.iterrows()):
        assert (s.site_id, s.chrom, s.start, s.end, s.strand, s.cut_start, s.cut_end) == \
            (r["site_id"], r["chrom"], int(r["start"]), int(r["end"]), r["strand"], int(r["cut_start"]),
             int(r["cut_end"]))
        assert s.source == (r["source"] or "predicted")
        assert s.extra == {k: r[k] for k in st.CARRY if k in ref.columns}
    lines = path.read_text().splitlines(keepends=True)
    f = lines[13].split("\t")
    f[list(ref.columns).index("end")] = "1e3"
    lines[13] = "\t".join(f)
    path.write_text("".join(lines))
    with pytest.raises(InputError) as e:
        st.read_sites(path, block_rows=4)
    assert "column end: expected an integer, got '1e3'" in str(e.value) and "line 14" in str(e.value)
