"""Method performance on REAL reference data: ``cgtsafe validate-demo --reference-data DIR``.

Where ``demo.py`` compares a finished demo run with the synthetic truth, this module runs the
package's own public functions on the real reference data of ``../shared/data`` (a ``README.md`` in
each folder names its origin) and compares them, at run time, with peer tools and publications. The
records have the format of :func:`cgtsafe.validation.records.record` (``analysis, metric, value, reference, n,
source, passed``; ``source`` = the data path relative to ``DIR`` and the peer tool / publication) and
are shown in the report's Method performance section next to the synthetic-truth ones.

Checks (the same comparisons as the tests named in brackets; each is skipped, i.e. gives no record,
when its files are absent):

offtarget [tests/test_offtarget_search_reference.py, tests/test_offtarget_scoring.py]
  * ``search_genome`` on GRCh37 chrX 1..69,999,930 (``genome/hs37chrXtrunc.fa.gz``, contig renamed
    ``chrX``) vs Cas-OFFinder 2.4.1 (``offtarget/casoffinder``), NRG <= 4 mm and NGG <= 5 mm: fraction of
    the peer's (guide, chrom, start, strand, mismatches) set found, and sites reported beyond it;
  * recall of the published GUIDE-seq / CIRCLE-seq sites on that stretch (``offtarget/validated``) within
    <= 6 mismatches and <= 2 bulges, at their published position, strand and sequence, with the
    fewest-edit count of their own alignment;
  * ``cfd_score`` on the CRISPOR test vectors listed in ``offtarget/scores/README.md``; ``mit_score``
    against the README formula evaluated here with the published weights of that folder.
sitecheck [tests/test_sitecheck_crispresso.py]
  * ``quantify_amplicon`` on CRISPResso2's FANC.Cas9 reads and on the CRISPRessoWGS FANCF region
    (``reads/crispresso2``): modified % vs CRISPResso2's expected result files.
integration [tests/test_integration_inspiired.py, tests/test_integration_enrichment.py]
  * ``call_sites`` (read stages, no genome) on the INSPIIRED/intSiteCaller validation run
    (``integration/intsitecaller_validation``): max relative deviation per read stage from
    ``intSiteValidation.attr`` over all samples (clone7/UNIF, failed by design, skipped);
  * ``enrichment_table`` on Wu et al. 2003 HIV/MLV sites vs hiAnnotator's matched random controls
    (``integration/hiannotator_hiv_mlv_hg18``): HIV in-gene ROC area, MLV vs HIV near-TSS odds ratio.
tcr [tests/test_tcr_realdata.py, tests/test_tcr_units.py]
  * ``read_expression`` on the HPA consensus table (``tcr/hpa_consensus_tissue_ntpm.tsv``): TTN's two top
    tissues, MAGEA3 testis restriction; ``blosum62`` spot values (Henikoff & Henikoff 1992).

A check that raises gives one failed record naming the error (the report shows it) instead of
stopping the workflow. Whole run: about 15-20 s on 2 cores (the validated-site search is most of it).
"""

from __future__ import annotations

import csv
import math
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.validation.records import record

ReferenceCheck = Callable[[Path], list[dict]]

CHRX = "genome/hs37chrXtrunc.fa.gz"
CHRX_END = 69_999_930
CHRX_NOTE = "GRCh37 chrX 1..69,999,930"
CASOFF = "offtarget/casoffinder"
CASOFF_RUNS = (("v2_NRG_4mm.casoffinder2.4.1.txt", "NRG", 4), ("v2_NGG_5mm.casoffinder2.4.1.txt", "NGG", 5))
VALIDATED = "offtarget/validated"
VALIDATED_STUDIES = {"guideseq_tsai2015_hg19.tsv": "GUIDE-seq Tsai 2015", "circleseq_tsai2017_10gRNA.tsv":
                     "CIRCLE-seq Tsai 2017", "guideseq_listgarten2018_6gRNA.tsv": "GUIDE-seq Listgarten 2018",
                     "guideseq_kleinstiver2016_5gRNA.tsv": "GUIDE-seq Kleinstiver 2016"}
SCORES = "offtarget/scores"
CRISPRESSO = "reads/crispresso2"
FANC_EXPECTED = "expectedResults_CRISPResso_on_FANC.Cas9_CRISPResso_quantification_of_editing_frequency.txt"
WGS_EXPECTED = "expectedResults_CRISPRessoWGS_on_Both.Cas9.fastq.smallGenome_SAMPLES_QUANTIFICATION_SUMMARY.txt"
INSPIIRED = "integration/intsitecaller_validation"
INSPIIRED_FILES = ("Undetermined_S0_L001_I1_001.fastq.gz", "Undetermined_S0_L001_R1_001.fastq.gz",
                   "Undetermined_S0_L001_R2_001.fastq.gz", "sampleInfo.tsv", "intSiteValidation.attr",
                   "p746vector.fasta")
#: intSiteCaller attrition column -> cgtsafe read_stages column (see tests/test_integration_inspiired.py)
INSPIIRED_STAGES = (("Reads.p.beforeTrim", "barcode"), ("Reads.p.afterTrim", "r2_qtrimmed"),
                    ("Reads.l.afterTrim", "r1_qtrimmed"), ("primed", "r2_primed"), ("LTRed", "r2_ltr"),
                    ("linkered", "r1_linker"))
#: intSiteCaller's curated pairs (trimmed, > mingDNA, not vector) -> cgtsafe attrition ``quality_filtered``
INSPIIRED_CURATED = (("curated", "quality_filtered"),)
HIA = "integration/hiannotator_hiv_mlv_hg18"
HPA = "tcr/hpa_consensus_tissue_ntpm.tsv"

#: BLOSUM62 as printed in Henikoff & Henikoff 1992 (PNAS 89:10915), Fig. 2 lower triangle
BLOSUM62_PUBLISHED = (
    ("A", "A", 4), ("R", "R", 5), ("N", "N", 6), ("D", "D", 6), ("C", "C", 9), ("Q", "Q", 5), ("E", "E", 5),
    ("G", "G", 6), ("H", "H", 8), ("I", "I", 4), ("L", "L", 4), ("K", "K", 5), ("M", "M", 5), ("F", "F", 6),
    ("P", "P", 7), ("S", "S", 4), ("T", "T", 5), ("W", "W", 11), ("Y", "Y", 7), ("V", "V", 4),
    ("I", "V", 3), ("F", "Y", 3), ("D", "E", 2), ("K", "R", 2), ("E", "Q", 2), ("W", "Y", 2), ("A", "S", 1),
    ("P", "W", -4), ("D", "W", -4), ("C", "E", -4), ("I", "L", 2), ("N", "D", 1), ("A", "R", -1),
)

#: MIT mismatch patterns (1-based positions, 1 = PAM-distal) evaluated with the README formula
MIT_PATTERNS = ((), (20,), (1,), (1, 20), (14, 16, 18), (6, 12), (2, 9, 17), (3, 4, 5, 19))


def _have(shared: Path, *rel: str) -> bool:
    return all((shared / r).exists() for r in rel)


# ---------------------------------------------------------------------------------------------------
# comparison helpers (pure: the tests feed them tampered tables)
# ---------------------------------------------------------------------------------------------------
def site_set_records(peer: set, ours: set, label: str, source: str) -> list[dict]:
    """Two records for a site-set comparison: fraction of the peer's set found, sites beyond it."""
    found = len(peer & ours)
    extra = len(ours - peer)
    union = len(peer | ours)
    jac = found / union if union else 1.0
    return [
        record("offtarget", f"{label}: fraction of Cas-OFFinder 2.4.1 sites found (guide, chrom, start, strand, "
               f"mismatches; Jaccard {jac:.4g})", found / len(peer) if peer else 0.0,
               "1.0 (identical site set)", len(peer), source, bool(peer) and found == len(peer)),
        record("offtarget", f"{label}: sites reported by cgtsafe but not by Cas-OFFinder 2.4.1", extra, "0",
               len(ours), source, extra == 0),
    ]


def casoffinder_sets(peer: pd.DataFrame, ours: pd.DataFrame) -> tuple[set, set]:
    """(guide, chrom, start, strand, mismatches) sets of a Cas-OFFinder table (named columns) and a
    ``search_genome`` table."""
    p = set(zip(peer["guide"], peer["chrom"], peer["start"].astype(int), peer["strand"], peer["mm"].astype(int)))
    o = set(zip(ours["guide"], ours["chrom"], ours["start"].astype(int), ours["strand"],
                ours["mismatches"].astype(int)))
    return p, o


def deviation_record(analysis: str, metric: str, ours: float, expected: float, tol: float, source: str,
                     n: int, unit: str = "percentage points") -> dict:
    """|ours - expected| as the value, passed when <= tol."""
    d = round(abs(float(ours) - float(expected)), 6)
    return record(analysis, f"{metric} (|difference|, {unit}; ours {ours:.4g} vs {expected:.4g})", d,
                  f"<= {tol:g} {unit} (peer value {expected:.4g})", n, source, d <= tol)


def stage_deviation_records(attr_rows: list[dict], stages: pd.DataFrame, source: str,
                            tol: float = 0.05, pairs=INSPIIRED_STAGES) -> list[dict]:
    """Per read stage: max relative deviation (%) of cgtsafe's count from intSiteCaller's over samples.

    ``attr_rows``: rows of ``intSiteValidation.attr`` (dicts); ``stages``: ``read_stages`` indexed by sample.
    A sample missing from ``stages`` counts as 0 reads (100 % deviation)."""
    out = []
    for theirs, ours in pairs:
        worst, worst_sample = 0.0, ""
        for row in attr_rows:
            exp = int(row[theirs])
            got = int(stages.loc[row["sample"], ours]) if row["sample"] in stages.index else 0
            dev = abs(got - exp) / max(exp, 1)
            if dev > worst or not worst_sample:
                worst, worst_sample = dev, row["sample"]
        out.append(record("integration", f"read stage {ours} vs intSiteCaller {theirs}: max relative deviation over "
                          f"samples (%; worst {worst_sample})", 100 * worst, f"<= {100 * tol:g} % per sample",
                          len(attr_rows), source, worst <= tol + 1e-12))
    return out


def alignment_limits(guide: str, site: str) -> tuple[int, int, int, int]:
    """Fewest-edits alignment of a 20-nt guide with a published protospacer (no PAM, gaps removed):
    (edits, mismatches, dna_bulges, rna_bulges). Plain edit-distance DP keeping per cell the smallest
    (edits, bulges, mismatches, ...); bulges never in the first/last column (as the search)."""
    n, m = len(guide), len(site)
    D = [[None] * (m + 1) for _ in range(n + 1)]
    D[0][0] = (0, 0, 0, 0, 0)
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            cands = []
            if i and j and D[i - 1][j - 1] is not None:
                e, b, mm, d, r = D[i - 1][j - 1]
                x = int(guide[i - 1] != site[j - 1])
                cands.append((e + x, b, mm + x, d, r))
            if j and D[i][j - 1] is not None and 0 < i < n:
                e, b, mm, d, r = D[i][j - 1]
                cands.append((e + 1, b + 1, mm, d + 1, r))
            if i and D[i - 1][j] is not None and 1 < i < n and j > 0:
                e, b, mm, d, r = D[i - 1][j]
                cands.append((e + 1, b + 1, mm, d, r + 1))
            D[i][j] = min(cands) if cands else None
    e, _b, mm, d, r = D[n][m] or (99, 99, 99, 99, 99)
    return e, mm, d, r


def mit_expected(positions: tuple[int, ...], weights: dict[int, float]) -> float:
    """MIT single-hit score by the formula of offtarget/scores/README.md (crispr.mit.edu / CRISPOR)."""
    s1 = 1.0
    for p in positions:
        s1 *= 1 - weights[p]
    n = len(positions)
    if n < 2:
        s2 = 1.0
    else:
        ps = sorted(positions)
        mean_dist = (ps[-1] - ps[0]) / (n - 1)
        s2 = 1 / (((19 - mean_dist) / 19) * 4 + 1)
    s3 = 1 / n ** 2 if n else 1.0
    return 100 * s1 * s2 * s3


def _mutate(seq: str, positions) -> str:  # 1-based; A<->C, G<->T (always a mismatch)
    s = list(seq)
    for p in positions:
        s[p - 1] = {"A": "C", "C": "A", "G": "T", "T": "G"}[s[p - 1]]
    return "".join(s)


def readme_cfd_vectors(readme: Path) -> list[tuple[str, str, float]]:
    """The ``guide23 offtarget23 CFD`` test vectors listed in offtarget/scores/README.md."""
    pat = re.compile(r"^\s+([ACGTacgt]{23})\s+([ACGTacgt]{23})\s+([0-9]*\.?[0-9]+)\s*$")
    return [(m[1], m[2], float(m[3])) for m in map(pat.match, readme.read_text(encoding="utf-8").splitlines()) if m]


def score_records(cfd_vectors, mit_cases, cfd_source: str, mit_source: str) -> list[dict]:
    """Max |deviation| of cfd_score from the published vectors and of mit_score from the formula.

    ``mit_cases``: (spacer, offtarget23, expected score) tuples."""
    from cgtsafe.offtarget.scoring import cfd_score, mit_score

    out = []
    if cfd_vectors:
        dev = max(abs(cfd_score(g, o) - e) for g, o, e in cfd_vectors)
        out.append(record("offtarget", "CFD score vs the published CRISPOR calcCfdScore test vectors: max |deviation|",
                          dev, "<= 5e-9 (vectors printed to 9-16 digits)", len(cfd_vectors), cfd_source, dev <= 5e-9))
    if mit_cases:
        dev = max(abs(mit_score(g, o) - e) / max(abs(e), 1e-12) for g, o, e in mit_cases)
        out.append(record("offtarget", "MIT hit score vs the published formula and Hsu 2013 weights: max relative "
                          "deviation", dev, "<= 1e-9", len(mit_cases), mit_source, dev <= 1e-9))
    return out


# ---------------------------------------------------------------------------------------------------
# offtarget
# ---------------------------------------------------------------------------------------------------
class _ChrX:
    """GRCh37 chrX stretch, read once per validate_reference call (contig renamed chrX)."""

    def __init__(self, path: Path):
        self.path = path
        self._seq = None

    def get(self) -> dict[str, bytes]:
        if self._seq is None:
            from cgtsafe.io.fasta import read_fasta_whole

            (_name, seq), = read_fasta_whole(self.path)
            self._seq = {"chrX": seq}
        return self._seq


def check_casoffinder(shared: Path, chrx: _ChrX) -> list[dict]:
    if not _have(shared, CHRX, f"{CASOFF}/guides.tsv"):
        return []
    from cgtsafe.offtarget.nuclease import get_nuclease
    from cgtsafe.offtarget.search import Guide, search_genome

    g = pd.read_csv(shared / CASOFF / "guides.tsv", sep="\t", dtype=str)
    guides = [Guide(n, s) for n, s in zip(g["name"], g["spacer_20nt"])]
    out = []
    for fname, pam, max_mm in CASOFF_RUNS:
        if not (shared / CASOFF / fname).exists():
            continue
        peer = pd.read_csv(shared / CASOFF / fname, sep="\t", header=None,
                           names=["query", "chrom", "start", "site", "strand", "mm", "guide"])
        ours = search_genome(chrx.get(), guides, get_nuclease("SpCas9"), max_mismatches=max_mm, pam=pam)
        p, o = casoffinder_sets(peer, ours)
        out += site_set_records(p, o, f"off-target search, {pam} PAM, <= {max_mm} mismatches, {len(guides)} guides "
                                f"on {CHRX_NOTE}", f"{CASOFF}/{fname}; Cas-OFFinder 2.4.1 on {CHRX}")
    return out


def validated_rows(shared: Path) -> list[tuple]:
    rows = []
    for path in sorted((shared / VALIDATED).glob("*.tsv")):
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        for _, r in df.iterrows():
            if r["chrom"] not in ("X", "chrX") or not r["end"] or int(r["end"]) > CHRX_END:
                continue
            rows.append((path.name, r["guide_name"], r["guide_seq20"], r["offtarget_seq_with_pam"],
                         int(r["start"]), int(r["end"]), r["strand"]))
    return sorted(set(rows))


def validated_site_outcomes(shared: Path, chrx: _ChrX) -> list[dict]:
    """Search every published chrX site within <= 6 mm, <= 2 bulges; one outcome per site.

    Mismatch-only rows are searched with the PAM NNN (published sites include NAG, NGA, ...), bulged
    rows with their own PAM dinucleotide and the bulges of their fewest-edit alignment. Outcome keys:
    ``row`` (file, guide name, guide, site, start, end, strand), ``bulged``, ``edits`` (of the published
    site's own alignment), ``hits`` (search rows at its start, end and strand), ``site`` and ``hit_edits``
    of the single hit (None otherwise), ``found`` (one hit, same sequence, same edit count)."""
    rows = validated_rows(shared)
    if not rows:
        return []
    from cgtsafe.offtarget.nuclease import get_nuclease
    from cgtsafe.offtarget.search import Guide, search_genome

    nuc = get_nuclease("SpCas9")
    seqs = sorted({r[2] for r in rows})
    all_mm = search_genome(chrx.get(), [Guide(f"g{i}", s) for i, s in enumerate(seqs)], nuc, max_mismatches=6,
                           pam="NNN")
    bulged_cache: dict[tuple, pd.DataFrame] = {}
    out = []
    for row in rows:
        _fname, _gname, gseq, site, start, end, strand = row
        seq = site.replace("-", "").upper()
        pam, proto = seq[-3:], seq[:-3]
        e, mm, d, r = alignment_limits(gseq, proto)
        if mm > 6 or d + r > 2:
            continue
        if d or r:
            key = (gseq, "N" + pam[1:], mm, d, r)
            if key not in bulged_cache:
                bulged_cache[key] = search_genome(chrx.get(), [Guide("g", gseq)], nuc, max_mismatches=mm,
                                                  max_dna_bulge=d, max_rna_bulge=r, pam="N" + pam[1:])
            df = bulged_cache[key]
        else:
            df = all_mm[all_mm["guide"] == f"g{seqs.index(gseq)}"]
        hit = df[(df["start"] == start) & (df["end"] == end) & (df["strand"] == strand)]
        h = hit.iloc[0] if len(hit) == 1 else None
        hit_site = None if h is None else h["site"].upper()
        hit_edits = None if h is None else int(h["mismatches"] + h["dna_bulge"] + h["rna_bulge"])
        out.append({"row": row, "bulged": bool(d or r), "edits": e, "hits": len(hit), "site": hit_site,
                    "hit_edits": hit_edits, "found": hit_site == seq and hit_edits == e})
    return out


def check_validated_sites(shared: Path, chrx: _ChrX) -> list[dict]:
    """Recall of the published chrX sites (:func:`validated_site_outcomes`)."""
    if not _have(shared, CHRX, VALIDATED):
        return []
    outcomes = validated_site_outcomes(shared, chrx)
    if not outcomes:
        return []
    tested, found = len(outcomes), sum(o["found"] for o in outcomes)
    files = sorted({row[0] for row in validated_rows(shared)})
    return [record("offtarget", f"recall of published GUIDE-seq / CIRCLE-seq off-target sites on {CHRX_NOTE} within "
                   "<= 6 mismatches, <= 2 bulges (exact position, strand, sequence, edit count)", found / tested,
                   "1.0 (every published site within the limits)", tested,
                   f"{VALIDATED}/{{{','.join(files)}}}; " + ", ".join(VALIDATED_STUDIES.get(f, f) for f in files),
                   found == tested)]


def check_scores(shared: Path) -> list[dict]:
    readme = shared / SCORES / "README.md"
    weights_path = shared / SCORES / "mit_hsu2013_position_weights.tsv"
    cfd = readme_cfd_vectors(readme) if readme.exists() else []
    mit = []
    if weights_path.exists():
        w = pd.read_csv(weights_path, sep="\t")
        weights = {int(p): float(x) for p, x in zip(w.iloc[:, 0], w.iloc[:, 1])}
        spacer = "GAGTCCGAGCAGAAGAAGAA"
        mit = [(spacer, _mutate(spacer, pos) + "AGG", mit_expected(pos, weights)) for pos in MIT_PATTERNS]
    return score_records(cfd, mit, f"{SCORES}/README.md; test vectors of CRISPOR calcCfdScore (Doench 2016)",
                         f"{SCORES}/mit_hsu2013_position_weights.tsv + README.md; formula and weights of Hsu 2013 "
                         "(crispr.mit.edu)")


# ---------------------------------------------------------------------------------------------------
# sitecheck
# ---------------------------------------------------------------------------------------------------
def _expected_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def wgs_region_reads(bam: Path, chrom: str, start1: int, end1: int) -> list[tuple[bytes, bytes]]:
    """CRISPRessoWGS read extraction (documented behaviour): reads whose aligned positions include both
    1-based region ends, trimmed to the region."""
    import pysam

    items = []
    with pysam.AlignmentFile(str(bam)) as af:
        for r in af.fetch(chrom, start1 - 1, end1):
            pos = {rp: q for q, rp in r.get_aligned_pairs(matches_only=True)}
            if start1 - 1 in pos and end1 - 1 in pos:
                st, en = pos[start1 - 1], pos[end1 - 1]
                items.append((r.query_sequence[st:en].encode(), bytes(q + 33 for q in r.query_qualities[st:en])))
    return items


def check_crispresso(shared: Path) -> list[dict]:
    from cgtsafe.sitecheck.amplicon import quantify_amplicon, read_items

    d = shared / CRISPRESSO
    out = []
    if _have(d, "FANC.Cas9.fastq", "Cas9.amplicons.txt", FANC_EXPECTED):
        exp = _expected_rows(d / FANC_EXPECTED)[0]
        _name, amp, guide = (d / "Cas9.amplicons.txt").read_text().splitlines()[0].split("\t")[:3]
        cut = amp.find(guide) + 17  # SpCas9: base right of the cut = guide start + 17 (+ strand)
        r = quantify_amplicon(amp, cut, read_items(d / "FANC.Cas9.fastq"), flank=1, min_baseq=0)
        ours = 100 * (r["indel"] + r["substitution_only"]) / r["reads"]
        out.append(deviation_record("sitecheck", "amplicon FANCF (FANC.Cas9, 250 reads): modified % vs CRISPResso2",
                                    ours, float(exp["Modified%"]), 0.5, f"{CRISPRESSO}/{FANC_EXPECTED}; CRISPResso2",
                                    r["reads"]))
    bam, fa = "Both.Cas9.fastq.smallGenome.bam", "smallGenome_smallGenome.fa"
    if _have(d, bam, fa, WGS_EXPECTED):
        import pysam

        exp = {r["Name"]: r for r in _expected_rows(d / WGS_EXPECTED)}["FANCF"]
        with pysam.FastaFile(str(d / fa)) as f:
            region = f.fetch("chr11", 1023, 1273)
        items = wgs_region_reads(d / bam, "chr11", 1024, 1274)
        # no guide in the region file: CRISPResso2 quantifies the whole region minus 15 bp at each end
        r = quantify_amplicon(region, 15, items, flank=0, cut_end_offset=len(region) - 15, min_baseq=0)
        ours = 100 * (r["indel"] + r["substitution_only"]) / r["reads"] if r["reads"] else 0.0
        out.append(deviation_record("sitecheck", "WGS-region FANCF (smallGenome BAM, chr11:1024-1274): modified % vs "
                                    "CRISPRessoWGS", ours, float(exp["Modified%"]), 0.5,
                                    f"{CRISPRESSO}/{WGS_EXPECTED}; CRISPRessoWGS", r["reads"]))
    return out


# ---------------------------------------------------------------------------------------------------
# integration
# ---------------------------------------------------------------------------------------------------
def inspiired_attr_rows(d: Path) -> list[dict]:
    """intSiteCaller's attrition rows of the validation run (clone7, UNIF: ``NA``, failed by design, dropped)."""
    with open(d / "intSiteValidation.attr", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["primed"] != "NA"]


def run_inspiired(d: Path) -> tuple[list[dict], dict]:
    """``call_sites`` on the INSPIIRED/intSiteCaller validation run in ``d`` with cgtsafe's default tolerances:
    (intSiteCaller's attrition rows, clone7/UNIF dropped as failed by design; our tables)."""
    from cgtsafe.integration.callsites import call_sites
    from cgtsafe.integration.layout import layout_from_mapping, read_samples

    attr = inspiired_attr_rows(d)
    with open(d / "sampleInfo.tsv", encoding="utf-8") as fh:
        info = list(csv.DictReader(fh, delimiter="\t"))
    first = info[0]
    # cgtsafe's default tolerances (preset intsitecaller: exact primer, LTR end and linker parts, linker
    # anywhere, mingDNA 30); only the sequences of the run are given
    layout = layout_from_mapping({
        "primer": first["primer"], "ltr_bit": first["ltrBit"], "linker": first["linkerSequence"],
        "ltr_readthrough": first["largeLTRFrag"],
    })
    with tempfile.TemporaryDirectory(prefix="cgtsafe_refval_") as tmp:
        sheet = Path(tmp) / "samples.tsv"
        with open(sheet, "w", encoding="utf-8") as fh:
            fh.write("sample\tsubject\ttimepoint\tcell_type\tbarcode\tlinker\n")
            for r in info:
                if r["primer"] != first["primer"] or r["ltrBit"] != first["ltrBit"]:
                    raise ValueError(f"sampleInfo.tsv: sample {r['alias']} has another primer/LTR than the first")
                fh.write(f"{r['alias']}\t{r['alias'].rsplit('-', 1)[0]}\tNA\tcell_line\t{r['bcSeq']}\t"
                         f"{r['linkerSequence']}\n")
        samples = read_samples(sheet, layout)
        tables = call_sites(samples, layout, genome=None, vector=d / "p746vector.fasta",
                            r1=d / INSPIIRED_FILES[1], r2=d / INSPIIRED_FILES[2], i1=d / INSPIIRED_FILES[0])
    return attr, tables


def check_inspiired(shared: Path) -> list[dict]:
    d = shared / INSPIIRED
    if not _have(d, *INSPIIRED_FILES):
        return []
    attr, tables = run_inspiired(d)
    source = f"{INSPIIRED}/intSiteValidation.attr; intSiteCaller (BushmanLab, INSPIIRED)"
    return (stage_deviation_records(attr, tables["read_stages"].set_index("sample"), source)
            + stage_deviation_records(attr, tables["attrition"].set_index("sample"), source, pairs=INSPIIRED_CURATED))


HIA_FILES = ("sites_hiv_mlv_wu2003_hg18.tsv", "sites_ctrl_matched_random_hg18.tsv", "refGene_hg18.tsv.gz")


def hiv_mlv_enrichment(d: Path) -> pd.DataFrame:
    """``enrichment_table`` of the Wu et al. 2003 HIV/MLV sites vs hiAnnotator's matched random controls in
    ``d`` (hg18 refGene), indexed by (virus, feature)."""
    from cgtsafe.integration.annotate import SiteAnnotator, load_gene_annotator
    from cgtsafe.integration.enrichment import enrichment_table
    from cgtsafe.io.annotation import load_genes_of_concern

    sa = SiteAnnotator(load_gene_annotator(d / HIA_FILES[2]), load_genes_of_concern())
    s = pd.read_csv(d / HIA_FILES[0], sep="\t")
    c = pd.read_csv(d / HIA_FILES[1], sep="\t")
    s["position"] = s["Position"].astype(int)
    c["position"] = c["Position"].astype(int)
    s["site_id"], c["match_id"] = s["Sequence"], c["Sequence"]
    s = sa.annotate_table(s, chrom="Chr", strand="Ort")
    c = sa.annotate_table(c, chrom="Chr", strand="Ort")
    return enrichment_table(s, c, group_col="virus", tss_window=5000).set_index(["group", "feature"])


def check_hiv_mlv(shared: Path) -> list[dict]:
    d = shared / HIA
    files = HIA_FILES
    if not _have(d, *files):
        return []
    t = hiv_mlv_enrichment(d)
    hiv, mlv, hiv_tss = t.loc[("HIV", "in_gene")], t.loc[("MLV", "near_tss")], t.loc[("HIV", "near_tss")]
    src = f"{HIA}/{files[0]} + {files[1]}; Wu et al. 2003 Science (hiAnnotator data)"
    return [
        record("integration", f"HIV sites inside transcription units vs matched random controls: ROC area "
               f"(in gene {hiv['real_fraction']:.3g} vs {hiv['control_fraction']:.3g}, Fisher p {hiv['fisher_p']:.2g})",
               float(hiv["roc_auc"]), "> 0.6 and Fisher p < 1e-10 (HIV favours genes; Schroder 2002, Wu 2003)",
               int(hiv["real_n"]), src, hiv["roc_auc"] > 0.6 and hiv["fisher_p"] < 1e-10),
        record("integration", f"MLV near-TSS (+-5 kb) odds ratio vs matched random controls (Fisher p "
               f"{mlv['fisher_p']:.2g})", float(mlv["odds_ratio"]),
               f"> 3 and > 2 x HIV's near-TSS odds ratio ({hiv_tss['odds_ratio']:.3g}) (MLV favours TSS; Wu 2003)",
               int(mlv["real_n"]), src,
               mlv["odds_ratio"] > 3 and mlv["odds_ratio"] > 2 * hiv_tss["odds_ratio"] and mlv["fisher_p"] < 1e-20),
    ]


# ---------------------------------------------------------------------------------------------------
# tcr
# ---------------------------------------------------------------------------------------------------
def check_hpa(shared: Path) -> list[dict]:
    if not (shared / HPA).exists():
        return []
    from cgtsafe.tcr.expression import DEFAULT_VITAL_TISSUES, read_expression

    hpa = read_expression(shared / HPA, vital_tissues=list(DEFAULT_VITAL_TISSUES))
    out = []
    ttn = hpa.profile("TTN")
    if ttn is not None:
        top2 = [hpa.tissues[i] for i in np.argsort(np.nan_to_num(ttn, nan=-1.0))[-2:]]
        hits = len({"Heart Muscle", "Skeletal Muscle"} & set(top2))
        out.append(record("tcr", f"HPA expression loader: TTN's two highest tissues are heart and skeletal muscle "
                          f"(found: {', '.join(reversed(top2))})", hits, "2 (striated muscle; HPA / Uhlen 2015)",
                          len(hpa.tissues), f"{HPA}; Human Protein Atlas consensus tissue nTPM", hits == 2))
    mage = hpa.profile("MAGEA3")
    if mage is not None:
        top = hpa.tissues[int(np.nanargmax(mage))]
        others = max((v for t, v in zip(hpa.tissues, mage) if t != "Testis" and not math.isnan(v)), default=0.0)
        out.append(record("tcr", f"HPA expression loader: MAGEA3 testis-restricted, highest nTPM outside testis "
                          f"(top tissue: {top})", float(others), "< 1 nTPM, testis top (cancer-testis antigen; HPA)",
                          len(hpa.tissues), f"{HPA}; Human Protein Atlas consensus tissue nTPM",
                          top == "Testis" and others < 1.0))
    return out


def check_blosum(shared: Path) -> list[dict]:
    from cgtsafe.tcr.peptide import AMINO_ACIDS
    from cgtsafe.tcr.similarity import blosum62

    m = blosum62()
    aa = list(AMINO_ACIDS)
    wrong = sum(int(m[aa.index(a), aa.index(b)] != v) + int(m[aa.index(b), aa.index(a)] != v)
                for a, b, v in BLOSUM62_PUBLISHED)
    return [record("tcr", "BLOSUM62 matrix used for similarity: entries differing from the published values (both "
                   "orientations)", wrong, "0", 2 * len(BLOSUM62_PUBLISHED),
                   "Henikoff & Henikoff 1992 PNAS 89:10915, Fig. 2 (spot values)", wrong == 0)]


# ---------------------------------------------------------------------------------------------------
def _checks(chrx: _ChrX) -> dict[str, tuple[str, ReferenceCheck]]:
    return {
        "casoffinder": ("offtarget", lambda s: check_casoffinder(s, chrx)),
        "validated_sites": ("offtarget", lambda s: check_validated_sites(s, chrx)),
        "scores": ("offtarget", check_scores),
        "crispresso2": ("sitecheck", check_crispresso),
        "inspiired": ("integration", check_inspiired),
        "hiv_mlv": ("integration", check_hiv_mlv),
        "hpa": ("tcr", check_hpa),
        "blosum62": ("tcr", check_blosum),
    }


def validate_reference(shared: Path, *, timings: dict | None = None) -> list[dict]:
    """Run every reference comparison whose files exist under ``shared`` (``../shared/data``).

    ``timings`` (optional dict) receives the wall time in seconds of each check."""
    shared = Path(shared)
    if not shared.is_dir():
        return []
    chrx = _ChrX(shared / CHRX)
    records: list[dict] = []
    for name, (analysis, check) in _checks(chrx).items():
        t0 = time.perf_counter()
        try:
            records.extend(check(shared))
        except Exception as exc:  # shown as a failed record in the report, not a stopped workflow
            msg = str(exc).splitlines()[0] if str(exc) else ""
            records.append(record(analysis, f"reference check '{name}' could not run: {type(exc).__name__}: {msg}",
                                  0, "check runs", 0, str(shared), False))
        if timings is not None:
            timings[name] = time.perf_counter() - t0
    return records
