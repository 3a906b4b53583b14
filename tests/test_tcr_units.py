"""Motif parser, X-scan reader, BLOSUM62 values, HLA prediction parsing and allele names."""

from __future__ import annotations

import numpy as np
import pytest

from cgtsafe.errors import InputError
from cgtsafe.tcr.hla import read_predictions
from cgtsafe.tcr.motif import check_peptide_fits, parse_motif
from cgtsafe.tcr.peptide import normalize_allele, validate_peptide
from cgtsafe.tcr.similarity import blosum62, blosum_score, weights
from cgtsafe.tcr.xscan import read_xscan
from cgtsafe.validation.reference import BLOSUM62_PUBLISHED

AA = "ACDEFGHIKLMNPQRSTVWY"


@pytest.mark.parametrize("pattern,length,constrained,yes,no", [
    ("x-x-D-P-I-x-x-x-Y", 9, [3, 4, 5, 9], ["ESDPIVAQY", "EVDPIGHLY"], ["ESDPLVAQY", "ESDPIVAQF"]),
    ("XXDPIXXXY", 9, [3, 4, 5, 9], ["ESDPIVAQY"], ["ESEPIVAQY"]),
    ("xx[DE]PIxxxY", 9, [3, 4, 5, 9], ["ESEPIVAQY", "ESDPIVAQY"], ["ESNPIVAQY"]),
    ("x-[ST]-D-x-{W}-x(3)-Y", 9, [2, 3, 5, 9], ["ESDAIVAQY", "ETDKLVAQY"], ["EADPIVAQY", "ESDPWVAQY"]),
    ("x(2)-D-P-I-x(3)-Y", 9, [3, 4, 5, 9], ["AADPIAAAY"], ["AADPIAAAAY"]),
    ("  x - x - d - p - i - x - x - x - y ", 9, [3, 4, 5, 9], ["ESDPIVAQY"], []),
    ("xLxxxxxxL", 9, [2, 9], ["KLLPGSAAL"], ["KVLPGSAAL"]),
])
def test_motif_parser(pattern, length, constrained, yes, no):
    m = parse_motif(pattern)
    assert m.length == length
    assert m.constrained_positions == constrained
    for k in yes:
        assert m.matches(k), k
    for k in no:
        assert not m.matches(k), k


def test_motif_canonical_roundtrip():
    m = parse_motif("xx[DE]PI{P}xxY")
    assert m.canonical() == "x-x-[DE]-P-I-{P}-x-x-Y"
    assert np.array_equal(parse_motif(m.canonical()).allowed, m.allowed)


@pytest.mark.parametrize("pattern,fragment", [
    ("x-x-D-P-I-x-x-x-J", "'J'"),
    ("x-x-D-P-I-x-x-x-1", "unknown token '1'"),
    ("xx?PIxxxY", "unknown token '?'"),
    ("x-x-[DB]-P-I-x-x-x-Y", "'B'"),
    ("x--D", "empty position"),
    ("", "empty"),
])
def test_motif_bad_tokens(pattern, fragment):
    with pytest.raises(InputError) as exc:
        parse_motif(pattern)
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_motif_length_must_fit_peptide():
    with pytest.raises(InputError, match="9 positions but peptide 'EVDPIGHL' has 8"):
        check_peptide_fits(parse_motif("x-x-D-P-I-x-x-x-Y"), "EVDPIGHL")
    with pytest.raises(InputError, match="does not satisfy its own"):
        check_peptide_fits(parse_motif("x-x-D-P-I-x-x-x-W"), "EVDPIGHLY", strict=True)


@pytest.mark.parametrize("seq,fragment", [("EVDPIGHLZ", "'Z'"), ("EVDP1GHLY", "'1'"), ("EVDPIGH", "length 7"),
                                          ("EVDPIGHLYAAA", "length 12"), ("", "(empty)")])
def test_bad_peptides(seq, fragment):
    with pytest.raises(InputError) as exc:
        validate_peptide(seq)
    assert fragment in str(exc.value)


# BLOSUM62 values as printed in Henikoff & Henikoff 1992 (PNAS 89:10915), Fig. 2 lower triangle (the table the
# method-validation record checks, cgtsafe.validation.reference.BLOSUM62_PUBLISHED)
@pytest.mark.parametrize("a,b,value", BLOSUM62_PUBLISHED)
def test_blosum62_published_values(a, b, value):
    m = blosum62()
    assert m[AA.index(a), AA.index(b)] == value
    assert m[AA.index(b), AA.index(a)] == value


def test_blosum_contact_weighting():
    w = weights(9, [4, 5], 2.0)
    # EVDPIGHLY vs EVDAIGHLY: only P4A differs; B62(P,A) = -1, weighted x2
    self_s = blosum_score("EVDPIGHLY", "EVDPIGHLY", w)
    assert blosum_score("EVDPIGHLY", "EVDAIGHLY", w) == self_s - 2 * 7 + 2 * (-1)
    with pytest.raises(InputError):
        weights(9, [10], 2.0)


def _write_xscan(path, rows, cols=AA):
    lines = ["position\t" + "\t".join(cols)]
    for p, vals in rows:
        lines.append(f"{p}\t" + "\t".join(vals))
    path.write_text("\n".join(lines) + "\n")


def test_xscan_reader_and_transposed(tmp_path, test_data):
    x = read_xscan(test_data / "tcr" / "xscan.tsv", length=9)
    assert x.score("EVDPIGHLY") == 1.0
    assert x.score("ESDPIVAQY") == pytest.approx(0.8 * 0.8 * 0.7 * 0.8)
    assert x.implied_motif_positions() == [3, 4, 5, 9]
    # transposed layout gives the same matrix
    t = tmp_path / "t.tsv"
    lines = ["residue\t" + "\t".join(str(p) for p in range(1, 10))]
    for j, aa in enumerate(AA):
        lines.append(aa + "\t" + "\t".join(f"{x.matrix[p, j]:g}" for p in range(9)))
    t.write_text("\n".join(lines) + "\n")
    assert np.array_equal(read_xscan(t, length=9).matrix, x.matrix)
    mean = read_xscan(test_data / "tcr" / "xscan.tsv", scoring="mean")
    assert mean.score("EVDPIGHLY") == 1.0


@pytest.mark.parametrize("case,fragment", [
    ("missing_position", "missing positions 9"),
    ("gap", "missing 3"),
    ("missing_residue", "lacks residue column(s) W"),
    ("bad_value", "expected a relative activity"),
    ("negative", "expected a relative activity"),
    ("duplicate", "position 2 occurs twice"),
])
def test_xscan_bad(tmp_path, case, fragment):
    full = [(p, ["0.5"] * 20) for p in range(1, 10)]
    cols = AA
    if case == "missing_position":
        full = full[:8]
    elif case == "gap":
        full = [r for r in full if r[0] != 3]
    elif case == "missing_residue":
        cols = AA.replace("W", "")
        full = [(p, v[:19]) for p, v in full]
    elif case == "bad_value":
        full[4] = (5, ["0.5"] * 19 + ["high"])
    elif case == "negative":
        full[4] = (5, ["0.5"] * 19 + ["-0.1"])
    elif case == "duplicate":
        full[2] = (2, full[2][1])
    p = tmp_path / "x.tsv"
    _write_xscan(p, full, cols)
    with pytest.raises(InputError) as exc:
        read_xscan(p, length=9)
    assert fragment in str(exc.value) and str(p) in str(exc.value)


NETMHCPAN = """# NetMHCpan version 4.1b
HLA-A01:01 : Distance to training data  0.000 (using nearest neighbor HLA-A01:01)
---------------------------------------------------------------------------------------------------------------------------
 Pos         MHC        Peptide      Core Of Gp Gl Ip Il        Icore        Identity  Score_EL %Rank_EL BindLevel
---------------------------------------------------------------------------------------------------------------------------
   1 HLA-A*01:01      EVDPIGHLY EVDPIGHLY  0  0  0  0  0    EVDPIGHLY         PEPLIST 0.9100000    0.020 <= SB
   1 HLA-A*01:01      ESDPIVAQY ESDPIVAQY  0  0  0  0  0    ESDPIVAQY         PEPLIST 0.5000000    0.900 <= WB
   1 HLA-A*01:01      KLLPGSAAL KLLPGSAAL  0  0  0  0  0    KLLPGSAAL         PEPLIST 0.0010000   35.000
---------------------------------------------------------------------------------------------------------------------------
"""


def test_netmhcpan_output(tmp_path):
    p = tmp_path / "net.out"
    p.write_text(NETMHCPAN)
    pred = read_predictions(p)
    assert pred.lookup("EVDPIGHLY", "HLA-A*01:01") == ("%rank=0.02", "strong")
    assert pred.lookup("ESDPIVAQY", "HLA-A*01:01") == ("%rank=0.9", "weak")
    assert pred.lookup("KLLPGSAAL", "HLA-A*01:01")[1] == "non_binder"
    assert pred.lookup("KLLPGSAAL", "HLA-A*02:01") == ("not_predicted", "not_predicted")


@pytest.mark.parametrize("text,expected", [
    ("peptide\tallele\taffinity_nM\nEVDPIGHLY\tHLA-A*01:01\t35\n", ("IC50=35nM", "strong")),
    ("peptide\tallele\taffinity_nM\nEVDPIGHLY\tHLA-A*01:01\t499\n", ("IC50=499nM", "weak")),
    ("peptide\tallele\taffinity_nM\nEVDPIGHLY\tHLA-A*01:01\t5000\n", ("IC50=5000nM", "non_binder")),
    ("peptide\tallele\tscore\nEVDPIGHLY\tA0101\t0.7\n", ("score=0.7", "score_only")),
])
def test_prediction_tables(tmp_path, text, expected):
    p = tmp_path / "p.tsv"
    p.write_text(text)
    assert read_predictions(p).lookup("EVDPIGHLY", "HLA-A*01:01") == expected


def test_predictions_absent_is_unavailable():
    assert read_predictions(None).lookup("EVDPIGHLY", "HLA-A*01:01") == ("unavailable", "unavailable")


@pytest.mark.parametrize("name,expected", [("HLA-A*01:01", "HLA-A*01:01"), ("A*01:01", "HLA-A*01:01"),
                                           ("HLA-A01:01", "HLA-A*01:01"), ("A0101", "HLA-A*01:01"),
                                           ("hla-b*08:01", "HLA-B*08:01"), ("C*07:02", "HLA-C*07:02")])
def test_allele_names(name, expected):
    assert normalize_allele(name) == expected


def test_bad_allele():
    with pytest.raises(InputError, match="not an HLA allele"):
        normalize_allele("A1")
