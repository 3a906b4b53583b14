"""The shared alignment opener and reference reader (cgtsafe.io.alignment / cgtsafe.io.reference):
each bad-input case is built with pysam in tmp_path and must give one clear line, in the per-site
quantification, the genome-wide scan and the structural step alike."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pysam
import pytest

from cgtsafe.errors import InputError
from cgtsafe.io import alignment as al
from cgtsafe.io.reference import ReferenceGenome
from cgtsafe.sitecheck import genomewide as gw
from cgtsafe.sitecheck.quantify import quantify_bam
from cgtsafe.sitecheck.sites import Site

L = 6000


def _ref(path: Path, seqs: dict[str, str]) -> Path:
    path.write_text("".join(f">{k}\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                            for k, v in seqs.items()))
    pysam.faidx(str(path))
    return path


def _aln(path: Path, seqs: dict[str, str], *, starts=None, so="coordinate", m5=True, ref_for_cram=None,
         header_seqs=None, dup_every=0, pg=None, index=True) -> Path:
    header_seqs = header_seqs or seqs
    sq = []
    for k, v in header_seqs.items():
        d = {"SN": k, "LN": len(v)}
        if m5:
            d["M5"] = hashlib.md5(v.upper().encode()).hexdigest()
        sq.append(d)
    header = {"HD": {"VN": "1.6", "SO": so}, "SQ": sq}
    if pg:
        header["PG"] = [pg]
    cram = path.suffix == ".cram"
    kw = {"reference_filename": str(ref_for_cram)} if cram else {}
    starts = list(range(0, L - 100, 7)) if starts is None else starts
    name0 = next(iter(seqs))
    with pysam.AlignmentFile(str(path), "wc" if cram else "wb", header=header, **kw) as out:
        for i, s in enumerate(starts):
            a = pysam.AlignedSegment(out.header)
            a.query_name = f"r{i}"
            a.flag = 0x400 if dup_every and i % dup_every == 0 else 0
            a.reference_id = 0
            a.reference_start = s
            a.mapping_quality = 60
            a.cigarstring = "100M"
            a.query_sequence = seqs[name0][s:s + 100]
            a.query_qualities = pysam.qualitystring_to_array("F" * 100)
            out.write(a)
    if index:
        pysam.index(str(path))
    return path


@pytest.fixture
def genome(tmp_path):
    rng = np.random.default_rng(3)
    seqs = {"c1": "".join(rng.choice(list("ACGT"), L)), "c2": "".join(rng.choice(list("ACGT"), L))}
    other = {"c1": "".join(rng.choice(list("ACGT"), L)), "c2": seqs["c2"]}  # same names and lengths
    return tmp_path, seqs, _ref(tmp_path / "ref.fa", seqs), _ref(tmp_path / "other.fa", other)


def _site():
    return [Site("s1", "c1", 2980, 3003, "+", 2997, 2997)]


def _all_three(bam, ref, tmp_path):
    """The same input through quantify, genome-wide and structural: the error messages."""
    msgs = []
    for run in (lambda: quantify_bam(bam, ref, _site(), sample="S"),
                lambda: gw.scan(bam, bam, ref, params=gw.Params(chunk_size=1000)),
                lambda: __import__("cgtsafe.sitecheck.structural", fromlist=["detect"]).detect(
                    bam, bam, ref, _sites_tsv(tmp_path))):
        with pytest.raises(InputError) as e:
            run()
        msgs.append(str(e.value))
        assert "\n" not in str(e.value)
    return msgs


def _sites_tsv(tmp_path):
    p = tmp_path / "sites.tsv"
    p.write_text("site_id\tchrom\tcut_start\ns1\tc1\t2997\n")
    return p


def test_reference_reader_agrees_with_pysam_and_memory(genome):
    d, seqs, ref, _ = genome
    plain = d / "plain.fa"
    plain.write_text(ref.read_text())  # no .fai: read into memory
    for r in (ReferenceGenome(ref), ReferenceGenome(plain)):
        assert r.lengths == {"c1": L, "c2": L}
        assert r.fetch("c1", -5, 10) == seqs["c1"][:10]
        assert r.fetch_bytes("c2", L - 3, L + 9) == seqs["c2"][-3:].encode()
        assert r.md5("c1") == hashlib.md5(seqs["c1"].encode()).hexdigest()
        with pytest.raises(InputError, match="contig 'chrZ' is not in the reference"):
            r.fetch("chrZ", 0, 1)
    assert not Path(str(plain) + ".fai").exists()  # never writes an index next to the user's file


@pytest.mark.parametrize("m5,message,identity", [
    (True, "same name, different sequence", "md5"),          # header M5 tags vs the FASTA's MD5
    (False, "differ from reference other.fa", "sampled_bases"),  # no M5: sampled reads vs the FASTA
])
def test_same_names_other_sequence(genome, m5, message, identity):
    d, seqs, ref, other = genome
    bam = _aln(d / "a.bam", seqs, m5=m5)
    msgs = _all_three(bam, other, d)
    assert all(message in m for m in msgs)
    af, info = al.open_checked(bam, ReferenceGenome(ref))
    assert info.identity == identity
    af.close()


def test_cram_with_wrong_reference_says_so(genome):
    d, seqs, ref, other = genome
    cram = _aln(d / "a.cram", seqs, ref_for_cram=ref)
    msgs = _all_three(cram, other, d)
    assert all("CRAM decoded with another reference" in m for m in msgs)
    assert not any("truncated" in m for m in msgs)


def test_unsorted_bam_is_one_line(genome):
    d, seqs, ref, _ = genome
    bam = _aln(d / "u.bam", seqs, so="unsorted", index=False)
    msgs = _all_three(bam, ref, d)
    assert all("not coordinate-sorted" in m for m in msgs)
    # header claims sorted, records are not, and an index of another (sorted) file sits next to it
    good = _aln(d / "g.bam", seqs)
    bad = _aln(d / "b.bam", seqs, starts=list(range(L - 200, 0, -7)), index=False)
    shutil.copy(str(good) + ".bai", str(bad) + ".bai")
    # the index check (open_checked) or the counter's order check, whichever meets it first
    with pytest.raises(InputError, match="not coordinate-sorted|does not belong to this file"):
        gw.scan(bad, good, ref, params=gw.Params(chunk_size=1000))


def test_stale_index_is_one_line(genome):
    d, seqs, ref, _ = genome
    bam = _aln(d / "s.bam", seqs)
    t = os.stat(bam).st_mtime
    os.utime(str(bam) + ".bai", (t - 3600, t - 3600))
    msgs = _all_three(bam, ref, d)
    assert all("older than the alignment file" in m for m in msgs)


def test_foreign_index_is_one_line(genome):
    """An index of another sorted file with the same header: the whole-genome scan reads other records than
    the index counts (before: a silent, wrong result)."""
    d, seqs, ref, _ = genome
    a = _aln(d / "a.bam", seqs)
    b = _aln(d / "b.bam", seqs, starts=list(range(0, L - 100, 3)), index=False)
    shutil.copy(str(a) + ".bai", str(b) + ".bai")
    with pytest.raises(InputError, match="index belongs to another file|does not belong to this file"):
        gw.run_pair(b, a, ref, sample="E", control_name="C", params=gw.Params(chunk_size=1000))
    gw.run_pair(a, a, ref, sample="E", control_name="C", params=gw.Params(chunk_size=1000))  # the right index


def test_reference_missing_an_alignment_contig(genome):
    d, seqs, ref, _ = genome
    only1 = _ref(d / "only1.fa", {"c1": seqs["c1"]})
    bam = _aln(d / "a.bam", seqs)
    msgs = _all_three(bam, only1, d)
    assert all("contig 'c2' of the alignment header is not in reference only1.fa" in m for m in msgs)


def test_duplicate_marking_warns(genome, capsys):
    d, seqs, ref, _ = genome
    r = ReferenceGenome(ref)
    plain = _aln(d / "plain.bam", seqs)
    flagged = _aln(d / "flag.bam", seqs, dup_every=10)
    pg = _aln(d / "pg.bam", seqs, pg={"ID": "MarkDuplicates", "PN": "MarkDuplicates"})
    for bam, marked in ((plain, False), (flagged, True), (pg, True)):
        af, info = al.open_checked(bam, r, check_duplicates=True)
        af.close()
        assert info.duplicates_marked is marked
        err = capsys.readouterr().err
        assert ("no duplicate marking found" in err) is (not marked)
    df, stats = gw.run_pair(plain, flagged, ref, sample="E", control_name="C", params=gw.Params(chunk_size=1000))
    assert stats["duplicates_marked"] == {str(plain): False, str(flagged): True}
    _, _, summary = gw.build_summary([df], [stats], table_name="t.tsv", sens_name="s.tsv")
    dup = [e for e in summary["exclusions"] if "duplicate marking" in e["what"]]
    assert len(dup) == 1 and dup[0]["count"] == 1 and "plain.bam" in dup[0]["reason"]
    assert "flag.bam" not in dup[0]["reason"]
    assert "plain.bam had no duplicate marking" in summary["methods_en"] and "未标记重复" in summary["methods_zh"]


def test_good_inputs_pass_everywhere(genome):
    d, seqs, ref, _ = genome
    bam = _aln(d / "a.bam", seqs)
    df = quantify_bam(bam, ref, _site(), sample="S")
    assert int(df["reads"].iloc[0]) > 0
    _, stats = gw.scan(bam, bam, ref, params=gw.Params(chunk_size=1000))
    assert stats["scanned_bp"] == 2 * L and stats["contigs_not_in_alignments"] == []


@pytest.mark.parametrize("ext", [".bam", ".cram"])
def test_foreign_index_is_one_line_in_every_entry_point(genome, ext):
    """An index copied from another sample (same header, other records) next to a BAM/CRAM: the per-site
    quantification, the structural step and the genome-wide scan all stop with one line naming the index
    (before: quantify and structural read through it silently; a CRAM passed everywhere)."""
    d, seqs, ref, _ = genome
    kw = {"ref_for_cram": ref} if ext == ".cram" else {}
    ix = ".crai" if ext == ".cram" else ".bai"
    other = _aln(d / f"other{ext}", seqs, **kw)
    # the CRAM gets enough records for several containers, so its layout differs from the other file's
    starts = sorted(list(range(0, L - 100, 3)) * (12 if ext == ".cram" else 1))
    mine = _aln(d / f"mine{ext}", seqs, starts=starts, index=False, **kw)
    shutil.copy(str(other) + ix, str(mine) + ix)
    os.utime(str(mine) + ix)  # newer than the file: the stale-index check does not see it
    msgs = _all_three(mine, ref, d)
    assert all(f"index mine{ext}{ix} does not belong to this file" in m for m in msgs), msgs
    with pytest.raises(InputError, match="does not belong to this file"):
        gw.run_pair(mine, other, ref, sample="E", control_name="C", params=gw.Params(chunk_size=1000))
    pysam.index(str(mine))  # the right index: all pass
    quantify_bam(mine, ref, _site(), sample="S")
    gw.run_pair(mine, other, ref, sample="E", control_name="C", params=gw.Params(chunk_size=1000))


def test_cram_without_m5_with_wrong_reference_says_so(genome):
    """No @SQ M5 tags (htslib adds them when writing, so they are removed with samtools reheader): the
    sampled-read check cannot compare (the decoder fills matching bases from the FASTA given), but every CRAM 3
    slice carries its reference span's MD5, which htslib checks while decoding (before: 'truncated file')."""
    d, seqs, ref, other = genome
    cram = _aln(d / "nom5.cram", seqs, ref_for_cram=ref)
    (d / "h.sam").write_text("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:6000\n@SQ\tSN:c2\tLN:6000\n")
    pysam.samtools.reheader("-i", str(d / "h.sam"), str(cram))
    with pysam.AlignmentFile(str(cram), "rc", reference_filename=str(ref)) as af:
        assert all("M5" not in sq for sq in af.header.to_dict()["SQ"])
    msgs = _all_three(cram, other, d)
    assert all("CRAM decoded with another reference" in m for m in msgs), msgs
    af, info = al.open_checked(cram, ReferenceGenome(ref))  # the right FASTA passes
    assert info.identity == "sampled_bases"
    af.close()
