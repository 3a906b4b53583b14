"""Genome-wide edited-only small variants: exact behaviour on hand-built alignments, statistics against
scipy, and recovery of the planted truth of the synthetic WGS pair (test-data/sequencing)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest
from scipy.stats import false_discovery_control, fisher_exact

from cgtsafe.errors import InputError
from cgtsafe.sitecheck import genomewide as gw
from helpers import write_toy_bam as _write_bam
from helpers import write_toy_ref as _write_ref

ROOT = Path(__file__).resolve().parents[1]
TD = ROOT / "test-data"
SEQ = TD / "sequencing"
REF = TD / "genome" / "ref.fa"


# ------------------------------------------------------------------------------------------------
# hand-built alignments


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """Reference with a poly-A run at 1000-1007; germline SNV at 500 in both samples (het), an edited-only
    SNV at 1500 (10 of 40 reads) and an edited-only 2-bp deletion in the poly-A run placed by the 'aligner'
    at three different offsets (must collapse into one left-normalised allele)."""
    d = tmp_path_factory.mktemp("toy")
    rng = np.random.default_rng(7)
    ref = list("".join(rng.choice(list("ACGT"), size=2000)))
    ref[1000:1008] = "AAAAAAAA"
    ref[999] = "C"
    ref[1008] = "G"
    ref = "".join(ref)
    _write_ref(d / "ref.fa", ref)

    def read(start, length=150, snv=None, dele=None):
        seq = list(ref[start:start + length])
        if snv:
            p, b = snv
            if start <= p < start + length:
                seq[p - start] = b
        if dele is None:
            return start, f"{length}M", "".join(seq)
        p, n = dele
        s = ref[start:p] + ref[p + n:start + length + n]
        s = s[:length]
        return start, f"{p - start}M{n}D{length - (p - start)}M", s

    ed, ct = [], []
    for i in range(40):
        for reads, edited in ((ed, True), (ct, False)):
            start = 380 + i * 3
            snv = (500, "T" if ref[500] != "T" else "G") if i % 2 == 0 else None
            reads.append(read(start, snv=snv))
            s2 = 1400 + i * 2
            snv2 = (1500, "C" if ref[1500] != "C" else "G") if edited and i % 4 == 0 else None
            reads.append(read(s2, snv=snv2))
            s3 = 880 + i * 2
            dele = (1000 + (i % 3) * 2, 2) if edited and i % 4 == 1 else None
            reads.append(read(s3, dele=dele))
    _write_bam(d / "ed.bam", ref, ed, "ED")
    _write_bam(d / "ct.bam", ref, ct, "CT")
    return d, ref


def test_toy_calls_exact(toy):
    d, ref = toy
    params = gw.Params(min_alt_reads=3, min_indel_reads=2, chunk_size=1000)
    df, stats = gw.scan(d / "ed.bam", d / "ct.bam", d / "ref.fa", params=params)
    called = df[df["call"] == 1]
    assert list(called["type"]) == ["INDEL", "SNV"]
    indel = called[called["type"] == "INDEL"].iloc[0]
    # left-normalised: the 2-bp deletion of AA in the poly-A run starts at the first A (0-based 1000);
    # VCF: POS (1-based) of the anchor C = 1000, REF CAA, ALT C
    assert (indel["start"], indel["end"], indel["pos"], indel["ref"], indel["alt"]) == (1000, 1002, 1000, "CAA", "C")
    assert indel["n_alleles"] == 1 and indel["edited_alt"] == 10 and indel["control_alt"] == 0
    snv = called[called["type"] == "SNV"].iloc[0]
    assert (snv["pos"], snv["ref"]) == (1501, ref[1500])
    assert snv["edited_alt"] == 10 and snv["control_alt"] == 0
    # the germline het SNV at 500 is in both samples: counted as shared, never reported
    assert stats["shared_snv"] == 1
    assert not ((df["start"] <= 500) & (df["end"] > 500)).any()
    # p-value equals scipy's one-sided Fisher test on the same 2x2 table
    t = [[10, int(snv["edited_depth"]) - 10], [0, int(snv["control_depth"])]]
    assert snv["p_value"] == pytest.approx(fisher_exact(t, alternative="greater")[1], rel=1e-9)


def test_toy_regions_restrict_the_scan(toy, tmp_path):
    d, _ = toy
    bed = tmp_path / "r.bed"
    bed.write_text("c1\t1400\t1600\n")
    df, stats = gw.scan(d / "ed.bam", d / "ct.bam", d / "ref.fa", regions=bed, params=gw.Params(chunk_size=1000))
    assert list(df["type"]) == ["SNV"]
    assert stats["scanned_bp"] == 200


@pytest.mark.parametrize("kind,p,x,seq,expected", [
    ("D", 5, 2, b"CCCCCAAAAG", ("D", 5, 2)),        # already leftmost
    ("D", 7, 2, b"CCCCCAAAAG", ("D", 5, 2)),        # shifted left through the A run
    ("I", 9, "A", b"CCCCCAAAAG", ("I", 5, "A")),    # insertion of A at the end of the run
    ("I", 9, "CA", b"TTTCACACAG", ("I", 3, "CA")),  # dinucleotide repeat: rotate while shifting
    ("D", 7, 2, b"TTTCACACAG", ("D", 3, 2)),        # one CA unit of CACACA
])
def test_normalize_indel(kind, p, x, seq, expected):
    assert gw.normalize_indel(seq, 0, kind, p, x) == expected


@pytest.mark.parametrize("p", [[0.01, 0.02, 0.03, 0.5], [0.5, 0.001, 0.2, 0.2, 0.04], [1e-8], [0.9, 0.9, 0.9]])
def test_bh_matches_scipy(p):
    assert np.allclose(gw.bh(np.array(p)), false_discovery_control(np.array(p), method="bh"))


@pytest.mark.parametrize("table", [(5, 20, 0, 25), (1, 30, 0, 30), (12, 8, 1, 30), (0, 10, 0, 10), (3, 3, 3, 3)])
def test_fisher_matches_scipy(table):
    a, b, c, d = table
    assert gw._fisher_greater(a, b, c, d) == pytest.approx(fisher_exact([[a, b], [c, d]], alternative="greater")[1],
                                                           rel=1e-9, abs=1e-12)


def test_bad_inputs(toy, tmp_path):
    d, _ = toy
    with pytest.raises(InputError, match="no index"):
        noidx = tmp_path / "x.bam"
        noidx.write_bytes((d / "ed.bam").read_bytes())
        gw.open_alignments(noidx, None)
    bed = tmp_path / "bad.bed"
    bed.write_text("c1\t10\t20\nchrZ\t1\t5\n")
    with pytest.raises(InputError, match=r"bad.bed, line 2: contig 'chrZ'"):
        gw.read_regions(bed, {"c1": 2000})
    with pytest.raises(InputError, match="needs the reference"):
        cram = tmp_path / "y.cram"
        cram.write_bytes(b"CRAM")
        gw.open_alignments(cram, None)
    with pytest.raises(InputError, match="min_vaf"):
        gw.scan(d / "ed.bam", d / "ct.bam", d / "ref.fa", params=gw.Params(min_vaf=2.0))


def test_cli_rejects_negative_threshold(toy, tmp_path, capsys):
    from cgtsafe.sitecheck.cli_genomewide import add_genomewide_parsers

    d, _ = toy
    p = argparse.ArgumentParser(prog="cgtsafe sitecheck")
    add_genomewide_parsers(p.add_subparsers())
    with pytest.raises(SystemExit):
        p.parse_args(["genomewide", "--edited", "a", "--control", "b", "--sample", "E", "--control-name", "C",
                      "--reference", "r", "--out", "o", "--stats", "s", "--min-depth", "-1"])
    assert "non-negative integer" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# synthetic WGS pair with planted truth


@pytest.fixture(scope="module")
def demo():
    if not (SEQ / "wgs_edited.cram").exists():
        pytest.skip("test-data/sequencing absent")
    df, stats = gw.run_pair(SEQ / "wgs_edited.cram", SEQ / "wgs_control.cram", REF, sample="EDITED_D1",
                            control_name="CONTROL_D1", guides=TD / "offtarget" / "guides.tsv",
                            genes=TD / "genome" / "genes.gtf", threads=2)
    return df, stats


def test_demo_recovers_planted_edits(demo):
    df, stats = demo
    truth = pd.read_csv(SEQ / "truth_edited_variants.tsv", sep="\t")
    sites = truth.groupby("site_id").agg(chrom=("chrom", "first"), cut=("cut", "first")).reset_index()
    freq = pd.read_csv(SEQ / "truth_sites.tsv", sep="\t").set_index("site_id")["wgs_edit_freq"]
    called = df[df["call"] == 1]
    for s in sites.itertuples():
        hit = called[(called["chrom"] == s.chrom) & (called["start"] <= s.cut + 5) & (called["end"] >= s.cut - 5)]
        if freq[s.site_id] >= 0.2:  # on-targets (0.60, 0.45) and OT1 (0.20) must be found
            assert len(hit) == 1, s.site_id
            h = hit.iloc[0]
            assert h["type"] == "INDEL" and h["guide_like"] == 1
            assert h["guide"] == s.site_id.split(":")[0]
            assert h["guide_cut"] == s.cut
            # every planted allele with >= 1 simulated read is among the locus alleles
            alle = {a.rsplit(":", 1)[0] for a in h["alleles"].split(";")}
            want = truth[(truth["site_id"] == s.site_id) & (truth["n_alt_reads_EDITED_D1"] > 0)]
            assert {f"{r.pos}:{r.ref}>{r.alt}" for r in want.itertuples()} <= alle
    # OT2 (3 %) is below the stated sensitivity at 30x: the computed power is tiny, and it is not called
    sens = pd.DataFrame(stats["sensitivity"]).set_index("vaf")["power"]
    assert sens[0.03] < 0.05 and sens[0.2] > 0.5


def test_demo_no_false_calls(demo):
    df, stats = demo
    truth = pd.read_csv(SEQ / "truth_edited_variants.tsv", sep="\t")
    germ = pd.read_csv(SEQ / "truth_germline.tsv", sep="\t")
    called = df[df["call"] == 1]
    for r in called.itertuples():  # every call is at a planted edited site
        near = truth[(truth["chrom"] == r.chrom) & ((truth["cut"] - (r.start + r.end) / 2).abs() <= 30)]
        assert len(near), r.variant_id
    for g in germ.itertuples():  # no reported row at a germline variant
        p0 = g.pos - 1 if len(g.ref) == len(g.alt) else g.pos
        assert not ((df["chrom"] == g.chrom) & (df["start"] <= p0) & (df["end"] > p0)).any(), g
    assert stats["shared_snv"] + stats["shared_indel_loci"] > 0.8 * len(germ)
    assert 0.9 * 2_000_000 < stats["callable_bp"] <= 2_000_000


def test_demo_annotation(demo):
    df, _ = demo
    on = df[(df["chrom"] == "chr1") & (df["start"] <= 102930) & (df["end"] >= 102930)].iloc[0]
    assert on["gene"] == "TRAC" and on["feature"] == "cds" and on["guide_mismatches"] == 0


def test_without_annotation_genes_of_concern_are_unknown_not_zero(demo):
    """No gene table: every call is ``not_annotated`` with gene_of_concern -1, and the summary never says 0."""
    df, stats = demo
    keep = [c for c in gw.COLUMNS if not c.startswith(("guide", "gene", "feature", "nearest"))]
    bare = gw.annotate(df[keep].copy(), REF, guides=TD / "offtarget" / "guides.tsv", genes=None)
    assert set(bare["feature"]) <= {"not_annotated"} and (bare["gene_of_concern"] == -1).all()
    bare.insert(0, "sample", stats["sample"])
    _, _, summary = gw.build_summary([bare], [stats], table_name="t.tsv", sens_name="s.tsv")
    kf = {k["label_en"]: k["value"] for k in summary["key_figures"]}
    n_called = int((bare["call"] == 1).sum())
    assert n_called > 0
    assert kf["Called variants near genes of concern"] == f"0 (+{n_called} not annotated)"


def test_summary_fragment(demo, tmp_path):
    df, stats = demo
    merged, sens, summary = gw.build_summary([df], [stats], table_name="genomewide_variants.tsv",
                                             sens_name="genomewide_sensitivity.tsv")
    assert {"key_figures", "tables", "figures", "methods_en", "methods_zh", "parameters"} <= set(summary)
    assert summary["exclusions"][0]["count"] == stats["shared_snv"] + stats["shared_indel_loci"]
    assert {x["value"] for x in summary["performance"]} == {
        round(r["power"], 4) for r in stats["sensitivity"] if r["vaf"] in (0.05, 0.2, 0.5)}
    kf = {k["label_en"]: k["value"] for k in summary["key_figures"]}
    assert kf["Edited-only indel loci (BH q <= alpha)"] == int((df["call"] == 1).sum())
    assert all(set(k) == {"label_en", "label_zh", "value"} for k in summary["key_figures"])
    assert [t["path"] for t in summary["tables"]] == ["genomewide_variants.tsv", "genomewide_sensitivity.tsv"]
    assert "Fisher" in summary["methods_en"] and "Fisher" in summary["methods_zh"]


def test_cli_one_line_error_for_missing_alignment(toy, tmp_path, capsys):
    from cgtsafe.cli import main

    d, _ = toy
    out = tmp_path / "o.tsv"
    rc = main(["sitecheck", "genomewide", "--edited", str(tmp_path / "missing.bam"), "--control", str(d / "ct.bam"),
               "--sample", "E", "--control-name", "C", "--reference", str(d / "ref.fa"), "--out", str(out),
               "--stats", str(tmp_path / "s.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "missing.bam: alignment file not found" in err[0]
    assert not out.exists()
    bad = tmp_path / "bad.bam"
    bad.write_text("not a bam\n")
    (tmp_path / "bad.bam.bai").write_text("")
    with pytest.raises(InputError, match="cannot open as BAM/CRAM|not a BAM"):
        gw.open_alignments(bad, None)


@pytest.mark.parametrize("chunk", [1000, 1001, 1003, 1500])
def test_chunk_borders_do_not_split_a_locus(toy, chunk):
    """The toy deletion locus (1000-1002) and SNV (1500) are reported once, whatever the chunk size."""
    d, _ = toy
    df, stats = gw.scan(d / "ed.bam", d / "ct.bam", d / "ref.fa", params=gw.Params(chunk_size=chunk))
    called = df[df["call"] == 1]
    assert list(zip(called["type"], called["start"])) == [("INDEL", 1000), ("SNV", 1500)]
    assert called.iloc[0]["edited_alt"] == 10
    assert stats["scanned_bp"] == 2000


def test_cli_pair_and_summary(tmp_path):
    """`cgtsafe sitecheck genomewide` / `genomewide-summary` end to end on two regions of the demo pair."""
    import json

    from cgtsafe.cli import main

    if not (SEQ / "wgs_edited.cram").exists():
        pytest.skip("test-data/sequencing absent")
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t95000\t110000\nchr2\t15000\t30000\n")
    pair = ["--edited", str(SEQ / "wgs_edited.cram"), "--control", str(SEQ / "wgs_control.cram"),
            "--sample", "EDITED_D1", "--control-name", "CONTROL_D1", "--reference", str(REF)]
    out = tmp_path / "sc"
    assert main(["sitecheck", "genomewide", *pair, "--regions", str(bed), "--guides", str(TD / "offtarget" / "guides.tsv"),
                 "--genes", str(TD / "genome" / "genes.gtf"), "--out", str(out / "gw" / "E.tsv"),
                 "--stats", str(out / "gw" / "E.json")]) == 0
    assert main(["sitecheck", "genomewide-summary", "--tables", str(out / "gw" / "E.tsv"), "--stats",
                 str(out / "gw" / "E.json"), "--out-table", str(out / "genomewide_variants.tsv"),
                 "--out-sensitivity", str(out / "genomewide_sensitivity.tsv"),
                 "--out-figure", str(out / "fig_genomewide_sensitivity.json"),
                 "--out", str(out / "genomewide_summary.json")]) == 0
    df = pd.read_csv(out / "genomewide_variants.tsv", sep="\t")
    assert list(df["variant_id"][df["call"] == 1]) == ["chr1:102929:INDEL", "chr2:21422:INDEL"]
    s = json.loads((out / "genomewide_summary.json").read_text())
    for item in s["tables"] + s["figures"]:
        assert (out / item["path"]).exists()
    fig = json.loads((out / "fig_genomewide_sensitivity.json").read_text())
    assert fig["data"][0]["x"] == [0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5]
    assert json.loads((out / "gw" / "E.json").read_text())["scanned_bp"] == 30000


def test_truncated_alignment_is_a_one_line_error(toy, tmp_path):
    d, _ = toy
    data = (d / "ed.bam").read_bytes()
    cut = tmp_path / "cut.bam"
    cut.write_bytes(data[: len(data) // 2])
    (tmp_path / "cut.bam.bai").write_bytes((d / "ed.bam.bai").read_bytes())
    with pytest.raises(InputError, match=r"cut.bam: (cannot (read alignments|open)|BAM is truncated)"):
        gw.scan(cut, d / "ct.bam", d / "ref.fa", params=gw.Params(chunk_size=1000))


# ------------------------------------------------------------------------------------------------
# a fragment counts once; region jobs merge to the unsplit result


def _write_pairs(path: Path, ref: str, frags: list[tuple[int, int, dict, tuple | None]], sample: str) -> None:
    """frags: (start, insert, {pos: base} SNVs, (pos, length) deletion or None); 2x100 reads, mates overlap
    when insert < 200. Mate 2 is reverse, ends at start + insert."""
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "c1", "LN": len(ref)}]}
    recs = []
    for i, (s, ins, snv, dele) in enumerate(frags):
        frag = list(ref[s:s + ins + (dele[1] if dele else 0)])
        for p, b in snv.items():
            frag[p - s] = b
        if dele:
            del frag[dele[0] - s:dele[0] - s + dele[1]]
        frag = "".join(frag)

        def cig(rstart, qlen):
            if dele and rstart <= dele[0] < rstart + qlen:
                k = dele[0] - rstart
                return f"{k}M{dele[1]}D{qlen - k}M"
            if dele and rstart > dele[0]:
                return None
            return f"{qlen}M"
        r1s, r2s = s, s + ins - 100 + (dele[1] if dele and s + ins - 100 > dele[0] else 0)
        q1, q2 = frag[:100], frag[-100:]
        c1, c2 = cig(r1s, 100), (f"{100}M" if not dele or r2s >= dele[0] + dele[1] else cig(r2s, 100))
        if c2 is None or (dele and r2s < dele[0] + dele[1] and r2s > dele[0]):
            continue
        recs.append((r1s, f"p{i}", 0x1 | 0x2 | 0x20 | 0x40, c1, q1, r2s))
        recs.append((r2s, f"p{i}", 0x1 | 0x2 | 0x10 | 0x80, c2, q2, r1s))
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for rs, name, flag, cigar, seq, mpos in sorted(recs):
            a = pysam.AlignedSegment(out.header)
            a.query_name, a.flag, a.reference_id, a.reference_start = name, flag, 0, rs
            a.mapping_quality, a.cigarstring, a.query_sequence = 60, cigar, seq
            a.next_reference_id, a.next_reference_start = 0, mpos
            a.query_qualities = pysam.qualitystring_to_array("F" * len(seq))
            out.write(a)
    pysam.index(str(path))


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    """40 fragments of insert 150 (mates overlap by 50 bp) over 1000-1150 in both samples; in the edited
    sample 12 fragments carry an SNV at 1075 (inside the overlap) and 8 a 3-bp deletion at 1070."""
    d = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(11)
    ref = "".join(rng.choice(list("ACGT"), size=3000))
    _write_ref(d / "ref.fa", ref)
    alt = "A" if ref[1075] != "A" else "C"
    ed, ct = [], []
    for i in range(40):
        s = 1000 + (i % 5)
        ct.append((s, 150, {}, None))
        if i < 12:
            ed.append((s, 150, {1075: alt}, None))
        elif i < 20:
            ed.append((s, 150, {}, (1070, 3)))
        else:
            ed.append((s, 150, {}, None))
    _write_pairs(d / "ed.bam", ref, ed, "ED")
    _write_pairs(d / "ct.bam", ref, ct, "CT")
    return d, ref


def test_overlapping_mates_count_one_fragment(pairs):
    d, ref = pairs
    af = pysam.AlignmentFile(str(d / "ed.bam"))
    counts = gw.count_region(af, gw.Reference(d / "ref.fa"), "c1", 900, 1300, gw.Params())
    i = 1075 - 900
    assert counts.depth[i] == 40  # fragments, not reads (80 reads cover 1075)
    alt = "ACGT".index("A" if ref[1075] != "A" else "C")
    assert counts.bases[i, alt] == 12
    assert counts.n_reads == 40
    df, _ = gw.scan(d / "ed.bam", d / "ct.bam", d / "ref.fa",
                    params=gw.Params(min_depth=5, min_control_depth=5, chunk_size=1000))
    snv = df[df["type"] == "SNV"].iloc[0]
    assert (snv["pos"], snv["edited_alt"], snv["control_alt"]) == (1076, 12, 0)
    assert snv["edited_depth"] == 40  # fragments with a base at 1075 (the deletion is 1070-1072)
    indel = df[df["type"] == "INDEL"].iloc[0]
    assert indel["edited_alt"] == 8 and indel["edited_depth"] == 40


@pytest.mark.parametrize("n", [2, 3, 7])
def test_region_jobs_merge_equals_unsplit(n, tmp_path):
    """`genomewide --chunk i/n` x n + `genomewide-merge` writes byte-identical tables to one unsplit run."""
    import json

    from cgtsafe.cli import main

    if not (SEQ / "wgs_edited.cram").exists():
        pytest.skip("test-data/sequencing absent")
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t90000\t115000\nchr2\t15000\t30000\nchr3\t0\t4000\n")
    pair = ["--edited", str(SEQ / "wgs_edited.cram"), "--control", str(SEQ / "wgs_control.cram"),
            "--sample", "EDITED_D1", "--control-name", "CONTROL_D1", "--reference", str(REF),
            "--regions", str(bed), "--chunk-size", "5000"]
    ann = ["--guides", str(TD / "offtarget" / "guides.tsv"), "--genes", str(TD / "genome" / "genes.gtf")]
    assert main(["sitecheck", "genomewide", *pair, *ann, "--out", str(tmp_path / "whole.tsv"),
                 "--stats", str(tmp_path / "whole.json")]) == 0
    parts = []
    for i in range(1, n + 1):
        assert main(["sitecheck", "genomewide", *pair, "--chunk", f"{i}/{n}", "--out", str(tmp_path / f"p{i}.tsv"),
                     "--stats", str(tmp_path / f"p{i}.json")]) == 0
        parts.append(i)
    assert main(["sitecheck", "genomewide-merge", *pair, *ann,
                 "--parts", *[str(tmp_path / f"p{i}.tsv") for i in parts],
                 "--part-stats", *[str(tmp_path / f"p{i}.json") for i in parts],
                 "--out", str(tmp_path / "merged.tsv"), "--stats", str(tmp_path / "merged.json")]) == 0
    assert (tmp_path / "merged.tsv").read_bytes() == (tmp_path / "whole.tsv").read_bytes()
    a = json.loads((tmp_path / "whole.json").read_text())
    b = json.loads((tmp_path / "merged.json").read_text())
    a.pop("region_jobs"), b.pop("region_jobs")
    assert a == b
    df = pd.read_csv(tmp_path / "merged.tsv", sep="\t")
    assert (df["call"] == 1).sum() >= 1


@pytest.mark.parametrize("n", [1, 2, 5, 13])
def test_region_jobs_partition_the_chunks(n):
    lengths = {"a": 2_345_678, "b": 1_000, "c": 987_654}
    p = gw.Params(chunk_size=100_000)
    whole = gw.plan_tasks(lengths, None, p)
    parts = [gw.plan_tasks(lengths, None, p, (i, n)) for i in range(1, n + 1)]
    assert [t for part in parts for t in part] == whole  # every chunk once, in order
    sizes = [sum(e - s for _, s, e in part) for part in parts]
    assert max(sizes) - min(sizes) <= 2 * p.chunk_size  # near-equal shares
    with pytest.raises(InputError, match="i/n"):
        gw.parse_chunk(f"{n + 1}/{n}")


def test_mates_at_the_same_start_pair_by_read_number(tmp_path):
    """Inserts as long as the reads put both mates at one start; samtools orders such records forward strand
    first (A1 B1 ... A2 B2 ...). 4 of 10 fragments carry an SNV in both mates: 4 alt of 10, not 8 or 0."""
    rng = np.random.default_rng(5)
    ref = "".join(rng.choice(list("ACGT"), size=1000))
    _write_ref(tmp_path / "ref.fa", ref)
    alt = "A" if ref[450] != "A" else "C"
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "c1", "LN": len(ref)}]}
    recs = []
    for i in range(10):
        seq = list(ref[400:500])
        if i in (0, 2, 4, 6):
            seq[50] = alt
        for flag in (0x1 | 0x2 | 0x20 | 0x40, 0x1 | 0x2 | 0x10 | 0x80):
            recs.append((flag & 0x10, f"f{i}", flag, "".join(seq)))
    with pysam.AlignmentFile(str(tmp_path / "s.bam"), "wb", header=header) as out:
        for _, name, flag, seq in sorted(recs):
            a = pysam.AlignedSegment(out.header)
            a.query_name, a.flag, a.reference_id, a.reference_start = name, flag, 0, 400
            a.mapping_quality, a.cigarstring, a.query_sequence = 60, "100M", seq
            a.next_reference_id, a.next_reference_start = 0, 400
            a.query_qualities = pysam.qualitystring_to_array("F" * 100)
            out.write(a)
    pysam.index(str(tmp_path / "s.bam"))
    counts = gw.count_region(pysam.AlignmentFile(str(tmp_path / "s.bam")), gw.Reference(tmp_path / "ref.fa"), "c1",
                             0, 1000, gw.Params())
    assert counts.depth[450] == 10 and counts.n_reads == 10
    assert counts.bases[450, "ACGT".index(alt)] == 4
