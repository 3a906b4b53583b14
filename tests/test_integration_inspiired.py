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

import pytest

from cgtsafe.validation.reference import (INSPIIRED, INSPIIRED_FILES, INSPIIRED_STAGES, inspiired_attr_rows,
                                         run_inspiired)
from conftest import SHARED_DATA

DIR = SHARED_DATA / INSPIIRED
STAGES = INSPIIRED_STAGES


def _attr_rows():
    return inspiired_attr_rows(DIR) if (DIR / "intSiteValidation.attr").exists() else []


@pytest.fixture(scope="module")
def run():
    """The same run as the method-validation record (cgtsafe.validation.reference.run_inspiired)."""
    for f in INSPIIRED_FILES:
        if not (DIR / f).exists():
            pytest.skip(f"real reference data absent: {DIR / f} not found")
    _attr, tables = run_inspiired(DIR)
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
