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
  ``site_aln``. ``cfd``/``mit``: see :mod:`cgtsafe.offtarget.scoring` (NaN where undefined).
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
:func:`search_rows` loads them (``_kernels.warm``) before it waits for the first contig. This module and
:func:`search_rows` do not import pandas (start-up time of the CLI); :func:`search_genome` wraps the
rows in a DataFrame and :func:`write_rows` writes them as ``write_table`` would (same bytes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.offtarget.nuclease import IUPAC, Nuclease, pam_matches, validate_pam

COLUMNS = (
    "guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge", "pam",
    "pam_class", "cut_start", "cut_end", "guide_aln", "site_aln", "cfd", "mit",
)  # fmt: skip

LIMITS = {"max_mismatches": (0, 6), "max_dna_bulge": (0, 2), "max_rna_bulge": (0, 2), "max_bulges": (0, 4)}

_COMP = str.maketrans("ACGTRYKMBDHVNacgtrykmbdhvn", "TGCAYRMKVHDBNtgcayrmkvhdbn")
_BIT = {"A": 1, "C": 2, "G": 4, "T": 8}


@dataclass(frozen=True)
class Guide:
    """A guide spacer (upper case A/C/G/T, 5'->3', without PAM)."""

    name: str
    spacer: str


def revcomp(seq: str) -> str:
    return seq.translate(_COMP)[::-1]


# ----------------------------------------------------------------------------------------------
# input
# ----------------------------------------------------------------------------------------------
def validate_guides(guides: Sequence[Guide], nuclease: Nuclease, *, path: str | Path | None = None) -> list[Guide]:
    """Check guides (letters, length, PAM attached, duplicate names); return them upper-cased."""
    out: list[Guide] = []
    seen: dict[str, int] = {}
    L = nuclease.spacer_length
    for idx, g in enumerate(guides):
        line = idx + 2 if path is not None else None
        name = str(g.name).strip()
        spacer = str(g.spacer).strip().upper()
        if not name:
            raise InputError("empty guide name", path=path, line=line)
        if name in seen:
            raise InputError(f"guide name {name!r} occurs twice (also line {seen[name]}); names must be unique",
                             path=path, line=line)
        seen[name] = idx + 2
        if not spacer or any(c not in "ACGT" for c in spacer):
            bad = next((c for c in spacer if c not in "ACGT"), "")
            raise InputError(f"guide {name}: spacer {g.spacer!r} has {'no bases' if not spacer else repr(bad)}; "
                             "expected A/C/G/T only", path=path, line=line)
        P = nuclease.pam_length
        if len(spacer) == L + P:
            tail = spacer[L:] if nuclease.pam_side == "3prime" else spacer[:P]
            if any(pam_matches(p, tail) for p in (nuclease.pam, *nuclease.alt_pams)):
                raise InputError(f"guide {name} looks like spacer+PAM ({len(spacer)} nt ending in {tail}); "
                                 f"give the {L}-nt spacer only", path=path, line=line)
        if len(spacer) != L:
            raise InputError(f"guide {name}: spacer has {len(spacer)} nt; {nuclease.name} expects {L} nt",
                             path=path, line=line)
        out.append(Guide(name, spacer))
    if not out:
        raise InputError("no guides given", path=path)
    return out


#: column names accepted for the guide name and the spacer, first match wins (case-insensitive)
NAME_COLUMNS = ("name", "guide", "guide_name", "guide_id", "id")
SPACER_COLUMNS = ("spacer", "spacer_20nt", "spacer_sequence", "guide_seq20", "protospacer", "sequence", "query",
                  "guide_sequence", "sgrna", "seq")


def _pick_columns(header: Sequence[str], path) -> tuple[int, int]:
    """Indexes of the name and spacer columns of a guide table header (see NAME_/SPACER_COLUMNS)."""
    low = [str(h).strip().lower() for h in header]
    i_name = next((low.index(c) for c in NAME_COLUMNS if c in low), None)
    i_spacer = next((low.index(c) for c in SPACER_COLUMNS if c in low), None)
    if i_spacer is None or i_name is None or i_name == i_spacer:
        what = "spacer" if i_spacer is None else "name"
        allowed = SPACER_COLUMNS if i_spacer is None else NAME_COLUMNS
        raise InputError(f"guide table has no {what} column (columns: {', '.join(map(str, header))}); expected a "
                         f"tab-separated header with one of {', '.join(allowed)} (e.g. 'name<TAB>spacer'): rename the "
                         "column", path=path, line=1)
    return i_name, i_spacer


def _strip_query_pam(spacer: str, nuclease: Nuclease) -> str:
    """A Cas-OFFinder-style query (spacer + ``N`` x PAM length on the PAM side, e.g. ``...NNN``) -> spacer."""
    s = str(spacer).strip()
    P = nuclease.pam_length
    if len(s) == nuclease.spacer_length + P:
        tail = s[-P:] if nuclease.pam_side == "3prime" else s[:P]
        if tail.upper() == "N" * P:
            return s[:-P] if nuclease.pam_side == "3prime" else s[P:]
    return s


def read_guides(path: str | Path, nuclease: Nuclease) -> list[Guide]:
    """Read a guide table: TSV (or Parquet) with a name column and a spacer column; accepted names in
    :data:`NAME_COLUMNS` / :data:`SPACER_COLUMNS` (e.g. ``name``/``spacer``, ``spacer_20nt``); a spacer
    written as a Cas-OFFinder query (spacer + ``NNN``) is taken as the spacer. Other columns are ignored."""
    pairs = _read_guides_plain(path)
    if pairs is None:  # anything but a plain, simple TSV: the general (pandas) reader
        from cgtsafe.io.tables import read_table

        df = read_table(path, what="guide table")
        i_name, i_spacer = _pick_columns(list(df.columns), path)
        pairs = list(zip(df.iloc[:, i_name], df.iloc[:, i_spacer]))
    if not pairs:
        raise InputError("guide table has no rows", path=path)
    return validate_guides([Guide(n, _strip_query_pam(s, nuclease)) for n, s in pairs], nuclease, path=path)


def read_guide_names(path: str | Path) -> list[str]:
    """Guide names of a guide table in table order (as :func:`read_guides` finds the name column)."""
    from cgtsafe.io.tables import read_table

    df = read_table(path, what="guide table")
    return [str(x) for x in df.iloc[:, _pick_columns(list(df.columns), path)[0]]]


def _read_guides_plain(path: str | Path) -> list[tuple[str, str]] | None:
    """``(name, spacer)`` pairs of a plain UTF-8 TSV without quotes, CR, BOM or ragged rows, read
    without pandas (start-up time of the CLI); None for anything else (the caller then uses
    :func:`cgtsafe.io.tables.read_table`, which gives the same values for the simple files taken here)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".parquet", ".gz", ".bz2", ".zip", ".xz", ".zst", ".tar", ".csv")) or not path.is_file():
        return None
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text or any(c in text for c in ('"', "\r", "\ufeff", "\x00")):
        return None
    lines = [ln for ln in text.split("\n") if ln != ""]
    if not lines:
        return None
    header = lines[0].split("\t")
    if len(set(header)) != len(header) or "" in header:
        return None
    if any(h != h.strip() or h.startswith("Unnamed") for h in header):
        return None
    i_name, i_spacer = _pick_columns(header, path)
    out = []
    for ln in lines[1:]:
        fields = ln.split("\t")
        if len(fields) != len(header) or not ln.strip():
            return None
        out.append((fields[i_name], fields[i_spacer]))
    return out


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
            lengths: dict[str, int] = {}
            for lineno, line in enumerate(fai.read_text().splitlines(), start=1):
                fields = line.split("\t")
                if len(fields) < 2 or not fields[1].isdigit():
                    raise InputError("malformed .fai index line: expected NAME<TAB>LENGTH...", path=fai, line=lineno)
                lengths[fields[0]] = int(fields[1])
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
# alignment reconstruction (pure Python; only for reported loci)
# ----------------------------------------------------------------------------------------------
def _render(gp: str, tp: str, ops) -> tuple[str, str]:
    """Alignment strings in PAM-proximal-first order (guide side, site side; mismatches lower case).

    ``ops``: columns from the PAM outwards, 0 base pair, 1 DNA bulge, 2 RNA bulge, -1 padding.
    """
    ga, sa = [], []
    i = j = 0
    for op in ops:
        if op == 0:
            g, t = gp[i], tp[j]
            ga.append(g)
            sa.append(t if t == g else t.lower())
            i += 1
            j += 1
        elif op == 1:
            ga.append("-")
            sa.append(tp[j])
            j += 1
        elif op == 2:
            ga.append(gp[i])
            sa.append("-")
            i += 1
    return "".join(ga), "".join(sa)


# ----------------------------------------------------------------------------------------------
# the search
# ----------------------------------------------------------------------------------------------
def search_genome(
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
) -> pd.DataFrame:
    """Search ``genome`` for sites of ``guides`` (see the module docstring for rules and columns).

    ``pam`` overrides the nuclease's PAM (then no alternative PAMs are searched);
    ``alternative_pams=False`` searches the canonical PAM only; ``max_bulge_mismatches`` limits the
    mismatches of alignments that have a bulge (default: ``max_mismatches``). It is a limit on the
    alignments, applied before the one-hit-per-locus choice: a locus whose bulged alignments all exceed
    it is still reported with its best bulge-free alignment when that is within ``max_mismatches``.
    """
    rows = search_rows(genome, guides, nuclease, max_mismatches=max_mismatches, max_dna_bulge=max_dna_bulge,
                       max_rna_bulge=max_rna_bulge, pam=pam, contigs=contigs, threads=threads, chunk=chunk,
                       alternative_pams=alternative_pams, max_bulge_mismatches=max_bulge_mismatches,
                       max_bulges=max_bulges, end_bulges=end_bulges)
    return rows_frame(rows)


_INT_COLUMNS = ("start", "end", "mismatches", "dna_bulge", "rna_bulge", "cut_start", "cut_end")


def rows_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    """DataFrame of :func:`search_rows` rows (same dtypes as always: int64, object strings, float64 scores)."""
    import pandas as pd

    df = pd.DataFrame([r[:-2] for r in rows], columns=list(COLUMNS[:-2]))
    df["cfd"] = np.array([r[-2] for r in rows], dtype=float)
    df["mit"] = np.array([r[-1] for r in rows], dtype=float)
    for col in _INT_COLUMNS:
        df[col] = df[col].astype(np.int64)
    return df


def search_rows(
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
) -> list[tuple]:
    """The rows of :func:`search_genome` as tuples in :data:`COLUMNS` order, sorted (no pandas).

    ``pam`` overrides the nuclease's PAM (then no alternative PAMs are searched);
    ``alternative_pams=False`` searches the canonical PAM only; ``max_bulge_mismatches`` limits the
    mismatches of alignments that have a bulge (default: ``max_mismatches``). It is a limit on the
    alignments, applied before the one-hit-per-locus choice: a locus whose bulged alignments all exceed
    it is still reported with its best bulge-free alignment when that is within ``max_mismatches``.
    """
    from cgtsafe.io.fasta import RawFastaRecord
    from cgtsafe.offtarget import _kernels
    from cgtsafe.offtarget.scoring import score_values

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
    n_canonical = 1
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
    # load the cached kernels now, while a prefetching reader may still be decompressing the genome
    _kernels.warm(bulges=max_dna_bulge > 0 or max_rna_bulge > 0)
    owned: dict[str, tuple[int, int]] | None = None
    if chunk is not None:
        lengths = _genome_lengths(genome, contigs)
        owned = dict(zip(lengths, chunk_ranges(list(lengths.values()), chunk)))
    rows: list[tuple] = []
    contig_rank = {}
    for ci, (name, seq) in enumerate(_iter_genome(genome, contigs)):
        contig_rank[name] = ci
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
        if len(hits):
            ops, mms = _kernels.traceback_batch(codes, _kernels.LUT, hits, L, P, pam_right, gprox, int(max_dna_bulge),
                                                int(max_rna_bulge), bool(end_bulges))
            if not np.array_equal(mms, hits[:, 3]):
                raise AssertionError(f"internal: scan and traceback disagree on {name}")
            rows.extend(_build_rows(name, codes, hits, ops, guides, nuclease, patterns, n_canonical, P))
    cfd, mit = score_values([r[9] for r in rows], [r[5] for r in rows], [r[13] for r in rows],
                            [r[7] for r in rows], [r[8] for r in rows], nuclease)
    guide_rank = {g.name: k for k, g in enumerate(guides)}
    # sort_hits order (stable): guide, contig, start, strand, end
    order = sorted(range(len(rows)), key=lambda k: (guide_rank[rows[k][0]], contig_rank[rows[k][1]], rows[k][2],
                                                   rows[k][4], rows[k][3]))
    return [(*rows[k], cfd[k], mit[k]) for k in order]


def sort_hits(df: pd.DataFrame, contig_order: Mapping[str, int] | Sequence[str],
              guide_order: Mapping[str, int] | Sequence[str] | None = None) -> pd.DataFrame:
    """Sort hits by guide (given order, else name), contig (genome order), start, strand, end."""
    import pandas as pd
    if not isinstance(contig_order, Mapping):
        contig_order = {c: k for k, c in enumerate(contig_order)}
    if guide_order is not None and not isinstance(guide_order, Mapping):
        guide_order = {c: k for k, c in enumerate(guide_order)}
    key = pd.DataFrame({
        "g": df["guide"].map(guide_order) if guide_order is not None else df["guide"],
        "c": df["chrom"].map(contig_order),
        "s": df["start"],
        "t": df["strand"],
        "e": df["end"],
    })
    order = key.sort_values(["g", "c", "s", "t", "e"], kind="mergesort").index
    out = df.loc[order].reset_index(drop=True)
    for col in ("start", "end", "mismatches", "dna_bulge", "rna_bulge", "cut_start", "cut_end"):
        out[col] = out[col].astype(np.int64)
    return out


def _build_rows(name, seq: np.ndarray, hits: np.ndarray, ops_all: np.ndarray, guides, nuclease: Nuclease, patterns,
                n_canonical, P):
    L = nuclease.spacer_length
    three = nuclease.pam_side == "3prime"
    off_a, off_b = nuclease.cut_offsets
    n = len(seq)
    for (g, s, q, mm, d, r, k), ops in zip(hits.tolist(), ops_all.tolist()):
        glen = L + d - r  # genomic protospacer length
        plus = s == 0
        pam_right = three == plus
        if pam_right:
            start, end = q - glen, q + P
        else:
            start, end = q, q + P + glen
        assert 0 <= start and end <= n
        site_plus = seq[start:end].tobytes().decode()
        site = site_plus if plus else revcomp(site_plus)
        pam_seq = (site[-P:] if three else site[:P]).upper()
        proto = site[:-P] if three else site[P:]
        guide = guides[g].spacer
        # PAM-proximal-first strings, upper case for comparison
        gp = guide[::-1] if three else guide
        tp_full = proto[::-1] if three else proto
        tp_up = tp_full.upper()
        ga, sa = _render(gp, tp_up, ops)
        if three:
            guide_aln = ga[::-1] + patterns[k]
            site_aln = sa[::-1] + pam_seq
        else:
            guide_aln = patterns[k] + ga
            site_aln = pam_seq + sa
        # cut positions relative to the PAM (genomic bases), "base right of the break" on + axis
        if pam_right:
            cuts = (q - off_a, q - off_b)
        else:
            cuts = (q + P + off_a, q + P + off_b)
        yield (
            guides[g].name, name, start, end, "+" if plus else "-", site, mm, d, r, pam_seq,
            "canonical" if k < n_canonical else "alternative", min(cuts), max(cuts), guide_aln, site_aln,
        )


def bed_frame(df: pd.DataFrame) -> pd.DataFrame:
    """BED6 of the hits: chrom, start, end (0-based, exclusive), name ``guide|mmN|bulgeB``,
    score ``round(cfd * 1000)`` (0 where CFD is undefined), strand. Same row order as ``df``."""
    import pandas as pd
    cfd = df["cfd"].to_numpy(dtype=float) if len(df) else np.zeros(0)
    score = np.where(np.isnan(cfd), 0, np.floor(cfd * 1000 + 0.5)).astype(np.int64)
    names = [f"{g}|mm{m}|bulge{d + r}" for g, m, d, r in
             zip(df["guide"], df["mismatches"], df["dna_bulge"], df["rna_bulge"])]
    return pd.DataFrame({"chrom": df["chrom"], "start": df["start"], "end": df["end"], "name": names,
                         "score": score, "strand": df["strand"]})


# ----------------------------------------------------------------------------------------------
# output without pandas (the CLI's start-up time); byte-identical to cgtsafe.io.tables.write_table
# ----------------------------------------------------------------------------------------------
_FLOAT_FORMAT = "%.6g"  # cgtsafe.io.tables.FLOAT_FORMAT


def _tsv_text(header: Sequence[str] | None, rows, float_cols: Sequence[int] = ()) -> str:
    """Rows as pandas ``to_csv(sep="\\t", index=False, float_format="%.6g", lineterminator="\\n")`` writes
    them (csv module, minimal quoting; NaN as an empty field)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n", quotechar='"', quoting=csv.QUOTE_MINIMAL,
                   doublequote=True)
    if header is not None:
        w.writerow(header)
    fc = set(float_cols)
    for row in rows:
        w.writerow([("" if v != v else _FLOAT_FORMAT % v) if k in fc else v for k, v in enumerate(row)])
    return buf.getvalue()


def _write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path`` and rename it into place (as write_table)."""
    import os
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_rows(rows: Sequence[tuple], path: str | Path) -> None:
    """Write :func:`search_rows` rows as the hit table: ``.tsv`` and ``.tsv.gz`` directly (same bytes as
    ``write_table(rows_frame(rows), path)``), ``.parquet`` through pandas."""
    name = Path(path).name.lower()
    if name.endswith(".tsv.gz"):
        import gzip
        import io

        text = _tsv_text(COLUMNS, rows, (15, 16)).encode()
        raw = io.BytesIO()
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(text)
        _write_atomic(path, raw.getvalue())
    elif name.endswith((".tsv", ".txt")):
        _write_atomic(path, _tsv_text(COLUMNS, rows, (15, 16)).encode())
    else:
        from cgtsafe.io.tables import write_table

        write_table(rows_frame(rows), path)


def write_rows_bed(rows: Sequence[tuple], path: str | Path) -> None:
    """BED6 of :func:`search_rows` rows (same bytes as :func:`bed_frame` written without header)."""
    import math

    bed = []
    for r in rows:
        cfd = r[15]
        score = 0 if cfd != cfd else int(math.floor(cfd * 1000 + 0.5))
        bed.append((r[1], r[2], r[3], f"{r[0]}|mm{r[6]}|bulge{r[7] + r[8]}", score, r[4]))
    _write_atomic(path, _tsv_text(None, bed).encode())
