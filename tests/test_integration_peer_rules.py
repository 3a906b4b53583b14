"""intSiteCaller's read-through and vector rules (layout preset ``intsitecaller``) on hand-built reads whose
answer follows from the published scoring (Biostrings quality scores at Phred 22: match +1.98, mismatch -5.90;
a hit needs round(score) >= 2 x round(0.55 x marker length)) and the findVectorReads rule."""

from __future__ import annotations

import random

import pytest

from cgtsafe.integration.layout import layout_from_mapping
from cgtsafe.integration.peer_rules import MATCH, MISMATCH, VectorAlignScreen, overlap_cut, readthrough_cut

LTR_FRAG = "TGCTAGAGATTTTCCACACTGACTAAAAGGGTCT"  # 34 nt: threshold 2 x 19 = 38
LINKER_COMMON = "AGTCCCTTAAGCGGAG"                # 16 nt: threshold 2 x 9 = 18
HOST = "GATTACAGGCATTCGATCGGATTTACGGCATGCATCGGAATTCCGATCGGATATCGCGATCGATTAGCCTAGGA"


def _sub(s: str, i: int) -> str:
    return s[:i] + ("A" if s[i] != "A" else "C") + s[i + 1:]


def test_scores_are_biostrings_phred22():
    assert MATCH == pytest.approx(1.9818, abs=1e-3) and MISMATCH == pytest.approx(-5.8993, abs=1e-3)


@pytest.mark.parametrize("marker,k,cut", [
    (LINKER_COMMON, 9, True),    # 9 x 1.98 = 17.8 -> 18 >= 18
    (LINKER_COMMON, 8, False),   # 15.9 -> 16 < 18
    (LTR_FRAG, 19, True),        # 37.7 -> 38 >= 38
    (LTR_FRAG, 18, False),
])
def test_partial_marker_at_read_end(marker, k, cut):
    read = HOST + marker[:k]
    assert overlap_cut(read, marker) == (len(HOST) if cut else len(read))


@pytest.mark.parametrize("n_sub,cut", [(3, True), (4, True), (5, False)])
def test_full_marker_with_substitutions(n_sub, cut):
    marker = LTR_FRAG
    for i in (3, 11, 19, 27, 31)[:n_sub]:
        marker = _sub(marker, i)
    read = HOST[:40] + marker + HOST[40:]
    # a substitution costs less as a gap in each sequence (2 + 2 = 4 < 5.90): 4 subs: 30 x 1.98 - 4 x 4 = 43.5
    # >= 38; 5 subs: 29 x 1.98 - 5 x 4 = 37.5 -> 37 < 38
    assert overlap_cut(read, LTR_FRAG) == (40 if cut else len(read))


def test_read_starting_with_marker_tail_is_cut_to_nothing():
    """A fragment sheared inside the LTR: R1's host part starts with the end of largeLTRFrag."""
    assert overlap_cut(LTR_FRAG[-20:] + HOST, LTR_FRAG) == 0
    assert overlap_cut(LTR_FRAG[-18:] + HOST, LTR_FRAG) == len(LTR_FRAG[-18:] + HOST)


def test_layout_rule_switch():
    base = {"primer": "GAAAATC", "ltr_bit": "TCTAGCA", "linker": "CGCAGACATCCNNNNNNNNCTCCGCTTAAGGGACT"}
    read = HOST + LTR_FRAG[:5]
    assert readthrough_cut(read, LTR_FRAG, layout_from_mapping(base)) == len(read)            # overlap: 5 nt too short
    assert readthrough_cut(read, LTR_FRAG, layout_from_mapping({**base, "preset": "tolerant"})) == len(HOST)
    with pytest.raises(Exception, match="readthrough_rule"):
        layout_from_mapping({**base, "readthrough_rule": "blat"})


@pytest.fixture(scope="module")
def vector(tmp_path_factory):
    rng = random.Random(7)
    seq = "".join(rng.choice("ACGT") for _ in range(3000))
    seq = seq[:500] + "GAAAATCTCTAGCA" + seq[514:]
    p = tmp_path_factory.mktemp("vec") / "vector.fa"
    p.write_text(">vec\n" + seq + "\n")
    return p, seq


def _host(n, seed):
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(n))


def test_vector_pair_needs_both_reads(vector):
    path, seq = vector
    screen = VectorAlignScreen(path, "GAAAATCTCTAGCA")
    from cgtsafe.io.fasta import revcomp

    r2_vec, r1_vec = seq[1000:1090], revcomp(seq[1300:1380])
    assert screen.drop(r2_vec, r1_vec)                           # both vector: dropped
    assert not screen.drop(r2_vec, _host(80, 1))                 # R1 host: kept (intSiteCaller's AND rule)
    assert not screen.drop(_host(90, 2), r1_vec)
    assert not screen.drop("ACGTACGTAC" + seq[1000:1080], r1_vec)  # R2 hit starts at base 10 > 5
    assert not screen.drop(seq[100:190], r1_vec)                 # R2 hit upstream of the first primer + LTR
    mixed = seq[1000:1060] + _host(30, 3)                        # 60 of 90 bases = 67 % < 75 %
    assert not screen.drop(mixed, r1_vec)
