"""Merge the per-chunk tables of ``cgtsafe offtarget search`` into one hit table.

The genome search runs as ``n`` independent jobs (``--chunk i/n``); each writes the hits of the loci
its part of the genome owns (:mod:`cgtsafe.offtarget.search`, "Chunks"). :func:`merge_hits`
concatenates the chunk tables, restores the column types, removes any locus reported twice (which
the search's chunking never does, but a re-run chunk or a chunk given twice would) and sorts the
rows as the search does (guide in guides-table order, contig in genome order, start, strand, end),
so the merged table is byte-identical to an unchunked search whatever the number of chunks.

One-hit-per-locus rule (the search's, quoted from :mod:`cgtsafe.offtarget.search`): "A *locus* is
(guide, contig, strand, PAM position) ... Of all alignments of the guide to the genome at one locus
within the limits, exactly one is reported". Duplicates are detected with that key; when two rows
share it, the one with the fewest edits, then fewest bulges, then fewest DNA bulges is kept.

Coordinates (unchanged from the search): ``start`` 0-based leftmost position of protospacer+PAM
on the + strand, ``end`` exclusive; ``cut_start``/``cut_end`` 0-based + strand coordinate of the
base right of the double-strand break.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table

#: columns every search table has (written by cgtsafe.offtarget.search)
HIT_COLUMNS = (
    "guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge", "pam",
    "pam_class", "cut_start", "cut_end", "guide_aln", "site_aln", "cfd", "mit", "score_basis",
)
INT_COLUMNS = ("start", "end", "mismatches", "dna_bulge", "rna_bulge", "cut_start", "cut_end")
FLOAT_COLUMNS = ("cfd", "mit")
#: sites of the same guide and strand whose cut positions are this close are "at the same locus" when a
#: site is compared across haplotypes (variants) or genomes (species), where PAM positions differ
LOCUS_WINDOW = 5


def coerce_hits(df: pd.DataFrame, *, path: str | Path = "table") -> pd.DataFrame:
    """Give the search columns their types (int / float); one-line error naming the column and line."""
    df = df.copy()
    for col in INT_COLUMNS:
        if col in df.columns:
            num = pd.to_numeric(df[col], errors="coerce")
            if num.isna().any():
                row = int(np.flatnonzero(num.isna().to_numpy())[0])
                raise InputError(f"column {col}: expected an integer, found {df[col].iloc[row]!r}",
                                 path=path, line=row + 2)
            df[col] = num.astype(np.int64)
    for col in FLOAT_COLUMNS:
        if col in df.columns:
            num = pd.to_numeric(df[col], errors="coerce").astype(float)
            bad = num.isna() & ~df[col].astype(str).str.lower().isin(["", "nan", "na"])
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"column {col}: expected a number or an empty cell, found {df[col].iloc[row]!r}",
                                 path=path, line=row + 2)
            df[col] = num
    return df


def pam_position(df: pd.DataFrame) -> np.ndarray:
    """0-based leftmost + strand coordinate of the PAM of each hit (PAM side read from ``site``/``pam``)."""
    plen = df["pam"].str.len().to_numpy()
    three = np.array([s[len(s) - len(p):].upper() == p.upper() for s, p in zip(df["site"], df["pam"])], dtype=bool)
    plus = (df["strand"] == "+").to_numpy()
    right = three == plus  # PAM at the right end on the + axis
    return np.where(right, df["end"].to_numpy() - plen, df["start"].to_numpy())


def one_hit_per_locus(df: pd.DataFrame) -> pd.DataFrame:
    """Drop repeated loci (guide, chrom, strand, PAM position), keeping the best alignment."""
    if df.empty:
        return df.reset_index(drop=True)
    df = df.copy()
    df["_q"] = pam_position(df)
    df["_b"] = df["dna_bulge"] + df["rna_bulge"]
    df["_e"] = df["mismatches"] + df["_b"]
    df = df.sort_values(["guide", "chrom", "strand", "_q", "_e", "_b", "dna_bulge", "start", "end", "site_aln"],
                        kind="mergesort")
    df = df.drop_duplicates(["guide", "chrom", "strand", "_q"], keep="first")
    return df.drop(columns=["_q", "_b", "_e"]).reset_index(drop=True)


def sort_hits(df: pd.DataFrame, contig_order: Sequence[str] | None = None,
              guide_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Guide (given order, else name), contig (genome order, else name), start, strand, end (total order)."""
    g = df["guide"].map({n: i for i, n in enumerate(guide_order)}) if guide_order else df["guide"]
    c = df["chrom"].map({n: i for i, n in enumerate(contig_order)}) if contig_order else df["chrom"]
    if guide_order and g.isna().any():
        raise InputError(f"hit table names guide {df['guide'][g.isna()].iloc[0]!r} that is not in the guides table")
    if contig_order and c.isna().any():
        raise InputError(f"hit table names contig {df['chrom'][c.isna()].iloc[0]!r} that is not in the genome")
    key = pd.DataFrame({"g": g, "c": c, "s": df["start"], "t": df["strand"], "e": df["end"],
                        "x": df["site"], "y": df["site_aln"]})
    order = key.sort_values(list(key.columns), kind="mergesort").index
    return df.loc[order].reset_index(drop=True)


def merge_hits(paths: list[str | Path], *, contig_order: Sequence[str] | None = None,
               guide_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Read, concatenate, de-duplicate (one hit per locus) and sort chunk tables."""
    if not paths:
        raise InputError("no chunk tables given to merge")
    frames = []
    for p in paths:
        df = read_table(p, required=HIT_COLUMNS, what="off-target search table")
        frames.append(coerce_hits(df, path=p))
    df = pd.concat(frames, ignore_index=True)
    df = df[list(HIT_COLUMNS) + [c for c in df.columns if c not in HIT_COLUMNS]]
    return sort_hits(one_hit_per_locus(df), contig_order, guide_order)


# --------------------------------------------------------------------------------------------------
# Streamed form (the workflow's path): memory bounded by one guide on one contig, not by the hit count

def genome_lengths(path: str | Path) -> dict[str, int]:
    """Contig lengths in genome order: the .fai when present, else the block reader of the search
    (:func:`cgtsafe.io.fasta.iter_fasta_fast`: same names and checks as ``contig_lengths``, about 10x faster on
    a 3 Gb genome)."""
    from cgtsafe.io.fasta import iter_fasta_fast, read_fai

    fai = Path(str(path) + ".fai")
    if fai.exists() and not str(path).endswith(".gz"):
        return read_fai(fai)
    return {name: len(seq) for name, seq in iter_fasta_fast(path)}


def scratch_dir(out: Path):
    """Context: a temporary folder next to ``out`` (same disk) for the streamed steps' parts; removed on
    exit (also on errors and SIGTERM); a folder that cannot be made or a full disk -> one InputError line."""
    import contextlib
    import tempfile

    from cgtsafe.io.tables import _write_error

    @contextlib.contextmanager
    def ctx():
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = tempfile.TemporaryDirectory(prefix=f".{out.name}.parts_", dir=out.parent)
        except OSError as exc:
            raise _write_error(out, exc) from None
        with tmp as d:
            try:
                yield Path(d)
            except OSError as exc:
                raise _write_error(out, exc) from None

    return ctx()


def _open_text(path: Path):
    import gzip

    return gzip.open(path, "rt", newline="") if path.name.lower().endswith(".gz") else open(path, newline="")


def _header(path: Path, what: str) -> list[str]:
    if not path.exists():
        raise InputError(f"{what} not found", path=path)
    with _open_text(path) as fh:
        line = fh.readline()
    return line.rstrip("\r\n").split("\t") if line.strip() else []


def check_lines(paths: Sequence[str | Path], header: list[str], what: str) -> None:
    """Find the first malformed row of ``paths`` (wrong field count, non-integer / non-numeric value in
    a search column) and raise its one-line error; called only when a streamed step met a bad value."""
    n = len(header)
    ints = [(header.index(c), c) for c in INT_COLUMNS if c in header]
    floats = [(header.index(c), c) for c in FLOAT_COLUMNS if c in header]
    for p in paths:
        with _open_text(Path(p)) as fh:
            fh.readline()
            for k, line in enumerate(fh, start=2):
                if not line.strip():
                    continue
                f = line.rstrip("\r\n").split("\t")
                if len(f) > n:
                    raise InputError(f"cannot read {what}: expected {n} fields, saw {len(f)}", path=p, line=k)
                f += [""] * (n - len(f))
                for j, c in ints:
                    try:
                        int(f[j])
                    except ValueError:
                        raise InputError(f"column {c}: expected an integer, found {f[j]!r}", path=p, line=k) from None
                for j, c in floats:
                    if f[j].lower() in ("", "nan", "na"):
                        continue
                    try:
                        float(f[j])
                    except ValueError:
                        raise InputError(f"column {c}: expected a number or an empty cell, found {f[j]!r}",
                                         path=p, line=k) from None
    raise InputError(f"cannot read {what}: a row does not parse", path=paths[0])  # pragma: no cover


class Parts:
    """The rows of TSV tables split into one temporary file per (guide, contig), in first-seen order.

    Rows are copied as text (never re-formatted); ``frame(key)`` reads one part with the column types of
    :func:`coerce_hits`. Blank lines are skipped (as the table reader does)."""

    def __init__(self, paths: Sequence[str | Path], workdir: Path, *, what: str, required=HIT_COLUMNS,
                 buffer_bytes: int = 64 << 20):
        self.paths = [Path(p) for p in paths]
        self.what = what
        headers = [_header(p, what) for p in self.paths]
        self.header = headers[0]
        missing = [c for c in required if c not in self.header]
        if missing:
            raise InputError(f"{what} lacks column(s) {', '.join(missing)}; found "
                             f"{', '.join(self.header) or 'none'}", path=self.paths[0])
        for p, h in zip(self.paths[1:], headers[1:]):
            if h != self.header:
                raise InputError(f"{what}: columns differ from those of {self.paths[0]} "
                                 f"({', '.join(h) or 'none'})", path=p)
        gi, ci = self.header.index("guide"), self.header.index("chrom")
        self.keys: list[tuple[str, str]] = []
        self._file: dict[tuple[str, str], Path] = {}
        buf: dict[tuple[str, str], list[str]] = {}
        size = 0
        hi = max(gi, ci)
        for p in self.paths:
            with _open_text(p) as fh:
                fh.readline()
                for line in fh:
                    f = line.split("\t", hi + 1)
                    if len(f) <= hi:
                        if not line.strip():
                            continue
                        f = line.rstrip("\r\n").split("\t") + [""] * (hi + 1)
                    key = (f[gi].rstrip("\r\n"), f[ci].rstrip("\r\n"))
                    b = buf.get(key)
                    if b is None:
                        if key not in self._file:
                            self._file[key] = workdir / f"part{len(self.keys)}.tsv"
                            self.keys.append(key)
                        b = buf[key] = []
                    b.append(line if line.endswith("\n") else line + "\n")
                    size += len(line)
                    if size > buffer_bytes:
                        self._flush(buf)
                        buf, size = {}, 0
        self._flush(buf)

    def _flush(self, buf) -> None:
        for key, lines in buf.items():
            with open(self._file[key], "a", newline="") as out:
                out.writelines(lines)

    def frame(self, key: tuple[str, str]) -> pd.DataFrame:
        """One part with the search columns typed; a bad value -> the first bad line of the inputs."""
        df = pd.read_csv(self._file[key], sep="\t", header=None, names=self.header, dtype=str,
                         keep_default_na=False, comment=None)
        try:
            return coerce_hits(df, path=self.paths[0])
        except InputError:
            check_lines(self.paths, self.header, self.what)
            raise

    def drop(self, key: tuple[str, str]) -> None:
        self._file[key].unlink()


def ordered_keys(keys, guide_order: Sequence[str] | None, contig_order: Sequence[str] | None) -> list:
    """The (guide, contig) parts in the order of :func:`sort_hits` (guide order, else name; contig order, else name)."""
    gi = {n: i for i, n in enumerate(guide_order)} if guide_order else None
    ci = {n: i for i, n in enumerate(contig_order)} if contig_order else None
    for g, c in keys:
        if gi is not None and g not in gi:
            raise InputError(f"hit table names guide {g!r} that is not in the guides table")
    for g, c in keys:
        if ci is not None and c not in ci:
            raise InputError(f"hit table names contig {c!r} that is not in the genome")
    return sorted(keys, key=lambda k: (gi[k[0]] if gi else k[0], ci[k[1]] if ci else k[1]))


def merge_hit_files(paths: list[str | Path], out: str | Path, *, contig_order: Sequence[str] | None = None,
                    guide_order: Sequence[str] | None = None) -> int:
    """:func:`merge_hits` streamed to the TSV ``out``: the chunk tables' rows are split into one temporary
    part per (guide, contig), and each part is de-duplicated, sorted and appended in the merged order, so
    memory is bounded by one guide's hits on one contig. Same bytes as ``write_table(merge_hits(...))``
    (both loci of a duplicate pair have the same guide and contig). Returns the number of rows."""
    from cgtsafe.io.tables import FLOAT_FORMAT, atomic_path

    if not paths:
        raise InputError("no chunk tables given to merge")
    out = Path(out)
    n = 0
    with scratch_dir(out) as tmp:
        parts = Parts(paths, tmp, what="off-target search table")
        cols = list(HIT_COLUMNS) + [c for c in parts.header if c not in HIT_COLUMNS]
        keys = ordered_keys(parts.keys, guide_order, contig_order)
        with atomic_path(out) as t, open(t, "w", newline="") as fh:
            if not keys:
                pd.DataFrame({c: [] for c in cols}).to_csv(fh, sep="\t", index=False, lineterminator="\n")
            for i, key in enumerate(keys):
                df = sort_hits(one_hit_per_locus(parts.frame(key)[cols]), contig_order, guide_order)
                parts.drop(key)
                df.to_csv(fh, sep="\t", index=False, header=i == 0, float_format=FLOAT_FORMAT, lineterminator="\n")
                n += len(df)
    return n
