"""The streamed merge and annotation (the workflow's genome-scale path) write the same bytes as the
in-memory frames they replace, on a hit table with several guides and contigs, loci repeated across chunk
tables, rank ties across contigs and contigs missing from the annotation; a bad value names its file and line."""

from __future__ import annotations

import pandas as pd
import pytest

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table, write_table
from cgtsafe.offtarget.annotate import annotate_hit_file, annotate_sites, sites_bed
from cgtsafe.offtarget.merge import HIT_COLUMNS, coerce_hits, merge_hit_files, merge_hits
from tests.helpers import GTF, demo_hits, need_test_data


@pytest.fixture(scope="module")
def chunks(tmp_path_factory):
    """Chunk tables: the demo hits on chr1..chr4 plus a copy on contigs chr2b/chr9 (absent from the
    annotation; identical sequences, hence rank ties across contigs), split in three, with repeated loci."""
    need_test_data()
    d = tmp_path_factory.mktemp("streamed")
    hits = demo_hits(1, 1)
    copy = hits[hits["chrom"].isin(["chr2", "chr3"])].copy()
    copy["chrom"] = copy["chrom"].map({"chr2": "chr2b", "chr3": "chr9"})
    allh = pd.concat([hits, copy], ignore_index=True).sample(frac=1.0, random_state=3).reset_index(drop=True)
    n = len(allh)
    parts = [allh.iloc[: n // 3], allh.iloc[n // 3: 2 * n // 3], allh.iloc[2 * n // 3:]]
    parts[2] = pd.concat([parts[2], parts[0].iloc[:7]], ignore_index=True)  # loci given twice
    paths = []
    for i, p in enumerate(parts):
        paths.append(d / f"chunk{i}.tsv")
        write_table(p.sort_values(["guide", "chrom", "start"], kind="mergesort"), paths[-1])
    contigs = ["chr1", "chr2", "chr3", "chr4", "chr9", "chr2b"]
    guides = list(dict.fromkeys(hits["guide"]))[::-1]  # not name order
    return d, paths, contigs, guides


def test_streamed_merge_same_bytes(chunks):
    d, paths, contigs, guides = chunks
    for co, go in ((contigs, guides), (None, None)):
        ref, out = d / "ref.tsv", d / "out.tsv"
        write_table(merge_hits(paths, contig_order=co, guide_order=go), ref)
        n = merge_hit_files(paths, out, contig_order=co, guide_order=go)
        assert out.read_bytes() == ref.read_bytes()
        assert n == len(read_table(ref)) > 100


def test_streamed_annotate_same_bytes(chunks):
    d, paths, contigs, guides = chunks
    hits = d / "hits.tsv"
    merge_hit_files(paths, hits, contig_order=contigs, guide_order=guides)
    frame = coerce_hits(read_table(hits, required=HIT_COLUMNS), path=hits)
    for genes, bm in ((GTF, 2), (None, None)):
        sites = annotate_sites(frame, genes=genes, windows=(50000, 100000), max_bulge_mismatches=bm)
        write_table(sites, d / "ref_sites.tsv")
        write_table(sites_bed(sites), d / "ref.bed")
        for threads in (1, 2):  # the parallel path (worker processes per part) writes the same bytes
            n = annotate_hit_file(hits, d / "sites.tsv", bed=d / "sites.bed", genes=genes, windows=(50000, 100000),
                                  max_bulge_mismatches=bm, threads=threads)
            assert n == len(sites) > 50
            assert (d / "sites.tsv").read_bytes() == (d / "ref_sites.tsv").read_bytes()
            assert (d / "sites.bed").read_bytes() == (d / "ref.bed").read_bytes()
    # the copies on chr2b/chr9 tie with chr2/chr3 on every ranking key before the contig
    s = read_table(d / "sites.tsv")
    assert {"chr2b", "chr9"} <= set(s["chrom"]) and s["rank"].astype(int).max() > 50


def test_streamed_merge_bad_value_names_file_and_line(chunks, tmp_path):
    d, paths, contigs, guides = chunks
    bad = tmp_path / "bad.tsv"
    lines = paths[1].read_text().splitlines(keepends=True)
    f = lines[4].split("\t")
    f[2] = "12x"  # start
    lines[4] = "\t".join(f)
    bad.write_text("".join(lines))
    with pytest.raises(InputError) as e:
        merge_hit_files([paths[0], bad], tmp_path / "out.tsv", contig_order=contigs, guide_order=guides)
    assert "column start: expected an integer, found '12x'" in str(e.value)
    assert str(bad) in str(e.value) and "line 5" in str(e.value)
    assert not (tmp_path / "out.tsv").exists()


def test_report_embeds_first_rows_and_counts_all(tmp_path):
    """A genome-scale sites.tsv is not loaded whole by the report: the first rows plus the row count."""
    import gzip

    from cgtsafe.report.load import load_table

    rows = "".join(f"s{i}\t{i}\n" + ("\n" if i % 97 == 0 else "") for i in range(5000))  # blank lines skipped
    (tmp_path / "sites.tsv").write_text("site_id\tstart\n" + rows)
    with gzip.open(tmp_path / "sites.tsv.gz", "wt") as fh:
        fh.write("site_id\tstart\n" + rows)
    for name in ("sites.tsv", "sites.tsv.gz"):
        t = load_table({"id": "offtarget_sites", "path": name}, tmp_path, "offtarget", 25)
        assert t.columns == ["site_id", "start"] and t.total_rows == 5000
        assert [r[0] for r in t.rows] == [f"s{i}" for i in range(25)]
    t = load_table({"id": "x", "path": "sites.tsv"}, tmp_path, "offtarget", 50000)
    assert len(t.rows) == t.total_rows == 5000


def test_streamed_annotate_merges_bed_runs_in_rounds(chunks, monkeypatch):
    """More guide runs than the merge's fan-in: merged in rounds, same BED bytes as the frame path."""
    import functools

    import cgtsafe.offtarget.annotate as ann

    d, paths, contigs, guides = chunks
    hits = d / "hits_rounds.tsv"
    merge_hit_files(paths, hits, contig_order=contigs, guide_order=guides)
    frame = coerce_hits(read_table(hits, required=HIT_COLUMNS), path=hits)
    copies = [frame.assign(guide=frame["guide"] + suffix) for suffix in ("", "_b", "_c")]  # 6 guides, ties
    frame = pd.concat(copies, ignore_index=True)
    write_table(frame, hits)
    assert frame["guide"].nunique() >= 5
    write_table(sites_bed(annotate_sites(frame, genes=GTF)), d / "ref_rounds.bed")
    monkeypatch.setattr(ann, "_merge_runs", functools.partial(ann._merge_runs, fan_in=2))
    annotate_hit_file(hits, d / "s.tsv", bed=d / "s.bed", genes=GTF, threads=2)
    assert (d / "s.bed").read_bytes() == (d / "ref_rounds.bed").read_bytes()


def test_streamed_annotate_bad_value_in_a_worker(chunks, tmp_path):
    """A bad value met by a worker process: the same one-line error naming the file and line; nothing written."""
    d, paths, contigs, guides = chunks
    lines = (d / "hits.tsv").read_text().splitlines(keepends=True)
    f = lines[9].split("\t")
    f[6] = "two"  # mismatches
    lines[9] = "\t".join(f)
    bad = tmp_path / "hits.tsv"
    bad.write_text("".join(lines))
    with pytest.raises(InputError) as e:
        annotate_hit_file(bad, tmp_path / "sites.tsv", bed=tmp_path / "sites.bed", genes=GTF, threads=2)
    assert "column mismatches: expected an integer, found 'two'" in str(e.value) and "line 10" in str(e.value)
    assert not (tmp_path / "sites.tsv").exists() and not (tmp_path / "sites.bed").exists()


def test_sequence_scaled_memory_request(tmp_path):
    """seq_mem_mb: MB per gigabase of each named input's sequence; a gzip FASTA counts 3.4 bases per byte;
    a missing input (not made yet) counts 0; doubled per retry and capped."""
    from types import SimpleNamespace

    from cgtsafe.plan.common import seq_mem_mb

    (tmp_path / "g.fa").write_bytes(b"A" * 2_000_000)
    (tmp_path / "a.fa.gz").write_bytes(b"x" * 1_000_000)
    inp = SimpleNamespace(genome=str(tmp_path / "g.fa"), animal=str(tmp_path / "a.fa.gz"))
    f = seq_mem_mb(2000, {"genome": 1000, "animal": 5000})
    assert f(None, inp) == int(2000 + 1000 * 0.002 + 5000 * 0.0034)
    assert f(None, inp, attempt=2) == int(2 * (2000 + 1000 * 0.002 + 5000 * 0.0034))
    assert seq_mem_mb(2000, {"genome": 1000}, cap=3000)(None, inp, attempt=3) == 3000
    assert f(None, SimpleNamespace(genome=str(tmp_path / "none.fa"), animal=str(tmp_path / "none.fa.gz"))) == 2000
