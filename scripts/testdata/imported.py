"""Synthetic laboratory results that the demo config imports into the report (report.imported).

They stand for what a sponsor measures in the lab (vector copy number and transduction, RCL testing,
biodistribution by qPCR); cgtsafe does not compute them, it shows them as imported with their file
checksum and GLP status. Values are invented for the demo and labelled so in every file.
"""

from __future__ import annotations

from pathlib import Path


def generate(outdir: Path, ctx: dict) -> None:
    d = outdir / "imported"
    d.mkdir(parents=True, exist_ok=True)
    (d / "vcn_transduction.tsv").write_text(
        "lot\tassay\tvcn_per_transduced_cell\tvcn_per_cell\ttransduction_pct\tnote\n"
        "DEMO-L001\tddPCR (WPRE/RPP30); flow (CAR+)\t2.1\t0.88\t41.9\tsynthetic demo value\n"
        "DEMO-L002\tddPCR (WPRE/RPP30); flow (CAR+)\t2.4\t1.02\t42.5\tsynthetic demo value\n"
        "DEMO-L003\tddPCR (WPRE/RPP30); flow (CAR+)\t1.9\t0.71\t37.4\tsynthetic demo value\n"
    )
    (d / "rcl_testing.tsv").write_text(
        "sample\tmatrix\tmethod\tresult\tunit\tnote\n"
        "DEMO-L001 end of production cells\tcells\tC8166 co-culture + p24 ELISA\tnot detected\tpg/mL p24\tsynthetic demo value\n"
        "DEMO-L001 supernatant\tsupernatant\tC8166 co-culture + p24 ELISA\tnot detected\tpg/mL p24\tsynthetic demo value\n"
        "DEMO-L002 end of production cells\tcells\tVSV-G qPCR\t3.2\tcopies/ug DNA\tsynthetic demo value\n"
    )
    (d / "biodistribution.tsv").write_text(
        "tissue\tday\tanimals\tcar_copies_per_ug_dna_mean\tlloq\tnote\n"
        "blood\t7\t5\t15200\t50\tsynthetic demo value\n"
        "spleen\t7\t5\t8800\t50\tsynthetic demo value\n"
        "liver\t7\t5\t410\t50\tsynthetic demo value\n"
        "lung\t7\t5\t1290\t50\tsynthetic demo value\n"
        "heart\t7\t5\t<LLOQ\t50\tsynthetic demo value\n"
        "brain\t7\t5\t<LLOQ\t50\tsynthetic demo value\n"
        "gonads\t7\t5\t<LLOQ\t50\tsynthetic demo value\n"
        "blood\t28\t5\t2100\t50\tsynthetic demo value\n"
        "spleen\t28\t5\t950\t50\tsynthetic demo value\n"
    )
    (d / "README.md").write_text(
        "# imported/: synthetic laboratory results for the demo\n\n"
        "Invented values that show how `report.imported` presents results measured outside cgtsafe:\n"
        "`vcn_transduction.tsv` (kind `vcn`), `rcl_testing.tsv` (kind `rcv`, checked against the declared limit in\n"
        "the config), `biodistribution.tsv` (kind `biodistribution`). Not real data.\n"
    )
