"""Direct htslib decoding (cgtsafe.io.htsdirect through RegionDecoder) against the ``samtools view -u`` path.

The reference for every comparison is htslib's own BAM writer (``samtools view -u``, pysam's in-process
samtools) and, for the counts, the independent brute-force pileup of test_sitecheck_genomewide_counter.
Random alignments (soft/hard clips, I/D/N/=/X, reads without qualities, overlapping mates, secondary /
supplementary / duplicate records), a CIGAR of more than 65,535 operations, BAM and CRAM, windows cutting
through reads and at the contig ends, a contig named with ':'.
"""

from __future__ import annotations

import numpy as np
import pysam
import pytest

from cgtsafe.errors import InputError
from cgtsafe.io import htsdirect
from cgtsafe.sitecheck import genomewide as gw
from cgtsafe.sitecheck.genomewide_count import RegionDecoder
from tests.test_sitecheck_genomewide_counter import _brute, _compare, _reference, _simulate

pytestmark = pytest.mark.skipif(htsdirect.usable() != "", reason=f"direct decoding unavailable: {htsdirect.usable()}")

WINDOWS = [(0, 4000), (0, 1), (650, 1777), (1590, 1610), (3333, 4000), (3999, 4000)]


def _fasta(path, ref: dict[str, str]):
    path.write_text("".join(f">{k}\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                            for k, v in ref.items()))
    pysam.faidx(str(path))
    return path


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    d = tmp_path_factory.mktemp("htsdirect")
    rng = np.random.default_rng(77)
    ref = {"c1": _reference(rng, 4000), "c2": "".join(rng.choice(list("ACGT"), 1500))}
    _fasta(d / "ref.fa", ref)
    bam = _simulate(d / "sim.bam", rng, ref, 600)
    cram = d / "sim.cram"
    pysam.view("-C", "-T", str(d / "ref.fa"), "-o", str(cram), str(bam), catch_stdout=False)
    pysam.index(str(cram))
    # the same records on a contig whose name holds ':' (an HLA-style name)
    colon = {"HLA:01:02": ref["c1"], "c2": ref["c2"]}
    _fasta(d / "colon.fa", colon)
    (d / "colon.sam").write_text("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:HLA:01:02\tLN:4000\n@SQ\tSN:c2\tLN:1500\n")
    cbam = d / "colon.bam"
    pysam.samtools.reheader("-P", str(d / "colon.sam"), str(bam), save_stdout=str(cbam))
    pysam.index(str(cbam))
    return d, bam, cram, cbam


def _both(path, ref, contig, s, e):
    with RegionDecoder(path, ref) as a, RegionDecoder(path, ref, direct=False) as b:
        assert a.direct and not b.direct
        x, n = a.region(contig, s, e)
        got = htsdirect.records(x, n)
        assert a.direct  # the self-check passed
        y, m = b.region(contig, s, e)
        want = htsdirect.records(y, m)
    return got, want


@pytest.mark.parametrize("fmt", ["bam", "cram"])
@pytest.mark.parametrize("window", WINDOWS)
def test_direct_records_equal_samtools_view(sim, fmt, window):
    d, bam, cram, _ = sim
    got, want = _both(bam if fmt == "bam" else cram, gw.Reference(d / "ref.fa"), "c1", *window)
    assert got == want
    assert len(want) > 0 or window[1] - window[0] < 10


@pytest.mark.parametrize("fmt", ["bam", "cram"])
def test_direct_counts_equal_fallback_and_pileup(sim, fmt):
    """One decoder, several regions (as a scan uses it): counts equal those of the samtools path and of the
    brute-force pileup (overlapping mates counted once)."""
    d, bam, cram, _ = sim
    path = bam if fmt == "bam" else cram
    ref = gw.Reference(d / "ref.fa")
    p = gw.Params()
    with RegionDecoder(path, ref) as a, RegionDecoder(path, ref, direct=False) as b:
        for s, e in ((0, 4000), (1000, 2500), (2400, 2410), (3900, 4000)):
            got = gw.count_region(a, ref, "c1", s, e, p)
            _compare(got, _brute(path, d / "ref.fa", "c1", s, e, p))
            fb = gw.count_region(b, ref, "c1", s, e, p)
            np.testing.assert_array_equal(got.bases, fb.bases)
            np.testing.assert_array_equal(got.depth, fb.depth)
            assert got.indel_obs == fb.indel_obs and got.records_in_core == fb.records_in_core
        assert a.direct
        with a.stream("c1", 0, 4000) as st:  # the self-check passed: regions are counted from the iterator
            assert st.src[0] != 0


def test_contig_name_with_colon(sim):
    d, _, _, cbam = sim
    ref = gw.Reference(d / "colon.fa")
    got, want = _both(cbam, ref, "HLA:01:02", 650, 1777)
    assert got == want and len(got) > 50
    _compare(gw.count_region(cbam, ref, "HLA:01:02", 650, 1777, gw.Params()),
             _brute(cbam, d / "colon.fa", "HLA:01:02", 650, 1777, gw.Params()))


@pytest.mark.parametrize("fmt", ["bam", "cram"])
def test_cigar_of_more_than_65535_operations(tmp_path, fmt):
    """Written as htslib writes it in a BAM (kSmN placeholder + CG:B:I), from a BAM (CG tag) and a CRAM."""
    rng = np.random.default_rng(5)
    ref = {"c1": "".join(rng.choice(list("ACGT"), 70_000)), "c2": "ACGT" * 100}
    _fasta(tmp_path / "ref.fa", ref)
    path = _simulate(tmp_path / "long.bam", rng, ref, 20, long_cigar=True)
    if fmt == "cram":
        cram = tmp_path / "long.cram"
        pysam.view("-C", "-T", str(tmp_path / "ref.fa"), "-o", str(cram), str(path), catch_stdout=False)
        pysam.index(str(cram))
        path = cram
    r = gw.Reference(tmp_path / "ref.fa")
    got, want = _both(path, r, "c1", 0, 5000)
    assert got == want
    assert max(len(x[8]) // 4 for x in got) > 65_535
    _compare(gw.count_region(path, r, "c1", 30_000, 40_000, gw.Params()),
             _brute(path, tmp_path / "ref.fa", "c1", 30_000, 40_000, gw.Params()))


def test_failed_self_check_falls_back(sim, capsys):
    """A wrong record layout (as a changed htslib would have): the first region's self-check fails, the
    decoder says so once on stderr and uses samtools view; the counts stay right."""
    d, bam, _, _ = sim
    ref = gw.Reference(d / "ref.fa")
    bad = htsdirect.LAYOUT.copy()
    bad[3] = bad[4]  # MAPQ read from l_extranul
    with RegionDecoder(bam, ref, layout=bad) as dec:
        assert dec.direct
        got = gw.count_region(dec, ref, "c1", 650, 1777, gw.Params())
        assert not dec.direct
    assert "goes through samtools view" in capsys.readouterr().err
    _compare(got, _brute(bam, d / "ref.fa", "c1", 650, 1777, gw.Params()))


def test_untested_htslib_version_falls_back(sim, monkeypatch, capsys):
    d, _, cram, _ = sim
    monkeypatch.setattr(htsdirect, "VERSIONS", ((0, 1), (0, 2)))
    ref = gw.Reference(d / "ref.fa")
    with RegionDecoder(cram, ref) as dec:
        assert not dec.direct
        got = gw.count_region(dec, ref, "c1", 0, 4000, gw.Params())
    assert "outside the tested range" in capsys.readouterr().err
    _compare(got, _brute(cram, d / "ref.fa", "c1", 0, 4000, gw.Params()))


def test_cram_with_wrong_reference_is_the_same_one_line_error(sim, tmp_path):
    """htslib's slice MD5 check fails inside the direct iterator: the error is the samtools path's one."""
    d, _, cram, _ = sim
    rng = np.random.default_rng(1)
    other = _fasta(tmp_path / "other.fa", {"c1": "".join(rng.choice(list("ACGT"), 4000)),
                                            "c2": "".join(rng.choice(list("ACGT"), 1500))})
    msgs = []
    for direct in (True, False):
        with RegionDecoder(cram, other, direct=direct) as dec:
            with pytest.raises(InputError) as ei:
                dec.region("c1", 0, 4000)
        msgs.append(str(ei.value))
    assert msgs[0] == msgs[1]
    assert "CRAM decoded with another reference" in msgs[0]


def test_truncated_bam_is_the_same_one_line_error(sim, tmp_path):
    d, bam, _, _ = sim
    data = bam.read_bytes()
    cut = tmp_path / "cut.bam"
    cut.write_bytes(data[: len(data) * 2 // 3])
    (tmp_path / "cut.bam.bai").write_bytes((d / "sim.bam.bai").read_bytes())
    with RegionDecoder(cut, None) as dec:  # pysam cannot open it (no EOF marker); htslib's iterator fails later
        assert dec.direct
        with pytest.raises(InputError) as direct:
            dec.region("c1", 0, 4000)
        with pytest.raises(InputError) as fallback:
            dec._samtools_region("c1", 0, 4000, np.zeros(0, np.uint8))
    assert str(direct.value) == str(fallback.value)
    assert "cut.bam: cannot read alignments in c1:0-4000" in str(direct.value)
