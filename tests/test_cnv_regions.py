"""Recurrent iPSC regions flagged by name (gene-anchored 20q11.21, chromosome 12/17/X gains)."""

import pytest

from cgtsafe.cnv.regions import covered, flag, gene_spans
from cgtsafe.io.annotation import Transcript

ANCH = gene_spans([Transcript("t1", "BCL2L1", "chr20", "-", 31_664_452, 31_723_989, 0, 0),
                   Transcript("t2", "ID1", "chr20", "+", 31_605_283, 31_606_515, 0, 0),
                   Transcript("t3", "TP53", "chr17", "-", 7_661_779, 7_687_538, 0, 0)])


def test_20q11_21_gain_flagged_through_the_annotation():
    assert flag("chr20", 31_000_000, 32_000_000, "gain", ANCH) == "20q11.21 (BCL2L1 amplicon)"
    assert flag("chr20", 40_000_000, 50_000_000, "gain", ANCH) == ""
    assert flag("chr20", 31_000_000, 32_000_000, "loss", ANCH) == ""


def test_whole_chromosome_gains_both_namings():
    assert flag("12", 0, 5_000_000, "gain", ANCH).startswith("12p gain or trisomy 12")
    assert flag("chrX", 0, 5, "gain", ANCH) == "chromosome X gain"
    assert flag("chr1", 0, 5, "gain", ANCH) == ""


def test_coverage_statement():
    assert covered(["chr1", "chr2"], {}) == []
    assert covered(["chr12", "chrX", "chr20"], ANCH) == ["20q11.21", "12", "X"]


def test_on_target_cuts_from_a_sites_table(tmp_path):
    from cgtsafe.cnv.run import on_target_cuts
    from cgtsafe.errors import InputError

    head = "guide\tchrom\tmismatches\tdna_bulge\trna_bulge\tcut_start\n"
    p = tmp_path / "sites.tsv"
    p.write_text(head + "g1\tchr1\t0\t0\t0\t100\ng1\tchr2\t2\t0\t0\t50\ng1\tchr3\t0\t1\t0\t70\ng1\tchr1\t0\t0\t0\t100\n")
    assert on_target_cuts(p) == [("g1", "chr1", 100)]
    p.write_text(head + "g1\tchr1\t0\t0\t0\t100\ng1\tchr2\tx\t0\t0\t50\n")
    with pytest.raises(InputError, match="expected integer") as e:
        on_target_cuts(p)
    assert ":3" in str(e.value) or "line 3" in str(e.value)
    p.write_text("guide\tchrom\n")
    with pytest.raises(InputError, match="lacks column"):
        on_target_cuts(p)
