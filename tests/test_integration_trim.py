"""Trimming primitives of the integration read processing, on hand-built reads with known answers."""

from __future__ import annotations

import random

import pytest

from cgtsafe.integration.layout import Linker, layout_from_mapping
from cgtsafe.integration.trim import (find_linker, find_primer_ltr, find_readthrough, hamming_search,
                                      quality_trim_length)

PRIMER, LTR = "AGTGCCCCTTAGAGATCGGA", "GTCCAGAGTCCTCA"
LINKER = "TAGAGGTAGGGCACAGATGG" + "N" * 12 + "GTTCCTGGTGAGAACG"
HOST = "GATTACAGGCATTCGATCGGATTTACGGCATGCATCGGAATTCCGATCGGATATCGCGATCGATTAGC"


def _layout(**kw):
    return layout_from_mapping({"primer": PRIMER, "ltr_bit": LTR, "linker": LINKER, "preset": "tolerant", **kw})


def _sub(s: str, i: int) -> str:
    return s[:i] + ("A" if s[i] != "A" else "C") + s[i + 1:]


def _reference_trim(qual: str, thr: int, window: int, bad: int) -> int:
    """Step-by-step re-statement of ShortRead's C loop ``trim_tailw`` (src/trim.c): a running count starts as
    (halfwidth + 1) x the first base's badness + the badness of bases 1..halfwidth; at each base j it adds base
    min(j + halfwidth, last) and removes base max(0, j - halfwidth); the read keeps j bases at the first j where
    the count reaches ``bad``."""
    wd = window // 2
    m = [int(ord(c) - 33 <= thr) for c in qual]
    n_bad = (wd + 1) * m[0] + sum(m[min(len(m) - 1, j)] for j in range(1, wd + 1))
    for j in range(len(m)):
        n_bad += m[min(len(m) - 1, j + wd)] - m[max(0, j - wd)]
        if n_bad >= bad:
            return j
    return len(m)


@pytest.mark.parametrize("seed", range(25))
def test_quality_trim_matches_sliding_window_definition(seed):
    rng = random.Random(seed)
    n = rng.randint(20, 160)
    # runs of good/bad qualities
    qual = "".join(rng.choice("#+5?FGH" if rng.random() < 0.3 else "FGH") for _ in range(n))
    assert quality_trim_length(qual, 30, 11, 5) == _reference_trim(qual, 30, 11, 5)


@pytest.mark.parametrize("qual,expected", [
    ("F" * 100, 100),                      # all Q37
    ("F" * 60 + "#" * 40, 59),             # bad from 60: the window centred at 59 holds 60..64
    ("#" * 100, 0),
    ("F" * 50 + "#" * 4 + "F" * 46, 100),  # 4 bad bases never reach 5 in one window
    ("FFFFF#" + "F" * 40 + "####" + "F" * 50, 44),  # base 5 (0-based) counts in every window (ShortRead's loop)
    ("FFFFFF" + "F" * 40 + "####" + "F" * 50, 100),  # the same 4 bad bases without it: kept whole
])
def test_quality_trim_examples(qual, expected):
    assert quality_trim_length(qual, 30, 11, 5) == expected


@pytest.mark.parametrize("read,expected", [
    (PRIMER + LTR + HOST, (20, 34)),
    ("GG" + PRIMER + LTR + HOST, (22, 36)),                          # primer offset 2
    (_sub(PRIMER, 7) + LTR + HOST, (20, 34)),                        # 1 mismatch in primer
    (_sub(_sub(PRIMER, 7), 12) + LTR + HOST, (-1, -1)),              # 2 mismatches: not primed
    (PRIMER + _sub(LTR, 3) + HOST, (20, 34)),                        # 1 mismatch in the LTR end
    (PRIMER + HOST, (20, -1)),                                       # mispriming: primed, no LTR
    ("T" * 7 + PRIMER + LTR + HOST, (-1, -1)),                       # primer beyond the offset limit
])
def test_primer_and_ltr(read, expected):
    assert find_primer_ltr(read, _layout()) == expected


def test_primer_exact_mode_rejects_mismatch():
    lay = _layout(primer_max_mismatches=0, ltr_max_mismatches=0)
    assert find_primer_ltr(_sub(PRIMER, 7) + LTR + HOST, lay) == (-1, -1)
    assert find_primer_ltr(PRIMER + _sub(LTR, 3) + HOST, lay) == (20, -1)


UMI = "ACGTTGCAACGT"


@pytest.mark.parametrize("read,expected", [
    ("TAGAGGTAGGGCACAGATGG" + UMI + "GTTCCTGGTGAGAACG" + HOST, (48, UMI)),
    ("TAGAGGTAGGGCACAGATGG" + UMI[:11] + "GTTCCTGGTGAGAACG" + HOST, (47, UMI[:11])),   # UMI one short
    ("TAGAGGTAGGGCACAGATGG" + UMI + "AC" + "GTTCCTGGTGAGAACG" + HOST, (50, UMI + "AC")),  # 14 nt: limit
    ("TAGAGGTAGGGCACAGATGG" + UMI + "ACG" + "GTTCCTGGTGAGAACG" + HOST, (-1, "")),   # 15 nt: rejected
    (_sub(_sub("TAGAGGTAGGGCACAGATGG", 3), 9) + UMI + "GTTCCTGGTGAGAACG" + HOST, (48, UMI)),  # 2/20 mismatches
    (_sub(_sub(_sub("TAGAGGTAGGGCACAGATGG", 3), 9), 15) + UMI + "GTTCCTGGTGAGAACG" + HOST, (-1, "")),  # 3/20
    ("TAGAGGTAGGGCACAGATGG" + UMI + _sub(_sub("GTTCCTGGTGAGAACG", 2), 9) + HOST, (-1, "")),  # 2/16 > 10 %
    (HOST, (-1, "")),
])
def test_linker_and_umi(read, expected):
    assert find_linker(read, Linker.parse(LINKER), _layout()) == expected


def test_linker_without_umi():
    lk = Linker.parse("TAGAGGTAGGGCACAGATGG")
    assert lk.umi_length == 0
    assert find_linker("TAGAGGTAGGGCACAGATGG" + HOST, lk, _layout()) == (20, "")


def test_linker_anywhere_when_offset_unlimited():
    read = "CC" * 10 + "TAGAGGTAGGGCACAGATGG" + UMI + "GTTCCTGGTGAGAACG" + HOST
    assert find_linker(read, Linker.parse(LINKER), _layout())[0] == -1
    assert find_linker(read, Linker.parse(LINKER), _layout(linker_max_offset=None)) == (68, UMI)


MARKER = "CGTTCTCACCAGGAAC"  # reverse complement of the linker part after the UMI


@pytest.mark.parametrize("read,cut", [
    (HOST, len(HOST)),
    (HOST[:40] + MARKER + "ACGTAC", 40),          # full marker
    (HOST[:40] + _sub(MARKER, 5) + "ACGT", 40),   # one mismatch (<= 15 % of 16)
    (HOST[:50] + MARKER[:6], 50),                 # partial marker at the 3' end
    (HOST[:50] + MARKER[:2], 52),                 # 2 nt are below the minimal overlap (3)
])
def test_readthrough(read, cut):
    assert find_readthrough(read, MARKER, 0.15, 3) == cut


@pytest.mark.parametrize("seed", range(30))
def test_hamming_search_agrees_with_brute_force(seed):
    rng = random.Random(seed)
    pat = "".join(rng.choice("ACGT") for _ in range(rng.randint(8, 24)))
    seq = list("".join(rng.choice("ACGT") for _ in range(150)))
    pos = rng.randint(0, 150 - len(pat))
    seq[pos:pos + len(pat)] = pat
    for _ in range(rng.randint(0, 3)):
        i = pos + rng.randrange(len(pat))
        seq[i] = rng.choice("ACGT")
    seq = "".join(seq)
    k = rng.randint(0, 3)
    brute = None
    for p in range(0, len(seq) - len(pat) + 1):
        mm = sum(a != b for a, b in zip(seq[p:p + len(pat)], pat))
        if mm <= k and (brute is None or mm < brute[1]):
            brute = (p, mm)
    got = hamming_search(seq, pat, 0, None, k)
    assert (got is None) == (brute is None)
    if got is not None:
        assert got[1] == brute[1]
        assert sum(a != b for a, b in zip(seq[got[0]:got[0] + len(pat)], pat)) == got[1]


def test_readthrough_and_vector_screen_equal_their_definitions():
    """The compiled prefix scan gives exactly the plain definition."""
    import random

    from cgtsafe.integration.trim import _mismatches, find_readthrough, hamming_search

    def plain(seq, marker, rate):
        full = hamming_search(seq, marker, 0, None, int(len(marker) * rate + 1e-9)) if marker else None
        cut = full[0] if full else len(seq)
        for ov in range(min(len(marker) - 1, len(seq)), 2, -1):
            if len(seq) - ov >= cut:
                break
            if _mismatches(seq, marker[:ov], len(seq) - ov, int(ov * rate + 1e-9)) <= int(ov * rate + 1e-9):
                return len(seq) - ov
        return cut

    rng = random.Random(7)
    for _ in range(20000):
        marker = "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 30)))
        seq = "".join(rng.choice("ACGTN") for _ in range(rng.randint(0, 60)))
        if rng.random() < 0.5:
            pre = list(marker[:rng.randint(1, len(marker))])
            for _ in range(rng.randint(0, 2)):
                pre[rng.randrange(len(pre))] = rng.choice("ACGT")
            seq += "".join(pre)
        rate = rng.random() * 0.3
        assert find_readthrough(seq, marker, rate) == plain(seq, marker, rate), (seq, marker, rate)

