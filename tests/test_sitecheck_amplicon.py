"""Amplicon path: aligner recovers constructed indels, pair merging, sheet/FASTQ errors."""

from __future__ import annotations

import gzip
import random

import pytest

from cgtsafe.errors import InputError
from cgtsafe.sitecheck.amplicon import (align_read, iter_fastq, merge_pair, quantify_amplicon, read_amplicon_sheet,
                                        read_items)

rnd = random.Random(5)
AMP = "".join(rnd.choice("ACGT") for _ in range(240))
CUT = 120
COMP = str.maketrans("ACGT", "TGCA")


def rc(s):
    return s.translate(COMP)[::-1]


@pytest.mark.parametrize("kind,pos,size", [("del", 118, 4), ("del", 100, 30), ("ins", 120, 1), ("ins", 119, 5),
                                           ("del", 60, 2), ("none", 0, 0)])
def test_aligner_recovers_constructed_indel(kind, pos, size):
    if kind == "del":
        read = AMP[:pos] + AMP[pos + size:]
    elif kind == "ins":
        read = AMP[:pos] + "T" * size + AMP[pos:]
    else:
        read = AMP
    read = "GATC" + read + "TTGA"  # primer/adapter overhangs are not indels
    _, ev = align_read(AMP.encode(), read.encode())
    assert ev["cov_start"] == 0 and ev["cov_end"] == len(AMP)
    if kind == "del":
        assert len(ev["deletions"]) == 1 and ev["deletions"][0][1] - ev["deletions"][0][0] == size
        assert not ev["insertions"]
    elif kind == "ins":
        assert [len(x) for _, x in ev["insertions"]] == [size] and not ev["deletions"]
    else:
        assert not ev["deletions"] and not ev["insertions"] and not ev["mismatch_pairs"]


def test_quantify_amplicon_truth_mixture():
    reads = []
    truth = {"indel": 0, "substitution_only": 0, "unmodified": 0}
    r = random.Random(9)
    for i in range(300):
        u = r.random()
        if u < 0.3:
            d = r.randint(1, 15)
            st = CUT - r.randint(0, d)
            seq = AMP[:st] + AMP[st + d:]
            truth["indel"] += 1
        elif u < 0.35:
            seq = AMP[:CUT] + ("A" if AMP[CUT] != "A" else "C") + AMP[CUT + 1:]
            truth["substitution_only"] += 1
        elif u < 0.45:
            seq = AMP[:40] + AMP[43:]   # deletion far from the cut: unmodified in the window
            truth["unmodified"] += 1
        else:
            seq = AMP
            truth["unmodified"] += 1
        reads.append((seq.encode(), b"I" * len(seq)))
    reads.append((b"ACGT" * 60, b"I" * 240))  # unrelated read
    res = quantify_amplicon(AMP, CUT, reads, flank=5)
    assert {k: res[k] for k in truth} == truth
    assert res["excluded_not_aligned"] == 1


def test_merge_pair_reconstructs_fragment():
    frag = AMP[10:230]
    r1 = frag[:150]
    r2 = rc(frag[-150:])
    q = b"I" * 150
    seq, qual = merge_pair(r1.encode(), q, r2.encode(), q)
    assert seq.decode() == frag and len(qual) == len(frag)
    assert merge_pair(b"A" * 50, b"I" * 50, b"C" * 50, b"I" * 50) is None


def test_paired_fastq_merged_through_read_items(tmp_path):
    frag = AMP[5:235]
    f1, f2 = tmp_path / "r1.fq.gz", tmp_path / "r2.fq.gz"
    with gzip.open(f1, "wt") as a, gzip.open(f2, "wt") as b:
        for i in range(3):
            a.write(f"@p{i}/1\n{frag[:150]}\n+\n{'I' * 150}\n")
            b.write(f"@p{i}/2\n{rc(frag[-150:])}\n+\n{'I' * 150}\n")
    items = list(read_items(f1, f2))
    assert [s.decode() for s, _ in items] == [frag] * 3


def test_fastq_errors(tmp_path):
    bad = tmp_path / "bad.fq"
    bad.write_text("@r1\nACGT\n+\nIII\n")
    with pytest.raises(InputError, match="lengths differ"):
        list(iter_fastq(bad))
    bad.write_text("r1\nACGT\n+\nIIII\n")
    with pytest.raises(InputError, match="malformed FASTQ record"):
        list(iter_fastq(bad))


@pytest.mark.parametrize("rows,match", [
    ("E\tedited\tA1\t{fq}\t\tC\n", "control 'C' of E has no row for amplicon A1"),
    ("E\tedited\tA1\tnope.fq\t\tC\nC\tcontrol\tA1\t{fq}\t\t\n", "fastq file 'nope.fq' does not exist"),
    ("E\tedited\tA1\t{fq}\t\tC\nE\tedited\tA1\t{fq}\t\tC\nC\tcontrol\tA1\t{fq}\t\t\n", "duplicate sample/amplicon"),
])
def test_amplicon_sheet_errors(tmp_path, rows, match):
    fq = tmp_path / "x.fq"
    fq.write_text("")
    sheet = tmp_path / "s.tsv"
    sheet.write_text("sample\trole\tamplicon\tfastq\tfastq2\tcontrol\n" + rows.format(fq=fq))
    with pytest.raises(InputError, match=match):
        read_amplicon_sheet(sheet)
