"""Exhaustive genome-wide search for candidate off-target sites of CRISPR guides.

Every position of every contig where a PAM pattern matches (both strands) is compared with every
guide; a site is reported when its best alignment to the guide has at most ``max_mismatches``
mismatches, ``max_dna_bulge`` DNA bulges and ``max_rna_bulge`` RNA bulges (alignments with a bulge
optionally limited to ``max_bulge_mismatches`` mismatches). Nothing is seeded or
heuristic: the search is exact (tested against Cas-OFFinder 2.4.1 and an independent brute force).

Sequence rules
  * Lower-case (soft-masked) genome bases are searched like upper case; the ``site`` column keeps
    the case of the FASTA.
  * A genome base other than A/C/G/T (N or another IUPAC code) never matches anything: in the
    protospacer it counts as a mismatch, in the PAM it fails the PAM. An ``N`` in a PAM *pattern*
    matches A, C, G or T.
  * Bulges: a DNA bulge is an extra genomic base (``-`` in ``guide_aln``), an RNA bulge an extra
    guide base (``-`` in ``site_aln``). Limits: ``max_dna_bulge`` and ``max_rna_bulge`` cap each kind,
    ``max_bulges`` (default: their sum) caps DNA + RNA bulges together. ``max_bulges=N`` with both
    per-kind limits >= N is "at most N bulges of either kind" as Cas-OFFinder 3, CRISPRitz and CRISPRme
    mean it (for N = 1 exactly their alignment set: one bulge, DNA or RNA); ``max_dna_bulge=1,
    max_rna_bulge=1`` alone also allows one of each in one alignment, which those tools cannot express.
  * Bulges are internal by default: the first and the last column of the protospacer alignment (next to
    the PAM and at the PAM-distal end) are base pairs. ``end_bulges=True`` also allows DNA bulges before
    the first base pair (extra genomic bases between PAM and protospacer) and RNA-bulged PAM-distal guide
    bases, as Cas-OFFinder 3 does (58 such loci in a paired run on GRCh37 chrX 1-70 Mb, issue #18).
    Why not by default: an unpaired PAM-distal guide base is a truncated-guide match, already reported
    as the bulge-free alignment with a mismatch at position 1 when within the limits; a base between the
    PAM and the protospacer displaces the PAM from the R-loop start, which Cas9 reads at a fixed
    distance (PAM-adjacent seed pairing initiates the R-loop: Sternberg et al. 2014 Nature 507:62), and
    alignments that end in a gap are not unique (the end base can be written as gap or as mismatch).

Locus and the one-hit-per-locus rule
  A *locus* is (guide, contig, strand, PAM position): the PAM bases are fixed, the protospacer is read
  from the PAM away. Of all alignments of the guide to the genome at one locus within the limits,
  exactly one is reported, the first by:
    (1) fewest edits (mismatches + DNA bulges + RNA bulges);
    (2) fewest bulges (DNA + RNA);
    (3) fewest DNA bulges;
    (4) gap placement: reading the alignment columns from the PAM-distal end towards the PAM, the
        first column where two alignments differ is a DNA bulge rather than an RNA bulge rather than a
        base pair (i.e. gaps are placed as PAM-distal as possible).
  Rules (1)-(3) fix ``mismatches``, ``dna_bulge``, ``rna_bulge``, ``start`` and ``end``; rule (4) only the
  alignment strings. The PAM class is a property of the locus: a PAM matching a canonical pattern is
  ``canonical`` (canonical patterns are tried before alternative ones). Different PAM positions are
  different loci even if their protospacers overlap (e.g. the two NGG of ``NGGG``).

Coordinates and columns (one row per locus; see docs/outputs/offtarget_search.md)
  ``start``/``end``: 0-based leftmost + strand coordinate of protospacer+PAM, end exclusive
  (Cas-OFFinder convention for both strands). ``site``: genomic sequence 5'->3' on the hit strand
  (protospacer + PAM, PAM included on its side). ``pam``: the PAM bases 5'->3' on the hit strand
  (upper case).
  ``cut_start``/``cut_end``: 0-based + strand coordinate of the base right of the double-strand break
  on each strand (``cut_start <= cut_end``; equal for blunt SpCas9, + strand ``start + 17``, - strand
  ``start + 6`` without bulges). The cut is placed ``cut_offsets`` nt from the PAM into the
  protospacer, counted in genomic bases. ``guide_aln``/``site_aln``: the alignment 5'->3' on the hit
  strand including the PAM (guide side shows the PAM pattern); mismatched bases are lower case in
  ``site_aln``. ``cfd``/``mit``: see :mod:`cgtsafe.offtarget.scoring` (NaN where undefined);
  ``score_basis``: ``alignment`` (the row's own, bulge-free), ``bulge_free_alignment`` (a bulged row
  scored on the bulge-free alignment at the same PAM, when that is within ``max_mismatches``: bulges never
  strip a strong site of its score) or ``unscored`` (see :mod:`cgtsafe.offtarget.hits`).
  Rows are sorted by guide (input order), contig (genome order), start, strand, end.

Chunks (``chunk=(i, n)``, CLI ``--chunk i/n``)
  The contigs (genome order, after the ``contigs`` filter) are laid end to end; chunk i of n (1-based)
  owns the loci whose PAM leftmost base has a global offset in ``[floor((i-1)*T/n), floor(i*T/n))``
  where T is the total length. Each chunk reads the sequence it needs around its range, so no locus is
  lost at a border and none is reported twice: the union of the n chunk tables, sorted as above, is
  identical to the unchunked table.

Performance: the genome is streamed one contig at a time and scanned as its ASCII bytes (zero-copy,
mapped to base codes by a lookup table); mismatch-only searches use a 2-bit rolling window of
protospacer + PAM, a PAM lookup table and popcount per PAM position; bulged searches use a banded DP anchored at the PAM
with a lower-bound filter and early termination. Both are numba kernels that release the GIL and run
over 1 Mb blocks on Python threads (results concatenated in block order: deterministic).
numba caches the compiled kernels next to this module (``__pycache__``) or under ``NUMBA_CACHE_DIR``;
:func:`search_batches` loads them (``_kernels.warm``) once the first contig has been read (a missing or
non-FASTA genome fails first, without the one-time compile notice of a cold cache). It yields
one contig's hits at a time as numpy columns (:class:`cgtsafe.offtarget.hits.HitBatch`, rendered and
scored by numba kernels) and imports no pandas (start-up time of the CLI); :func:`write_search` streams
them to the hit table (same bytes as ``write_table``), :func:`search_genome` builds a DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.offtarget.guides import Guide, read_guide_names, read_guides, validate_guides  # noqa: F401 (API)
from cgtsafe.offtarget.hits import HitBatch
from cgtsafe.offtarget.nuclease import IUPAC, Nuclease, validate_pam

COLUMNS = (
    "guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge", "pam",
    "pam_class", "cut_start", "cut_end", "guide_aln", "site_aln", "cfd", "mit", "score_basis",
)  # fmt: skip

LIMITS = {"max_mismatches": (0, 6), "max_dna_bulge": (0, 2), "max_rna_bulge": (0, 2), "max_bulges": (0, 4)}

_COMP = str.maketrans("ACGTRYKMBDHVNacgtrykmbdhvn", "TGCAYRMKVHDBNtgcayrmkvhdbn")
_BIT = {"A": 1, "C": 2, "G": 4, "T": 8}


def revcomp(seq: str) -> str:
    return seq.translate(_COMP)[::-1]


def check_limits(max_mismatches: int, max_dna_bulge: int, max_rna_bulge: int, max_bulges: int | None = None) -> None:
    for key, val in (("max_mismatches", max_mismatches), ("max_dna_bulge", max_dna_bulge),
                     ("max_rna_bulge", max_rna_bulge), ("max_bulges", max_bulges)):
        if val is None and key == "max_bulges":
            continue
        lo, hi = LIMITS[key]
        if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or not lo <= int(val) <= hi:
            raise InputError(f"{key} must be an integer {lo}..{hi}, got {val!r}")


def load_genome(genome, contigs: Sequence[str] | None = None) -> list[tuple[str, bytes]]:
    """Genome as ``[(name, bytes)]`` in genome order; from a FASTA path or a mapping; optional subset."""
    return list(_iter_genome(genome, contigs))


def _iter_genome(genome, contigs: Sequence[str] | None = None):
    """Stream ``(name, bytes)`` in genome order from a FASTA path (one contig in memory at a time), a
    mapping, or an iterable of pairs; only ``contigs`` when given (unknown names -> InputError)."""
    if isinstance(genome, (str, Path)):
        from cgtsafe.io.fasta import iter_fasta_fast

        source = iter_fasta_fast(genome)
        where = str(genome)
    elif isinstance(genome, Mapping):
        if not genome:
            raise InputError("empty genome: no contigs")
        source = ((str(k), v.encode() if isinstance(v, str) else bytes(v)) for k, v in genome.items())
        where = "genome"
    elif hasattr(genome, "__iter__"):
        source = iter(genome)
        where = "genome"
    else:
        raise InputError(f"genome must be a FASTA path or a mapping of contig -> sequence, got {type(genome).__name__}")
    want = None if contigs is None else set(contigs)
    seen = set()
    for name, seq in source:
        if want is None or name in want:
            seen.add(name)
            yield name, seq
    if want is not None and want - seen:
        raise InputError(f"contig(s) {', '.join(sorted(want - seen))} not in the genome {where}")


def _genome_lengths(genome, contigs: Sequence[str] | None) -> dict[str, int]:
    """Contig lengths in genome order (for chunking): from the .fai next to a FASTA when present (checked
    against the sequence while searching), else by reading the genome once."""
    if isinstance(genome, (str, Path)):
        fai = Path(str(genome) + ".fai")
        if fai.exists():
            from cgtsafe.io.fasta import read_fai

            lengths = read_fai(fai)
            if contigs is not None:
                missing = sorted(set(contigs) - set(lengths))
                if missing:
                    raise InputError(f"contig(s) {', '.join(missing)} not in the genome {genome}")
                lengths = {k: v for k, v in lengths.items() if k in set(contigs)}
            return lengths
    return {name: len(seq) for name, seq in _iter_genome(genome, contigs)}


def parse_chunk(text: str) -> tuple[int, int]:
    """Parse ``i/n`` (1 <= i <= n)."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise InputError(f"--chunk must look like i/n (e.g. 2/8), got {text!r}") from None
    if not (n >= 1 and 1 <= i <= n):
        raise InputError(f"--chunk i/n needs 1 <= i <= n, got {text!r}")
    return i, n


def chunk_ranges(lengths: Sequence[int], chunk: tuple[int, int] | None) -> list[tuple[int, int]]:
    """Per contig, the PAM-position range [lo, hi) owned by ``chunk`` (see the module docstring)."""
    if chunk is None:
        return [(0, n) for n in lengths]
    i, n = chunk
    total = int(sum(lengths))
    g_lo = (i - 1) * total // n
    g_hi = i * total // n
    out = []
    off = 0
    for ln in lengths:
        lo = min(max(g_lo - off, 0), ln)
        hi = min(max(g_hi - off, 0), ln)
        out.append((lo, hi))
        off += ln
    return out


# ----------------------------------------------------------------------------------------------
# pattern preparation
# ----------------------------------------------------------------------------------------------
def _pam_masks(patterns: Sequence[str]) -> np.ndarray:
    """(2 strands, n patterns, P) bit masks; strand 1 holds the reverse complement on the + axis."""
    P = len(patterns[0])
    masks = np.zeros((2, len(patterns), P), dtype=np.uint8)
    for k, pat in enumerate(patterns):
        for m, ch in enumerate(pat):
            masks[0, k, m] = sum(_BIT[b] for b in IUPAC[ch])
        rc = revcomp(pat)
        for m, ch in enumerate(rc):
            masks[1, k, m] = sum(_BIT[b] for b in IUPAC[ch])
    return masks


def _guide_arrays(guides: Sequence[Guide], L: int, pam_side: str):
    """2-bit window codes (+ and - strand) and PAM-proximal-first codes of each guide."""
    code = {"A": 0, "C": 1, "G": 2, "T": 3}
    ng = len(guides)
    gcodes = np.zeros((ng, 2), dtype=np.uint64)
    gprox = np.zeros((ng, 2, L), dtype=np.int16)
    for gi, g in enumerate(guides):
        for s, seq in enumerate((g.spacer, revcomp(g.spacer))):
            v = 0
            for ch in seq:
                v = (v << 2) | code[ch]
            gcodes[gi, s] = np.uint64(v)
        prox = g.spacer[::-1] if pam_side == "3prime" else g.spacer
        for s in range(2):  # the DP reads the hit strand, so the guide is the same for both strands
            gprox[gi, s, :] = [code[c] for c in prox]
    lanes = np.uint64(int("01" * L, 2))
    return gcodes, gprox, lanes


# ----------------------------------------------------------------------------------------------
# the search
# ----------------------------------------------------------------------------------------------
_SEARCH_DOC = """
    ``pam`` overrides the nuclease's PAM (then no alternative PAMs are searched);
    ``alternative_pams=False`` searches the canonical PAM only; ``max_bulge_mismatches`` limits the
    mismatches of alignments that have a bulge (default: ``max_mismatches``). It is a limit on the
    alignments, applied before the one-hit-per-locus choice: a locus whose bulged alignments all exceed
    it is still reported with its best bulge-free alignment when that is within ``max_mismatches``.
    ``max_bulges`` caps DNA + RNA bulges (see "Bulges"); ``end_bulges`` allows bulges at the protospacer ends.
"""


def search_genome(genome, guides: Sequence[Guide], nuclease: Nuclease, **kw) -> pd.DataFrame:
    """Search ``genome`` for sites of ``guides``: a DataFrame with :data:`COLUMNS` (see the module docstring;
    keyword arguments as :func:`search_batches`)."""
    import pandas as pd

    from cgtsafe.offtarget.hits import columns

    guides = validate_guides(list(guides), nuclease)
    names = [g.name for g in guides]
    batches = list(search_batches(genome, guides, nuclease, **kw))
    parts = [columns(b, names) for b in batches]
    data = {c: [x for p in parts for x in p[c]] if c in _OBJ_COLUMNS else
            np.concatenate([np.asarray(p[c]) for p in parts]) if parts else [] for c in COLUMNS}
    df = pd.DataFrame({c: data[c] for c in COLUMNS}, columns=list(COLUMNS))
    if len(batches) > 1:  # batches are contigs in genome order: guide-major order is a stable sort by guide
        gidx = np.concatenate([b.guide for b in batches])
        df = df.iloc[np.argsort(gidx, kind="stable")].reset_index(drop=True)
    for col in _INT_COLUMNS:
        df[col] = df[col].astype(np.int64)
    for col in ("cfd", "mit"):
        df[col] = df[col].astype(float)
    return df


search_genome.__doc__ += _SEARCH_DOC
_INT_COLUMNS = ("start", "end", "mismatches", "dna_bulge", "rna_bulge", "cut_start", "cut_end")
_OBJ_COLUMNS = ("guide", "chrom", "strand", "site", "pam", "pam_class", "guide_aln", "site_aln", "score_basis")


def search_rows(genome, guides: Sequence[Guide], nuclease: Nuclease, **kw) -> list[tuple]:
    """The rows of :func:`search_genome` as tuples in :data:`COLUMNS` order (small searches, tests)."""
    df = search_genome(genome, guides, nuclease, **kw)
    return list(df.itertuples(index=False, name=None))


def search_batches(
    genome,
    guides: Sequence[Guide],
    nuclease: Nuclease,
    *,
    max_mismatches: int,
    max_dna_bulge: int = 0,
    max_rna_bulge: int = 0,
    pam: str | None = None,
    contigs: Sequence[str] | None = None,
    threads: int | None = None,
    chunk: tuple[int, int] | None = None,
    alternative_pams: bool = True,
    max_bulge_mismatches: int | None = None,
    max_bulges: int | None = None,
    end_bulges: bool = False,
):
    """The hits one contig at a time (genome order) as :class:`cgtsafe.offtarget.hits.HitBatch`, rows sorted
    by guide, start, strand, end: memory is bounded by one contig (see :func:`hits.write_batches`)."""
    from cgtsafe.io.fasta import RawFastaRecord
    from cgtsafe.offtarget import _kernels
    from cgtsafe.offtarget import _render_kernels as R

    check_limits(max_mismatches, max_dna_bulge, max_rna_bulge, max_bulges)
    if max_bulges is not None:  # the total caps each kind too
        max_dna_bulge, max_rna_bulge = min(max_dna_bulge, max_bulges), min(max_rna_bulge, max_bulges)
    else:
        max_bulges = max_dna_bulge + max_rna_bulge
    if max_bulge_mismatches is None:
        max_bulge_mismatches = max_mismatches
    elif not isinstance(max_bulge_mismatches, (int, np.integer)) or not 0 <= max_bulge_mismatches <= max_mismatches:
        raise InputError(f"max_bulge_mismatches must be an integer 0..max_mismatches ({max_mismatches}), "
                         f"got {max_bulge_mismatches!r}")
    guides = validate_guides(list(guides), nuclease)
    if pam is not None:
        patterns = [validate_pam(pam)]
    else:
        patterns = [nuclease.pam, *(nuclease.alt_pams if alternative_pams else ())]
    if chunk is not None:
        i, n = chunk
        if not (isinstance(i, int) and isinstance(n, int) and n >= 1 and 1 <= i <= n):
            raise InputError(f"chunk must be (i, n) with 1 <= i <= n, got {chunk!r}")
    if chunk is not None and not isinstance(genome, (str, Path, Mapping)):
        genome = load_genome(genome, contigs)  # chunking needs the lengths first
    L = nuclease.spacer_length
    P = len(patterns[0])
    if L + P > 32:
        raise InputError(f"spacer ({L} nt) + PAM ({P} nt) longer than 32 nt is not supported")
    pam_masks = _pam_masks(patterns)
    pam_tab = _kernels.pam_table(pam_masks)
    gcodes, gprox, lanes = _guide_arrays(guides, L, nuclease.pam_side)
    # strand 0 = +, 1 = -; PAM right of the protospacer on the + axis?
    three = nuclease.pam_side == "3prime"
    pam_right = np.array([three, not three], dtype=np.bool_)
    nthreads = _kernels.n_threads(threads)
    tables = _render_tables(guides, patterns, nuclease)
    owned: dict[str, tuple[int, int]] | None = None
    if chunk is not None:
        lengths = _genome_lengths(genome, contigs)
        owned = dict(zip(lengths, chunk_ranges(list(lengths.values()), chunk)))
    off_a, off_b = nuclease.cut_offsets
    for name, seq in _iter_genome(genome, contigs):
        # load (or, on a cold cache, compile with a notice) the kernels once the first record has been read, so
        # that a missing or non-FASTA genome is its one error line, not preceded by the compile notice
        _kernels.warm(bulges=max_dna_bulge > 0 or max_rna_bulge > 0)
        if isinstance(seq, RawFastaRecord):  # from iter_fasta_raw: joined and checked here, without the GIL
            seq = _kernels.pack_record(seq, nthreads)
        if owned is None:
            lo, hi = 0, len(seq)
        else:
            if name not in owned or lengths[name] != len(seq):
                raise InputError(f"contig {name}: the .fai index does not match the FASTA (length "
                                 f"{lengths.get(name)} vs {len(seq)}); re-index the genome")
            lo, hi = owned[name]
        if hi <= lo:
            continue
        codes = seq if isinstance(seq, np.ndarray) else np.frombuffer(seq, dtype=np.uint8)
        hits = _kernels.scan(codes, lo, hi, L=L, P=P, pam_right=pam_right, pam_masks=pam_masks, pam_tab=pam_tab,
                             gcodes=gcodes,
                             lanes=lanes, gprox=gprox, max_mm=int(max_mismatches), max_d=int(max_dna_bulge),
                             max_r=int(max_rna_bulge), max_mmb=int(max_bulge_mismatches), max_b=int(max_bulges),
                             ends=bool(end_bulges), threads=nthreads)
        if not len(hits):
            continue
        # sort_hits order within the contig (stable, keys unique): guide, start, strand ('+' < '-'), end
        ops, mms = _kernels.traceback_batch(codes, _kernels.LUT, hits, L, P, pam_right, gprox, int(max_dna_bulge),
                                            int(max_rna_bulge), bool(end_bulges))
        if not np.array_equal(mms, hits[:, 3]):
            raise AssertionError(f"internal: scan and traceback disagree on {name}")
        start, end, site, site_len, pam_b, galn, saln, aln_len, bf, bf_ok = R.render(
            codes, hits, ops, L, P, three, pam_right, tables["guides"], tables["pats"], *tables["case"])
        order = np.lexsort((end, hits[:, 1], start, hits[:, 0]))
        hits, start, end, site, site_len, pam_b, galn, saln, aln_len, bf, bf_ok = (
            x[order] for x in (hits, start, end, site, site_len, pam_b, galn, saln, aln_len, bf, bf_ok))
        q = hits[:, 2]
        pr = pam_right[hits[:, 1]]
        ca = np.where(pr, q - off_a, q + P + off_a)
        cb = np.where(pr, q - off_b, q + P + off_b)
        bulged = ((hits[:, 4] + hits[:, 5]) > 0).astype(np.uint8)
        if tables["scoreable"]:
            cfd, mit, basis = R.score(bf, bf_ok, bulged, tables["gcode"], hits[:, 0], tables["code"], *tables["cfd"],
                                      int(max_mismatches))
        else:
            cfd = mit = np.full(len(hits), np.nan)
            basis = np.full(len(hits), 2, dtype=np.int8)
        yield HitBatch(chrom=name, guide=hits[:, 0].copy(), start=start, end=end, strand=hits[:, 1].astype(np.int8),
                       site=site, site_len=site_len, mismatches=hits[:, 3].copy(), dna_bulge=hits[:, 4].copy(),
                       rna_bulge=hits[:, 5].copy(), pam=pam_b, pam_class=(hits[:, 6] >= 1).astype(np.int8),
                       cut_start=np.minimum(ca, cb), cut_end=np.maximum(ca, cb), guide_aln=galn, site_aln=saln,
                       aln_len=aln_len, cfd=cfd, mit=mit, score_basis=basis)


search_batches.__doc__ += _SEARCH_DOC


def _render_tables(guides: Sequence[Guide], patterns: Sequence[str], nuclease: Nuclease) -> dict:
    """Byte tables of the render and score kernels (ASCII guides/patterns, case and complement maps, CFD/MIT)."""
    from cgtsafe.offtarget.scoring import _tables, scoreable

    L = nuclease.spacer_length
    ident = bytes(range(256))
    comp = np.frombuffer(ident.translate(bytes.maketrans(b"ACGTRYKMBDHVNacgtrykmbdhvn", b"TGCAYRMKVHDBNtgcayrmkvhdbn")),
                         dtype=np.uint8)
    upper = np.frombuffer(ident.upper(), dtype=np.uint8)
    lower = np.frombuffer(ident.lower(), dtype=np.uint8)
    code = np.full(256, 4, dtype=np.uint8)
    for ch, v in zip(b"ACGTacgt", (0, 1, 2, 3, 0, 1, 2, 3)):
        code[ch] = v
    g_ascii = np.array([list(g.spacer.encode()) for g in guides], dtype=np.uint8).reshape(len(guides), L)
    out = {"guides": g_ascii, "pats": np.array([list(p.encode()) for p in patterns], dtype=np.uint8),
           "case": (comp, upper, lower), "code": code, "gcode": code[g_ascii],
           "scoreable": scoreable(nuclease) and len(patterns[0]) == 3}
    if out["scoreable"]:
        mm, pam, w = _tables()
        idx = {"A": 0, "C": 1, "G": 2, "T": 3, "U": 3}
        mmtab = np.full((20, 4, 4), np.nan)
        for (pos, rna, dna), v in mm.items():
            mmtab[pos - 1, idx[rna], idx[dna]] = v
        pamtab = np.full((4, 4), np.nan)
        for di, v in pam.items():
            pamtab[idx[di[0]], idx[di[1]]] = v
        out["cfd"] = (mmtab, pamtab, np.array(w, dtype=float))
    return out


def write_search(batches, guides: Sequence[Guide], path: str | Path, *, bed: str | Path | None = None) -> int:
    """Stream the search's batches to the hit table ``path`` (.tsv, .tsv.gz, .parquet) and optional BED6;
    returns the number of rows (see :func:`cgtsafe.offtarget.hits.write_batches`)."""
    from cgtsafe.offtarget.hits import write_batches

    return write_batches(batches, [g.name for g in guides], path, columns_=COLUMNS, bed=bed)
