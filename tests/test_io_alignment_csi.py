"""A ``.csi`` index gets the same check as a ``.bai`` (cgtsafe.io.alignment.check_index_belongs, bins and chunks
parsed by cgtsafe.io.bamindex): a foreign or stale CSI is one line in every entry point, the right one passes."""

from __future__ import annotations

import hashlib
import os
import shutil

import numpy as np
import pysam
import pytest
from test_io_alignment import L, _all_three, _ref

from cgtsafe.errors import InputError
from cgtsafe.io import alignment as al
from cgtsafe.io.reference import ReferenceGenome
from cgtsafe.sitecheck import genomewide as gw
from cgtsafe.sitecheck.quantify import quantify_bam
from cgtsafe.sitecheck.sites import Site


def _bam(path, seqs, starts: dict[str, list[int]], m5: bool = True):
    sq = [{"SN": k, "LN": len(v), **({"M5": hashlib.md5(v.encode()).hexdigest()} if m5 else {})}
          for k, v in seqs.items()]
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": sq}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for tid, (c, st) in enumerate(starts.items()):
            for i, s in enumerate(st):
                a = pysam.AlignedSegment(out.header)
                a.query_name, a.flag, a.reference_id, a.reference_start = f"{c}_{i}", 0, tid, s
                a.mapping_quality, a.cigarstring = 60, "100M"
                a.query_sequence = seqs[c][s:s + 100]
                a.query_qualities = pysam.qualitystring_to_array("F" * 100)
                out.write(a)
    return path


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(4)
    seqs = {"c1": "".join(rng.choice(list("ACGT"), L)), "c2": "".join(rng.choice(list("ACGT"), L))}
    ref = _ref(tmp_path / "ref.fa", seqs)
    c1 = list(range(0, L - 100, 7))
    other = _bam(tmp_path / "other.bam", seqs, {"c1": c1, "c2": list(range(0, L - 100, 7))})
    # the same first contig (byte for byte), another second one: only the second contig's bins differ
    mine = _bam(tmp_path / "mine.bam", seqs, {"c1": c1, "c2": sorted(list(range(0, L - 100, 3)) * 2)})
    pysam.index("-c", str(other))
    return tmp_path, seqs, ref, mine, other


def test_foreign_csi_is_found_by_its_chunks(pair):
    d, seqs, ref, mine, other = pair
    shutil.copy(str(other) + ".csi", str(mine) + ".csi")
    os.utime(str(mine) + ".csi")  # newer than the file: the stale-index check does not see it
    idx = al._index_path(mine)
    assert idx.name == "mine.bam.csi"
    al._first_records(mine, idx, None)  # the first records agree: this check alone passes the foreign index
    with pytest.raises(InputError) as e:
        gw.scan(mine, other, ref, params=gw.Params(chunk_size=1000))
    msg = str(e.value)
    assert "\n" not in msg and "index mine.bam.csi does not belong to this file" in msg, msg
    with pytest.raises(InputError, match="index mine.bam.csi does not belong to this file"):
        quantify_bam(mine, ref, [Site("s2", "c2", 2980, 3003, "+", 2997, 2997)], sample="S")
    pysam.index("-c", str(mine))  # the right CSI: all pass
    gw.scan(mine, other, ref, params=gw.Params(chunk_size=1000))
    quantify_bam(mine, ref, [Site("s2", "c2", 2980, 3003, "+", 2997, 2997)], sample="S")
    af, _ = al.open_checked(mine, ReferenceGenome(ref))
    af.close()


def test_foreign_csi_of_another_first_contig_is_one_line_everywhere(pair):
    d, seqs, ref, mine, other = pair
    moved = _bam(d / "moved.bam", seqs, {"c1": list(range(0, L - 100, 5)), "c2": list(range(0, L - 100, 7))})
    shutil.copy(str(other) + ".csi", str(moved) + ".csi")
    os.utime(str(moved) + ".csi")
    msgs = _all_three(moved, ref, d)
    assert all("index moved.bam.csi does not belong to this file" in m for m in msgs), msgs


def test_foreign_csi_without_m5_tags_is_one_line(pair):
    """Without M5 tags the identity check samples reads through the foreign index first: its failure is the one
    line (before: htslib's failure to close the stream replaced it with a traceback)."""
    d, seqs, ref, mine, other = pair
    moved = _bam(d / "moved.bam", seqs, {"c1": list(range(0, L - 100, 5)), "c2": list(range(0, L - 100, 7))},
                 m5=False)
    shutil.copy(str(other) + ".csi", str(moved) + ".csi")
    os.utime(str(moved) + ".csi")
    msgs = _all_three(moved, ref, d)
    assert all("moved.bam" in m and ("does not belong to this file" in m or "index made from this file" in m)
               for m in msgs), msgs


def test_stale_csi_is_one_line(pair):
    d, seqs, ref, mine, other = pair
    pysam.index("-c", str(mine))
    t = os.stat(mine).st_mtime
    os.utime(str(mine) + ".csi", (t - 3600, t - 3600))
    msgs = _all_three(mine, ref, d)
    assert all("index mine.bam.csi is older than the alignment file" in m for m in msgs), msgs


def test_garbled_csi_is_one_line(pair):
    """A CSI that htslib still opens but whose bins cannot be walked (cut after its first bins)."""
    d, seqs, ref, mine, other = pair
    pysam.index("-c", str(mine))
    import gzip

    raw = gzip.decompress((d / "mine.bam.csi").read_bytes())
    (d / "mine.bam.csi").write_bytes(gzip.compress(raw[:len(raw) // 2]))
    with pytest.raises(InputError) as e:
        gw.scan(mine, other, ref, params=gw.Params(chunk_size=1000))
    assert "\n" not in str(e.value) and "mine.bam" in str(e.value), str(e.value)


def test_csi_of_another_bin_size_is_checked_with_its_own_bins(pair):
    """A CSI made with ``-m 12`` (4-kb windows): the records' bins are computed with the index's own parameters
    (the bin stored in a BAM record is that of a BAI), so the right index passes and a foreign one does not."""
    d, seqs, ref, mine, other = pair
    pysam.index("-c", "-m", "12", str(mine))
    from cgtsafe.io.bamindex import read_index

    assert read_index(str(mine) + ".csi").min_shift == 12
    af, _ = al.open_checked(mine, ReferenceGenome(ref))
    af.close()
    gw.scan(mine, other, ref, params=gw.Params(chunk_size=1000))
    pysam.index("-c", "-m", "12", str(other))
    shutil.copy(str(other) + ".csi", str(mine) + ".csi")
    os.utime(str(mine) + ".csi")
    with pytest.raises(InputError, match="index mine.bam.csi does not belong to this file"):
        gw.scan(mine, other, ref, params=gw.Params(chunk_size=1000))


def test_sparse_bai_with_merged_bins_passes(tmp_path):
    """Sparse reads, some crossing 16-kb borders: htslib moves the chunks of the 16-kb bins (little data) into
    their 128-kb parent, so a parent's chunk starts at a record of a child bin. The right index passes (before:
    the record's stored bin had to equal the chunk's bin, a false 'does not belong' on sparse contigs)."""
    rng = np.random.default_rng(6)
    n = 60_000
    seqs = {"c1": "".join(rng.choice(list("ACGT"), n)), "c2": "".join(rng.choice(list("ACGT"), n))}
    ref = _ref(tmp_path / "ref.fa", seqs)
    starts = sorted(set(range(0, n - 100, 997)) | {16_300, 32_700, 49_100})  # three cross a 16-kb border
    bam = _bam(tmp_path / "sparse.bam", seqs, {"c1": starts, "c2": starts})
    pysam.index(str(bam))
    from cgtsafe.io.bamindex import read_index

    idx = read_index(str(bam) + ".bai")
    merged = []
    with pysam.AlignmentFile(str(bam)) as af:
        for tid, b, v0, _ in idx.last_chunks():
            af.seek(v0)
            r = next(af)
            merged.append(r.bin != b)
    assert any(merged)  # the case exists: a chunk of a bin starts at a record of a bin inside it
    af, _ = al.open_checked(bam, ReferenceGenome(ref))
    af.close()
