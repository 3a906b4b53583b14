"""FASTQ reading (cgtsafe.io.fastq, dnaio) and the compressed-file opener (cgtsafe.io.compressed, xopen)."""

from __future__ import annotations

import bz2
import gzip
import lzma

import pytest

from cgtsafe.errors import InputError
from cgtsafe.io.compressed import open_input
from cgtsafe.io.fastq import read_fastq

RECORDS = [("r1", "ACGTN", "FFFF#"), ("r2", "TTGCA", "IIIII")]
TEXT = "@r1/1 extra words\nacgtn\n+\nFFFF#\n@r2/1\nTTGCA\n+r2/1\nIIIII\n"


@pytest.mark.parametrize("opener,suffix", [(None, ".fq"), (gzip.open, ".fq.gz"), (bz2.open, ".fq.bz2"),
                                            (lzma.open, ".fq.xz"), (gzip.open, ".fastq")])
def test_formats_by_content(tmp_path, opener, suffix):
    p = tmp_path / f"R1{suffix}"
    if opener is None:
        p.write_text(TEXT)
    else:
        with opener(p, "wt") as fh:
            fh.write(TEXT)
    assert list(read_fastq(p)) == RECORDS
    with open_input(p, "rt") as fh:
        assert fh.read() == TEXT


def test_crlf_and_trailing_blank_line(tmp_path):
    p = tmp_path / "R.fq"
    p.write_bytes(TEXT.replace("\n", "\r\n").encode() + b"\r\n")
    assert list(read_fastq(p)) == RECORDS


@pytest.mark.parametrize("text,msg", [
    ("@r1\nACGT\n+\nFFFF\n@r2\nACGT\n+\n", r"record 2: truncated FASTQ record \(file ends inside the record; line 8\)"),
    ("@r1\nACGT\n+\nFFF\n", r"record 1: sequence and quality lengths differ; truncated or corrupt; line 4"),
    ("@r1\nACGT\n+\nFFFF\nr2\nACGT\n+\nFFFF\n", r"record 2: malformed FASTQ record \(expected '@' header.*line 5\)"),
    ("@r1\nACGT\n-\nFFFF\n", r"record 1: malformed FASTQ record \(expected '@' header and '\+' line"),
    ("@r1\nACGé\n+\nFFFF\n", r"record 1: malformed FASTQ record \(Non-ASCII"),
    ("@r1\nACGT\n+r9\nFFFF\n", r"record 1: malformed FASTQ record \(Sequence descriptions don't match"),
])
def test_bad_records_are_one_line(tmp_path, text, msg):
    p = tmp_path / "bad.fq"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=msg) as err:
        list(read_fastq(p))
    assert str(err.value).startswith(str(p)) and "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="FASTQ file not found"):
        list(read_fastq(tmp_path / "none.fq"))
    with pytest.raises(InputError, match="gene annotation not found"):
        open_input(tmp_path / "none.gtf", "rt", what="gene annotation")
