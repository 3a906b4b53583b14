"""Off-target site scores (CFD, MIT) and guide-level specificity.

CFD — Doench et al. 2016 (Nat Biotechnol 34:184, doi:10.1038/nbt.3437), tables
``cgtsafe/data/cfd_mismatch_scores.tsv`` and ``cfd_pam_scores.tsv`` (as distributed with CRISPOR).
For a 20-nt spacer ``g`` and a 23-nt off-target ``o`` (protospacer + 3-nt PAM, 5'->3', upper-cased)::

    CFD = prod_{i: g[i] != o[i]} mm[(i+1, g[i] with T->U, complement(o[i]))] * pam[o[21:23]]

MIT — Hsu et al. 2013 (Nat Biotechnol 31:827, doi:10.1038/nbt.2647), weights M[1..20]
(``mit_hsu2013_position_weights.tsv``), as computed by crispr.mit.edu / CRISPOR::

    hit = 100 * prod_{mismatch positions p}(1 - M[p]) * 1/(((19 - d_mean)/19) * 4 + 1) * 1/n_mm^2

with ``d_mean`` the mean distance between consecutive mismatch positions (the middle factor is 1 with
fewer than two mismatches, the last 1 with no mismatch). In the search table the ``mit`` column
follows CRISPOR: the hit score is multiplied by 0.2 when the site's PAM is not NGG (NAG, NGA, ...).

Where the scores are undefined they are NaN (documented, never guessed):
  * alignments with a DNA or RNA bulge (both models were fitted on mismatches only; we do not
    extrapolate). The search (:mod:`cgtsafe.offtarget.hits`) gives a bulged row the scores of the
    bulge-free alignment at the same PAM when that is within the mismatch limit (``score_basis``
    ``bulge_free_alignment``), else leaves it unscored;
  * nucleases other than 20-nt spacer + 3-nt 3' PAM (SaCas9, Cas12a, custom PAMs of another length):
    the models are SpCas9 models;
  * a site with a non-ACGT base in the protospacer or PAM.

Guide specificity (CRISPOR definitions, Haeussler et al. 2016 Genome Biol 17:148), per guide over its
off-targets (all rows except one perfect on-target: the first 0-mismatch, bulge-free row with a
canonical PAM; further perfect matches count as off-targets)::

    mit_specificity = round(100 * 100 / (100 + sum(mit hit scores)))
    cfd_specificity = round(100 * 100 / (100 + sum(CFD)))    (CRISPOR default, CFD in 0..1)

NaN scores (unscored sites) are left out of the sums; ``n_scored``/``n_unscored`` say how many.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np

_COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


@lru_cache(maxsize=1)
def _tables():
    base = resources.files("cgtsafe") / "data"
    mm = {}
    with (base / "cfd_mismatch_scores.tsv").open() as fh:
        next(fh)
        for line in fh:
            pos, rna, dna, score, _key = line.rstrip("\n").split("\t")
            mm[(int(pos), rna, dna)] = float(score)
    pam = {}
    with (base / "cfd_pam_scores.tsv").open() as fh:
        next(fh)
        for line in fh:
            di, score = line.split()
            pam[di] = float(score)
    w = [0.0] * 21
    with (base / "mit_hsu2013_position_weights.tsv").open() as fh:
        next(fh)
        for line in fh:
            pos, weight = line.split()
            w[int(pos)] = float(weight)
    return mm, pam, tuple(w)


def cfd_score(guide: str, offtarget: str) -> float:
    """CFD of a 23-nt off-target (20 nt + PAM) for a 20-nt spacer (a 23-nt guide+PAM is accepted too).

    Returns NaN when the off-target has a non-ACGT base.
    """
    mm, pam, _ = _tables()
    g = guide.upper()[:20]
    o = offtarget.upper()
    if len(g) != 20 or len(o) != 23:
        raise ValueError(f"cfd_score needs a 20-nt spacer and a 23-nt off-target, got {len(g)} and {len(o)}")
    if any(c not in _COMP for c in o):
        return float("nan")
    score = 1.0
    for i in range(20):
        if g[i] != o[i]:
            score *= mm[(i + 1, "U" if g[i] == "T" else g[i], _COMP[o[i]])]
    return score * pam[o[21:23]]


def mit_score(guide: str, offtarget: str) -> float:
    """MIT (Hsu 2013) hit score, 0..100, of a 20-nt off-target protospacer (extra PAM bases ignored)."""
    _, _, w = _tables()
    g = guide.upper()[:20]
    o = offtarget.upper()[:20]
    if len(g) != 20 or len(o) != 20:
        raise ValueError("mit_score needs a 20-nt spacer and an off-target of >= 20 nt")
    pos = [i + 1 for i in range(20) if g[i] != o[i]]
    s1 = 1.0
    for p in pos:
        s1 *= 1.0 - w[p]
    n = len(pos)
    if n >= 2:
        mean_dist = (pos[-1] - pos[0]) / (n - 1)
        s2 = 1.0 / (((19.0 - mean_dist) / 19.0) * 4.0 + 1.0)
    else:
        s2 = 1.0
    s3 = 1.0 / (n * n) if n else 1.0
    return 100.0 * s1 * s2 * s3


def scoreable(nuclease, pam_override: bool = False) -> bool:
    """CFD/MIT apply to 20-nt spacers with a 3-nt 3' PAM (SpCas9 and its PAM variants)."""
    return nuclease.spacer_length == 20 and nuclease.pam_side == "3prime" and len(nuclease.pam) == 3


def score_table(df: pd.DataFrame, nuclease, *, pam_override: bool = False) -> pd.DataFrame:
    """Add ``cfd`` and ``mit`` columns to a search table (NaN where undefined, see module docstring)."""
    df = df.copy()
    n = len(df)
    if n:
        cfd, mit = score_values(df["pam"].tolist(), df["site"].tolist(), df["guide_aln"].tolist(),
                                df["dna_bulge"].tolist(), df["rna_bulge"].tolist(), nuclease)
    else:
        cfd, mit = [], []
    df["cfd"] = np.array(cfd, dtype=float)
    df["mit"] = np.array(mit, dtype=float)
    return df


def score_values(pams, sites, guide_alns, dna_bulges, rna_bulges, nuclease) -> tuple[list[float], list[float]]:
    """CFD and MIT of each search row (columns as lists; NaN where undefined, see module docstring)."""
    n = len(sites)
    nan = float("nan")
    cfd = [nan] * n
    mit = [nan] * n
    if n and scoreable(nuclease) and all(len(p) == 3 for p in pams):
        spacers = {}
        for idx, (galn, site, d, r) in enumerate(zip(guide_alns, sites, dna_bulges, rna_bulges)):
            if d or r:
                continue
            site_u = site.upper()
            if any(c not in _COMP for c in site_u):
                continue
            spacer = spacers.setdefault(galn, galn[:20].upper())
            cfd[idx] = cfd_score(spacer, site_u)
            h = mit_score(spacer, site_u)
            if site_u[21:23] != "GG":
                h *= 0.2
            mit[idx] = h
    return cfd, mit


def guide_specificity(df: pd.DataFrame) -> pd.DataFrame:
    """Per-guide summary: site counts by edits and the CRISPOR MIT/CFD specificity scores.

    Columns: guide, n_sites, n_offtargets, n_0mm .. n_6mm (bulge-free off-targets by mismatches),
    n_bulged, n_scored, n_unscored, mit_sum, cfd_sum, mit_specificity, cfd_specificity.
    """
    import pandas as pd

    rows = []
    for guide, sub in df.groupby("guide", sort=False):
        sub = sub.reset_index(drop=True)
        bulged = (sub["dna_bulge"] > 0) | (sub["rna_bulge"] > 0)
        perfect = (sub["mismatches"] == 0) & ~bulged & (sub["pam_class"] == "canonical")
        off = sub
        if perfect.any():
            off = sub.drop(index=int(np.flatnonzero(perfect.to_numpy())[0]))
        off_bulged = (off["dna_bulge"] > 0) | (off["rna_bulge"] > 0)
        row = {"guide": guide, "n_sites": len(sub), "n_offtargets": len(off)}
        for k in range(7):
            row[f"n_{k}mm"] = int(((off["mismatches"] == k) & ~off_bulged).sum())
        row["n_bulged"] = int(off_bulged.sum())
        scored = off["cfd"].notna()
        row["n_scored"] = int(scored.sum())
        row["n_unscored"] = int((~scored).sum())
        mit_sum = float(off["mit"].fillna(0).sum())
        cfd_sum = float(off["cfd"].fillna(0).sum())
        row["mit_sum"] = mit_sum
        row["cfd_sum"] = cfd_sum
        row["mit_specificity"] = int(_round_half_even_free(100 * 100 / (100 + mit_sum)))
        row["cfd_specificity"] = int(_round_half_even_free(100 * 100 / (100 + cfd_sum)))
        rows.append(row)
    return pd.DataFrame(rows)


def _round_half_even_free(x: float) -> int:
    """Round half away from zero (Python 2 ``round`` as used by CRISPOR)."""
    return int(math.floor(x + 0.5))
