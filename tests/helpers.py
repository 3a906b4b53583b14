"""Helpers shared by several test modules: the off-target demo data (genome, guides, planted truth)
and the demo search/annotation, cached per process."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pysam
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


def write_toy_ref(path: Path, seq: str) -> None:
    """One-contig (``c1``) FASTA + .fai."""
    path.write_text(">c1\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
    pysam.faidx(str(path))


def write_toy_bam(path: Path, ref: str, reads: list[tuple[int, str, str]], sample: str) -> None:
    """Single-contig (``c1``) toy alignments: reads ``(start, cigar, sequence)`` -> sorted, indexed BAM (MAPQ 60,
    qualities 37)."""
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "c1", "LN": len(ref)}],
              "RG": [{"ID": sample, "SM": sample}]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i, (start, cigar, seq) in enumerate(sorted(reads, key=lambda x: x[0])):
            a = pysam.AlignedSegment(out.header)
            a.query_name = f"{sample}_{i}"
            a.flag = 0
            a.reference_id = 0
            a.reference_start = start
            a.mapping_quality = 60
            a.cigarstring = cigar
            a.query_sequence = seq
            a.query_qualities = pysam.qualitystring_to_array("F" * len(seq))
            a.set_tag("RG", sample)
            out.write(a)
    pysam.index(str(path))
