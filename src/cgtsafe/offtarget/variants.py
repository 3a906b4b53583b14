"""Variant-aware off-target search: sites created or strengthened by donor / cell-line / population variants.

The reference genome is one haplotype; a donor or a cell line carries variants that can create a
site (e.g. restore a broken PAM) or lower the mismatch/bulge count of a site. For every ALT allele
(SNV or small indel, up to ``MAX_INDEL`` bp) of a VCF, this module builds the local REF and ALT
haplotype: the allele plus ``W`` reference bases on each side, ``W`` = spacer length + PAM length +
maximum DNA bulges + maximum RNA bulges, so every site that overlaps the allele fits completely. Both
haplotypes are searched with :func:`cgtsafe.offtarget.search.search_genome` (same nuclease, PAM and
limits as the genome search; the windows are laid end to end, separated by N runs, see
:func:`search_windows`). An ALT-haplotype site that overlaps the allele is reported when

* ``created``: the REF haplotype has no site of the same guide and strand at that locus (cut
  positions within ``merge.LOCUS_WINDOW`` bp) within the limits, or only one with an alternative
  (non-canonical) PAM while the ALT site has the canonical PAM;
* ``lowered``: the REF site at the locus has a higher cost (mismatches + 2 x bulges, the cost used to
  collapse overlapping loci in :mod:`cgtsafe.offtarget.annotate`), or the same cost with more bulges.

Before the comparison both haplotypes' hits get the same treatment as the genome-wide sites: bulged
hits above ``max_bulge_mismatches`` are dropped and overlapping loci are collapsed.

Input: VCF 4.x (plain, gzip or bgzip) or BCF (decoded with pysam/htslib), see :func:`read_vcf`.
Multi-allelic records give one allele each (``INFO/AF`` per allele, Number=A); genotypes: any ploidy,
phased or not, missing (``.``) alleles ignored; an allele counts as carried when any sample's GT names it.

Each ALT allele is applied alone (nearby variants on the same haplotype are not combined).
Symbolic alleles (``<DEL>``, ``*``), alleles longer than ``MAX_INDEL`` bp, records whose FILTER
is not ``PASS``/``.``, and, when the VCF has genotypes (FORMAT/GT), ALT alleles that no sample carries
are skipped and counted in the exclusions of the summary. A sites-only VCF (population allele
frequencies) has all its ALT alleles tested.

Output columns (``variants_<label>.tsv``):

``variant_set`` label of the VCF (config); ``variant_id`` ``{chrom}:{pos}:{ref}:{alt}`` (VCF, 1-based pos);
``vcf_id`` the VCF ID column; ``var_chrom``; ``pos`` 1-based VCF position; ``ref``; ``alt``; ``af`` INFO/AF of
that ALT allele (empty when absent); ``effect`` created/lowered; ``ref_mismatches``, ``ref_dna_bulge``,
``ref_rna_bulge``, ``ref_cfd``, ``ref_site`` of the REF site at the locus (empty when none within limits);
``alt_mismatches`` and the ALT site's fields ``site_id guide chrom start end strand site mismatches
dna_bulge rna_bulge pam pam_class cut_start cut_end guide_aln site_aln cfd mit`` with the same coordinate
convention as ``sites.tsv``: ``start`` 0-based leftmost reference position of protospacer+PAM, ``end``
exclusive (reference coordinates; for an indel the ALT site length differs from ``end - start``),
``cut_start``/``cut_end`` 0-based reference coordinate of the base right of the break; ``site`` is the
ALT-haplotype sequence 5'->3' on the hit strand. ``gene``, ``feature``, ``gene_of_concern``,
``gene_of_concern_name`` annotate the cut position (see :mod:`cgtsafe.offtarget.annotate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import open_text_bytes
from cgtsafe.offtarget.annotate import is_canonical_pam
from cgtsafe.offtarget.merge import LOCUS_WINDOW

MAX_INDEL = 50
_ALLELE = re.compile(r"^[ACGTNacgtn]+$")

VARIANT_COLUMNS = (
    "variant_set", "variant_id", "vcf_id", "var_chrom", "pos", "ref", "alt", "af", "effect", "ref_mismatches",
    "ref_dna_bulge", "ref_rna_bulge", "ref_cfd", "ref_site", "alt_mismatches", "site_id", "guide", "chrom", "start",
    "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge", "pam", "pam_class", "cut_start", "cut_end",
    "guide_aln", "site_aln", "cfd", "mit",
)


@dataclass(frozen=True)
class Allele:
    chrom: str
    pos: int  # 1-based (VCF)
    vcf_id: str
    ref: str
    alt: str
    af: float | None
    line: int | None  # 1-based line of the VCF (None for BCF records)

    @property
    def variant_id(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}:{self.alt}"


@dataclass
class VcfReadResult:
    alleles: list[Allele]
    skipped: dict[str, int]


def read_vcf(path: str | Path, genome_lengths: dict[str, int], genome_seq=None) -> VcfReadResult:
    """Parse a plain / gzip / bgzip VCF or a BCF; validate every record; return the ALT alleles to test.

    A BCF is decoded by htslib (``pysam.VariantFile``) and each record, as htslib writes it as VCF text,
    goes through the same checks as a text VCF's line (errors name ``record N``). A text VCF is read line
    by line here so that every error names its line: htslib reports malformed text records without a line
    number and reads a non-numeric value of a Float INFO field (e.g. ``AF=high``) as missing.

    ``genome_seq(chrom, start0, end0) -> str`` (optional) checks that REF matches the reference.
    Errors (one line, file + line): missing ``#CHROM`` header, fewer than 8 columns, non-integer
    POS, bad REF/ALT letters, contig not in the reference genome, POS beyond the contig, REF not
    matching the reference.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("VCF not found", path=path)
    alleles: list[Allele] = []
    skipped = {"filtered": 0, "symbolic": 0, "too_long": 0, "not_carried": 0}
    if _is_bcf(path):
        for recno, line in _bcf_lines(path):
            where = f"{path}, record {recno}"  # BCF has no lines: errors name the record
            alleles.extend(_parse_record(line, None, where, genome_lengths, genome_seq, skipped))
        return VcfReadResult(alleles, skipped)
    seen_header = False
    try:
        fh = open_text_bytes(path)
        with fh:
            for lineno, raw in enumerate(fh, start=1):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    continue
                if line.startswith("##"):
                    continue
                if line.startswith("#"):
                    if not line.startswith("#CHROM"):
                        raise InputError("expected the '#CHROM POS ID REF ALT QUAL FILTER INFO' header line",
                                         path=path, line=lineno)
                    seen_header = True
                    continue
                if not seen_header:
                    raise InputError("not a VCF: record before the '#CHROM' header line", path=path, line=lineno)
                alleles.extend(_parse_record(line, lineno, path, genome_lengths, genome_seq, skipped))
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read VCF ({exc})", path=path) from None
    if not seen_header:
        raise InputError("not a VCF: no '#CHROM' header line", path=path)
    return VcfReadResult(alleles, skipped)


def _is_bcf(path: Path) -> bool:
    """BCF (binary VCF, BGZF-compressed or not): the decompressed stream starts with ``BCF\\2``."""
    import gzip

    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(4)
        except (OSError, EOFError):
            return False
    return head[:3] == b"BCF"


def _bcf_lines(path: Path):
    """``(record number, VCF text line)`` of a BCF file decoded by htslib (pysam.VariantFile); the lines go
    through the same checks as a text VCF's (errors name the record number instead of a line)."""
    import pysam

    try:
        vf = pysam.VariantFile(str(path))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read BCF ({exc})", path=path) from None
    with vf:
        it = iter(vf)
        recno = 0
        while True:
            recno += 1
            try:
                rec = next(it)
            except StopIteration:
                return
            except (OSError, ValueError) as exc:
                raise InputError(f"record {recno}: htslib cannot decode this BCF record ({exc})", path=path) from None
            yield recno, str(rec).rstrip("\n")


def _parse_record(line, lineno, path, lengths, genome_seq, skipped) -> list[Allele]:
    f = line.split("\t")
    if len(f) < 8:
        raise InputError(f"VCF record has {len(f)} tab-separated columns; expected at least 8 "
                         "(CHROM POS ID REF ALT QUAL FILTER INFO)", path=path, line=lineno)
    chrom, pos_s, vid, ref, alt_s, _qual, filt, info = f[:8]
    if chrom not in lengths:
        some = ", ".join(list(lengths)[:5])
        raise InputError(f"VCF contig {chrom!r} is not in the reference genome (contigs: {some}"
                         f"{', ...' if len(lengths) > 5 else ''}); is the VCF on another genome build "
                         "or contig naming ('1' vs 'chr1')?", path=path, line=lineno)
    if not pos_s.isdigit() or int(pos_s) < 1:
        raise InputError(f"VCF POS must be a positive integer, found {pos_s!r}", path=path, line=lineno)
    pos = int(pos_s)
    if not _ALLELE.match(ref):
        raise InputError(f"VCF REF must be A/C/G/T/N letters, found {ref!r}", path=path, line=lineno)
    if pos - 1 + len(ref) > lengths[chrom]:
        raise InputError(f"VCF POS {pos} + REF length lies beyond the end of {chrom} ({lengths[chrom]} bp)",
                         path=path, line=lineno)
    if genome_seq is not None:
        gref = genome_seq(chrom, pos - 1, pos - 1 + len(ref)).upper()
        if gref != ref.upper() and "N" not in ref.upper():
            raise InputError(f"VCF REF {ref!r} does not match the reference genome ({gref!r} at {chrom}:{pos}); "
                             "is the VCF on another genome build?", path=path, line=lineno)
    if filt not in ("PASS", "."):
        skipped["filtered"] += 1
        return []
    afs: list[str] = []
    for kv in info.split(";"):
        if kv.startswith("AF="):
            afs = kv[3:].split(",")
    carried = _carried_alleles(f, lineno, path)
    out = []
    for i, alt in enumerate(alt_s.split(",")):
        if carried is not None and i + 1 not in carried:
            skipped["not_carried"] += 1
            continue
        if alt in (".", "*") or alt.startswith("<") or "[" in alt or "]" in alt:
            skipped["symbolic"] += 1
            continue
        if not _ALLELE.match(alt):
            raise InputError(f"VCF ALT allele {alt!r} is not A/C/G/T/N letters or a symbolic allele",
                             path=path, line=lineno)
        if max(len(ref), len(alt)) > MAX_INDEL + 1:
            skipped["too_long"] += 1
            continue
        af = None
        if i < len(afs) and afs[i] not in (".", ""):
            try:
                af = float(afs[i])
            except ValueError:
                raise InputError(f"INFO/AF value {afs[i]!r} is not a number", path=path, line=lineno) from None
        out.append(Allele(chrom, pos, vid, ref.upper(), alt.upper(), af, lineno))
    return out


def _carried_alleles(f: list[str], lineno: int, path) -> set[int] | None:
    """ALT allele indexes (1-based) present in any sample's GT; None when the VCF has no GT (sites-only)."""
    if len(f) < 10:
        return None
    keys = f[8].split(":")
    if "GT" not in keys:
        return None
    k = keys.index("GT")
    out: set[int] = set()
    for sample in f[9:]:
        vals = sample.split(":")
        gt = vals[k] if k < len(vals) else "."
        for a in gt.replace("|", "/").split("/"):
            if a in (".", ""):
                continue
            if not a.isdigit():
                raise InputError(f"genotype {gt!r} is not a VCF GT (e.g. 0/1, 1|0, ./.)", path=path, line=lineno)
            out.add(int(a))
    return out


@dataclass(frozen=True)
class Window:
    allele: Allele
    win_start: int  # 0-based reference start of the window
    left: int  # bases of reference before the allele in the window
    ref_seq: str
    alt_seq: str

    def alt_to_ref(self, x: int) -> int:
        """Reference coordinate of base ``x`` of the ALT window (inserted bases map to the allele)."""
        a = self.allele
        la, lr = len(a.alt), len(a.ref)
        if x < self.left:
            return self.win_start + x
        if x < self.left + la:
            return a.pos - 1 + min(x - self.left, lr - 1)
        return self.win_start + x + (lr - la)

    def ref_to_ref(self, x: int) -> int:
        return self.win_start + x


def make_windows(alleles: list[Allele], genome_seq, lengths: dict[str, int], flank: int) -> list[Window]:
    out = []
    for a in alleles:
        p0 = a.pos - 1
        ws = max(0, p0 - flank)
        we = min(lengths[a.chrom], p0 + len(a.ref) + flank)
        left = genome_seq(a.chrom, ws, p0)
        right = genome_seq(a.chrom, p0 + len(a.ref), we)
        ref = genome_seq(a.chrom, p0, p0 + len(a.ref))
        out.append(Window(a, ws, p0 - ws, left + ref + right, left + a.alt + right))
    return out


def _overlaps_allele(start: int, end: int, w: Window, alt: bool) -> bool:
    n = len(w.allele.alt if alt else w.allele.ref)
    lo, hi = w.left, w.left + max(n, 1)
    return start < hi and end > lo


def _edits(row) -> tuple[int, int]:
    """Cost used to compare two alignments of a locus: (mismatches + 2 x bulges, bulges), as in annotate."""
    b = int(row["dna_bulge"]) + int(row["rna_bulge"])
    return int(row["mismatches"]) + 2 * b, b


def compare_haplotypes(windows: list[Window], ref_hits: pd.DataFrame, alt_hits: pd.DataFrame,
                       label: str) -> pd.DataFrame:
    """Classify ALT-haplotype sites (created / lowered) against the REF-haplotype sites."""
    rows = []
    ref_by = {k: g for k, g in ref_hits.groupby("chrom")} if not ref_hits.empty else {}
    alt_by = {k: g for k, g in alt_hits.groupby("chrom")} if not alt_hits.empty else {}
    empty = pd.DataFrame()
    # only windows with an ALT-haplotype hit can yield a row
    for i in sorted(int(k[1:]) for k in alt_by):
        w = windows[i]
        a = w.allele
        refs = []
        for _, r in ref_by.get(f"w{i}", empty).iterrows():
            if _overlaps_allele(int(r["start"]), int(r["end"]), w, alt=False):
                refs.append(r)
        for _, h in alt_by[f"w{i}"].iterrows():
            if not _overlaps_allele(int(h["start"]), int(h["end"]), w, alt=True):
                continue
            g_start = w.alt_to_ref(int(h["start"]))
            g_end = w.alt_to_ref(int(h["end"]) - 1) + 1
            g_cut_s = w.alt_to_ref(int(h["cut_start"]))
            g_cut_e = w.alt_to_ref(int(h["cut_end"]))
            cands = [r for r in refs if r["guide"] == h["guide"] and r["strand"] == h["strand"]
                     and abs(w.ref_to_ref(int(r["cut_start"])) - g_cut_s) <= LOCUS_WINDOW]
            best = min(cands, key=lambda r: (*_edits(r), not is_canonical_pam(r["pam_class"]), int(r["start"]))) \
                if cands else None
            alt_e = _edits(h)
            effect = None
            if best is None:
                effect = "created"
            elif is_canonical_pam(h["pam_class"]) and not is_canonical_pam(best["pam_class"]):
                effect = "created"
            elif alt_e < _edits(best):
                effect = "lowered"
            if effect is None:
                continue
            rows.append({
                "variant_set": label, "variant_id": a.variant_id, "vcf_id": a.vcf_id, "var_chrom": a.chrom,
                "pos": a.pos, "ref": a.ref, "alt": a.alt, "af": a.af if a.af is not None else np.nan,
                "effect": effect,
                "ref_mismatches": int(best["mismatches"]) if best is not None else None,
                "ref_dna_bulge": int(best["dna_bulge"]) if best is not None else None,
                "ref_rna_bulge": int(best["rna_bulge"]) if best is not None else None,
                "ref_cfd": float(best["cfd"]) if best is not None and pd.notna(best["cfd"]) else np.nan,
                "ref_site": str(best["site"]) if best is not None else "",
                "alt_mismatches": int(h["mismatches"]),
                "site_id": f"{h['guide']}:{a.chrom}:{g_start}:{h['strand']}",
                "guide": h["guide"], "chrom": a.chrom, "start": g_start, "end": g_end, "strand": h["strand"],
                "site": h["site"], "mismatches": int(h["mismatches"]), "dna_bulge": int(h["dna_bulge"]),
                "rna_bulge": int(h["rna_bulge"]), "pam": h["pam"], "pam_class": h["pam_class"],
                "cut_start": g_cut_s, "cut_end": g_cut_e, "guide_aln": h["guide_aln"], "site_aln": h["site_aln"],
                "cfd": h["cfd"], "mit": h["mit"],
            })
    df = pd.DataFrame(rows, columns=list(VARIANT_COLUMNS))
    for c in ("ref_mismatches", "ref_dna_bulge", "ref_rna_bulge"):
        df[c] = pd.array(df[c], dtype="Int64")
    for c in ("pos", "alt_mismatches", "start", "end", "mismatches", "dna_bulge", "rna_bulge", "cut_start",
              "cut_end"):
        df[c] = df[c].astype(np.int64)
    for c in ("af", "ref_cfd", "cfd", "mit"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    # one row per (allele, locus): keep the ALT site with the fewest edits at each locus
    if not df.empty:
        df["_e"] = df["mismatches"] + df["dna_bulge"] + df["rna_bulge"]
        df = df.sort_values(["variant_id", "guide", "chrom", "strand", "cut_start", "_e", "start", "end", "site"],
                            kind="mergesort")
        df = df.drop_duplicates(["variant_id", "guide", "chrom", "strand", "cut_start"], keep="first")
        df = df.drop(columns="_e")
    return df.sort_values(["guide", "chrom", "start", "strand", "variant_id", "end", "site"],
                          kind="mergesort").reset_index(drop=True)


def search_windows(seqs: list[str], guides, nuclease, *, pam, threads, limits: dict, sep: int) -> pd.DataFrame:
    """Search many short haplotype windows at once; hits come back per window (``chrom`` = ``w<i>``).

    The windows are laid end to end in one sequence, separated by ``sep`` N bases (``sep`` >= the
    longest site, and N never matches), which is much faster than one contig per window. Hits that
    are not entirely inside one window (they would contain N) are dropped; coordinates are shifted
    back to the window.
    """
    from cgtsafe.offtarget.search import search_genome

    spacer = "N" * sep
    offsets = np.zeros(len(seqs), dtype=np.int64)
    pos = 0
    for i, s in enumerate(seqs):
        offsets[i] = pos
        pos += len(s) + sep
    ends = offsets + np.array([len(s) for s in seqs], dtype=np.int64)
    hits = search_genome({"haplotypes": spacer.join(seqs)}, guides, nuclease, pam=pam, threads=threads, **limits)
    if hits.empty:
        hits["chrom"] = hits["chrom"].astype(str)
        return hits
    k = np.searchsorted(offsets, hits["start"].to_numpy(), side="right") - 1
    inside = (k >= 0) & (hits["end"].to_numpy() <= ends[np.clip(k, 0, None)])
    hits = hits[inside].copy()
    k = k[inside]
    shift = offsets[k]
    for c in ("start", "end", "cut_start", "cut_end"):
        hits[c] = hits[c].to_numpy() - shift
    hits["chrom"] = [f"w{i}" for i in k]
    return hits.reset_index(drop=True)


def run_variants(*, vcf, label: str, genome, guides_path, nuclease, pam: str | None, limits: dict,
                 genes=None, genes_of_concern=None, windows=(50000, 100000), threads: int = 1, out,
                 max_bulge_mismatches: int | None = None) -> pd.DataFrame:
    """Read the VCF, search REF/ALT haplotypes of every allele, write ``variants_<label>.tsv``."""
    from cgtsafe.io.tables import write_table
    from cgtsafe.offtarget.annotate import annotate_positions, collapse_overlapping, filter_bulged
    from cgtsafe.offtarget.search import read_guides
    from cgtsafe.offtarget.species import GenomeAccess

    vcf = Path(vcf)
    if not vcf.exists():
        raise InputError(f"VCF of variant set {label!r} not found (offtarget.variants[].vcf)", path=vcf)
    guides = read_guides(guides_path, nuclease)
    ref = GenomeAccess(genome)
    parsed = read_vcf(vcf, ref.lengths, ref.fetch)
    plen = len(pam) if pam else nuclease.pam_length
    flank = nuclease.spacer_length + plen + limits.get("max_dna_bulge", 0) + limits.get("max_rna_bulge", 0)
    wins = make_windows(parsed.alleles, ref.fetch, ref.lengths, flank)
    ref.close()
    empty = pd.DataFrame(columns=["guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge",
                                  "rna_bulge", "pam", "pam_class", "cut_start", "cut_end", "guide_aln", "site_aln",
                                  "cfd", "mit"])
    if wins:
        def search(seqs):
            h = search_windows(seqs, guides, nuclease, pam=pam, threads=threads, limits=limits, sep=flank)
            return collapse_overlapping(filter_bulged(h, max_bulge_mismatches))

        ref_hits = search([w.ref_seq for w in wins])
        alt_hits = search([w.alt_seq for w in wins])
    else:
        ref_hits = alt_hits = empty
    table = compare_haplotypes(wins, ref_hits, alt_hits, label)
    ann = annotate_positions(table["chrom"].tolist(), table["cut_start"].tolist(), genes=genes,
                             genes_of_concern=genes_of_concern, windows=windows)
    for k in ("gene", "feature", "gene_of_concern", "gene_of_concern_name"):
        table[k] = ann[k]
    write_table(table, out)
    return table


def skipped_counts(vcf, genome) -> dict[str, int]:
    """Counts of skipped VCF records/alleles (for the summary's exclusions)."""
    from cgtsafe.offtarget.species import GenomeAccess

    ref = GenomeAccess(genome)
    try:
        return read_vcf(vcf, ref.lengths, None).skipped
    finally:
        ref.close()
