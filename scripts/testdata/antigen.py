"""Synthetic sponsor target-expression studies for the demo (``test-data/antigen/``).

``ihc_tcr_studies.tsv``  the sponsor's immunohistochemistry / tissue cross-reactivity rows for the demo targets
(columns documented in ``cgtsafe.antigen.studies``). Invented values: they show how the report puts the sponsor's
studies next to the computed expression profile; they are not data about CD19 or MAGE-A3.
"""

from __future__ import annotations

from pathlib import Path


def generate(outdir: Path, ctx: dict) -> None:
    d = outdir / "antigen"
    d.mkdir(parents=True, exist_ok=True)
    (d / "ihc_tcr_studies.tsv").write_text(
        "target\ttissue\tmethod\tresult\tvital\tcell_type\tintensity\tstudy_id\tnote\n"
        "CD19\tspleen\tIHC\tpositive\tno\tB cells (follicles)\tstrong\tDEMO-TCR-001\tsynthetic demo value\n"
        "CD19\tlymph node\tIHC\tpositive\tno\tB cells\tstrong\tDEMO-TCR-001\tsynthetic demo value\n"
        "CD19\tcerebrum\tTCR\tnegative\t\t\t\tDEMO-TCR-001\tsynthetic demo value\n"
        "CD19\tcerebellum\tTCR\tequivocal\t\tperivascular cells\tweak\tDEMO-TCR-001\tsynthetic demo value; re-test\n"
        "CD19\theart\tTCR\tnegative\t\t\t\tDEMO-TCR-001\tsynthetic demo value\n"
        "MAGEA3\ttestis\tIHC\tpositive\tno\tgerm cells\tstrong\tDEMO-TCR-002\tsynthetic demo value\n"
        "MAGEA3\theart\tIHC\tnegative\t\t\t\tDEMO-TCR-002\tsynthetic demo value\n"
    )
    (d / "README.md").write_text(
        "# antigen/: synthetic sponsor target-expression studies for the demo\n\n"
        "`ihc_tcr_studies.tsv`: invented immunohistochemistry / tissue cross-reactivity rows (config `antigen.studies`);\n"
        "columns in `docs/config/antigen.md`. Made by `scripts/testdata/antigen.py`.\n")
