"""FASTQ reading through ``dnaio`` (cutadapt's I/O library) with one-line errors.

:func:`read_fastq` yields ``(name, sequence, quality)`` per record: the name is the first word of the
header without a ``/1``/``/2``/``/3`` suffix, the sequence upper-cased. Plain or compressed files
(opened by :func:`cgtsafe.io.compressed.open_input`: gzip/bgzip with ISA-L, bzip2, xz). A malformed,
truncated or non-ASCII record raises :class:`~cgtsafe.errors.InputError` naming the file, the record
(1-based) and the line (1-based). A trailing blank line after the last record is accepted.
:func:`read_fastq_chunks` is its batch form (lists of ``dnaio.SequenceRecord``, for hot loops that must not
build a tuple per record); :func:`record_name` the name rule.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from cgtsafe.errors import InputError

_INCOMPLETE = re.compile(r"The incomplete final record was: (.*)$", re.S)


def _describe(exc, n: int) -> str:
    """Our wording of a dnaio format error at record ``n``."""
    msg = str(exc).split(": ", 1)[-1] if "Error in FASTQ file" in str(exc) else str(exc)
    msg = " ".join(msg.split())  # one line
    line = getattr(exc, "line", None)
    at = f"; line {line + 1}" if line is not None else ""
    if "Premature end of file" in msg:
        return f"record {n}: truncated FASTQ record (file ends inside the record{at})"
    if "Length of sequence and qualities differ" in msg:
        return f"record {n}: sequence and quality lengths differ; truncated or corrupt{at}"
    if "expected to start with" in msg:
        return f"record {n}: malformed FASTQ record (expected '@' header and '+' line; {msg}{at})"
    return f"record {n}: malformed FASTQ record ({msg}{at})"


def _blank_tail(exc) -> bool:
    """Whether a premature-end error is only a trailing blank line."""
    m = _INCOMPLETE.search(str(exc))
    if not m or "Premature end of file" not in str(exc):
        return False
    try:
        return not str(ast.literal_eval(m.group(1).strip())).strip()
    except (ValueError, SyntaxError):
        return False


def read_fastq(path: str | Path, *, threads: int = 1) -> Iterator[tuple[str, str, str]]:
    """Yield ``(name, sequence, quality)`` of each record of the FASTQ file ``path``."""
    for chunk in read_fastq_chunks(path, threads=threads):
        for rec in chunk:
            yield record_name(rec.name), rec.sequence.upper(), rec.qualities


def record_name(header: str) -> str:
    """The read name of a FASTQ header: its first word without a ``/1``, ``/2`` or ``/3`` suffix."""
    name = header.split(maxsplit=1)[0] if header.strip() else ""
    return name[:-2] if name.endswith(("/1", "/2", "/3")) else name


def read_fastq_chunks(path: str | Path, size: int = 4096, *, threads: int = 1) -> Iterator[list]:
    """Yield the records of ``path`` as lists of ``size`` ``dnaio.SequenceRecord`` (the last list may be shorter;
    sequences as in the file, not upper-cased): the batch form of :func:`read_fastq`, same errors."""
    import dnaio

    from cgtsafe.io.compressed import open_input

    path = Path(path)
    n = 0
    chunk: list = []
    fh = open_input(path, "rb", threads=threads, what="FASTQ file")
    try:
        with dnaio.open(fh, fileformat="fastq") as reader:
            for rec in reader:
                chunk.append(rec)
                if len(chunk) == size:
                    n += size
                    yield chunk
                    chunk = []
    except dnaio.exceptions.FileFormatError as exc:
        if not _blank_tail(exc):
            raise InputError(_describe(exc, n + len(chunk) + 1), path=path) from None
    except (OSError, EOFError) as exc:
        raise InputError(f"record {n + len(chunk) + 1}: cannot read FASTQ ({exc})", path=path) from None
    finally:
        fh.close()
    if chunk:
        yield chunk
