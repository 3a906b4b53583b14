"""Genome-wide scan, part 3: the per-pair results merged into the summary fragment and the figure.

Input: the per-pair tables and stats of :func:`cgtsafe.sitecheck.genomewide_call.complete_pair`.
"""

from __future__ import annotations

import math
from dataclasses import asdict

import pandas as pd

from cgtsafe.io.alignment import duplicate_marking_notes
from cgtsafe.sitecheck.genomewide_call import COLUMNS
from cgtsafe.sitecheck.genomewide_count import Params


def fmt_pct(x: float) -> str:
    return f"{100 * x:.3g} %" if not math.isnan(x) else "NA"


def build_summary(tables: list[pd.DataFrame], stats: list[dict], *, table_name: str, sens_name: str) -> tuple[
        pd.DataFrame, pd.DataFrame, dict]:
    """Merge per-pair results into the combined table, the sensitivity table and the summary fragment."""
    df = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["sample", "control", *COLUMNS])
    df = df.sort_values(["sample"], kind="mergesort").reset_index(drop=True)
    sens = pd.DataFrame([{"sample": s["sample"], **r} for s in stats for r in s["sensitivity"]])
    called = df[df["call"].astype(int) == 1] if len(df) else df
    n_snv = int((called["type"] == "SNV").sum()) if len(called) else 0
    n_indel = int((called["type"] == "INDEL").sum()) if len(called) else 0
    n_guide = int(called["guide_like"].astype(int).sum()) if len(called) else 0
    concern = called["gene_of_concern"].astype(int) if len(called) else pd.Series([], dtype=int)
    n_concern: int | str = int((concern == 1).sum())
    if (concern < 0).any():  # -1 = not annotated (no gene table): unknown, not zero
        n_concern = f"{n_concern} (+{int((concern < 0).sum())} not annotated)"
    shared = sum(s["shared_snv"] + s["shared_indel_loci"] for s in stats)
    callable_mb = sum(s["callable_bp"] for s in stats) / 1e6
    p = stats[0]["parameters"] if stats else asdict(Params())
    dep = ", ".join(f"{s['sample']} {s['median_edited_depth']:.0f}x / {s['control']} {s['median_control_depth']:.0f}x"
                    for s in stats)

    def power_at(f):
        vals = [r["power"] for s in stats for r in s["sensitivity"] if abs(r["vaf"] - f) < 1e-9]
        return min(vals) if vals else float("nan")

    key = [
        {"label_en": "Edited/control pairs scanned", "label_zh": "扫描的编辑/对照样本对", "value": len(stats)},
        {"label_en": "Callable genome (both samples at minimum depth), Mb", "label_zh": "可判读基因组（两样本均达最低深度），Mb",
         "value": round(callable_mb, 3)},
        {"label_en": "Edited-only indel loci (BH q <= alpha)", "label_zh": "仅编辑样本中出现的插入缺失位点（BH q ≤ alpha）",
         "value": n_indel},
        {"label_en": "Edited-only SNVs (BH q <= alpha)", "label_zh": "仅编辑样本中出现的单核苷酸变异（BH q ≤ alpha）",
         "value": n_snv},
        {"label_en": "Called variants resembling a guide site", "label_zh": "与向导序列位点相似的检出变异", "value": n_guide},
        {"label_en": "Called variants near genes of concern", "label_zh": "位于关注基因附近的检出变异", "value": n_concern},
        {"label_en": "Variants shared with the control (germline, not reported)",
         "label_zh": "与对照共有的变异（胚系，不报告）", "value": shared},
        {"label_en": "Expected sensitivity at VAF 20 % / 5 %",
         "label_zh": "VAF 20 % / 5 % 时的预期灵敏度",
         "value": f"{fmt_pct(power_at(0.2))} / {fmt_pct(power_at(0.05))}"},
    ]
    methods_en = (
        f"Genome-wide edited-only small variants ({dep}; {stats[0]['regions'] if stats else 'whole genome'}): "
        f"reads with MAPQ >= {p['min_mapq']} (no duplicates, secondary or supplementary records), bases with "
        f"quality >= {p['min_baseq']}; SNV candidates need >= {p['min_alt_reads']} alt reads, indel loci "
        f"(edited-specific indel alleles clustered within {p['cluster_distance']} bp) >= {p['min_indel_reads']} reads, "
        f"VAF >= {p['min_vaf']}, depth >= {p['min_depth']} (edited) and >= {p['min_control_depth']} (control); "
        f"candidates with more than {p['max_control_alt']} alt reads in the control are shared (germline) and not "
        f"reported. One-sided Fisher exact test edited vs control, Benjamini-Hochberg per variant class, "
        f"called at q <= {p['alpha']}. Each variant is compared with the guides (+-{p['guide_window']} bp, "
        f"<= {p['guide_max_mismatches']} mismatches, <= {p['guide_max_bulges']} DNA/RNA bulges, exhaustive search) "
        f"and annotated with genes and genes of concern. Expected sensitivity is the binomial power at the median "
        f"depths (table {sens_name})."
    )
    methods_zh = (
        f"全基因组仅编辑样本小变异分析（{dep}）：使用 MAPQ ≥ {p['min_mapq']} 的读段（排除重复、次要和补充比对），"
        f"碱基质量 ≥ {p['min_baseq']}；SNV 候选需 ≥ {p['min_alt_reads']} 条变异读段，插入缺失位点（{p['cluster_distance']} bp 内"
        f"编辑样本特有的插入缺失等位基因合并）需 ≥ {p['min_indel_reads']} 条读段，VAF ≥ {p['min_vaf']}，编辑样本深度 ≥ "
        f"{p['min_depth']}、对照深度 ≥ {p['min_control_depth']}；对照中变异读段多于 {p['max_control_alt']} 条者视为共有"
        f"（胚系）变异，不予报告。编辑与对照之间采用单侧 Fisher 精确检验，按变异类别进行 Benjamini-Hochberg 校正，"
        f"q ≤ {p['alpha']} 判为检出。每个变异在 ±{p['guide_window']} bp 范围内与向导序列进行穷举比对（≤ "
        f"{p['guide_max_mismatches']} 个错配，≤ {p['guide_max_bulges']} 个 DNA/RNA 凸起），并注释基因及关注基因。"
        f"预期灵敏度为中位深度下的二项分布检验效能（表 {sens_name}）。"
    )
    dup_excl, dup_en, dup_zh = duplicate_marking_notes(stats)
    summary = {
        "key_figures": key,
        "tables": [
            {"id": "sitecheck_genomewide_variants", "title_en": "Genome-wide edited-only small variants",
             "title_zh": "全基因组仅编辑样本小变异", "path": table_name,
             "description_en": "Tested candidates (call = 1: significant edited-only); pos 1-based (VCF), start/end 0-based.",
             "description_zh": "所有检验的候选变异（call = 1 为显著的仅编辑样本变异）；pos 为 1 起始（VCF），start/end 为 0 起始。"},
            {"id": "sitecheck_genomewide_sensitivity", "title_en": "Expected sensitivity of the genome-wide scan",
             "title_zh": "全基因组扫描的预期灵敏度", "path": sens_name,
             "description_en": "Power to call an edited-only locus of a given VAF at the median depths.",
             "description_zh": "在中位深度下检出给定 VAF 的仅编辑样本位点的检验效能。"},
        ],
        "figures": [],
        "methods_en": methods_en + dup_en,
        "methods_zh": methods_zh + dup_zh,
        "exclusions": [*dup_excl,
            {"what": "genome-wide candidates shared with the matched control (germline or pre-existing)",
             "count": shared, "reason": f"more than {p['max_control_alt']} alt reads in the control"},
            {"what": "genome-wide candidates with low control depth",
             "count": sum(s["low_control_depth"] for s in stats),
             "reason": f"control depth < {p['min_control_depth']}: cannot tell edited-only from shared"},
        ],
        "performance": [
            {"metric": f"genome-wide scan: expected sensitivity at VAF {int(f * 100)} % ({s['sample']})",
             "value": round(r["power"], 4),
             "source": f"binomial power at median depth {r['edited_depth']}x/{r['control_depth']}x"}
            for s in stats for r in s["sensitivity"] for f in (r["vaf"],) if f in (0.05, 0.2, 0.5)
        ],
        "inputs": sorted({x for s in stats for x in s.get("inputs", [])}),
        "parameters": {"genomewide": p, "pairs": [{k: s[k] for k in ("sample", "control", "regions", "callable_bp",
                                                                   "scanned_bp", "median_edited_depth",
                                                                   "median_control_depth", "tested_snv", "tested_indel",
                                                                   "shared_snv", "shared_indel_loci",
                                                                   "low_control_depth")} for s in stats]},
    }
    return df, sens, summary


def sensitivity_figure(sens: pd.DataFrame, called: pd.DataFrame) -> str:
    """Plotly JSON: expected power vs VAF per pair, with the VAFs of the called edited-only variants."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for sample, part in sens.groupby("sample", sort=True):
        fig.add_trace(go.Scatter(x=part["vaf"].astype(float).tolist(), y=part["power"].astype(float).round(6).tolist(),
                                 mode="lines+markers", name=f"expected power / 预期检出率 {sample}"))
    if len(called):
        fig.add_trace(go.Scatter(x=called["edited_vaf"].astype(float).round(6).tolist(),
                                 y=[1.02] * len(called), mode="markers", name="called variants / 检出变异",
                                 text=[f"{v} {g}" for v, g in zip(called["variant_id"], called["gene"])],
                                 marker={"symbol": "triangle-down", "size": 10, "color": "#d62728"}))
    fig.update_layout(title="Genome-wide scan: expected sensitivity vs VAF / 全基因组扫描：预期灵敏度与变异等位基因频率",
                      xaxis={"title": "variant allele fraction / 变异等位基因频率", "type": "log"},
                      yaxis={"title": "power / 检验效能", "range": [0, 1.05]})
    return fig.to_json() + "\n"


def add_editor_test(summary: dict, stats: list[dict], editor, *, power: float, per_mb: float, spectrum_name: str,
                    test_name: str, table: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the editor-aware test (:mod:`cgtsafe.sitecheck.genomewide_editor`) to a summary fragment: its
    verdict sentences and level (merged by ``sitecheck summarize`` into the section's verdict), key figures,
    methods and two tables; returns (spectrum, tests) for the caller to write."""
    from cgtsafe.sitecheck.genomewide_editor import editor_summary

    ed = editor_summary(stats, editor, power=power, per_mb=per_mb, table=table)
    summary["verdict_en"], summary["verdict_zh"] = ed["verdict_en"], ed["verdict_zh"]
    summary["verdict_level"] = ed["verdict_level"]
    summary["key_figures"] += ed["key_figures"]
    summary["methods_en"] += " " + ed["methods_en"]
    summary["methods_zh"] += ed["methods_zh"]
    summary["tables"] += [
        {"id": "sitecheck_genomewide_editor_test", "title_en": "Genome-wide excess of the editor's variants "
                                                               "(edited-only vs control-only)",
         "title_zh": "全基因组编辑器相关变异超额检验（仅编辑 vs 仅对照）", "path": test_name,
         "description_en": "Per pair: private variant counts of each sample under one symmetric rule, rate ratio "
                           "(exact 95 % CI, one-sided exact p), class share, detectable excess (per Mb of callable "
                           "genome at VAF 0.5 / 0.2) and verdict.",
         "description_zh": "每对样本：同一对称规则下各样本特有变异计数、率比（精确 95 % CI，单侧精确 p）、类型占比、"
                           "可检出超额（每 Mb 可判读基因组，VAF 0.5 / 0.2）及结论。"},
        {"id": "sitecheck_genomewide_spectrum", "title_en": "Private SNVs per trinucleotide channel, edited vs control",
         "title_zh": "各三核苷酸通道的样本特有 SNV（编辑 vs 对照）", "path": spectrum_name,
         "description_en": "Pyrimidine notation (C>T = C>T/G>A on the + strand); editor_class = 1 for the "
                           "configured base editor's substitution class; the last row counts indel loci.",
         "description_zh": "嘧啶表示法（C>T 即正链 C>T/G>A）；editor_class = 1 为所配置碱基编辑器的替换类型；"
                           "最后一行为插入缺失位点计数。"},
    ]
    summary["parameters"]["editor_test"] = {"editor": editor.name if editor else "nuclease", "power": power,
                                            "detectable_excess_per_mb": per_mb}
    return ed["spectrum"], ed["tests"]
