"""B-allele frequencies at heterozygous SNPs of the control: the second line of copy-number evidence.

Sites
  Het sites are found in the control (``discover_hets``): positions where the two most frequent bases have >= 90 %
  of the reads, the second >= ``min_minor`` (0.25) of the depth and >= 5 reads, at depth >= ``min_depth``; or only
  at the SNPs of a population VCF (``snps``, biallelic SNVs; the same test applied at those positions). Reads count
  when mapped, primary, not duplicate/QC-fail, MAPQ >= ``min_mapq``; bases with quality >= ``min_baseq``.
  Selecting sites on the control and measuring the edited sample keeps the two independent.

Allelic imbalance of a region (``imbalance``)
  Without phase, a site's count ``a`` of its second allele out of ``n`` (both alleles) in the edited cells follows
  the mixture ``0.5 Bin(n, 0.5 + d) + 0.5 Bin(n, 0.5 - d)``: ``d`` is the shift of the B-allele frequency from 0.5.
  ``d`` is estimated by maximum likelihood on a grid (0 to 0.49, step 0.001), its 95 % interval is the set of
  ``d`` within 1.92 log-likelihood units of the maximum (likelihood-ratio interval; widened by one grid step on
  each side), and ``p`` tests ``d = 0``
  with the likelihood ratio against the boundary null distribution ``0.5 chi2_0 + 0.5 chi2_1`` (Self & Liang 1987,
  J Am Stat Assoc 82:605).

Cell fraction from the shift (single-copy change of one homolog in a fraction ``f`` of diploid cells)
  Loss: the changed homolog has ``1 - f`` copies per cell against 1, so its allele reads ``(1 - f) / (2 - f)`` and
  the other ``1 / (2 - f) = 0.5 / (1 - f/2)``; ``d = f / (2 (2 - f))``, so ``f = 4d / (1 + 2d)`` (``f = 1``, loss
  in every cell, is LOH: ``d = 0.5``). Gain: ``(1 + f) / (2 + f)``, ``d = f / (2 (2 + f))``, ``f = 4d / (1 - 2d)``
  (a clonal gain: ``d = 1/6``, BAF 1/3 and 2/3). The same model as the depth ratio ``1 -+ f/2``
  (:mod:`cgtsafe.cnv.segment`), so the two estimates of ``f`` can be compared.

Not modelled: reference-allele mapping bias (it pulls ``a/n`` below 0.5 at every site; on real data check that the
control's own shift on the same sites is near 0, given in ``control_shift``) and copy-neutral LOH calls beyond the
flag in :func:`status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import chi2

GRID = np.arange(0.0, 0.4905, 0.001)
BASES = "ACGT"


_CODE = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _CODE[_b] = _i
    _CODE[_b + 32] = _i


def base_counts(af, chrom: str, start: int, end: int, *, min_mapq: int = 20, min_baseq: int = 20):
    """``(end - start, 4)`` read counts of A, C, G, T per position (0-based ``start``, end exclusive) of an open
    alignment file: reads mapped, primary, not duplicate/QC-fail, MAPQ >= ``min_mapq``; bases with quality >=
    ``min_baseq``. Reads whose CIGAR is one match block are placed in bulk (numpy, batches of 10,000 reads); others
    through their aligned pairs. Same counts as pysam ``count_coverage`` with these filters (tested)."""
    n = end - start
    counts = np.zeros(4 * n, dtype=np.int64)
    batch: list = [[], [], [], []]  # sequences, qualities, starts, lengths
    extra: list = [[], []]  # positions and bases of reads with indels or clips

    def add(p, b):
        p = p - start
        ok = (p >= 0) & (p < n) & (b < 4)
        counts[:] += np.bincount(p[ok] * 4 + b[ok], minlength=4 * n)

    def flush():
        if not batch[0]:
            return
        lens_a = np.asarray(batch[3], dtype=np.int64)
        first = np.cumsum(lens_a) - lens_a
        p = np.repeat(np.asarray(batch[2], dtype=np.int64) - first, lens_a) + np.arange(int(lens_a.sum()))
        b = _CODE[np.frombuffer("".join(batch[0]).encode(), dtype=np.uint8)]
        keep = np.frombuffer(b"".join(batch[1]), dtype=np.uint8) >= min_baseq
        add(p[keep], b[keep])
        for x in batch:
            x.clear()

    def flush_extra():
        if extra[0]:
            add(np.concatenate(extra[0]), np.concatenate(extra[1]))
            extra[0].clear()
            extra[1].clear()

    for r in af.fetch(chrom, start, end):
        if r.flag & 0xF04 or r.mapping_quality < min_mapq:
            continue
        seq = r.query_sequence
        q = r.query_qualities
        if seq is None or q is None:
            continue
        cig = r.cigartuples
        if len(cig) == 1 and cig[0][0] in (0, 7, 8):
            batch[0].append(seq)
            batch[1].append(bytes(q))
            batch[2].append(r.reference_start)
            batch[3].append(len(seq))
            if len(batch[0]) >= 10000:
                flush()
        else:
            pairs = np.asarray(r.get_aligned_pairs(matches_only=True), dtype=np.int64).reshape(-1, 2)
            ok = np.frombuffer(bytes(q), dtype=np.uint8)[pairs[:, 0]] >= min_baseq
            extra[0].append(pairs[ok, 1])
            extra[1].append(_CODE[np.frombuffer(seq.encode(), dtype=np.uint8)[pairs[ok, 0]]])
            if len(extra[0]) >= 10000:
                flush_extra()
    flush()
    flush_extra()
    return counts.reshape(n, 4).astype(np.int32)


def _open(path, reference):
    from cgtsafe.io.alignment import open_alignment

    return open_alignment(path, reference)


def read_snps(path) -> dict[str, np.ndarray]:
    """0-based positions of the biallelic SNVs of a (bgzipped or plain) VCF, per contig (sorted, unique)."""
    import pysam

    from cgtsafe.errors import InputError

    p = Path(path)
    if not p.exists():
        raise InputError("SNP VCF not found", path=p)
    out: dict[str, list[int]] = {}
    try:
        with pysam.VariantFile(str(p)) as vf:
            for rec in vf.fetch():
                if len(rec.ref) == 1 and rec.alts and len(rec.alts) == 1 and len(rec.alts[0]) == 1:
                    out.setdefault(rec.chrom, []).append(rec.pos - 1)
    except (ValueError, OSError) as e:
        raise InputError(f"expected a VCF of SNPs ({e})", path=p) from None
    return {c: np.unique(np.asarray(v, dtype=np.int64)) for c, v in out.items()}


@dataclass
class Hets:
    chrom: np.ndarray
    pos: np.ndarray  # 0-based
    allele1: np.ndarray  # index into ACGT (the control's more frequent base)
    allele2: np.ndarray
    control_a: np.ndarray  # control reads of allele2
    control_n: np.ndarray  # control reads of both alleles


def discover_hets(control, reference, lengths: dict[str, int], *, snps: dict[str, np.ndarray] | None = None,
                  min_depth: int = 20, min_minor: float = 0.25, min_mapq: int = 20, min_baseq: int = 20,
                  chunk: int = 2_000_000) -> tuple[Hets, int]:
    """Het sites of the control (see the module docstring) and the number of positions examined."""
    chroms, poss, a1s, a2s, ca, cn = [], [], [], [], [], []
    examined = 0
    af = _open(control, reference)
    have = set(af.references)
    for c, length in lengths.items():
        if c not in have:
            continue
        if snps is not None and c not in snps:
            continue
        for s in range(0, length, chunk):
            e = min(length, s + chunk)
            if snps is not None:
                want = snps[c][(snps[c] >= s) & (snps[c] < e)]
                if want.size == 0:
                    continue
                s, e = int(want[0]), int(want[-1]) + 1
            counts = base_counts(af, c, s, e, min_mapq=min_mapq, min_baseq=min_baseq)
            idx = np.arange(counts.shape[0]) if snps is None else want - s
            cc = counts[idx]
            examined += idx.size
            depth = cc.sum(axis=1)
            order = np.argsort(-cc, axis=1, kind="stable")
            top1 = np.take_along_axis(cc, order[:, :1], axis=1)[:, 0]
            top2 = np.take_along_axis(cc, order[:, 1:2], axis=1)[:, 0]
            with np.errstate(divide="ignore", invalid="ignore"):
                het = ((depth >= min_depth) & (top2 >= 5) & (top2 >= min_minor * depth)
                       & (top1 + top2 >= 0.9 * depth))
            k = np.flatnonzero(het)
            chroms += [c] * k.size
            poss.append(idx[k] + s)
            a1s.append(order[k, 0])
            a2s.append(order[k, 1])
            ca.append(top2[k])
            cn.append(top1[k] + top2[k])
    af.close()
    cat = (lambda x, t: np.concatenate(x).astype(t) if x else np.zeros(0, t))
    return Hets(np.asarray(chroms, dtype=object), cat(poss, np.int64), cat(a1s, np.int8), cat(a2s, np.int8),
                cat(ca, np.int64), cat(cn, np.int64)), examined


def allele_counts(path, reference, hets: Hets, *, min_mapq: int = 20, min_baseq: int = 20,
                  chunk: int = 2_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Reads of ``allele2`` and of both alleles at each het site in ``path``."""
    a = np.zeros(hets.pos.size, dtype=np.int64)
    n = np.zeros(hets.pos.size, dtype=np.int64)
    af = _open(path, reference)
    have = set(af.references)
    for c in dict.fromkeys(hets.chrom.tolist()):
        idx = np.flatnonzero(hets.chrom == c)
        pos = hets.pos[idx]
        lo = 0 if c in have else idx.size
        while lo < idx.size:
            s = int(pos[lo])
            hi = int(np.searchsorted(pos, s + chunk, side="left"))
            e = int(pos[hi - 1]) + 1
            counts = base_counts(af, c, s, e, min_mapq=min_mapq, min_baseq=min_baseq)
            sel = idx[lo:hi]
            rows = pos[lo:hi] - s
            c1 = counts[rows, hets.allele1[sel]]
            c2 = counts[rows, hets.allele2[sel]]
            a[sel], n[sel] = c2, c1 + c2
            lo = hi
    af.close()
    return a, n


def loglik(a: np.ndarray, n: np.ndarray, grid: np.ndarray = GRID, block: int = 20000) -> np.ndarray:
    """Log-likelihood of each shift in ``grid`` (binomial coefficients dropped: they do not depend on ``d``)."""
    p = 0.5 + grid
    lp, lq = np.log(p), np.log1p(-p)
    out = np.zeros(grid.size)
    for i in range(0, a.size, block):
        aa = a[i:i + block, None].astype(float)
        bb = (n[i:i + block, None] - a[i:i + block, None]).astype(float)
        out += (np.logaddexp(aa * lp + bb * lq, aa * lq + bb * lp) - np.log(2)).sum(axis=0)
    return out


@dataclass
class Imbalance:
    n_sites: int
    shift: float
    low: float
    high: float
    p: float


def imbalance(a: np.ndarray, n: np.ndarray) -> Imbalance:
    """Maximum-likelihood B-allele shift of the sites ``(a, n)`` with its 95 % interval and p (module docstring)."""
    keep = n > 0
    a, n = a[keep], n[keep]
    if a.size == 0:
        return Imbalance(0, float("nan"), float("nan"), float("nan"), float("nan"))
    ll = loglik(a, n)
    j = int(np.argmax(ll))
    inside = np.flatnonzero(2 * (ll[j] - ll) <= chi2.ppf(0.95, 1))
    lr = max(0.0, 2 * (ll[j] - ll[0]))
    p = 1.0 if lr == 0 else float(0.5 * chi2.sf(lr, 1))
    # widened to the neighbouring grid points outside the set: a grid-bounded interval would undercover (measured
    # 92 % instead of 95 % at 500 sites x 30x, where one grid step is ~1/4 SE)
    lo, hi = max(int(inside.min()) - 1, 0), min(int(inside.max()) + 1, GRID.size - 1)
    return Imbalance(int(a.size), float(GRID[j]), float(GRID[lo]), float(GRID[hi]), p)


def fraction_from_shift(d: float, kind: str) -> float:
    """Cell fraction of a single-copy loss/gain giving the B-allele shift ``d`` (module docstring)."""
    if not np.isfinite(d):
        return float("nan")
    if kind == "loss":
        return min(1.0, 4 * d / (1 + 2 * d))
    return 4 * d / (1 - 2 * d) if d < 0.5 else float("inf")


def status(imb: Imbalance, depth_call: str, min_sites: int, alpha: float) -> str:
    """The BAF line of evidence for a region whose depth call is ``depth_call`` (loss, gain or neutral)."""
    if imb.n_sites < min_sites:
        return f"not assessable ({imb.n_sites} het sites with reads; >= {min_sites} needed)"
    if imb.p < alpha:
        if depth_call == "neutral":
            return "allelic imbalance without a depth change (copy-neutral LOH or a small change: review)"
        return f"allelic imbalance supports the {depth_call}"
    if depth_call == "neutral":
        return "no allelic imbalance"
    return f"no significant allelic imbalance (shift <= {imb.high:.3f} at 95 %)"
