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


# Mouse annotation (MGI symbols: first letter upper case). Lmo2 sits on mouse chr2 and Mecom on chr3 (GRCm39); the
# coordinates here are small synthetic stand-ins, the symbols are the real MGI ones.
MOUSE_GTF = """\
chr2\tt\ttranscript\t100001\t120000\t.\t-\t.\tgene_id "ENSMUSG00000032698"; transcript_id "T1"; gene_name "Lmo2";
chr2\tt\texon\t100001\t120000\t.\t-\t.\tgene_id "ENSMUSG00000032698"; transcript_id "T1"; gene_name "Lmo2";
chr3\tt\ttranscript\t300001\t400000\t.\t-\t.\tgene_id "ENSMUSG00000027684"; transcript_id "T2"; gene_name "Mecom";
chr3\tt\texon\t300001\t400000\t.\t-\t.\tgene_id "ENSMUSG00000027684"; transcript_id "T2"; gene_name "Mecom";
chr3\tt\ttranscript\t600001\t610000\t.\t+\t.\tgene_id "ENSMUSG00000000001"; transcript_id "T3"; gene_name "Gnai3";
chr3\tt\texon\t600001\t610000\t.\t+\t.\tgene_id "ENSMUSG00000000001"; transcript_id "T3"; gene_name "Gnai3";
"""


def test_mouse_genes_of_concern_flagged_case_insensitively(tmp_path):
    """The shipped list is human (LMO2, MECOM); a mouse annotation's Lmo2 and Mecom are flagged by both the
    integration-site annotator and the off-target concern index (case-insensitive symbol match)."""
    from cgtsafe.integration.annotate import SiteAnnotator
    from cgtsafe.offtarget.annotate import ConcernIndex

    p = tmp_path / "mouse.gtf"
    p.write_text(MOUSE_GTF)
    ann = GeneAnnotator.from_file(p)
    goc = load_genes_of_concern()
    assert "LMO2" in goc and "Lmo2" in goc and "mecom" in goc and "Gnai3" not in goc
    assert goc["Lmo2"] == goc["LMO2"]
    site = SiteAnnotator(ann, goc, windows=(50000, 100000))
    inside = site.annotate_one("chr2", 110000, "+")  # 1-based position inside Lmo2
    assert inside["gene_of_concern"] == "Lmo2" and inside["goc_distance"] == 0
    near = site.annotate_one("chr3", 430000, "+")  # 30 kb past Mecom's end
    assert near["gene_of_concern"] == "Mecom" and near["goc_window"] == 50000
    far = site.annotate_one("chr3", 605000, "+")  # in Gnai3, > 100 kb from Mecom
    assert far["gene_of_concern"] == ""
    index = ConcernIndex(ann, goc)
    assert index.present == ["Lmo2", "Mecom"]
    assert index.near("chr2", 130000, 50000) == [(10001, "Lmo2")]  # 0-based; span end exclusive
