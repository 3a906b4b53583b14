"""Method performance on the built-in synthetic truth set: ``cgtsafe validate-demo``.

Compares a finished run on ``test-data/`` with the truth tables written by
``scripts/make_test_data.py`` and writes ``method_performance.json``: a list of
``{"analysis", "metric", "value", "reference", "n", "source", "passed"}`` records that the
evidence report shows in its Method performance section (guidance 000 asks that bioinformatic
methods be shown to be robust). The command exits with status 1 when a check fails, which makes
it the end-to-end assertion of the CI demo run.

Each check reads only result tables and truth tables; it never re-runs the analysis.

With ``--reference-data DIR`` (``../shared/data``) the records of
:func:`cgtsafe.validation_reference.validate_reference` are appended: the package's functions run at
validation time on real reference data and compared with peer tools and publications (Cas-OFFinder,
published GUIDE-seq/CIRCLE-seq sites, CRISPResso2, intSiteCaller, Wu et al. 2003, HPA, BLOSUM62). An
absent folder is a note on stderr, not an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cgtsafe.io.tables import write_json

Check = Callable[[Path, Path], list[dict]]


def _rec(analysis, metric, value, reference, n, source, passed) -> dict:
    return {"analysis": analysis, "metric": metric, "value": value, "reference": reference, "n": int(n),
            "source": source, "passed": bool(passed)}


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
    out = [_rec("offtarget", f"recall of planted off-target sites within the limits ({limits}; exact position, "
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
        out.append(_rec("offtarget", "variant-dependent sites found (created or lowered by a donor allele)",
                        sum(ok) / max(len(ok), 1), "1.0", len(ok), "test-data/offtarget/donor.vcf", ok and all(ok)))
    return out


def check_sitecheck(results: Path, truth: Path) -> list[dict]:
    verdicts_path = results / "sitecheck" / "site_verdicts.tsv"
    truth_path = truth / "sequencing" / "truth_sites.tsv"
    if not verdicts_path.exists() or not truth_path.exists():
        return []
    v = _tsv(verdicts_path)
    t = _tsv(truth_path).set_index("site_id")
    out = []
    for assay, prefix in (("amplicon", "amplicon_EDITED_D1"), ("wgs", "wgs_EDITED_D1")):
        rows = v[(v["assay"] == assay) & v["site_id"].isin(t.index)]
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
            out.append(_rec("sitecheck", f"{assay}: simulated editing frequency inside the 95 % Wilson interval",
                            inside / n, ">= 0.9 of sites (95 % intervals)", n,
                            "test-data/sequencing/truth_sites.tsv", inside / n >= 0.9))
            out.append(_rec("sitecheck", f"{assay}: unedited sites called edited (false positives)",
                            len(false_edit), "0", n, "test-data/sequencing/truth_sites.tsv", not false_edit))
    amp = v[v["assay"] == "amplicon"]
    planted = _tsv(truth / "offtarget" / "planted_sites.tsv").set_index("site_id")
    edited = [sid for sid in amp["site_id"] if sid in planted.index and float(planted.loc[sid, "wgs_edit_freq"]) > 0]
    called = [sid for sid in edited if (amp.loc[amp["site_id"] == sid, "verdict"] == "edited").all()]
    if edited:
        out.append(_rec("sitecheck", "amplicon: planted edited sites (0.60, 0.20, 0.03) called edited",
                        len(called) / len(edited), "1.0", len(edited), "test-data/offtarget/planted_sites.tsv",
                        len(called) == len(edited)))
    gw_path = results / "sitecheck" / "genomewide_variants.tsv"
    germ_path = truth / "sequencing" / "truth_germline.tsv"
    if gw_path.exists() and germ_path.exists():
        gw = _tsv(gw_path)
        germ = _tsv(germ_path)
        germ_keys = set(zip(germ["chrom"], germ["pos"]))
        if "call" in gw.columns:
            gw = gw[gw["call"].str.len() > 0]
        hits = [k for k in zip(gw.get("chrom", []), gw.get("pos", [])) if k in germ_keys]
        out.append(_rec("sitecheck", "genome-wide: germline variants called as edited-only", len(hits), "0",
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
    out.append(_rec("integration", "recall of simulated clones with >= 1 fragment (exact junction and strand)",
                    found / max(len(present), 1), ">= 0.95 (clones < 5 bp apart merge)", len(present),
                    "test-data/integration/truth_clones.tsv", found / max(len(present), 1) >= 0.95))
    exp_path = results / "integration" / "expansion.tsv"
    if exp_path.exists():
        exp = _tsv(exp_path)
        flagged = exp[exp["expanding"] == "1"]
        near_lmo2 = flagged["gene_of_concern"].str.contains("LMO2").sum()
        out.append(_rec("integration", "expanding clone near LMO2 flagged (planted 1 % -> 5 % -> 20 %)",
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
        out.append(_rec("integration", "attrition counts equal to the simulated read classes", equal / max(len(cells), 1),
                        "1.0", len(cells), "test-data/integration/truth_attrition.tsv", equal == len(cells)))
    return out


def check_tcr(results: Path, truth: Path) -> list[dict]:
    truth_path = truth / "tcr" / "truth_hits.tsv"
    hit_files = sorted((results / "tcr").glob("*/hits.tsv"))
    if not truth_path.exists() or not hit_files:
        return []
    th = _tsv(truth_path)
    hits = pd.concat([_tsv(p) for p in hit_files], ignore_index=True)
    got = set(zip(hits["protein"], hits["position"], hits["kmer"]))
    real = th[~th["category"].str.startswith("decoy")]
    decoys = th[th["category"].str.startswith("decoy")]
    found = sum((r["protein"], r["position"], r["kmer"]) in got for _, r in real.iterrows())
    false = sum((r["protein"], r["position"], r["kmer"]) in got for _, r in decoys.iterrows())
    return [
        _rec("tcr", "planted cross-reactivity hits found (exact, motif, X-scan, similarity)", found / max(len(real), 1),
             "1.0", len(real), "test-data/tcr/truth_hits.tsv", found == len(real)),
        _rec("tcr", "decoys reported as hits", false, "0", len(decoys), "test-data/tcr/truth_hits.tsv", false == 0),
    ]


CHECKS: dict[str, Check] = {
    "offtarget": check_offtarget,
    "sitecheck": check_sitecheck,
    "integration": check_integration,
    "tcr": check_tcr,
}


def validate(results: Path, truth: Path) -> list[dict]:
    records: list[dict] = []
    for name, check in CHECKS.items():
        records.extend(check(Path(results), Path(truth)))
    return records


def register(sub) -> None:
    p = sub.add_parser("validate-demo", help="compare a demo run with the synthetic truth tables (method performance)")
    p.add_argument("--results", default="results", help="results folder of the run")
    p.add_argument("--truth", default="test-data", help="test-data folder with the truth tables")
    p.add_argument("--out", required=True, help="method_performance.json")
    p.add_argument("--reference-data", default=None, metavar="DIR",
                   help="folder with the real reference data (../shared/data): also run the comparisons with peer "
                        "tools and publications of cgtsafe.validation_reference; skipped with a note when absent")
    p.add_argument("--no-fail", action="store_true",
                   help="exit 0 even when a check fails (the workflow rule: the report shows the failure)")
    p.set_defaults(func=_run)
    register_reference(sub)


def _run(args) -> int:
    import sys

    from cgtsafe.errors import InputError

    if not Path(args.truth).is_dir():
        raise InputError("--truth: folder with the truth tables not found", path=args.truth)
    records = validate(Path(args.results), Path(args.truth))
    if args.reference_data:
        ref = Path(args.reference_data)
        if ref.is_dir():
            import time

            from cgtsafe.validation_reference import validate_reference

            t0 = time.perf_counter()
            ref_records = validate_reference(ref)
            print(f"validate-demo: {len(ref_records)} reference-data record(s) from {ref} "
                  f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
            records.extend(ref_records)
        else:
            print(f"validate-demo: reference data folder {ref} absent: reference comparisons skipped", file=sys.stderr)
    write_json(args.out, records)
    failed = [r for r in records if not r["passed"]]
    for r in records:
        mark = "ok  " if r["passed"] else "FAIL"
        print(f"{mark} {r['analysis']}: {r['metric']}: {r['value']:.4g} (n={r['n']}; expected {r['reference']})"
              if isinstance(r["value"], (int, float)) else f"{mark} {r['analysis']}: {r['metric']}: {r['value']}")
    if not records:
        print("validate-demo: no results to check", file=sys.stderr)
        return 0 if args.no_fail else 1
    return 0 if (args.no_fail or not failed) else 1


def load(path: str | Path) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- operational-qualification record
#: the record CI produced for this version on the real reference data, shipped with the package
SHIPPED_RECORD = Path(__file__).resolve().parent / "data" / "validation_record.json"
RECORD_FORMAT = "cgtsafe-validation-record/1"


def reference_record(reference_data: str | Path, *, command: str = "") -> dict:
    """Run :func:`cgtsafe.validation_reference.validate_reference` on ``reference_data`` and return the
    record: format, cgtsafe version, date (UTC), platform, the SHA-256 of every file of the reference data
    (paths relative to it), the figures (method-performance records, same fields as ``validate-demo``),
    how many passed, and the wall time of each check."""
    import datetime
    import platform
    import sys

    from cgtsafe import __version__
    from cgtsafe.errors import InputError
    from cgtsafe.provenance import sha256
    from cgtsafe.validation_reference import validate_reference

    ref = Path(reference_data)
    if not ref.is_dir():
        raise InputError("reference data folder not found", path=ref)
    files = sorted(p for p in ref.rglob("*") if p.is_file())
    if not files:
        raise InputError("reference data folder is empty; expected the layout of shared/data "
                         "(see docs/config/report.md)", path=ref)
    checksums = [{"path": p.relative_to(ref).as_posix(), "bytes": p.stat().st_size, "sha256": sha256(p)}
                 for p in files]
    timings: dict[str, float] = {}
    records = validate_reference(ref, timings=timings)
    if not records:
        raise InputError("no reference comparison could run: the folder lacks every expected file "
                         "(see cgtsafe.validation_reference)", path=ref)
    return {
        "format": RECORD_FORMAT,
        "cgtsafe_version": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "command": command,
        "reference_data": {"n_files": len(checksums), "bytes": sum(c["bytes"] for c in checksums),
                           "files": checksums},
        "summary": {"records": len(records), "passed": sum(r["passed"] for r in records),
                    "failed": sum(not r["passed"] for r in records)},
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "records": records,
    }


def load_reference_record(path: str | Path | None = None) -> dict | None:
    """The validation record to cite in a report: ``path``, else the one shipped with the package
    (:data:`SHIPPED_RECORD`, produced by CI for this version). ``None`` when there is none. The caller shows
    ``records`` (same fields as ``method_performance.json``) with ``cgtsafe_version``, ``date`` and the
    reference data's checksums; a record of another version than the running cgtsafe must be labelled so."""
    from cgtsafe.errors import InputError

    p = Path(path) if path else SHIPPED_RECORD
    if not p.is_file():
        if path:
            raise InputError("validation record not found", path=p)
        return None
    try:
        record = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"validation record is not JSON ({exc})".splitlines()[0], path=p) from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT or not isinstance(
            record.get("records"), list):
        raise InputError(f"not a {RECORD_FORMAT} validation record", path=p)
    return record


def same_figures(a: dict, b: dict) -> list[str]:
    """Differences between two records that matter (version, reference-data checksums, figures); dates,
    timings and platform are ignored. Empty = the same qualification."""
    out = []
    if a.get("cgtsafe_version") != b.get("cgtsafe_version"):
        out.append(f"cgtsafe version {a.get('cgtsafe_version')} vs {b.get('cgtsafe_version')}")
    fa = {f["path"]: f["sha256"] for f in a["reference_data"]["files"]}
    fb = {f["path"]: f["sha256"] for f in b["reference_data"]["files"]}
    out += [f"reference file {k}" for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]

    def key(r):
        return (r["analysis"], r["metric"])

    ra = {key(r): (r["value"], r["passed"], r["n"]) for r in a["records"]}
    rb = {key(r): (r["value"], r["passed"], r["n"]) for r in b["records"]}
    out += [f"figure {k[0]}: {k[1]}: {ra.get(k)} vs {rb.get(k)}" for k in sorted(set(ra) | set(rb))
            if ra.get(k) != rb.get(k)]
    return out


def register_reference(sub) -> None:
    p = sub.add_parser("validate-reference",
                       help="method validation on real reference data: writes a record (version, checksums, date, "
                            "figures) the report can cite")
    p.add_argument("--reference-data", required=True, metavar="DIR",
                   help="folder with the real reference data (layout of ../shared/data; see docs/config/report.md)")
    p.add_argument("--out", required=True, help="record (JSON)")
    p.add_argument("--compare", default=None, metavar="RECORD",
                   help="also compare with this record (e.g. the shipped src/cgtsafe/data/validation_record.json): "
                        "exit 1 when version, reference checksums or figures differ")
    p.set_defaults(func=_run_reference)


def _run_reference(args) -> int:
    import sys

    record = reference_record(args.reference_data,
                              command=f"cgtsafe validate-reference --reference-data {args.reference_data}")
    write_json(args.out, record)
    s = record["summary"]
    print(f"validate-reference: {s['passed']}/{s['records']} checks passed on {record['reference_data']['n_files']} "
          f"reference files; record written to {args.out}", file=sys.stderr)
    for r in record["records"]:
        if not r["passed"]:
            print(f"FAIL {r['analysis']}: {r['metric']}: {r['value']}", file=sys.stderr)
    if args.compare:
        diffs = same_figures(load_reference_record(args.compare), record)
        for d in diffs:
            print(f"validate-reference: differs from {args.compare}: {d}", file=sys.stderr)
        if diffs:
            print("validate-reference: the shipped record is not this version's; regenerate it with "
                  f"cgtsafe validate-reference --reference-data DIR --out {args.compare}", file=sys.stderr)
            return 1
    return 0 if s["failed"] == 0 else 1
