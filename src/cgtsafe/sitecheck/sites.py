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

Nominated sites without a cut position (BED intervals) use the whole interval as the cut interval.
Nominated sites whose window overlaps the window of a predicted site are merged into that site
(``source`` becomes e.g. ``predicted;GUIDE-seq``); the others are added with ``source`` = their method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table

REQUIRED = ("site_id", "chrom", "start", "end", "strand", "cut_start", "cut_end")
#: optional annotation columns carried through to the verdict table when present
CARRY = ("guide", "category", "mismatches", "dna_bulge", "rna_bulge", "cfd", "mit", "gene", "feature", "gene_of_concern")


@dataclass
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


def read_sites(path: str | Path) -> list[Site]:
    """Read the candidate-site table (off-target step output); validate coordinates."""
    df = read_table(path, required=REQUIRED, what="candidate site table")
    sites: list[Site] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
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
        extra = {k: row[k] for k in CARRY if k in row}
        sites.append(Site(sid, row["chrom"], start, end, row["strand"], cs, ce,
                          source=row.get("source") or "predicted", extra=extra))
    return sites


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
                            source=row.get("source") or method))
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
            out.append(Site(name, f[0], s, e, strand, s, e, source=method))
    return out


def merge_nominated(predicted: list[Site], nominated: list[Site], flank: int) -> list[Site]:
    """Add nominated sites; a nominated site whose window overlaps a predicted site's window is merged
    into it (its method appended to ``source``), otherwise it becomes a new site."""
    by_chrom: dict[str, list[Site]] = {}
    for s in predicted:
        by_chrom.setdefault(s.chrom, []).append(s)
    ids = {s.site_id for s in predicted}
    added: list[Site] = []
    for n in nominated:
        nlo, nhi = n.window(flank)
        hit = None
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


def load_sites(path: str | Path, nominated: list[str] | None = None, flank: int = 5) -> list[Site]:
    """Predicted sites plus nominated ones (``PATH`` or ``METHOD=PATH`` entries), sorted by site order in
    the predicted table, then nominated sites by (chrom, start, site_id)."""
    sites = read_sites(path)
    extra: list[Site] = []
    for entry in nominated or []:
        method, _, p = entry.rpartition("=") if "=" in entry else (None, "", entry)
        extra.extend(read_nominated(p, method or None))
    extra.sort(key=lambda s: (s.chrom, s.start, s.site_id))
    return merge_nominated(sites, extra, flank)
