"""Agreement with CRISPResso2 (the peer tool) on its own published test data.

Reference: pinellolab/CRISPResso2 tests/ (copied to ../shared/data/reads/crispresso2, README there) and
CRISPResso2's expected result files ``expectedResults_*``. CRISPResso2 calls a read "modified" when an
insertion, deletion or substitution falls in the quantification window (default ``-w 1``: the two bases
flanking the cut; with no guide: the whole region minus ``--exclude_bp_from_left/right`` = 15 bp). We
compare that class: cgtsafe ``indel + substitution_only`` with ``min_baseq = 0`` (CRISPResso2 applies no
base-quality filter by default), ``flank = 1``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "reads" / "crispresso2"


def _need(*names):
    for n in names:
        if not (DATA / n).exists():
            pytest.skip(f"../shared/data/reads/crispresso2 absent: {n}")


def _expected(name):
    with open(DATA / name) as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _fanc():
    name, amp, guide = (DATA / "Cas9.amplicons.txt").read_text().splitlines()[0].split("\t")[:3]
    g = amp.find(guide)
    assert g >= 0
    return amp, g + 17  # SpCas9: base right of the cut = guide start + 17 (+ strand)


@pytest.mark.realdata
def test_fanc_cas9_modified_frequency_matches_crispresso():
    _need("FANC.Cas9.fastq", "Cas9.amplicons.txt",
          "expectedResults_CRISPResso_on_FANC.Cas9_CRISPResso_quantification_of_editing_frequency.txt")
    from cgtsafe.sitecheck.amplicon import quantify_amplicon, read_items

    exp = _expected("expectedResults_CRISPResso_on_FANC.Cas9_CRISPResso_quantification_of_editing_frequency.txt")[0]
    amp, cut = _fanc()
    r = quantify_amplicon(amp, cut, read_items(DATA / "FANC.Cas9.fastq"), flank=1, min_baseq=0)
    ours = 100 * (r["indel"] + r["substitution_only"]) / r["reads"]
    assert abs(ours - float(exp["Modified%"])) <= 0.5, (ours, exp["Modified%"])
    # same read set size and unmodified count within 1 % of CRISPResso2's 235 aligned / 173 unmodified
    assert abs(r["reads"] - int(exp["Reads_aligned"])) <= 3
    assert abs(r["unmodified"] - int(exp["Unmodified"])) <= 2
    # indel class alone (reads with an insertion or deletion in the window): measured 23.7 % vs 24.3 %
    crispresso_indel = 100 * (int(exp["Only Insertions"]) + int(exp["Only Deletions"]) + int(exp["Insertions and Deletions"])
                              + int(exp["Insertions and Substitutions"]) + int(exp["Deletions and Substitutions"])
                              + int(exp["Insertions Deletions and Substitutions"])) / int(exp["Reads_aligned"])
    assert abs(100 * r["indel"] / r["reads"] - crispresso_indel) <= 1.0


@pytest.mark.realdata
def test_fanc_untreated_has_no_modification_in_window():
    """CRISPRessoBatch per-position table: the untreated sample has 0 modified reads at the window bases."""
    _need("FANC.Untreated.fastq", "expectedResults_CRISPRessoBatch_on_FANC_MODIFICATION_FREQUENCY_SUMMARY.txt")
    from cgtsafe.sitecheck.amplicon import quantify_amplicon, read_items

    amp, cut = _fanc()
    rows = list(csv.reader(open(DATA / "expectedResults_CRISPRessoBatch_on_FANC_MODIFICATION_FREQUENCY_SUMMARY.txt"),
                           delimiter="\t"))
    allmod = next(r for r in rows if r[0] == "Untreated" and r[1] == "All_modifications")
    expected_in_window = sum(float(x) for x in allmod[2:][cut - 1:cut + 1])
    r = quantify_amplicon(amp, cut, read_items(DATA / "FANC.Untreated.fastq"), flank=1, min_baseq=0)
    assert r["reads"] >= 240
    assert r["indel"] + r["substitution_only"] == expected_in_window == 0


def _wgs_region_reads(chrom, start1, end1):
    """CRISPRessoWGS read extraction, as in the method-validation record."""
    from cgtsafe.validation.reference import wgs_region_reads

    return wgs_region_reads(DATA / "Both.Cas9.fastq.smallGenome.bam", chrom, start1, end1)


@pytest.mark.realdata
@pytest.mark.parametrize("name,chrom,start1,end1", [("FANCF", "chr11", 1024, 1274), ("HEK3", "chr9", 962, 1198)])
def test_wgs_region_read_selection_matches_crispresso_wgs(name, chrom, start1, end1):
    """quantify_bam with a window equal to the CRISPRessoWGS region selects the same reads (Reads_total)."""
    _need("Both.Cas9.fastq.smallGenome.bam", "smallGenome_smallGenome.fa", "Cas9.regions.txt")
    from cgtsafe.sitecheck.quantify import quantify_bam
    from cgtsafe.sitecheck.sites import Site

    exp = {r["Name"]: r for r in _expected(
        "expectedResults_CRISPRessoWGS_on_Both.Cas9.fastq.smallGenome_SAMPLES_QUANTIFICATION_SUMMARY.txt")}
    site = Site(name, chrom, start1 - 1, end1, "+", start1 - 1, end1)
    df = quantify_bam(DATA / "Both.Cas9.fastq.smallGenome.bam", DATA / "smallGenome_smallGenome.fa", [site],
                      sample="Both", flank=0, min_mapq=0, min_baseq=0)
    assert int(df["reads"].iloc[0]) == int(exp[name]["Reads_total"])
    assert len(_wgs_region_reads(chrom, start1, end1)) == int(exp[name]["Reads_total"])


@pytest.mark.realdata
def test_wgs_fancf_modified_frequency_matches_crispresso_wgs():
    _need("Both.Cas9.fastq.smallGenome.bam", "smallGenome_smallGenome.fa")
    import pysam

    from cgtsafe.sitecheck.amplicon import quantify_amplicon

    exp = {r["Name"]: r for r in _expected(
        "expectedResults_CRISPRessoWGS_on_Both.Cas9.fastq.smallGenome_SAMPLES_QUANTIFICATION_SUMMARY.txt")}["FANCF"]
    region = pysam.FastaFile(str(DATA / "smallGenome_smallGenome.fa")).fetch("chr11", 1023, 1273)
    items = _wgs_region_reads("chr11", 1024, 1274)
    # no guide in the region file: CRISPResso2 quantifies the whole region minus 15 bp at each end
    r = quantify_amplicon(region, 15, items, flank=0, cut_end_offset=len(region) - 15, min_baseq=0)
    ours = 100 * (r["indel"] + r["substitution_only"]) / r["reads"]
    assert r["reads"] == int(float(exp["Reads_aligned"]))
    assert abs(ours - float(exp["Modified%"])) <= 0.5
    assert r["indel"] == int(float(exp["Deletions"])) + int(float(exp["Insertions"]))
    assert r["substitution_only"] == int(float(exp["Only Substitutions"]))


@pytest.mark.realdata
def test_fanc_edited_vs_untreated_verdict():
    """Cas9 vs untreated FANCF: significant, on-target frequency CI contains CRISPResso2's indel fraction."""
    _need("FANC.Cas9.fastq", "FANC.Untreated.fastq")
    import pandas as pd

    from cgtsafe.sitecheck.amplicon import quantify_amplicon, read_items
    from cgtsafe.sitecheck.sites import Site
    from cgtsafe.sitecheck.verdict import compare

    amp, cut = _fanc()
    site = Site("FANCF", "FANC", cut - 17, cut + 6, "+", cut, cut, extra={"mismatches": "0"})
    rows = []
    for s in ("Cas9", "Untreated"):
        r = quantify_amplicon(amp, cut, read_items(DATA / f"FANC.{s}.fastq"), flank=1, min_baseq=0)
        rows.append(pd.DataFrame([{"sample": s, "assay": "amplicon", "site_id": "FANCF", **r}]))
    v = compare(rows[0], rows[1], [site], assay="amplicon", threshold=0.001).iloc[0]
    assert v["verdict"] == "edited" and v["p_value"] < 1e-12
    crispresso_indel = (6 + 49 + 2) / 235  # only-ins + only-del + ins&subs reads (expected summary)
    assert v["edited_ci_low"] <= crispresso_indel <= v["edited_ci_high"]


@pytest.mark.realdata
def test_real_hg38_bam_against_wrong_reference_is_one_line_error():
    """The hg38-header BAM of the same reads, checked against the mini genome: the length mismatch is named."""
    _need("Both.Cas9.fastq.hg38.bam", "smallGenome_smallGenome.fa")
    from cgtsafe.errors import InputError
    from cgtsafe.sitecheck.quantify import quantify_bam
    from cgtsafe.sitecheck.sites import Site

    with pytest.raises(InputError, match=r"contig 'chr11' is 135086622 bp in the alignment header but 2300 bp"):
        quantify_bam(DATA / "Both.Cas9.fastq.hg38.bam", DATA / "smallGenome_smallGenome.fa",
                     [Site("F", "chr11", 1000, 1023, "+", 1017, 1017)], sample="x")
