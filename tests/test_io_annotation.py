"""Gene annotation readers and the position annotator, against the synthetic GTF and real gene tables."""

from __future__ import annotations

import pytest

from cgtsafe.errors import InputError
from cgtsafe.io.annotation import GeneAnnotator, load_genes_of_concern, read_transcripts

GTF = """\
c1\tt\ttranscript\t1001\t2000\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "PLUS";
c1\tt\texon\t1001\t1100\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "PLUS";
c1\tt\texon\t1501\t2000\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "PLUS";
c1\tt\tCDS\t1051\t1100\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "PLUS";
c1\tt\tCDS\t1501\t1800\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "PLUS";
c1\tt\texon\t5001\t6000\t.\t-\t.\tgene_id "G2"; transcript_id "T2"; gene_name "MINUS";
"""


@pytest.fixture()
def annot(tmp_path):
    p = tmp_path / "g.gtf"
    p.write_text(GTF)
    return GeneAnnotator.from_file(p, promoter_upstream=2000)


@pytest.mark.parametrize(
    "pos0, feature, gene",
    [
        (1000, "utr5", "PLUS"),  # GTF 1001 = 0-based 1000, before CDS start 1050
        (1060, "cds", "PLUS"),
        (1200, "intron", "PLUS"),
        (1900, "utr3", "PLUS"),
        (500, "promoter", "PLUS"),  # 500 bp upstream of the + strand TSS
        (6500, "promoter", "MINUS"),  # upstream of a - strand gene is to its right
        (9000, "intergenic", ""),
        (5500, "exon", "MINUS"),  # non-coding transcript
    ],
)
def test_features(annot, pos0, feature, gene):
    a = annot.annotate("c1", pos0)
    assert a["feature"] == feature
    assert a["gene"] == gene


def test_distances_and_tss_sign(annot):
    assert annot.nearest_gene("c1", 1500) == ("PLUS", 0)
    assert annot.nearest_gene("c1", 3000) == ("PLUS", 1001)  # last base 1999 -> 3000 is 1001 bp away
    assert annot.nearest_gene("c1", 4500) == ("MINUS", 500)
    # + gene: downstream of TSS is positive; - gene TSS is 5999 (0-based), a site at 6099 is upstream
    assert annot.nearest_tss("c1", 1100) == ("PLUS", 100)
    assert annot.nearest_tss("c1", 6099) == ("MINUS", -100)
    assert annot.genes_within("c1", 3000, 2500) == ["MINUS", "PLUS"]
    assert annot.genes_within("c1", 3000, 1000) == []


def test_synthetic_gtf_has_genes_of_concern(test_data):
    tx = read_transcripts(test_data / "genome" / "genes.gtf")
    names = {t.gene for t in tx}
    concern = set(load_genes_of_concern())
    assert {"LMO2", "MECOM", "CCND2"} <= names & concern


def test_real_genepred_with_bin_column(shared_data):
    path = shared_data / "integration" / "annotation" / "hg38.ncbiRefSeqCurated.June2019.genePred.txt.gz"
    tx = read_transcripts(path)
    assert len(tx) == 73080  # as stated in shared/data/integration/README.md
    ann = GeneAnnotator(tx)
    # LMO2 (hg38 chr11:33,858,576-33,892,289, minus strand, NCBI RefSeq)
    inside = ann.annotate("chr11", 33_870_000)
    assert "LMO2" in inside["gene"].split(",")


def test_real_headed_refgene_table(shared_data):
    tx = read_transcripts(shared_data / "integration" / "hiannotator_hiv_mlv_hg18" / "refGene_hg18.tsv.gz")
    assert len(tx) == 33965
    assert any(t.gene == "DLX1" and t.chrom == "chr2" for t in tx)


def test_not_an_annotation(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("hello\tworld\n")
    with pytest.raises(InputError, match="not a GTF or genePred"):
        read_transcripts(p)
