"""Off-target: sites created or strengthened by donor / cell-line variants.

Truth: the ``variant_created`` / ``variant_lowered`` rows of test-data/offtarget/planted_sites.tsv
(their ``site``/``mismatches`` give the ALT-allele site) and test-data/offtarget/donor.vcf. Further
truths are constructed here from planted sites: an SNV that repairs the mismatch of a 1-mismatch site
(1 -> 0 mismatches), a 1-bp deletion that removes the extra base of a 1-DNA-bulge site (bulged ->
perfect), a 1-bp insertion of a missing guide base at a 2-RNA-bulge site (2 -> 1 RNA bulge), and a
variant far from any site (no row).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from helpers import GENOME, GTF, GUIDES, TD, demo_sites, need_test_data, truth

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import read_fasta
from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.variants import read_vcf, run_variants

VCF = TD / "offtarget" / "donor.vcf"
LIMITS = {"max_mismatches": 6, "max_dna_bulge": 2, "max_rna_bulge": 2}
HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def run(vcf, tmp_path, label="donor"):
    return run_variants(vcf=vcf, label=label, genome=GENOME, guides_path=GUIDES, nuclease=get_nuclease("SpCas9"),
                        pam=None, limits=LIMITS, genes=GTF, out=tmp_path / f"variants_{label}.tsv",
                        max_bulge_mismatches=2)


@pytest.fixture(scope="module")
def genome():
    need_test_data()
    return {k: v.decode() for k, v in read_fasta(GENOME).items()}


@pytest.mark.parametrize("category,effect", [("variant_created", "created"), ("variant_lowered", "lowered")])
def test_donor_vcf_truth(tmp_path, category, effect):
    need_test_data()
    out = run(VCF, tmp_path)
    t = truth().query("category == @category").iloc[0]
    row = out[out["site_id"] == t.site_id]
    assert len(row) == 1, out[["site_id", "effect"]]
    row = row.iloc[0]
    assert row["effect"] == effect
    assert (row["chrom"], row["start"], row["end"], row["strand"]) == (t.chrom, t.start, t.end, t.strand)
    assert row["site"] == t.site and row["mismatches"] == t.mismatches
    assert row["cut_start"] == t.cut_start and row["cut_end"] == t.cut_end
    if effect == "lowered":
        assert row["ref_mismatches"] == t.mismatches + 1
    else:
        assert row["ref_site"] == ""  # no reference site at the locus within the limits
    assert set(out["variant_id"]) == {"chr2:250023:C:G", "chr3:370014:T:C"}
    assert sorted(out["af"]) == [0.12, 0.5]
    assert (tmp_path / "variants_donor.tsv").exists()


def _write_vcf(path: Path, rows: list[str], gz: bool = False) -> Path:
    text = HEADER + "".join(r + "\n" for r in rows)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def _site(site_id):
    return demo_sites().set_index("site_id").loc[site_id]


def test_snv_repairing_a_mismatch(tmp_path, genome):
    """chr1:40000 (+) has 1 mismatch; the SNV that restores the guide base makes it perfect."""
    s = _site("DEMO_g1:chr1:40000:+")
    galn, saln = s["guide_aln"], s["site_aln"]
    i = next(k for k, (g, t) in enumerate(zip(galn, saln)) if t.islower())
    pos0 = int(s["start"]) + i  # + strand, no bulge: alignment column = genomic offset
    ref = genome["chr1"][pos0].upper()
    vcf = _write_vcf(tmp_path / "snv.vcf", [f"chr1\t{pos0 + 1}\t.\t{ref}\t{galn[i]}\t.\tPASS\tAF=0.3"])
    out = run(vcf, tmp_path)
    row = out[out["site_id"] == "DEMO_g1:chr1:40000:+"].iloc[0]
    assert row["effect"] == "lowered" and row["mismatches"] == 0 and row["ref_mismatches"] == 1
    assert row["site"].upper() == "GGGAGCAGAGAGCAAGCTGA" + row["pam"].upper()
    assert row["af"] == 0.3


def test_deletion_removing_a_dna_bulge(tmp_path, genome):
    """chr1:660000 (+) has 1 DNA bulge; deleting the extra base gives a perfect 23-nt site (coordinates map back)."""
    s = _site("DEMO_g1:chr1:660000:+")
    assert s["dna_bulge"] == 1 and s["mismatches"] == 0
    k = s["guide_aln"].index("-")  # alignment column of the extra genomic base = genomic offset (+ strand)
    pos0 = int(s["start"]) + k
    ref2 = genome["chr1"][pos0 - 1: pos0 + 1].upper()
    vcf = _write_vcf(tmp_path / "del.vcf", [f"chr1\t{pos0}\tdel1\t{ref2}\t{ref2[0]}\t.\t.\t."])
    out = run(vcf, tmp_path)
    rows = out[(out["guide"] == "DEMO_g1") & (out["chrom"] == "chr1") & (out["start"] == 660000)]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["effect"] == "lowered"
    assert (row["mismatches"], row["dna_bulge"], row["rna_bulge"]) == (0, 0, 0)
    assert row["ref_dna_bulge"] == 1
    assert (row["start"], row["end"]) == (660000, 660024)  # reference span still includes the deleted base
    assert len(row["site"]) == 23
    assert row["cut_start"] == s["cut_start"]


@pytest.mark.parametrize("which", [0, 1])
def test_insertion_filling_an_rna_bulge(tmp_path, genome, which):
    """chr1:760000 (+) lacks 2 guide bases (2 RNA bulges); inserting one of them leaves 1 RNA bulge."""
    s = _site("DEMO_g1:chr1:760000:+")
    assert s["rna_bulge"] == 2 and s["mismatches"] == 0
    galn, saln = s["guide_aln"], s["site_aln"]
    col = [k for k, c in enumerate(saln) if c == "-"][which]
    off = sum(1 for c in saln[:col] if c != "-")  # genomic bases before the missing guide base
    pos0 = int(s["start"]) + off - 1  # anchor base before the insertion
    anchor = genome["chr1"][pos0].upper()
    vcf = _write_vcf(tmp_path / "ins.vcf", [f"chr1\t{pos0 + 1}\tins1\t{anchor}\t{anchor}{galn[col]}\t.\tPASS\tAF=0.01"])
    out = run(vcf, tmp_path)
    rows = out[(out["guide"] == "DEMO_g1") & (out["chrom"] == "chr1") & (out["start"] == 760000)]
    assert len(rows) == 1, out
    row = rows.iloc[0]
    assert row["effect"] == "lowered" and (row["mismatches"], row["dna_bulge"], row["rna_bulge"]) == (0, 0, 1)
    assert (row["ref_mismatches"], row["ref_rna_bulge"]) == (0, 2)
    assert len(row["site"]) == len(s["site"]) + 1
    assert row["end"] == int(s["end"])  # reference span unchanged: the insertion lies inside


def test_variant_away_from_sites_gives_no_row(tmp_path, genome):
    pos0 = 850_000
    ref = genome["chr1"][pos0].upper()
    alt = {"A": "C", "C": "G", "G": "T", "T": "A"}.get(ref, "A")
    vcf = _write_vcf(tmp_path / "far.vcf", [f"chr1\t{pos0 + 1}\t.\t{ref}\t{alt}\t.\tPASS\t."])
    assert len(run(vcf, tmp_path)) == 0


def test_bgzip_and_filter_and_symbolic(tmp_path, genome):
    """bgzip/gzip VCF read; FILTER != PASS and symbolic alleles are skipped and counted."""
    need_test_data()
    lines = [ln for ln in VCF.read_text().splitlines() if not ln.startswith("#")]
    f = lines[1].split("\t")
    f[6] = "LowQual"
    ref = genome["chr4"][999].upper()
    rows = [lines[0], "\t".join(f), f"chr4\t1000\t.\t{ref}\t<DEL>\t.\tPASS\t."]
    p = tmp_path / "x.vcf.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("".join(ln + "\n" for ln in VCF.read_text().splitlines() if ln.startswith("#")))
        fh.write("".join(r + "\n" for r in rows))
    res = read_vcf(p, {k: len(v) for k, v in genome.items()})
    assert [a.variant_id for a in res.alleles] == ["chr2:250023:C:G"]
    assert res.skipped == {"filtered": 1, "symbolic": 1, "too_long": 0, "not_carried": 0}


def test_genotypes_select_carried_alleles(tmp_path, genome):
    """With FORMAT/GT only alleles carried by a sample are tested (0/0 everywhere = not carried)."""
    need_test_data()
    lines = [ln for ln in VCF.read_text().splitlines() if not ln.startswith("#")]
    header = "".join(ln + "\n" for ln in VCF.read_text().splitlines() if ln.startswith("#"))
    f = lines[0].split("\t")
    f[9] = "0/0"
    g = lines[1].split("\t")
    g[9] = "1|0"
    p = tmp_path / "gt.vcf"
    p.write_text(header + "\t".join(f) + "\n" + "\t".join(g) + "\n")
    res = read_vcf(p, {k: len(v) for k, v in genome.items()})
    assert [a.variant_id for a in res.alleles] == ["chr3:370014:T:C"] and res.skipped["not_carried"] == 1
    g[9] = "1/x"
    p.write_text(header + "\t".join(g) + "\n")
    with pytest.raises(InputError, match="line 11.*genotype"):
        read_vcf(p, {k: len(v) for k, v in genome.items()})


@pytest.mark.parametrize("row,msg", [
    ("chrZ\t100\t.\t{ref}\tG\t.\tPASS\t.", "contig 'chrZ' is not in the reference genome"),
    ("chr1\t100\t.\t{ref}\tG\t.\tPASS", "expected at least 8"),
    ("chr1\tx\t.\t{ref}\tG\t.\tPASS\t.", "POS must be a positive integer"),
    ("chr1\t100\t.\t{ref}\tZ\t.\tPASS\t.", "ALT allele 'Z'"),
    ("chr1\t100\t.\t{ref}\tG\t.\tPASS\tAF=high", "INFO/AF value 'high'"),
    ("chr4\t100001\t.\t{ref}\tG\t.\tPASS\t.", "beyond the end of chr4"),
    ("chr1\t100\t.\t{ref}CGTACGTAC\tG\t.\tPASS\t.", "does not match the reference genome"),
])
def test_bad_vcf_one_line(tmp_path, genome, row, msg):
    vcf = _write_vcf(tmp_path / "bad.vcf", [row.format(ref=genome["chr1"][99].upper())])
    with pytest.raises(InputError) as e:
        run(vcf, tmp_path, label="bad")
    text = str(e.value)
    assert msg in text and "bad.vcf, line 3" in text and "\n" not in text
    assert not (tmp_path / "variants_bad.tsv").exists()


def test_missing_vcf_one_line(tmp_path):
    need_test_data()
    with pytest.raises(InputError, match="not found"):
        run(tmp_path / "none.vcf", tmp_path)


def test_cli_bad_vcf_exit_2(tmp_path, capsys):
    need_test_data()
    from cgtsafe.cli import main

    vcf = _write_vcf(tmp_path / "bad.vcf", ["1\t100\t.\tA\tG\t.\tPASS\t."])
    rc = main(["offtarget", "variants", "--vcf", str(vcf), "--label", "d", "--genome", str(GENOME), "--guides",
               str(GUIDES), "--out", str(tmp_path / "v.tsv")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "'1' vs 'chr1'" in err and len(err.splitlines()) == 1


def _to_bcf(vcf_text: str, path: Path) -> Path:
    """A BCF written by htslib (pysam) from VCF text: the binary form users bring from bcftools."""
    import pysam

    src = path.with_suffix(".src.vcf")
    src.write_text(vcf_text)
    with pysam.VariantFile(str(src)) as vin, pysam.VariantFile(str(path), "wb", header=vin.header) as out:
        for rec in vin:
            out.write(rec)
    return path


def test_bcf_equals_vcf_multiallelic_and_genotype_edge_cases(tmp_path, genome):
    """BCF (decoded by htslib through pysam.VariantFile) gives the alleles of the same text VCF: a
    multi-allelic record with per-allele AF, GT edge cases (haploid, missing, phased, 0/0 only), FILTER."""
    need_test_data()
    header = "".join(ln + "\n" for ln in VCF.read_text().splitlines() if ln.startswith("#"))
    recs = [ln.split("\t") for ln in VCF.read_text().splitlines() if not ln.startswith("#")]
    a, b = recs[0], recs[1]
    ref3 = genome["chr4"][4999].upper()
    alts3 = ",".join(x for x in "ACGT" if x != ref3)
    rows = [
        "\t".join(a[:4] + [a[4] + ",T" if a[4] != "T" else "A,T"] + a[5:7] + ["AF=0.5,0.25"] + ["GT", "2"]),  # haploid 2
        "\t".join(b[:9] + ["./."]),                                                   # missing: not carried
        f"chr4\t5000\tmulti\t{ref3}\t{alts3}\t.\tPASS\tAF=0.1,0.2,0.3\tGT\t0|3",           # phased, 3rd ALT
        f"chr4\t6000\tlow\t{genome['chr4'][5999].upper()}\tA,C\t.\tq10\t.\tGT\t1/1",      # FILTER not PASS
    ]
    text = header.replace("##contig", "##FILTER=<ID=q10,Description=\"low\">\n##contig", 1) + "\n".join(rows) + "\n"
    vcf = tmp_path / "edge.vcf"
    vcf.write_text(text)
    bcf = _to_bcf(text, tmp_path / "edge.bcf")
    lengths = {k: len(v) for k, v in genome.items()}
    from_vcf = read_vcf(vcf, lengths)
    from_bcf = read_vcf(bcf, lengths)
    key = [(x.variant_id, x.vcf_id, x.af) for x in from_vcf.alleles]
    assert key == [(x.variant_id, x.vcf_id, x.af) for x in from_bcf.alleles]
    alt_a = a[4] + ",T" if a[4] != "T" else "A,T"
    assert [x.variant_id for x in from_vcf.alleles] == [f"{a[0]}:{a[1]}:{a[3]}:{alt_a.split(',')[1]}",
                                                         f"chr4:5000:{ref3}:{alts3.split(',')[2]}"]
    assert from_vcf.alleles[0].af == 0.25
    assert from_vcf.skipped == from_bcf.skipped == {"filtered": 1, "symbolic": 0, "too_long": 0, "not_carried": 4}
    # a BCF record on a contig the reference lacks: one line naming the record
    bad = _to_bcf(text.replace("##contig=<ID=chr4", "##contig=<ID=chrZ,length=100000>\n##contig=<ID=chr4", 1)
                  + f"chrZ\t10\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n", tmp_path / "bad.bcf")
    with pytest.raises(InputError, match=r"bad\.bcf, record 5: VCF contig 'chrZ' is not in the reference"):
        read_vcf(bad, lengths)
