"""CFD (Doench 2016) and MIT (Hsu 2013) scores against published test vectors.

CFD vectors: the doctest of CRISPOR's calcCfdScore (listed in ../shared/data/offtarget/scores/README.md)
and the getCFDScores example of Bioconductor crisprScore (README, crisprVerse/crisprScore).
MIT: single-hit scores computed by hand from the published formula and weights (crispr.mit.edu):
each expected value below is written out from the weights, not produced by the code.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.scoring import cfd_score, guide_specificity, mit_score
from cgtsafe.offtarget.search import Guide, search_genome

CFD_VECTORS = [
    # CRISPOR crispor.py calcCfdScore doctest
    ("GGGGGGGGGGGGGGGGGGGGGGG", "GGGGGGGGGGGGGGGGGAAAGGG", 0.4635989007074176),
    ("GGGGGGGGGGGGGGGGGGGGGGG", "GGGGGGGGGGGGGGGGGGGGGGG", 1.0),
    ("GGGGGGGGGGGGGGGGGGGGGGG", "aaaaGaGaGGGGGGGGGGGGGGG", 0.5140384614450001),
    ("ATGGTCGGACTCCCTGCCAGAGG", "ATGGTGGGACTCCCTGCCAGAGG", 0.5),
    ("ATGGTCGGACTCCCTGCCAGAGG", "ATGATCCAAATCCCTGCCAGAGG", 0.53625000020625),
    ("ATGTGGAGATTGCCACCTACCGG", "ATCTGGAGATTGCCACCTACAGG", 0.384615385),
    # crisprScore README getCFDScores example
    ("ATCGATGCTGATGCTAGATA", "ACCGATGCTGATGCTAGATAAGG", 0.85714286),
    ("ATCGATGCTGATGCTAGATA", "ATCGATGCTGATGCTAGATTAGG", 0.60000000),
    ("ATCGATGCTGATGCTAGATA", "ATCGATGCTGATGCTAGATAAGA", 0.06944444),
]


@pytest.mark.parametrize("guide,off,expected", CFD_VECTORS)
def test_cfd_vectors(guide, off, expected):
    assert cfd_score(guide, off) == pytest.approx(expected, abs=5e-9)


G = "GAGTCCGAGCAGAAGAAGAA"


def _mut(seq, positions):  # 1-based positions, A<->C / G<->T swap (always a mismatch)
    s = list(seq)
    for p in positions:
        s[p - 1] = {"A": "C", "C": "A", "G": "T", "T": "G"}[s[p - 1]]
    return "".join(s)


MIT_VECTORS = [
    ([], 100.0),
    ([20], 100 * (1 - 0.583)),
    ([1], 100 * (1 - 0.0)),
    # two mismatches 1 and 20: mean distance 19 -> middle factor 1; 1/n^2 = 1/4
    ([1, 20], 100 * (1 - 0.0) * (1 - 0.583) * 1.0 / 4),
    # 14, 16, 18: mean distance 2 -> 1/(((19-2)/19)*4+1); 1/9
    ([14, 16, 18], 100 * (1 - 0.851) * (1 - 0.828) * (1 - 0.804) / (((19 - 2) / 19) * 4 + 1) / 9),
    # 6, 12: distance 6
    ([6, 12], 100 * (1 - 0.395) * (1 - 0.508) / (((19 - 6) / 19) * 4 + 1) / 4),
]


@pytest.mark.parametrize("positions,expected", MIT_VECTORS)
def test_mit_formula(positions, expected):
    assert mit_score(G, _mut(G, positions) + "AGG") == pytest.approx(expected, rel=1e-12)


def test_scores_in_search_table_and_specificity():
    """Search-table scores equal the stand-alone functions; NAG sites get MIT x 0.2; bulged sites NaN;
    guide specificity follows the CRISPOR formulas (on-target excluded once)."""
    on = G + "TGG"
    ot1 = _mut(G, [3, 10]) + "AGG"
    ot2 = _mut(G, [5]) + "CAG"  # NAG: alternative PAM
    ot3 = G[:12] + "T" + G[12:] + "GGG"  # 1 DNA bulge
    filler = "T" * 30
    genome = {"c1": filler + on + filler + ot1 + filler + ot2 + filler + ot3 + filler}
    df = search_genome(genome, [Guide("g", G)], get_nuclease("SpCas9"), max_mismatches=2, max_dna_bulge=1)
    by_site = {s: r for s, r in zip(df.site, df.itertuples())}
    assert by_site[on].cfd == pytest.approx(1.0) and by_site[on].mit == pytest.approx(100.0)
    assert by_site[ot1].cfd == pytest.approx(cfd_score(G, ot1))
    assert by_site[ot2].pam_class == "alternative"
    assert by_site[ot2].mit == pytest.approx(0.2 * mit_score(G, ot2))
    bul = df[(df.dna_bulge == 1) & (df.site == ot3)]
    assert len(bul) == 1 and math.isnan(bul.cfd.iloc[0]) and math.isnan(bul.mit.iloc[0])
    spec = guide_specificity(df).iloc[0]
    off = df.drop(index=df.index[df.site == on][0])
    mit_sum = off.mit.fillna(0).sum()
    cfd_sum = off.cfd.fillna(0).sum()
    assert spec.mit_specificity == int(math.floor(10000 / (100 + mit_sum) + 0.5))
    assert spec.cfd_specificity == int(math.floor(10000 / (100 + cfd_sum) + 0.5))
    assert spec.n_offtargets == len(df) - 1 and spec.n_bulged >= 1


def test_specificity_counts_second_perfect_match():
    df = pd.DataFrame({
        "guide": ["g", "g"], "mismatches": [0, 0], "dna_bulge": [0, 0], "rna_bulge": [0, 0],
        "pam_class": ["canonical", "canonical"], "cfd": [1.0, 1.0], "mit": [100.0, 100.0],
    })
    spec = guide_specificity(df).iloc[0]
    assert spec.n_offtargets == 1 and spec.mit_specificity == 50 and spec.cfd_specificity == 99
