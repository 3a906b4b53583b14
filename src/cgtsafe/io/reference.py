"""One reference-genome reader: random access to a FASTA by contig and 0-based half-open interval.

``ReferenceGenome(path)`` uses ``pysam.FastaFile`` when the FASTA has its ``.fai`` (and, for a bgzip
FASTA, its ``.gzi``) next to it; otherwise it reads the file into memory with
:func:`cgtsafe.io.fasta.read_fasta` (validated, duplicate-name check). It never writes an index next to
the user's file.

``fetch(contig, start, end)`` returns the bases as in the file (soft-masked lower case kept) as ``str``;
``fetch_bytes`` returns them upper-cased as ``bytes`` (what the read-counting code compares with).
Both clip ``start``/``end`` to the contig; a contig that is not in the FASTA is an :class:`InputError`.
``md5(contig)`` is the SAM-spec sequence checksum (upper case, no line breaks) that BAM/CRAM headers
carry in their ``@SQ M5`` tags (see :mod:`cgtsafe.io.alignment`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cgtsafe.errors import InputError

#: bases read per step when a whole contig is hashed
_MD5_STEP = 8_000_000


class ReferenceGenome:
    """Random access to a reference FASTA (plain, gzip or bgzip)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError("reference FASTA not found", path=self.path)
        self._fa = None
        self._mem: dict[str, bytes] | None = None
        self._md5: dict[str, str] = {}
        fai = Path(str(self.path) + ".fai")
        gz = self.path.name.lower().endswith((".gz", ".bgz"))
        if fai.exists() and (not gz or Path(str(self.path) + ".gzi").exists()):
            import pysam

            try:
                self._fa = pysam.FastaFile(str(self.path))
            except (OSError, ValueError):
                self._fa = None
        if self._fa is not None:
            self.lengths: dict[str, int] = dict(zip(self._fa.references, self._fa.lengths))
        else:
            from cgtsafe.io.fasta import read_fasta

            self._mem = read_fasta(self.path)
            self.lengths = {k: len(v) for k, v in self._mem.items()}

    def _check(self, contig: str) -> int:
        n = self.lengths.get(contig)
        if n is None:
            raise InputError(f"contig {contig!r} is not in the reference FASTA", path=self.path)
        return n

    def fetch(self, contig: str, start: int, end: int) -> str:
        """Bases ``[start, end)`` (0-based, clipped to the contig) as in the file."""
        n = self._check(contig)
        start, end = max(0, int(start)), min(n, int(end))
        if end <= start:
            return ""
        if self._fa is not None:
            return self._fa.fetch(contig, start, end)
        return self._mem[contig][start:end].decode()

    def fetch_bytes(self, contig: str, start: int, end: int) -> bytes:
        """Bases ``[start, end)`` (0-based, clipped) upper-cased, as bytes."""
        n = self._check(contig)
        start, end = max(0, int(start)), min(n, int(end))
        if end <= start:
            return b""
        if self._fa is not None:
            return self._fa.fetch(contig, start, end).upper().encode()
        return self._mem[contig][start:end].upper()

    def md5(self, contig: str) -> str:
        """MD5 of the upper-cased contig sequence (SAM specification ``@SQ M5``)."""
        if contig not in self._md5:
            n = self._check(contig)
            h = hashlib.md5()
            for a in range(0, n, _MD5_STEP):
                h.update(self.fetch_bytes(contig, a, a + _MD5_STEP))
            self._md5[contig] = h.hexdigest()
        return self._md5[contig]

    def close(self) -> None:
        if self._fa is not None:
            self._fa.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
