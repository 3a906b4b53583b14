"""Binned read depth of a WGS BAM/CRAM and the reference GC and N content of each bin.

Bins are ``[k * bin_size, (k + 1) * bin_size)`` (0-based, end exclusive; the last bin of a contig is shorter).
A read counts in the bin of its leftmost aligned base when it is mapped, primary, not a duplicate, not
QC-failed, not supplementary and has MAPQ >= ``min_mapq`` (low-MAPQ reads stand for unmappable sequence, so
bins made of repeats fall out instead of being mis-counted). With a mappability track (:func:`bin_mappability`)
bins whose mean mappable fraction is below ``min_mappability`` are excluded: both samples lose the same reads there,
so the ratio is unbiased but noisy and the bins add noise rather than signal.

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
            acc = np.zeros(nb)
            starts: list[int] = []
            for r in af.fetch(name):
                if not (r.flag & 0xF04) and r.mapping_quality >= min_mapq:
                    starts.append(r.reference_start)
                    if len(starts) >= 1_000_000:  # bounded memory: a 30x chr1 has ~80 M reads
                        acc += np.bincount(np.asarray(starts, dtype=np.int64) // bin_size, minlength=nb)[:nb]
                        starts.clear()
            out[name] = acc + np.bincount(np.asarray(starts, dtype=np.int64) // bin_size, minlength=nb)[:nb]
    finally:
        af.close()
    return out


def bin_mappability(path, lengths: dict[str, int], bin_size: int) -> dict[str, np.ndarray]:
    """Mean mappable fraction of each bin from a mappability track: a bedGraph (``chrom start end value``, value
    0..1, e.g. the per-base mappability of GEM/genmap/umap) or a BED of mappable regions (3 columns: value 1).
    Bases the track does not list count as unmappable (0). Intervals of one contig must not overlap. Plain or
    gzipped; lines starting with ``track``, ``browser`` or ``#`` are skipped."""
    from cgtsafe.errors import InputError
    from cgtsafe.io.compressed import open_input

    iv: dict[str, list[tuple[int, int, float]]] = {}
    with open_input(path, "rt", what="mappability track") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            f = line.rstrip("\n").split("\t")
            try:
                s, e = int(f[1]), int(f[2])
                v = float(f[3]) if len(f) > 3 else 1.0
            except (IndexError, ValueError):
                raise InputError("expected chrom, start, end [, mappable fraction 0..1]", path=path, line=i) from None
            if not (0 <= s < e) or not 0 <= v <= 1:
                raise InputError(f"expected 0 <= start < end and a value in 0..1, got {s} {e} {v}", path=path, line=i)
            iv.setdefault(f[0], []).append((s, e, v))
    out = {}
    for c, length in lengths.items():
        nb = -(-length // bin_size)
        bounds = np.minimum(np.arange(nb + 1, dtype=np.int64) * bin_size, length)
        rows = sorted(iv.get(c, []))
        if not rows:
            out[c] = np.zeros(nb)
            continue
        s, e, v = (np.array(x) for x in zip(*rows))
        if np.any(s[1:] < e[:-1]):
            raise InputError(f"overlapping intervals on {c} (expected a bedGraph/BED of disjoint intervals)", path=path)
        cum = np.r_[0.0, np.cumsum(v * (e - s))]

        def mass(x):
            k = np.searchsorted(e, x, side="right")
            part = np.where((k < s.size) & (s[np.minimum(k, s.size - 1)] < x),
                            v[np.minimum(k, s.size - 1)] * (x - s[np.minimum(k, s.size - 1)]), 0.0)
            return cum[k] + part

        m = mass(bounds)
        out[c] = np.diff(m) / np.maximum(np.diff(bounds), 1)
    return out
