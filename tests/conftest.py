"""Shared fixtures: repository paths, the bundled test data, and the optional real reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "test-data"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a clean skip when it is absent (e.g. outside the project workspace)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real reference data absent: {SHARED_DATA} not found")
    return SHARED_DATA


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data, or skip with a message naming it."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real reference data absent: {p} not found")
    return p


def guide_site_genome(guides, *, seed: int, contigs: int = 3, sites: int = 40, filler=(30, 200), indels: bool = False,
                      pams=("AGG", "TGG", "CAG", "GGA")) -> dict[str, str]:
    """Random contigs (``c1``..) with guide-like sites: random filler, then a spacer of ``guides`` with 0-4
    substitutions (and, with ``indels``, a 30 % chance of one inserted and 30 % of one deleted base), a PAM
    from ``pams``, on either strand. Deterministic for a seed."""
    import random

    comp = str.maketrans("ACGTN", "TGCAN")
    rnd = random.Random(seed)
    out = {}
    for i in range(contigs):
        parts = []
        for _ in range(sites):
            parts.append("".join(rnd.choice("ACGT") for _ in range(rnd.randint(*filler))))
            g = list(rnd.choice(list(guides)))
            for _ in range(rnd.randint(0, 4)):
                g[rnd.randrange(len(g))] = rnd.choice("ACGT")
            if indels:
                kind = rnd.random()
                if kind < 0.3:
                    g.insert(rnd.randrange(3, len(g) - 2), rnd.choice("ACGT"))
                elif kind < 0.6:
                    del g[rnd.randrange(3, len(g) - 2)]
            site = "".join(g) + rnd.choice(list(pams))
            parts.append(site if rnd.random() < 0.5 else site.translate(comp)[::-1])
        out[f"c{i + 1}"] = "".join(parts)
    return out
