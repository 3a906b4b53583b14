"""Exactness of the off-target search against an independent brute force written here in plain Python.

The brute force knows nothing of the engine's encodings, windows or DP: for every strand it builds the
hit-strand sequence (the reverse complement for '-'), finds every PAM occurrence by pattern matching,
enumerates *every* alignment of the guide with the genomic bases next to the PAM (base pairs, DNA
bulges = extra genomic base, RNA bulges = extra guide base, no bulge in the first or last column),
keeps those within the limits and picks one per locus with the documented rule:
(1) fewest edits, (2) fewest bulges, (3) fewest DNA bulges, (4) columns read from the PAM-distal end:
DNA bulge < RNA bulge < base pair at the first difference.
"""

from __future__ import annotations

import random

import pytest

from cgtsafe.offtarget.nuclease import IUPAC, get_nuclease
from cgtsafe.offtarget.search import Guide, search_genome

_PAIRS = {"A": "T", "C": "G", "G": "C", "T": "A", "R": "Y", "Y": "R", "K": "M", "M": "K", "S": "S", "W": "W",
          "B": "V", "V": "B", "D": "H", "H": "D", "N": "N"}
COMP = {**_PAIRS, **{k.lower(): v.lower() for k, v in _PAIRS.items()}}


def rc(s: str) -> str:
    return "".join(COMP[c] for c in reversed(s))


def pam_ok(pat: str, seq: str) -> bool:
    return all(b in IUPAC[p] for p, b in zip(pat, seq.upper()))


def all_alignments(guide_prox: str, genome_prox: str, max_mm: int, max_d: int, max_r: int, max_mmb: int,
                   max_b: int | None = None, ends: bool = False):
    """Every alignment (ops from the PAM outwards, mismatches) of the full guide with a genome prefix
    within the limits (alignments with a bulge: at most max_mmb mismatches; at most max_b bulges in all).

    Default: the first and last columns are base pairs. ``ends`` (Cas-OFFinder 3's rule): DNA bulges may
    also come before the first base pair and the last column(s) may be RNA bulges; an RNA bulge still
    needs a base pair before it."""
    max_b = max_d + max_r if max_b is None else max_b
    L = len(guide_prox)
    res = []

    def rec(i, j, ops, mm, d, r):
        if mm > max_mm:
            return
        if i == L:
            if ops and (ops[-1] == "M" or (ends and ops[-1] == "R")) and (mm <= max_mmb or d + r == 0):
                res.append((tuple(ops), mm, d, r, j))
            return
        # base pair
        if j < len(genome_prox):
            t = genome_prox[j].upper()
            rec(i + 1, j + 1, ops + ["M"], mm + (0 if t == guide_prox[i] else 1), d, r)
        if d + r < max_b:
            if d < max_d and j < len(genome_prox) and (ops or ends):  # no bulge in the first column
                rec(i, j + 1, ops + ["D"], mm, d + 1, r)
            if r < max_r and "M" in ops:
                rec(i + 1, j, ops + ["R"], mm, d, r + 1)

    rec(0, 0, [], 0, 0, 0)
    return res


def brute_force(genome: dict[str, str], guides, nuc, patterns, max_mm, max_d, max_r, max_mmb, max_b=None, ends=False):
    rank = {"D": 0, "R": 1, "M": 2}
    out = set()
    for gi, g in enumerate(guides):
        for chrom, seq in genome.items():
            n = len(seq)
            for strand in "+-":
                hit = seq if strand == "+" else rc(seq)
                P = len(patterns[0])
                for p in range(0, n - P + 1):
                    klass = None
                    for k, pat in enumerate(patterns):
                        if pam_ok(pat, hit[p : p + P]):
                            klass = "canonical" if k == 0 else "alternative"
                            patname = pat
                            break
                    if klass is None:
                        continue
                    if nuc.pam_side == "3prime":
                        gprox = g.spacer[::-1]
                        tprox = hit[:p][::-1][: len(g.spacer) + max_d]
                    else:
                        gprox = g.spacer
                        tprox = hit[p + P :][: len(g.spacer) + max_d]
                    alns = all_alignments(gprox, tprox, max_mm, max_d, max_r, max_mmb, max_b, ends)
                    if not alns:
                        continue
                    best = min(alns, key=lambda a: (a[1] + a[2] + a[3], a[2] + a[3], a[2],
                                                    [rank[o] for o in reversed(a[0])]))
                    ops, mm, d, r, glen = best
                    # alignment strings, hit strand 5'->3'
                    ga, sa, i, j = [], [], 0, 0
                    for o in ops:
                        if o == "M":
                            t = tprox[j].upper()
                            ga.append(gprox[i])
                            sa.append(t if t == gprox[i] else t.lower())
                            i += 1
                            j += 1
                        elif o == "D":
                            ga.append("-")
                            sa.append(tprox[j].upper())
                            j += 1
                        else:
                            ga.append(gprox[i])
                            sa.append("-")
                            i += 1
                    if nuc.pam_side == "3prime":
                        h_lo, h_hi = p - glen, p + P
                        galn = "".join(ga[::-1]) + patname
                        saln = "".join(sa[::-1]) + hit[p : p + P].upper()
                    else:
                        h_lo, h_hi = p, p + P + glen
                        galn = patname + "".join(ga)
                        saln = hit[p : p + P].upper() + "".join(sa)
                    site = hit[h_lo:h_hi]
                    start = h_lo if strand == "+" else n - h_hi
                    out.add((g.name, chrom, start, start + len(site), strand, site, mm, d, r, klass, galn, saln))
    return out


def make_genome(seed: int, guides, nuc) -> dict[str, str]:
    rnd = random.Random(seed)

    def rand(k):
        return "".join(rnd.choice("ACGT") for _ in range(k))

    def mutate(s, kind):
        s = list(s)
        for _ in range(rnd.randint(0, 3)):
            i = rnd.randrange(len(s))
            s[i] = rnd.choice("ACGT")
        if kind == "dna":
            s.insert(rnd.randrange(2, len(s) - 2), rnd.choice("ACGT"))
        elif kind == "rna":
            del s[rnd.randrange(2, len(s) - 2)]
        elif kind == "both":
            s.insert(rnd.randrange(2, len(s) - 2), rnd.choice("ACGT"))
            del s[rnd.randrange(2, len(s) - 2)]
        return "".join(s)

    def site(g):
        proto = mutate(g.spacer, rnd.choice(["none", "dna", "rna", "both"]))
        pam = "".join(rnd.choice(IUPAC[c]) for c in nuc.pam)
        s = proto + pam if nuc.pam_side == "3prime" else pam + proto
        return s if rnd.random() < 0.5 else rc(s)

    genome = {}
    for c, length in (("c1", 2500), ("c2", 1800), ("c3", 60)):
        parts = []
        while sum(map(len, parts)) < length:
            parts.append(rand(rnd.randint(20, 120)))
            parts.append(site(rnd.choice(guides)))
            if rnd.random() < 0.15:
                parts.append("N" * rnd.randint(1, 5) + rnd.choice(["", "R", "y"]))
        s = "".join(parts)
        # soft-mask a few stretches
        s = list(s)
        for _ in range(4):
            a = rnd.randrange(len(s))
            for i in range(a, min(len(s), a + 40)):
                s[i] = s[i].lower()
        genome[c] = "".join(s)
    # a site flush with both contig ends
    g0 = guides[0]
    end_site = g0.spacer + "TGG" if nuc.pam_side == "3prime" else "TTTA" + g0.spacer
    genome["c3"] = end_site[: len(end_site)] + genome["c3"] + rc(end_site)
    return genome


CASES = [
    # nuclease, pam override, alternative PAMs, max_mm, max_dna_bulge, max_rna_bulge
    ("SpCas9", "NGG", True, 3, 0, 0),
    ("SpCas9", None, True, 2, 0, 0),
    ("SpCas9", "NGG", True, 3, 1, 1),
    ("SpCas9", "NRG", True, 2, 2, 0),
    ("SpCas9", "NGG", True, 2, 0, 2),
    ("SpCas9", "NGG", True, 1, 2, 2),
    ("SpCas9", None, True, 2, 1, 1),
    ("SaCas9", None, True, 3, 1, 0),
    ("AsCas12a", None, True, 3, 0, 0),
    ("AsCas12a", None, True, 2, 1, 1),
    ("SpCas9", "NGG", True, 4, 1, 1, 1),
    ("SpCas9", None, False, 3, 2, 1, 0),
    ("SpCas9", "NRG", True, 5, 2, 2, 2),
    ("AsCas12a", None, True, 4, 1, 2, 1),
]


@pytest.mark.parametrize("nuc_name,pam,alt,max_mm,max_d,max_r,max_mmb",
                         [c if len(c) == 7 else (*c, None) for c in CASES])
def test_search_equals_brute_force(nuc_name, pam, alt, max_mm, max_d, max_r, max_mmb):
    nuc = get_nuclease(nuc_name)
    rnd = random.Random(7)
    guides = [Guide(f"g{i}", "".join(rnd.choice("ACGT") for _ in range(nuc.spacer_length))) for i in range(2)]
    genome = make_genome(11 + max_mm + 3 * max_d + 5 * max_r, guides, nuc)
    patterns = [pam] if pam else [nuc.pam, *(nuc.alt_pams if alt else ())]
    expected = brute_force(genome, guides, nuc, patterns, max_mm, max_d, max_r,
                           max_mm if max_mmb is None else max_mmb)
    df = search_genome(genome, guides, nuc, max_mismatches=max_mm, max_dna_bulge=max_d, max_rna_bulge=max_r,
                       pam=pam, alternative_pams=alt, max_bulge_mismatches=max_mmb)
    got = set(zip(df.guide, df.chrom, df.start, df.end, df.strand, df.site, df.mismatches, df.dna_bulge,
                  df.rna_bulge, df.pam_class, df.guide_aln, df.site_aln))
    assert len(expected) >= 10, "test genome should produce hits"
    assert got == expected, (sorted(got - expected)[:3], sorted(expected - got)[:3])
    assert len(df) == len(got), "one row per locus"
    if max_d or max_r:
        assert (df.dna_bulge + df.rna_bulge > 0).any()


# Peers' rules: "at most N bulges of either kind" (Cas-OFFinder 3, CRISPRitz, CRISPRme: --max-bulges N with
# both per-kind limits N) and Cas-OFFinder 3's end bulges (DNA bulge next to the PAM, RNA bulge at the
# PAM-distal guide base)
PEER_CASES = [
    # nuclease, pam, max_mm, max_d, max_r, max_b, ends
    ("SpCas9", None, 3, 1, 1, 1, False),
    ("SpCas9", None, 3, 1, 1, 1, True),
    ("SpCas9", "NGG", 2, 2, 2, 2, False),
    ("SpCas9", "NRG", 2, 2, 2, 2, True),
    ("SpCas9", "NGG", 4, 1, 1, 2, True),
    ("SpCas9", "NGG", 3, 2, 2, 3, True),
    ("SpCas9", "NGG", 3, 1, 0, 1, True),
    ("SpCas9", "NGG", 3, 0, 1, 1, True),
    ("AsCas12a", None, 3, 1, 1, 1, True),
    ("SaCas9", None, 3, 1, 1, 1, True),
]


@pytest.mark.parametrize("nuc_name,pam,max_mm,max_d,max_r,max_b,ends", PEER_CASES)
def test_total_bulge_limit_and_end_bulges_equal_brute_force(nuc_name, pam, max_mm, max_d, max_r, max_b, ends):
    nuc = get_nuclease(nuc_name)
    rnd = random.Random(17)
    guides = [Guide(f"g{i}", "".join(rnd.choice("ACGT") for _ in range(nuc.spacer_length))) for i in range(2)]
    genome = make_genome(101 + max_mm + 3 * max_d + 5 * max_r + 7 * max_b, guides, nuc)
    patterns = [pam] if pam else [nuc.pam, *nuc.alt_pams]
    # a site with one extra base between PAM and protospacer, and one with the PAM-distal guide base missing
    pam_seq = "".join(IUPAC[c][0] for c in patterns[0])
    for k, g in enumerate(guides):
        extra = g.spacer + "A" + pam_seq if nuc.pam_side == "3prime" else pam_seq + "A" + g.spacer
        short = g.spacer[1:] + pam_seq if nuc.pam_side == "3prime" else pam_seq + g.spacer[:-1]
        genome[f"e{k}"] = "TTTTTTTTTT" + extra + "CCCCCCCCCC" + short + "TTTTTTTTTT"
    expected = brute_force(genome, guides, nuc, patterns, max_mm, max_d, max_r, max_mm, max_b, ends)
    df = search_genome(genome, guides, nuc, max_mismatches=max_mm, max_dna_bulge=max_d, max_rna_bulge=max_r,
                       pam=pam, max_bulges=max_b, end_bulges=ends)
    got = set(zip(df.guide, df.chrom, df.start, df.end, df.strand, df.site, df.mismatches, df.dna_bulge,
                  df.rna_bulge, df.pam_class, df.guide_aln, df.site_aln))
    assert len(expected) >= 10
    assert got == expected, (sorted(got - expected)[:3], sorted(expected - got)[:3])
    assert len(df) == len(got)
    assert ((df.dna_bulge + df.rna_bulge) <= max_b).all()
    if ends and max_d:  # the rule is exercised (an RNA-bulged distal base alone never has fewer edits than
        # the base pair there, so it cannot change the one-hit-per-locus choice without a DNA bulge)
        default = brute_force(genome, guides, nuc, patterns, max_mm, max_d, max_r, max_mm, max_b, False)
        assert expected != default
