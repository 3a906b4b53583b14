"""The genome index of `cgtsafe integration call-sites`: built once, reused by later runs (``--index`` or
``<genome>.mmi`` beside the genome), and refused when it is not the sr-preset index of the genome given."""

from __future__ import annotations

import random

import mappy
import pytest

from cgtsafe.cli import main
from cgtsafe.errors import InputError
from cgtsafe.integration.align import PairAligner


def _genome(path, seed=1, contigs=(("c1", 60_000), ("c2", 40_000))):
    rng = random.Random(seed)
    with open(path, "w") as fh:
        for name, n in contigs:
            fh.write(f">{name}\n{''.join(rng.choice('ACGT') for _ in range(n))}\n")
    return path


def test_index_built_once_then_reused(tmp_path):
    fa = _genome(tmp_path / "g.fa")
    mmi = tmp_path / "idx" / "g.mmi"
    mmi.parent.mkdir()
    first = PairAligner(fa, index_path=mmi)
    assert first.index_built and mmi.exists()
    stamp = mmi.stat().st_mtime_ns
    again = PairAligner(fa, index_path=mmi)
    assert not again.index_built and mmi.stat().st_mtime_ns == stamp
    # written atomically (no temporary file left), with the stamp of the genome file it was built from
    assert sorted(mmi.parent.iterdir()) == [mmi, mmi.with_name("g.mmi.json")]
    read = first.aligner.seq("c1", 1000, 1100)
    assert [(h.ctg, h.r_st) for h in again.aligner.map(read)] == [("c1", 1000)]


def test_index_beside_the_genome_is_used(tmp_path):
    fa = _genome(tmp_path / "g.fa")
    mappy.Aligner(str(fa), preset="sr", fn_idx_out=str(tmp_path / "g.fa.mmi"))
    a = PairAligner(fa)
    assert a.index_path == tmp_path / "g.fa.mmi" and not a.index_built
    assert PairAligner(_genome(tmp_path / "h.fa", seed=2)).index_path is None  # none beside: built in memory


def test_index_of_another_genome_refused(tmp_path):
    mmi = tmp_path / "g.mmi"
    PairAligner(_genome(tmp_path / "g.fa"), index_path=mmi)
    other_names = _genome(tmp_path / "o.fa", contigs=(("c1", 60_000), ("c3", 40_000)))
    with pytest.raises(InputError, match="contigs differ: 'c2' vs 'c3'"):
        PairAligner(other_names, index_path=mmi)
    other_length = _genome(tmp_path / "l.fa", contigs=(("c1", 60_000), ("c2", 40_001)))
    with pytest.raises(InputError, match="contig c2 is not 40001 bp"):
        PairAligner(other_length, index_path=mmi)


def test_changed_genome_checked_again(tmp_path):
    """The stamp spares the genome scan only while the genome file is unchanged: a genome rewritten with other
    contigs under the same path is caught by the full check."""
    fa = _genome(tmp_path / "g.fa")
    mmi = tmp_path / "g.mmi"
    PairAligner(fa, index_path=mmi)
    _genome(fa, contigs=(("c1", 60_000), ("c2", 39_000)))
    with pytest.raises(InputError, match="contig c2 is not 39000 bp"):
        PairAligner(fa, index_path=mmi)


def test_index_of_another_preset_refused(tmp_path):
    fa = _genome(tmp_path / "g.fa")
    mappy.Aligner(str(fa), preset="map-ont", fn_idx_out=str(tmp_path / "ont.mmi"))
    with pytest.raises(InputError, match="k=15, w=10; expected the sr preset's k=21, w=11"):
        PairAligner(fa, index_path=tmp_path / "ont.mmi")


def test_cli_reuses_the_index_with_identical_tables(test_data, tmp_path):
    d = test_data / "integration"
    if not (d / "R1.fastq.gz").exists():
        pytest.skip("test-data/integration absent: run scripts/make_test_data.py")
    mmi = tmp_path / "ref.mmi"
    outs = []
    for run in ("built", "reused"):
        out = tmp_path / run
        argv = ["integration", "call-sites", "--samples", str(d / "samples.tsv"), "--layout", str(d / "layout.yaml"),
                "--r1", str(d / "R1.fastq.gz"), "--r2", str(d / "R2.fastq.gz"), "--i1", str(d / "I1.fastq.gz"),
                "--genome", str(test_data / "genome" / "ref.fa"), "--vector", str(d / "vector.fa"),
                "--index", str(mmi), "--threads", "2", "--out-dir", str(out)]
        assert main(argv) == 0
        if run == "built":
            stamp = mmi.stat().st_mtime_ns
        outs.append(out)
    assert mmi.stat().st_mtime_ns == stamp
    for name in ("fragments.tsv", "multihits.tsv", "attrition.tsv", "read_stages.tsv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
