"""Read integration-site fragments and merge nearby junctions into sites (clones).

Input: the fragment table (``results/integration/fragments.tsv`` of ``cgtsafe integration`` reads
processing, or the export of INSPIIRED/VISPA2/intSiteCaller by the user):

``sample``      sample name (must be a safe name)
``chrom``       contig of the host genome
``position``    **1-based** coordinate of the host base at the vector-host junction (integration site)
``strand``      ``+`` / ``-``: orientation of the provirus (= strand the LTR-side read maps to)
``breakpoint``  **1-based** coordinate of the sonic shear end (other end of the fragment)
``umi``         optional linker UMI / primerID (may be empty)
``reads``       optional read pairs supporting the fragment+UMI (shown, never used as clone size)

Merging rule (documented in ``docs/outputs/integration.md``)
------------------------------------------------------------
Junctions are first pooled per *subject* (all samples, time points and cell types of one subject,
so that a clone has one position in all of them) and per ``(chrom, strand)``. Each distinct
junction position gets its number of unique fragments (distinct ``sample, breakpoint``) in the
subject. Positions are then visited in the order (fragments descending, position ascending); each
position not yet assigned starts a new site and absorbs every unassigned position of the same
chrom/strand within ``merge_distance`` bp of it. The site's position is therefore the position with
the most fragments (ties -> the smallest coordinate). Every fragment keeps its original position
and gets the merged ``site_position``; the fragment length is ``|site_position - breakpoint| + 1``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.config import SAFE_NAME
from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table

REQUIRED = ("sample", "chrom", "position", "strand", "breakpoint")
OPTIONAL = ("umi", "reads")


def read_fragments(path: str | Path) -> pd.DataFrame:
    """Read and validate a fragment table; returns typed columns (``umi`` "" when absent, ``reads`` 0)."""
    path = Path(path)
    df = read_table(path, required=REQUIRED, what="integration fragment table")
    return validate_fragments(df, path=path)


def validate_fragments(df: pd.DataFrame, *, path: str | Path = "fragments") -> pd.DataFrame:
    df = df.copy()
    for col in ("sample", "chrom", "strand"):
        df[col] = df[col].astype(str).str.strip()
    if "umi" not in df.columns:
        df["umi"] = ""
    df["umi"] = df["umi"].fillna("").astype(str).str.strip()
    if "reads" not in df.columns:
        df["reads"] = "0"
    for i, row in enumerate(df.itertuples(index=False), start=2):
        if not SAFE_NAME.match(row.sample):
            raise InputError(f"sample {row.sample!r} is not a safe name (letters, digits, '_', '.', '-')",
                             path=path, line=i)
        if row.strand not in ("+", "-"):
            raise InputError(f"column strand: expected + or -, got {row.strand!r}", path=path, line=i)
        if not row.chrom:
            raise InputError("column chrom is empty", path=path, line=i)
    for col in ("position", "breakpoint", "reads"):
        vals = pd.to_numeric(df[col].replace("", "0" if col == "reads" else None), errors="coerce")
        bad = vals.isna() | (vals != np.floor(vals)) | (vals < (0 if col == "reads" else 1))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            what = "a non-negative integer" if col == "reads" else "a positive integer (1-based)"
            raise InputError(f"column {col}: expected {what}, got {df[col].iloc[i]!r}", path=path, line=i + 2)
        df[col] = vals.astype(np.int64)
    return df[list(REQUIRED) + list(OPTIONAL)].reset_index(drop=True)


def check_on_genome(df: pd.DataFrame, lengths: dict[str, int], *, path: str | Path, genome: str | Path,
                    what: str = "fragment") -> None:
    """Every ``chrom``/``position`` (1-based) lies on a contig of the reference genome (``lengths``: contig ->
    bp). A contig the genome lacks, or a position beyond its end, would otherwise get random controls and a
    nearest gene as if it were real; it is one error naming the line (header = line 1)."""
    chroms = df["chrom"].astype(str).to_numpy()
    pos = pd.to_numeric(df["position"], errors="coerce").to_numpy()
    for i, (c, x) in enumerate(zip(chroms, pos)):
        n = lengths.get(c)
        if n is None:
            shown = ", ".join(sorted(lengths)[:5]) + (" ..." if len(lengths) > 5 else "")
            raise InputError(f"{what} on contig {c!r}, which the reference genome {str(genome)!r} does not have "
                             f"(its contigs: {shown}); same genome build and contig names (chr1 vs 1)?",
                             path=path, line=i + 2)
        if not 1 <= x <= n:
            raise InputError(f"{what} position {int(x)} is beyond the end of {c} ({n} bp in {str(genome)!r}; "
                             "positions are 1-based)", path=path, line=i + 2)


def merge_sites(frags: pd.DataFrame, subject_of: dict[str, str], merge_distance: int = 5) -> pd.DataFrame:
    """Add ``subject`` and ``site_position`` (merged, 1-based) to every fragment (see module doc)."""
    if merge_distance < 0:
        raise InputError(f"merge_distance must be >= 0, got {merge_distance}")
    df = frags.copy()
    df["subject"] = [subject_of.get(s, s) for s in df["sample"]]
    if df.empty:
        df["site_position"] = pd.Series(dtype=np.int64)
        return df
    counts = (
        df.drop_duplicates(["subject", "chrom", "strand", "position", "sample", "breakpoint"])
        .groupby(["subject", "chrom", "strand", "position"], sort=True).size().rename("n").reset_index()
    )
    mapping: dict[tuple, int] = {}
    for (subject, chrom, strand), grp in counts.groupby(["subject", "chrom", "strand"], sort=True):
        pos = grp["position"].to_numpy()
        n = grp["n"].to_numpy()
        order = np.lexsort((pos, -n))  # fragments desc, position asc
        sorted_pos = np.sort(pos)
        assigned = np.zeros(len(sorted_pos), dtype=bool)
        index_of = {int(p): k for k, p in enumerate(sorted_pos)}
        for k in order:
            p = int(pos[k])
            idx = index_of[p]
            if assigned[idx]:
                continue
            lo = int(np.searchsorted(sorted_pos, p - merge_distance, side="left"))
            hi = int(np.searchsorted(sorted_pos, p + merge_distance, side="right"))
            for j in range(lo, hi):
                if not assigned[j]:
                    assigned[j] = True
                    mapping[(subject, chrom, strand, int(sorted_pos[j]))] = p
    df["site_position"] = [
        mapping[(s, c, st, int(p))] for s, c, st, p in zip(df["subject"], df["chrom"], df["strand"], df["position"])
    ]
    df["site_position"] = df["site_position"].astype(np.int64)
    return df


def fragment_lengths(df: pd.DataFrame) -> np.ndarray:
    """Fragment length in bp between the merged junction and the shear end (both ends inclusive)."""
    return (df["site_position"].to_numpy() - df["breakpoint"].to_numpy()).__abs__() + 1
