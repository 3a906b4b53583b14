"""Copy-number log ratios: GC correction, binary segmentation, calls with implied cell fraction, limit of
detection, and the cut-site-to-telomere loss test.

GC correction (per sample)
  Bin counts are divided by the median count of the bins in the same GC stratum (``gc_strata`` equal-count
  strata of bin GC; fitted on copy-neutral bins in a second pass), then scaled to the overall median (a median-stratified form of the GC normalisation of
  Benjamini & Speed 2012, Nucleic Acids Res 40:e72). Bins with no reference base, with > ``max_n`` N bases or with
  zero control count are excluded (``mask``).

Log ratio
  ``log2(edited / control)`` of the GC-corrected counts (GC correction over all bins of the genome together),
  centred on the mode of the bin values (Gaussian kernel density peak, bandwidth 0.01 on a 0.001 grid): the
  copy-neutral majority of the genome; after segmentation re-centred on the mean of the bins of the segments not
  called, whose standard error ``sigma / sqrt(N)`` is added to every segment's (:func:`call_genome`). The median would be pulled by a large one-sided event (a 20 % loss over a
  sixth of the genome shifts it by about 0.01, which is several SE of a long segment).

Segmentation: binary segmentation (Olshen et al. 2004 CBS, one-breakpoint form)
  Per contig, the split of a segment that maximises ``|t| = |mean_left - mean_right| / (sigma * sqrt(1/n_l +
  1/n_r))`` (both parts >= ``min_bins``) is accepted when its maximum ``|t|`` exceeds the ``1 - alpha`` quantile of
  the same statistic over ``n_perm`` random permutations of the segment (fixed seed: deterministic); accepted
  parts are split again. ``sigma`` is the bin noise, ``MAD(first differences) / sqrt(2) * 1.4826`` over the
  genome (robust to the breakpoints themselves).

Calls
  A segment with mean log ratio ``m`` over ``n`` bins has ``SE = sqrt(sigma^2 / n + SE_ref^2)``; it is a call when
  ``|m| / SE >= z`` with ``z`` the Bonferroni normal quantile for ``alpha`` over the segments. A single-copy change
  in a fraction ``f`` of diploid cells gives ``2^m = 1 - f/2`` (loss) or ``1 + f/2`` (gain), so
  ``f = 2 (1 - 2^m)`` or ``2 (2^m - 1)``; the 95 % interval follows from ``m +- 1.96 SE`` (clipped to 0..1;
  values above 1 mean more than one copy or a whole clone).

Limit of detection
  For a segment of ``n`` bins the smallest detectable ``|m|`` at 80 % power is ``(z + z_0.8) SE``,
  converted to the cell fraction of a single-copy loss or gain as above ("a 10 Mb loss in >= x % of cells would
  have been detected").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

Z_POWER = float(norm.ppf(0.8))


def gc_correct(counts: np.ndarray, gc: np.ndarray, mask: np.ndarray, strata: int = 20,
               fit: np.ndarray | None = None) -> np.ndarray:
    """GC-corrected counts (NaN outside ``mask``). Strata (GC quantiles) and their medians come from the ``fit``
    bins (default: ``mask``); a second pass fits on the copy-neutral bins only, since a large event on contigs of
    unusual GC would otherwise be partly "corrected" away."""
    out = np.full(counts.shape, np.nan)
    fit = mask if fit is None else (fit & mask)
    fidx = np.flatnonzero(fit)
    idx = np.flatnonzero(mask)
    if fidx.size == 0:
        return out
    n = min(strata, fidx.size)
    edges = np.quantile(gc[fidx], np.linspace(0, 1, n + 1)[1:-1])
    sf, sa = np.searchsorted(edges, gc[fidx], side="right"), np.searchsorted(edges, gc[idx], side="right")
    overall = np.median(counts[fidx])
    med = np.array([np.median(counts[fidx][sf == k]) if np.any(sf == k) else np.nan for k in range(n)])
    with np.errstate(divide="ignore", invalid="ignore"):
        out[idx] = np.where(med[sa] > 0, counts[idx] / med[sa] * overall, np.nan)
    return out


def log_ratio(edited: np.ndarray, control: np.ndarray) -> np.ndarray:
    """Median-centred log2(edited / control); NaN where either is missing or zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log2(edited / control)
    r[~np.isfinite(r)] = np.nan
    ok = np.isfinite(r)
    if ok.any():
        r[ok] -= mode(r[ok])
    return r


def mode(x: np.ndarray, bandwidth: float = 0.01) -> float:
    """Peak of a Gaussian kernel density of ``x`` (deterministic; at most 20,000 evenly strided values)."""
    x = np.sort(x[np.isfinite(x)])
    if x.size > 20000:
        x = x[:: int(np.ceil(x.size / 20000))]
    lo, hi = np.quantile(x, [0.01, 0.99])
    grid = np.arange(lo, hi + 0.001, 0.001)
    dens = np.zeros(grid.size)
    for chunk in np.array_split(x, max(1, x.size // 2000)):
        dens += np.exp(-0.5 * ((grid[:, None] - chunk[None, :]) / bandwidth) ** 2).sum(axis=1)
    return float(grid[int(np.argmax(dens))])


def noise_sigma(x: np.ndarray) -> float:
    """Bin noise: MAD of first differences / sqrt(2), scaled to a normal SD."""
    x = x[np.isfinite(x)]
    if x.size < 3:
        return float("nan")
    d = np.diff(x)
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def _max_t(x: np.ndarray, sigma: float, min_bins: int) -> tuple[float, int]:
    n = x.size
    cs = np.cumsum(x)
    k = np.arange(min_bins, n - min_bins + 1)
    if k.size == 0:
        return 0.0, -1
    left = cs[k - 1] / k
    right = (cs[-1] - cs[k - 1]) / (n - k)
    t = np.abs(left - right) / (sigma * np.sqrt(1.0 / k + 1.0 / (n - k)))
    j = int(np.argmax(t))
    return float(t[j]), int(k[j])


def binary_segmentation(x: np.ndarray, sigma: float, *, min_bins: int = 5, alpha: float = 0.01, n_perm: int = 200,
                        seed: int = 1) -> list[tuple[int, int]]:
    """Segments ``[(i, j)]`` (half-open bin indices) of one contig's finite log ratios (see the module docstring)."""
    rng = np.random.default_rng(seed)
    todo, done = [(0, x.size)], []
    while todo:
        a, b = todo.pop()
        seg = x[a:b]
        t, k = _max_t(seg, sigma, min_bins)
        if k < 0:
            done.append((a, b))
            continue
        null = np.array([_max_t(rng.permutation(seg), sigma, min_bins)[0] for _ in range(n_perm)])
        if (1 + np.sum(null >= t)) / (n_perm + 1) < alpha:
            todo += [(a, a + k), (a + k, b)]
        else:
            done.append((a, b))
    return sorted(done)


def fraction(m: float, kind: str) -> float:
    """Cell fraction of a single-copy loss/gain with mean log2 ratio ``m`` (diploid)."""
    return 2 * (1 - 2.0 ** m) if kind == "loss" else 2 * (2.0 ** m - 1)


def detectable_fraction(n_bins: int, sigma: float, z: float, ref_se: float = 0.0) -> tuple[float, float]:
    """(loss, gain) cell fractions detectable at 80 % power over ``n_bins`` bins (``ref_se``: uncertainty of the
    copy-neutral reference level)."""
    m = (z + Z_POWER) * np.sqrt(sigma ** 2 / max(n_bins, 1) + ref_se ** 2)
    return min(1.0, fraction(-m, "loss")), min(1.0, fraction(m, "gain"))


@dataclass
class Segment:
    chrom: str
    start: int  # 0-based
    end: int
    n_bins: int
    mean: float
    se: float
    z: float
    call: str  # loss | gain | neutral
    fraction: float
    fraction_low: float
    fraction_high: float


def call_segments(chrom: str, starts: np.ndarray, ends: np.ndarray, x: np.ndarray, segs: list[tuple[int, int]],
                  sigma: float, z: float, ref_se: float = 0.0) -> list[Segment]:
    out = []
    for a, b in segs:
        v = x[a:b]
        m = float(np.mean(v))
        se = float(np.sqrt(sigma ** 2 / (b - a) + ref_se ** 2))
        zz = m / se if se > 0 else 0.0
        kind = "neutral" if abs(zz) < z else ("loss" if m < 0 else "gain")
        k = "loss" if m < 0 else "gain"
        lo, hi = sorted((fraction(m - 1.96 * se, k), fraction(m + 1.96 * se, k)))
        out.append(Segment(chrom, int(starts[a]), int(ends[b - 1]), b - a, m, se, zz, kind,
                           max(0.0, fraction(m, k)), max(0.0, lo), max(0.0, hi)))
    return out


def call_genome(xs: dict[str, np.ndarray], starts: dict[str, np.ndarray], ends: dict[str, np.ndarray], sigma: float,
                *, alpha: float = 0.01, min_bins: int = 5, n_perm: int = 200, seed: int = 1,
                rounds: int = 3) -> tuple[list[Segment], float]:
    """Segment every contig, then re-centre on the copy-neutral segments and call (returns the segments and the
    total offset removed). Re-centring: the bin-weighted mean of the segments not called (the mean of their bins),
    subtracted from all bins, ``rounds`` times (a large one-sided event shifts the initial mode by a fraction of its
    size). The standard error of each segment includes that of the reference level, ``sigma / sqrt(N)`` over the
    ``N`` copy-neutral bins (:func:`reference_se`): on a small genome it is comparable to a segment's own SE."""
    segs = {c: binary_segmentation(x, sigma, min_bins=min_bins, alpha=alpha, n_perm=n_perm, seed=seed)
            for c, x in xs.items()}
    z = bonferroni_z(alpha, sum(len(v) for v in segs.values()))
    xs = {c: x.copy() for c, x in xs.items()}
    offset = 0.0
    ref_se = 0.0
    for _ in range(rounds + 1):
        calls = [s for c in xs for s in call_segments(c, starts[c], ends[c], xs[c], segs[c], sigma, z, ref_se)]
        neutral = [s for s in calls if s.call == "neutral"] or calls
        means = np.array([s.mean for s in neutral])
        weights = np.array([s.n_bins for s in neutral], dtype=float)
        ref_se = reference_se(calls, sigma)
        shift = float(np.sum(means * weights) / np.sum(weights))
        if abs(shift) < 1e-9:
            break
        offset += shift
        for c in xs:
            xs[c] -= shift
    calls = [s for c in xs for s in call_segments(c, starts[c], ends[c], xs[c], segs[c], sigma, z, ref_se)]
    return calls, offset


def reference_se(calls, sigma: float) -> float:
    """Standard error of the copy-neutral reference level: ``sigma / sqrt(N)`` over the bins of the segments not
    called (all segments when every one is called)."""
    n = sum(s.n_bins for s in calls if s.call == "neutral") or sum(s.n_bins for s in calls)
    return float(sigma / np.sqrt(max(n, 1)))


def bonferroni_z(alpha: float, n_tests: int) -> float:
    return float(norm.isf(alpha / (2 * max(n_tests, 1))))


@dataclass
class DistalTest:
    chrom: str
    cut: int
    side: str  # "to_end" ([cut, contig end)) or "to_start" ([0, cut))
    start: int
    end: int
    n_bins: int
    mean: float
    fraction: float
    fraction_low: float
    fraction_high: float
    p_loss: float
    detectable_loss: float
    status: str


def cut_distal_tests(chrom: str, cut: int, starts: np.ndarray, ends: np.ndarray, x: np.ndarray, sigma: float,
                     contig_length: int, alpha: float = 0.05, ref_se: float = 0.0) -> list[DistalTest]:
    """One-sided loss test of the bins between an on-target cut and each contig end (telomere)."""
    out = []
    for side, sel in (("to_end", starts >= cut), ("to_start", ends <= cut)):
        sel = sel & np.isfinite(x)
        n = int(sel.sum())
        lo_bp, hi_bp = (cut, contig_length) if side == "to_end" else (0, cut)
        if n == 0:
            out.append(DistalTest(chrom, cut, side, lo_bp, hi_bp, 0, float("nan"), float("nan"), float("nan"),
                                  float("nan"), float("nan"), float("nan"), "inconclusive (no usable bins)"))
            continue
        m = float(np.mean(x[sel]))
        se = float(np.sqrt(sigma ** 2 / n + ref_se ** 2))
        p = float(norm.cdf(m / se))
        f = fraction(m, "loss")
        a, b = sorted((fraction(m - 1.96 * se, "loss"), fraction(m + 1.96 * se, "loss")))
        det = detectable_fraction(n, sigma, float(norm.isf(alpha)), ref_se)[0]
        status = "loss detected" if p < alpha else f"not detected (>= {det:.1%} of cells detectable)"
        out.append(DistalTest(chrom, cut, side, lo_bp, hi_bp, n, m, max(0.0, f), max(0.0, a), max(0.0, b), p, det,
                              status))
    return out
