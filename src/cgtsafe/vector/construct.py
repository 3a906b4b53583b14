"""Reading the transfer-vector sequence: FASTA (one record) or GenBank (with features, via Biopython).

Coordinates everywhere in :mod:`cgtsafe.vector`: ``start`` 0-based inclusive, ``end`` exclusive, on the
forward strand of the given sequence; ``strand`` ``+``/``-``. Sequences are upper-cased; letters other
than ACGT (IUPAC ambiguity codes) are allowed and never match a motif.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cgtsafe.errors import InputError

_COMP = str.maketrans("ACGTRYKMSWBDHVN", "TGCAYRMKSWVHDBN")


def revcomp(seq: str) -> str:
    return seq.translate(_COMP)[::-1]


@dataclass(frozen=True)
class Feature:
    type: str
    label: str
    start: int
    end: int
    strand: str


@dataclass
class Construct:
    path: str
    name: str
    seq: str
    fmt: str  # fasta | genbank
    features: list[Feature] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.seq)


_ALLOWED = set("ACGTRYKMSWBDHVN")


def _check_seq(seq: str, path: Path) -> str:
    seq = seq.upper()
    bad = sorted(set(seq) - _ALLOWED)
    if bad:
        raise InputError(f"vector sequence contains non-nucleotide character(s) {''.join(bad)!r}", path=path)
    if len(seq) < 50:
        raise InputError(f"vector sequence is {len(seq)} bp; expected a transfer-vector sequence (>= 50 bp)", path=path)
    return seq


def read_construct(path: str | Path) -> Construct:
    """Read a FASTA (exactly one record) or GenBank file; one-line errors for anything else."""
    path = Path(path)
    if not path.exists():
        raise InputError("vector sequence file not found", path=path)
    from cgtsafe.io.fasta import open_text_bytes

    with open_text_bytes(path) as fh:
        head = fh.read(4096)
    first = head.lstrip()[:5]
    if first.startswith(b">"):
        from cgtsafe.io.fasta import read_fasta

        recs = read_fasta(path, validate=False)
        if len(recs) != 1:
            raise InputError(f"expected exactly one FASTA record (the transfer vector), found {len(recs)}", path=path)
        name, seq = next(iter(recs.items()))
        return Construct(str(path), name, _check_seq(seq.decode("ascii", "replace"), path), "fasta")
    if first == b"LOCUS":
        from Bio import SeqIO

        try:
            import io

            with open_text_bytes(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", errors="replace") as fh:
                recs = list(SeqIO.parse(fh, "genbank"))
        except Exception as exc:  # Biopython raises ValueError and others for malformed files
            raise InputError(f"cannot parse GenBank file ({str(exc).splitlines()[0]})", path=path) from None
        if len(recs) != 1:
            raise InputError(f"expected exactly one GenBank record, found {len(recs)}", path=path)
        rec = recs[0]
        try:
            seq = str(rec.seq)
        except Exception:
            raise InputError("GenBank record has no sequence (ORIGIN section missing)", path=path) from None
        feats = []
        for f in rec.features:
            if f.type == "source":
                continue
            q = f.qualifiers
            label = (q.get("label") or q.get("gene") or q.get("product") or q.get("note") or [f.type])[0]
            strand = "-" if f.location.strand == -1 else "+"
            feats.append(Feature(f.type, str(label), int(f.location.start), int(f.location.end), strand))
        feats.sort(key=lambda x: (x.start, x.end, x.type, x.label))
        return Construct(str(path), rec.name or rec.id, _check_seq(seq, path), "genbank", feats)
    raise InputError("vector sequence: expected FASTA ('>' header) or GenBank ('LOCUS' line) on line 1", path=path,
                     line=1)
