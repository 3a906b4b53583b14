"""Monte Carlo calibration of the sitecheck verdicts (cgtsafe.sitecheck.calibration).

For 1, 100 and 1,000 sites, at depths 30x (threshold 25 %) and 1,000x (threshold 1 %), with the probe site
edited at 0, 0.5x, 1x and 2x the threshold (other sites clean, control background 0.05 %), and a base-editor
case (1,000x, threshold 10 %, background 3 %: substitution noise), prints the share
of each verdict at the probe site and at the clean sites, and flags a case where a site edited at the
threshold is called ``not_detected`` in more than 1 - power of runs. Ends with whole-process wall and peak RSS.

    .venv/bin/python benchmarks/bench_sitecheck_calibration.py [--runs 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import resource
import time

from cgtsafe.sitecheck.calibration import simulate
from cgtsafe.sitecheck.verdict import VERDICTS

SHORT = {"edited": "edited", "edited_below_threshold": "below", "not_detected": "not_det",
         "inconclusive_lod_above_threshold": "inconcl", "no_coverage": "no_cov"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--power", type=float, default=0.8)
    ap.add_argument("--background", type=float, default=5e-4)
    args = ap.parse_args()
    t0 = time.perf_counter()
    bad = 0
    head = "  ".join(f"{SHORT[v]:>8}" for v in VERDICTS)
    print(f"{'depth':>6} {'thr':>6} {'sites':>6} {'edit':>5} | probe: {head} | clean not_det  inconcl")
    for depth, threshold, background in ((30, 0.25, args.background), (1000, 0.01, args.background),
                                         (1000, 0.10, 0.03)):
        for n in (1, 100, 1000):
            for factor in (0.0, 0.5, 1.0, 2.0):
                r = simulate(n, depth, factor, threshold, runs=args.runs, seed=args.seed, power=args.power,
                             background=background)
                row = "  ".join(f"{r['probe'][v]:8.3f}" for v in VERDICTS)
                c = r["clean"]
                tail = f"{c.get('not_detected', 0):8.3f} {c.get('inconclusive_lod_above_threshold', 0):8.3f}" if c \
                    else f"{'-':>8} {'-':>8}"
                flag = ""
                if factor == 1.0 and r["probe"]["not_detected"] > 1 - args.power:
                    flag, bad = "  <-- not_detected above 1 - power", bad + 1
                print(f"{depth:>5}x {threshold:6.2%} {n:>6} {factor:>4}x | probe: {row} | clean {tail}{flag}"
                      + (f"  (background {background:.0%})" if background >= 0.01 else ""))
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"runs per case {args.runs}; cases over 1 - power: {bad}; wall {wall:.1f} s; peak RSS {peak:.0f} MB")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
