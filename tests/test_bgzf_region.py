"""The BAM region reader (cgtsafe.io.bgzf_region, cgtsafe.io.bamindex) against htslib's region query.

The reference is pysam's ``AlignmentFile.fetch(contig, start, end)`` (htslib's index and overlap rule): for
many random regions and every kind of edge (region borders through reads, contig ends, empty regions, the
last contig, unmapped records placed at a position, records without CIGAR or with a CIGAR of no reference
length, reads with deletions/reference skips of several kb that fall into higher-level bins, a CIGAR of more
than 65,535 operations kept in the CG tag, contig names with ':') the reader's records must be the same
records in the same order (query name, position, flag), with a BAI, a CSI and a CSI of another bin size.
The genome-wide counter's counts through the reader must equal those through htslib's decoder.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pysam
import pytest

from cgtsafe.errors import InputError
from cgtsafe.io.bamindex import read_index
from cgtsafe.io.bgzf_region import BamRegionReader, open_region_reader
from cgtsafe.sitecheck import genomewide as gw
from cgtsafe.sitecheck.genomewide_count import RegionDecoder

CONTIGS = {"c:1": 120_000, "c2": 3_000, "void": 5_000, "HLA-A*01:01": 40_000, "last": 90_000}  # void: no reads


def _cigar(rng, kind: str) -> list[tuple[int, int]]:
    if kind == "long":  # more than 65,535 operations (htslib stores it in the CG tag)
        return [(0, 1), (2, 1)] * 33_000 + [(0, 1)]
    if kind == "skip":  # several kb of reference skip: a bin of a higher level
        return [(0, 50), (3, int(rng.integers(2_000, 40_000))), (0, 50)]
    if kind == "noref":  # no reference length (htslib: end = start + 1)
        return [(4, 30), (1, 20)]
    ops = []
    if rng.random() < 0.2:
        ops.append((4, int(rng.integers(1, 20))))
    q = 0
    while q < 100:
        m = int(rng.integers(5, 60))
        ops.append((0, m))
        q += m
        r = rng.random()
        if r < 0.15:
            ops.append((1, int(rng.integers(1, 5))))
        elif r < 0.3:
            ops.append((2, int(rng.integers(1, 30))))
    return ops


def _write(path: Path, ref: dict[str, str], rng) -> Path:
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": k, "LN": len(v)} for k, v in ref.items()]}
    recs = []
    for tid, (name, seq) in enumerate(ref.items()):
        L = len(seq)
        if name == "void":
            continue
        n = L // 12
        for i in range(n):
            r = rng.random()
            kind = "skip" if r < 0.01 else "noref" if r < 0.02 else "plain"
            ops = _cigar(rng, kind)
            rl = sum(x for o, x in ops if o in (0, 2, 3, 7, 8))
            s = int(rng.integers(0, max(1, L - max(rl, 1))))
            qlen = sum(x for o, x in ops if o in (0, 1, 4, 7, 8))
            flag = int(rng.choice([0, 0, 0x10, 0x400, 0x100, 0x1 | 0x40 | 0x20]))
            recs.append((tid, s, f"{name}_r{i}", flag, ops, qlen))
        for i in range(30):  # unmapped records placed at a position (mate's), no CIGAR
            recs.append((tid, int(rng.integers(0, L)), f"{name}_u{i}", 0x4 | 0x1, None, 80))
        for i in range(5):  # mapped without CIGAR
            recs.append((tid, int(rng.integers(0, L)), f"{name}_n{i}", 0, None, 50))
        if L >= 70_000:
            recs.append((tid, 1_000, f"{name}_long", 0, _cigar(rng, "long"), 33_001))
        recs.append((tid, L - 1, f"{name}_end", 0, [(0, 1)], 1))  # at the contig's last base
    recs.sort(key=lambda r: (r[0], r[1]))
    unplaced = [(-1, -1, f"z{i}", 0x4, None, 60) for i in range(40)]
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for tid, s, name, flag, ops, qlen in recs + unplaced:
            a = pysam.AlignedSegment(out.header)
            a.query_name, a.flag, a.reference_id, a.reference_start = name, flag, tid, s
            a.mapping_quality = 60 if tid >= 0 else 0
            if ops is not None:
                a.cigartuples = ops
            a.query_sequence = "".join(rng.choice(list("ACGT"), qlen))
            a.query_qualities = pysam.qualitystring_to_array("".join(chr(int(q) + 33)
                                                                     for q in rng.integers(2, 41, qlen)))
            a.set_tag("RG", "g1")
            if tid >= 0 and flag & 0x1:
                a.next_reference_id, a.next_reference_start = tid, s
            out.write(a)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("bgzfregion")
    rng = np.random.default_rng(11)
    ref = {k: "".join(rng.choice(list("ACGT"), n)) for k, n in CONTIGS.items()}
    (d / "ref.fa").write_text("".join(f">{k}\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                                      for k, v in ref.items()))
    pysam.faidx(str(d / "ref.fa"))
    bam = _write(d / "a.bam", ref, rng)
    pysam.index(str(bam))
    pysam.index("-c", str(bam), str(d / "a.csi"))
    pysam.index("-c", "-m", "12", str(bam), str(d / "a.m12.csi"))
    with pysam.AlignmentFile(str(bam)) as af:
        assert any(r.cigartuples and len(r.cigartuples) > 65_535 for r in af.fetch("c:1", 1_000, 1_001))
    return d, bam


def _records(buf: np.ndarray, n: int, header_len: int) -> list[tuple[str, int, int]]:
    b = buf[:n].tobytes()
    assert b[:header_len] == buf[:header_len].tobytes() and b[:4] == b"BAM\1"
    out, p = [], header_len
    while p < n:
        (bs,) = struct.unpack_from("<i", b, p)
        pos = struct.unpack_from("<i", b, p + 8)[0]
        ln = b[p + 12]
        flag = struct.unpack_from("<H", b, p + 18)[0]
        out.append((b[p + 36:p + 35 + ln].decode(), pos, flag))
        p += 4 + bs
    assert p == n
    return out


def _regions(rng, lengths: dict[str, int], n: int) -> list[tuple[str, int, int]]:
    out = []
    for c, L in lengths.items():  # contig ends, single bases, whole contigs, 16-kb window borders
        out += [(c, 0, 1), (c, L - 1, L), (c, 0, L), (c, max(0, L - 500), L), (c, 0, min(L, 16_384)),
                (c, min(L - 1, 16_383), min(L, 16_385))]
    names = list(lengths)
    for _ in range(n):
        c = names[int(rng.integers(len(names)))]
        L = lengths[c]
        s = int(rng.integers(0, L))
        e = min(L, s + int(rng.choice([1, 10, 150, 2_000, 20_000, 70_000])))
        out.append((c, s, e))
    return out


@pytest.mark.parametrize("index,gap", [("a.bam.bai", 1 << 16), ("a.bam.bai", 0), ("a.csi", 1 << 16),
                                       ("a.m12.csi", 0)])
def test_records_equal_htslib_region_query(data, index, gap):
    """``gap`` 0: every chunk range read on its own (as htslib seeks); 64 KiB: neighbouring ranges merged."""
    d, bam = data
    rng = np.random.default_rng(5)
    with pysam.AlignmentFile(str(bam), index_filename=str(d / index)) as af, \
            BamRegionReader(bam, d / index) as rd:
        rd.merge_gap = gap
        assert rd.index.kind == index[-3:]
        lengths = dict(zip(af.references, af.lengths))
        assert rd.tids == {c: i for i, c in enumerate(af.references)}
        n_nonempty = n_empty = 0
        for c, s, e in _regions(rng, lengths, 150):
            want = [(r.query_name, r.reference_start, r.flag) for r in af.fetch(c, s, e)]
            buf, n = rd.region(c, s, e)
            got = _records(buf, n, len(rd.header))
            assert got == want, (c, s, e)
            n_nonempty += bool(want)
            n_empty += not want
        assert n_nonempty > 100 and n_empty > 5
        # the edge kinds were met: placed unmapped, long CIGAR, no reference length
        allrec = [x for c in lengths for x in _records(*rd.region(c, 0, lengths[c]), len(rd.header))]
        assert any(f & 0x4 for _, _, f in allrec) and any(n.endswith("_long") for n, _, _ in allrec)
        assert any("_n" in n for n, _, _ in allrec)


def test_threads_give_the_same_bytes(data):
    d, bam = data
    with BamRegionReader(bam) as one, BamRegionReader(bam, threads=2) as two:
        for c, s, e in (("c:1", 0, 120_000), ("last", 5_000, 60_000)):
            b1, n1 = one.region(c, s, e)
            b1 = b1[:n1].copy()
            b2, n2 = two.region(c, s, e)
            assert n1 == n2 and np.array_equal(b1, b2[:n2])


class _Via(RegionDecoder):
    """count_region takes a RegionDecoder: this one hands over the reader's buffers."""

    def __init__(self, reader):
        self._r, self.tids, self.path = reader, reader.tids, reader.path

    def region(self, contig, start, end):
        return self._r.region(contig, start, end)

    def close(self):
        self._r.close()


@pytest.mark.parametrize("params", [gw.Params(), gw.Params(min_mapq=0, min_baseq=0)], ids=["default", "none"])
def test_counts_equal_htslib_decoder(data, params):
    d, bam = data
    ref = gw.Reference(d / "ref.fa")
    rng = np.random.default_rng(8)
    regions = [("c:1", 0, 120_000), ("HLA-A*01:01", 39_000, 40_000), ("c2", 0, 3_000), ("last", 89_990, 90_000),
               ("void", 0, 5_000)]
    regions += _regions(rng, ref.lengths, 20)[-20:]
    with RegionDecoder(bam, ref) as hts, _Via(BamRegionReader(bam)) as mine:
        for c, s, e in regions:
            a = gw.count_region(hts, ref, c, s, e, params)
            b = gw.count_region(mine, ref, c, s, e, params)
            assert np.array_equal(a.bases, b.bases) and np.array_equal(a.depth, b.depth), (c, s, e)
            assert a.indels == b.indels and a.indel_obs == b.indel_obs and a.n_reads == b.n_reads
            assert np.array_equal(a.read_start, b.read_start) and np.array_equal(a.read_end, b.read_end)
            assert a.records_in_core == b.records_in_core
        assert gw.count_region(mine, ref, "c:1", 0, 120_000, params).depth.max() > 0


def _block_offsets(path: Path) -> list[int]:
    raw = path.read_bytes()
    offs, p = [], 0
    while p < len(raw):
        offs.append(p)
        p += struct.unpack_from("<H", raw, p + 16)[0] + 1
    return offs


@pytest.mark.parametrize("damage", ["deflate", "header", "crc", "truncated"])
def test_damaged_block_is_one_line(data, tmp_path, damage):
    d, bam = data
    bad = tmp_path / "bad.bam"
    shutil.copy(bam, bad)
    shutil.copy(str(bam) + ".bai", str(bad) + ".bai")
    raw = bytearray(bad.read_bytes())
    offs = _block_offsets(bad)
    o = offs[len(offs) // 3]
    if damage == "deflate":
        raw[o + 30:o + 60] = bytes(30)
    elif damage == "header":
        raw[o] = 0x1e
    elif damage == "crc":
        nxt = offs[len(offs) // 3 + 1]
        raw[nxt - 8] ^= 0xFF
    else:
        raw = raw[:o + 100]
    bad.write_bytes(bytes(raw))
    with BamRegionReader(bad) as rd:
        msgs = []
        for c, L in CONTIGS.items():
            try:
                rd.region(c, 0, L)
            except InputError as exc:
                msgs.append(str(exc))
    assert msgs, "the damaged block went unnoticed"
    for m in msgs:
        assert "\n" not in m and m.startswith(f"{bad}: cannot read alignments in ") and (
            "BGZF block" in m or "outside the file" in m), m


def test_open_region_reader_selection(data, tmp_path):
    d, bam = data
    with open_region_reader(bam, None) as rd:
        assert isinstance(rd, BamRegionReader) and rd.index.kind == "bai"
    only_csi = tmp_path / "b.bam"
    shutil.copy(bam, only_csi)
    assert open_region_reader(only_csi, None) is None  # no index: the caller keeps htslib's decoder
    shutil.copy(d / "a.csi", str(only_csi) + ".csi")
    with open_region_reader(only_csi, None) as rd:
        assert rd.index.kind == "csi"
    assert open_region_reader(d / "ref.fa", None) is None
    cram = tmp_path / "a.cram"  # CRAM: htslib's decoder (only the name decides)
    cram.write_bytes(b"CRAM")
    (tmp_path / "a.cram.crai").write_bytes(b"")
    assert open_region_reader(cram, d / "ref.fa") is None


def test_index_parser_matches_htslib_statistics(data):
    """Per-contig mapped/unmapped counts of the BAI's pseudo-bin equal pysam's index statistics, and every
    chunk's start lies before its end."""
    d, bam = data
    with pysam.AlignmentFile(str(bam)) as af:
        want = [(s.mapped, s.unmapped) for s in af.get_index_statistics()]
    assert sum(u for _, u in want) == 30 * (len(CONTIGS) - 1)
    for name in ("a.bam.bai", "a.csi", "a.m12.csi"):
        idx = read_index(d / name)
        assert [(r.mapped or 0, r.unmapped or 0) for r in idx.refs] == want  # no pseudo-bin without records
        assert idx.n_no_coor == 40
        for _tid, _b, beg, end in idx.last_chunks():
            assert beg < end
    idx = read_index(d / "a.m12.csi")
    assert (idx.min_shift, idx.depth) != (14, 5)


def test_garbled_index_is_one_line(data, tmp_path):
    d, bam = data
    for name, content in (("cut.bai", (d / "a.bam.bai").read_bytes()[:100]), ("junk.bai", b"hello world")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError, match=f"index {name} cannot be read"):
            read_index(tmp_path / name)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["Both.Cas9.fastq.hg38.bam", "Both.Cas9.fastq.smallGenome.bam"])
def test_published_bam_equals_htslib(name):
    """CRISPResso2's published test BAMs (written and indexed by other tools; the hg38 one has 195 contigs and
    the bins of a 248-Mb contig): the same records as htslib for regions around every read and random ones; the
    index check passes their own index."""
    from conftest import shared_file

    from cgtsafe.io.alignment import check_index_belongs

    bam = shared_file("reads", "crispresso2", name)
    rng = np.random.default_rng(2)
    with pysam.AlignmentFile(str(bam)) as af, BamRegionReader(bam) as rd:
        check_index_belongs(af, bam)
        lengths = dict(zip(af.references, af.lengths))
        starts = [(r.reference_name, r.reference_start) for r in af.fetch(until_eof=True) if r.reference_id >= 0]
        assert starts
        regions = []
        for c, s in [starts[int(i)] for i in rng.integers(0, len(starts), 40)]:
            w = int(rng.choice([1, 50, 300, 5_000]))
            regions.append((c, max(0, s - w), min(lengths[c], s + w)))
        regions += _regions(rng, {c: lengths[c] for c in sorted({c for c, _ in starts})}, 20)
        n = 0
        for c, s, e in regions:
            want = [(r.query_name, r.reference_start, r.flag) for r in af.fetch(c, s, e)]
            got = _records(*rd.region(c, s, e), len(rd.header))
            assert got == want, (c, s, e)
            n += len(want)
        assert n > 0


def test_header_over_many_blocks(tmp_path):
    """A header of 3,000 contigs and long comment lines (several BGZF blocks, more than 16 of them): names and
    records as htslib has them."""
    rng = np.random.default_rng(3)
    sq = [{"SN": f"contig_{i}:x", "LN": 1_000} for i in range(3_000)]
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": sq, "CO": ["".join(rng.choice(list("ACGT"), 5_000))
                                                                        for _ in range(300)]}
    bam = tmp_path / "h.bam"
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        for tid in (0, 1_500, 2_999):
            for s in range(0, 900, 60):
                a = pysam.AlignedSegment(out.header)
                a.query_name, a.reference_id, a.reference_start, a.cigarstring = f"r{tid}_{s}", tid, s, "50M"
                a.query_sequence = "A" * 50
                a.query_qualities = pysam.qualitystring_to_array("F" * 50)
                out.write(a)
    pysam.index(str(bam))
    assert len(_block_offsets(bam)) > 20
    with pysam.AlignmentFile(str(bam)) as af, BamRegionReader(bam) as rd:
        assert list(rd.tids) == list(af.references)
        assert len(rd.header) > 16 * 65536
        for c, s, e in (("contig_2999:x", 0, 1_000), ("contig_1500:x", 100, 200), ("contig_7:x", 0, 1_000)):
            want = [(r.query_name, r.reference_start, r.flag) for r in af.fetch(c, s, e)]
            assert _records(*rd.region(c, s, e), len(rd.header)) == want


def test_not_a_bam_or_index_of_another_header_is_one_line(data, tmp_path):
    import gzip

    d, bam = data
    plain = tmp_path / "plain.bam"
    plain.write_bytes(gzip.compress(b"BAM\1" + bytes(100)))  # gzip, not BGZF
    shutil.copy(str(bam) + ".bai", str(plain) + ".bai")
    bgzf_not_bam = tmp_path / "text.bam"
    with pysam.BGZFile(str(bgzf_not_bam), "wb") as fh:
        fh.write(b"hello, not a BAM file\n" * 100)
    shutil.copy(str(bam) + ".bai", str(bgzf_not_bam) + ".bai")
    few = tmp_path / "few.bam"  # another header (one contig) with the index of a five-contig file
    with pysam.AlignmentFile(str(few), "wb", header={"SQ": [{"SN": "c:1", "LN": 120_000}]}):
        pass
    shutil.copy(str(bam) + ".bai", str(few) + ".bai")
    for path, what in ((plain, "no valid BGZF block header at byte 0"), (bgzf_not_bam, "not a BAM file"),
                       (few, "has 5 references where the header has 1")):
        with pytest.raises(InputError) as e:
            BamRegionReader(path)
        assert "\n" not in str(e.value) and str(e.value).startswith(str(path)) and what in str(e.value), str(e.value)
