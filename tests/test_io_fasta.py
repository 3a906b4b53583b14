"""FASTA reading: formats, validation errors (one line naming file and line)."""

from __future__ import annotations

import gzip

import pysam
import pytest

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import contig_lengths, read_fasta, revcomp

RECORDS = ">c1 first contig\nACGTNacgt\nAC\n>c2\nRYKM\n"


@pytest.mark.parametrize("kind", ["plain", "gzip", "bgzip"])
def test_read_all_compressions(tmp_path, kind):
    plain = tmp_path / "g.fa"
    plain.write_text(RECORDS)
    path = plain
    if kind == "gzip":
        path = tmp_path / "g.fa.gz"
        path.write_bytes(gzip.compress(RECORDS.encode()))
    elif kind == "bgzip":
        path = tmp_path / "g.bgz.fa.gz"
        pysam.tabix_compress(str(plain), str(path))
    recs = read_fasta(path)
    assert recs == {"c1": b"ACGTNacgtAC", "c2": b"RYKM"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "empty FASTA"),
        ("ACGT\n", "line 1: not a FASTA file"),
        (">a\nACGT\n>a second\nAC\n", "line 3: contig name 'a' occurs twice"),
        (">a x\nAC\n>a y\nAC\n", "collide after the first word"),
        (">a\nAC1T\n", "line 2: unexpected character '1'"),
        (">\nACGT\n", "empty FASTA header"),
    ],
)
def test_bad_fasta_one_line(tmp_path, text, expected):
    p = tmp_path / "bad.fa"
    p.write_text(text)
    with pytest.raises(InputError) as err:
        read_fasta(p)
    msg = str(err.value)
    assert expected in msg and str(p) in msg and "\n" not in msg


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_fasta(tmp_path / "nope.fa")


def test_contig_lengths_with_and_without_fai(test_data, tmp_path):
    ref = test_data / "genome" / "ref.fa"
    with_fai = contig_lengths(ref)
    copy = tmp_path / "ref.fa"
    copy.write_bytes(ref.read_bytes())
    assert contig_lengths(copy) == with_fai
    # independent reference: pysam's own index
    fa = pysam.FastaFile(str(ref))
    assert with_fai == dict(zip(fa.references, fa.lengths))


def test_revcomp():
    assert revcomp("AACGTn") == "nACGTT"
    assert revcomp(b"ACGTRY") == b"RYACGT"
