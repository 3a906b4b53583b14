"""Whole-process figures of one child command, for the benchmark scripts: wall time and peak RSS.

``measure(cmd)`` runs ``cmd`` and returns ``(wall_s, peak_rss_mb)``; peak RSS is ``ru_maxrss`` of the
children (Linux: KiB), so call it once per benchmark process or for the largest run last. A failing
command prints its stderr and exits 1.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time


def measure(cmd: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(1)
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
