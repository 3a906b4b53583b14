"""Prime editing and HDR on WGS-style alignments (cgtsafe.sitecheck.quantify + editors): reads simulated with
planted per-read classes at an on-target site with an intended edit (pegRNA or donor stretch) and at off-target
sites without one; truth = the planted class of every read."""

from __future__ import annotations

import numpy as np
import pysam
import pytest

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import revcomp
from cgtsafe.sitecheck.amplicon import prime_edited_amplicon
from cgtsafe.sitecheck.editors import IntendedEdit, get_editor
from cgtsafe.sitecheck.quantify import quantify_bam
from cgtsafe.sitecheck.sheets import read_intended_edits
from cgtsafe.sitecheck.sites import Site
from test_sitecheck_genomewide import _write_bam as _gw_write_bam  # the suite's BAM writer

L = 6000
RL = 120


def _ref(tmp_path, seq):
    p = tmp_path / "ref.fa"
    p.write_text(">c1\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
    pysam.faidx(str(p))
    return p


def _write_bam(path, seq, reads):
    """``reads``: ``[(start, read sequence, cigar string)]`` -> sorted, indexed single-end BAM (MAPQ 60)."""
    _gw_write_bam(path, seq, [(st, cig, s) for st, s, cig in reads], "S")
    return path


def _sub(s: str, i: int) -> str:
    return s[:i] + {"A": "C", "C": "G", "G": "T", "T": "A"}[s[i]] + s[i + 1:]


@pytest.fixture
def world(tmp_path):
    rng = np.random.default_rng(17)
    seq = "".join(rng.choice(list("ACGT"), L))
    return tmp_path, seq, _ref(tmp_path, seq)


def test_prime_editing_on_wgs_intended_vs_unintended(world):
    d, seq, ref = world
    cut = 3000  # + strand site: protospacer seq[2983:3003], nick before 3000
    site = Site("ON", "c1", 2983, 3006, "+", cut, cut)
    # pegRNA: PBS = 13 nt left of the nick; RT template writes a substitution at nick+2 and inserts GGA at nick+5
    pbs = seq[cut - 13:cut]
    rt = _sub(seq[cut:cut + 5], 2) + "GGA" + seq[cut + 5:cut + 15]
    ext = revcomp(pbs + rt)
    amp, _ = prime_edited_amplicon(seq[cut - 200:cut + 200], 200, "+", ext)
    edited = seq[:cut - 200] + amp + seq[cut + 200:]
    assert edited[cut + 2] != seq[cut + 2] and edited[cut + 5:cut + 8] == "GGA"
    s0 = cut - 60
    reads, truth = [], {}

    def add(kind, n, start, s, cig):
        for _ in range(n):
            reads.append((start, s, cig))
        truth[kind] = truth.get(kind, 0) + n

    add("reference_unmodified", 20, s0, seq[s0:s0 + RL], f"{RL}M")
    add("intended_unmodified", 12, s0, edited[s0:s0 + RL + 3], f"65M3I{RL - 65}M")
    dele = seq[s0:cut - 2] + seq[cut + 2:s0 + RL + 4]  # 4-bp deletion at the nick
    add("reference_modified", 5, s0, dele, f"{cut - 2 - s0}M4D{RL + 4 - (cut + 2 - s0)}M")
    im = _sub(edited[s0:s0 + RL + 3], 60 - 3)  # intended edit + a substitution 3 bp left of the nick
    add("intended_modified", 4, s0, im, f"65M3I{RL - 65}M")
    bam = _write_bam(d / "e.bam", seq, reads)
    intended = {"ON": IntendedEdit("ON", pegrna_extension=ext.replace("T", "U"))}
    df = quantify_bam(bam, ref, [site], sample="E", editor=get_editor("PE"), intended=intended)
    row = df.iloc[0]
    for k, n in truth.items():
        assert row[k] == n, (k, row[k], n)
    assert row["reads"] == sum(truth.values())
    assert row["events"] == sum(truth.values()) - truth["reference_unmodified"]
    assert "intended edit" in row["counted_event"]
    # the same reads as an HDR donor stretch give the same classes
    hdr = {"ON": IntendedEdit("ON", edit_start=cut + 2, edit_end=cut + 5,
                              replacement=edited[cut + 2:cut + 8])}
    df2 = quantify_bam(bam, ref, [site], sample="E", editor=get_editor("HDR"), intended=hdr)
    assert all(df2.iloc[0][k] == n for k, n in truth.items())


@pytest.mark.parametrize("strand", ["+", "-"])
def test_prime_and_hdr_off_target_count_their_kind_of_change(world, strand):
    """No intended edit: a prime editor's events are indels in the window and substitutions within the RT
    reach 3' of the nick (PAM side); a substitution on the PAM-distal side is not its product. HDR counts indels
    (the nuclease's break) only."""
    d, seq, ref = world
    cut = 3000
    site = Site("OT", "c1", 2983 if strand == "+" else 2994, 3006 if strand == "+" else 3017, strand, cut, cut)
    pam_side = cut + 8 if strand == "+" else cut - 9      # inside the 20-nt reach
    distal = cut - 4 if strand == "+" else cut + 3         # PAM-distal side, inside the cut window
    s0 = cut - 60
    reads = [(s0, seq[s0:s0 + RL], f"{RL}M")] * 30
    reads += [(s0, _sub(seq[s0:s0 + RL], pam_side - s0), f"{RL}M")] * 7
    reads += [(s0, _sub(seq[s0:s0 + RL], distal - s0), f"{RL}M")] * 6
    reads += [(s0, seq[s0:cut - 1] + seq[cut + 2:s0 + RL + 3], f"{cut - 1 - s0}M3D{RL + 3 - (cut + 2 - s0)}M")] * 5
    bam = _write_bam(d / f"o{strand}.bam", seq, reads)
    pe = quantify_bam(bam, ref, [site], sample="E", editor=get_editor("PE")).iloc[0]
    assert (pe["reads"], pe["indel"], pe["substitution_only"], pe["events"]) == (48, 5, 13, 12)
    short = quantify_bam(bam, ref, [site], sample="E", editor=get_editor("PE", reach=5)).iloc[0]
    assert short["events"] == 5  # the substitution 8-9 nt from the nick is beyond a 5-nt RT template
    hdr = quantify_bam(bam, ref, [site], sample="E", editor=get_editor("HDR")).iloc[0]
    assert (hdr["substitution_only"], hdr["events"]) == (6, 5)  # the cut window (+-5) only
    assert pe["counted_event"].startswith("indel or substitution within 20 nt") and hdr["counted_event"] == "indel"


def test_intended_edits_table_errors(tmp_path):
    p = tmp_path / "ie.tsv"
    p.write_text("site_id\tpegrna_extension\tedit_start\tedit_end\treplacement\n"
                 "A\tACGUACGUACGUACGU\t\t\t\nB\t\t10\t12\tTT\n")
    got = read_intended_edits(p)
    assert got["A"].pegrna_extension == "ACGUACGUACGUACGU" and (got["B"].edit_start, got["B"].replacement) == (10, "TT")
    p.write_text("site_id\tedit_start\tedit_end\treplacement\nA\t12\t10\tTT\n")
    with pytest.raises(InputError, match="line 2"):
        read_intended_edits(p)
    with pytest.raises(InputError, match="RT template length applies to prime editors only"):
        get_editor("CBE", reach=10)
