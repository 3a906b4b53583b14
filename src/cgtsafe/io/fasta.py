"""FASTA genomes: plain, gzip or bgzip, with or without a .fai index.

Contig names are the first whitespace-separated word of the header. Sequences are returned as
``bytes`` exactly as in the file (soft-masked lower case kept); callers that search upper-case them.
Errors are one line naming the file and line.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

from cgtsafe.errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"
# IUPAC nucleotide codes (both cases) plus '*' and '-' that some tools emit
_ALLOWED = re.compile(rb"^[ACGTURYSWKMBDHVNacgturyswkmbdhvn*\-]*$")


def open_text_bytes(path: str | Path):
    """Open a possibly gzip/bgzip-compressed file for binary reading."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("expected a file, found a directory", path=path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == _GZIP_MAGIC:
        return gzip.open(path, "rb")
    return open(path, "rb")


def iter_fasta(path: str | Path, *, validate: bool = True) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, sequence)`` for each record of a FASTA file.

    Raises :class:`InputError` for an empty file, text before the first header, an empty
    header, letters that are not IUPAC nucleotide codes, and duplicate contig names
    (including names that only collide after the first word).
    """
    path = Path(path)
    seen: dict[str, str] = {}
    name: str | None = None
    chunks: list[bytes] = []
    n_records = 0
    try:
        with open_text_bytes(path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                line = raw.rstrip(b"\r\n")
                if not line:
                    continue
                if line.startswith(b">"):
                    if name is not None:
                        yield name, b"".join(chunks)
                    header = line[1:].decode("utf-8", "replace").strip()
                    if not header:
                        raise InputError("empty FASTA header ('>' with no name)", path=path, line=lineno)
                    name = header.split()[0]
                    if name in seen:
                        raise InputError(
                            f"contig name {name!r} occurs twice (headers {seen[name]!r} and {header!r} "
                            "collide after the first word); contig names must be unique",
                            path=path,
                            line=lineno,
                        )
                    seen[name] = header
                    chunks = []
                    n_records += 1
                    continue
                if name is None:
                    raise InputError(
                        "not a FASTA file: expected a '>' header line before sequence", path=path, line=lineno
                    )
                line = line.strip()
                if validate and not _ALLOWED.match(line):
                    bad = next(chr(c) for c in line if not _ALLOWED.match(bytes([c])))
                    raise InputError(
                        f"unexpected character {bad!r} in sequence of {name!r}; expected IUPAC nucleotide codes",
                        path=path,
                        line=lineno,
                    )
                chunks.append(line)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read FASTA ({exc})", path=path) from None
    if name is not None:
        yield name, b"".join(chunks)
    if n_records == 0:
        raise InputError("empty FASTA: no '>' record found", path=path)


def read_fasta(path: str | Path, *, validate: bool = True) -> dict[str, bytes]:
    """Read every record into memory, in file order."""
    return dict(iter_fasta(path, validate=validate))


def contig_lengths(path: str | Path) -> dict[str, int]:
    """Contig lengths, from the .fai index when present (fast), else by reading the file."""
    path = Path(path)
    fai = Path(str(path) + ".fai")
    if fai.exists() and not str(path).endswith(".gz"):
        lengths: dict[str, int] = {}
        for lineno, line in enumerate(fai.read_text().splitlines(), start=1):
            fields = line.split("\t")
            if len(fields) < 2 or not fields[1].isdigit():
                raise InputError("malformed .fai index line: expected NAME<TAB>LENGTH...", path=fai, line=lineno)
            lengths[fields[0]] = int(fields[1])
        return lengths
    return {name: len(seq) for name, seq in iter_fasta(path)}


def write_fasta(path: str | Path, records: dict[str, bytes | str], *, width: int = 60) -> None:
    """Write records with fixed line width (deterministic)."""
    with open(path, "wb") as out:
        for name, seq in records.items():
            if isinstance(seq, str):
                seq = seq.encode()
            out.write(b">" + name.encode() + b"\n")
            for i in range(0, len(seq), width):
                out.write(seq[i : i + width] + b"\n")


_COMP = bytes.maketrans(b"ACGTRYKMBDHVNacgtrykmbdhvn", b"TGCAYRMKVHDBNtgcayrmkvhdbn")


def revcomp(seq: bytes | str):
    """Reverse complement (IUPAC-aware, case kept); str in, str out; bytes in, bytes out."""
    if isinstance(seq, str):
        return seq.encode().translate(_COMP)[::-1].decode()
    return seq.translate(_COMP)[::-1]


_ALLOWED_BYTES = b"ACGTURYSWKMBDHVNacgturyswkmbdhvn*-"


def _gunzip(raw: bytes) -> bytes:
    """Decompress gzip/bgzip (all members); ISA-L (``isal``, ~3x faster) when installed, else zlib."""
    try:
        from isal import igzip
    except ImportError:  # pragma: no cover - optional speed-up
        return gzip.decompress(raw)
    return igzip.decompress(raw)


def read_fasta_whole(path: str | Path) -> list[tuple[str, bytes]]:
    """Fast reader: the whole file (plain/gzip/bgzip) in memory, as ``[(name, sequence)]`` in file order.

    Same result and same checks as :func:`read_fasta` (added for the genome-wide off-target search,
    where the line-by-line reader dominates run time). Whenever the fast checks find anything wrong,
    the file is re-read with :func:`iter_fasta` to raise the same one-line error with its line number.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("expected a file, found a directory", path=path)
    try:
        raw = path.read_bytes()
        data = _gunzip(raw) if raw[:2] == _GZIP_MAGIC else raw
    except (OSError, EOFError, gzip.BadGzipFile, ValueError):
        return list(iter_fasta(path))  # raises the precise error
    del raw
    stripped = data.lstrip(b"\r\n")
    ok = stripped.startswith(b">")
    records: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    if ok:
        for rec in stripped[1:].split(b"\n>"):
            header, _, body = rec.partition(b"\n")
            name_s = header.decode("utf-8", "replace").strip()
            if not name_s:
                ok = False
                break
            name = name_s.split()[0]
            if name in seen:
                ok = False
                break
            seen.add(name)
            seq = body.translate(None, b"\r\n")
            if seq.translate(None, _ALLOWED_BYTES):
                # whitespace inside lines, or a bad letter: let the exact reader decide
                ok = False
                break
            records.append((name, seq))
    if not ok:
        return list(iter_fasta(path))
    return records
