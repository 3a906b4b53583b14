"""Clone abundance from integration-site fragments.

Three measures per (sample, site), the configured one becomes ``abundance``:

``fragments``  number of unique shear sites (distinct ``breakpoint``) - the classical count
``umi``        number of distinct non-empty linker UMIs (primerIDs); falls back to ``fragments`` for a
               sample whose fragments carry no UMI (the fallback is reported as an exclusion)
``sonic``      sonicLength-style maximum-likelihood estimate (Berry et al. 2012, Bioinformatics 28:755)
``reads``      read-count mode: sequencing reads (restriction-enzyme LAM-PCR, where every fragment of a
               site has the same restriction breakpoint, and imported matrices); PCR-biased, see
               :data:`READS_CAVEAT` (reported as an exclusion)

The sonic model: the number of fragments of length ``x`` produced from a site with ``theta_i`` cells
is Poisson with mean ``theta_i * phi_x`` where ``phi`` is the (unknown, shared) fragment-length
distribution, ``sum(phi) = 1``. Only *whether* at least one fragment of length ``x`` was seen can be
observed (all fragments of the same length at the same site collapse into one shear site), so
``P(seen) = 1 - exp(-theta_i * phi_x)``. ``theta`` and ``phi`` are estimated jointly by
expectation-maximisation over the latent counts: E-step ``E[n | seen] = lam / (1 - exp(-lam))``
(``lam = theta_i * phi_x``, 0 when not seen); M-step ``theta_i = sum_x E[n_ix]`` and
``phi_b = sum_{i, x in b} E[n_ix] / sum_i theta_i`` where ``b`` is a bin of ``length_bin`` bp (phi is
uniform inside a bin: this smooths the length distribution). With replicates (independent
shearing reactions) the length categories are (replicate, length), so a length seen in two
replicates counts twice: this is sonicLength's replicate mode (``estAbund(locations, lengths,
replicates)``: one abundance ``theta_i`` per site shared by all replicates, one length distribution
per replicate, ``P(seen in replicate r at length x) = 1 - exp(-theta_i * phi_rx)`` with
``sum_rx phi_rx = 1``, as in sonicLength's ``simSonic``). sonicLength smooths ``phi`` with a spline
GLM; we use length bins.

:func:`replicate_abundance` reports each replicate on its own (sonic estimate from that replicate's
fragments alone) next to the pooled replicate-mode share. ``theta_i`` is the estimated number of cells (sister cells of the clone)
that contributed to the library, and is >= the number of unique shear sites.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ABUNDANCE_METHODS = ("sonic", "fragments", "umi", "reads")

#: caveat of the read-count mode (restriction-enzyme LAM-PCR, imported site matrices without breakpoints)
READS_CAVEAT = ("abundance = sequencing reads (read-count mode): reads are PCR-amplified copies, so shares are "
                "biased by amplification efficiency and saturate for large clones; without shear-site breakpoints "
                "(restriction-enzyme LAM-PCR, imported matrices) no unique-fragment or sonic estimate is possible. "
                "Use shares as indicative; compare clones within a sample, not absolute sizes")


def estimate_sonic(sites, lengths, replicates=None, *, length_bin: int = 1, max_iter: int = 2000,
                   tol: float = 1e-9) -> tuple[np.ndarray, list, dict]:
    """EM/ML clone-abundance estimate from fragment lengths.

    ``sites``, ``lengths`` (and optional ``replicates``) are parallel sequences, one entry per
    observed fragment (duplicates of the same site/length/replicate are collapsed here).
    Returns ``(theta, site_labels, info)``: ``theta[k]`` for ``site_labels[k]`` (sorted labels),
    ``info`` with ``iterations``, ``converged``, ``phi`` (dict (replicate, bin_start) -> probability).
    """
    sites = np.asarray(sites, dtype=object)
    lengths = np.asarray(lengths, dtype=np.int64)
    reps = np.zeros(len(sites), dtype=np.int64) if replicates is None else pd.factorize(
        np.asarray(replicates, dtype=object), sort=True)[0]
    if len(sites) == 0:
        return np.zeros(0), [], {"iterations": 0, "converged": True, "phi": {}}
    if length_bin < 1:
        raise ValueError("length_bin must be >= 1")
    obs = pd.DataFrame({"site": sites, "rep": reps, "len": lengths}).drop_duplicates()
    site_codes, site_labels = pd.factorize(obs["site"], sort=True)
    bins = obs["len"].to_numpy() // length_bin
    cat = pd.DataFrame({"rep": obs["rep"].to_numpy(), "bin": bins})
    cat_codes, cat_index = pd.factorize(pd.MultiIndex.from_frame(cat), sort=True)
    n_sites, n_cat = len(site_labels), len(cat_index)
    # initial values: theta = unique lengths; phi from the pooled length histogram
    theta = np.bincount(site_codes, minlength=n_sites).astype(float)
    phi = np.bincount(cat_codes, minlength=n_cat).astype(float)
    phi /= phi.sum()
    # phi is per bin; the probability of one exact length inside the bin is phi_b / length_bin
    converged = False
    it = 0
    n_obs = theta.copy()
    for it in range(1, max_iter + 1):
        lam = theta[site_codes] * phi[cat_codes] / length_bin
        e = np.where(lam > 1e-12, lam / -np.expm1(-np.maximum(lam, 1e-300)), 1.0)
        new_theta = np.bincount(site_codes, weights=e, minlength=n_sites)
        new_phi = np.bincount(cat_codes, weights=e, minlength=n_cat)
        new_phi /= new_phi.sum()
        delta = np.max(np.abs(new_theta - theta) / np.maximum(theta, 1.0))
        theta, phi = new_theta, new_phi
        if np.max(theta / n_obs) > 1e4:  # diverging: a site saw (nearly) every length category
            break
        if delta < tol:
            converged = True
            break
    info = {
        "iterations": it,
        "converged": converged,
        "phi": {(int(r), int(b) * length_bin): float(p) for (r, b), p in zip(cat_index, phi)},
    }
    return theta, list(site_labels), info


def site_abundance(df: pd.DataFrame, *, method: str = "sonic", length_bin: int = 1) -> tuple[pd.DataFrame, list]:
    """Per (sample, chrom, site_position, strand): fragments, umis, reads, sonic estimate, abundance.

    ``df`` is the output of :func:`cgtsafe.integration.fragments.merge_sites`. Returns the table
    (sorted) and a list of exclusion records (``{"what", "count", "reason"}``).
    """
    from cgtsafe.integration.fragments import fragment_lengths

    if method not in ABUNDANCE_METHODS:
        raise ValueError(f"unknown abundance method {method!r}")
    keys = ["sample", "chrom", "site_position", "strand"]
    cols = keys + ["subject", "fragments", "umis", "reads", "sonic", "abundance", "relative_abundance"]
    exclusions: list[dict] = []
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("sample", "chrom", "strand", "subject") else float)
                             for c in cols}), exclusions
    d = df.copy()
    if "replicate" not in d.columns:
        d["replicate"] = ""
    d["length"] = fragment_lengths(d)
    g = d.groupby(keys, sort=True)
    out = g.agg(subject=("subject", "first"), reads=("reads", "sum")).reset_index()
    # unique fragments collapse per replicate: (replicate, shear site)
    out["fragments"] = d.drop_duplicates(keys + ["replicate", "breakpoint"]).groupby(keys, sort=True).size().to_numpy()
    umi = d[d["umi"] != ""].groupby(keys, sort=True)["umi"].nunique()
    out = out.merge(umi.rename("umis").reset_index(), on=keys, how="left")
    out["umis"] = out["umis"].fillna(0).astype(np.int64)
    out["sonic"] = 0.0
    for sample, grp in d.groupby("sample", sort=True):
        label = list(zip(grp["chrom"], grp["site_position"], grp["strand"]))
        codes, uniq = pd.factorize(pd.Series(label, dtype=object), sort=False)
        reps = grp["replicate"].to_numpy() if grp["replicate"].nunique() > 1 else None
        theta, labels, info = estimate_sonic(codes, grp["length"].to_numpy(), reps, length_bin=length_bin)
        m = out["sample"] == sample
        if info["converged"]:
            est = {uniq[int(k)]: float(t) for k, t in zip(labels, theta)}
            out.loc[m, "sonic"] = [est[(c, p, s)] for c, p, s in
                                   zip(out.loc[m, "chrom"], out.loc[m, "site_position"], out.loc[m, "strand"])]
        else:
            # typically too few sites to estimate the length distribution (the ML estimate diverges)
            out.loc[m, "sonic"] = out.loc[m, "fragments"].astype(float)
            if method == "sonic":
                exclusions.append({"what": f"sonic estimate of sample {sample}", "count": int(m.sum()),
                                   "reason": f"EM did not converge in {info['iterations']} iterations (too few "
                                             "sites or fragment lengths to estimate the length distribution); "
                                             "unique shear sites used as abundance"})
    if method == "reads":
        out["abundance"] = out["reads"].astype(float)
        exclusions.append({"what": "clone size from reads", "count": int(len(out)), "reason": READS_CAVEAT})
    elif method == "fragments":
        out["abundance"] = out["fragments"].astype(float)
    elif method == "sonic":
        out["abundance"] = out["sonic"]
    else:
        has_umi = out.groupby("sample")["umis"].transform("sum") > 0
        out["abundance"] = np.where(has_umi, out["umis"], out["fragments"]).astype(float)
        for sample in sorted(out.loc[~has_umi, "sample"].unique()):
            exclusions.append({"what": f"UMI abundance of sample {sample}", "count": 0,
                               "reason": "no UMIs in the fragments; unique shear sites used instead"})
    total = out.groupby("sample")["abundance"].transform("sum")
    out["relative_abundance"] = np.where(total > 0, out["abundance"] / total.where(total > 0, 1.0), 0.0)
    out = out.sort_values(keys, kind="mergesort").reset_index(drop=True)
    return out[cols], exclusions


REPLICATE_COLUMNS = ["sample", "replicate", "chrom", "position", "strand", "fragments", "sonic", "relative_abundance",
                     "pooled_sonic", "pooled_relative_abundance"]


def replicate_abundance(df: pd.DataFrame, pooled: pd.DataFrame, *, length_bin: int = 1) -> pd.DataFrame:
    """Per (sample, replicate, site): unique fragments of that replicate, the sonic estimate from that
    replicate's fragments alone and its share within the replicate, next to the pooled (replicate-mode)
    sonic estimate of :func:`site_abundance` (``pooled``) and its share of the sample's pooled sonic total. ``position`` is the merged site, 1-based.
    A replicate whose EM does not converge gets its unique fragments as ``sonic`` (as in the pooled table)."""
    from cgtsafe.integration.fragments import fragment_lengths

    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in REPLICATE_COLUMNS})
    d = df.copy()
    if "replicate" not in d.columns:
        d["replicate"] = ""
    d["length"] = fragment_lengths(d)
    keys = ["sample", "replicate", "chrom", "site_position", "strand"]
    out = (d.drop_duplicates(keys + ["breakpoint"]).groupby(keys, sort=True).size().rename("fragments")
           .reset_index())
    out["sonic"] = out["fragments"].astype(float)
    for (sample, rep), grp in d.groupby(["sample", "replicate"], sort=True):
        label = list(zip(grp["chrom"], grp["site_position"], grp["strand"]))
        codes, uniq = pd.factorize(pd.Series(label, dtype=object), sort=False)
        theta, labels, info = estimate_sonic(codes, grp["length"].to_numpy(), length_bin=length_bin)
        if info["converged"]:
            est = {uniq[int(k)]: float(t) for k, t in zip(labels, theta)}
            m = (out["sample"] == sample) & (out["replicate"] == rep)
            out.loc[m, "sonic"] = [est[(c, p, s)] for c, p, s in
                                   zip(out.loc[m, "chrom"], out.loc[m, "site_position"], out.loc[m, "strand"])]
    total = out.groupby(["sample", "replicate"])["sonic"].transform("sum")
    out["relative_abundance"] = out["sonic"] / total
    pk = pooled[["sample", "chrom", "site_position", "strand", "sonic"]].rename(columns={"sonic": "pooled_sonic"})
    pk["pooled_relative_abundance"] = pk["pooled_sonic"] / pk.groupby("sample")["pooled_sonic"].transform("sum")
    out = out.merge(pk, on=["sample", "chrom", "site_position", "strand"], how="left")
    out = out.rename(columns={"site_position": "position"}).sort_values(
        ["sample", "replicate", "chrom", "position", "strand"], kind="mergesort").reset_index(drop=True)
    return out[REPLICATE_COLUMNS]
