"""``cgtsafe antigen profile``: target expression across normal tissues -> tables, figure, summary.json.

Outputs (in ``--outdir``; all tables TSV, no coordinates):

``targets.tsv``            one row per target: resolution, tier, highest vital-tissue value, every vital tissue
                           with detected (> 0 nTPM) expression and its value, sponsor-positive vital tissues
``expression.tsv``         long table target x tissue: nTPM (empty = not measured), vital, detected
``published_cases.tsv``    the shipped, cited published on-target/off-tumour findings for the configured
                           targets, with what the table shows in the tissues concerned
``imported/studies.tsv``   the sponsor's IHC / tissue cross-reactivity rows (when given), unchanged + vital_tissue
``figures/antigen_tissue_expression.json``  plotly: tissue x nTPM per target, vital tissues marked
``summary.json``           the report contract (:mod:`cgtsafe.summary`)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.antigen.profile import (EXPECTED_TISSUES, TIER_EN, TIER_NAMES, TIER_ZH, Profile, ensembl_symbols,
                                     fmt_ntpm, profile, published_cases, resolve, uniprot_symbols)
from cgtsafe.antigen.studies import positive_vital, read_studies
from cgtsafe.errors import InputError

REQUIREMENTS = ["R004-23", "R004-24"]

BULK_LIMITS_EN = (
    "What bulk tissue data cannot show: a tissue value is the average over all its cells, so a target expressed "
    "by a rare cell type (for example CD19 on brain mural cells, found by single-cell RNA-seq, Parker et al. 2020 "
    "Cell 183:126) can stay at or near 0 nTPM; RNA is not protein; and tissues the table lacks have unknown, not "
    "zero, expression. The HPA single-cell-type table is not shipped with cgtsafe (no offline copy), so no "
    "cell-type values are computed: cell-level evidence must come from the sponsor's immunohistochemistry / "
    "tissue cross-reactivity studies and the literature.")
BULK_LIMITS_ZH = (
    "整体组织数据的局限：组织数值是该组织所有细胞的平均值，稀有细胞类型表达的靶点（例如单细胞测序发现脑壁细胞表达 CD19，"
    "Parker 等 2020 Cell 183:126）可能在组织水平接近 0 nTPM；RNA 不等于蛋白；表中缺失的组织表达未知而非为零。"
    "cgtsafe 未附带 HPA 单细胞类型表（无离线副本），因此不计算细胞类型水平的数值：细胞水平证据须来自申办方的"
    "免疫组化/组织交叉反应研究及文献。")


@dataclass
class AntigenParams:
    targets: list[tuple[str, str]]  # (name, gene symbol / ENSG / UniProt accession)
    expression: str | None
    proteome: str | None
    vital_tissues: list[str]
    detected_ntpm: float = 1.0
    high_ntpm: float = 10.0
    studies: str | None = None


def _parse_targets(items: list[str]) -> list[tuple[str, str]]:
    out = []
    for it in items:
        name, sep, query = it.partition("=")
        if not sep:
            name, query = it, it
        name, query = name.strip(), query.strip()
        if not name or not query:
            raise InputError(f"--target {it!r}: expected NAME=ID or ID (gene symbol, ENSG or UniProt accession)")
        out.append((name, query))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise InputError(f"duplicate target names {sorted({n for n in names if names.count(n) > 1})}")
    return out


def _figure(profiles: list[Profile], tissues: list[str], vital: list[str]) -> dict:
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure()
    labels = [f"{t} *" if t in vital else t for t in tissues]
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
    for i, p in enumerate(profiles):
        if p.values is None:
            continue
        y = [None if np.isnan(v) else float(v) + 0.1 for v in p.values]
        edge = ["#d62728" if t in vital else "rgba(0,0,0,0)" for t in tissues]
        fig.add_trace(go.Bar(
            x=labels, y=y, name=f"{p.target.name} ({p.target.symbol})",
            marker={"color": palette[i % len(palette)], "line": {"color": edge, "width": 2}},
            hovertext=[f"{p.target.symbol} {t}: " + ("not measured" if np.isnan(v) else f"{fmt_ntpm(float(v))} nTPM")
                       + (" (vital)" if t in vital else "") for t, v in zip(tissues, p.values)],
            hoverinfo="text"))
    fig.update_layout(
        barmode="group", template="plotly_white", yaxis_type="log",
        yaxis_title="nTPM + 0.1 (log scale)", xaxis_title="tissue (* and red outline = vital tissue)",
        legend={"orientation": "h"})
    return json.loads(pio.to_json(fig, validate=True, remove_uids=True))


def run_profile(params: AntigenParams, outdir: str | Path, summary_out: str | Path) -> dict:
    from cgtsafe.io.tables import write_json, write_table
    from cgtsafe.provenance import sha256
    from cgtsafe.summary import make_summary, write_summary
    from cgtsafe.tcr.expression import read_expression, shipped_table_path

    out_dir = Path(outdir)
    # ---- validate and read every input before writing anything
    if not params.targets:
        raise InputError("no target antigen given (antigen.targets)")
    table = read_expression(params.expression, vital_tissues=params.vital_tissues)
    table_path = params.expression or str(shipped_table_path())
    ensembl = ensembl_symbols(table_path)
    uniprot = uniprot_symbols(params.proteome) if params.proteome else None
    names = [n for n, _ in params.targets]
    studies = read_studies(params.studies, names, params.vital_tissues) if params.studies else None
    vital = list(params.vital_tissues)

    profiles = []
    for name, query in params.targets:
        t = resolve(name, query, table, ensembl, uniprot)
        profiles.append(profile(t, table, vital, detected_ntpm=params.detected_ntpm, high_ntpm=params.high_ntpm,
                                sponsor_positive_vital=positive_vital(studies, name)))
    cases = published_cases()
    absent = [t for t in EXPECTED_TISSUES if t not in table.tissues]

    # ---- tables
    rows, long_rows, case_rows = [], [], []
    for p in profiles:
        t = p.target
        case = cases[cases["gene"] == t.symbol] if t.symbol else cases.iloc[0:0]
        rows.append({
            "target": t.name, "query": t.query, "symbol": t.symbol, "resolved_by": t.how, "status": t.status,
            "tier": p.tier, "tier_name": TIER_NAMES[p.tier], "tier_meaning_en": TIER_EN[p.tier],
            "tier_meaning_zh": TIER_ZH[p.tier],
            "max_vital_ntpm": "" if p.max_vital_ntpm is None else fmt_ntpm(p.max_vital_ntpm),
            "max_vital_tissue": p.max_vital_tissue,
            "max_ntpm": "" if p.max_ntpm is None else fmt_ntpm(p.max_ntpm), "max_tissue": p.max_tissue,
            "vital_tissues_detected": "; ".join(f"{tt} {fmt_ntpm(v)}" for tt, v in p.vital_detected),
            "n_vital_detected": len(p.vital_detected),
            "sponsor_positive_vital": "; ".join(p.sponsor_positive_vital),
            "published_case": "; ".join(case["citation"]) if len(case) else "",
        })
        if p.values is not None:
            for tissue, v in zip(table.tissues, p.values):
                long_rows.append({"target": t.name, "symbol": t.symbol, "tissue": tissue,
                                  "ntpm": "" if np.isnan(v) else fmt_ntpm(float(v)),
                                  "vital": "yes" if tissue in vital else "no",
                                  "detected": "" if np.isnan(v) else ("yes" if v > 0 else "no")})
        for c in case.itertuples(index=False):
            shows = []
            for col in [x for x in c.hpa_columns.split(";") if x]:
                if col not in table.tissues:
                    shows.append(f"{col}: not in table")
                elif p.values is None:
                    shows.append(f"{col}: unavailable")
                else:
                    v = p.values[table.tissues.index(col)]
                    shows.append(f"{col}: " + ("not measured" if np.isnan(v) else f"{fmt_ntpm(float(v))} nTPM"))
            if t.symbol == "CA9" and "Gallbladder" not in table.tissues:
                shows.append("Gallbladder: not in table")
            case_rows.append({"target": t.name, "symbol": t.symbol, "antigen": c.antigen,
                              "tissue_reported": c.tissue_reported, "evidence": c.evidence,
                              "visible_in_bulk_data": c.bulk_visible, "table_shows": "; ".join(shows),
                              "finding_en": c.finding_en, "finding_zh": c.finding_zh, "citation": c.citation,
                              "doi": c.doi})
    targets_df = pd.DataFrame(rows)
    long_df = pd.DataFrame(long_rows, columns=["target", "symbol", "tissue", "ntpm", "vital", "detected"])
    cases_df = pd.DataFrame(case_rows, columns=["target", "symbol", "antigen", "tissue_reported", "evidence",
                                                "visible_in_bulk_data", "table_shows", "finding_en", "finding_zh",
                                                "citation", "doi"])

    # ---- verdict
    worst = max(p.tier for p in profiles)
    level = "attention" if worst >= 2 else "inconclusive"
    parts_en, parts_zh = [], []
    for p in profiles:
        t = p.target
        if t.status == "not_resolved":
            en = (f"{t.name}: {t.query} could not be resolved to a gene symbol "
                  + ("(no UniProt FASTA given, antigen.proteome)" if uniprot is None else "(accession not in the UniProt FASTA)")
                  + "; expression unknown")
            zh = f"{t.name}：{t.query} 无法解析为基因名，表达未知"
        elif t.status == "not_in_table":
            en = f"{t.name}: {t.symbol or t.query} is not in the expression table; expression unknown, not absent"
            zh = f"{t.name}：{t.symbol or t.query} 不在表达表中；表达未知，不等于不表达"
        else:
            det = ", ".join(f"{tt} {fmt_ntpm(v)}" for tt, v in p.vital_detected)
            en = (f"{t.name} ({t.symbol}): tier {p.tier} {TIER_NAMES[p.tier]}; vital tissues with detected "
                  f"expression (nTPM): {det or 'none'}; highest tissue {p.max_tissue} {fmt_ntpm(p.max_ntpm or 0)} nTPM")
            zh = (f"{t.name}（{t.symbol}）：等级 {p.tier}（{TIER_ZH[p.tier]}）；检出表达的重要组织（nTPM）：{det or '无'}；"
                  f"最高组织 {p.max_tissue} {fmt_ntpm(p.max_ntpm or 0)} nTPM")
        if p.sponsor_positive_vital:
            en += f"; sponsor study positive in vital tissue(s): {', '.join(p.sponsor_positive_vital)}"
            zh += f"；申办方研究在重要组织阳性：{'、'.join(p.sponsor_positive_vital)}"
        parts_en.append(en)
        parts_zh.append(zh)
    verdict_en = ". ".join(parts_en) + ". Bulk tissue data cannot exclude expression by rare cell types."
    verdict_zh = "。".join(parts_zh) + "。整体组织数据不能排除稀有细胞类型的表达。"

    kf = []
    for p in profiles:
        kf.append({"label_en": f"{p.target.name}: tier", "label_zh": f"{p.target.name}：等级",
                   "value": f"{p.tier} {TIER_NAMES[p.tier]}"})
        kf.append({"label_en": f"{p.target.name}: vital tissues > 0 nTPM",
                   "label_zh": f"{p.target.name}：表达 > 0 nTPM 的重要组织数", "value": len(p.vital_detected)})
        kf.append({"label_en": f"{p.target.name}: highest vital tissue (nTPM)",
                   "label_zh": f"{p.target.name}：最高重要组织（nTPM）",
                   "value": "unavailable" if p.max_vital_ntpm is None
                   else f"{p.max_vital_tissue} {fmt_ntpm(p.max_vital_ntpm)}"})
    if absent:
        kf.append({"label_en": "Tissues not in the expression table (expression unknown)",
                   "label_zh": "表达表中缺失的组织（表达未知）", "value": ", ".join(absent)})

    shipped = params.expression is None
    src_en = ("the Human Protein Atlas consensus tissue table shipped with cgtsafe (Uhlén et al. 2015 Science "
              "347:1260419; CC BY-SA 4.0)" if shipped else f"the expression table {params.expression}")
    methods_en = (
        f"Each target antigen was looked up in {src_en} ({len(table.genes)} genes x {len(table.tissues)} tissues; "
        "gene symbols directly, Ensembl IDs through the table's ensembl_id column, UniProt accessions through the "
        "GN= field of the UniProt FASTA antigen.proteome; several rows of one symbol -> per-tissue maximum). "
        f"Vital tissues: {', '.join(vital)}. Every vital tissue with expression > 0 nTPM is listed with its value. "
        f"Tier rule (monotone): 4 if the highest vital-tissue value >= {params.high_ntpm:g} nTPM; 3 if >= "
        f"{params.detected_ntpm:g} nTPM or a sponsor study is positive in a vital tissue; 2 if > 0; 1 if 0 in every "
        "measured vital tissue; 0 if the target is not resolved or not in the table. Published on-target/off-tumour "
        "findings shipped with cgtsafe (cited) are shown next to what the table shows in the tissues concerned. "
        + (f"Tissues this table lacks: {', '.join(absent)}. " if absent else "") + BULK_LIMITS_EN)
    methods_zh = (
        f"在{'cgtsafe 附带的人类蛋白质图谱（HPA）共识组织表（Uhlén 等 2015 Science 347:1260419；CC BY-SA 4.0）' if shipped else '表达表 ' + str(params.expression)}"
        f"（{len(table.genes)} 个基因 x {len(table.tissues)} 个组织）中检索每个靶抗原（基因名直接检索，Ensembl ID 经 ensembl_id 列，"
        "UniProt 登录号经 antigen.proteome 的 GN= 字段；同一基因多行取各组织最大值）。"
        f"重要组织：{'、'.join(vital)}。列出所有表达 > 0 nTPM 的重要组织及其数值。"
        f"分级规则（单调）：重要组织最高值 >= {params.high_ntpm:g} nTPM 为 4；>= {params.detected_ntpm:g} nTPM 或申办方研究在重要组织阳性为 3；"
        "> 0 为 2；所有已测重要组织为 0 时为 1；靶点无法解析或不在表中为 0。并列展示 cgtsafe 附带的已发表靶点相关毒性（附引用）及表中相应组织的数值。"
        + (f"表中缺失的组织：{'、'.join(absent)}。" if absent else "") + BULK_LIMITS_ZH)

    def rel(p: Path) -> str:
        return os.path.relpath(p, Path(summary_out).parent)

    targets_path, long_path = out_dir / "targets.tsv", out_dir / "expression.tsv"
    cases_path, fig_path = out_dir / "published_cases.tsv", out_dir / "figures" / "antigen_tissue_expression.json"
    tables = [
        {"id": "antigen_targets", "title_en": "Target antigens: tier and vital-tissue expression",
         "title_zh": "靶抗原：分级与重要组织表达", "path": rel(targets_path),
         "description_en": "One row per target; vital_tissues_detected lists every vital tissue > 0 nTPM with its value. "
                           "Tier rule: docs/outputs/antigen.md.",
         "description_zh": "每个靶点一行；vital_tissues_detected 列出所有 > 0 nTPM 的重要组织及其数值。"},
        {"id": "antigen_expression", "title_en": "Expression per tissue (nTPM)", "title_zh": "各组织表达（nTPM）",
         "path": rel(long_path),
         "description_en": "Target x tissue; empty ntpm = not measured (unknown, not 0).",
         "description_zh": "靶点 x 组织；ntpm 为空表示未测量（未知，不等于 0）。"},
        {"id": "antigen_published_cases", "title_en": "Published on-target/off-tumour findings for these targets",
         "title_zh": "这些靶点已发表的靶点相关脱肿瘤毒性", "path": rel(cases_path),
         "description_en": "Shipped, cited literature (cgtsafe/data/antigen_published_cases.tsv) next to what the table "
                           "shows in the tissues concerned; visible_in_bulk_data says whether bulk data can show it.",
         "description_zh": "cgtsafe 附带的文献（附引用）及表中相应组织的数值；visible_in_bulk_data 说明整体组织数据能否反映。"},
    ]
    exclusions = []
    inputs = [] if shipped else [str(params.expression)]
    if params.proteome:
        inputs.append(str(params.proteome))
    requirements = list(REQUIREMENTS)
    studies_path = out_dir / "imported" / "studies.tsv"
    if studies is not None:
        inputs.append(str(params.studies))
        tables.append({"id": "antigen_imported_studies",
                       "title_en": "Imported: sponsor's IHC / tissue cross-reactivity studies",
                       "title_zh": "导入：申办方免疫组化/组织交叉反应研究", "path": rel(studies_path),
                       "description_en": f"Imported, not computed by cgtsafe. Source: {params.studies} "
                                         f"(SHA-256 {sha256(params.studies)}).",
                       "description_zh": f"导入数据，非 cgtsafe 计算。来源：{params.studies}（SHA-256 {sha256(params.studies)}）。"})
    else:
        exclusions.append({"what": "sponsor's immunohistochemistry / tissue cross-reactivity study", "count": 0,
                           "reason": "not provided (config antigen.studies): cell-level evidence is missing"})
    for p in profiles:
        if p.target.status != "found":
            exclusions.append({"what": f"target {p.target.name} ({p.target.query})", "count": 1,
                               "reason": f"{p.target.status}: expression unknown (not treated as absent)"})
    if absent:
        exclusions.append({"what": f"tissues not in the expression table: {', '.join(absent)}", "count": len(absent),
                           "reason": "the table does not measure them: expression there is unknown"})
    exclusions.append({"what": "cell-type (single-cell) expression", "count": 0,
                       "reason": "HPA single-cell-type table not shipped (no offline copy); bulk data cannot show rare "
                                 "cell types"})
    summary = make_summary(
        "antigen", verdict_level=level, verdict_en=verdict_en, verdict_zh=verdict_zh, key_figures=kf,
        methods_en=methods_en, methods_zh=methods_zh,
        parameters={"targets": [{"name": n, "id": q} for n, q in params.targets],
                    "expression": params.expression or "shipped HPA consensus tissue table",
                    "vital_tissues": vital, "detected_ntpm": params.detected_ntpm, "high_ntpm": params.high_ntpm,
                    "tissues_absent": absent},
        tables=tables,
        figures=[{"id": "antigen_tissue_expression", "title_en": "Target expression across normal tissues",
                  "title_zh": "靶点在正常组织中的表达", "path": rel(fig_path)}],
        requirements=requirements, exclusions=exclusions, inputs=sorted(set(inputs)),
    )
    # ---- write (everything validated above)
    write_table(targets_df, targets_path)
    write_table(long_df, long_path)
    write_table(cases_df, cases_path)
    if studies is not None:
        write_table(studies, studies_path)
    write_json(fig_path, _figure(profiles, table.tissues, vital))
    write_summary(summary_out, summary)
    return summary
