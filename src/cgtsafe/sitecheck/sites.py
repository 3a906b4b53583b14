"""Candidate sites for the edited-vs-control comparison, and their quantification windows.

Input: the off-target table (``results/offtarget/sites.tsv`` or ``test-data/offtarget/planted_sites.tsv``)
with at least ``site_id chrom start end strand cut_start cut_end`` and optionally empirically
nominated sites (GUIDE-seq, CHANGE-seq, DISCOVER-seq ...) as BED or TSV.

Coordinates (all 0-based, half-open like BED):

``start``/``end``            protospacer+PAM, 0-based leftmost base, ``end`` exclusive (+ strand coordinates)
``cut_start``/``cut_end``    0-based + strand coordinate of the base right of each break; equal for a blunt
                             cut (SpCas9), the two nicks of a staggered cut (Cas12a) otherwise
``window_start/window_end``  quantification window = ``[min(cut) - flank, max(cut) + flank)``: ``flank`` bases
                             on each side of the cut (both nicks of a staggered cut are inside). With
                             ``flank = 1`` this is CRISPResso2's default window (``-w 1``: the two bases
                             flanking the cut).

Nominated sites without a cut position (BED intervals, e.g. a 200 bp GUIDE-seq window) are located first:

1. a predicted site (the off-target search of the guides, with its mismatch/bulge limits) whose
   protospacer lies inside the interval: the nominated site is that site (``source`` becomes e.g.
   ``predicted;GUIDE-seq``); with several, the fewest mismatches + bulges, then the cut closest to the
   interval's centre, then the site order;
2. otherwise, an interval longer than ``2 * CENTRE_TOLERANCE`` is quantified around its centre:
   ``cut_start = centre - CENTRE_TOLERANCE``, ``cut_end = centre + CENTRE_TOLERANCE`` (centre =
   ``(start + end) // 2``), so the window is ``2 * (CENTRE_TOLERANCE + flank)`` bp and reads span it; the
   site's ``cut_located_by`` says so. A shorter interval is its own cut interval.

Nominated sites with a cut position (TSV ``cut_start``/``cut_end``) whose window overlaps the window of a
predicted site are merged into that site; the others are added with ``source`` = their method.
Sites created or strengthened by the donor's own alleles (the off-target step's variant tables,
:func:`read_variant_sites`) join the candidates; ``source`` names the allele (``donor:chr2:250023:C:G``,
VCF-style, 1-based) and ``extra["donor_allele"]`` adds the effect and variant set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table

REQUIRED = ("site_id", "chrom", "start", "end", "strand", "cut_start", "cut_end")
#: optional annotation columns carried through to the verdict table when present
CARRY = ("guide", "category", "mismatches", "dna_bulge", "rna_bulge", "cfd", "mit", "gene", "feature", "gene_of_concern",
         "donor_allele")
#: half-width (bp) of the cut interval put at the centre of a nominated interval without a predicted site
CENTRE_TOLERANCE = 25


@dataclass(slots=True)
class Site:
    site_id: str
    chrom: str
    start: int
    end: int
    strand: str
    cut_start: int
    cut_end: int
    source: str = "predicted"
    extra: dict = field(default_factory=dict)

    def window(self, flank: int) -> tuple[int, int]:
        """Quantification window ``[lo, hi)`` (0-based, half-open), clipped at 0."""
        lo = min(self.cut_start, self.cut_end) - flank
        hi = max(self.cut_start, self.cut_end) + flank
        return max(0, lo), hi


def _int(value: str, *, path, line: int, column: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"column {column}: expected an integer, got {value!r}", path=path, line=line) from None


def read_sites(path: str | Path, block_rows: int = 200_000) -> list[Site]:
    """Read the candidate-site table (off-target step output); validate coordinates. Only the columns a
    :class:`Site` keeps are read (``REQUIRED``, ``CARRY``, ``source``; a genome-scale ``sites.tsv`` has 35),
    a TSV in blocks of ``block_rows`` rows."""
    from sys import intern as _intern

    def intern(v):
        return _intern(v) if type(v) is str else v

    cols = _site_columns(path)
    sites: list[Site] = []
    carry: list[str] | None = None
    seen: dict[str, int] = {}
    i = 1
    for df in _site_blocks(path, cols, block_rows):
        if carry is None:
            carry = [k for k in CARRY if k in df.columns]
        for row in df.to_dict("records"):
            i += 1
            sid = row["site_id"].strip()
            if not sid:
                raise InputError("column site_id: empty site identifier", path=path, line=i)
            if sid in seen:
                raise InputError(f"duplicate site_id {sid!r} (first on line {seen[sid]})", path=path, line=i)
            seen[sid] = i
            start = _int(row["start"], path=path, line=i, column="start")
            end = _int(row["end"], path=path, line=i, column="end")
            cs = _int(row["cut_start"], path=path, line=i, column="cut_start")
            ce = _int(row["cut_end"], path=path, line=i, column="cut_end")
            if start < 0 or end <= start:
                raise InputError(f"expected 0 <= start < end, got start={start} end={end}", path=path, line=i)
            if row["strand"] not in ("+", "-"):
                raise InputError(f"column strand: expected '+' or '-', got {row['strand']!r}", path=path, line=i)
            if cs < 0 or ce < 0:
                raise InputError(f"expected non-negative cut_start/cut_end, got {cs}/{ce}", path=path, line=i)
            extra = {k: intern(row[k]) for k in carry}  # repeated values (guide, class, feature ...) shared
            sites.append(Site(sid, intern(row["chrom"]), start, end, intern(row["strand"]), cs, ce,
                              source=intern(row.get("source") or "predicted"), extra=extra))
    return sites


def _site_columns(path) -> list[str] | None:
    """The columns of a TSV candidate-site table that :func:`read_sites` keeps; None: read the table whole
    (not a TSV, or its header is not readable: :func:`read_table` then gives the error)."""
    import pandas as pd

    path = Path(path)
    if not path.name.lower().endswith((".tsv", ".tsv.gz", ".txt")) or not path.exists():
        return None
    try:
        head = list(pd.read_csv(path, sep="\t", comment=None, dtype=str, keep_default_na=False, nrows=0).columns)
    except Exception:
        return None
    if any(c not in head for c in REQUIRED):
        return None
    keep = set(REQUIRED) | set(CARRY) | {"source"}
    return [c for c in head if c in keep]


def _site_blocks(path, cols, block_rows: int):
    import pandas as pd

    if cols is None:
        yield read_table(path, required=REQUIRED, what="candidate site table")
        return
    try:
        yield from pd.read_csv(path, sep="\t", comment=None, dtype=str, keep_default_na=False, usecols=cols,
                               chunksize=block_rows)
    except Exception:  # a malformed line: the whole-table reader's one-line error
        read_table(path, required=REQUIRED, what="candidate site table")
        raise


def read_nominated(path: str | Path, method: str | None = None) -> list[Site]:
    """Empirically nominated sites: BED (chrom start end [name [score [strand]]]) or TSV with a header
    containing ``chrom start end`` and optionally ``site_id``/``name``, ``strand``, ``cut_start``,
    ``cut_end``, ``source``. ``method`` (e.g. ``GUIDE-seq``) names the source when the file does not."""
    path = Path(path)
    if not path.exists():
        raise InputError("nominated-site file not found", path=path)
    text = path.read_text(encoding="utf-8").splitlines()
    lines = [(i, ln) for i, ln in enumerate(text, start=1)
             if ln.strip() and not ln.startswith(("#", "track", "browser"))]
    if not lines:
        return []
    first = lines[0][1].split("\t")
    method = method or path.stem
    out: list[Site] = []
    if {"chrom", "start", "end"} <= set(first):
        header = first
        for i, ln in lines[1:]:
            f = ln.split("\t")
            if len(f) != len(header):
                raise InputError(f"expected {len(header)} tab-separated fields, got {len(f)}", path=path, line=i)
            row = dict(zip(header, f))
            s = _int(row["start"], path=path, line=i, column="start")
            e = _int(row["end"], path=path, line=i, column="end")
            cs = _int(row["cut_start"], path=path, line=i, column="cut_start") if row.get("cut_start") else s
            ce = _int(row["cut_end"], path=path, line=i, column="cut_end") if row.get("cut_end") else e
            sid = row.get("site_id") or row.get("name") or f"{method}_{row['chrom']}_{s}"
            out.append(Site(sid, row["chrom"], s, e, row.get("strand") or "+", cs, ce,
                            source=row.get("source") or method,
                            extra={} if row.get("cut_start") and row.get("cut_end") else {"interval": "1"}))
    else:
        for i, ln in lines:
            f = ln.split("\t")
            if len(f) < 3:
                raise InputError("BED line: expected at least chrom, start, end", path=path, line=i)
            s = _int(f[1], path=path, line=i, column="start")
            e = _int(f[2], path=path, line=i, column="end")
            if e <= s:
                raise InputError(f"BED line: expected start < end, got {s} {e}", path=path, line=i)
            name = f[3] if len(f) > 3 and f[3] not in ("", ".") else f"{method}_{f[0]}_{s}"
            strand = f[5] if len(f) > 5 and f[5] in ("+", "-") else "+"
            out.append(Site(name, f[0], s, e, strand, s, e, source=method, extra={"interval": "1"}))
    return out


def merge_nominated(predicted: list[Site], nominated: list[Site], flank: int) -> list[Site]:
    """Add nominated sites; a nominated site whose window overlaps a predicted site's window is merged
    into it (its method appended to ``source``), otherwise it becomes a new site."""
    by_chrom: dict[str, list[Site]] = {}
    for s in predicted:
        by_chrom.setdefault(s.chrom, []).append(s)
    ids = {s.site_id for s in predicted}
    rank = {id(s): i for i, s in enumerate(predicted)}
    added: list[Site] = []
    for n in nominated:
        hit = None
        if n.extra.pop("interval", None):
            hit = _locate_in_interval(n, by_chrom.get(n.chrom, []), rank)
            if hit is None and n.end - n.start > 2 * CENTRE_TOLERANCE:
                c = (n.start + n.end) // 2
                n.cut_start, n.cut_end = c - CENTRE_TOLERANCE, c + CENTRE_TOLERANCE
                n.extra["cut_located_by"] = (f"interval centre +-{CENTRE_TOLERANCE} bp (no predicted site in "
                                             f"{n.chrom}:{n.start}-{n.end})")
        if hit is None:
            nlo, nhi = n.window(flank)
            for s in by_chrom.get(n.chrom, []):
                lo, hi = s.window(flank)
                if lo < nhi and nlo < hi:
                    hit = s
                    break
        if hit is not None:
            sources = hit.source.split(";")
            if n.source not in sources:
                hit.source = ";".join([*sources, n.source])
            continue
        sid = n.site_id
        k = 2
        while sid in ids:
            sid = f"{n.site_id}_{k}"
            k += 1
        n.site_id = sid
        ids.add(sid)
        added.append(n)
        by_chrom.setdefault(n.chrom, []).append(n)
    return [*predicted, *added]


def _edits(s: Site) -> int:
    try:
        return sum(int(s.extra.get(k) or 0) for k in ("mismatches", "dna_bulge", "rna_bulge"))
    except ValueError:
        return 99


def _locate_in_interval(n: Site, predicted: list[Site], rank: dict) -> Site | None:
    """The predicted site whose protospacer lies inside the nominated interval (best by edits, distance
    of its cut to the interval centre, site order), or None."""
    centre = (n.start + n.end) / 2
    inside = [s for s in predicted if not s.source.startswith("donor") and n.start <= s.start and s.end <= n.end]
    if not inside:
        return None
    return min(inside, key=lambda s: (_edits(s), abs((s.cut_start + s.cut_end) / 2 - centre), rank.get(id(s), 0)))


VARIANT_REQUIRED = ("variant_set", "variant_id", "effect", "site_id", "guide", "chrom", "start", "end", "strand",
                    "cut_start", "cut_end", "mismatches", "dna_bulge", "rna_bulge")


def read_variant_sites(path: str | Path) -> list[Site]:
    """Sites created or strengthened by the donor's alleles (``offtarget variants`` table,
    ``variants_<label>.tsv``); one site per ALT-haplotype site, every allele that makes it named in
    ``donor_allele`` as ``variant_id (effect, variant_set)``. Coordinates as in ``sites.tsv``
    (reference coordinates, 0-based)."""
    df = read_table(path, required=VARIANT_REQUIRED, what="off-target variant table")
    by_id: dict[str, Site] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        allele = f"{row['variant_id']} ({row['effect']}, {row['variant_set']})"
        sid = row["site_id"].strip()
        if sid in by_id:
            names = by_id[sid].extra["donor_allele"].split("; ")
            if allele not in names:
                by_id[sid].extra["donor_allele"] = "; ".join([*names, allele])
                by_id[sid].source += f";donor:{row['variant_id']}"
            continue
        vals = {k: _int(row[k], path=path, line=i, column=k) for k in ("start", "end", "cut_start", "cut_end")}
        if row["strand"] not in ("+", "-"):
            raise InputError(f"column strand: expected '+' or '-', got {row['strand']!r}", path=path, line=i)
        extra = {k: row[k] for k in CARRY if k in row}
        extra["category"] = extra.get("category") or f"donor_variant_{row['effect']}"
        extra["donor_allele"] = allele
        by_id[sid] = Site(sid, row["chrom"], vals["start"], vals["end"], row["strand"], vals["cut_start"],
                          vals["cut_end"], source=f"donor:{row['variant_id']}", extra=extra)
    return sorted(by_id.values(), key=lambda s: (s.chrom, s.start, s.site_id))


def merge_variant_sites(sites: list[Site], variant_sites: list[Site], flank: int) -> list[Site]:
    """Add donor-allele sites (``source`` ``donor:<variant_id>``, the allele named, VCF 1-based); one whose
    window overlaps a site of the list (same guide when both name one) names its allele on that site
    instead (``source`` gets ``;donor:<variant_id>``)."""
    out = list(sites)
    ids = {s.site_id for s in out}
    for v in variant_sites:
        vlo, vhi = v.window(flank)
        hit = None
        for s in out:
            lo, hi = s.window(flank)
            if s.chrom == v.chrom and lo < vhi and vlo < hi and \
                    (not s.extra.get("guide") or not v.extra.get("guide") or s.extra["guide"] == v.extra["guide"]):
                hit = s
                break
        if hit is not None:
            tokens = hit.source.split(";")
            hit.source = ";".join([*tokens, *(t for t in v.source.split(";") if t not in tokens)])
            hit.extra["donor_allele"] = "; ".join(x for x in (hit.extra.get("donor_allele"), v.extra["donor_allele"])
                                                  if x)
            continue
        sid, k = v.site_id, 2
        while sid in ids:
            sid, k = f"{v.site_id}_donor{k}", k + 1
        v.site_id = sid
        ids.add(sid)
        out.append(v)
    return out


def load_sites(path: str | Path, nominated: list[str] | None = None, flank: int = 5,
               variants: list[str] | None = None) -> list[Site]:
    """Predicted sites plus nominated ones (``PATH`` or ``METHOD=PATH`` entries), sorted by site order in
    the predicted table, then nominated sites by (chrom, start, site_id), then the sites of the donor's
    alleles (``variants``: ``offtarget variants`` tables) not already in the list."""
    sites = read_sites(path)
    extra: list[Site] = []
    for entry in nominated or []:
        method, _, p = entry.rpartition("=") if "=" in entry else (None, "", entry)
        extra.extend(read_nominated(p, method or None))
    extra.sort(key=lambda s: (s.chrom, s.start, s.site_id))
    merged = merge_nominated(sites, extra, flank)
    vsites = [v for p in variants or [] for v in read_variant_sites(p)]
    return merge_variant_sites(merged, vsites, flank) if vsites else merged
