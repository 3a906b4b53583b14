"""Fixture summaries for the report tests: a demo-like results folder covering every summary status.

``make_results(root, ...)`` writes ``root/results/<analysis>/summary.json`` with tables (TSV) and plotly
figure JSON, ``root/results/provenance.json``, ``root/validation.json``, imported lab files and
``root/config.yaml``. Hostile strings (``<script>``, ``</script>`` inside JSON, quotes, ampersands) are
planted in names, titles and cells to test escaping.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from cgtsafe.io.tables import write_json
from cgtsafe.summary import make_summary, not_applicable, write_summary

EVIL = "<script>alert(1)</script>"
EVIL_JSON = "x</script><script>alert(2)</script>"


SITE_VERDICT_COLUMNS = [
    "assay", "edited_sample", "control_sample", "site_id", "guide", "chrom", "start", "end", "strand", "cut_start",
    "cut_end", "window_start", "window_end", "source", "on_target", "mismatches", "gene", "gene_of_concern",
    "edited_reads", "edited_indel", "edited_substitution_only", "edited_unmodified", "edited_freq", "edited_ci_low",
    "edited_ci_high", "control_reads", "control_indel", "control_substitution_only", "control_unmodified",
    "control_freq", "control_ci_low", "control_ci_high", "excess_freq", "excess_ci_low", "excess_ci_high", "p_value",
    "q_value", "lod", "lod_reachable", "threshold", "verdict"]


def _fig(title: str, x, y, name: str = "series") -> dict:
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=list(x), y=list(y), name=name))
    fig.update_layout(title=title, template="plotly_white")
    return json.loads(fig.to_json())


def _tsv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\t".join(header) + "\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows),
                    encoding="utf-8")


def make_results(root: Path, *, statuses: dict[str, str] | None = None, big_rows: int = 600,
                 modality=("gene_edited_cells", "car_t"), ltfu=None, imported: bool = True) -> dict:
    """Write the fixture tree; returns paths {config, results, provenance, performance}."""
    statuses = statuses or {"offtarget": "computed", "sitecheck": "computed", "integration": "failed",
                            "tcr": "not_applicable"}
    res = root / "results"
    res.mkdir(parents=True, exist_ok=True)
    for a, st in statuses.items():
        d = res / a
        d.mkdir(parents=True, exist_ok=True)
        if st == "absent":
            continue
        if st == "not_applicable":
            write_summary(d / "summary.json", not_applicable(a, "No TCR in this CAR-T product", "本CAR-T产品不含TCR"))
            continue
        if st in ("failed", "missing_input"):
            write_summary(d / "summary.json", make_summary(
                a, status=st, reason=f"{a} step {st}: reads file absent" if st == "missing_input" else
                f"{a} step failed: aligner exited with status 1",
                verdict_level="inconclusive", verdict_en=f"{a}: {st}", verdict_zh=f"{a}：{st}"))
            continue
        rows = [[f"chr{1 + i % 4}", 1000 * i, 1000 * i + 23, i % 7, f"{(i * 37 % 101) / 100:.2f}",
                 EVIL if i == 3 else f"site_{i:04d}"] for i in range(big_rows)]
        _tsv(d / "sites.tsv", ["chrom", "start", "end", "mismatches", "score", "name"], rows)
        (d / "fig_mm.json").write_text(json.dumps(_fig(f"Mismatch distribution / 错配分布 {EVIL}", range(7),
                                                        [sum(1 for r in rows if r[3] == k) for k in range(7)])),
                                       encoding="utf-8")
        tables = [{"id": "sites", "title_en": f"Candidate sites & {EVIL}", "title_zh": "候选位点",
                   "path": "sites.tsv", "description_en": "start 0-based inclusive, end exclusive",
                   "description_zh": "start 为0起始（含），end 不含"}]
        figures = [{"id": "mismatches", "title_en": "Mismatches per site", "title_zh": "各位点错配数",
                    "path": "fig_mm.json"}]
        if a == "sitecheck":
            # the per-site verdict table with the real 41 columns of sitecheck/site_verdicts.tsv
            _tsv(d / "site_verdicts.tsv", SITE_VERDICT_COLUMNS,
                 [[{"assay": "amplicon", "site_id": f"OT{i}", "edited_freq": f"0.00{i}", "edited_ci_low": "0.0004",
                    "edited_ci_high": "0.0051", "lod": "0.0012", "threshold": "0.001",
                    "verdict": "edited" if i == 1 else "not_detected"}.get(c, "x") for c in SITE_VERDICT_COLUMNS]
                  for i in range(1, 4)])
            tables.append({"id": "sitecheck_site_verdicts", "title_en": "Per-site verdicts", "title_zh": "各位点结论",
                           "path": "site_verdicts.tsv"})
            _tsv(d / "species.tsv", ["site", "human", "cynomolgus", "conserved"],
                 [["ON", "GGGTGGGGGGAGTTTGCTCCTGG", "GGGTGGGGGGAGTTTGCTCCTGG", "yes"],
                  ["OT1", "GAGTGGGGGGAGTTTGCTCCAGG", "GAGTGAGGGGAGTTTGCTCCAGG", "no"]])
            tables.append({"id": "species_conservation", "title_en": "Site conservation in the toxicology species",
                           "title_zh": "毒理种属中的位点保守性", "path": "species.tsv"})
        write_summary(d / "summary.json", make_summary(
            a, status="computed", verdict_level="pass" if a == "offtarget" else "attention",
            verdict_en=f"{big_rows} candidate sites; 0 edited above threshold ({EVIL})",
            verdict_zh=f"{big_rows} 个候选位点；0 个高于阈值",
            key_figures=[{"label_en": "Candidate sites", "label_zh": "候选位点", "value": big_rows},
                         {"label_en": "Threshold", "label_zh": "阈值", "value": 0.001}],
            methods_en=f"Sites were searched with up to 6 mismatches. Sample {EVIL}.",
            methods_zh="允许最多6个错配搜索位点。",
            parameters={"max_mismatches": 6, "pam": "NGG", "note": EVIL_JSON},
            tables=tables, figures=figures,
            requirements=["R004-38", "R004-40"] if a == "offtarget" else [],
            performance=[{"metric": "sensitivity on planted sites", "value": 0.98, "source": "truth table"}],
            exclusions=[{"what": "sites in N gaps", "count": 4, "reason": f"reference N ({EVIL})"}],
            inputs=["test-data/offtarget/guides.tsv"]))
    # imported lab results
    lab = root / "lab"
    items = []
    if imported:
        _tsv(lab / "vcn.tsv", ["lot", "vcn_mean", "method"], [["L001", "2.1", "ddPCR"], ["L002", "1.8", "ddPCR"]])
        _tsv(lab / "rcv.tsv", ["lot", "result", "unit"], [["L001", "not detected", "copies/ug"],
                                                            ["L002", "12", "copies/ug"], ["L003", "3", "copies/ug"]])
        (lab / "hla.txt").write_text(f"Allo-HLA screen: no reactivity against 110 alleles {EVIL}\n", encoding="utf-8")
        items = [
            {"kind": "vcn", "title": "VCN of three lots", "file": str(lab / "vcn.tsv"), "glp": True,
             "study_id": "GLP-2026-001", "note": ""},
            {"kind": "rcv", "title": "RCL by qPCR", "file": str(lab / "rcv.tsv"), "glp": False,
             "study_id": "QC-17", "limit": 10, "note": "limit per lot"},
            {"kind": "allo_hla", "title": f"Allo-HLA {EVIL}", "file": str(lab / "hla.txt"), "glp": None,
             "study_id": "", "note": ""},
        ]
    config = {
        "product": {"name": f"DEMO {EVIL}", "modality": list(modality), "track": "nmpa_ind",
                    "sponsor": "Sponsor & Co", "run_id": "demo-run", "vector": "lentivirus",
                    "ltfu": ltfu if ltfu is not None else {"exogenous_gene_expressed": True,
                                                          "integration_or_recombination_risk": True,
                                                          "dna_altered_ex_vivo": True}},
        "reference": {"genome": "ref.fa", "genes": "genes.gtf", "build": "synthetic-1"},
        "report": {"title": "Genomic safety evidence report (test)", "max_table_rows": 200, "imported": items},
    }
    cfg = root / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True), encoding="utf-8")
    prov = root / "results" / "provenance.json"
    write_json(prov, {"software": {"cgtsafe": "0.1.0", "plotly": "7.1.0"}, "pipeline_commit": "abc123",
                      "command_line": f"snakemake --cores 2 {EVIL}", "started": "2026-11-21T20:00:00+00:00",
                      "finished": "2026-11-21T20:30:00+00:00", "config": config,
                      "inputs": [{"path": "test-data/offtarget/guides.tsv", "bytes": 120, "sha256": "ab" * 32}],
                      "outputs": [{"path": "results/offtarget/sites.tsv", "bytes": 999, "sha256": "cd" * 32},
                                  {"path": "results/x.tsv", "bytes": None, "sha256": None, "missing": True}]})
    perf = root / "validation.json"
    write_json(perf, [{"analysis": "offtarget", "metric": "recall of planted sites", "value": 1.0,
                       "reference": "test-data/offtarget/planted_sites.tsv", "n": 40, "source": "demo truth"}])
    return {"config": cfg, "results": res, "provenance": prov, "performance": perf}
