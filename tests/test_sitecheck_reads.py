"""Reads as a careful user has them: adapter read-through, amplicon in the other orientation, FASTQ
encodings and letters, pooled amplicons (truth = constructed reads; CRISPRessoPooled's published counts)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from cgtsafe.cli import main
from cgtsafe.errors import InputError
from cgtsafe.sitecheck.amplicon import assign_pooled, iter_fastq, merge_pair, quantify_amplicon, read_items

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "reads" / "crispresso2"
rnd = random.Random(17)
AMP = "".join(rnd.choice("ACGT") for _ in range(120))
CUT = 60
COMP = str.maketrans("ACGT", "TGCA")
ADAPT1 = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"  # Illumina TruSeq read 1 adapter
ADAPT2 = "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"   # read 2 adapter


def rc(s):
    return s.translate(COMP)[::-1]


def _pair_with_readthrough(frag, n=150):
    """2x150 reads of a fragment shorter than 150: each read runs into its adapter."""
    r1 = (frag + ADAPT1 + "A" * n)[:n]
    r2 = (rc(frag) + ADAPT2 + "A" * n)[:n]
    return r1, r2


def test_readthrough_pairs_are_merged_to_the_insert():
    frag = AMP[:CUT - 3] + AMP[CUT + 2:]  # 5-bp deletion at the cut
    r1, r2 = _pair_with_readthrough(frag)
    q = b"I" * 150
    seq, qual = merge_pair(r1.encode(), q, r2.encode(), q)
    assert seq.decode() == frag and len(qual) == len(frag)


def test_readthrough_reads_counted_end_to_end(tmp_path):
    f1, f2 = tmp_path / "r1.fq", tmp_path / "r2.fq"
    truth = {"indel": 0, "unmodified": 0}
    with open(f1, "w") as a, open(f2, "w") as b:
        for i in range(250):
            if i % 5 == 0:
                frag, k = AMP[:CUT - 2] + AMP[CUT + 1:], "indel"
            else:
                frag, k = AMP, "unmodified"
            truth[k] += 1
            r1, r2 = _pair_with_readthrough(frag)
            a.write(f"@p{i}/1\n{r1}\n+\n{'I' * 150}\n")
            b.write(f"@p{i}/2\n{r2}\n+\n{'I' * 150}\n")
    res = quantify_amplicon(AMP, CUT, read_items(f1, f2))
    assert res["excluded_unmerged"] == 0
    assert {k: res[k] for k in truth} == truth


def test_amplicon_in_the_other_orientation_aligns():
    # issue #11: 0 of 250 reads aligned when the amplicon was given reverse-complemented
    reads = []
    for i in range(250):
        s = AMP[:CUT - 1] + AMP[CUT + 3:] if i % 4 == 0 else AMP
        reads.append((s.encode(), b"I" * len(s)))
    amp_rc, cut_rc = rc(AMP), len(AMP) - CUT + 0
    res = quantify_amplicon(amp_rc, cut_rc, reads)
    fwd = quantify_amplicon(AMP, CUT, reads)
    assert res["reads"] == 250 and res["excluded_not_aligned"] == 0
    assert res["indel"] == fwd["indel"] == 63


@pytest.mark.parametrize("record,match,line", [
    ("@r1\nACGTX\n+\nIIIII\n", "letter 'X'", 2),
    ("@r1\nACGT\n+\nII I\n", "below '!'", 4),
    ("@r1\nACGT\n+\nhhhh\n", "Phred\\+64", 4),
])
def test_fastq_encoding_errors_name_file_and_line(tmp_path, record, match, line):
    f = tmp_path / "x.fq"
    f.write_text("@r0\nACGT\n+\nIIII\n" + record)
    with pytest.raises(InputError, match=match) as ei:
        list(iter_fastq(f))
    assert f"x.fq, line {line + 4}" in str(ei.value)


def test_fastq_error_via_cli_is_one_line(tmp_path, capsys):
    amp = AMP
    (tmp_path / "sites.tsv").write_text("site_id\tchrom\tstart\tend\tstrand\tcut_start\tcut_end\n"
                                        f"S1\tc\t{CUT - 17}\t{CUT + 6}\t+\t{CUT}\t{CUT}\n")
    (tmp_path / "amplicons.tsv").write_text("amplicon\tsite_id\tchrom\tstart\tend\tsequence\tguide\tcut_offset\n"
                                            f"A1\tS1\tc\t0\t{len(amp)}\t{amp}\tg\t{CUT}\n")
    (tmp_path / "x.fq").write_text("@r0\nACGU\n+\nIIII\n")
    (tmp_path / "sheet.tsv").write_text("sample\trole\tamplicon\tfastq\tcontrol\n"
                                        f"E\tedited\tA1\t{tmp_path / 'x.fq'}\tC\nC\tcontrol\tA1\t{tmp_path / 'x.fq'}\t\n")
    rc_ = main(["sitecheck", "quantify-amplicon", "--sheet", str(tmp_path / "sheet.tsv"), "--sample", "E",
                "--amplicons", str(tmp_path / "amplicons.tsv"), "--sites", str(tmp_path / "sites.tsv"),
                "--out", str(tmp_path / "out.tsv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc_ == 2 and len(err) == 1 and "line 2" in err[0] and "letter 'U'" in err[0]
    assert not (tmp_path / "out.tsv").exists()


def test_pooled_reads_count_for_one_amplicon_only():
    other = "".join(random.Random(3).choice("ACGT") for _ in range(120))
    items = [(AMP.encode(), b"I" * 120)] * 30 + [(rc(other).encode(), b"I" * 120)] * 20 + [(b"ACGT" * 30, b"I" * 120)]
    per, unassigned, ambiguous = assign_pooled(items, {"A": AMP.encode(), "B": other.encode()}, 0.6)
    assert len(per["A"]) == 30 and len(per["B"]) == 20 and unassigned == 1 and ambiguous == 0


@pytest.mark.realdata
def test_pooled_crispresso2_fanc_hek3():
    """CRISPRessoPooled on Both.Cas9.fastq (FANC + HEK3 reads in one file): published per-amplicon counts."""
    for n in ("Both.Cas9.fastq", "Cas9.amplicons.txt",
              "expectedResults_CRISPRessoPooled_on_Both.Cas9_SAMPLES_QUANTIFICATION_SUMMARY.txt"):
        if not (DATA / n).exists():
            pytest.skip(f"../shared/data/reads/crispresso2 absent: {n}")
    amps = {}
    for line in (DATA / "Cas9.amplicons.txt").read_text().splitlines():
        name, seq, guide = line.split("\t")[:3]
        amps[name] = (seq, seq.find(guide) + 17)
    items = list(read_items(DATA / "Both.Cas9.fastq"))
    per, _, _ = assign_pooled(items, {k: v[0].encode() for k, v in amps.items()}, 0.6)
    with open(DATA / "expectedResults_CRISPRessoPooled_on_Both.Cas9_SAMPLES_QUANTIFICATION_SUMMARY.txt") as fh:
        exp = {r["Name"]: r for r in csv.DictReader(fh, delimiter="\t")}
    assert sum(len(v) for v in per.values()) <= len(items)
    for name, (seq, cut) in amps.items():
        r = quantify_amplicon(seq, cut, per[name], flank=1, min_baseq=0)
        # reads aligned per amplicon within 1 % of CRISPRessoPooled's, modified % within 1 point
        assert abs(r["reads"] - int(exp[name]["Reads_aligned"])) <= 0.01 * int(exp[name]["Reads_aligned"]) + 1
        ours = 100 * (r["indel"] + r["substitution_only"]) / r["reads"]
        assert abs(ours - float(exp[name]["Modified%"])) <= 1.0, (name, ours, exp[name]["Modified%"])


def test_single_end_readthrough_trimmed_and_counted():
    from cgtsafe.sitecheck.amplicon import trim_adapter

    frag = AMP[:CUT - 2] + AMP[CUT + 1:]
    seq, qual = trim_adapter((frag + ADAPT1 + "A" * 40).encode(), b"I" * (len(frag) + len(ADAPT1) + 40))
    assert seq.decode() == frag and len(qual) == len(frag)
    part = (frag + ADAPT1[:8]).encode()
    assert trim_adapter(part, b"I" * len(part))[0].decode() == frag
    # a 120-bp amplicon read with 300-bp reads: untrimmed, the adapter tail drops identity below 0.6 (lost)
    read = ((frag + ADAPT1 + "A" * 300)[:300]).encode()
    assert quantify_amplicon(AMP, CUT, [(read, b"I" * 300)])["excluded_not_aligned"] == 1
    res = quantify_amplicon(AMP, CUT, [trim_adapter(read, b"I" * 300)])
    assert res["indel"] == 1 and res["reads"] == 1
