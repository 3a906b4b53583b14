"""Merge the per-chunk tables of ``cgtsafe offtarget search`` into one hit table.

The genome search runs as ``n`` independent jobs (``--chunk i/n``); each writes the hits of its
part of the genome. :func:`merge_hits` concatenates them, restores the column types, removes
hits reported twice (a locus near a chunk border can be seen by two chunks) with the
one-hit-per-locus rule of the search, and sorts the rows with a total order, so the merged
table is byte-identical whatever the number of chunks.

Coordinates (unchanged from the search): ``start`` 0-based leftmost position of protospacer+PAM
on the + strand, ``end`` exclusive; ``cut_start``/``cut_end`` 0-based + strand coordinate of the
base right of the double-strand break.

One-hit-per-locus rule applied here (same as the search): hits of the same guide on the same
contig and strand whose cut positions lie within ``LOCUS_WINDOW`` bp of each other are one
locus; the hit with the fewest edits (mismatches + bulges), then fewest bulges, then highest
CFD, then smallest start is kept. A chunk border cannot change the result because the key only
uses genomic coordinates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table

#: columns every search table has (written by cgtsafe.offtarget.search)
HIT_COLUMNS = (
    "guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge", "pam",
    "pam_class", "cut_start", "cut_end", "guide_aln", "site_aln", "cfd", "mit",
)
INT_COLUMNS = ("start", "end", "mismatches", "dna_bulge", "rna_bulge", "cut_start", "cut_end")
FLOAT_COLUMNS = ("cfd", "mit")
#: hits whose cut positions are this close (same guide, contig, strand) are one locus
LOCUS_WINDOW = 5


def coerce_hits(df: pd.DataFrame, *, path: str | Path = "table") -> pd.DataFrame:
    """Give the search columns their types (int / float); one-line error naming the column."""
    df = df.copy()
    for col in INT_COLUMNS:
        if col in df.columns:
            num = pd.to_numeric(df[col], errors="coerce")
            if num.isna().any():
                row = int(np.flatnonzero(num.isna().to_numpy())[0]) + 2
                raise InputError(f"column {col}: expected an integer, found {df[col].iloc[row - 2]!r}",
                                 path=path, line=row)
            df[col] = num.astype(np.int64)
    for col in FLOAT_COLUMNS:
        if col in df.columns:
            df[col] = pd.to_numeric(df[col].replace("", np.nan), errors="coerce").astype(float)
    return df


def hit_sort_key(df: pd.DataFrame) -> list[str]:
    return [c for c in ("guide", "chrom", "start", "end", "strand", "site", "guide_aln", "site_aln") if c in df.columns]


def one_hit_per_locus(df: pd.DataFrame, window: int = LOCUS_WINDOW) -> pd.DataFrame:
    """Keep one hit per (guide, chrom, strand, cut-position cluster); see the module docstring."""
    if df.empty:
        return df.reset_index(drop=True)
    df = df.copy()
    df["_edits"] = df["mismatches"] + df["dna_bulge"] + df["rna_bulge"]
    df["_bulges"] = df["dna_bulge"] + df["rna_bulge"]
    df["_negcfd"] = -df["cfd"].fillna(-1.0)
    df = df.sort_values(["guide", "chrom", "strand", "cut_start", "start", "end"], kind="mergesort")
    # clusters of cut positions (single linkage, gap <= window) per guide/chrom/strand
    same = (
        (df["guide"].to_numpy()[1:] == df["guide"].to_numpy()[:-1])
        & (df["chrom"].to_numpy()[1:] == df["chrom"].to_numpy()[:-1])
        & (df["strand"].to_numpy()[1:] == df["strand"].to_numpy()[:-1])
        & (np.diff(df["cut_start"].to_numpy()) <= window)
    )
    df["_locus"] = np.concatenate([[0], np.cumsum(~same)])
    df = df.sort_values(["_locus", "_edits", "_bulges", "_negcfd", "start", "end", "site_aln", "guide_aln"],
                        kind="mergesort")
    df = df.drop_duplicates("_locus", keep="first")
    return df.drop(columns=["_edits", "_bulges", "_negcfd", "_locus"]).reset_index(drop=True)


def merge_hits(paths: list[str | Path], *, window: int = LOCUS_WINDOW) -> pd.DataFrame:
    """Read, concatenate, de-duplicate (one hit per locus) and sort chunk tables."""
    if not paths:
        raise InputError("no chunk tables given to merge")
    frames = []
    for p in paths:
        df = read_table(p, required=HIT_COLUMNS, what="off-target search table")
        frames.append(coerce_hits(df, path=p))
    df = pd.concat(frames, ignore_index=True)
    df = df[list(HIT_COLUMNS) + [c for c in df.columns if c not in HIT_COLUMNS]]
    df = one_hit_per_locus(df, window)
    return df.sort_values(hit_sort_key(df), kind="mergesort").reset_index(drop=True)
