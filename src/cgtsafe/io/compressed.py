"""One opener for plain or compressed input files (gzip/bgzip, bzip2, xz, zstd) through ``xopen``.

``xopen`` picks the format from the file's magic bytes and decompresses gzip with ISA-L (``isal``) in a
separate thread, so readers of large FASTQ/GTF files do not pay for decompression in their own loop.
A missing or unreadable file is one :class:`~cgtsafe.errors.InputError` naming it.
"""

from __future__ import annotations

from pathlib import Path

from cgtsafe.errors import InputError


def open_input(path: str | Path, mode: str = "rb", *, encoding: str = "utf-8", threads: int = 1, what: str = "file"):
    """Open ``path`` for reading (``"rb"`` bytes or ``"rt"`` text), decompressing when it is compressed.

    ``threads``: decompression threads (0 = in this thread). Errors: ``InputError`` ("<what> not found" /
    "cannot open")."""
    from xopen import xopen

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found", path=path)
    try:
        if "b" in mode:
            return xopen(path, mode, threads=threads, format=None)
        return xopen(path, mode, threads=threads, format=None, encoding=encoding)
    except OSError as exc:
        raise InputError(f"cannot open {what} ({exc})", path=path) from None
