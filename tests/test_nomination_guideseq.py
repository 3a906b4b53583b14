"""GUIDE-seq nomination on the real GUIDE-seq test reads (Tsai 2015 EMX1 + control, tsailabSJ/guideseq test/)
against the reference pipeline's expected tables (``data_identified_EMX1_identifiedOfftargets.txt``).

Agreement asserted (and stated in docs/outputs/nomination.md):
  * demultiplexing reproduces the reference pipeline's per-sample read sets exactly (same read names, order);
  * the nominated sites (windows with a guide match, not in the control) are exactly the reference's
    guide-matched sites (EMX1 on-target chr2, chr15, chr6) with the same site sequence and strand;
  * every reference window is found (overlapping window), the reference's no-match windows have no match or
    are background here;
  * UMI (molecule) counts per nominated site: 0.7x to 1.1x the reference's ``bi.sum.mi`` for sites with
    >= 50 molecules, within +-2 below that (the reference aligns with bwa-mem; minimap2 aligns fewer of
    the 20-40 nt fragments), and the rank order of the sites is the same.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cgtsafe.cli import main

D = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "reads" / "guideseq"


def _need():
    if not (D / "test_genome.fa").exists():
        pytest.skip("../shared/data/reads/guideseq absent: real GUIDE-seq test reads not available")


def _tsv(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _expected():
    rows = []
    with open(D / "data_identified_EMX1_identifiedOfftargets.txt", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").lstrip("#").split("\t")
        for line in fh:
            f = line.rstrip("\n").split("\t")
            rows.append(dict(zip(header, f + [""] * (len(header) - len(f)))))
    return rows


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    _need()
    tmp = tmp_path_factory.mktemp("guideseq")
    (tmp / "samples.tsv").write_text("name\trole\tguide\tr1\tr2\tbarcode1\tbarcode2\n"
                                     "EMX1\ttreated\tEMX1\t\t\tTAGGCATG\tTAGATCGC\n"
                                     "control\tcontrol\t\t\t\tCTCTCTAC\tCTCTCTAT\n")
    (tmp / "guides.tsv").write_text("name\tspacer\nEMX1\tGAGTCCGAGCAGAAGAAGAA\n")
    u = D / "data_undemultiplexed_undemux"
    rc = main(["nomination", "call", "--genome", str(D / "test_genome.fa"), "--guides", str(tmp / "guides.tsv"),
               "--samples", str(tmp / "samples.tsv"), "--pool-r1", f"{u}.r1.fastq.gz", "--pool-r2",
               f"{u}.r2.fastq.gz", "--pool-i1", f"{u}.i1.fastq.gz", "--pool-i2", f"{u}.i2.fastq.gz",
               "--outdir", str(tmp / "out")])
    assert rc == 0
    return tmp / "out"


def test_demultiplex_matches_reference_pipeline():
    _need()
    import pysam

    from cgtsafe.nomination.reads import demultiplex, read_pairs

    u = D / "data_undemultiplexed_undemux"
    d = demultiplex(read_pairs(*(f"{u}.{k}.fastq.gz" for k in ("r1", "r2", "i1", "i2"))),
                    {"control": ("CTCTCTAC", "CTCTCTAT"), "EMX1": ("TAGGCATG", "TAGATCGC")}, max_mismatches=1,
                    umi=(8, 8))
    for s in ("EMX1", "control"):
        want = [r.name for r in pysam.FastxFile(str(D / f"data_demultiplexed_{s}.r1.fastq.gz"))]
        assert [p.name for p in d[s]] == want
    assert {len(d["EMX1"]), len(d["control"])} == {6000, 1615}


def _contig(bed_chrom: str) -> str:
    return bed_chrom.removeprefix("chr")


def test_nominated_sites_match_expected(run):
    exp = [r for r in _expected() if r["Off-Target Sequence"]]
    nom = _tsv(run / "nominated.tsv")
    assert sorted((n["chrom"], int(n["start"]), int(n["end"])) for n in nom) == sorted(
        (_contig(r["BED off-target Chromosome"]), int(r["BED off-target start"]), int(r["BED off-target end"]))
        for r in exp)
    win = {(w["chrom"], w["site_start"]): w for w in _tsv(run / "windows.tsv") if w["status"] == "nominated"}
    for r in exp:
        w = win[(_contig(r["BED off-target Chromosome"]), r["BED off-target start"])]
        assert w["site"].upper() == r["Off-Target Sequence"]
        assert w["site_strand"] == r["Strand"]
        want, got = int(r["bi.sum.mi"]), int(w["umi"])
        if want >= 50:
            assert 0.7 * want <= got <= 1.1 * want, (r["BED Name"], want, got)
        else:
            assert abs(got - want) <= 2, (r["BED Name"], want, got)
    # same rank order of nominated sites by molecules
    order_exp = [_contig(r["BED off-target Chromosome"]) for r in sorted(exp, key=lambda r: -int(r["bi.sum.mi"]))]
    order_got = [n["chrom"] for n in sorted(nom, key=lambda n: -int(n["umi"]))]
    assert order_got == order_exp


def test_every_expected_window_found_and_nomatch_windows_not_nominated(run):
    wins = _tsv(run / "windows.tsv")
    for r in _expected():
        chrom = _contig(r["BED Chromosome"])
        lo, hi = int(r["BED Min.Position"]) - 1, int(r["BED Max.Position"])
        hit = [w for w in wins if w["chrom"] == chrom and int(w["start"]) - 10 < hi and lo < int(w["end"]) + 10]
        assert hit, f"reference window {r['BED Name']} not found"
        if not r["Off-Target Sequence"]:
            assert all(w["status"] in ("background", "no_guide_match") for w in hit), r["BED Name"]


def test_background_window_is_in_control(run):
    """The reference background filter removes the chr1 window at 1486 (present in the control)."""
    wins = _tsv(run / "windows.tsv")
    hit = [w for w in wins if w["chrom"] == "1:236259170-236261754" and int(w["start"]) < 1486 <= int(w["end"])]
    assert hit and all(w["background"] == "yes" and int(w["control_umi"]) > 0 for w in hit)
