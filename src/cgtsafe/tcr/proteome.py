"""Protein FASTA (UniProt style) reading and the encoded proteome used by the scans.

Headers: UniProt ``>sp|P43357|MAGA3_HUMAN Melanoma-associated antigen 3 OS=Homo sapiens OX=9606
GN=MAGEA3 PE=1 SV=1`` (``sp``/``tr``); isoforms have accessions ``P43357-2``. The accession (second
``|`` field, or the first word for non-UniProt headers), entry name, gene symbol (``GN=``; empty when
absent) and the canonical accession (isoform suffix removed) are kept. Two records with the same
accession are an error (UniProt accessions are unique; a duplicate means a concatenated or corrupt
download). Sequences may use the 20 standard letters plus ``BJOUXZ`` (see
:mod:`cgtsafe.tcr.peptide`); a terminal ``*`` is removed; any other character is an error naming
the line.

The encoded proteome is one ``uint8`` array: protein 0, separator, protein 1, separator, ... so that a
window that would span two proteins contains a separator and is never reported. ``starts[i]`` is the
0-based offset of protein ``i`` in that array; a hit at array offset ``o`` in protein ``i`` has the
**1-based** protein position ``o - starts[i] + 1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import open_text_bytes
from cgtsafe.tcr.peptide import AMINO_ACIDS, LOOKUP, NONSTANDARD_LETTERS, SEPARATOR

_ALLOWED_BYTES = (AMINO_ACIDS + NONSTANDARD_LETTERS + AMINO_ACIDS.lower() + NONSTANDARD_LETTERS.lower()).encode()
_GN = re.compile(r"\bGN=(\S+)")
_ISOFORM = re.compile(r"^(.+)-([0-9]+)$")


@dataclass
class Proteome:
    path: str
    accessions: list[str]
    entries: list[str]
    genes: list[str]
    canonical: list[str]
    descriptions: list[str]
    codes: np.ndarray  # uint8, concatenated with separators
    starts: np.ndarray  # int64, 0-based offset of each protein in ``codes``
    lengths: np.ndarray  # int64
    n_nonstandard: int = 0
    n_non_uniprot: int = 0  # records whose header is not ``sp|ACC|ENTRY`` / ``tr|ACC|ENTRY``
    sequences: list[bytes] = field(default_factory=list, repr=False)

    @property
    def n_proteins(self) -> int:
        return len(self.accessions)

    @property
    def n_residues(self) -> int:
        return int(self.lengths.sum())

    def protein_of(self, offsets: np.ndarray) -> np.ndarray:
        """Protein index of each 0-based offset into ``codes``."""
        return np.searchsorted(self.starts, offsets, side="right") - 1

    def is_isoform(self, i: int) -> bool:
        return self.accessions[i] != self.canonical[i]


def parse_header(header: str) -> tuple[str, str, str, str]:
    """``(accession, entry_name, gene, description)`` from a FASTA header without ``>``."""
    first, _, rest = header.partition(" ")
    parts = first.split("|")
    if len(parts) >= 3 and parts[0] in ("sp", "tr"):
        acc, entry = parts[1], parts[2]
    elif len(parts) >= 2 and parts[0] in ("sp", "tr"):
        acc, entry = parts[1], ""
    else:
        acc, entry = first, ""
    m = _GN.search(rest)
    gene = m.group(1) if m else ""
    desc = re.split(r"\s+OS=", rest, maxsplit=1)[0].strip()
    return acc, entry, gene, desc


def read_proteome(path: str | Path, *, keep_sequences: bool = True) -> Proteome:
    """Read and encode a protein FASTA (see module docstring for the checks)."""
    path = Path(path)
    accs: list[str] = []
    entries: list[str] = []
    genes: list[str] = []
    descs: list[str] = []
    seqs: list[bytes] = []
    seen: dict[str, int] = {}
    chunks: list[bytes] = []
    current = False
    header_line = 0

    def close():
        seq = b"".join(chunks)
        if seq.endswith(b"*"):
            seq = seq[:-1]
        if not seq:
            raise InputError(f"protein {accs[-1]!r} has an empty sequence", path=path, line=header_line)
        if b"*" in seq:
            raise InputError(f"protein {accs[-1]!r} contains '*' inside its sequence; only a terminal '*' is "
                             "allowed", path=path, line=header_line)
        seqs.append(seq.upper())

    try:
        with open_text_bytes(path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                line = raw.strip()
                if not line:
                    continue
                if line[:1] == b">":
                    if current:
                        close()
                    header = line[1:].decode("utf-8", "replace").strip()
                    if not header:
                        raise InputError("empty FASTA header ('>' with no name)", path=path, line=lineno)
                    acc, entry, gene, desc = parse_header(header)
                    if acc in seen:
                        raise InputError(f"duplicate accession {acc!r} (first on line {seen[acc]}); accessions "
                                         "must be unique", path=path, line=lineno)
                    seen[acc] = lineno
                    accs.append(acc)
                    entries.append(entry)
                    genes.append(gene)
                    descs.append(desc)
                    chunks = []
                    current = True
                    header_line = lineno
                    continue
                if not current:
                    raise InputError("not a FASTA file: expected a '>' header line before sequence", path=path,
                                     line=lineno)
                rest = line.translate(None, _ALLOWED_BYTES)
                if rest and not (rest == b"*" and line.endswith(b"*")):
                    bad = chr(rest[0])
                    raise InputError(f"unexpected character {bad!r} in protein {accs[-1]!r}; expected amino-acid "
                                     f"letters ({AMINO_ACIDS} or {NONSTANDARD_LETTERS})", path=path, line=lineno)
                chunks.append(line)
            if current:
                close()
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read protein FASTA ({exc})", path=path) from None
    if not accs:
        raise InputError("empty protein FASTA: no '>' record found", path=path)
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    starts = np.zeros(len(seqs), dtype=np.int64)
    if len(seqs) > 1:
        starts[1:] = np.cumsum(lengths[:-1] + 1)
    joined = b"\n".join(seqs) + b"\n"
    raw = np.frombuffer(joined, dtype=np.uint8)
    total = int(lengths.sum())
    nuc = int(np.bincount(raw, minlength=256)[[ord(c) for c in "ACGTN"]].sum())
    if total >= 20 and nuc / total >= 0.9:
        # a protein proteome has ~25% A/C/G/T/N; a nucleotide FASTA ~100% (it would scan to 0 hits)
        raise InputError(f"this looks like a nucleotide FASTA ({100 * nuc / total:.0f}% of letters are A/C/G/T/N); "
                         "expected protein sequences (e.g. the UniProt reference proteome)", path=path)
    codes = LOOKUP[raw]
    n_sep = int((codes == SEPARATOR).sum())
    if n_sep != len(seqs):  # pragma: no cover - guarded by the character check above
        raise InputError("internal: unexpected separator count in encoded proteome", path=path)
    canonical = []
    for a in accs:
        m = _ISOFORM.match(a)
        canonical.append(m.group(1) if m else a)
    return Proteome(
        path=str(path), accessions=accs, entries=entries, genes=genes, canonical=canonical, descriptions=descs,
        codes=codes, starts=starts, lengths=lengths, n_nonstandard=int((codes == 20).sum()),
        sequences=seqs if keep_sequences else [], n_non_uniprot=sum(1 for e in entries if not e),
    )
