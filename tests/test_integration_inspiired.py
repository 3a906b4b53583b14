"""Read-processing stages against intSiteCaller's published attrition table (real MiSeq run).

Data: ../shared/data/integration/intsitecaller_validation/ (BushmanLab/intSiteCaller test case: 10,000
read pairs of an INSPIIRED LM-PCR run, 41 samples by 12-nt Golay barcodes in I1; the expected
attrition ``intSiteValidation.attr``). Its genome (hg18) is not available, so the alignment stage is
not compared here (it is tested on the synthetic run in test_integration_reads.py).

Stage correspondence (intSiteCaller column -> ours, ``read_stages.tsv`` / ``attrition.tsv``):

* ``Reads.p.beforeTrim`` (reads demultiplexed to the sample) -> ``barcode``
* ``Reads.p.afterTrim`` / ``Reads.l.afterTrim`` (R2 / R1 keeping > 65 nt after the sliding-window
  quality trim) -> ``r2_qtrimmed`` / ``r1_qtrimmed``
* ``primed`` / ``LTRed`` (R2 with primer / + LTR end) -> ``r2_primed`` / ``r2_ltr``
* ``linkered`` (R1 with both linker parts around the primerID, independent of R2) -> ``r1_linker``
* ``curated`` (pairs surviving trimming, the mingDNA length filter and the vector filter) ->
  ``quality_filtered`` (looser tolerance: intSiteCaller screens vector with BLAT, we with k-mers)

Settings: intSiteCaller of that run required exact primer, LTR end and linker parts, searched the
linker anywhere in R1 and used mingDNA = 30 with ``width > 30``; so the layout here is
``primer_max_mismatches=0, ltr_max_mismatches=0, linker_max_mismatch_rate=0, linker_max_offset=null,
min_genomic_length=31``. Barcodes use our default Hamming <= 1 (intSiteCaller decodes Golay codes,
which corrects more, hence the small shortfall in ``barcode``). clone7 samples and UNIF have ``NA``
(the run failed for them by design) and are skipped.
"""

from __future__ import annotations

import csv

import pytest

from cgtsafe.integration.callsites import call_sites
from cgtsafe.integration.layout import layout_from_mapping, read_samples
from conftest import SHARED_DATA

DIR = SHARED_DATA / "integration" / "intsitecaller_validation"
FILES = ("Undetermined_S0_L001_I1_001.fastq.gz", "Undetermined_S0_L001_R1_001.fastq.gz",
         "Undetermined_S0_L001_R2_001.fastq.gz", "sampleInfo.tsv", "intSiteValidation.attr", "p746vector.fasta")
STAGES = [("Reads.p.beforeTrim", "barcode"), ("Reads.p.afterTrim", "r2_qtrimmed"),
          ("Reads.l.afterTrim", "r1_qtrimmed"), ("primed", "r2_primed"), ("LTRed", "r2_ltr"),
          ("linkered", "r1_linker")]


def _attr_rows():
    p = DIR / "intSiteValidation.attr"
    if not p.exists():
        return []
    with open(p) as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["primed"] != "NA"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    for f in FILES:
        if not (DIR / f).exists():
            pytest.skip(f"real reference data absent: {DIR / f} not found")
    with open(DIR / "sampleInfo.tsv") as fh:
        info = list(csv.DictReader(fh, delimiter="\t"))
    first = info[0]
    layout = layout_from_mapping({
        "primer": first["primer"], "ltr_bit": first["ltrBit"], "linker": first["linkerSequence"],
        "ltr_readthrough": first["largeLTRFrag"][:20],
        "primer_max_mismatches": 0, "ltr_max_mismatches": 0, "linker_max_mismatch_rate": 0,
        "linker_max_offset": None, "min_genomic_length": 31,
    })
    sheet = tmp_path_factory.mktemp("insp") / "samples.tsv"
    with open(sheet, "w") as fh:
        fh.write("sample\tsubject\ttimepoint\tcell_type\tbarcode\tlinker\n")
        for r in info:
            assert r["primer"] == first["primer"] and r["ltrBit"] == first["ltrBit"]
            fh.write(f"{r['alias']}\t{r['alias'].rsplit('-', 1)[0]}\tNA\tcell_line\t{r['bcSeq']}\t{r['linkerSequence']}\n")
    samples = read_samples(sheet, layout)
    tables = call_sites(samples, layout, genome=None, vector=DIR / "p746vector.fasta",
                        r1=DIR / FILES[1], r2=DIR / FILES[2], i1=DIR / FILES[0])
    return {"stages": tables["read_stages"].set_index("sample"), "attrition": tables["attrition"].set_index("sample")}


@pytest.mark.realdata
@pytest.mark.parametrize("row", _attr_rows() or [pytest.param(None, marks=pytest.mark.skip(reason="real reference data absent"))],
                         ids=lambda r: r["sample"] if r else "absent")
def test_read_stages_within_5_percent(run, row):
    got = run["stages"].loc[row["sample"]]
    for theirs, ours in STAGES:
        expected = int(row[theirs])
        assert abs(int(got[ours]) - expected) <= 0.05 * expected, (
            f"{row['sample']}: {ours}={got[ours]} vs intSiteCaller {theirs}={expected}")


@pytest.mark.realdata
@pytest.mark.parametrize("row", _attr_rows() or [pytest.param(None, marks=pytest.mark.skip(reason="real reference data absent"))],
                         ids=lambda r: r["sample"] if r else "absent")
def test_curated_pairs_close(run, row):
    got = int(run["attrition"].loc[row["sample"], "quality_filtered"])
    expected = int(row["curated"])
    assert abs(got - expected) <= max(3, 0.15 * expected), f"{row['sample']}: {got} vs curated {expected}"


@pytest.mark.realdata
def test_unassigned_reads_counted(run):
    att = run["attrition"]
    assert att.loc["undetermined", "barcode"] + att.drop(index="undetermined")["barcode"].sum() == 10000
