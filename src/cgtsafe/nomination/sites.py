"""Break positions from aligned reads, clustering into windows, guide search in each window, and the
nominated-site table.

Positions
  Each read of a pair is aligned on its own with minimap2 (``mappy``; short-read preset with k=15, w=5
  so that 20-40 nt fragments seed), after the tag and the short-fragment read-through are trimmed. For
  each end that marks a break (GUIDE-seq: read 2 after its tag; in vitro: both reads) the *break
  position* is the genomic base at the read's 5' end: the leftmost aligned base for a forward alignment
  (strand ``+``), the rightmost for a reverse one (strand ``-``), reported **1-based** (as a SAM POS for
  ``+``). A pair counts only when both reads align to the same contig on opposite strands, the better of
  the two MAPQs is >= ``min_mapq`` (default 10: minimap2 gives unique 20-40 nt fragments MAPQ 10-20,
  where bwa-mem gives 60) and the fragment is shorter than ``max_fragment``.

Windows
  Positions of one contig are sorted; a new window starts where the gap to the previous position is
  greater than ``window_gap`` (10 bp, GUIDE-seq pipeline). A window is kept when it has molecules on
  both strands or from both tag primers (GUIDE-seq), or on both strands (in vitro). Its representative
  position is the position with most molecules (ties: the rightmost). ``start``/``end``: 0-based,
  end exclusive, spanning the window's break positions.

Guide search
  The genome ``[position - flank, position + flank)`` around the representative (0-based; the
  representative is used as a 0-based index as in the GUIDE-seq pipeline) plus the window's span is
  searched with :func:`cgtsafe.offtarget.search.search_rows` (both strands, canonical and alternative
  PAMs, mismatches and DNA/RNA bulges within the limits); the best hit (fewest edits, then fewest
  bulges, then canonical PAM, then nearest the representative) is the window's site.

Background
  With a control sample, a treated window that overlaps a control window (half-open intervals) is
  ``background`` (as the GUIDE-seq background filter).

Site status: ``nominated`` (guide found, not background), ``background``, ``no_guide_match``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cgtsafe.nomination.reads import Pair, ReadLayout, match_tag, trim_readthrough


@dataclass
class Counts:
    """Molecules (UMI groups) and reads at one break position, by strand and tag primer."""

    mols: dict  # strand -> set of molecule names
    reads: dict  # strand -> int
    primer: dict  # primer -> set of molecule names

    @classmethod
    def empty(cls) -> Counts:
        return cls({"+": set(), "-": set()}, {"+": 0, "-": 0}, defaultdict(set))


def align_positions(molecules: Iterable[Pair], genome: str, layout: ReadLayout, *, min_mapq: int = 10,
                    max_fragment: int = 10000, tag_mismatches: int = 2, threads: int = 1,
                    stats: dict | None = None) -> dict[tuple[str, int, str], Counts]:
    """Break positions ``(contig, position 1-based, strand) -> Counts`` (see the module docstring)."""
    import mappy

    # short-read preset with smaller minimizers: GUIDE-seq fragments are often 25-60 nt
    aligner = mappy.Aligner(str(genome), preset="sr", n_threads=threads, k=15, w=5, min_chain_score=20,
                            min_cnt=2)
    if not aligner:
        from cgtsafe.errors import InputError

        raise InputError("cannot build a minimap2 index of the genome", path=genome)
    st = stats if stats is not None else {}
    for k in ("molecules", "reads", "tagged", "aligned", "low_mapq_or_unpaired"):
        st.setdefault(k, 0)
    out: dict[tuple[str, int, str], Counts] = {}
    for m in molecules:
        st["molecules"] += 1
        st["reads"] += m.count
        s1, s2 = m.seq1, m.seq2
        primer = "nomatch"
        if layout.tags:
            primer, tl = match_tag(s2, layout.tags, tag_mismatches)
            if tl:
                st["tagged"] += 1
                s2 = s2[tl:]
        s1, s2 = trim_readthrough(s1, s2, layout.tags.get(primer))
        if len(s2) < 20 or len(s1) < 20:
            st["low_mapq_or_unpaired"] += 1
            continue
        h1, h2 = _primary(aligner, s1), _primary(aligner, s2)
        if h1 is None or h2 is None or h1.ctg != h2.ctg or h1.strand == h2.strand:
            st["low_mapq_or_unpaired"] += 1
            continue
        frag = max(h1.r_en, h2.r_en) - min(h1.r_st, h2.r_st)
        ends = [h for n, h in ((1, h1), (2, h2)) if n in layout.ends_from]
        if frag > max_fragment or max(h1.mapq, h2.mapq) < min_mapq:
            st["low_mapq_or_unpaired"] += 1
            continue
        st["aligned"] += 1
        for h in ends:
            # 5' end of the read: leftmost aligned base (+) or rightmost (-); 1-based
            strand, pos = ("+", h.r_st + 1) if h.strand == 1 else ("-", h.r_en)
            c = out.setdefault((h.ctg, pos, strand), Counts.empty())
            c.mols[strand].add(m.name)
            c.reads[strand] += m.count
            c.primer[primer].add(m.name)
    return out


def _primary(aligner, seq: str):
    for h in aligner.map(seq):
        if h.is_primary:
            return h
    return None


@dataclass
class Window:
    chrom: str
    start: int  # 0-based
    end: int  # exclusive
    position: int  # representative, 1-based
    umi_plus: int
    umi_minus: int
    reads_plus: int
    reads_minus: int
    primer1: int
    primer2: int

    @property
    def umi(self) -> int:
        return self.umi_plus + self.umi_minus

    @property
    def reads(self) -> int:
        return self.reads_plus + self.reads_minus


def cluster_windows(positions: dict[tuple[str, int, str], Counts], layout: ReadLayout, *,
                    window_gap: int = 10, contig_order: Sequence[str] = ()) -> list[Window]:
    """Windows of break positions (see the module docstring), sorted by contig order then start."""
    rank = {c: i for i, c in enumerate(contig_order)}
    per_pos: dict[tuple[str, int], list[Counts]] = defaultdict(list)
    for (chrom, pos, _strand), c in positions.items():
        per_pos[(chrom, pos)].append(c)
    keys = sorted(per_pos, key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1]))
    groups: list[list[tuple[str, int]]] = []
    for k in keys:
        if groups and groups[-1][-1][0] == k[0] and k[1] - groups[-1][-1][1] <= window_gap:
            groups[-1].append(k)
        else:
            groups.append([k])
    out = []
    for g in groups:
        plus, minus, p1, p2 = set(), set(), set(), set()
        rp = rm = 0
        best = (-1, 0)
        for k in g:
            n = 0
            for c in per_pos[k]:
                plus |= c.mols["+"]
                minus |= c.mols["-"]
                rp += c.reads["+"]
                rm += c.reads["-"]
                p1 |= c.primer.get("primer1", set())
                p2 |= c.primer.get("primer2", set())
                n += len(c.mols["+"]) + len(c.mols["-"])
            if n >= best[0]:
                best = (n, k[1])
        w = Window(g[0][0], g[0][1] - 1, g[-1][1], best[1], len(plus), len(minus), rp, rm, len(p1), len(p2))
        both_strands = w.umi_plus > 0 and w.umi_minus > 0
        both_primers = w.primer1 > 0 and w.primer2 > 0
        if both_strands or (layout.tags and both_primers):
            out.append(w)
    return out


def overlaps(a: Window, b: Window) -> bool:
    return a.chrom == b.chrom and a.start < b.end and b.start < a.end


@dataclass
class SearchLimits:
    max_mismatches: int = 6
    max_dna_bulge: int = 1
    max_rna_bulge: int = 1
    max_bulge_mismatches: int = 4
    flank: int = 25


def search_window(genome: dict[str, bytes], w: Window, guide, nuclease, limits: SearchLimits) -> dict | None:
    """Best guide hit in the window's search region (see the module docstring) or None; coordinates
    genome-wide (0-based, end exclusive)."""
    from cgtsafe.offtarget.search import COLUMNS, search_rows

    seq = genome[w.chrom]
    lo = max(0, min(w.position, w.start) - limits.flank)
    hi = min(len(seq), max(w.position, w.end) + limits.flank)
    sub = bytes(seq[lo:hi])
    if len(sub) < nuclease.spacer_length + len(nuclease.pam):
        return None
    rows = search_rows({"w": sub}, [guide], nuclease, max_mismatches=limits.max_mismatches,
                       max_dna_bulge=limits.max_dna_bulge, max_rna_bulge=limits.max_rna_bulge,
                       max_bulge_mismatches=min(limits.max_bulge_mismatches, limits.max_mismatches), threads=1)
    if not rows:
        return None
    hits = [dict(zip(COLUMNS, r)) for r in rows]
    for h in hits:
        for k in ("start", "end", "cut_start", "cut_end"):
            h[k] = int(h[k]) + lo
        h["chrom"] = w.chrom
        h["edits"] = int(h["mismatches"]) + int(h["dna_bulge"]) + int(h["rna_bulge"])
    return min(hits, key=lambda h: (h["edits"], h["dna_bulge"] + h["rna_bulge"], h["pam_class"] != "canonical",
                                    abs(h["cut_start"] - w.position), h["start"], h["strand"]))
