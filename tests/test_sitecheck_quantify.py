"""Read filters and classes on hand-built BAMs (truth by construction) and one-line input errors."""

from __future__ import annotations

import random
from pathlib import Path

import pysam
import pytest

from cgtsafe.errors import InputError
from cgtsafe.sitecheck.quantify import check_contigs, quantify_bam, read_wgs_sheet
from cgtsafe.sitecheck.sites import Site, load_sites, read_sites

CUT = 500  # base right of the cut (0-based); window with flank 5 = [495, 505)


def _genome():
    rnd = random.Random(7)
    seq = [rnd.choice("ACGT") for _ in range(2000)]
    # a homopolymer run ending 3 bp left of the window: a 1-bp deletion in it can slide into the window
    for i in range(480, 493):
        seq[i] = "A"
    seq[493] = "C"
    seq[494] = "G"
    return "".join(seq)


REF = _genome()


def _write_ref(tmp: Path) -> Path:
    fa = tmp / "ref.fa"
    fa.write_text(">chr1\n" + "\n".join(REF[i:i + 60] for i in range(0, len(REF), 60)) + "\n>chr2\n" + "ACGT" * 250 + "\n")
    pysam.faidx(str(fa))
    return fa


def _read(name, start, cigar, seq, *, flag=0, mapq=60, qual=30, header=None):
    a = pysam.AlignedSegment(header)
    a.query_name = name
    a.flag = flag
    a.reference_id = 0
    a.reference_start = start
    a.mapping_quality = mapq
    a.cigarstring = cigar
    a.query_sequence = seq
    a.query_qualities = pysam.qualitystring_to_array(chr(qual + 33) * len(seq))
    if flag & 1:
        a.next_reference_id = 0
        a.next_reference_start = start
    return a


def _bam(tmp: Path, reads_spec, name="s.bam", lengths=None) -> Path:
    header = pysam.AlignmentHeader.from_dict(
        {"HD": {"VN": "1.6", "SO": "coordinate"},
         "SQ": [{"SN": "chr1", "LN": (lengths or {}).get("chr1", len(REF))},
                {"SN": "chr2", "LN": (lengths or {}).get("chr2", 1000)}]})
    path = tmp / name
    unsorted = tmp / ("u_" + name)
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for spec in reads_spec:
            out.write(_read(*spec[:4], header=header, **(spec[4] if len(spec) > 4 else {})))
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    return path


def _ref_read(start, length=100):
    return REF[start:start + length]


def _deletion_read(start, del_start, del_len, length=100):
    left = REF[start:del_start]
    right = REF[del_start + del_len: del_start + del_len + (length - len(left))]
    return f"{len(left)}M{del_len}D{len(right)}M", left + right


def _insertion_read(start, ins_at, ins, length=100):
    left = REF[start:ins_at]
    right = REF[ins_at: ins_at + length - len(left) - len(ins)]
    return f"{len(left)}M{len(ins)}I{len(right)}M", left + ins + right


def _sub(seq, pos_in_read, base=None):
    b = base or ("A" if seq[pos_in_read] != "A" else "C")
    return seq[:pos_in_read] + b + seq[pos_in_read + 1:]


def _site(cut=CUT, cut_end=None):
    return Site("S1", "chr1", cut - 17, cut + 6, "+", cut, cut if cut_end is None else cut_end)


def _count(tmp, specs, **kw):
    fa = _write_ref(tmp)
    bam = _bam(tmp, specs)
    df = quantify_bam(bam, fa, [kw.pop("site", _site())], sample="S", **kw)
    return df.iloc[0]


def test_classes_by_construction(tmp_path):
    c1, s1 = _deletion_read(450, 499, 3)          # deletion at the cut
    c2, s2 = _insertion_read(450, 500, "T")       # insertion at the cut
    c3, s3 = _deletion_read(420, 430, 3)          # deletion far from the window (read still spans it)
    c4, s4 = _deletion_read(420, 488, 1)          # 1-bp deletion in the A run at 480-492: slides to 492, not window
    specs = [
        ("r_del", 450, c1, s1),
        ("r_ins", 450, c2, s2),
        ("r_far", 420, c3, s3),
        ("r_run", 420, c4, s4),
        ("r_ok", 460, "100M", _ref_read(460)),
        ("r_sub", 460, "100M", _sub(_ref_read(460), 40)),                 # substitution at 500, Q30
        ("r_sublowq", 460, "100M", _sub(_ref_read(460), 41), {"qual": 10}),  # substitution at 501, Q10: ignored
        ("r_N", 460, "100M", _sub(_ref_read(460), 42, "N")),              # N is not a substitution
        ("r_subout", 460, "100M", _sub(_ref_read(460), 60)),              # substitution outside the window
    ]
    r = _count(tmp_path, specs)
    assert (r["indel"], r["substitution_only"], r["unmodified"]) == (2, 1, 6)


@pytest.mark.parametrize("del_at,flank,expected", [
    (493, 5, 0),   # deletes the C at 493 (neighbours A/G): cannot slide; window [495, 505)
    (480, 5, 0),   # one A of the run 480-492, placed leftmost: equivalent placements 480..492, all < 495
    (480, 8, 1),   # window [492, 508): the equivalent placement at 492 overlaps -> indel
    (492, 8, 1),   # same deletion placed rightmost by the aligner
])
def test_deletion_equivalent_placement(tmp_path, del_at, flank, expected):
    """A deletion counts when any equivalent placement overlaps the window, whatever the aligner chose."""
    c, s = _deletion_read(430, del_at, 1)
    r = _count(tmp_path, [("r1", 430, c, s)], flank=flank)
    assert r["indel"] == expected and r["reads"] == 1


def test_read_filters_and_fragment_counting(tmp_path):
    base = _ref_read(450)
    specs = [
        ("dup", 450, "100M", base, {"flag": 0x400}),
        ("sec", 450, "100M", base, {"flag": 0x100}),
        ("supp", 450, "100M", base, {"flag": 0x800}),
        ("qc", 450, "100M", base, {"flag": 0x200}),
        ("lowq", 450, "100M", base, {"mapq": 5}),
        ("mate_unmapped", 450, "100M", base, {"flag": 0x1 | 0x8 | 0x40}),
        ("short", 420, "80M", _ref_read(420, 80)),                  # ends at 500 < 505: not spanning
        ("clip", 450, "50M50S", base),                               # aligned part ends at 500: not spanning
        ("pair", 430, "100M", _ref_read(430), {"flag": 0x1 | 0x2 | 0x40}),
        ("pair", 470, "100M", _ref_read(470), {"flag": 0x1 | 0x2 | 0x80}),
        ("good", 450, "100M", base),
    ]
    r = _count(tmp_path, specs)
    assert r["reads"] == 2 and r["unmodified"] == 2
    for reason in ("duplicate", "secondary", "supplementary", "qc_fail", "low_mapq", "mate_unmapped",
                   "overlapping_mate"):
        assert r[f"excluded_{reason}"] == 1, reason
    assert r["excluded_not_spanning"] == 2


def test_large_deletion_spanning_window_is_indel(tmp_path):
    c, s = _deletion_read(300, 380, 300)   # deletes 380..680, read spans the window through the deletion
    r = _count(tmp_path, [("big", 300, c, s)])
    assert r["indel"] == 1


@pytest.mark.parametrize("cut_end,expected", [(500, (495, 505)), (505, (495, 510))])
def test_staggered_cut_window_covers_both_nicks(tmp_path, cut_end, expected):
    c, s = _deletion_read(420, 506, 2)      # deletion right of the first nick window, inside the staggered one
    r = _count(tmp_path, [("r", 420, c, s)], site=_site(500, cut_end))
    assert (r["window_start"], r["window_end"]) == expected
    assert r["indel"] == (1 if cut_end == 505 else 0)


# ---------------------------------------------------------------------------------------------- bad input


def test_contig_length_mismatch_names_build(tmp_path):
    with pytest.raises(InputError, match=r"contig 'chr1' is 249250621 bp .* 248956422 bp .*hg19 vs hg38"):
        check_contigs({"chr1": 249250621}, {"chr1": 248956422}, bam="x.bam", reference="hg38.fa")


def test_chr_prefix_mismatch(tmp_path):
    with pytest.raises(InputError, match="'chr' prefix"):
        check_contigs({"1": 100, "2": 50}, {"chr1": 100, "chr2": 50}, bam="x.bam", reference="ref.fa")


def test_bam_header_vs_reference_checked_before_counting(tmp_path):
    fa = _write_ref(tmp_path)
    bam = _bam(tmp_path, [("a", 450, "100M", _ref_read(450))], lengths={"chr1": 2500})
    with pytest.raises(InputError, match="chr1.*2500 bp"):
        quantify_bam(bam, fa, [_site()], sample="S")


def test_missing_index_and_truncated_bam(tmp_path):
    fa = _write_ref(tmp_path)
    bam = _bam(tmp_path, [("a", 450, "100M", _ref_read(450))])
    Path(str(bam) + ".bai").unlink()
    with pytest.raises(InputError, match="index"):
        quantify_bam(bam, fa, [_site()], sample="S")
    data = bam.read_bytes()
    trunc = tmp_path / "t.bam"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        quantify_bam(trunc, fa, [_site()], sample="S")


def test_site_on_absent_contig(tmp_path):
    fa = _write_ref(tmp_path)
    bam = _bam(tmp_path, [("a", 450, "100M", _ref_read(450))])
    with pytest.raises(InputError, match="site X is on contig 'chrUn', which is absent"):
        quantify_bam(bam, fa, [Site("X", "chrUn", 10, 33, "+", 27, 27)], sample="S")


@pytest.mark.parametrize("rows,match", [
    ("E\tedited\tmissing.bam\tC\nC\tcontrol\t{bam}\t\n", "file 'missing.bam' does not exist"),
    ("E\tedited\t{bam}\tNOPE\nC\tcontrol\t{bam}\t\n", "control 'NOPE' of E does not exist"),
    ("E\tedited\t{bam}\tE2\nE2\tedited\t{bam}\tC\nC\tcontrol\t{bam}\t\n", "does not have role 'control'"),
    ("E\tedited\t{bam}\t\nC\tcontrol\t{bam}\t\n", "has no control"),
])
def test_sample_sheet_errors(tmp_path, rows, match):
    bam = tmp_path / "x.bam"
    bam.write_bytes(b"")
    sheet = tmp_path / "s.tsv"
    sheet.write_text("sample\trole\tfile\tcontrol\n" + rows.format(bam=bam))
    with pytest.raises(InputError, match=match):
        read_wgs_sheet(sheet)


def test_nominated_sites_merge_by_window_overlap(tmp_path):
    sites = tmp_path / "sites.tsv"
    sites.write_text("site_id\tchrom\tstart\tend\tstrand\tcut_start\tcut_end\nA\tchr1\t483\t506\t+\t500\t500\n")
    bed = tmp_path / "g.bed"
    bed.write_text("chr1\t498\t520\tgs1\nchr1\t900\t930\tgs2\n")
    out = load_sites(sites, [f"GUIDE-seq={bed}"], flank=5)
    assert [(s.site_id, s.source) for s in out] == [("A", "predicted;GUIDE-seq"), ("gs2", "GUIDE-seq")]
    assert out[1].window(5) == (895, 935)
    bad = tmp_path / "bad.tsv"
    bad.write_text("site_id\tchrom\tstart\tend\tstrand\tcut_start\tcut_end\nA\tchr1\tx\t506\t+\t500\t500\n")
    with pytest.raises(InputError, match="line 2.*start: expected an integer"):
        read_sites(bad)


@pytest.mark.parametrize("strand", ["+", "-"])
def test_base_editor_conversions_in_bam_reads(tmp_path, strand):
    """CBE on WGS-style reads: editor-type substitutions inside protospacer 4-8 are events, both strands;
    other substitutions and conversions outside the window are not (truth by construction)."""
    from cgtsafe.sitecheck.editors import get_editor

    # protospacer position p <-> reference index CUT + p - 18 (+ strand) or CUT + 17 - p (- strand)
    def idx(p):
        return CUT + p - 18 if strand == "+" else CUT + 17 - p

    ref_b, alt_b = ("C", "T") if strand == "+" else ("G", "A")
    global REF
    saved = REF
    ref = list(REF)
    for p in (5, 7, 10):
        ref[idx(p)] = ref_b
    ref[idx(6)] = "A" if strand == "+" else "T"
    REF = "".join(ref)
    try:
        base = _ref_read(440, 120)
        specs = [
            ("conv5", 440, "120M", _sub(base, idx(5) - 440, alt_b)),          # target conversion
            ("conv57", 440, "120M", _sub(_sub(base, idx(5) - 440, alt_b), idx(7) - 440, alt_b)),  # + bystander
            ("conv10", 440, "120M", _sub(base, idx(10) - 440, alt_b)),        # outside the window 4-8
            ("other", 440, "120M", _sub(base, idx(5) - 440, "G" if strand == "+" else "C")),  # C>G: not editor
            ("ok", 440, "120M", base),
        ]
        site = Site("S1", "chr1", CUT - 17 if strand == "+" else CUT - 6, CUT + 6 if strand == "+" else CUT + 17,
                    strand, CUT, CUT)
        r = _count(tmp_path, specs, site=site, editor=get_editor("BE4max"))
        n = _count(tmp_path, specs, site=site)
    finally:
        REF = saved
    assert r["events"] == 2 and r["editor_substitution"] == 2
    assert r["conversions"] == "C5:2;C7:1"
    assert r["counted_event"].startswith("indel or C>T at protospacer 4-8")
    # the window grows to cover the activity window; the nuclease view counts none of them as events
    assert r["window_start"] <= min(idx(4), idx(8)) and r["window_end"] > max(idx(4), idx(8))
    assert n["events"] == 0 and n["counted_event"] == "indel"
