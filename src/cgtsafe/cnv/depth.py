"""Binned read depth of a WGS BAM/CRAM and the reference GC and N content of each bin.

Bins are ``[k * bin_size, (k + 1) * bin_size)`` (0-based, end exclusive; the last bin of a contig is shorter).
A read counts in the bin of its leftmost aligned base when it is mapped, primary, not a duplicate, not
QC-failed, not supplementary and has MAPQ >= ``min_mapq`` (low-MAPQ reads stand for unmappable sequence, so
bins made of repeats fall out instead of being mis-counted; a mappability track is not used).

Bin size from coverage (:func:`choose_bin_size`): the smallest multiple of 1 kb at which a bin expects
``target_reads`` reads (1,000 reads: Poisson CV ~3 %), from the mapped-read count of the index.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def choose_bin_size(mapped_reads: int, genome_length: int, target_reads: int = 1000) -> int:
    if mapped_reads <= 0:
        from cgtsafe.errors import InputError

        raise InputError("no mapped reads: cannot choose a bin size")
    size = target_reads * genome_length / mapped_reads
    return int(max(1000, np.ceil(size / 1000.0) * 1000))


def bin_composition(genome: dict[str, bytes], bin_size: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per contig ``(gc, n_fraction)`` of each bin (GC over A/C/G/T bases; NaN when a bin has none)."""
    out = {}
    for name, seq in genome.items():
        a = np.frombuffer(bytes(seq).upper(), dtype=np.uint8)
        nb = -(-a.size // bin_size)
        idx = np.arange(a.size) // bin_size
        gc = np.bincount(idx, weights=((a == ord("G")) | (a == ord("C"))).astype(float), minlength=nb)
        acgt = np.bincount(idx, weights=np.isin(a, np.frombuffer(b"ACGT", dtype=np.uint8)).astype(float),
                           minlength=nb)
        length = np.bincount(idx, minlength=nb).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = (np.where(acgt > 0, gc / acgt, np.nan), 1.0 - acgt / length)
    return out


def bin_counts(path: str | Path, reference: str | Path, lengths: dict[str, int], bin_size: int,
               min_mapq: int = 20) -> dict[str, np.ndarray]:
    """Reads per bin for every contig of ``lengths`` (see the module docstring)."""
    from cgtsafe.io.alignment import COUNTING_FIELDS, open_alignment

    af = open_alignment(path, reference, cram_fields=COUNTING_FIELDS)
    out = {}
    try:
        have = set(af.references)
        for name, length in lengths.items():
            nb = -(-length // bin_size)
            if name not in have:
                out[name] = np.zeros(nb)
                continue
            starts = [r.reference_start for r in af.fetch(name)
                      if not (r.flag & 0xF04) and r.mapping_quality >= min_mapq]
            out[name] = np.bincount(np.asarray(starts, dtype=np.int64) // bin_size, minlength=nb)[:nb].astype(float)
    finally:
        af.close()
    return out
