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


def read_fai(fai: str | Path) -> dict[str, int]:
    """Contig lengths of a samtools ``.fai`` index, in file order."""
    fai = Path(fai)
    lengths: dict[str, int] = {}
    for lineno, line in enumerate(fai.read_text().splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 2 or not fields[1].isdigit():
            raise InputError("malformed .fai index line: expected NAME<TAB>LENGTH...", path=fai, line=lineno)
        lengths[fields[0]] = int(fields[1])
    return lengths


def contig_lengths(path: str | Path) -> dict[str, int]:
    """Contig lengths, from the .fai index when present (fast), else by reading the file."""
    path = Path(path)
    fai = Path(str(path) + ".fai")
    if fai.exists() and not str(path).endswith(".gz"):
        return read_fai(fai)
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
# identity for the allowed letters, NUL for every other byte
_CHECK_TABLE = bytes(i if bytes([i]) in _ALLOWED_BYTES else 0 for i in range(256))


def read_fasta_whole(path: str | Path) -> list[tuple[str, bytes]]:
    """Fast reader: every record in memory, as ``[(name, sequence)]`` in file order (see iter_fasta_fast)."""
    return list(iter_fasta_fast(path))


def _open_fast(path: Path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == _GZIP_MAGIC:
        try:
            from isal import igzip  # ISA-L: about 3x faster gzip/bgzip decompression

            return igzip.open(path, "rb")
        except ImportError:  # pragma: no cover - optional speed-up
            return gzip.open(path, "rb")
    return open(path, "rb")


#: files up to these sizes (gzip: compressed size) are read whole by iter_fasta_fast (see _read_whole)
_WHOLE_GZ = 64 << 20
_WHOLE_PLAIN = 256 << 20
_LINE_BREAKS_AND_ALLOWED = _ALLOWED_BYTES + b"\r\n"


def _read_whole(path: Path) -> bytes | None:
    """The whole (decompressed) file for a small file, else None (then iter_fasta_fast streams it).

    A gzip file is decompressed in one ISA-L call, which releases the GIL throughout: the streaming
    reader takes the GIL back for every small piece, several times slower next to a busy Python thread
    (e.g. the off-target search importing numba while its reader thread decompresses the genome)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == _GZIP_MAGIC:
        if size > _WHOLE_GZ:
            return None
        try:
            from isal import igzip
        except ImportError:  # pragma: no cover - optional speed-up
            return None
        return igzip.decompress(path.read_bytes())
    if size > _WHOLE_PLAIN:
        return None
    return path.read_bytes()


def _new_name(header: bytes, seen: set[str], exact_error) -> str:
    """The record name of a header line (after '>'), added to ``seen``; an empty header or a repeated name
    calls ``exact_error()`` (which raises the exact reader's error)."""
    text = header.decode("utf-8", "replace").strip()
    if not text:
        exact_error()
    name = text.split()[0]
    if name in seen:
        exact_error()
    seen.add(name)
    return name


def _record_spans(data: bytes, exact_error) -> tuple[list[tuple[str, int, int]], list[bytes]]:
    """Records of a whole FASTA file in memory as ``(name, body start, body end)`` and the raw header
    lines; header checks as in iter_fasta_fast (``exact_error()`` raises the exact reader's error)."""
    m = re.compile(rb"[^\r\n]").search(data)
    if m is None or data[m.start() : m.start() + 1] != b">":
        exact_error()
    p = m.start()
    records = []  # (name, body start, body end)
    headers = []
    seen: set[str] = set()
    n = len(data)
    while p >= 0:
        k = data.find(b"\n", p)
        if k < 0:
            k = n
        raw = data[p:k]
        headers.append(raw)
        name = _new_name(raw[1:], seen, exact_error)
        i = data.find(b"\n>", k)
        end = n if i < 0 else i + 1
        records.append((name, min(k + 1, n), end))
        p = -1 if i < 0 else i + 1
    return records, headers


def _iter_whole(data: bytes, exact_error) -> Iterator[tuple[str, bytes]]:
    """Records of a whole FASTA file in memory; same result and checks as the streaming part of
    iter_fasta_fast (``exact_error()`` raises the exact reader's error).

    Letters are validated for the whole file at once: deleting the allowed letters and line breaks from
    the file must leave exactly what it leaves of the header lines (translate with deletion keeps the
    order and allocates only the small rest)."""
    records, headers = _record_spans(data, exact_error)
    if data.translate(None, _LINE_BREAKS_AND_ALLOWED) != b"".join(headers).translate(None, _LINE_BREAKS_AND_ALLOWED):
        exact_error()  # a bad letter or whitespace inside a sequence line: let the exact reader decide
    for name, a, b in records:
        seq = data[a:b].replace(b"\n", b"")
        if b"\r" in seq:
            seq = seq.replace(b"\r", b"")
        yield name, seq


def iter_fasta_fast(path: str | Path, *, block_size: int = 1 << 25) -> Iterator[tuple[str, bytes]]:
    """Fast streaming reader: yield ``(name, sequence)`` per record (plain/gzip/bgzip), one record in memory.

    Same result and same checks as :func:`iter_fasta` (added for the genome-wide off-target search,
    where the line-by-line reader dominates run time): the file is read in large blocks, line breaks
    are removed with ``bytes.translate`` and letters are validated per block. Whenever a fast check
    fails, the file is read again with :func:`iter_fasta` to raise the same one-line error with its line
    number. Peak memory is about twice the longest contig.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("expected a file, found a directory", path=path)

    def exact_error():
        for _ in iter_fasta(path):
            pass
        raise InputError("malformed FASTA", path=path)  # pragma: no cover - iter_fasta raised already

    seen: set[str] = set()
    header: list[bytes] | None = None  # raw header pieces while the header line is incomplete
    name: str | None = None
    body: list[bytes] = []
    started = False
    last_byte = b"\n"

    def finish():
        seq = b"".join(body)
        body.clear()
        return name, seq

    def feed(piece: bytes):
        """Add bytes of the current record (after its '>')."""
        nonlocal header, name
        if header is not None:
            k = piece.find(b"\n")
            if k < 0:
                header.append(piece)
                return
            name = _new_name(b"".join(header) + piece[:k], seen, exact_error)
            header = None
            piece = piece[k + 1 :]
        clean = piece.translate(_CHECK_TABLE, b"\r\n")  # one pass: drop line breaks, flag bad bytes as NUL
        if b"\0" in clean:
            exact_error()  # whitespace inside a line or a bad letter: let the exact reader decide
        body.append(clean)

    try:
        whole = _read_whole(path)
    except Exception:  # corrupt or truncated gzip, unreadable file: the exact reader gives the error
        whole = None
        exact_error()
    if whole is not None:
        yield from _iter_whole(whole, exact_error)
        return
    try:
        fh = _open_fast(path)
        with fh:
            while True:
                block = fh.read(block_size)
                if not block:
                    break
                pos = 0
                if not started:
                    stripped = block.lstrip(b"\r\n")
                    if not stripped:
                        continue
                    if not stripped.startswith(b">"):
                        exact_error()
                    pos = len(block) - len(stripped) + 1
                    started = True
                    header = []
                elif block.startswith(b">") and last_byte == b"\n":
                    if header is not None:
                        exact_error()
                    yield finish()
                    header = []
                    pos = 1
                while True:
                    i = block.find(b"\n>", pos)
                    if i < 0:
                        break
                    feed(block[pos : i + 1])
                    if header is not None:
                        exact_error()
                    yield finish()
                    header = []
                    pos = i + 2
                feed(block[pos:])
                last_byte = block[-1:]
    except (OSError, EOFError, gzip.BadGzipFile, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        exact_error()
    if not started:
        exact_error()
    if header is not None:
        feed(b"\n")
    yield finish()


class RawFastaRecord:
    """The sequence lines of one record inside a whole FASTA file in memory, not yet joined or checked
    (see :func:`iter_fasta_raw`): ``data[start:end]`` with line breaks. :meth:`sequence` gives what
    iter_fasta_fast would have yielded; a faster consumer (the off-target search) can join and check the
    lines itself and call :meth:`error` when a byte is not an allowed letter or a line break."""

    __slots__ = ("data", "start", "end", "path", "_buffer")

    def __init__(self, data: bytes, start: int, end: int, path: Path):
        self.data = data
        self.start = start
        self.end = end
        self.path = path
        self._buffer = None

    def buffer(self):
        """A writable anonymous mmap of ``end - start`` bytes (room for the joined sequence), created on
        the first call with its pages faulted in (MAP_POPULATE where available: call it from a reader
        thread, it releases the GIL)."""
        if self._buffer is None:
            import mmap

            flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
            self._buffer = mmap.mmap(-1, max(self.end - self.start, 1), flags=flags)
        return self._buffer

    def error(self):
        """Raise the exact reader's InputError for this file (a bad letter somewhere)."""
        for _ in iter_fasta(self.path):
            pass
        raise InputError("malformed FASTA", path=self.path)  # pragma: no cover - iter_fasta raised already

    def sequence(self) -> bytes:
        seq = self.data[self.start : self.end]
        if seq.translate(None, _LINE_BREAKS_AND_ALLOWED):
            self.error()
        seq = seq.replace(b"\n", b"")
        if b"\r" in seq:
            seq = seq.replace(b"\r", b"")
        return seq


#: byte -> 1 for allowed sequence letters, 2 for line breaks (CR, LF), 0 otherwise (RawFastaRecord users)
RAW_BYTE_CLASS = bytes(1 if bytes([i]) in _ALLOWED_BYTES else 2 if i in (10, 13) else 0 for i in range(256))


def iter_fasta_raw(path: str | Path) -> Iterator[tuple[str, bytes | RawFastaRecord]]:
    """Like :func:`iter_fasta_fast`, but for a file that is read whole (see ``_read_whole``) the records
    come as :class:`RawFastaRecord` (headers checked, sequence lines not yet joined nor checked), so that
    the caller can do that work without holding the GIL. Larger files: exactly iter_fasta_fast."""
    path = Path(path)
    if not path.exists() or path.is_dir():
        yield from iter_fasta_fast(path)
        return

    def exact_error():
        for _ in iter_fasta(path):
            pass
        raise InputError("malformed FASTA", path=path)  # pragma: no cover - iter_fasta raised already

    try:
        whole = _read_whole(path)
    except Exception:  # corrupt or truncated gzip, unreadable file: the exact reader gives the error
        whole = None
        exact_error()
    if whole is None:
        yield from iter_fasta_fast(path)
        return
    records, _ = _record_spans(whole, exact_error)
    for name, a, b in records:
        yield name, RawFastaRecord(whole, a, b, path)
