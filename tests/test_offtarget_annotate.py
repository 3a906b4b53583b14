"""Off-target: merge of chunk tables, annotation, priority/rank, the candidate-site table.

Truth: test-data/offtarget/planted_sites.tsv (planted sites of the synthetic genome) and the gene
annotation test-data/genome/genes.gtf read here with an independent minimal GTF parser.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table, write_table
from cgtsafe.offtarget.annotate import SITE_COLUMNS, annotate_sites, collapse_overlapping, sites_bed
from cgtsafe.offtarget.merge import HIT_COLUMNS, coerce_hits, merge_hits
from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.search import read_guides, search_genome
from helpers import BULGE_MM, GENOME, GTF, GUIDES, demo_hits, demo_sites, need_test_data, truth


def gtf_genes(path=GTF) -> dict[str, tuple[str, int, int]]:
    """Independent reading of gene spans (GTF 'gene' lines, 1-based closed -> 0-based half-open)."""
    out = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        f = line.split("\t")
        name = f[8].split('gene_name "')[1].split('"')[0] if 'gene_name "' in f[8] else None
        if name is None:
            continue
        s, e = int(f[3]) - 1, int(f[4])
        c0, s0, e0 = out.get(name, (f[0], s, e))
        out[name] = (f[0], min(s0, s), max(e0, e))
    return out


def gtf_cds(path=GTF) -> list[tuple[str, int, int, str]]:
    out = []
    for line in Path(path).read_text().splitlines():
        f = line.split("\t")
        if len(f) >= 9 and f[2] == "CDS":
            out.append((f[0], int(f[3]) - 1, int(f[4]), f[8].split('gene_name "')[1].split('"')[0]))
    return out


# ---------------------------------------------------------------------------------------------- recall
def planted_in_limits() -> pd.DataFrame:
    t = truth()
    t = t[~t["category"].isin(["variant_created"])]  # exists only on the donor haplotype
    bulged = (t["dna_bulge"] + t["rna_bulge"]) > 0
    return t[~bulged | (t["mismatches"] <= BULGE_MM)]


@pytest.mark.parametrize("field", ["chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge",
                                   "pam", "cut_start", "cut_end"])
def test_every_planted_site_in_candidate_table_exactly(field):
    """Each planted site (within the limits) is one row of sites.tsv, with the planted coordinates/sequence."""
    need_test_data()
    sites = demo_sites().set_index("site_id")
    for r in planted_in_limits().itertuples(index=False):
        assert r.site_id in sites.index, f"planted site {r.site_id} ({r.category}) missing"
        got = sites.loc[r.site_id, field]
        want = getattr(r, field)
        if r.category == "variant_lowered" and field in ("site", "mismatches"):
            continue  # the truth row gives the ALT-allele site; the reference has one more mismatch
        if field == "pam":  # the truth writes the PAM upper case; the search keeps the soft-mask case
            got = got.upper()
        assert got == want, f"{r.site_id} {field}: {got!r} != {want!r}"


def test_variant_lowered_site_has_reference_mismatches():
    need_test_data()
    sites = demo_sites().set_index("site_id")
    r = truth().query("category == 'variant_lowered'").iloc[0]
    assert sites.loc[r.site_id, "mismatches"] == r.mismatches + 1  # "5 mismatches in the reference"


def test_site_ids_unique_and_format():
    need_test_data()
    s = demo_sites()
    assert s["site_id"].is_unique
    assert (s["site_id"] == s["guide"] + ":" + s["chrom"] + ":" + s["start"].astype(str) + ":" + s["strand"]).all()
    assert list(s.columns[: len(SITE_COLUMNS)]) == list(SITE_COLUMNS)


def test_on_target_first_and_ranks_complete():
    need_test_data()
    s = demo_sites()
    t = truth().query("category == 'on_target'")
    for r in t.itertuples(index=False):
        row = s[s["site_id"] == r.site_id].iloc[0]
        assert row["category"] == "on_target" and row["rank"] == 1 and row["priority"] == "on_target"
    for g, sub in s.groupby("guide"):
        assert sorted(sub["rank"]) == list(range(1, len(sub) + 1))
        # on-target before high before medium before low
        order = sub.sort_values("rank")["priority"].map({"on_target": 0, "high": 1, "medium": 2, "low": 3})
        assert order.is_monotonic_increasing


def test_overlapping_loci_collapsed_to_mismatch_only_alignment():
    """chr4:0 is planted with 2 mismatches; the search also finds 1-bulge alignments at the next PAMs."""
    need_test_data()
    hits = demo_hits()
    raw = hits[(hits["chrom"] == "chr4") & (hits["start"] == 0) & (hits["guide"] == "DEMO_g1")]
    assert len(raw) >= 2  # several loci (PAM positions) share this start
    s = demo_sites().set_index("site_id")
    row = s.loc["DEMO_g1:chr4:0:+"]
    assert (row["mismatches"], row["dna_bulge"], row["rna_bulge"]) == (2, 0, 0)
    assert row["loci"] >= 2 and row["alt_alignments"]


# ---------------------------------------------------------------------------------------------- annotation
def test_feature_and_gene_match_independent_gtf_reading():
    need_test_data()
    s = demo_sites()
    cds = gtf_cds()
    spans = gtf_genes()
    for r in s.itertuples(index=False):
        in_cds = sorted({g for c, a, b, g in cds if c == r.chrom and a <= r.cut_start < b})
        if in_cds:
            assert r.feature == "cds", r.site_id
            assert set(in_cds) <= set(r.gene.split(",")), r.site_id
        in_gene = sorted({g for g, (c, a, b) in spans.items() if c == r.chrom and a <= r.cut_start < b})
        if in_gene:
            assert set(r.gene.split(",")) == set(in_gene), r.site_id
        else:
            assert r.feature in ("promoter", "intergenic"), r.site_id


@pytest.mark.parametrize("label,gene,feature", [("ON", "TRAC", "cds"), ("ON2", "B2M", "cds")])
def test_on_targets_in_their_genes(label, gene, feature):
    need_test_data()
    t = truth().set_index("label")
    sid = t.loc[label, "site_id"]
    row = demo_sites().set_index("site_id").loc[sid]
    assert row["gene"] == gene and row["feature"] == feature


def test_gene_of_concern_flag_against_independent_distances():
    """OT3 is planted 20 kb from LMO2; the flag, name, distance and window follow the GTF spans."""
    need_test_data()
    from cgtsafe.io.annotation import load_genes_of_concern

    concern = set(load_genes_of_concern())
    spans = {g: v for g, v in gtf_genes().items() if g in concern}
    s = demo_sites()
    for r in s.itertuples(index=False):
        d = {}
        for g, (c, a, b) in spans.items():
            if c != r.chrom:
                continue
            dist = 0 if a <= r.cut_start < b else (a - r.cut_start if r.cut_start < a else r.cut_start - b + 1)
            if dist <= 100000:
                d[g] = dist
        assert r.gene_of_concern == int(bool(d)), r.site_id
        if d:
            assert set(r.gene_of_concern_name.split(",")) == set(d)
            assert r.gene_of_concern_distance == min(d.values())
            assert r.gene_of_concern_window == (50000 if min(d.values()) <= 50000 else 100000)
    ot3 = s.set_index("site_id").loc[truth().set_index("label").loc["OT3", "site_id"]]
    assert ot3["gene_of_concern_name"].split(",")[0] == "LMO2"
    assert 15000 <= ot3["gene_of_concern_distance"] <= 25000 and ot3["gene_of_concern_window"] == 50000


# ---------------------------------------------------------------------------------------------- merge / determinism
@pytest.mark.parametrize("n", [2, 5])
def test_chunked_merge_equals_unchunked(tmp_path, n):
    """Chunk tables written to disk, merged in shuffled order == the unchunked search, byte for byte."""
    need_test_data()
    nuc = get_nuclease("SpCas9")
    guides = read_guides(GUIDES, nuc)
    whole = search_genome(str(GENOME), guides, nuc, max_mismatches=5, threads=2)
    paths = []
    for i in range(1, n + 1):
        p = tmp_path / f"c{i}.tsv"
        write_table(search_genome(str(GENOME), guides, nuc, max_mismatches=5, threads=2, chunk=(i, n)), p)
        paths.append(p)
    paths.append(paths[0])  # a chunk given twice must not double its loci
    merged = merge_hits(list(reversed(paths)), contig_order=["chr1", "chr2", "chr3", "chr4"],
                        guide_order=[g.name for g in guides])
    write_table(merged, tmp_path / "merged.tsv")
    write_table(whole, tmp_path / "whole.tsv")
    assert (tmp_path / "merged.tsv").read_bytes() == (tmp_path / "whole.tsv").read_bytes()


def test_annotation_deterministic(tmp_path):
    need_test_data()
    a = annotate_sites(demo_hits().sample(frac=1.0, random_state=7), genes=GTF, max_bulge_mismatches=BULGE_MM)
    write_table(a, tmp_path / "a.tsv")
    write_table(demo_sites(), tmp_path / "b.tsv")
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()


def test_bed_is_zero_based_and_matches_sites():
    need_test_data()
    s = demo_sites()
    bed = sites_bed(s)
    assert len(bed) == len(s)
    m = bed.merge(s, left_on="name", right_on="site_id")
    assert (m["start_x"] == m["start_y"]).all() and (m["end_x"] == m["end_y"]).all()


def test_bulge_filter_and_collapse_counts():
    need_test_data()
    hits = demo_hits()
    s = demo_sites()
    bulged = s[(s["dna_bulge"] + s["rna_bulge"]) > 0]
    assert (bulged["mismatches"] <= BULGE_MM).all()
    assert collapse_overlapping(hits)["loci"].sum() == len(hits)


# ---------------------------------------------------------------------------------------------- bad input
def test_merge_bad_table_one_line(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_text("guide\tchrom\n")
    with pytest.raises(InputError) as e:
        merge_hits([p])
    assert "lacks column" in str(e.value) and "\n" not in str(e.value)


def test_coerce_non_integer_names_line(tmp_path):
    df = pd.DataFrame({c: ["1"] for c in HIT_COLUMNS})
    df.loc[0, "start"] = "x"
    with pytest.raises(InputError, match=r"line 2.*start"):
        coerce_hits(df, path=tmp_path / "h.tsv")


def test_cli_annotate_roundtrip(tmp_path):
    need_test_data()
    from cgtsafe.cli import main

    write_table(demo_hits(1, 1), tmp_path / "hits.tsv")
    rc = main(["offtarget", "annotate", "--hits", str(tmp_path / "hits.tsv"), "--genes", str(GTF),
               "--max-bulge-mismatches", "2", "--out", str(tmp_path / "sites.tsv"), "--bed", str(tmp_path / "s.bed")])
    assert rc == 0
    s = read_table(tmp_path / "sites.tsv", required=SITE_COLUMNS)
    assert "DEMO_g1:chr1:102913:+" in set(s["site_id"])


# ---------------------------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def chrx():
    from conftest import shared_file

    from cgtsafe.io.fasta import read_fasta

    path = shared_file("genome", "hs37chrXtrunc.fa.gz")
    (seq,) = read_fasta(path).values()
    return {"chrX": seq}


@pytest.mark.realdata
@pytest.mark.parametrize("fname,preset,mm", [("v2_NRG_4mm.casoffinder2.4.1.txt", "SpCas9-NRG", 4),
                                             ("v2_NGG_5mm.casoffinder2.4.1.txt", "SpCas9", 5)])
def test_candidate_table_keeps_every_casoffinder_site_on_real_chrx(chrx, fname, preset, mm):
    """Merged (3 chunks) + collapsed candidate table vs Cas-OFFinder 2.4.1 on GRCh37 chrX 1-70 Mb.

    Every Cas-OFFinder site must be a candidate site (its site_id) or one of the loci merged into a
    candidate (alt_alignments); the canonical-PAM-only preset is used so both tools search the same PAM.
    """
    import dataclasses

    from conftest import shared_file

    ref = pd.read_csv(shared_file("offtarget", "casoffinder", fname), sep="\t", header=None,
                      names=["query", "chrom", "start", "site", "strand", "mismatches", "guide"])
    g = pd.read_csv(shared_file("offtarget", "casoffinder", "guides.tsv"), sep="\t")
    from cgtsafe.offtarget.search import Guide

    guides = [Guide(n, s) for n, s in zip(g["name"], g["spacer_20nt"])]
    nuc = dataclasses.replace(get_nuclease(preset), alt_pams=())
    chunks = [search_genome(chrx, guides, nuc, max_mismatches=mm, threads=2, chunk=(i, 3)) for i in (1, 2, 3)]
    hits = merge_hits_frames(chunks, [x.name for x in guides])
    sites = annotate_sites(hits, genes=None)
    ids = set(sites["site_id"])
    alts = {f"{r.guide}:{r.chrom}:{a.split('@')[1].split('-')[0]}:{a.split('/')[-1]}"
            for r in sites.itertuples(index=False) if r.alt_alignments for a in r.alt_alignments.split(";")}
    want = {f"{r.guide}:{r.chrom}:{r.start}:{r.strand}" for r in ref.itertuples(index=False)}
    assert not (want - ids - alts), sorted(want - ids - alts)[:5]
    assert len(hits) == len(ref)  # same loci as Cas-OFFinder
    assert int(sites["loci"].sum()) == len(hits)
    assert len(ids & want) >= 0.95 * len(want)  # collapsing merges only a few overlapping loci


def merge_hits_frames(frames, guide_order):
    """merge_hits on in-memory chunk tables (written and read back like the workflow does)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, f in enumerate(frames):
            p = Path(d) / f"c{i}.tsv"
            write_table(f, p)
            paths.append(p)
        return merge_hits(paths, contig_order=["chrX"], guide_order=guide_order)


# ------------------------------------------------------------------- no reassurance from missing annotation
def test_without_genes_every_site_not_annotated_and_summary_says_so(tmp_path):
    """No --genes: never 'intergenic' nor '0 near a gene of concern'; priority not lowered for it."""
    need_test_data()
    import json
    from argparse import Namespace

    from cgtsafe.offtarget.summarize import run_summarize

    hits = demo_hits(1, 1)
    s = annotate_sites(hits, genes=None, max_bulge_mismatches=BULGE_MM)
    assert set(s["feature"]) == {"not_annotated"}
    assert set(s["gene_of_concern"]) == {-1}
    assert not (s["feature"] == "intergenic").any()
    # not annotated counts as possibly exonic / near a gene of concern: no site is 'low' for lack of genes
    with_genes = demo_sites(1, 1).set_index("site_id")
    for r in s.itertuples():
        order = ("on_target", "high", "medium", "low")
        assert order.index(r.priority) <= order.index(with_genes.loc[r.site_id, "priority"]), r.site_id
    write_table(s, tmp_path / "sites.tsv")
    args = Namespace(out=str(tmp_path / "summary.json"), sites=str(tmp_path / "sites.tsv"), guides=str(GUIDES),
                     genome=str(GENOME), build="b", genes=None, genes_of_concern=None, windows=[50000, 100000],
                     species=[], species_labels=[], variants=[], vcfs=[], chunks=1, hits=None, max_bulge_mismatches=2)
    run_summarize(args=args, nuclease=get_nuclease("SpCas9"), pam=None,
                  limits={"max_mismatches": 6, "max_dna_bulge": 1, "max_rna_bulge": 1})
    summ = json.loads((tmp_path / "summary.json").read_text())
    assert "not annotated" in summ["verdict_en"] and "0 in exons" not in summ["verdict_en"]
    assert "未注释" in summ["verdict_zh"]
    kf = {k["label_en"]: k["value"] for k in summ["key_figures"]}
    assert kf["off-targets in exons (CDS/UTR/exon)"] == "not annotated / 未注释"
    gs = pd.read_csv(tmp_path / "guides_summary.tsv", sep="\t", dtype=str)
    assert set(gs["off_exonic"]) == {"not_annotated"} and set(gs["off_gene_of_concern"]) == {"not_annotated"}


def test_contig_names_not_matching_annotation(tmp_path, capsys):
    """chr1 sites vs an annotation naming contigs 1, 2, ...: an error; a partial overlap: a warning and
    not_annotated for the sites on contigs the annotation does not have."""
    need_test_data()
    renamed = tmp_path / "genes_nochr.gtf"
    renamed.write_text("".join(ln[3:] if ln.startswith("chr") else ln
                               for ln in GTF.read_text().splitlines(keepends=True)))
    hits = demo_hits(1, 1)
    with pytest.raises(InputError, match=r"no contig of the site table .*chr1.*gene annotation .*chr1 vs 1") as exc:
        annotate_sites(hits, genes=renamed)
    assert "\n" not in str(exc.value) and str(renamed) in str(exc.value)
    partial = tmp_path / "genes_chr1.gtf"
    partial.write_text("".join(ln for ln in GTF.read_text().splitlines(keepends=True)
                               if ln.startswith(("#", "chr1\t"))))
    s = annotate_sites(hits, genes=partial)
    assert "not in the gene annotation" in capsys.readouterr().err
    other = s["chrom"] != "chr1"
    assert other.any() and (~other).any()
    assert set(s.loc[other, "feature"]) == {"not_annotated"} and set(s.loc[other, "gene_of_concern"]) == {-1}
    assert "not_annotated" not in set(s.loc[~other, "feature"])
