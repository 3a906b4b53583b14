"""Columnar hit batches of the off-target search and their streamed output (TSV, TSV.gz, Parquet, BED).

The search (:mod:`cgtsafe.offtarget.search`) yields one :class:`HitBatch` per contig: numpy columns
rendered and scored by numba kernels (:mod:`cgtsafe.offtarget._render_kernels`), rows sorted by guide
(guides-table order), start, strand, end. :func:`write_batches` writes the table in the search's row order
(guide, contig in genome order, start, strand, end) without holding it: each batch's TSV lines go to one
spill file per guide next to the output, and the spill files are concatenated in guide order at the end
(memory is bounded by one contig's hits, not by the hit count). The bytes equal those of
``cgtsafe.io.tables.write_table`` on the same rows (``%.6g`` floats, NaN as an empty field).

Scores (``cfd``, ``mit``, ``score_basis``): a bulge-free row is scored on its own alignment
(``alignment``). A bulged row carries the scores of the bulge-free alignment at the same locus (the 20
bases next to the same PAM) when that alignment is within ``max_mismatches`` (``bulge_free_alignment``):
a site that bulges make look like "2 mismatches + 1 RNA bulge" keeps the CFD of its 4-mismatch reading
and with it its priority. Otherwise the row is ``unscored`` (``cfd``/``mit`` empty): CFD and MIT were
fitted on mismatches only, and no published extension to bulges is validated (CRISPRme/CRISPRitz look up
gap keys in a position table whose bulge values are not among the published Doench 2016 CFD values), so
an unscored row is never shown as a score of 0.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BASIS = ("alignment", "bulge_free_alignment", "unscored")
PAM_CLASS = ("canonical", "alternative")
_FLOAT_FORMAT = "%.6g"  # cgtsafe.io.tables.FLOAT_FORMAT


@dataclass
class HitBatch:
    """The hits of one contig (numpy columns; byte matrices hold ASCII padded with NUL)."""

    chrom: str
    guide: np.ndarray
    start: np.ndarray
    end: np.ndarray
    strand: np.ndarray  # 0 '+', 1 '-'
    site: np.ndarray
    site_len: np.ndarray
    mismatches: np.ndarray
    dna_bulge: np.ndarray
    rna_bulge: np.ndarray
    pam: np.ndarray
    pam_class: np.ndarray  # 0 canonical, 1 alternative
    cut_start: np.ndarray
    cut_end: np.ndarray
    guide_aln: np.ndarray
    site_aln: np.ndarray
    aln_len: np.ndarray
    cfd: np.ndarray
    mit: np.ndarray
    score_basis: np.ndarray  # index into BASIS

    def __len__(self) -> int:
        return len(self.start)

    def take(self, order: np.ndarray) -> HitBatch:
        kw = {k: (v if k == "chrom" else v[order]) for k, v in self.__dict__.items()}
        return HitBatch(**kw)


def _text(mat: np.ndarray) -> list[str]:
    """Rows of a NUL-padded ASCII matrix as str (numpy's bytes dtype drops the trailing NULs)."""
    if mat.shape[0] == 0:
        return []
    return np.ascontiguousarray(mat).view(f"S{mat.shape[1]}").ravel().astype(str).tolist()


def columns(batch: HitBatch, guide_names: Sequence[str]) -> dict[str, object]:
    """The batch as the search table's columns (lists / numpy arrays; see search.COLUMNS)."""
    names = np.asarray(list(guide_names), dtype=object)
    return {
        "guide": names[batch.guide].tolist() if len(batch) else [],
        "chrom": [batch.chrom] * len(batch),
        "start": batch.start, "end": batch.end,
        "strand": np.where(batch.strand == 0, "+", "-").astype(object).tolist() if len(batch) else [],
        "site": _text(batch.site), "mismatches": batch.mismatches, "dna_bulge": batch.dna_bulge,
        "rna_bulge": batch.rna_bulge, "pam": _text(batch.pam),
        "pam_class": [PAM_CLASS[k] for k in batch.pam_class.tolist()],
        "cut_start": batch.cut_start, "cut_end": batch.cut_end,
        "guide_aln": _text(batch.guide_aln), "site_aln": _text(batch.site_aln),
        "cfd": batch.cfd, "mit": batch.mit, "score_basis": [BASIS[k] for k in batch.score_basis.tolist()],
    }  # fmt: skip


def _quoted(text: str) -> bytes:
    """A field as the csv module (QUOTE_MINIMAL) writes it."""
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\n").writerow([text])
    return buf.getvalue()[:-1].encode()


def _pool(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    enc = [_quoted(t) for t in texts]
    off = np.zeros(len(enc) + 1, dtype=np.int64)
    off[1:] = np.cumsum([len(b) for b in enc])
    return np.frombuffer(b"".join(enc) or b"\0", dtype=np.uint8), off


def _fmt(v: float) -> str:
    return "" if v != v else _FLOAT_FORMAT % v


def tsv_lines(batch: HitBatch, guide_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """TSV bytes of the batch's rows (in batch order) and the end offset of each line."""
    from cgtsafe.offtarget import _render_kernels as R

    n = len(batch)
    if n == 0:
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    names, name_off = _pool(guide_names)
    chrom = np.frombuffer(_quoted(batch.chrom), dtype=np.uint8)
    cls, cls_off = _pool(PAM_CLASS)
    bas, bas_off = _pool(BASIS)
    fl = [_fmt(v) for v in batch.cfd.tolist()]
    ml = [_fmt(v) for v in batch.mit.tolist()]
    both = [x for pair in zip(fl, ml) for x in pair]
    floats = "".join(both).encode()
    foff = np.zeros(2 * n + 1, dtype=np.int64)
    foff[1:] = np.cumsum([len(x) for x in both])
    return R.tsv(np.arange(n, dtype=np.int64), names, name_off, batch.guide, chrom, batch.start, batch.end,
                 batch.strand, batch.site, batch.site_len, batch.mismatches, batch.dna_bulge, batch.rna_bulge,
                 batch.pam, batch.pam_class, cls, cls_off, batch.cut_start, batch.cut_end, batch.guide_aln,
                 batch.site_aln, batch.aln_len, np.frombuffer(floats or b"\0", dtype=np.uint8), foff,
                 batch.score_basis, bas, bas_off)


def bed_lines(batch: HitBatch, guide_names: Sequence[str]) -> list[bytes]:
    """BED6 lines: name ``guide|mmM|dnaD|rnaR`` (the bulge type), score ``round(1000 * CFD)`` or ``.`` when
    unscored (never 0 for "no score"), 0-based half-open."""
    out = []
    chrom = _quoted(batch.chrom).decode()
    for g, s, e, m, d, r, c, t in zip(batch.guide.tolist(), batch.start.tolist(), batch.end.tolist(),
                                      batch.mismatches.tolist(), batch.dna_bulge.tolist(), batch.rna_bulge.tolist(),
                                      batch.cfd.tolist(), batch.strand.tolist()):
        score = "." if c != c else str(int(np.floor(c * 1000 + 0.5)))
        name = _quoted(f"{guide_names[g]}|mm{m}|dna{d}|rna{r}").decode()
        out.append(f"{chrom}\t{s}\t{e}\t{name}\t{score}\t{'+' if t == 0 else '-'}\n".encode())
    return out


class _Spill:
    """One temporary file per guide next to ``path``; removed on close."""

    def __init__(self, path: Path, n: int):
        import tempfile

        self.dir = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        self.files = [open(self.dir / f"{k}.part", "wb") for k in range(n)]

    def write(self, k: int, data) -> None:
        self.files[k].write(data)

    def parts(self) -> list[Path]:
        for f in self.files:
            f.close()
        return [Path(f.name) for f in self.files]

    def close(self) -> None:
        import shutil

        for f in self.files:
            f.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def write_batches(batches: Iterable[HitBatch], guide_names: Sequence[str], path: str | Path, *,
                  columns_: Sequence[str], bed: str | Path | None = None) -> int:
    """Stream ``batches`` (each sorted by guide, start, strand, end; contigs in genome order) to ``path``
    (.tsv, .tsv.gz or .parquet) and optionally ``bed``; atomic (temporary files renamed at the end).
    Returns the number of rows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ng = len(guide_names)
    spill = _Spill(path, ng)
    bspill = _Spill(Path(bed), ng) if bed is not None else None
    total = 0
    try:
        for batch in batches:
            n = len(batch)
            if not n:
                continue
            total += n
            data, ends = tsv_lines(batch, guide_names)
            bounds = np.searchsorted(batch.guide, np.arange(ng + 1), side="left")
            starts = np.concatenate([[0], ends])
            for k in range(ng):
                a, b = bounds[k], bounds[k + 1]
                if b > a:
                    spill.write(k, memoryview(data[starts[a]:starts[b]]))
                    if bspill is not None:
                        bspill.write(k, b"".join(bed_lines(batch.take(np.arange(a, b)), guide_names)))
        parts = spill.parts()
        _assemble(parts, path, columns_)
        if bspill is not None:
            _concat(bspill.parts(), Path(bed), header=None)
    finally:
        spill.close()
        if bspill is not None:
            bspill.close()
    return total


def _assemble(parts: list[Path], path: Path, columns_: Sequence[str]) -> None:
    name = path.name.lower()
    header = ("\t".join(columns_) + "\n").encode()
    if name.endswith(".parquet"):
        _to_parquet(parts, path, header)
    else:
        _concat(parts, path, header=header, gz=name.endswith(".gz"))


def _concat(parts: list[Path], path: Path, *, header: bytes | None, gz: bool = False) -> None:
    """Header + parts into ``path`` (gzip with mtime 0 as write_table), via a temporary file + rename."""
    import gzip
    import shutil
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            out = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") if gz else raw
            if header:
                out.write(header)
            for p in parts:
                with open(p, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
            if gz:
                out.close()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


_INT = ("start", "end", "mismatches", "dna_bulge", "rna_bulge", "cut_start", "cut_end")


def _to_parquet(parts: list[Path], path: Path, header: bytes) -> None:
    """Parts (TSV lines without header) into one Parquet file, one row group per read block."""
    import tempfile

    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    names = header.decode().rstrip("\n").split("\t")
    types = {c: (pa.int64() if c in _INT else pa.float64() if c in ("cfd", "mit") else pa.string()) for c in names}
    schema = pa.schema([(c, types[c]) for c in names])
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for p in parts:
                if p.stat().st_size == 0:
                    continue
                reader = pcsv.open_csv(p, read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 26),
                                       parse_options=pcsv.ParseOptions(delimiter="\t"),
                                       convert_options=pcsv.ConvertOptions(column_types=types,
                                                                           strings_can_be_null=False))
                for rb in reader:
                    writer.write_batch(rb)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
