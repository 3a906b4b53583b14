"""Common integration sites (CIS).

Two methods, both on *distinct* sites (a clone seen at several time points counts once).

Window rule (Abel et al. 2007, Leukemia 21:1443 / Suzuki et al. 2002): a CIS is a group of
2 sites within 30 kb, 3 within 50 kb, 4 within 100 kb, or 5 or more within 200 kb on the same
chromosome (strand ignored; distance = last minus first position of the group). Every window of
``k`` consecutive sites whose span satisfies the order-``k`` window (``k >= 5`` uses the 200 kb
window) qualifies; qualifying windows that share sites are merged into one CIS region. A region's
``order`` is its number of sites; its genes are the nearest genes of its sites.

Chance expectation: on a small genome or with many sites, windows fill by chance. When random
control sites are given (``match_id`` as written by the enrichment step, ``k`` per site),
:func:`background_cis` splits them into ``k`` replicate sets the size of the real set and counts
the CIS regions each would give (``cis_background.tsv``); the summary compares the real count with
this background.

Gene-frequency outlier test (as documented for ISAnalytics ``CIS_grubbs``, after Biffi et al. 2011
Blood 117:5332): each site is assigned to its nearest gene; for every hit gene with length
``L`` (bp, ``average_TxLen`` of the ISAnalytics refGenes table, else the gene span) extended by
``flank`` bp on both sides, the integration density is ``n_IS / (L + 2 flank) * 1000`` (sites per
kb). The test statistic is ``z`` of ``log2`` of the density across all hit genes; a gene is an
outlier when the one-sided Grubbs criterion is exceeded:
``G = z``, ``t = sqrt(N (N-2) G^2 / ((N-1)^2 - N G^2))``, ``p = N * P(T_{N-2} > t)`` (Bonferroni over
the ``N`` genes, capped at 1), CIS when ``p < alpha``. Genes with ``G^2 >= (N-1)^2 / N`` (the
maximum) get ``p = 0``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

ABEL_WINDOWS = {2: 30_000, 3: 50_000, 4: 100_000, 5: 200_000}


def window_cis(sites: pd.DataFrame, windows: dict[int, int] | None = None) -> pd.DataFrame:
    """CIS regions by the window rule. ``sites``: distinct ``chrom, position`` (+ ``nearest_gene``)."""
    windows = dict(sorted((windows or ABEL_WINDOWS).items()))
    kmax = max(windows)
    cols = ["cis_id", "chrom", "start", "end", "order", "span", "genes", "genes_of_concern"]
    rows = []
    d = sites.drop_duplicates(["chrom", "position"]).sort_values(["chrom", "position"], kind="mergesort")
    for chrom, grp in d.groupby("chrom", sort=True):
        pos = grp["position"].to_numpy(dtype=np.int64)
        genes = grp["nearest_gene"].astype(str).to_numpy() if "nearest_gene" in grp else np.array([""] * len(pos))
        goc = grp["gene_of_concern"].astype(str).to_numpy() if "gene_of_concern" in grp else np.array([""] * len(pos))
        n = len(pos)
        covered_until = np.full(n, -1)  # for each start i, last index of a qualifying window from i
        for k, w in windows.items():
            if n < k:
                continue
            if k == kmax:  # k or more: the window from i reaches the last site within w
                last = np.searchsorted(pos, pos + w, side="right") - 1
                ok = last - np.arange(n) + 1 >= k
                covered_until = np.where(ok, np.maximum(covered_until, last), covered_until)
            else:
                span = pos[k - 1:] - pos[: n - k + 1]
                ok = np.flatnonzero(span <= w)
                covered_until[ok] = np.maximum(covered_until[ok], ok + k - 1)
        i = 0
        while i < n:
            if covered_until[i] < 0:
                i += 1
                continue
            start, end = i, covered_until[i]
            m = i + 1
            while m <= end:
                if covered_until[m] > end:
                    end = covered_until[m]
                m += 1
            g = sorted({x for x in genes[start:end + 1] if x})
            gc = sorted({y for x in goc[start:end + 1] for y in x.split(",") if y})
            rows.append({"chrom": chrom, "start": int(pos[start]), "end": int(pos[end]), "order": end - start + 1,
                         "span": int(pos[end] - pos[start]), "genes": ",".join(g), "genes_of_concern": ",".join(gc)})
            i = end + 1
    out = pd.DataFrame(rows, columns=cols[1:])
    out.insert(0, "cis_id", [f"CIS{i + 1:04d}" for i in range(len(out))])
    return out


def background_cis(controls: pd.DataFrame, windows: dict[int, int] | None = None) -> pd.DataFrame:
    """CIS regions found in each replicate set of random controls (``replicate``, ``n_sites``, ``n_regions``,
    ``max_order``)."""
    cols = ["replicate", "n_sites", "n_regions", "max_order"]
    if controls.empty:
        return pd.DataFrame(columns=cols)
    c = controls.copy()
    c["replicate"] = c.groupby("match_id", sort=False).cumcount() + 1
    rows = []
    for r, grp in c.groupby("replicate", sort=True):
        reg = window_cis(grp, windows)
        rows.append({"replicate": int(r), "n_sites": int(len(grp)), "n_regions": int(len(reg)),
                     "max_order": int(reg["order"].max()) if len(reg) else 0})
    return pd.DataFrame(rows, columns=cols)


def read_gene_lengths(transcripts) -> dict[str, float]:
    """Gene -> length (bp): span from min start to max end over its transcripts."""
    spans: dict[str, list[int]] = {}
    for t in transcripts:
        s = spans.setdefault(t.gene, [t.start, t.end])
        s[0], s[1] = min(s[0], t.start), max(s[1], t.end)
    return {g: float(e - s) for g, (s, e) in spans.items()}


def grubbs_t_p(g, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Student t and one-sided unadjusted p of Grubbs statistics ``g`` (high side) in a sample of ``n``.

    ``n * p`` is the Bonferroni p-value; at the tabulated one-sided critical value (e.g. G = 2.176 for
    n = 10, alpha 0.05) ``n * p == alpha``. Statistics <= 0 get p = 1.
    """
    g = np.asarray(g, dtype=float)
    g2 = np.minimum(g * g, (n - 1) ** 2 / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.sqrt(n * (n - 2) * g2 / ((n - 1) ** 2 - n * g2))
    p = np.where(g > 0, stats.t.sf(t, n - 2), 1.0)
    p = np.where(np.isinf(t) & (g > 0), 0.0, p)
    return t, p


def grubbs_cis(sites: pd.DataFrame, gene_length: dict[str, float], *, flank: int = 100_000,
               alpha: float = 0.05) -> pd.DataFrame:
    """Per-gene integration density outlier test (see module doc). ``sites``: distinct sites with
    ``nearest_gene``. Genes without a known length are reported with ``tested = 0``."""
    cols = ["gene", "n_sites", "gene_length", "density_per_kb", "log2_density", "z", "t", "p_value",
            "p_bonferroni", "is_cis", "tested"]
    d = sites.drop_duplicates(["chrom", "position", "strand"]) if "strand" in sites else sites
    counts = d[d["nearest_gene"].astype(str) != ""].groupby("nearest_gene").size()
    if counts.empty:
        return pd.DataFrame(columns=cols)
    genes = sorted(counts.index)
    n_is = np.array([counts[g] for g in genes], dtype=float)
    length = np.array([gene_length.get(g, np.nan) for g in genes], dtype=float)
    tested = ~np.isnan(length) & (length > 0)
    dens = np.where(tested, n_is / (np.where(tested, length, 1.0) + 2 * flank) * 1000, np.nan)
    logd = np.log2(dens)
    z = np.full(len(genes), np.nan)
    t = np.full(len(genes), np.nan)
    p = np.full(len(genes), np.nan)
    N = int(tested.sum())
    if N >= 3:
        x = logd[tested]
        sd = x.std(ddof=1)
        if sd > 0:
            zz = (x - x.mean()) / sd
            tt, pp = grubbs_t_p(zz, N)
            z[tested], t[tested], p[tested] = zz, np.where(zz > 0, tt, -tt), pp
        else:
            z[tested], t[tested], p[tested] = 0.0, 0.0, 1.0
    pb = np.minimum(p * max(N, 1), 1.0)
    out = pd.DataFrame({
        "gene": genes, "n_sites": n_is.astype(int), "gene_length": pd.Series(np.round(length)).astype("Int64"), "density_per_kb": dens,
        "log2_density": logd, "z": z, "t": t, "p_value": p, "p_bonferroni": pb,
        "is_cis": (pb < alpha).astype(int), "tested": tested.astype(int),
    })
    return out.sort_values(["p_bonferroni", "gene"], kind="mergesort", na_position="last").reset_index(drop=True)[cols]


def gene_lengths(path) -> dict[str, float]:
    """ISAnalytics refGenes (``name2``/``average_TxLen``) or any GTF/genePred (gene span)."""
    from cgtsafe.io.annotation import read_transcripts
    from cgtsafe.io.compressed import open_input
    from cgtsafe.io.tables import read_table

    with open_input(path, "rt", what="gene annotation") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    if "average_TxLen" in header and "name2" in header:
        df = read_table(path, required=("name2", "average_TxLen"), what="ISAnalytics refGenes table")
        return dict(zip(df["name2"], pd.to_numeric(df["average_TxLen"], errors="coerce")))
    return read_gene_lengths(read_transcripts(path))
