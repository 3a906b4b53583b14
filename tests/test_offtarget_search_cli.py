"""Input validation, chunking and the `cgtsafe offtarget search` command line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from helpers import guide_site_genome

from cgtsafe.cli import main
from cgtsafe.errors import InputError
from cgtsafe.io.fasta import write_fasta
from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.search import Guide, chunk_ranges, read_guides, search_genome

G1 = "GAGTCCGAGCAGAAGAAGAA"
G2 = "GGAATCCCTTCTGCAGCACC"


def _genome(seed=3, n=3):
    return guide_site_genome((G1, G2), seed=seed, contigs=n)


def _write_guides(path: Path, rows, header="name\tspacer"):
    path.write_text(header + "\n" + "".join("\t".join(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize(
    "rows,header,message",
    [
        ([("g1", G1), ("g1", G2)], "name\tspacer", "occurs twice"),
        ([("g1", G1[:-1] + "N")], "name\tspacer", "A/C/G/T only"),
        ([("g1", G1[:18])], "name\tspacer", "expects 20 nt"),
        ([("g1", G1 + "TGG")], "name\tspacer", r"looks like spacer\+PAM"),
        ([("g1", G1)], "name\tbases", r"no spacer column .*spacer_20nt.*rename the column"),
        ([("g1", G1)], "label\tspacer", r"no name column .*guide_name.*rename the column"),
    ],
)
def test_bad_guides(tmp_path, rows, header, message):
    path = _write_guides(tmp_path / "g.tsv", rows, header)
    with pytest.raises(InputError, match=message) as exc:
        read_guides(path, get_nuclease("SpCas9"))
    assert "\n" not in str(exc.value) and str(path) in str(exc.value)


@pytest.mark.parametrize("header,value,suffix", [
    ("name\tspacer_20nt\tsource", G1, ".tsv"),          # ../shared/data/offtarget/casoffinder/guides.tsv
    ("guide_name\tguide_seq20", G1, ".tsv"),             # ../shared/data/offtarget/validated/*.tsv
    ("id\tquery", G1 + "NNN", ".tsv"),                   # Cas-OFFinder query: spacer + NNN
    ("Name\tSpacer", G1.lower() + "nnn", ".tsv"),
    ("name\tspacer_20nt", G1, ".tsv.gz"),                # the pandas reader path
])
def test_guide_columns_users_bring(tmp_path, header, value, suffix):
    """Column names of the guide tables users bring are accepted; a Cas-OFFinder query's NNN is the PAM."""
    ncol = header.count("\t") + 1
    text = header + "\n" + "\t".join(["g1", value] + ["x"] * (ncol - 2)) + "\n"
    path = tmp_path / f"g{suffix}"
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    assert read_guides(path, get_nuclease("SpCas9")) == [Guide("g1", G1)]


@pytest.mark.parametrize("kw", [{"max_mismatches": 7}, {"max_mismatches": 2, "max_dna_bulge": 3},
                                {"max_mismatches": -1}, {"max_mismatches": 2, "max_rna_bulge": 5}])
def test_limits_out_of_range(kw):
    with pytest.raises(InputError, match="must be an integer"):
        search_genome({"c": "ACGT" * 10}, [Guide("g", G1)], get_nuclease("SpCas9"), **kw)


def test_bad_genomes(tmp_path):
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(InputError, match="empty FASTA"):
        search_genome(empty, [Guide("g", G1)], get_nuclease("SpCas9"), max_mismatches=1)
    notfa = tmp_path / "x.fa"
    notfa.write_text("ACGT\n>c\nACGT\n")
    with pytest.raises(InputError, match="not a FASTA"):
        search_genome(notfa, [Guide("g", G1)], get_nuclease("SpCas9"), max_mismatches=1)
    dup = tmp_path / "dup.fa"
    dup.write_text(">chr1 a\nACGT\n>chr1 b\nACGT\n")
    with pytest.raises(InputError, match="occurs twice"):
        search_genome(dup, [Guide("g", G1)], get_nuclease("SpCas9"), max_mismatches=1)
    with pytest.raises(InputError, match="not in the genome"):
        search_genome({"c": "ACGT" * 10}, [Guide("g", G1)], get_nuclease("SpCas9"), max_mismatches=1,
                      contigs=["nope"])


@pytest.mark.parametrize("compress", ["plain", "gzip", "bgzip"])
def test_fasta_formats_same_result(tmp_path, compress):
    genome = _genome()
    plain = tmp_path / "g.fa"
    write_fasta(plain, genome)
    if compress == "plain":
        path = plain
    elif compress == "gzip":
        path = tmp_path / "g.fa.gz"
        path.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        import pysam

        path = Path(pysam.tabix_compress(str(plain), str(tmp_path / "g.fa.bgz"), force=True) or tmp_path / "g.fa.bgz")
        pysam.faidx(str(path))
    guides = [Guide("g1", G1), Guide("g2", G2)]
    a = search_genome(path, guides, get_nuclease("SpCas9"), max_mismatches=4, max_rna_bulge=1)
    b = search_genome(genome, guides, get_nuclease("SpCas9"), max_mismatches=4, max_rna_bulge=1)
    assert len(a) > 50
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("n", [2, 3, 7])
@pytest.mark.parametrize("bulges", [(0, 0), (1, 1)])
def test_chunks_partition_exactly(n, bulges):
    genome = _genome()
    guides = [Guide("g1", G1), Guide("g2", G2)]
    kw = dict(max_mismatches=4, max_dna_bulge=bulges[0], max_rna_bulge=bulges[1])
    whole = search_genome(genome, guides, get_nuclease("SpCas9"), **kw)
    parts = [search_genome(genome, guides, get_nuclease("SpCas9"), chunk=(i, n), **kw) for i in range(1, n + 1)]
    merged = pd.concat(parts, ignore_index=True)
    assert len(merged) == len(whole)
    from cgtsafe.offtarget.merge import sort_hits

    merged = sort_hits(merged, list(genome), [g.name for g in guides])
    pd.testing.assert_frame_equal(merged, whole)


def test_chunk_ranges_cover_genome():
    lengths = [100, 7, 0, 55]
    for n in (1, 2, 5, 200):
        covered = [0] * sum(lengths)
        for i in range(1, n + 1):
            off = 0
            for ln, (lo, hi) in zip(lengths, chunk_ranges(lengths, (i, n))):
                for p in range(lo, hi):
                    covered[off + p] += 1
                off += ln
        assert covered == [1] * sum(lengths)


def test_cli_search_tsv_parquet_bed(tmp_path, capsys):
    genome = _genome()
    fa = tmp_path / "g.fa"
    write_fasta(fa, genome)
    guides = _write_guides(tmp_path / "g.tsv", [("EMX1", G1), ("FANCF", G2)])
    out = tmp_path / "hits.tsv"
    bed = tmp_path / "hits.bed"
    args = ["offtarget", "search", "--genome", str(fa), "--guides", str(guides), "--max-mismatches", "3",
            "--max-rna-bulge", "1", "--out", str(out), "--bed", str(bed)]
    assert main(args) == 0
    df = pd.read_csv(out, sep="\t")
    assert list(df.columns[:17]) == ["guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge",
                                     "rna_bulge", "pam", "pam_class", "cut_start", "cut_end", "guide_aln",
                                     "site_aln", "cfd", "mit"]
    b = pd.read_csv(bed, sep="\t", header=None)
    assert len(b) == len(df) and b.shape[1] == 6
    assert (b[1] == df.start).all() and (b[5] == df.strand).all()
    first = out.read_bytes()
    assert main(args) == 0
    assert out.read_bytes() == first, "byte-identical rerun"
    pq = tmp_path / "hits.parquet"
    assert main(args[:-4] + ["--out", str(pq), "--threads", "1"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(pq), pd.read_csv(out, sep="\t").astype(pd.read_parquet(pq).dtypes))


def test_cli_bad_input_writes_nothing(tmp_path, capsys):
    fa = tmp_path / "g.fa"
    write_fasta(fa, _genome())
    guides = _write_guides(tmp_path / "g.tsv", [("EMX1", G1 + "AGG")])
    out = tmp_path / "hits.tsv"
    rc = main(["offtarget", "search", "--genome", str(fa), "--guides", str(guides), "--max-mismatches", "3",
               "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "looks like spacer+PAM" in err and err.count("\n") == 1
    assert not out.exists()
    rc = main(["offtarget", "search", "--genome", str(fa), "--guides", str(guides), "--max-mismatches", "3",
               "--chunk", "4/3", "--out", str(out)])
    assert rc == 2 and not out.exists()


def test_nuclease_presets_and_aliases():
    assert get_nuclease("ABE8e") is get_nuclease("SpCas9")
    assert get_nuclease("be4max").pam == "NGG" and get_nuclease("PE2").alt_pams == ("NAG", "NGA")
    cas12a = get_nuclease("Cas12a")
    assert (cas12a.pam, cas12a.pam_side, cas12a.cut_offsets) == ("TTTV", "5prime", (18, 23))
    assert get_nuclease("SaCas9").spacer_length == 21
    with pytest.raises(InputError, match="unknown nuclease"):
        get_nuclease("Cas99")


def test_cas12a_staggered_cut_and_n_never_matches():
    g = "TTAGCCGATCGATCGGATCC"
    plus = "TTTA" + g
    genome = {"c": "C" * 30 + plus + "C" * 30 + "TTTN" + g + "C" * 10 + "TTTA" + g[:5] + "N" + g[6:] + "C" * 20}
    df = search_genome(genome, [Guide("g", g)], get_nuclease("AsCas12a"), max_mismatches=1)
    assert list(df.start) == [30, 30 + 24 + 30 + 24 + 10]  # TTTN is no PAM; an N in the protospacer = mismatch
    r = df.iloc[0]
    assert (r.cut_start, r.cut_end) == (30 + 4 + 18, 30 + 4 + 23) and r.mismatches == 0
    assert df.iloc[1].mismatches == 1
