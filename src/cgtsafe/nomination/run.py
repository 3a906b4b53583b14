"""``cgtsafe nomination call``: reads of treated (and control) samples -> windows -> nominated sites.

Sample sheet (TSV, header): ``name role guide r1 r2 [i1] [i2] [barcode1] [barcode2]``
  ``role`` ``treated`` or ``control``; ``guide`` a guide name of the guide file (treated samples).
  With ``barcode1``/``barcode2`` the sample is demultiplexed from the pooled run (``--pool-r1/-r2/-i1/-i2``;
  then ``r1``/``r2`` may be empty); otherwise ``r1``/``r2`` (and ``i2`` for the UMI) are the sample's own
  files. Paths are relative to the working directory.

Outputs (``--outdir``)
  ``windows.tsv``    one row per window of a treated sample (all statuses; columns in docs/outputs/nomination.md)
  ``nominated.tsv``  the ``nominated`` windows in the ``sitecheck.nominated`` TSV format (``chrom start end
                     site_id strand cut_start cut_end source``; 0-based, end exclusive), ``source`` = method
  ``reads.tsv``      read accounting per sample (pairs, molecules, tagged, aligned, windows)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.nomination.reads import consolidate, demultiplex, get_layout, read_pairs
from cgtsafe.nomination.sites import SearchLimits, align_positions, cluster_windows, overlaps, search_window

WINDOW_COLUMNS = (
    "sample", "guide", "window_id", "chrom", "start", "end", "position", "umi_plus", "umi_minus", "umi",
    "reads_plus", "reads_minus", "reads", "primer1_umi", "primer2_umi", "control_umi", "control_reads",
    "background", "status", "site_chrom", "site_start", "site_end", "site_strand", "site", "mismatches",
    "dna_bulge", "rna_bulge", "pam", "pam_class", "cut_start", "cut_end", "guide_aln", "site_aln",
)
NOMINATED_COLUMNS = ("chrom", "start", "end", "site_id", "strand", "cut_start", "cut_end", "source", "umi",
                     "control_umi")


@dataclass
class CallParams:
    genome: str
    guides: str
    samples: str
    nuclease: str = "SpCas9"
    layout: str = "guideseq"
    method: str = "GUIDE-seq"
    pool: dict = field(default_factory=dict)  # r1 r2 i1 i2 of a pooled run
    barcode_mismatches: int = 1
    tag_mismatches: int = 2
    umi_min_qual: int = 15
    umi_min_freq: float = 0.9
    min_mapq: int = 10
    max_fragment: int = 10000
    window_gap: int = 10
    limits: SearchLimits = field(default_factory=SearchLimits)
    threads: int = 1


def read_samples(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.exists():
        raise InputError("nomination sample sheet not found", path=p)
    with p.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader((ln for ln in fh if ln.strip() and not ln.startswith("#")), delimiter="\t"))
    if not rows:
        raise InputError("empty nomination sample sheet: expected a header 'name role guide r1 r2 ...' and rows",
                         path=p)
    for col in ("name", "role", "guide", "r1", "r2"):
        if col not in rows[0]:
            raise InputError(f"missing column {col!r} (expected name role guide r1 r2 [i1] [i2] [barcode1] "
                             f"[barcode2])", path=p, line=1)
    seen = set()
    for i, r in enumerate(rows, start=2):
        r = {k: (v or "").strip() for k, v in r.items()}
        rows[i - 2] = r
        if r["role"] not in ("treated", "control"):
            raise InputError(f"column role: expected 'treated' or 'control', got {r['role']!r}", path=p, line=i)
        if r["name"] in seen or not r["name"]:
            raise InputError(f"column name: empty or duplicate sample name {r['name']!r}", path=p, line=i)
        seen.add(r["name"])
        if r["role"] == "treated" and not r["guide"]:
            raise InputError("column guide: a treated sample needs the guide name", path=p, line=i)
        if not (r.get("barcode1") and r.get("barcode2")) and not (r["r1"] and r["r2"]):
            raise InputError("expected r1 and r2 files, or barcode1 and barcode2 (pooled run)", path=p, line=i)
    if not any(r["role"] == "treated" for r in rows):
        raise InputError("no treated sample in the nomination sample sheet", path=p)
    return rows


def _sample_reads(params: CallParams, rows: list[dict], layout) -> dict[str, list]:
    out = {}
    pooled = {r["name"]: (r["barcode1"], r["barcode2"]) for r in rows if r.get("barcode1") and r.get("barcode2")}
    if pooled:
        need = ("r1", "r2", "i1", "i2")
        if not all(params.pool.get(k) for k in need):
            raise InputError("samples with barcode1/barcode2 need the pooled run files --pool-r1 --pool-r2 "
                             "--pool-i1 --pool-i2", path=params.samples)
        d = demultiplex(read_pairs(*(params.pool[k] for k in need)), pooled,
                        max_mismatches=params.barcode_mismatches, umi=layout.umi)
        out.update({k: v for k, v in d.items() if k in pooled})
        out["_undetermined"] = d["undetermined"]
    for r in rows:
        if r["name"] in pooled:
            continue
        i2 = r.get("i2") or None
        pairs = read_pairs(r["r1"], r["r2"], None, i2)
        lst = []
        for pair, _i1, idx2 in pairs:
            if layout.umi and idx2:
                pair.umi = idx2[layout.umi[0]:layout.umi[0] + layout.umi[1]]
            lst.append(pair)
        out[r["name"]] = lst
    return out


def run_call(params: CallParams, outdir: str | Path) -> None:
    import pandas as pd

    from cgtsafe.io.fasta import read_fasta
    from cgtsafe.io.tables import write_table
    from cgtsafe.offtarget.nuclease import get_nuclease
    from cgtsafe.offtarget.search import read_guides

    layout = get_layout(params.layout)
    rows = read_samples(params.samples)
    nuclease = get_nuclease(params.nuclease)
    guides = {g.name: g for g in read_guides(params.guides, nuclease)}
    for i, r in enumerate(rows, start=2):
        if r["role"] == "treated" and r["guide"] not in guides:
            raise InputError(f"column guide: {r['guide']!r} is not in the guide file {params.guides} "
                             f"({', '.join(guides)})", path=params.samples, line=i)
    if not Path(params.genome).exists():
        raise InputError("genome FASTA not found", path=params.genome)
    genome = read_fasta(params.genome)
    order = list(genome)
    reads = _sample_reads(params, rows, layout)
    stats_rows, windows = [], {}
    for r in rows:
        mols = consolidate(reads[r["name"]], min_qual=params.umi_min_qual, min_freq=params.umi_min_freq) \
            if layout.umi else [p for p in reads[r["name"]]]
        st: dict = {}
        pos = align_positions(mols, params.genome, layout, min_mapq=params.min_mapq, max_fragment=params.max_fragment,
                              tag_mismatches=params.tag_mismatches, threads=params.threads, stats=st)
        windows[r["name"]] = cluster_windows(pos, layout, window_gap=params.window_gap, contig_order=order)
        stats_rows.append({"sample": r["name"], "role": r["role"], "read_pairs": len(reads[r["name"]]),
                           "molecules": st["molecules"], "tagged_molecules": st["tagged"],
                           "aligned_molecules": st["aligned"], "unaligned_or_filtered": st["low_mapq_or_unpaired"],
                           "windows": len(windows[r["name"]])})
    if "_undetermined" in reads:
        stats_rows.append({"sample": "undetermined", "role": "", "read_pairs": len(reads["_undetermined"]),
                           "molecules": 0, "tagged_molecules": 0, "aligned_molecules": 0,
                           "unaligned_or_filtered": 0, "windows": 0})
    controls = [w for r in rows if r["role"] == "control" for w in windows[r["name"]]]
    has_control = any(r["role"] == "control" for r in rows)
    out, nominated = [], []
    for r in rows:
        if r["role"] != "treated":
            continue
        guide = guides[r["guide"]]
        for k, w in enumerate(windows[r["name"]], start=1):
            ctl = [c for c in controls if overlaps(w, c)]
            hit = search_window(genome, w, guide, nuclease, params.limits)
            background = bool(ctl)
            status = "background" if background else ("nominated" if hit else "no_guide_match")
            wid = f"{r['name']}_w{k}"
            row = {"sample": r["name"], "guide": guide.name, "window_id": wid, "chrom": w.chrom, "start": w.start,
                   "end": w.end, "position": w.position, "umi_plus": w.umi_plus, "umi_minus": w.umi_minus,
                   "umi": w.umi, "reads_plus": w.reads_plus, "reads_minus": w.reads_minus, "reads": w.reads,
                   "primer1_umi": w.primer1, "primer2_umi": w.primer2,
                   "control_umi": sum(c.umi for c in ctl), "control_reads": sum(c.reads for c in ctl),
                   "background": "yes" if background else ("no" if has_control else "not_tested"),
                   "status": status}
            for col in WINDOW_COLUMNS[19:]:
                key = col.removeprefix("site_") if col in ("site_chrom", "site_start", "site_end", "site_strand") \
                    else col
                row[col] = "" if hit is None else hit[key]
            out.append(row)
            if status == "nominated":
                nominated.append({"chrom": hit["chrom"], "start": hit["start"], "end": hit["end"],
                                  "site_id": f"{params.method}_{guide.name}_{hit['chrom']}_{hit['start']}",
                                  "strand": hit["strand"], "cut_start": hit["cut_start"], "cut_end": hit["cut_end"],
                                  "source": params.method, "umi": w.umi, "control_umi": row["control_umi"]})
    outdir = Path(outdir)
    write_table(pd.DataFrame(out, columns=list(WINDOW_COLUMNS)), outdir / "windows.tsv")
    rank = {c: i for i, c in enumerate(order)}
    nominated.sort(key=lambda n: (rank[n["chrom"]], n["start"], n["strand"], n["end"], -n["umi"]))
    nom = pd.DataFrame(nominated, columns=list(NOMINATED_COLUMNS)).drop_duplicates(
        subset=["chrom", "start", "end", "strand"])
    write_table(nom, outdir / "nominated.tsv")
    write_table(pd.DataFrame(stats_rows), outdir / "reads.tsv")
