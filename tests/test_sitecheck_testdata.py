"""The synthetic sequencing data (scripts/testdata/sequencing.py) agree with their truth tables.

Checked with independent code paths: read-level counts from the CRAM CIGARs (pysam), anchors in the
amplicon reads, pileup allele fractions of the germline truth, depth/duplicate/error statistics.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

ROOT = Path(__file__).resolve().parents[1]
TD = ROOT / "test-data"
SEQ = TD / "sequencing"
REF = TD / "genome" / "ref.fa"
SAMPLES = {"EDITED_D1": SEQ / "wgs_edited.cram", "CONTROL_D1": SEQ / "wgs_control.cram"}

pytestmark = pytest.mark.skipif(not (SEQ / "truth_sites.tsv").exists(), reason="test-data/sequencing absent")


def _tsv(name):
    return pd.read_csv(SEQ / name, sep="\t", keep_default_na=False)


@pytest.fixture(scope="module")
def fasta():
    return pysam.FastaFile(str(REF))


@pytest.fixture(scope="module")
def truth_sites():
    return _tsv("truth_sites.tsv")


def _open(sample):
    return pysam.AlignmentFile(str(SAMPLES[sample]), reference_filename=str(REF))


def test_truth_sites_match_planted_table(truth_sites):
    planted = pd.read_csv(TD / "offtarget" / "planted_sites.tsv", sep="\t", keep_default_na=False)
    m = planted.merge(truth_sites, on="site_id", suffixes=("", "_t"))
    assert len(m) == len(planted)
    assert (m["cut_start"].astype(int) == m["cut"].astype(int)).all()
    assert np.allclose(m["wgs_edit_freq"].astype(float), m["wgs_edit_freq_t"].astype(float))
    amp = m[m["amplicon"].astype(str) == "1"]
    assert len(amp) == 4
    assert np.allclose(amp["amplicon_edit_freq"].astype(float), amp["wgs_edit_freq"].astype(float))


def _classify_reads(af, chrom, cut, anchor=15):
    """Primary non-duplicate reads containing reference bases cut-15 and cut+14; with/without an indel there."""
    edited = unedited = 0
    for r in af.fetch(chrom, cut - anchor, cut + anchor):
        if r.is_secondary or r.is_supplementary or r.is_duplicate or r.is_unmapped:
            continue
        ref_pos = set(r.get_reference_positions())
        if (cut - anchor) not in ref_pos or (cut + anchor - 1) not in ref_pos:
            continue
        pos = r.reference_start
        indel = False
        for op, n in r.cigartuples:
            if op == 2 and pos < cut + anchor and pos + n > cut - anchor:
                indel = True
            if op == 1 and cut - anchor < pos <= cut + anchor:
                indel = True
            if op in (0, 2, 3, 7, 8):
                pos += n
        if r.has_tag("SA"):
            continue
        edited += indel
        unedited += not indel
    return edited, unedited


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_wgs_read_classes_match_truth(sample, truth_sites):
    with _open(sample) as af:
        for row in truth_sites.itertuples():
            e, u = _classify_reads(af, row.chrom, int(row.cut))
            assert e == int(getattr(row, f"wgs_{sample}_edited")), row.site_id
            assert u == int(getattr(row, f"wgs_{sample}_unedited")), row.site_id
    if sample == "CONTROL_D1":
        assert truth_sites[f"wgs_{sample}_edited"].astype(int).sum() == 0


def test_edited_fraction_consistent_with_planted_frequency(truth_sites):
    from scipy.stats import binomtest

    for row in truth_sites.itertuples():
        n = int(row.wgs_EDITED_D1_edited) + int(row.wgs_EDITED_D1_unedited) + int(row.wgs_EDITED_D1_sv)
        if n == 0:
            continue
        # the planted frequency counts alleles; SV alleles do not carry a small indel
        assert binomtest(int(row.wgs_EDITED_D1_edited), n, float(row.wgs_edit_freq)).pvalue > 0.001, row.site_id


def test_alignment_file_properties():
    with _open("EDITED_D1") as af:
        hdr = af.header.to_dict()
        assert hdr["HD"]["SO"] == "coordinate"
        assert [rg["SM"] for rg in hdr["RG"]] == ["EDITED_D1"]
        assert af.has_index()
        n = dup = sec = sup = low = total_len = 0
        last = (-1, -1)
        for r in af.fetch("chr2"):
            key = (r.reference_id, r.reference_start)
            assert key >= last
            last = key
            n += 1
            dup += r.is_duplicate
            sec += r.is_secondary
            sup += r.is_supplementary
            if not r.is_secondary and not r.is_duplicate:
                low += r.mapping_quality < 20
                total_len += r.query_alignment_length
            assert r.get_tag("RG") == "EDITED_D1"
        # the planted copy-number gain on chr2 (test-data/cnv/truth.tsv) adds its extra copy's reads
        import csv

        with open(TD / "cnv" / "truth.tsv", encoding="utf-8") as fh:
            extra = sum((int(e["end"]) - int(e["start"])) * float(e["cell_fraction"]) * int(e["copies"]) / 2
                        for e in csv.DictReader(fh, delimiter="\t") if e["chrom"] == "chr2")
        depth = total_len / (600_000 + extra)
        assert 25 < depth < 33
        assert 0.02 < dup / n < 0.04
        assert sup >= 1  # a translocation junction piece (SA-tagged) lies on chr2
        assert 0.003 < low / n < 0.03  # 0.3 % random + reads in repeated sequence
    with _open("CONTROL_D1") as af:
        assert [rg["SM"] for rg in af.header.to_dict()["RG"]] == ["CONTROL_D1"]
        sec_dup = sum(r.is_secondary for r in af.fetch("chr3", 250_000, 270_000))
        assert sec_dup > 10  # secondary records in the chr1 -> chr3 duplicated segment


def test_substitution_error_rate(fasta):
    germ = _tsv("truth_germline.tsv")
    skip = {int(p) - 1 for c, p in zip(germ["chrom"], germ["pos"]) if c == "chr4"}
    ref = fasta.fetch("chr4").upper()
    mm = bases = 0
    with _open("CONTROL_D1") as af:
        for r in af.fetch("chr4"):
            if r.is_secondary or r.is_duplicate or r.cigarstring != "150M":
                continue
            q = r.query_sequence
            s = r.reference_start
            for i in range(150):
                if s + i in skip:
                    continue
                bases += 1
                mm += q[i] != ref[s + i]
    assert 0.001 < mm / bases < 0.003


def test_germline_allele_fractions(fasta):
    germ = _tsv("truth_germline.tsv")
    snv = germ[(germ["ref"].str.len() == 1) & (germ["alt"].str.len() == 1)].iloc[::25]
    for sample in SAMPLES:
        with _open(sample) as af:
            for row in snv.itertuples():
                cov = af.count_coverage(row.chrom, int(row.pos) - 1, int(row.pos), quality_threshold=0,
                                        read_callback="all")
                counts = {b: int(c[0]) for b, c in zip("ACGT", cov)}
                n = sum(counts.values())
                if n < 10:
                    continue
                af_ = counts[row.alt] / n
                if row.genotype == "1/1":
                    assert af_ > 0.85, (sample, row)
                else:
                    assert 0.1 < af_ < 0.9, (sample, row)


def test_amplicon_table_and_reads(fasta, truth_sites):
    amps = _tsv("amplicons.tsv")
    assert list(amps.columns) == ["amplicon", "site_id", "chrom", "start", "end", "sequence", "guide", "cut_offset",
                                  "editor", "pegrna_extension", "scaffold"]
    for a in amps[amps["editor"].fillna("") != ""].itertuples():  # editor arms: test_sitecheck_demo_editors.py
        assert fasta.fetch(a.chrom, int(a.start), int(a.end)).upper() == a.sequence
    amps = amps[amps["editor"].fillna("") == ""]  # the nuclease arm, planted by sequencing.py
    ts = truth_sites.set_index("site_id")
    for a in amps.itertuples():
        seq = fasta.fetch(a.chrom, int(a.start), int(a.end)).upper()
        assert seq == a.sequence
        assert int(a.start) + int(a.cut_offset) == int(ts.loc[a.site_id, "cut"])
        assert 200 <= len(seq) <= 300
        # anchors 37-47 bp from the cut: outside planted edits (<= 20 bp) and planted germline variants
        left, right = seq[a.cut_offset - 47:a.cut_offset - 37], seq[a.cut_offset + 37:a.cut_offset + 47]
        gap = 84
        for sample in SAMPLES:
            with gzip.open(SEQ / "amplicon" / f"{sample}.{a.amplicon}.fastq.gz", "rt") as fh:
                lines = fh.read().splitlines()
            reads = lines[1::4]
            assert len(reads) == 2000 and all(x.startswith("@") for x in lines[0::4])
            assert all(len(s) == len(q) for s, q in zip(reads, lines[3::4]))
            changed = found = 0
            for r in reads:
                i, j = r.find(left), r.rfind(right)
                if i < 0 or j < 0:
                    continue
                found += 1
                changed += (j - i) != gap
            assert found > 1900
            expected = int(ts.loc[a.site_id, f"amplicon_{sample}_edited"])
            # anchors lost to sequencing errors and error indels near the cut make small differences
            assert abs(changed - expected * found / 2000) <= max(5, 0.03 * expected), (a.amplicon, sample)


def test_sv_truth_refers_to_planted_sites(truth_sites):
    sv = _tsv("truth_sv.tsv")
    assert set(sv["type"]) == {"DEL", "TRA"}
    on = truth_sites[truth_sites["wgs_edit_freq"].astype(float) == 0.6].iloc[0]
    dele = sv[sv["type"] == "DEL"].iloc[0]
    assert int(dele["pos1"]) < int(on["cut"]) < int(dele["pos2"])
    assert 2000 < int(dele["size"]) < 4000
    tra = sv[sv["type"] == "TRA"].iloc[0]
    assert (tra["chrom1"], int(tra["pos1"])) == (on["chrom"], int(on["cut"]))


@pytest.mark.slow
def test_regeneration_is_byte_identical(tmp_path):
    spec = importlib.util.spec_from_file_location("seqgen", ROOT / "scripts" / "testdata" / "sequencing.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "td"
    (out / "genome").mkdir(parents=True)
    (out / "offtarget").mkdir()
    for p in [*(TD / "genome").glob("ref.fa*"), TD / "genome" / "genes.gtf"]:
        (out / "genome" / p.name).write_bytes(p.read_bytes())
    for p in (TD / "offtarget").iterdir():
        (out / "offtarget" / p.name).write_bytes(p.read_bytes())
    mod.generate(out, mod._load_ctx(out, 20261121))
    for p in sorted(SEQ.rglob("*")):
        if p.is_file():
            q = out / "sequencing" / p.relative_to(SEQ)
            assert hashlib.sha256(q.read_bytes()).hexdigest() == hashlib.sha256(p.read_bytes()).hexdigest(), p.name
