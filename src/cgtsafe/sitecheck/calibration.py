"""Monte Carlo calibration of the sitecheck verdicts (:func:`cgtsafe.sitecheck.verdict.decide`).

One simulated comparison has ``n_sites`` sites; the *probe* site is truly edited at ``factor * threshold``
and the other ``n_sites - 1`` sites are clean (f = 0). Every site has a control background ``background``
(event frequency of the unedited sample); both samples are resampled in every run: control events
``~ Binomial(depth_c, background)``, edited events ``~ Binomial(depth_e, background + f * (1 - background))``
(the editing model of :mod:`cgtsafe.sitecheck.stats`), depths ``~ Poisson(depth)`` per site and sample.
Used by ``benchmarks/bench_sitecheck_calibration.py`` and tests/test_sitecheck_calibration.py.
"""

from __future__ import annotations

import numpy as np

from cgtsafe.sitecheck.verdict import VERDICTS, decide


def simulate(n_sites: int, depth: float, factor: float, threshold: float, *, runs: int, seed: int,
             background: float = 5e-4, alpha: float = 0.05, power: float = 0.8, min_depth: int = 10) -> dict:
    """Share of each verdict at the probe site over ``runs`` runs, and at the clean sites (all runs pooled).
    Returns ``{"probe": {verdict: share}, "clean": {verdict: share}}``."""
    rng = np.random.default_rng(seed)
    probe = dict.fromkeys(VERDICTS, 0)
    clean = dict.fromkeys(VERDICTS, 0)
    f = np.zeros(n_sites)
    f[0] = factor * threshold
    pe = background + f * (1 - background)
    for _ in range(runs):
        ne = rng.poisson(depth, n_sites)
        nc = rng.poisson(depth, n_sites)
        kc = rng.binomial(nc, background)
        ke = rng.binomial(ne, pe)
        v = decide(ke, ne, kc, nc, threshold=threshold, alpha=alpha, target_power=power, min_depth=min_depth)["verdict"]
        probe[str(v[0])] += 1
        for x, n in zip(*np.unique(v[1:], return_counts=True)):
            clean[str(x)] += int(n)
    n_clean = max(1, runs * (n_sites - 1))
    return {"probe": {k: c / runs for k, c in probe.items()},
            "clean": {k: c / n_clean for k, c in clean.items()} if n_sites > 1 else {}}
