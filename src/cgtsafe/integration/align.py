"""Vector screen and paired alignment of trimmed integration-site reads to the host genome.

Vector screen (:class:`VectorScreen`): a read is vector-derived when at least
``vector_min_kmer_fraction`` of its k-mers (``vector_kmer``, both strands) occur in the vector FASTA
(plasmid / transfer vector incl. backbone). A pair is dropped when its LTR-side read (R2) or its
linker-side read (R1) is vector-derived (internal vector and plasmid carry-over products).

Alignment (:class:`PairAligner`): minimap2 through ``mappy`` (``sr`` preset, the index built once from
the genome FASTA, up to 10 alignments per read incl. secondaries). R2 (host part after primer + LTR
end) and R1 (host part after the linker) are mapped separately -- minimap2's paired mode drops a mate
that overlaps the other one in short fragments -- and paired here. A candidate locus is a pair of
hits, one per mate, that

* lie on the same contig on opposite strands and face each other (R2 + -> R1 - downstream, or
  R2 - -> R1 + upstream),
* each have identity ``matches / read length >= min_identity`` (as intSiteCaller's ``minPctIdent``;
  matches include bases of soft-clipped read ends that match the adjacent reference without gaps, as
  BLAT would count them),
* start at the read start: at most ``max_align_start`` unaligned bases before the first aligned base
  of each mate (intSiteCaller's ``maxAlignStart``),
* span a fragment of at most ``max_fragment_length`` bases.

When no such pair exists, a mate without a usable hit is rescued: its best ungapped placement (identity
>= ``min_identity``, starting at the read's first base) on the opposite strand within
``max_fragment_length`` of each of the other mate's (first three) hits. A 30-70 nt host part with a
substitution near its middle has no 21-nt minimizer seed; BWA-style mate rescue recovers it.

Coordinates reported by :meth:`PairAligner.candidates` are **0-based**: ``junction`` is the host base
adjacent to the LTR (the first base of R2's host part, extrapolated over a soft clip of at most
``max_align_start`` bases), ``breakpoint`` the shear-end base (first base of R1's host part, likewise).
``strand`` is the strand of the R2 alignment (= provirus orientation). The caller converts to 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import read_fasta, revcomp


class VectorScreen:
    def __init__(self, vector_fasta: str | Path, k: int = 16, min_fraction: float = 0.5):
        self.k = k
        self.min_fraction = min_fraction
        kmers: set[str] = set()
        records = read_fasta(vector_fasta)
        for seq in records.values():
            s = seq.decode().upper()
            for strand in (s, revcomp(s)):
                for i in range(len(strand) - k + 1):
                    kmer = strand[i:i + k]
                    if "N" not in kmer:
                        kmers.add(kmer)
        if not kmers:
            raise InputError(f"vector FASTA has no sequence of >= {k} nt", path=vector_fasta)
        self.kmers = kmers

    def fraction(self, seq: str) -> float:
        k = self.k
        n = len(seq) - k + 1
        if n <= 0:
            return 0.0
        step = 1 if n <= 32 else 2
        tested = hits = 0
        for i in range(0, n, step):
            tested += 1
            hits += seq[i:i + k] in self.kmers
        return hits / tested

    def is_vector(self, seq: str) -> bool:
        return self.fraction(seq) >= self.min_fraction


@dataclass(frozen=True)
class Candidate:
    chrom: str
    junction: int  # 0-based
    strand: str
    breakpoint: int  # 0-based
    score: int


class PairAligner:
    def __init__(self, genome_fasta: str | Path, *, max_align_start: int = 5, min_identity: float = 0.95,
                 max_fragment_length: int = 2500, index_path: str | Path | None = None):
        import mappy

        genome_fasta = Path(genome_fasta)
        if not genome_fasta.exists():
            raise InputError("genome FASTA not found", path=genome_fasta)
        # sr preset (k=21, w=11) with a lower minimal chaining score: 30-70 nt host parts with one
        # substitution keep one or two minimizers; a single-seed chain is allowed (the index is unchanged;
        # intSiteCaller uses BLAT tileSize 11, minScore 27). Identity and start filters follow.
        kwargs = dict(preset="sr", best_n=10, min_chain_score=15, min_cnt=1)
        if index_path and Path(index_path).exists():
            self.aligner = mappy.Aligner(str(index_path), **kwargs)
        else:
            self.aligner = mappy.Aligner(str(genome_fasta), fn_idx_out=str(index_path) if index_path else None,
                                         **kwargs)
        if not self.aligner:
            raise InputError("cannot build a minimap2 index from the genome FASTA", path=genome_fasta)
        self.max_align_start = max_align_start
        self.min_identity = min_identity
        self.max_fragment_length = max_fragment_length

    def thread_buffer(self):
        import mappy

        return mappy.ThreadBuffer()

    def candidates(self, r2: str, r1: str, buf=None) -> tuple[bool, list[Candidate]]:
        """``(any_alignment, proper candidate loci)`` for one trimmed pair."""
        # each mate is mapped on its own and the pairs are formed here (as intSiteCaller does with BLAT):
        # minimap2's own pairing drops a mate that overlaps the other one in short fragments
        raw2 = list(self.aligner.map(r2, buf=buf))
        raw1 = list(self.aligner.map(r1, buf=buf))
        if not raw2 and not raw1:
            return False, []
        h2 = [h for h in raw2 if self._good(h, r2)]
        h1 = [h for h in raw1 if self._good(h, r1)]
        out = self._pair(h2, h1)
        if not out:
            # mate rescue: a 30-70 nt host part with a substitution near its middle has no minimizer
            # seed; look for it, without gaps, within the fragment-length window of the mapped mate
            rescued2 = [x for b in h1[:3] for x in self._rescue(r2, b)]
            rescued1 = [x for a in h2[:3] for x in self._rescue(r1, a)]
            out = self._pair(h2 + rescued2, h1 + rescued1)
        return True, sorted(out.values(), key=lambda c: (-c.score, c.chrom, c.junction, c.strand, c.breakpoint))

    def _pair(self, h2, h1) -> dict:
        out: dict[tuple, Candidate] = {}
        for a in h2:
            j = _start_on_ref(a)
            for b in h1:
                if b.ctg != a.ctg or b.strand == a.strand:
                    continue
                bp = _start_on_ref(b)
                if a.strand == 1 and bp < j or a.strand == -1 and bp > j:
                    continue
                if abs(bp - j) + 1 > self.max_fragment_length:
                    continue
                score = _score(a) + _score(b)
                key = (a.ctg, j, "+" if a.strand == 1 else "-", bp)
                if key not in out or out[key].score < score:
                    out[key] = Candidate(a.ctg, j, key[2], bp, score)
        return out

    def _good(self, h, read: str) -> bool:
        qlen = len(read)
        if h.q_st > self.max_align_start or not qlen:
            return False
        return (h.mlen + self._clip_matches(h, read)) / qlen >= self.min_identity

    def _clip_matches(self, h, read: str) -> int:
        """Matching bases in the soft-clipped read ends, compared without gaps to the adjacent reference.

        minimap2 clips a substitution a few bases from a read end; BLAT-style identity (intSiteCaller:
        matches / read length) still counts the matching bases beyond it.
        """
        extra = 0
        n3 = len(read) - h.q_en
        n5 = h.q_st
        ends = (
            (n3, read[h.q_en:], (h.r_en, h.r_en + n3) if h.strand == 1 else (h.r_st - n3, h.r_st)),
            (n5, read[:n5], (h.r_st - n5, h.r_st) if h.strand == 1 else (h.r_en, h.r_en + n5)),
        )
        for n, q, (lo, hi) in ends:
            if n <= 0 or lo < 0:
                continue
            ref = self.aligner.seq(h.ctg, lo, hi)
            if not ref or len(ref) != n:
                continue
            if h.strand == -1:
                ref = revcomp(ref)
            extra += sum(a == b for a, b in zip(q, ref.upper()))
        return extra

    def _rescue(self, read: str, mate) -> list:
        """Best ungapped placement of ``read`` facing the mapped ``mate`` within ``max_fragment_length``.

        The read lies on the other strand: right of a + mate's start (read on -), left of a - mate's
        start (read on +). Substitutions allowed: floor(length x (1 - min_identity)).
        """
        from cgtsafe.integration.trim import hamming_search

        n = len(read)
        if n < 20:
            return []
        start = _start_on_ref(mate)
        if mate.strand == 1:
            lo, hi, strand, query = start - n + 1, start + self.max_fragment_length, -1, revcomp(read)
        else:
            lo, hi, strand, query = start - self.max_fragment_length + 1, start + n, 1, read
        lo = max(0, lo)
        ref = self.aligner.seq(mate.ctg, lo, hi)
        if not ref or len(ref) < n:
            return []
        hit = hamming_search(ref.upper(), query, 0, None, int(n * (1 - self.min_identity) + 1e-9))
        if hit is None:
            return []
        r_st = lo + hit[0]
        return [_Placed(mate.ctg, r_st, r_st + n, strand, 0, n, n - hit[1], n)]


@dataclass(frozen=True)
class _Placed:
    """An ungapped placement found by mate rescue (same attributes as a mappy hit)."""

    ctg: str
    r_st: int
    r_en: int
    strand: int
    q_st: int
    q_en: int
    mlen: int
    blen: int


def _start_on_ref(h) -> int:
    """0-based reference coordinate of the read's first base (soft clip extrapolated)."""
    if h.strand == 1:
        return h.r_st - h.q_st
    return h.r_en - 1 + h.q_st


def _score(h) -> int:
    # matches minus edits in the aligned block (mismatches + gap bases)
    return h.mlen - (h.blen - h.mlen)
