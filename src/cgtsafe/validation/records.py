"""Method-performance records: ``{"analysis", "metric", "value", "reference", "n", "source", "passed"}``.

Written by ``cgtsafe validate-demo`` to ``method_performance.json`` and shown in the evidence report's Method
performance section (guidance 000 asks that bioinformatic methods be shown to be robust).
"""

from __future__ import annotations

import json
from pathlib import Path


def record(analysis: str, metric: str, value, reference: str, n: int, source: str, passed: bool) -> dict:
    """One record; ``passed`` and ``n`` coerced to bool / int (numpy scalars from the checks)."""
    return {"analysis": analysis, "metric": metric, "value": value, "reference": reference, "n": int(n),
            "source": source, "passed": bool(passed)}


def load(path: str | Path) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
