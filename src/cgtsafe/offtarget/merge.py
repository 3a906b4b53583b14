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
