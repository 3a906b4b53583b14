"""Helpers shared by several test modules: the off-target demo data (genome, guides, planted truth)
and the demo search/annotation, cached per process."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from cgtsafe.offtarget.annotate import annotate_sites
from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.search import read_guides, search_genome

TD = Path(__file__).resolve().parents[1] / "test-data"
GENOME = TD / "genome" / "ref.fa"
GTF = TD / "genome" / "genes.gtf"
GUIDES = TD / "offtarget" / "guides.tsv"
TRUTH = TD / "offtarget" / "planted_sites.tsv"
BULGE_MM = 2  # planted bulged sites have <= 1 mismatch


def need_test_data():
    if not TRUTH.exists():
        pytest.skip(f"test data absent: {TRUTH} (run scripts/make_test_data.py)")


@functools.lru_cache(maxsize=4)
def demo_hits(max_dna_bulge: int = 2, max_rna_bulge: int = 2) -> pd.DataFrame:
    nuc = get_nuclease("SpCas9")
    return search_genome(str(GENOME), read_guides(GUIDES, nuc), nuc, max_mismatches=6, max_dna_bulge=max_dna_bulge,
                         max_rna_bulge=max_rna_bulge, threads=2)


@functools.lru_cache(maxsize=4)
def demo_sites(max_dna_bulge: int = 2, max_rna_bulge: int = 2) -> pd.DataFrame:
    return annotate_sites(demo_hits(max_dna_bulge, max_rna_bulge), genes=GTF, windows=(50000, 100000),
                          max_bulge_mismatches=BULGE_MM)


def truth() -> pd.DataFrame:
    t = pd.read_csv(TRUTH, sep="\t", dtype=str, keep_default_na=False)
    for c in ("start", "end", "mismatches", "dna_bulge", "rna_bulge", "cut_start", "cut_end"):
        t[c] = t[c].astype(int)
    return t
