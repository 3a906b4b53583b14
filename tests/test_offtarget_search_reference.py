"""The off-target search against real references on GRCh37 chrX 1..69,999,930.

* Cas-OFFinder 2.4.1 site sets (NRG <= 4 mm, NGG <= 5 mm), compared as sets of
  (guide, chrom, start, strand, mismatches): ../shared/data/offtarget/casoffinder/
* every published GUIDE-seq / CIRCLE-seq site on that stretch within <= 6 mismatches and <= 2 bulges
  (../shared/data/offtarget/validated/) is found at its published position and strand.
* the planted sites of the synthetic test genome (test-data/offtarget/planted_sites.tsv).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.search import Guide, read_guides, search_genome
from cgtsafe.validation import reference as vref  # the same searches as the method-validation record

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CASOFF = SHARED / "offtarget" / "casoffinder"
VALIDATED = SHARED / "offtarget" / "validated"
CHRX = SHARED / "genome" / "hs37chrXtrunc.fa.gz"
TESTDATA = REPO / "test-data"


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"../shared/data/... absent: {path}")


@functools.lru_cache(maxsize=1)
def chrx() -> dict[str, bytes]:
    from cgtsafe.io.fasta import read_fasta_whole

    (name, seq), = read_fasta_whole(CHRX)
    return {"chrX": seq}  # header is ">X ..."; renamed as the reference files use chrX


@functools.lru_cache(maxsize=1)
def casoff_guides() -> list[Guide]:
    df = pd.read_csv(CASOFF / "guides.tsv", sep="\t")
    return [Guide(n, s) for n, s in zip(df["name"], df["spacer_20nt"])]


@pytest.mark.parametrize(
    "fname,pam,max_mm",
    [("v2_NRG_4mm.casoffinder2.4.1.txt", "NRG", 4), ("v2_NGG_5mm.casoffinder2.4.1.txt", "NGG", 5)],
)
def test_equals_casoffinder(fname, pam, max_mm):
    _need(CASOFF / fname)
    _need(CHRX)
    ref = pd.read_csv(CASOFF / fname, sep="\t", header=None,
                      names=["query", "chrom", "start", "site", "strand", "mm", "guide"])
    expected = set(zip(ref.guide, ref.chrom, ref.start, ref.strand, ref.mm))
    df = search_genome(chrx(), casoff_guides(), get_nuclease("SpCas9"), max_mismatches=max_mm, pam=pam)
    got = set(zip(df.guide, df.chrom, df.start, df.strand, df.mismatches))
    assert len(expected) == len(ref) > 40
    assert got == expected
    # the site strings are the genome (Cas-OFFinder shows mismatches in lower case; the chrX file has no
    # soft-masking, so upper-casing its string gives the genomic sequence)
    ref_sites = dict(zip(zip(ref.guide, ref.start, ref.strand), ref.site.str.upper()))
    for g, s, t, site in zip(df.guide, df.start, df.strand, df.site):
        assert ref_sites[(g, s, t)] == site


@pytest.mark.slow
def test_validated_sites_found():
    """Each published chrX site within <= 6 mm, <= 2 bulges is found at its position and strand, with its
    sequence and the edit count of its own fewest-edit alignment (the same search as the method-validation
    record: cgtsafe.validation.reference.validated_site_outcomes)."""
    if not VALIDATED.exists():
        pytest.skip(f"../shared/data/... absent: {VALIDATED}")
    _need(CHRX)
    outcomes = vref.validated_site_outcomes(SHARED, vref._ChrX(CHRX))
    for o in outcomes:
        fname, gname, _gseq, site, start, _end, strand = o["row"]
        assert o["hits"] == 1, (fname, gname, site, start, strand)
        assert o["site"] == site.replace("-", "").upper(), (fname, gname, site)
        assert o["hit_edits"] == o["edits"], (fname, gname, site)
    assert len(outcomes) >= 100 and sum(o["bulged"] for o in outcomes) >= 1


def test_validated_bulged_site():
    """The CIRCLE-seq VEGFA_site_2 site with a DNA bulge (24-nt site) is found with 1 DNA bulge."""
    _need(CHRX)
    df = search_genome(chrx(), [Guide("VEGFA_site2", "GACCCCCTCCACCCCGCCTC")], get_nuclease("SpCas9"),
                       max_mismatches=4, max_dna_bulge=1, pam="NGG", contigs=["chrX"])
    hit = df[(df.start == 48352262) & (df.strand == "-")]
    assert len(hit) == 1
    row = hit.iloc[0]
    assert (row.end, row.site, row.dna_bulge, row.rna_bulge) == (48352286, "AAACCCCTCCACCCCAGTCTCTGG", 1, 0)
    assert row.mismatches <= 4 and "-" in row.guide_aln


# ---------------------------------------------------------------------------------------------------
# synthetic test genome: planted sites
# ---------------------------------------------------------------------------------------------------
PLANTED = TESTDATA / "offtarget" / "planted_sites.tsv"


@functools.lru_cache(maxsize=1)
def _demo_search() -> pd.DataFrame:
    nuc = get_nuclease("SpCas9")
    guides = read_guides(TESTDATA / "offtarget" / "guides.tsv", nuc)
    return search_genome(TESTDATA / "genome" / "ref.fa", guides, nuc, max_mismatches=6, max_dna_bulge=2,
                         max_rna_bulge=2)


def _planted_rows():
    if not PLANTED.exists():
        return []
    df = pd.read_csv(PLANTED, sep="\t", dtype=str, keep_default_na=False)
    return [r for _, r in df.iterrows() if not r["category"].startswith("variant_")]


@pytest.mark.slow
@pytest.mark.parametrize("row", _planted_rows(), ids=lambda r: f"{r['site_id']}:{r['category']}")
def test_planted_site_found(row):
    df = _demo_search()
    hit = df[(df.guide == row["guide"]) & (df.chrom == row["chrom"]) & (df.start == int(row["start"]))
             & (df.end == int(row["end"])) & (df.strand == row["strand"])]
    assert len(hit) == 1, row["site_id"]
    h = hit.iloc[0]
    assert h.site == row["site"]
    assert (h.mismatches, h.dna_bulge, h.rna_bulge) == (int(row["mismatches"]), int(row["dna_bulge"]),
                                                         int(row["rna_bulge"]))
    assert (h.cut_start, h.cut_end) == (int(row["cut_start"]), int(row["cut_end"]))
    assert h.pam == row["pam"]
    assert h.pam_class == ("alternative" if row["category"] == "nag_pam" else "canonical")
