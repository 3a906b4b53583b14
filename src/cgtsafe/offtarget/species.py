"""Species differences in off-target prediction: the same guides in an animal genome.

Guidance 004 九（三） asks for the effect of species differences on the predictivity of nonclinical
off-target data, and 002 6.2.3 notes that animal and human sequences differ. For each animal genome
this module answers two questions:

1. **On-target conservation**: is there a perfect (or near-perfect) site at the locus orthologous to
   the human on-target, and how many perfect sites does the animal genome have?
2. **Off-target conservation**: for each human candidate site (``sites.tsv``), does the animal genome
   have an orthologous site with the same or fewer mismatches (PAM intact)? Sites that are weaker or
   absent in the animal cannot be assessed in that animal's toxicology studies.

Orthology (method): the human flanks of each site, ``flank`` bp on each side (default 100,
excluding the site itself; trimmed at N bases and contig ends; at least ``min_flank`` bp kept),
are mapped separately with minimap2 (mappy, short-read preset ``sr``) to the animal genome. The
primary alignment of each flank gives the animal coordinate of the site boundary next to it; with
both flanks on the same contig and strand, 0..2*(site length) bp apart, the orthologous interval is
between them; with one flank (other unmappable, or flanks discordant) the interval is extrapolated
by the human site length from the better flank (higher MAPQ, then left). The animal strand of the
site is the human strand, flipped when the flanks map to the reverse strand.

At the orthologous interval the animal site is evaluated two ways:

* directly, for mismatch-only human sites whose orthologous interval has the human site length:
  the animal protospacer is compared with the spacer (``animal_mismatches``), and the PAM with the
  nuclease's PAM and alternative PAMs (``animal_mismatches = -1`` when the PAM is destroyed);
* by the genome-wide search of the animal genome with the same guides, nuclease and limits: an
  animal hit of the same guide and strand whose cut lies within ``merge.LOCUS_WINDOW`` bp of the
  projected cut is the orthologous animal hit (``animal_hit_*`` columns). Bulged sites use this only.

Columns of ``species_<label>.tsv`` (one row per human site; coordinates 0-based, ends exclusive):
``site_id guide chrom start end strand mismatches dna_bulge rna_bulge edits cfd category`` (human, as in
``sites.tsv``); ``ortholog_status`` both_flanks / one_flank / discordant_flanks / not_mapped;
``flank_mapq`` lowest MAPQ of the flanks used; ``ortholog_ambiguous`` 1 when a mapped flank has MAPQ < 10 or
a second alignment at most one edit worse (segmental duplication / paralog: the locus may be a paralog);
``animal_chrom animal_start animal_end animal_strand``
orthologous interval (0-based, end exclusive, + strand coordinates; strand of the animal site);
``animal_site`` animal sequence 5'->3' on the animal hit strand; ``animal_pam_ok`` 1/0;
``animal_pam_class`` canonical / alternative / none (direct evaluation);
``animal_mismatches`` (direct evaluation; -1 = PAM destroyed; empty = not evaluable);
``animal_hit_mismatches animal_hit_dna_bulge animal_hit_rna_bulge animal_hit_cfd animal_hit_site`` (the
animal search hit at the locus, empty when none within the limits); ``animal_same_or_fewer`` 1 when the
animal has an orthologous site with the same or fewer mismatches (mismatch-only sites) or edits (bulged
sites) and an intact PAM, 0 when not, empty when the locus is not mapped; ``conservation``
stronger / conserved / weaker / pam_lost / absent / not_mapped, comparing (mismatches, PAM class) of
the animal and the human site (mismatches first; a canonical PAM ranks before an alternative one).

``species_<label>.guides.tsv``: one row per guide (on-target conservation and counts), see
:func:`guide_table`. ``species_<label>.animal_hits.tsv``: the animal genome search (search columns)
with ``matched_site_id`` (the human site whose ortholog it is; empty = animal-only site within limits).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.reference import ReferenceGenome
from cgtsafe.io.fasta import read_fasta, revcomp
from cgtsafe.offtarget.annotate import collapse_overlapping, filter_bulged, is_canonical_pam
from cgtsafe.offtarget.merge import LOCUS_WINDOW
from cgtsafe.offtarget.nuclease import Nuclease, pam_matches

DEFAULT_FLANK = 100
MIN_FLANK = 30


def slug(label: str) -> str:
    """File-name-safe form of a label: letters, digits, '_' '.' '-' (others -> '_')."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(label)).strip("_")
    return s or "unnamed"


class GenomeAccess(ReferenceGenome):
    """Random access to a FASTA (:class:`cgtsafe.io.reference.ReferenceGenome`); ``fetch`` returns ``str``
    as in the file (soft-masked lower case kept)."""


def _allowed_pams(nuclease: Nuclease, pam: str | None) -> tuple[str, ...]:
    return (pam,) if pam else (nuclease.pam, *nuclease.alt_pams)


def evaluate_site(site: str, spacer: str, nuclease: Nuclease, pam: str | None = None) -> tuple[int, bool]:
    """Mismatches of a (hit-strand, 5'->3') ungapped site vs the spacer, and whether its PAM is allowed."""
    site = site.upper()
    lp = nuclease.pam_length if not pam else len(pam)
    if nuclease.pam_side == "3prime":
        proto, p = site[: len(site) - lp], site[len(site) - lp:]
    else:
        p, proto = site[:lp], site[lp:]
    mm = sum(1 for a, b in zip(proto, spacer.upper()) if a != b) + abs(len(proto) - len(spacer))
    ok = any(pam_matches(pat, p) for pat in _allowed_pams(nuclease, pam))
    return mm, ok


def pam_is_canonical(site: str, nuclease: Nuclease, pam: str | None = None) -> bool:
    """Whether the PAM of a hit-strand site matches the canonical PAM (not only an alternative one)."""
    pat = pam or nuclease.pam
    p = site[len(site) - len(pat):] if nuclease.pam_side == "3prime" else site[:len(pat)]
    return pam_matches(pat, p)


def _trim_left(seq: str) -> str:
    """Left flank: keep the part after the last N."""
    i = max(seq.upper().rfind("N"), -1)
    return seq[i + 1:]


def _trim_right(seq: str) -> str:
    j = seq.upper().find("N")
    return seq if j < 0 else seq[:j]


#: a flank alignment with MAPQ below this, or with a second alignment at most one edit worse, makes the
#: orthologous locus ambiguous (segmental duplications, paralogs)
AMBIGUOUS_MAPQ = 10


def _primary(aligner, seq: str):
    """Primary alignment of a flank and whether it is ambiguous (low MAPQ or a near-equal second hit)."""
    if len(seq) < MIN_FLANK:
        return None, False
    hits = list(aligner.map(seq))
    prim = next((h for h in hits if h.is_primary), None)
    if prim is None:
        return None, False
    near = any(h is not prim and h.NM <= prim.NM + 1 and h.blen >= 0.9 * prim.blen for h in hits)
    return prim, bool(near or prim.mapq < AMBIGUOUS_MAPQ)


def project_site(left_hit, left_len: int, right_hit, right_len: int, site_len: int):
    """Animal interval (chrom, start, end, flipped, status, mapq) from the flank alignments."""
    def bound_left(h):  # animal coordinate of the human site's start boundary (left flank's 3' end)
        if h.strand == 1:
            return h.ctg, h.r_en + (left_len - h.q_en), False
        return h.ctg, h.r_st - (left_len - h.q_en), True

    def bound_right(h):  # animal coordinate of the human site's end boundary (right flank's 5' end)
        if h.strand == 1:
            return h.ctg, h.r_st - h.q_st, False
        return h.ctg, h.r_en + h.q_st, True

    if left_hit is not None and right_hit is not None:
        c1, b1, f1 = bound_left(left_hit)
        c2, b2, f2 = bound_right(right_hit)
        if c1 == c2 and f1 == f2:
            s, e = (b1, b2) if not f1 else (b2, b1)
            if 0 <= e - s <= 2 * site_len:
                return c1, s, e, f1, "both_flanks", min(left_hit.mapq, right_hit.mapq)
        use_left = left_hit.mapq >= right_hit.mapq
        status = "discordant_flanks"
    elif left_hit is not None or right_hit is not None:
        use_left = left_hit is not None
        status = "one_flank"
    else:
        return None
    if use_left:
        c, b, f = bound_left(left_hit)
        s, e = (b, b + site_len) if not f else (b - site_len, b)
        return c, s, e, f, status, left_hit.mapq
    c, b, f = bound_right(right_hit)
    s, e = (b - site_len, b) if not f else (b, b + site_len)
    return c, s, e, f, status, right_hit.mapq


SPECIES_COLUMNS = (
    "site_id", "guide", "chrom", "start", "end", "strand", "mismatches", "dna_bulge", "rna_bulge", "edits", "cfd",
    "category", "ortholog_status", "flank_mapq", "ortholog_ambiguous", "animal_chrom", "animal_start", "animal_end",
    "animal_strand", "animal_site", "animal_pam_ok", "animal_pam_class", "animal_mismatches",
    "animal_hit_mismatches",
    "animal_hit_dna_bulge", "animal_hit_rna_bulge", "animal_hit_cfd", "animal_hit_site", "animal_same_or_fewer",
    "conservation",
)


def compare_species(sites: pd.DataFrame, animal_hits: pd.DataFrame, *, human: GenomeAccess, animal: GenomeAccess,
                    aligner, spacers: dict[str, str], nuclease: Nuclease, pam: str | None = None,
                    flank: int = DEFAULT_FLANK) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-site orthology table and the animal hits annotated with the human site they match."""
    index = HitIndex(animal_hits)
    table = index.compare(sites, human=human, animal=animal, aligner=aligner, spacers=spacers, nuclease=nuclease,
                          pam=pam, flank=flank)
    return table, index.hits


class HitIndex:
    """The animal hits (``hits``, with ``matched_site_id``) indexed per (guide, contig, strand) by cut position
    for a binary search of the locus window; :meth:`compare` takes the human sites in batches, in table order
    (``matched_site_id`` lists the sites in that order)."""

    def __init__(self, animal_hits: pd.DataFrame):
        hits = animal_hits.copy().reset_index(drop=True)
        hits["matched_site_id"] = ""
        self.hits = hits
        self.index: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}
        if len(hits):
            order = np.lexsort((hits["cut_start"].to_numpy(),))
            keyed: dict[tuple[str, str, str], list[int]] = {}
            for i, g, c, st in zip(order.tolist(), hits["guide"].to_numpy()[order].tolist(),
                                   hits["chrom"].to_numpy()[order].tolist(), hits["strand"].to_numpy()[order].tolist()):
                keyed.setdefault((g, c, st), []).append(i)
            for k, idx in keyed.items():
                idx_a = np.array(idx, dtype=np.int64)
                self.index[k] = (hits["cut_start"].to_numpy()[idx_a], idx_a)
        mism = hits["mismatches"].to_numpy() if len(hits) else np.zeros(0, dtype=np.int64)
        self.edits = (mism + hits["dna_bulge"].to_numpy() + hits["rna_bulge"].to_numpy()) if len(hits) else mism
        self.starts = hits["start"].to_numpy() if len(hits) else mism

    def compare(self, sites: pd.DataFrame, *, human: GenomeAccess, animal: GenomeAccess, aligner,
                spacers: dict[str, str], nuclease: Nuclease, pam: str | None = None,
                flank: int = DEFAULT_FLANK) -> pd.DataFrame:
        """Species table rows of one batch of human sites."""
        hits, hit_index, edits_all, starts_all = self.hits, self.index, self.edits, self.starts
        rows = []
        for r in sites.itertuples(index=False):
            start, end = int(r.start), int(r.end)
            site_len = end - start
            bulged = int(r.dna_bulge) + int(r.rna_bulge) > 0
            left = _trim_left(human.fetch(r.chrom, start - flank, start))
            right = _trim_right(human.fetch(r.chrom, end, end + flank))
            lh, lamb = _primary(aligner, left)
            rh, ramb = _primary(aligner, right)
            proj = project_site(lh, len(left), rh, len(right), site_len)
            out = {
                "site_id": r.site_id, "guide": r.guide, "chrom": r.chrom, "start": start, "end": end, "strand": r.strand,
                "mismatches": int(r.mismatches), "dna_bulge": int(r.dna_bulge), "rna_bulge": int(r.rna_bulge),
                "edits": int(r.edits), "cfd": r.cfd, "category": r.category, "ortholog_status": "not_mapped",
                "flank_mapq": None, "ortholog_ambiguous": None, "animal_chrom": "", "animal_start": None,
                "animal_end": None, "animal_strand": "",
                "animal_site": "", "animal_pam_ok": None, "animal_pam_class": "", "animal_mismatches": None,
                "animal_hit_mismatches": None,
                "animal_hit_dna_bulge": None, "animal_hit_rna_bulge": None, "animal_hit_cfd": np.nan,
                "animal_hit_site": "", "animal_same_or_fewer": None, "conservation": "not_mapped",
            }
            if proj is not None:
                c, s, e, flipped, status, mapq = proj
                a_strand = ("-" if r.strand == "+" else "+") if flipped else r.strand
                used_amb = (lamb if lh is not None else False) or (ramb if rh is not None else False)
                out.update(ortholog_status=status, flank_mapq=int(mapq), ortholog_ambiguous=int(used_amb), animal_chrom=c,
                           animal_start=int(s),
                           animal_end=int(e), animal_strand=a_strand)
                seq = animal.fetch(c, s, e)
                seq = seq if a_strand == "+" else revcomp(seq)
                out["animal_site"] = seq
                direct = None
                if not bulged and len(seq) == site_len and e - s == site_len:
                    mm, ok = evaluate_site(seq, spacers[r.guide], nuclease, pam)
                    direct = (mm, ok, pam_is_canonical(seq, nuclease, pam))
                    out["animal_pam_ok"] = int(ok)
                    out["animal_pam_class"] = "none" if not ok else ("canonical" if direct[2] else "alternative")
                    out["animal_mismatches"] = mm if ok else -1
                # projected cut of the animal site: same offset from the site's 5' end on the hit strand
                off5 = (int(r.cut_start) - start) if r.strand == "+" else (end - int(r.cut_start))
                a_cut = s + off5 if a_strand == "+" else e - off5
                best = None
                cuts, idx = hit_index.get((r.guide, c, a_strand), (None, None))
                if cuts is not None:
                    lo = int(np.searchsorted(cuts, a_cut - LOCUS_WINDOW, side="left"))
                    hi = int(np.searchsorted(cuts, a_cut + LOCUS_WINDOW, side="right"))
                    for i in idx[lo:hi]:
                        key = (int(edits_all[i]), int(starts_all[i]))
                        if best is None or key < best[0]:
                            best = (key, int(i))
                if best is not None:
                    i = best[1]
                    hits.at[i, "matched_site_id"] = r.site_id if not hits.at[i, "matched_site_id"] else \
                        hits.at[i, "matched_site_id"] + "," + r.site_id
                    out.update(animal_hit_mismatches=int(hits.at[i, "mismatches"]),
                               animal_hit_dna_bulge=int(hits.at[i, "dna_bulge"]),
                               animal_hit_rna_bulge=int(hits.at[i, "rna_bulge"]),
                               animal_hit_cfd=hits.at[i, "cfd"], animal_hit_site=hits.at[i, "site"])
                out["animal_same_or_fewer"], out["conservation"] = _classify(r, direct, best, hits)
            rows.append(out)
        df = pd.DataFrame(rows, columns=list(SPECIES_COLUMNS))
        for c in ("flank_mapq", "ortholog_ambiguous", "animal_start", "animal_end", "animal_pam_ok", "animal_mismatches",
                  "animal_hit_mismatches",
                  "animal_hit_dna_bulge", "animal_hit_rna_bulge", "animal_same_or_fewer"):
            df[c] = pd.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v) for v in df[c]],
                             dtype="Int64")
        df["animal_hit_cfd"] = pd.to_numeric(df["animal_hit_cfd"], errors="coerce").astype(float)
        return df


def _classify(r, direct, best, hits) -> tuple[int | None, str]:
    bulged = int(r.dna_bulge) + int(r.rna_bulge) > 0
    human_canon = is_canonical_pam(getattr(r, "pam_class", "canonical"))
    if direct is not None:
        mm, ok, animal_canon = direct
        if not ok:
            return 0, "pam_lost"
        # (mismatches, PAM rank): a canonical PAM is stronger than an alternative one (NAG/NGA)
        a, h = (mm, not animal_canon), (int(r.mismatches), not human_canon)
        if a < h:
            return 1, "stronger"
        if a == h:
            return 1, "conserved"
        return (1 if mm <= int(r.mismatches) and not animal_canon else 0), "weaker"
    if best is None:
        return 0, "absent"
    i = best[1]
    a_edits = best[0][0]
    h_edits = int(r.edits) if bulged else int(r.mismatches)
    if not is_canonical_pam(hits.at[i, "pam_class"]) and human_canon:
        return (1 if a_edits <= h_edits else 0), "weaker"
    if a_edits < h_edits:
        return 1, "stronger"
    if a_edits == h_edits:
        return 1, "conserved"
    return 0, "weaker"


class GuideCounts:
    """What :func:`guide_table` needs of the species table, gathered batch by batch: the on-target rows and,
    per guide, the off-target count, mapped count and ``animal_same_or_fewer`` 1 / 0 counts."""

    def __init__(self):
        self.on: list[pd.DataFrame] = []
        self.off: dict[str, list[int]] = {}

    def add(self, species_sites: pd.DataFrame) -> None:
        on = species_sites["category"] == "on_target"
        if on.any():
            self.on.append(species_sites[on])
        off = species_sites[~on]
        if len(off):
            k = pd.DataFrame({"g": off["guide"].to_numpy(), "m": (off["ortholog_status"] != "not_mapped").to_numpy(),
                              "s1": (off["animal_same_or_fewer"] == 1).fillna(False).to_numpy(dtype=bool),
                              "s0": (off["animal_same_or_fewer"] == 0).fillna(False).to_numpy(dtype=bool)})
            for g, sub in k.groupby("g", sort=False):
                c = self.off.setdefault(g, [0, 0, 0, 0])
                c[0] += len(sub)
                c[1] += int(sub["m"].sum())
                c[2] += int(sub["s1"].sum())
                c[3] += int(sub["s0"].sum())


def guide_table(species_sites, animal_hits: pd.DataFrame, guides: list[str], *,
                near_perfect: int = 2) -> pd.DataFrame:
    """One row per guide: on-target conservation and site counts (``species_sites``: the species table or
    its :class:`GuideCounts`).

    ``on_target_conserved``: ``perfect`` (orthologous animal site with 0 mismatches and the canonical PAM),
    ``near_perfect`` (1..``near_perfect`` mismatches, or 0 with an alternative PAM), ``not_conserved`` (more,
    or PAM destroyed),
    ``not_mapped`` (locus not found), ``no_human_on_target``.
    """
    if not isinstance(species_sites, GuideCounts):
        counts = GuideCounts()
        counts.add(species_sites)
    else:
        counts = species_sites
    on_all = pd.concat(counts.on, ignore_index=True) if counts.on else None
    rows = []
    for g in guides:
        h = animal_hits[animal_hits["guide"] == g] if not animal_hits.empty else animal_hits
        on = on_all[on_all["guide"] == g].sort_values(["chrom", "start", "strand"], kind="mergesort") \
            if on_all is not None else pd.DataFrame()
        n_off, mapped, same1, same0 = counts.off.get(g, [0, 0, 0, 0])
        if on.empty:
            status, mm, oid, ostat = "no_human_on_target", None, "", ""
        else:
            o = on.iloc[0]
            oid, ostat = o["site_id"], o["ortholog_status"]
            mm = o["animal_mismatches"]
            if ostat == "not_mapped":
                status, mm = "not_mapped", None
            elif pd.isna(mm):
                hm = o["animal_hit_mismatches"]
                mm = None if pd.isna(hm) else int(hm)
                status = "not_conserved" if mm is None else ("perfect" if mm == 0 else
                                                             "near_perfect" if mm <= near_perfect else "not_conserved")
            else:
                mm = int(mm)
                canon = o.get("animal_pam_class", "canonical") == "canonical"
                status = ("not_conserved" if mm < 0 else "perfect" if mm == 0 and canon else
                          "near_perfect" if mm <= near_perfect else "not_conserved")
        if h.empty:
            perfect = total = animal_only = 0
        else:
            e = h["mismatches"] + h["dna_bulge"] + h["rna_bulge"]
            perfect = int(((e == 0) & h["pam_class"].map(is_canonical_pam)).sum())
            total = len(h)
            animal_only = int((h["matched_site_id"] == "").sum())
        rows.append({
            "guide": g, "on_target_site_id": oid, "human_on_target_sites": len(on), "on_target_ortholog_status": ostat,
            "on_target_animal_mismatches": mm, "on_target_conserved": status, "animal_perfect_sites": perfect,
            "human_off_target_sites": n_off, "off_target_mapped": mapped,
            "off_target_same_or_fewer": same1, "off_target_weaker_or_absent": same0,
            "animal_sites": total, "animal_only_sites": animal_only,
        })
    df = pd.DataFrame(rows)
    df["on_target_animal_mismatches"] = pd.array(df["on_target_animal_mismatches"], dtype="Int64")
    return df


SITE_REQUIRED = ("site_id", "guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge",
                 "pam_class", "cut_start", "cut_end", "cfd", "edits", "category")


def read_sites(path: str | Path) -> pd.DataFrame:
    from cgtsafe.io.tables import read_table
    from cgtsafe.offtarget.merge import coerce_hits

    df = read_table(path, required=SITE_REQUIRED, what="candidate-site table (sites.tsv)")
    df = coerce_hits(df, path=path)
    df["edits"] = pd.to_numeric(df["edits"]).astype(np.int64)
    return df


#: the columns of sites.tsv the species comparison reads
SPECIES_READ = SITE_REQUIRED


def iter_sites(path: str | Path, block_rows: int = 100_000, columns=SPECIES_READ):
    """:func:`read_sites` in blocks of ``block_rows`` rows, only ``columns`` (those present; the required ones
    must be): the same values and types, memory bounded by the block. A bad value or line -> the error of
    :func:`read_sites` (same file and line). Not a TSV: read whole (one block)."""
    from cgtsafe.offtarget.merge import coerce_hits

    path = Path(path)
    if not path.name.lower().endswith((".tsv", ".tsv.gz")) or not path.exists():
        yield read_sites(path)
        return
    try:
        head = list(pd.read_csv(path, sep="\t", nrows=0, dtype=str, comment=None).columns)
    except Exception:
        head = []
    if not head or any(c not in head for c in SITE_REQUIRED):
        yield read_sites(path)  # its one-line error
        return
    use = [c for c in head if c in columns]
    n = 0
    try:
        for block in pd.read_csv(path, sep="\t", usecols=use, dtype=str, keep_default_na=False, comment=None,
                                 chunksize=block_rows):
            block = coerce_hits(block, path=path)
            block["edits"] = pd.to_numeric(block["edits"]).astype(np.int64)
            block.index = pd.RangeIndex(n, n + len(block))
            n += len(block)
            yield block
    except (InputError, ValueError, TypeError, pd.errors.ParserError):
        read_sites(path)  # the whole-table reader's one-line error (line numbers of the whole file)
        raise
    if not n:
        yield read_sites(path)


def output_paths(out: str | Path) -> tuple[Path, Path, Path]:
    out = Path(out)
    stem = out.name[:-4] if out.name.endswith(".tsv") else out.name
    return out, out.with_name(stem + ".guides.tsv"), out.with_name(stem + ".animal_hits.tsv")


def build_aligner(animal_genome: str | Path, threads: int = 1):
    """minimap2 index of the animal genome (a prebuilt ``<genome>.mmi`` next to it is used when present)."""
    import mappy

    path = Path(animal_genome)
    mmi = Path(str(path) + ".mmi")
    src = mmi if mmi.exists() else path
    aligner = mappy.Aligner(str(src), preset="sr", n_threads=max(1, int(threads)))
    if not aligner:
        raise InputError("cannot build a minimap2 index of the animal genome (not a FASTA?)", path=src)
    return aligner


def run_species(*, sites_path, genome, animal_genome, label: str, guides_path, nuclease: Nuclease,
                pam: str | None, limits: dict, flank: int = DEFAULT_FLANK, threads: int = 1, out,
                max_bulge_mismatches: int | None = None, keep_sites: bool = False) -> dict:
    """Search the animal genome, project every human site, write the three species tables. The human sites are
    read and compared in batches (memory bounded by a batch plus the animal hits); the returned ``sites`` (the
    species table) is kept only with ``keep_sites`` (else None: a genome-scale table is in the file)."""
    from cgtsafe.io.tables import FLOAT_FORMAT, atomic_path, write_table
    from cgtsafe.offtarget.search import read_guides, search_genome

    animal_genome = Path(animal_genome)
    if not animal_genome.exists():
        raise InputError(f"animal genome of species {label!r} not found (offtarget.species[].genome)",
                         path=animal_genome)
    if flank < MIN_FLANK:
        raise InputError(f"--flank must be at least {MIN_FLANK} bp, got {flank}")
    guides = read_guides(guides_path, nuclease)
    names = {g.name for g in guides}
    unknown: set[str] = set()
    for block in iter_sites(sites_path, block_rows=500_000):  # every value checked before the (long) animal search
        unknown |= set(block["guide"]) - names
    unknown = sorted(unknown)
    if unknown:
        raise InputError(f"sites table names guide(s) {', '.join(unknown)} that are not in the guides table",
                         path=sites_path)
    human = GenomeAccess(genome)
    animal = GenomeAccess(animal_genome)
    hits = search_genome(str(animal_genome), guides, nuclease, pam=pam, threads=threads, **limits)
    hits = collapse_overlapping(filter_bulged(hits, max_bulge_mismatches)).drop(columns=["loci", "alt_alignments"])
    hits = hits.sort_values(["guide", "chrom", "start", "strand", "end", "site"], kind="mergesort").reset_index(drop=True)
    aligner = build_aligner(animal_genome, threads)
    index = HitIndex(hits)
    counts = GuideCounts()
    spacers = {g.name: g.spacer for g in guides}
    p_sites, p_guides, p_hits = output_paths(out)
    with atomic_path(p_sites) as tmp, open(tmp, "w", newline="") as fh:  # streamed: one batch of sites at a time
        kept = []
        for i, block in enumerate(iter_sites(sites_path)):
            table = index.compare(block, human=human, animal=animal, aligner=aligner, spacers=spacers,
                                  nuclease=nuclease, pam=pam, flank=flank)
            counts.add(table)
            table.to_csv(fh, sep="\t", index=False, header=i == 0, float_format=FLOAT_FORMAT, lineterminator="\n")
            if keep_sites:
                kept.append(table)
            del table
        hits = index.hits
        guides_df = guide_table(counts, hits, [g.name for g in guides])
        guides_df.insert(0, "species", label)
        human.close()
        animal.close()
        write_table(hits, p_hits)
        write_table(guides_df, p_guides)
    table = pd.concat(kept, ignore_index=True) if keep_sites else None
    return {"sites": table, "guides": guides_df, "hits": hits}
