"""The genome-wide counter (htslib-decoded raw BAM records counted by a numba kernel) against an independent
brute-force pileup written here in pure Python over pysam's records.

Random alignments exercise what a 30x WGS file holds and more: soft and hard clips, insertions, deletions,
reference skips (N), =/X operations, N and IUPAC bases and '=' in reads, low base qualities, reads without
qualities, low MAPQ, secondary / supplementary / duplicate / QC-fail / unmapped records, overlapping and
non-overlapping mates (equal starts included, mates filtered out, mates on another contig), a reference
with N runs and soft-masked (lower-case) bases, a CIGAR of more than 65,535 operations (stored in the
``CG`` tag), BAM and CRAM input, and windows that cut through reads.

The reference pileup pairs mates by name (not by position as the kernel does) and applies the documented
rule: the mate that starts later (for equal starts: the one later in the file) contributes nothing where the
first mate already covers (from the first mate's start to its reference end); the fragment spans both.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pysam
import pytest

from cgtsafe.sitecheck import genomewide as gw
from cgtsafe.sitecheck.genomewide_count import RegionDecoder

SKIP = 0x4 | 0x100 | 0x200 | 0x400 | 0x800


def _reference(rng, n: int) -> str:
    seq = list("".join(rng.choice(list("ACGT"), n)))
    for s in (700, 2300):  # N runs
        seq[s:s + 40] = "N" * 40
    for s in (1200, 3100):  # soft-masked stretches
        seq[s:s + 80] = [c.lower() for c in seq[s:s + 80]]
    seq[1600] = "R"  # an IUPAC code in the reference
    return "".join(seq)


def _random_cigar(rng, qlen_target: int) -> list[tuple[int, int]]:
    ops: list[tuple[int, int]] = []
    if rng.random() < 0.1:
        ops.append((5, int(rng.integers(1, 20))))  # H
    if rng.random() < 0.3:
        ops.append((4, int(rng.integers(1, 15))))  # S
    q = sum(n for o, n in ops if o == 4)
    while q < qlen_target:
        m = int(rng.integers(5, 60))
        op = 0 if rng.random() < 0.8 else int(rng.choice([7, 8]))
        ops.append((op, m))
        q += m
        r = rng.random()
        if r < 0.12:
            n = int(rng.integers(1, 6))
            ops.append((1, n))
            q += n
        elif r < 0.24:
            ops.append((2, int(rng.integers(1, 8))))
        elif r < 0.27:
            ops.append((3, int(rng.integers(20, 200))))  # N (spliced)
    ops.append((0, int(rng.integers(3, 20))))
    if rng.random() < 0.3:
        ops.append((4, int(rng.integers(1, 15))))
    if rng.random() < 0.1:
        ops.append((5, int(rng.integers(1, 20))))
    return ops


def _read_seq(rng, ref: str, start: int, ops) -> tuple[str, list[int]]:
    seq, rp = [], start
    for op, n in ops:
        if op in (0, 7, 8):
            for x in range(rp, rp + n):
                b = ref[x].upper() if x < len(ref) else "A"
                r = rng.random()
                if r < 0.03:
                    b = str(rng.choice(list("ACGT")))
                elif r < 0.035:
                    b = "N"
                elif r < 0.037:
                    b = str(rng.choice(list("RY=")))
                seq.append(b if b in "ACGTNRY=" else "N")
            rp += n
        elif op in (1, 4):
            seq += list(rng.choice(list("ACGTN"), n))
        elif op in (2, 3):
            rp += n
    qual = [int(q) for q in rng.choice([2, 11, 19, 20, 21, 30, 37, 41], len(seq), p=[.04, .06, .05, .05, .05, .25,
                                                                                        .4, .1])]
    return "".join(seq), qual


def _ref_end(start: int, ops) -> int:
    return start + sum(n for o, n in ops if o in (0, 2, 3, 7, 8))


def _simulate(path: Path, rng, ref: dict[str, str], n_frag: int, *, long_cigar: bool = False) -> Path:
    """Random fragments on c1 (plus a few records whose mate is on c2) -> sorted, indexed BAM."""
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": k, "LN": len(v)} for k, v in ref.items()]}
    c1 = ref["c1"]
    recs = []
    used: set = set()  # (start, mate start) of pairs: unique, so that pairing by name and by position agree
    for i in range(n_frag):
        s1 = int(rng.integers(0, len(c1) - 600))
        ops1 = _random_cigar(rng, int(rng.integers(60, 160)))
        kind = rng.random()
        if kind < 0.15:  # single-end / unpaired
            if _ref_end(s1, ops1) >= len(c1):
                continue
            seq, qual = _read_seq(rng, c1, s1, ops1)
            flag = int(rng.choice([0, 0, 0, 0x10, 0x100, 0x400, 0x200, 0x800]))
            recs.append(dict(name=f"u{i}", flag=flag, tid=0, pos=s1, ops=ops1, seq=seq, qual=qual, mtid=-1, mpos=-1,
                             mapq=int(rng.choice([60, 60, 60, 10, 0]))))
            continue
        e1 = _ref_end(s1, ops1)
        if kind < 0.25:
            s2 = s1  # equal starts
        elif kind < 0.75:
            s2 = int(rng.integers(s1, max(s1 + 1, e1)))  # overlapping mates
        else:
            s2 = int(rng.integers(e1, e1 + 300))  # apart
        ops2 = _random_cigar(rng, int(rng.integers(60, 160)))
        if max(e1, _ref_end(s2, ops2)) >= len(c1) or (s1, s2) in used:
            continue
        used.add((s1, s2))
        first_r1 = rng.random() < 0.5
        for which, (s, ops, ms) in enumerate(((s1, ops1, s2), (s2, ops2, s1))):
            seq, qual = _read_seq(rng, c1, s, ops)
            is_r1 = (which == 0) == first_r1
            flag = 0x1 | 0x2 | (0x40 if is_r1 else 0x80) | (0x10 if which else 0x20)
            r = rng.random()
            if r < 0.03:
                flag |= 0x400
            elif r < 0.05:
                flag |= 0x8  # mate unmapped (its record is still here: its fields say mapped)
            mapq = 60 if rng.random() < 0.93 else 5
            mtid = 0
            if rng.random() < 0.02:
                mtid = 1  # mate on the other contig
            recs.append(dict(name=f"p{i}", flag=flag, tid=0, pos=s, ops=ops, seq=seq, qual=qual, mtid=mtid, mpos=ms,
                             mapq=mapq))
    # unmapped records placed at a mate's position, reads without qualities
    for i in range(20):
        s = int(rng.integers(0, len(c1) - 200))
        seq = "".join(rng.choice(list("ACGT"), 100))
        recs.append(dict(name=f"x{i}", flag=0x4, tid=0, pos=s, ops=None, seq=seq, qual=[30] * 100, mtid=0, mpos=s,
                         mapq=0))
        ops = [(0, 100)]
        seq, _ = _read_seq(rng, c1, s, ops)
        recs.append(dict(name=f"q{i}", flag=0, tid=0, pos=s, ops=ops, seq=seq, qual=None, mtid=-1, mpos=-1, mapq=60))
    if long_cigar:  # more than 65,535 operations: htslib keeps the CIGAR in the CG tag of a BAM
        ops = [(0, 1), (2, 1)] * 33_000 + [(0, 1)]
        s = 50
        seq, qual = _read_seq(rng, c1, s, ops)
        recs.append(dict(name="long", flag=0, tid=0, pos=s, ops=ops, seq=seq, qual=qual, mtid=-1, mpos=-1, mapq=60))
    recs.sort(key=lambda r: r["pos"])  # stable: file order among equal starts as generated
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for r in recs:
            a = pysam.AlignedSegment(out.header)
            a.query_name, a.flag, a.reference_id, a.reference_start = r["name"], r["flag"], r["tid"], r["pos"]
            a.mapping_quality = r["mapq"]
            if r["ops"] is not None:
                a.cigartuples = r["ops"]
            a.query_sequence = r["seq"]
            if r["qual"] is not None:
                a.query_qualities = pysam.qualitystring_to_array("".join(chr(q + 33) for q in r["qual"]))
            a.next_reference_id, a.next_reference_start = r["mtid"], r["mpos"]
            out.write(a)
    pysam.index(str(path))
    return path


def _brute(path: Path, ref_path: Path, contig: str, start: int, end: int, params: gw.Params, core=None):
    """Pure-Python pileup of ``[start, end)``: (bases, depth, indel key -> reads, indel observations,
    fragment spans, records in core)."""
    ref = gw.Reference(ref_path)
    L = end - start
    bases = np.zeros((L, 4), dtype=np.int64)
    c0, c1 = core or (start, end)
    kept, n_core = [], 0
    with pysam.AlignmentFile(str(path), reference_filename=str(ref_path)) as af:
        tid = af.get_tid(contig)
        for r in af.fetch(contig, start, end):
            if not r.flag & 0x4 and c0 <= r.reference_start < c1:
                n_core += 1
            if r.flag & SKIP or r.mapping_quality < params.min_mapq:
                continue
            if r.query_sequence is None or r.query_qualities is None:
                continue
            kept.append(r)
    # pair overlapping mates by name: the later mate (file order among equal starts) is the second
    by_name: dict[tuple, list[int]] = {}
    for i, r in enumerate(kept):
        by_name.setdefault((r.query_name, bool(r.flag & 0x1)), []).append(i)
    second_of: dict[int, int] = {}  # index of a later mate -> index of its first mate
    for (name, paired), idx in by_name.items():
        if not paired or len(idx) != 2:
            continue
        i, j = idx
        a, b = kept[i], kept[j]
        ok = all(x.flag & 0x9 == 0x1 and x.next_reference_id == tid for x in (a, b))
        ok = ok and a.reference_start <= b.reference_start < a.reference_end
        ok = ok and b.next_reference_start == a.reference_start and a.next_reference_start == b.reference_start
        ok = ok and (a.flag & 0xC0) != (b.flag & 0xC0)
        if ok:
            second_of[j] = i
    frag_of: dict[int, int] = {}
    spans: list[list[int]] = []
    indels: Counter = Counter()
    obs = []
    codes = {"A": 0, "C": 1, "G": 2, "T": 3}
    rseq = ref.fetch_bytes(contig, max(0, start - 1000), end + 1000)
    roff = max(0, start - 1000)
    for i, r in enumerate(kept):
        if i in second_of:
            frag = frag_of[second_of[i]]
            clip = kept[second_of[i]].reference_end
        else:
            frag = len(spans)
            spans.append([r.reference_start, r.reference_start])
            clip = -1
        frag_of[i] = frag
        seq, qual = r.query_sequence, r.query_qualities
        qp, rp = 0, r.reference_start
        for op, n in r.cigartuples:
            if op in (0, 7, 8):
                for k in range(n):
                    x = rp + k
                    if start <= x < end and x >= clip and qual[qp + k] >= params.min_baseq and seq[qp + k] in codes:
                        bases[x - start, codes[seq[qp + k]]] += 1
                qp += n
                rp += n
            elif op in (1, 2):
                if start <= rp < end and rp >= clip:
                    if op == 1:
                        key = gw.normalize_indel(rseq, roff, "I", rp, seq[qp:qp + n].upper())
                        obs.append((frag, key[1], key[1] + 1, key))
                    else:
                        key = gw.normalize_indel(rseq, roff, "D", rp, n)
                        obs.append((frag, key[1], key[1] + n, key))
                    indels[key] += 1
                if op == 1:
                    qp += n
                else:
                    rp += n
            elif op == 3:
                rp += n
            elif op == 4:
                qp += n
        spans[frag][1] = max(spans[frag][1], rp)
    depth = np.zeros(L, dtype=np.int64)
    for s, e in spans:
        depth[max(s, start) - start:max(min(e, end), start) - start] += 1
    return bases, depth, dict(indels), obs, spans, n_core


def _compare(got: gw.RegionCounts, want) -> None:
    bases, depth, indels, obs, spans, n_core = want
    np.testing.assert_array_equal(got.bases, bases)
    np.testing.assert_array_equal(got.depth, depth)
    assert got.indels == indels
    assert sorted(got.indel_obs) == sorted(obs)
    assert got.n_reads == len(spans)
    assert list(zip(got.read_start.tolist(), got.read_end.tolist())) == [tuple(s) for s in spans]
    assert got.records_in_core == n_core


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    d = tmp_path_factory.mktemp("gwcount")
    rng = np.random.default_rng(2026)
    ref = {"c1": _reference(rng, 4000), "c2": "".join(rng.choice(list("ACGT"), 1500))}
    (d / "ref.fa").write_text("".join(f">{k}\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                                      for k, v in ref.items()))
    pysam.faidx(str(d / "ref.fa"))
    bam = _simulate(d / "sim.bam", rng, ref, 700)
    _simulate(d / "ctl.bam", rng, ref, 700)
    cram = d / "sim.cram"
    pysam.view("-C", "-T", str(d / "ref.fa"), "-o", str(cram), str(bam), catch_stdout=False)
    pysam.index(str(cram))
    return d, bam, cram


@pytest.mark.parametrize("window", [(0, 4000), (0, 1000), (650, 1777), (1590, 1610), (3333, 4000)])
@pytest.mark.parametrize("params", [gw.Params(), gw.Params(min_mapq=0, min_baseq=0), gw.Params(min_baseq=30)],
                         ids=["default", "no-thresholds", "q30"])
def test_counts_equal_brute_force_pileup(sim, window, params):
    d, bam, cram = sim
    s, e = window
    core = (s + 10, e - 10) if e - s > 100 else None
    want = _brute(bam, d / "ref.fa", "c1", s, e, params, core)
    assert want[0].sum() > 0 and len(want[2]) > 0 or e - s < 100  # the window holds bases and indels
    got = gw.count_region(bam, gw.Reference(d / "ref.fa"), "c1", s, e, params, core=core)
    _compare(got, want)


def test_cram_counts_equal_brute_force_pileup(sim):
    """CRAM input (decoded by htslib with the counting fields only) against the same pileup of the CRAM's records."""
    d, _, cram = sim
    ref = gw.Reference(d / "ref.fa")
    with RegionDecoder(cram, ref) as dec:  # one decoder, several regions (as a scan uses it)
        for s, e in ((0, 4000), (1000, 2500), (2400, 2410)):
            want = _brute(cram, d / "ref.fa", "c1", s, e, gw.Params())
            _compare(gw.count_region(dec, ref, "c1", s, e, gw.Params()), want)


def test_compressed_blocks_are_inflated(sim):
    """An htslib that compresses its ``-u`` output (not level-0 blocks) is inflated, not misread."""
    d, bam, _ = sim
    ref = gw.Reference(d / "ref.fa")
    with RegionDecoder(bam, ref, direct=False) as dec:
        dec._mode = "-b"  # the samtools view path (direct=False) writing compressed blocks
        got = gw.count_region(dec, ref, "c1", 500, 2500, gw.Params())
    _compare(got, _brute(bam, d / "ref.fa", "c1", 500, 2500, gw.Params()))


def test_cigar_of_more_than_65535_operations(tmp_path):
    """htslib stores such a CIGAR in the CG tag of a BAM record (placeholder kSmN): counted like any other."""
    rng = np.random.default_rng(9)
    ref = {"c1": "".join(rng.choice(list("ACGT"), 70_000)), "c2": "ACGT" * 100}
    (tmp_path / "ref.fa").write_text("".join(f">{k}\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                                             for k, v in ref.items()))
    pysam.faidx(str(tmp_path / "ref.fa"))
    bam = _simulate(tmp_path / "long.bam", rng, ref, 30, long_cigar=True)
    with pysam.AlignmentFile(str(bam)) as af:
        assert max(len(r.cigartuples or []) for r in af) > 65_535
    raw = tmp_path / "raw.bam"
    pysam.view("-u", "-o", str(raw), str(bam), catch_stdout=False)
    assert b"CG" in pysam.BGZFile(str(raw)).read()  # the BAM record holds the placeholder and the CG tag
    for s, e in ((0, 5000), (30_000, 40_000)):
        want = _brute(bam, tmp_path / "ref.fa", "c1", s, e, gw.Params())
        _compare(gw.count_region(bam, gw.Reference(tmp_path / "ref.fa"), "c1", s, e, gw.Params()), want)
    assert want[1].max() >= 1  # the long read covers the second window


def test_chunked_scan_equals_one_region(sim):
    """Chunks (counted with their overlap, called on their core) give the candidates of one whole-contig region."""
    d, bam, _ = sim
    params = gw.Params(min_depth=3, min_control_depth=3, min_alt_reads=2, min_vaf=0.02)
    ctl = d / "ctl.bam"
    whole, st_w = gw.scan(bam, ctl, d / "ref.fa", params=gw.Params(**{**params.__dict__, "chunk_size": 4000}))
    parts, st_p = gw.scan(bam, ctl, d / "ref.fa", params=gw.Params(**{**params.__dict__, "chunk_size": 1000}))
    assert len(whole) > 0 and whole.equals(parts)
    for k in ("callable_bp", "median_edited_depth", "median_control_depth", "shared_snv", "shared_indel_loci"):
        assert st_w[k] == st_p[k], k
    assert st_w["callable_bp"] > 0
