"""Sample sheets are checked against workflow/schemas/samples_*.schema.yaml: one line naming file, line, column."""

from __future__ import annotations

import pytest
import yaml

from cgtsafe.errors import InputError
from cgtsafe.integration.layout import layout_from_mapping, read_samples
from cgtsafe.io.sheets import KINDS
from cgtsafe.sitecheck.quantify import read_wgs_sheet
from cgtsafe.sitecheck.sheets import read_amplicon_sheet


def _sheet(tmp_path, header, rows):
    p = tmp_path / "s.tsv"
    p.write_text("\t".join(header) + "\n" + "".join("\t".join(r) + "\n" for r in rows))
    return p


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_a_valid_row_schema(repo, kind):
    import jsonschema

    schema = yaml.safe_load((repo / "workflow" / "schemas" / f"samples_{kind}.schema.yaml").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) <= set(schema["properties"])
    # every column is text and described (the docs are generated from the descriptions)
    for col, spec in schema["properties"].items():
        assert spec["type"] == "string" and spec.get("description"), col


def test_demo_sheets_pass(repo, monkeypatch):
    monkeypatch.chdir(repo)
    demo = repo / "test-data" / "demo"
    assert list(read_wgs_sheet(demo / "samples_wgs.tsv")["sample"]) == ["EDITED_D1", "CONTROL_D1"]
    assert len(read_amplicon_sheet(demo / "samples_amplicon.tsv")) == 14  # nuclease 8, CBE arm 4, PE arm 2


def test_wgs_control_name_checked_by_schema(tmp_path):
    bam = tmp_path / "x.bam"
    bam.write_bytes(b"")
    p = _sheet(tmp_path, ["sample", "role", "file", "control"],
               [["E", "edited", str(bam), "C 1"], ["C", "control", str(bam), ""]])
    with pytest.raises(InputError) as e:
        read_wgs_sheet(p)
    assert str(e.value) == (f"{p}: sample sheet column control: expected a sample name of this sheet, or empty, "
                            "got 'C 1' (line 2)")


def test_amplicon_empty_amplicon_checked_by_schema(tmp_path):
    fq = tmp_path / "x.fq"
    fq.write_text("")
    p = _sheet(tmp_path, ["sample", "role", "amplicon", "fastq", "fastq2", "control"],
               [["C", "control", "A1", str(fq), "", ""], ["C2", "control", "", str(fq), "", ""]])
    with pytest.raises(InputError, match=r"s.tsv: sample sheet column amplicon: expected an amplicon name .* "
                                         r"got '' \(line 3\)"):
        read_amplicon_sheet(p)


@pytest.mark.parametrize("row,match", [
    (["S1", "P1", "m1", "PBMC", "ACGTNA"], r"column barcode: expected a DNA barcode \(A, C, G, T\) or empty, "
                                           r"got 'ACGTNA' \(line 2\)"),
    (["S1", "", "m1", "PBMC", "ACGTAA"], r"column subject: expected a subject .* got '' \(line 2\)"),
])
def test_integration_sheet_checked_by_schema(tmp_path, row, match):
    p = _sheet(tmp_path, ["sample", "subject", "timepoint", "cell_type", "barcode"], [row])
    with pytest.raises(InputError, match=match):
        read_samples(p, layout_from_mapping({"primer": "GAAAATC", "ltr_bit": "TCTAGCA",
                                              "linker": "CGCAGACATCNNNNNNCTCCGCTTAAG"}))
