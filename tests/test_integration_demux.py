"""Barcodes, FASTQ integrity, sample sheet and layout checks of the read processing (one-line errors)."""

from __future__ import annotations

import gzip

import pytest

from cgtsafe.cli import main
from cgtsafe.errors import InputError
from cgtsafe.integration.demux import BarcodeAssigner, iter_pairs, read_fastq
from cgtsafe.integration.layout import layout_from_mapping, read_layout, read_samples

BCS = ["AATCCGTACAGC", "ACACCTGGTGAT", "TATCGTTGACCA"]
LAYOUT = {"primer": "GAAAATC", "ltr_bit": "TCTAGCA", "linker": "CGCAGACATCNNNNNNCTCCGCTTAAG"}


@pytest.mark.parametrize("read,expected", [
    ("AATCCGTACAGC", 0), ("AATCCGTACAGG", 0), ("TATCGTTGACCA", 2), ("TTTCGTTGACCA", 2),
    ("AATCCGTACTTC", -1),          # 2 substitutions
    ("AATCCGNACAGC", 0),           # N counts as one mismatch
    ("NNTCCGTACAGC", -1), ("GGGGGGGGGGGG", -1),
])
def test_barcode_assignment(read, expected):
    assert BarcodeAssigner(BCS, 1).assign(read) == expected


def test_barcode_exact_mode():
    assert BarcodeAssigner(BCS, 0).assign("AATCCGTACAGG") == -1


def _sheet(tmp_path, rows, extra=""):
    p = tmp_path / "s.tsv"
    p.write_text("sample\tsubject\ttimepoint\tcell_type\tbarcode" + extra + "\n"
                 + "".join("\t".join(r) + "\n" for r in rows))
    return p


def test_duplicated_barcode_rejected(tmp_path):
    p = _sheet(tmp_path, [("a", "P", "t1", "PBMC", BCS[0]), ("b", "P", "t2", "PBMC", BCS[0])])
    with pytest.raises(InputError, match=r"s.tsv, line 3: barcode AATCCGTACAGC is duplicated \(first on line 2\)"):
        read_samples(p, layout_from_mapping(LAYOUT))


def test_barcodes_too_close_for_tolerance(tmp_path):
    p = _sheet(tmp_path, [("a", "P", "t1", "PBMC", "AATCCGTACAGC"), ("b", "P", "t2", "PBMC", "AATCCGTACATT")])
    with pytest.raises(InputError, match="differ at only 2 position"):
        read_samples(p, layout_from_mapping(LAYOUT))
    # allowed when no mismatch is tolerated
    assert len(read_samples(p, layout_from_mapping({**LAYOUT, "barcode_max_mismatches": 0}))) == 2


def test_sheet_missing_column(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_text("sample\tsubject\ttimepoint\tbarcode\na\tP\tt1\tAATCCGTACAGC\n")
    with pytest.raises(InputError, match="lacks column"):
        read_samples(p, layout_from_mapping(LAYOUT))


@pytest.mark.parametrize("key", ["primer", "ltr_bit", "linker"])
def test_layout_key_missing(tmp_path, key):
    p = tmp_path / "layout.yaml"
    p.write_text("".join(f"{k}: {v}\n" for k, v in LAYOUT.items() if k != key))
    with pytest.raises(InputError, match=f"layout.yaml: layout key '{key}' is required but missing"):
        read_layout(p)


@pytest.mark.parametrize("bad,msg", [
    ({"primer": "GAAXTC"}, "expected A/C/G/T only"),
    ({"linker": "ACGTNNNACGNNNAC"}, "at most one N-run"),
    ({"barcode_max_mismatches": -1}, "non-negative integer"),
    ({"min_identity": 1.5}, "between 0 and 1"),
    ({"primer_mismatches": 1}, "unknown layout key"),
])
def test_layout_values_checked(bad, msg):
    with pytest.raises(InputError, match=msg):
        layout_from_mapping({**LAYOUT, **bad})


def test_inline_layout():
    lay = read_layout('{"primer": "GAAAATC", "ltr_bit": "TCTAGCA", "linker": "ACGTNNNNACGT", "min_identity": 0.9}')
    assert lay.min_identity == 0.9 and lay.linker_for().umi_length == 4


def _fq(path, records, *, gz=True):
    text = "".join(f"@{n} x\n{s}\n+\n{q}\n" for n, s, q in records)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def test_truncated_fastq_names_file_and_record(tmp_path):
    p = tmp_path / "R1.fastq"
    p.write_text("@r1\nACGT\n+\nFFFF\n@r2\nACGT\n+\n")
    with pytest.raises(InputError, match=r"R1.fastq: record 2: truncated FASTQ record"):
        list(read_fastq(p))


def test_truncated_gzip_fastq(tmp_path):
    p = _fq(tmp_path / "R1.fastq.gz", [(f"r{i}", "ACGT" * 20, "F" * 80) for i in range(500)])
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"R1.fastq.gz: record \d+: "):
        list(read_fastq(p))


def test_sequence_quality_length_mismatch(tmp_path):
    p = tmp_path / "R2.fastq"
    p.write_text("@r1\nACGT\n+\nFFF\n")
    with pytest.raises(InputError, match="record 1: sequence and quality lengths differ"):
        list(read_fastq(p))


def test_pairs_out_of_sync(tmp_path):
    r1 = _fq(tmp_path / "R1.fq.gz", [("a", "ACGT", "FFFF"), ("b", "ACGT", "FFFF")])
    r2 = _fq(tmp_path / "R2.fq.gz", [("a", "ACGT", "FFFF"), ("c", "ACGT", "FFFF")])
    with pytest.raises(InputError, match=r"R2.fq.gz: record 2: read name 'c' differs from 'b'"):
        list(iter_pairs(r1, r2))


def test_pairs_one_file_shorter(tmp_path):
    r1 = _fq(tmp_path / "R1.fq.gz", [("a", "ACGT", "FFFF"), ("b", "ACGT", "FFFF")])
    r2 = _fq(tmp_path / "R2.fq.gz", [("a", "ACGT", "FFFF")])
    with pytest.raises(InputError, match=r"R2.fq.gz: record 2: file ends here while .*R1.fq.gz continues"):
        list(iter_pairs(r1, r2))


def test_read_name_suffixes_accepted(tmp_path):
    r1 = _fq(tmp_path / "R1.fq", [("a/1", "ACGT", "FFFF")], gz=False)
    r2 = _fq(tmp_path / "R2.fq", [("a/2", "ACGT", "FFFF")], gz=False)
    assert [x[0] for x in iter_pairs(r1, r2)] == ["a"]


def test_cli_reports_one_line_and_writes_nothing(tmp_path, capsys, test_data):
    """Out-of-sync R1/R2 through the CLI: exit 2, one line naming the file and record, no outputs."""
    sheet = _sheet(tmp_path, [("a", "P", "t1", "PBMC", BCS[0])])
    lay = tmp_path / "layout.yaml"
    lay.write_text("".join(f"{k}: {v}\n" for k, v in LAYOUT.items()))
    rec = [("a", "ACGT", "FFFF"), ("b", "ACGT", "FFFF")]
    r1 = _fq(tmp_path / "R1.fq.gz", rec)
    r2 = _fq(tmp_path / "R2.fq.gz", [rec[0], ("x", "ACGT", "FFFF")])
    i1 = _fq(tmp_path / "I1.fq.gz", [(n, BCS[0], "F" * 12) for n, _, _ in rec])
    vec = tmp_path / "v.fa"
    vec.write_text(">v\n" + "ACGTTGCA" * 10 + "\n")
    out = tmp_path / "out"
    rc = main(["integration", "call-sites", "--samples", str(sheet), "--layout", str(lay), "--r1", str(r1),
               "--r2", str(r2), "--i1", str(i1), "--genome", str(test_data / "genome" / "ref.fa"),
               "--vector", str(vec), "--out-dir", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "R2.fq.gz: record 2: read name 'x' differs" in err[0]
    assert not out.exists()
