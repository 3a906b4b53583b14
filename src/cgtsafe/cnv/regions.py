"""Chromosome arms and the known recurrent copy-number changes of cultured human pluripotent stem cells, flagged by
name on called segments and arms.

Recurrent changes (International Stem Cell Initiative 2011, Nat Biotechnol 29:1132; Baker et al. 2016, Stem Cell
Reports 7:998):
  ``20q11.21``   gain of the minimal amplicon with BCL2L1 (also ID1, HM13): located through the gene annotation
                 (``reference.genes``), so it is build-independent; flagged when a called gain overlaps one of the
                 three genes.
  ``12p``        gain overlapping the short arm of chromosome 12; ``trisomy 12`` when both arms are gained at arm
                 level.
  ``17q``        gain overlapping the long arm of chromosome 17.
  ``chrX``       gain of chromosome X (``trisomy X`` when both arms are gained at arm level).
  Arms need centromeres: ``--centromeres`` (a UCSC ``cytoBand.txt``, whose ``acen`` bands are used, or a ``chrom
  start end`` table), or the shipped GRCh37 table (``src/cgtsafe/data/centromeres_grch37.tsv``) when the build is
  GRCh37/hg19. Without centromeres the chromosome-12/17 labels say "arm not resolved".
  ``--regions``: further named regions (``name chrom start end kind``; kind gain, loss or any), e.g. the synthetic
  demo genome's 20q11.21-like region.
Contigs are matched as ``chr12`` or ``12`` (UCSC or Ensembl naming). Regions this genome/annotation cannot show are
listed by :func:`covered` so the summary can state that absence of a flag there is not evidence.

Arm-level calls (:func:`arm_table`): per arm, the mean log ratio of its used bins (z against ``sigma/sqrt(n)``) and
the share of its used bins inside called segments of each direction; an arm is ``arm-level`` gained/lost when
segments of one direction cover >= ``ARM_LEVEL`` (80 %) of its bins.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError

BCL2L1_GENES = ("BCL2L1", "ID1", "HM13")
ARM_LEVEL = 0.8
WHOLE = {"12": "12p gain or trisomy 12 (chromosome 12; arm not resolved)",
         "17": "17q gain (chromosome 17; arm not resolved)", "X": "chromosome X gain"}
GRCH37_NAMES = ("grch37", "hg19", "hs37", "b37", "grch37.p13")


def _bare(chrom: str) -> str:
    return chrom[3:] if chrom.lower().startswith("chr") else chrom


def gene_spans(transcripts) -> dict[str, tuple[str, int, int]]:
    """``gene -> (chrom, start, end)`` of the 20q11.21 anchor genes found in the annotation."""
    out: dict[str, tuple[str, int, int]] = {}
    for t in transcripts:
        if t.gene in BCL2L1_GENES:
            c, s, e = out.get(t.gene, (t.chrom, t.start, t.end))
            out[t.gene] = (t.chrom, min(s, t.start), max(e, t.end))
    return out


def read_centromeres(path) -> dict[str, tuple[int, int]]:
    """Centromere ``(start, end)`` per contig (bare name) from a UCSC cytoBand file (rows with stain ``acen``: the
    union of the p11 and q11 bands) or a ``chrom start end`` table (0-based, end exclusive; header optional)."""
    from cgtsafe.io.compressed import open_input

    out: dict[str, tuple[int, int]] = {}
    with open_input(path, "rt", what="centromere/cytoband file") as fh:
        for i, line in enumerate(fh, 1):
            f = line.rstrip("\n").split("\t")
            if not line.strip() or line.startswith("#") or (i == 1 and f[0].lower() in ("chrom", "chr", "chromosome")):
                continue
            if len(f) >= 5 and f[4] != "acen":
                continue
            try:
                s, e = int(f[1]), int(f[2])
            except (IndexError, ValueError):
                raise InputError("expected chrom, start, end (integers) [, band, stain]", path=path, line=i) from None
            if e <= s or s < 0:
                raise InputError(f"expected 0 <= start < end, got {s}-{e}", path=path, line=i)
            c = _bare(f[0])
            a, b = out.get(c, (s, e))
            out[c] = (min(a, s), max(b, e))
    if not out:
        raise InputError("no centromere rows (cytoBand 'acen' bands or chrom/start/end rows)", path=path)
    return out


def centromeres_for(build: str | None, path: str | None) -> tuple[dict[str, tuple[int, int]], str]:
    """Centromeres to use and where they come from ('' when none)."""
    if path:
        return read_centromeres(path), str(path)
    if build and build.strip().lower() in GRCH37_NAMES:
        ref = resources.files("cgtsafe") / "data" / "centromeres_grch37.tsv"
        with resources.as_file(ref) as p:
            return read_centromeres(p), "shipped GRCh37 table (UCSC hg19 cytoBand acen bands)"
    return {}, ""


def read_regions(path) -> list[tuple[str, str, int, int, str]]:
    """Named regions ``(name, chrom, start, end, kind)`` (TSV with a header ``name chrom start end kind``)."""
    import csv

    p = Path(path)
    if not p.exists():
        raise InputError("recurrent-region table not found", path=p)
    with p.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    need = ["name", "chrom", "start", "end", "kind"]
    if not rows or rows[0][:5] != need:
        raise InputError(f"expected the header {' '.join(need)}", path=p, line=1)
    out = []
    for i, r in enumerate(rows[1:], 2):
        if not any(x.strip() for x in r):
            continue
        try:
            name, chrom, s, e, kind = r[0], r[1], int(r[2]), int(r[3]), r[4]
        except (IndexError, ValueError):
            raise InputError("expected name, chrom, start, end (integers), kind", path=p, line=i) from None
        if kind not in ("gain", "loss", "any") or e <= s:
            raise InputError("expected kind gain/loss/any and start < end", path=p, line=i)
        out.append((name, chrom, s, e, kind))
    return out


def arm_of(chrom: str, start: int, end: int, cen: dict[str, tuple[int, int]]) -> str:
    """``p``, ``q``, ``p+q`` (spans the centromere) or '' (no centromere for this contig)."""
    c = cen.get(_bare(chrom))
    if c is None:
        return ""
    arms = ([("p")] if start < c[0] else []) + (["q"] if end > c[1] else [])
    return "+".join(arms) or "cen"


def flag(chrom: str, start: int, end: int, call: str, anchors: dict[str, tuple[str, int, int]],
         cen: dict[str, tuple[int, int]] | None = None, regions=()) -> str:
    """Recurrent-region names overlapped by a called segment ('' when none)."""
    names = [n for n, c, s, e, k in regions
             if c == chrom and s < end and start < e and call != "neutral" and k in (call, "any")]
    if call != "gain":
        return "; ".join(names)
    if any(c == chrom and s < end and start < e for c, s, e in anchors.values()):
        names.append("20q11.21 (BCL2L1 amplicon)")
    b = _bare(chrom)
    arm = arm_of(chrom, start, end, cen or {})
    if b in WHOLE and not arm:
        names.append(WHOLE[b])
    elif b == "12" and "p" in arm:
        names.append("12p gain")
    elif b == "17" and "q" in arm:
        names.append("17q gain")
    elif b == "X":
        names.append(WHOLE["X"])
    return "; ".join(names)


def arm_table(chroms: np.ndarray, starts: np.ndarray, ends: np.ndarray, x: np.ndarray, lengths: dict[str, int],
              cen: dict[str, tuple[int, int]], calls, sigma: float, z: float) -> list[dict]:
    """Per-arm rows (see the module docstring); a contig without a centromere is one row with arm ``whole``."""
    from cgtsafe.cnv.segment import fraction

    rows = []
    for c, length in lengths.items():
        k = cen.get(_bare(c))
        parts = [("whole", 0, length)] if k is None else [("p", 0, k[0]), ("q", k[1], length)]
        for arm, a, b in parts:
            if b <= a:
                continue
            sel = (chroms == c) & (starts >= a) & (ends <= b) & np.isfinite(x)
            n = int(sel.sum())
            cov = {"gain": 0, "loss": 0}
            for s in calls:
                if s.chrom == c and s.call != "neutral":
                    cov[s.call] += int((sel & (starts >= s.start) & (ends <= s.end)).sum())
            m = float(np.mean(x[sel])) if n else float("nan")
            se = sigma / np.sqrt(n) if n else float("nan")
            zz = m / se if n else float("nan")
            kind = "loss" if n and m < 0 else "gain"
            call = "neutral" if not n or abs(zz) < z else kind
            share = {k2: (v / n if n else 0.0) for k2, v in cov.items()}
            level = next((k2 for k2 in ("loss", "gain") if share[k2] >= ARM_LEVEL), "")
            rows.append({"chrom": c, "arm": arm, "start": a, "end": b, "n_bins": n, "mean_log2": m, "se": se, "z": zz,
                         "call": call, "cell_fraction": max(0.0, fraction(m, kind)) if n else float("nan"),
                         "gain_share": share["gain"], "loss_share": share["loss"], "arm_level": level, "name": ""})
    # names: arm-level changes, whole-chromosome (both arms) changes, the recurrent iPSC ones by name
    by_chrom: dict[str, list[dict]] = {}
    for r in rows:
        by_chrom.setdefault(r["chrom"], []).append(r)
    for c, rs in by_chrom.items():
        b = _bare(c)
        levels = {r["arm_level"] for r in rs}
        whole = len(rs) >= 1 and len(levels) == 1 and "" not in levels and (len(rs) == 2 or rs[0]["arm"] == "whole")
        for r in rs:
            if not r["arm_level"]:
                continue
            lab = f"{b}{r['arm'] if r['arm'] != 'whole' else ''} {r['arm_level']} (arm level)"
            if whole and len(rs) == 2:
                lab = ("trisomy " if r["arm_level"] == "gain" else "monosomy ") + b + " (both arms)"
            if r["arm_level"] == "gain" and ((b == "12" and r["arm"] == "p") or (b == "17" and r["arm"] == "q")):
                lab += "; recurrent in cultured pluripotent cells"
            if whole and len(rs) == 2 and r["arm_level"] == "gain" and b in ("12", "X"):
                lab += "; recurrent in cultured pluripotent cells"
            r["name"] = lab
    return rows


def covered(contigs, anchors, cen=None, regions=()) -> list[str]:
    """Which recurrent regions this genome + annotation (+ centromeres, named regions) can show at all."""
    bare = {_bare(c) for c in contigs}
    out = ["20q11.21"] if anchors else []
    out += [k for k in WHOLE if k in bare]
    if cen:
        out += [f"arms ({sum(1 for c in contigs if _bare(c) in cen)} contigs)"]
    out += [n for n, c, *_ in regions if c in set(contigs)]
    return out
