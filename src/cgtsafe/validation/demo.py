"""Method performance on the built-in synthetic truth set (``cgtsafe validate-demo``).

Compares a finished run on ``test-data/`` with the truth tables written by ``scripts/make_test_data.py``:
each check reads only result tables and truth tables (it never re-runs the analysis) and returns
:func:`cgtsafe.validation.records.record` dicts. The command line is :mod:`cgtsafe.validation.cli`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cgtsafe.validation.records import record


def _tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def check_offtarget(results: Path, truth: Path) -> list[dict]:
    sites_path = results / "offtarget" / "sites.tsv"
    planted = _tsv(truth / "offtarget" / "planted_sites.tsv")
    if not sites_path.exists():
        return []
    sites = _tsv(sites_path)
    params = {}
    summary_path = results / "offtarget" / "summary.json"
    if summary_path.exists():
        params = json.loads(summary_path.read_text(encoding="utf-8")).get("parameters", {})
    max_mm = int(params.get("max_mismatches", 6))
    max_dna, max_rna = int(params.get("max_dna_bulge", 2)), int(params.get("max_rna_bulge", 2))
    max_bulge_mm = params.get("max_bulge_mismatches")
    key = ["guide", "chrom", "start", "strand", "mismatches", "dna_bulge", "rna_bulge"]
    found = set(map(tuple, sites[key].astype(str).values.tolist()))
    mm, dna, rna = (planted[c].astype(int) for c in ("mismatches", "dna_bulge", "rna_bulge"))
    within = (mm <= max_mm) & (dna <= max_dna) & (rna <= max_rna)
    if max_bulge_mm is not None:
        within &= ((dna + rna) == 0) | (mm <= int(max_bulge_mm))
    ref_rows = planted[~planted["category"].str.startswith("variant") & within]
    hits = [tuple(r) in found for r in ref_rows[key].astype(str).values.tolist()]
    limits = f"<= {max_mm} mm, <= {max_dna} DNA / {max_rna} RNA bulges"
    out = [record("offtarget", f"recall of planted off-target sites within the limits ({limits}; exact position, "
                  "strand, mismatches, bulges)",
                  sum(hits) / len(hits), "1.0 (every planted site within the search limits)", len(hits),
                  "test-data/offtarget/planted_sites.tsv", all(hits))]
    var_paths = sorted((results / "offtarget").glob("variants_*.tsv"))
    var_rows = planted[planted["category"].str.startswith("variant")]
    if var_paths and len(var_rows):
        var = pd.concat([_tsv(p) for p in var_paths], ignore_index=True)
        cols = [c for c in ("guide", "chrom", "start", "strand") if c in var.columns]
        got = set(map(tuple, var[cols].values.tolist())) if cols else set()
        ok = [tuple(r) in got for r in var_rows[cols].values.tolist()] if cols else []
        out.append(record("offtarget", "variant-dependent sites found (created or lowered by a donor allele)",
                          sum(ok) / max(len(ok), 1), "1.0", len(ok), "test-data/offtarget/donor.vcf", ok and all(ok)))
    return out


def check_editor_arms(v, truth: Path) -> list[dict]:
    """Base-editor / prime-editor arms (truth_editors.tsv): the planted event share of each edited sample
    (base-edited + indel reads; every read but unmodified for prime editing) inside the verdict's 95 % interval."""
    path = truth / "sequencing" / "truth_editors.tsv"
    if not path.exists():
        return []
    t = _tsv(path)
    n = inside = 0
    for r in t[t["role"] == "edited"].itertuples():
        row = v[(v["assay"] == "amplicon") & (v["edited_sample"] == r.sample) & (v["site_id"] == r.site_id)]
        if row.empty:
            continue
        share = (int(r.reads) - int(r.unmodified)) / int(r.reads)
        n += 1
        inside += float(row["edited_ci_low"].iloc[0]) - 1e-9 <= share <= float(row["edited_ci_high"].iloc[0]) + 1e-9
    if not n:
        return []
    return [record("sitecheck", "editor arms (CBE, prime editing): planted editing share inside the 95 % Wilson "
                                "interval", inside / n, "1.0 of sites", n, "test-data/sequencing/truth_editors.tsv",
                   inside == n)]


def check_sitecheck(results: Path, truth: Path) -> list[dict]:
    verdicts_path = results / "sitecheck" / "site_verdicts.tsv"
    truth_path = truth / "sequencing" / "truth_sites.tsv"
    if not verdicts_path.exists() or not truth_path.exists():
        return []
    v = _tsv(verdicts_path)
    t = _tsv(truth_path).set_index("site_id")
    out = []
    nuclease = v[v["edited_sample"] == "EDITED_D1"]  # the nuclease arm; the editor arms: check_editor_arms
    for assay, prefix in (("amplicon", "amplicon_EDITED_D1"), ("wgs", "wgs_EDITED_D1")):
        rows = nuclease[(nuclease["assay"] == assay) & nuclease["site_id"].isin(t.index)]
        inside, n = 0, 0
        false_edit = []
        for _, r in rows.iterrows():
            tr = t.loc[r["site_id"]]
            e, u = tr.get(f"{prefix}_edited", ""), tr.get(f"{prefix}_unedited", "")
            if e == "" or u == "" or int(e) + int(u) == 0:
                continue
            simulated = int(e) / (int(e) + int(u))
            n += 1
            inside += float(r["edited_ci_low"]) - 1e-9 <= simulated <= float(r["edited_ci_high"]) + 1e-9
            planted = float(tr[f"{assay}_edit_freq"] or 0)
            if planted == 0 and r["verdict"] == "edited":
                false_edit.append(r["site_id"])
        if n:
            out.append(record("sitecheck", f"{assay}: simulated editing frequency inside the 95 % Wilson interval",
                              inside / n, ">= 0.9 of sites (95 % intervals)", n,
                              "test-data/sequencing/truth_sites.tsv", inside / n >= 0.9))
            out.append(record("sitecheck", f"{assay}: unedited sites called edited (false positives)",
                              len(false_edit), "0", n, "test-data/sequencing/truth_sites.tsv", not false_edit))
    amp = nuclease[nuclease["assay"] == "amplicon"]
    planted = _tsv(truth / "offtarget" / "planted_sites.tsv").set_index("site_id")
    edited = [sid for sid in amp["site_id"] if sid in planted.index and float(planted.loc[sid, "wgs_edit_freq"]) > 0]
    called = [sid for sid in edited if (amp.loc[amp["site_id"] == sid, "verdict"] == "edited").all()]
    if edited:
        out.append(record("sitecheck", "amplicon: planted edited sites (0.60, 0.20, 0.03) called edited",
                          len(called) / len(edited), "1.0", len(edited), "test-data/offtarget/planted_sites.tsv",
                          len(called) == len(edited)))
    out += check_editor_arms(v, truth)
    gw_path = results / "sitecheck" / "genomewide_variants.tsv"
    germ_path = truth / "sequencing" / "truth_germline.tsv"
    if gw_path.exists() and germ_path.exists():
        gw = _tsv(gw_path)
        germ = _tsv(germ_path)
        germ_keys = set(zip(germ["chrom"], germ["pos"]))
        if "call" in gw.columns:
            gw = gw[gw["call"].str.len() > 0]
        hits = [k for k in zip(gw.get("chrom", []), gw.get("pos", [])) if k in germ_keys]
        out.append(record("sitecheck", "genome-wide: germline variants called as edited-only", len(hits), "0",
                          len(germ), "test-data/sequencing/truth_germline.tsv", not hits))
    return out


def check_integration(results: Path, truth: Path) -> list[dict]:
    sites_path = results / "integration" / "sites.tsv"
    truth_path = truth / "integration" / "truth_clones.tsv"
    if not sites_path.exists() or not truth_path.exists():
        return []
    sites = _tsv(sites_path)
    tc = _tsv(truth_path)
    out = []
    called = set(zip(sites["sample"], sites["chrom"], sites["position"], sites["strand"]))
    samples = [c[len("fragments_"):] for c in tc.columns if c.startswith("fragments_")]
    present = []
    for smp in samples:
        col = tc[f"fragments_{smp}"].astype(int)
        for _, r in tc[col > 0].iterrows():
            present.append((smp, r["chrom"], r["position"], r["strand"]))
    found = sum(k in called for k in present)
    out.append(record("integration", "recall of simulated clones with >= 1 fragment (exact junction and strand)",
                      found / max(len(present), 1), ">= 0.95 (clones < 5 bp apart merge)", len(present),
                      "test-data/integration/truth_clones.tsv", found / max(len(present), 1) >= 0.95))
    exp_path = results / "integration" / "expansion.tsv"
    if exp_path.exists():
        exp = _tsv(exp_path)
        flagged = exp[exp["expanding"] == "1"]
        near_lmo2 = flagged["gene_of_concern"].str.contains("LMO2").sum()
        out.append(record("integration", "expanding clone near LMO2 flagged (planted 1 % -> 5 % -> 20 %)",
                          int(near_lmo2), ">= 1", len(exp), "test-data/integration/truth_clones.tsv", near_lmo2 >= 1))
    att_path = results / "integration" / "attrition.tsv"
    tatt_path = truth / "integration" / "truth_attrition.tsv"
    if att_path.exists() and tatt_path.exists():
        att = _tsv(att_path).set_index("sample")
        tatt = _tsv(tatt_path).set_index("sample")
        cols = [c for c in ("barcode", "primed", "ltr_verified", "linker_found", "aligned", "unique_aligned")
                if c in att.columns and c in tatt.columns]
        cells = [(s, c) for s in tatt.index if s in att.index for c in cols]
        equal = sum(att.loc[s, c] == tatt.loc[s, c] for s, c in cells)
        out.append(record("integration", "attrition counts equal to the simulated read classes",
                          equal / max(len(cells), 1), "1.0", len(cells), "test-data/integration/truth_attrition.tsv", equal == len(cells)))
    return out


def check_tcr(results: Path, truth: Path) -> list[dict]:
    truth_path = truth / "tcr" / "truth_hits.tsv"
    hit_files = sorted((results / "tcr").glob("*/hits.tsv"))
    if not truth_path.exists() or not hit_files:
        return []
    th = _tsv(truth_path)
    hits = pd.concat([_tsv(p) for p in hit_files], ignore_index=True)
    got = set(zip(hits["protein"], hits["position"], hits["kmer"]))
    # A decoy may appear in the whole-proteome similarity ranking (method "ranked" only: the top N most similar
    # k-mers are listed whatever their distance, by design); it must never be called by a recognition method.
    if "method" in hits.columns:
        methods = hits["method"].fillna("").astype(str).str.split(";")
        recognised = {key for key, m in zip(zip(hits["protein"], hits["position"], hits["kmer"]), methods)
                      if set(m) & {"exact", "motif", "xscan", "similarity"}}
    else:  # a hits table without its method column: every row counts as a recognition hit
        recognised = got
    real = th[~th["category"].str.startswith("decoy")]
    decoys = th[th["category"].str.startswith("decoy")]
    found = sum((r["protein"], r["position"], r["kmer"]) in got for _, r in real.iterrows())
    false = sum((r["protein"], r["position"], r["kmer"]) in recognised for _, r in decoys.iterrows())
    return [
        record("tcr", "planted cross-reactivity hits found (exact, motif, X-scan, similarity)",
               found / max(len(real), 1), "1.0", len(real), "test-data/tcr/truth_hits.tsv", found == len(real)),
        record("tcr", "decoys called by a recognition method (exact, motif, X-scan, similarity radius)", false, "0",
               len(decoys), "test-data/tcr/truth_hits.tsv", false == 0),
    ]


def check_cnv(results: Path, truth: Path) -> list[dict]:
    """Planted copy-number events (test-data/cnv/truth.tsv; 0-based, end exclusive) against the called segments."""
    truth_path = truth / "cnv" / "truth.tsv"
    seg_files = sorted((results / "cnv").glob("*/segments.tsv"))
    if not truth_path.exists() or not seg_files:
        return []
    tr = _tsv(truth_path)
    seg = pd.concat([_tsv(p) for p in seg_files], ignore_index=True)
    for c in ("start", "end"):
        seg[c] = seg[c].astype(int)
    inside, events = 0, len(tr)
    matched: set[int] = set()
    for _, ev in tr.iterrows():
        s, e, f = int(ev["start"]), int(ev["end"]), float(ev["cell_fraction"])
        ov = seg[(seg["chrom"] == ev["chrom"]) & (seg["call"] == ev["type"])
                 & (seg["start"] < e) & (seg["end"] > s)]
        # the segment covering most of the event carries its estimate
        if len(ov):
            cover = (ov["end"].clip(upper=e) - ov["start"].clip(lower=s))
            best = ov.loc[cover.idxmax()]
            matched.add(int(cover.idxmax()))
            inside += (cover.max() >= 0.5 * (e - s)
                       and float(best["cell_fraction_low"]) - 1e-9 <= f <= float(best["cell_fraction_high"]) + 1e-9)
    extra = seg[seg["call"].isin(["gain", "loss"]) & ~seg.index.isin(list(matched))]
    return [
        record("cnv", "planted gains/losses called with the planted cell fraction inside the 95 % interval",
               inside / max(events, 1), "1.0", events, "test-data/cnv/truth.tsv", inside == events),
        record("cnv", "gain/loss segments called outside the planted events (false positives)", len(extra), "0",
               len(seg), "test-data/cnv/truth.tsv", len(extra) == 0),
    ]


CHECKS: dict[str, Callable[[Path, Path], list[dict]]] = {
    "offtarget": check_offtarget,
    "sitecheck": check_sitecheck,
    "integration": check_integration,
    "tcr": check_tcr,
    "cnv": check_cnv,
}


def validate(results: Path, truth: Path) -> list[dict]:
    records: list[dict] = []
    for name, check in CHECKS.items():
        records.extend(check(Path(results), Path(truth)))
    return records
