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

import os
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


#: minimizer k-mer and window of minimap2's ``sr`` preset: an index built otherwise would place reads differently
INDEX_K, INDEX_W = 21, 11


def resolve_index(genome_fasta: str | Path, index_path: str | Path | None) -> Path | None:
    """The minimap2 index to use: ``index_path`` when given (built there when absent), else ``<genome>.mmi``
    next to the genome when that exists (never written there unasked), else ``None`` (built in memory)."""
    if index_path:
        return Path(index_path)
    beside = Path(str(genome_fasta) + ".mmi")
    return beside if beside.exists() else None


def _genome_stamp(genome_fasta: str | Path) -> dict:
    st = Path(genome_fasta).stat()
    return {"genome": str(Path(genome_fasta).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def stamp_index(index_path: str | Path, genome_fasta: str | Path) -> None:
    """Record beside a freshly built index (``<index>.json``) which genome file (path, size, mtime) it was built
    from, so that a later run on the unchanged file need not read the genome again to check it."""
    from cgtsafe.io.tables import write_json

    write_json(str(index_path) + ".json", {**_genome_stamp(genome_fasta), "k": INDEX_K, "w": INDEX_W})


def check_index(aligner, genome_fasta: str | Path, index_path: str | Path) -> None:
    """A reused index must be the ``sr`` index of this genome: k/w, then contig names (in order) and lengths --
    unless the stamp written when it was built names this very genome file, unchanged since (same size and
    modification time): the check then needs no pass over a genome without ``.fai``."""
    import json

    from cgtsafe.io.fasta import contig_lengths

    if (aligner.k, aligner.w) != (INDEX_K, INDEX_W):
        raise InputError(f"minimap2 index has k={aligner.k}, w={aligner.w}; expected the sr preset's k={INDEX_K}, "
                         f"w={INDEX_W} (delete it to rebuild)", path=index_path)
    stamp = Path(str(index_path) + ".json")
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8")) if stamp.exists() else {}
    except (OSError, ValueError):
        recorded = {}
    if recorded and all(recorded.get(k) == v for k, v in _genome_stamp(genome_fasta).items()):
        return
    lengths = contig_lengths(genome_fasta)
    names = list(aligner.seq_names)
    if names != list(lengths):
        diff = next((f"{a!r} vs {b!r}" for a, b in zip(names, lengths) if a != b),
                    f"{len(names)} vs {len(lengths)} contigs")
        raise InputError(f"minimap2 index is not of genome {genome_fasta} (contigs differ: {diff}); delete it to "
                         "rebuild", path=index_path)
    for name, n in lengths.items():
        if n and (len(aligner.seq(name, n - 1, n) or "") != 1 or aligner.seq(name, n, n + 1)):
            raise InputError(f"minimap2 index is not of genome {genome_fasta} (contig {name} is not {n} bp); "
                             "delete it to rebuild", path=index_path)


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
        self.index_path, self.index_built = resolve_index(genome_fasta, index_path), False
        if self.index_path is not None and self.index_path.exists():
            self.aligner = mappy.Aligner(str(self.index_path), **kwargs)
            if not self.aligner:
                raise InputError("not a readable minimap2 index (.mmi); delete it to rebuild", path=self.index_path)
            check_index(self.aligner, genome_fasta, self.index_path)
        elif self.index_path is not None:  # build once, written atomically, reused by every later run
            tmp = self.index_path.with_name(f".{self.index_path.name}.{os.getpid()}.tmp")
            try:
                self.aligner = mappy.Aligner(str(genome_fasta), fn_idx_out=str(tmp), **kwargs)
                if self.aligner:
                    os.replace(tmp, self.index_path)
                    stamp_index(self.index_path, genome_fasta)
                    self.index_built = True
            finally:
                tmp.unlink(missing_ok=True)
        else:
            self.aligner = mappy.Aligner(str(genome_fasta), **kwargs)
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
        return self.pair(r2, self.map_read(r2, buf), r1, self.map_read(r1, buf))

    def map_read(self, read: str, buf=None) -> tuple[int, list[tuple]]:
        """``(number of alignments, usable hits)`` of one read; a usable hit is ``(contig, strand (1/-1),
        0-based reference position of the read's first base, score)`` in minimap2's order (identity and
        start filters of the module doc). Each mate is mapped on its own and the pairs are formed in
        :meth:`pair` (as intSiteCaller does with BLAT): minimap2's own pairing drops a mate that overlaps
        the other one in short fragments. A pure function of the read: callers may cache it."""
        raw = list(self.aligner.map(read, buf=buf))
        return len(raw), [(h.ctg, h.strand, _start_on_ref(h), _score(h)) for h in raw if self._good(h, read)]

    def pair(self, r2: str, m2: tuple[int, list], r1: str, m1: tuple[int, list]) -> tuple[bool, list[Candidate]]:
        """:meth:`candidates` from the :meth:`map_read` results of both mates."""
        if not m2[0] and not m1[0]:
            return False, []
        h2, h1 = m2[1], m1[1]
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
        maxlen = self.max_fragment_length
        for ctg, strand, j, sc in h2:
            for ctg1, strand1, bp, sc1 in h1:
                if ctg1 != ctg or strand1 == strand:
                    continue
                if strand == 1 and bp < j or strand == -1 and bp > j:
                    continue
                if abs(bp - j) + 1 > maxlen:
                    continue
                score = sc + sc1
                key = (ctg, j, "+" if strand == 1 else "-", bp)
                if key not in out or out[key].score < score:
                    out[key] = Candidate(ctg, j, key[2], bp, score)
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

    def _rescue(self, read: str, mate: tuple) -> list[tuple]:
        """Best ungapped placement of ``read`` facing the mapped ``mate`` (a :meth:`map_read` hit) within
        ``max_fragment_length``, as a usable hit (score = matches - mismatches).

        The read lies on the other strand: right of a + mate's start (read on -), left of a - mate's
        start (read on +). Substitutions allowed: floor(length x (1 - min_identity)).
        """
        from cgtsafe.integration.trim import hamming_search

        n = len(read)
        if n < 20:
            return []
        ctg, mstrand, start, _score_ = mate
        if mstrand == 1:
            lo, hi, strand, query = start - n + 1, start + self.max_fragment_length, -1, revcomp(read)
        else:
            lo, hi, strand, query = start - self.max_fragment_length + 1, start + n, 1, read
        lo = max(0, lo)
        ref = self.aligner.seq(ctg, lo, hi)
        if not ref or len(ref) < n:
            return []
        hit = hamming_search(ref.upper(), query, 0, None, int(n * (1 - self.min_identity) + 1e-9))
        if hit is None:
            return []
        r_st = lo + hit[0]
        # the read's first base: r_st on +, the last reference base of the placement on -
        return [(ctg, strand, r_st if strand == 1 else r_st + n - 1, n - 2 * hit[1])]


def _start_on_ref(h) -> int:
    """0-based reference coordinate of the read's first base (soft clip extrapolated)."""
    if h.strand == 1:
        return h.r_st - h.q_st
    return h.r_en - 1 + h.q_st


def _score(h) -> int:
    # matches minus edits in the aligned block (mismatches + gap bases)
    return h.mlen - (h.blen - h.mlen)
