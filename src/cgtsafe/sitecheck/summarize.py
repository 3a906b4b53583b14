"""``results/sitecheck/summary.json`` for the evidence report (see :mod:`cgtsafe.summary`).

Reads ``site_verdicts.tsv`` (and the per-sample counts tables for the exclusion audit), writes two
plotly figures next to the summary (``fig_site_frequencies.json``: editing frequency edited vs control
with Wilson 95 % intervals and the per-site LOD, the exact upper bound of the editing frequency behind ``not_detected``; ``fig_lod_vs_depth.json``) and merges the fragments of
the genome-wide and structural steps (``genomewide_summary.json``, ``structural_summary.json`` in the
same directory) when they exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table, write_table, write_text
from cgtsafe.summary import make_summary, write_summary
from cgtsafe.sitecheck.verdict import OPTIONAL_VERDICT_COLUMNS, VERDICT_COLUMNS

REQUIREMENTS = ["R004-38", "R004-39", "R004-40", "R004-41", "R002-30", "R002-31", "R002-32", "R002-37"]
FRAGMENTS = ("genomewide_summary.json", "structural_summary.json")
ASSAY_EN = {"wgs": "WGS", "amplicon": "targeted deep sequencing"}
ASSAY_ZH = {"wgs": "全基因组测序", "amplicon": "靶向深度测序"}


def _pct(x: float) -> str:
    return f"{100 * x:.3g} %"


def methods_text(p: dict) -> tuple[str, str]:
    en = (
        f"Candidate sites (in silico prediction, plus empirically nominated sites when given) were compared "
        f"between each edited sample and its matched control of the same donor. Reads were counted in a "
        f"quantification window of {p['window']} bp on each side of the cut (both nicks of a staggered cut "
        f"included). Excluded: unmapped, secondary, supplementary, QC-failed and duplicate (0x400) records, "
        f"reads whose mate is unmapped, MAPQ < {p['min_mapq']}, and reads not covering the whole window; "
        f"overlapping mates were counted once (read 1). Amplicon reads (single-end reads cut at the Illumina "
        f"adapter; pairs merged by their overlap, or to the insert when it is shorter than the reads; pooled "
        f"amplicons: each read assigned to the one amplicon it aligns to best) were aligned to the amplicon in "
        f"either orientation with an affine-gap aligner (identity >= {p['min_identity']}). A read is 'indel' when an insertion or deletion "
        f"(in any equivalent placement) overlaps the window, 'substitution only' when a base with quality >= "
        f"{p['min_baseq']} differs from the reference in the window; the editing frequency is the fraction of "
        f"reads with the counted event ({p['counted_event']}). Edited > control was tested per site with a "
        f"one-sided Fisher exact test, adjusted across sites by Benjamini-Hochberg (q); 95 % intervals are Wilson "
        f"score intervals (difference: Newcombe). Whether a site is shown clean was tested separately: H0 'the "
        f"true editing frequency is at or above the threshold', exact binomial test of the edited count with the "
        f"control's background taken at its exact lower confidence bound (control resampled, Berger-Boos), "
        f"Benjamini-Hochberg across sites at level 1 - power = {1 - p['power']:.2g}; the per-site limit (LOD) is "
        f"the dual exact upper confidence bound of the editing frequency at that level. Verdicts: edited "
        f"(q < {p['alpha']} and LOD above the threshold), edited below threshold (q < alpha and LOD <= threshold), "
        f"not detected (q >= alpha and LOD <= threshold: a site edited at the threshold is called not detected "
        f"in at most {1 - p['power']:.2g} of cases, whatever the number of sites), inconclusive (q >= alpha and "
        f"LOD above the threshold: the data cannot exclude editing at the threshold), no coverage "
        f"(< {p['min_depth']} reads in a sample). Declared threshold: {_pct(p['threshold'])}."
    )
    zh = (
        f"对候选位点（计算机预测位点，及提供时的实验提名位点）比较每个编辑样本与同一供者的匹配对照样本。"
        f"在切割位点两侧各 {p['window']} bp 的定量窗口内计数读段（交错切割的两个切口均在窗口内）。"
        f"排除：未比对、次要比对、补充比对、QC 失败及重复（0x400）记录，配对读段未比对者，MAPQ < {p['min_mapq']}，"
        f"以及未完整覆盖窗口的读段；重叠的配对读段只计一次（取 read 1）。扩增子读段（单端读段在 Illumina 接头处截断；"
        f"双端读段按重叠合并，插入片段短于读长时合并为插入片段；混合扩增子测序中每条读段只归属比对最佳的一个扩增子）"
        f"以仿射空位比对算法按任一方向比对至扩增子"
        f"（一致性 >= {p['min_identity']}）。插入或缺失（任一等价位置）与窗口重叠的读段计为\"插入缺失\"；"
        f"窗口内碱基质量 >= {p['min_baseq']} 且与参考不同者计为\"仅替换\"；编辑频率为含计数事件"
        f"（{p['counted_event']}）的读段比例。"
        f"各位点以单侧 Fisher 精确检验（编辑 > 对照）检验，并经 Benjamini-Hochberg 校正（q）；95 % 区间为 Wilson "
        f"得分区间（差值采用 Newcombe 法）。位点是否可判定为阴性另行检验：原假设为\"真实编辑频率不低于阈值\"，"
        f"以编辑样本计数的精确二项检验进行，对照背景取其精确置信下限（对照亦视为抽样，Berger-Boos 法），"
        f"并在各位点间以 Benjamini-Hochberg 法在 1 - 检验效能 = {1 - p['power']:.2g} 水平校正；各位点检测限（LOD）"
        f"为该水平下编辑频率的对偶精确置信上限。判定：已编辑（q < {p['alpha']} 且 LOD 高于阈值）、低于阈值的编辑"
        f"（q < alpha 且 LOD <= 阈值）、未检出（q >= alpha 且 LOD <= 阈值：以阈值频率编辑的位点被判为未检出的比例"
        f"不超过 {1 - p['power']:.2g}，与位点数无关）、不确定（q >= alpha 且 LOD 高于阈值：数据无法排除阈值水平的编辑）、"
        f"无覆盖（任一样本 < {p['min_depth']} 条读段）。声明阈值：{_pct(p['threshold'])}。"
    )
    return en, zh


def _counted_events(df: pd.DataFrame) -> str:
    if "counted_event" not in df.columns or not len(df):
        return "indel"
    return "; ".join(sorted(set(df["counted_event"].astype(str)) - {""})) or "indel"


def _figures(df: pd.DataFrame, outdir: Path) -> list[dict]:
    import plotly.graph_objects as go

    figs = []
    fig = go.Figure()
    for (assay, e, c), part in df.groupby(["assay", "edited_sample", "control_sample"], sort=True):
        x = [f"{s}" for s in part["site_id"]]
        for who, color in (("edited", "#d62728"), ("control", "#1f77b4")):
            f = part[f"{who}_freq"].astype(float)
            fig.add_trace(go.Scatter(
                x=x, y=f, mode="markers", name=f"{ASSAY_EN.get(assay, assay)} {e if who == 'edited' else c}",
                marker={"color": color, "symbol": "circle" if assay == "wgs" else "diamond"},
                error_y={"type": "data", "symmetric": False,
                         "array": (part[f"{who}_ci_high"].astype(float) - f).round(8).tolist(),
                         "arrayminus": (f - part[f"{who}_ci_low"].astype(float)).round(8).tolist()}))
        fig.add_trace(go.Scatter(x=x, y=part["lod"].astype(float).round(8), mode="markers",
                                 name=f"LOD {ASSAY_EN.get(assay, assay)} {e}", marker={"symbol": "line-ew-open",
                                                                                       "size": 14, "color": "#555"}))
    if len(df):
        fig.add_hline(y=float(df["threshold"].iloc[0]), line_dash="dash", annotation_text="threshold / 阈值")
    fig.update_layout(title="Editing frequency per site, edited vs control (Wilson 95 % CI) and LOD / 各位点编辑频率",
                      yaxis={"title": "editing frequency / 编辑频率", "type": "log"}, xaxis={"title": "site / 位点"})
    write_text(outdir / "fig_site_frequencies.json", fig.to_json() + "\n")
    figs.append({"id": "sitecheck_frequencies", "title_en": "Editing frequency per site (edited vs control, LOD)",
                 "title_zh": "各位点编辑频率（编辑 vs 对照，检测限）", "path": "fig_site_frequencies.json"})
    fig = go.Figure()
    for (assay, e), part in df.groupby(["assay", "edited_sample"], sort=True):
        fig.add_trace(go.Scatter(x=part["edited_reads"].astype(int), y=part["lod"].astype(float).round(8),
                                 mode="markers", name=f"{ASSAY_EN.get(assay, assay)} {e}",
                                 text=list(part["site_id"])))
    if len(df):
        fig.add_hline(y=float(df["threshold"].iloc[0]), line_dash="dash", annotation_text="threshold / 阈值")
    fig.update_layout(title="Limit of detection vs depth / 检测限与测序深度", xaxis={"title": "reads (edited) / 读段数",
                      "type": "log"}, yaxis={"title": "LOD", "type": "log"})
    write_text(outdir / "fig_lod_vs_depth.json", fig.to_json() + "\n")
    figs.append({"id": "sitecheck_lod_depth", "title_en": "Limit of detection vs depth", "title_zh": "检测限与测序深度",
                 "path": "fig_lod_vs_depth.json"})
    return figs


def _exclusions(count_paths: list[str]) -> list[dict]:
    totals: dict[tuple[str, str], int] = {}
    for p in count_paths:
        t = read_table(p, required=("sample", "assay"), what="counts table")
        for col in [c for c in t.columns if c.startswith("excluded_")]:
            for (assay, sample), part in t.groupby(["assay", "sample"], sort=True):
                n = int(pd.to_numeric(part[col], errors="coerce").fillna(0).sum())
                key = (f"{assay} {sample}", col.removeprefix("excluded_"))
                totals[key] = totals.get(key, 0) + n
    # a read overlapping two windows is counted at both sites: the unit is a read at a site
    return [{"what": f"reads at sites ({k[0]})", "count": v, "reason": k[1]} for k, v in sorted(totals.items()) if v]


#: a step keeping less than this share of the reads it received is flagged (amplicon reads): reads lost at merging
#: or alignment can be the edited ones (large deletions fail to merge or align), so editing may be under-counted
LOW_RETENTION = 0.8
RETENTION_COLUMNS = ["sample", "amplicon", "site_id", "input_reads", "adapter_trimmed_share", "merged_share",
                     "assigned_share", "aligned_share", "counted_share", "counted_of_input", "flag"]
_STEPS = (("merged_share", "merging"), ("aligned_share", "alignment"), ("counted_share", "window"))


def read_retention(count_paths: list[str]) -> pd.DataFrame:
    """Per amplicon sample and site: the share of reads kept at each step, each over the reads the step received
    (adapter trimming keeps reads: the share with an adapter cut; merged / input; assigned / merged, < 1 only in a
    pool; aligned / assigned; counted (spanning the window) / aligned), the counted share of the input, and
    ``flag``: ``ok`` or ``low_<step>`` for each of merging, alignment, window below :data:`LOW_RETENTION`."""
    rows = []
    for p in count_paths:
        t = read_table(p, required=("sample", "assay"), what="counts table")
        if "input_reads" not in t.columns or not len(t):
            continue
        t = t[t["assay"] == "amplicon"]
        for r in t.to_dict("records"):
            n = {k: int(float(r[k] or 0)) for k in ("input_reads", "adapter_trimmed_reads", "merged_reads",
                                                   "assigned_reads", "aligned_reads", "reads")}

            def share(a, b):
                return n[a] / n[b] if n[b] else float("nan")

            row = {"sample": r["sample"], "amplicon": r.get("amplicon", ""), "site_id": r["site_id"],
                   "input_reads": n["input_reads"], "adapter_trimmed_share": share("adapter_trimmed_reads", "input_reads"),
                   "merged_share": share("merged_reads", "input_reads"),
                   "assigned_share": share("assigned_reads", "merged_reads"),
                   "aligned_share": share("aligned_reads", "assigned_reads"),
                   "counted_share": share("reads", "aligned_reads"), "counted_of_input": share("reads", "input_reads")}
            low = [name for col, name in _STEPS if not row[col] >= LOW_RETENTION]
            row["flag"] = ";".join(f"low_{x}" for x in low) if n["input_reads"] else "no_reads"
            row["flag"] = row["flag"] or "ok"
            rows.append(row)
    df = pd.DataFrame(rows, columns=RETENTION_COLUMNS)
    return df.sort_values(["sample", "amplicon", "site_id"], kind="mergesort").reset_index(drop=True)


def _retention_findings(ret: pd.DataFrame) -> tuple[list[dict], str, str]:
    """Key figures and the verdict sentences (en, zh; empty when nothing is flagged) of the read retention."""
    if not len(ret):
        return [], "", ""
    flagged = ret[ret["flag"] != "ok"]
    worst = ret.sort_values("counted_of_input", kind="mergesort").iloc[0]
    key = [{"label_en": "Amplicon reads kept: lowest share counted of the input (sample / amplicon)",
            "label_zh": "扩增子读段保留：计数读段占输入比例的最低值（样本 / 扩增子）",
            "value": f"{_pct(worst['counted_of_input'])} ({worst['sample']} / {worst['amplicon']})"
            if pd.notna(worst["counted_of_input"]) else f"no reads ({worst['sample']} / {worst['amplicon']})"},
           {"label_en": f"Amplicon sample-sites with a step keeping < {_pct(LOW_RETENTION)} of its reads (merging, "
                        "alignment, window)",
            "label_zh": f"某一步骤保留读段 < {_pct(LOW_RETENTION)} 的扩增子样本位点（合并、比对、窗口覆盖）",
            "value": f"{len(flagged)} / {len(ret)}"}]
    if not len(flagged):
        return key, "", ""
    names = ", ".join(f"{r.sample}/{r.amplicon} ({r.flag})" for r in flagged.head(10).itertuples())
    more = f" and {len(flagged) - 10} more" if len(flagged) > 10 else ""
    en = (f"Low read retention in {len(flagged)} amplicon sample(s): {names}{more}; reads lost at merging or "
          "alignment can be the edited ones (large deletions), so editing there may be under-counted (table "
          "read_retention)")
    zh = (f"{len(flagged)} 个扩增子样本读段保留率低：{names}{'等' if more else ''}；合并或比对中丢失的读段可能正是"
          "编辑读段（大片段缺失），这些位点的编辑可能被低估（见 read_retention 表）")
    return key, en, zh


def build_summary(*, verdicts: str, out: str | Path, threshold: float, justification: str, alpha: float,
                  power: float, window: int, min_mapq: int, min_baseq: int, min_depth: int, min_identity: float,
                  counts: list[str] = (), inputs: list[str] = ()) -> dict:
    """summary.json of the per-site check (+ figures next to it), merging the genome-wide/structural fragments."""
    if not justification.strip():
        raise InputError("sitecheck.threshold_justification is empty: state why the threshold is adequate")
    df = read_table(verdicts, required=tuple(c for c in VERDICT_COLUMNS if c not in OPTIONAL_VERDICT_COLUMNS),
                    what="site verdict table")
    for c in OPTIONAL_VERDICT_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    for c in ("edited_freq", "control_freq", "lod", "threshold", "excess_freq", "edited_ci_low", "edited_ci_high",
              "control_ci_low", "control_ci_high", "q_value"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    for c in ("edited_reads", "control_reads"):
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0).astype(int)
    out = Path(out)
    params = {"threshold": threshold, "threshold_justification": justification, "alpha": alpha,
              "power": power, "window": window, "min_mapq": min_mapq, "min_baseq": min_baseq,
              "min_depth": min_depth, "min_identity": min_identity,
              "test": "one-sided Fisher exact (edited > control)", "multiplicity": "Benjamini-Hochberg",
              "interval": "Wilson score 95 %",
              "clean_test": "exact binomial, control at its Clopper-Pearson lower bound (Berger-Boos), BH at 1 - power",
              "lod_method": "exact upper confidence bound of the editing frequency at the BH level of the clean test",
              "counted_event": _counted_events(df)}
    en_m, zh_m = methods_text(params)
    key, sent_en, sent_zh = [], [], []
    level = "pass"
    off = df[df["on_target"] != "yes"]
    for assay, part in off.groupby("assay", sort=True):
        n_sites = part["site_id"].nunique()
        edited = sorted(set(part.loc[part["verdict"] == "edited", "site_id"]))
        below = sorted(set(part.loc[part["verdict"] == "edited_below_threshold", "site_id"]))
        inconc = sorted(set(part.loc[part["verdict"] == "inconclusive_lod_above_threshold", "site_id"]) - set(edited))
        nocov = sorted(set(part.loc[part["verdict"] == "no_coverage", "site_id"]) - set(edited))
        a_en, a_zh = ASSAY_EN.get(assay, assay), ASSAY_ZH.get(assay, assay)
        s_en = (f"{a_en}: {len(edited)} of {n_sites} off-target candidate sites edited at or possibly above "
                f"the declared {_pct(threshold)} threshold" + (f" ({', '.join(edited)})" if edited else "")
                + f"; {len(inconc)} site{'' if len(inconc) == 1 else 's'} inconclusive (editing at the threshold not excluded)"
                + (f"; {len(below)} edited, shown below the threshold" if below else "")
                + (f"; {len(nocov)} without coverage" if nocov else ""))
        s_zh = (f"{a_zh}：{n_sites} 个脱靶候选位点中 {len(edited)} 个存在编辑且不能排除达到或高于声明阈值 {_pct(threshold)}"
                + (f"（{', '.join(edited)}）" if edited else "")
                + f"；{len(inconc)} 个位点不确定（无法排除阈值水平的编辑）"
                + (f"；{len(below)} 个位点存在低于阈值的编辑" if below else "")
                + (f"；{len(nocov)} 个位点无覆盖" if nocov else ""))
        sent_en.append(s_en)
        sent_zh.append(s_zh)
        if edited:
            level = "attention"
        elif (inconc or nocov) and level == "pass":
            level = "inconclusive"
        key += [
            {"label_en": f"{a_en}: off-target sites edited (not shown below threshold)",
             "label_zh": f"{a_zh}：存在编辑且不能排除达到阈值的脱靶位点数",
             "value": f"{len(edited)} / {n_sites}"},
            {"label_en": f"{a_en}: sites inconclusive (editing at the threshold not excluded)",
             "label_zh": f"{a_zh}：不确定位点数（无法排除阈值水平的编辑）",
             "value": len(inconc)},
            {"label_en": f"{a_en}: median per-site LOD", "label_zh": f"{a_zh}：位点检测限中位数",
             "value": _pct(float(np.nanmedian(part["lod"]))) if part["lod"].notna().any() else "n/a"},
        ]
    for r in df[df["on_target"] == "yes"].itertuples():
        key.append({"label_en": f"{ASSAY_EN.get(r.assay, r.assay)}: on-target editing {r.site_id} ({r.edited_sample})",
                    "label_zh": f"{ASSAY_ZH.get(r.assay, r.assay)}：在靶编辑效率 {r.site_id}（{r.edited_sample}）",
                    "value": f"{_pct(r.edited_freq)} [{_pct(r.edited_ci_low)}, {_pct(r.edited_ci_high)}]"
                    if pd.notna(r.edited_freq) else "n/a"})
        if isinstance(r.edited_conversions, str) and r.edited_conversions:
            key.append({"label_en": f"{ASSAY_EN.get(r.assay, r.assay)}: base conversions per protospacer position, "
                                    f"intended and bystander, reads ({r.site_id}, {r.edited_sample} / {r.control_sample})",
                        "label_zh": f"{ASSAY_ZH.get(r.assay, r.assay)}：各原间隔序列位置的碱基转换读段数（目标及旁观者编辑；"
                                    f"{r.site_id}，{r.edited_sample} / {r.control_sample}）",
                        "value": f"{r.edited_conversions} / {r.control_conversions or '-'} of {r.edited_reads} / "
                                 f"{r.control_reads}"})
        if isinstance(r.edited_outcomes, str) and r.edited_outcomes:
            key.append({"label_en": f"{ASSAY_EN.get(r.assay, r.assay)}: reads per class against the intended edit "
                                    "(intended = prime-edited/HDR; reference_modified, intended_modified, "
                                    f"scaffold_incorporated = unintended) ({r.site_id}, {r.edited_sample} / "
                                    f"{r.control_sample})",
                        "label_zh": f"{ASSAY_ZH.get(r.assay, r.assay)}：相对预期编辑的读段分类（intended = 引导编辑/HDR 预期编辑；"
                                    "reference_modified、intended_modified、scaffold_incorporated = 非预期编辑；"
                                    f"{r.site_id}，{r.edited_sample} / {r.control_sample}）",
                        "value": f"{r.edited_outcomes} / {r.control_outcomes or '-'} of {r.edited_reads} / "
                                 f"{r.control_reads}"})
    ret = read_retention(list(counts))
    write_table(ret, out.parent / "read_retention.tsv")
    ret_key, ret_en, ret_zh = _retention_findings(ret)
    key += ret_key
    if ret_en:
        sent_en.append(ret_en)
        sent_zh.append(ret_zh)
        level = "inconclusive" if level == "pass" else level
    key.append({"label_en": "declared threshold", "label_zh": "声明的脱靶频率阈值", "value": _pct(threshold)})
    key.append({"label_en": "threshold justification", "label_zh": "阈值依据", "value": justification})
    if not sent_en:
        sent_en, sent_zh, level = ["No off-target candidate site was compared."], ["未比较任何脱靶候选位点。"], "info"
    figures = _figures(df, out.parent)
    tables = [{"id": "sitecheck_site_verdicts", "title_en": "Per-site verdicts (edited vs control)",
               "title_zh": "各位点判定（编辑 vs 对照）", "path": _rel(verdicts, out.parent),
               "description_en": "One row per site x edited/control pair x assay; coordinates 0-based, end exclusive.",
               "description_zh": "每行为一个位点 × 编辑/对照配对 × 检测方法；坐标 0 起始，终点不含。"}]
    tables.append({"id": "sitecheck_read_retention", "title_en": "Amplicon reads kept at each step",
                   "title_zh": "扩增子读段各步骤保留比例", "path": "read_retention.tsv",
                   "description_en": "Per amplicon sample and site: share with an adapter cut, merged / input, "
                                     "assigned / merged (pools), aligned / assigned, counted in the window / aligned, "
                                     f"counted / input; flag low_<step> when a step keeps < {_pct(LOW_RETENTION)}.",
                   "description_zh": "每个扩增子样本及位点：切除接头的比例、合并/输入、分配/合并（混合扩增子）、比对/分配、"
                                     f"覆盖窗口计数/比对、计数/输入；某步骤保留 < {_pct(LOW_RETENTION)} 时标记 low_<步骤>。"})
    for p in counts:
        tag = f"{Path(p).parent.name}_{Path(p).stem}"
        tables.append({"id": f"sitecheck_counts_{tag}", "title_en": f"Read classes per site ({tag})",
                       "title_zh": f"各位点读段分类（{tag}）", "path": _rel(p, out.parent),
                       "description_en": "Counted reads per class and excluded reads per reason.",
                       "description_zh": "各类别读段数及按原因排除的读段数。"})
    perf = [{"metric": f"median LOD ({a})", "value": float(np.nanmedian(p["lod"])) if p["lod"].notna().any() else None,
             "source": "site_verdicts.tsv"} for a, p in df.groupby("assay", sort=True)]
    summary = make_summary(
        "sitecheck", verdict_level=level, verdict_en="; ".join(sent_en) + ".", verdict_zh="；".join(sent_zh) + "。",
        key_figures=key, methods_en=en_m, methods_zh=zh_m, parameters=params, tables=tables, figures=figures,
        requirements=REQUIREMENTS, performance=perf, exclusions=_exclusions(counts),
        inputs=sorted(set(inputs)))
    for frag in FRAGMENTS:
        fp = out.parent / frag
        if fp.exists():
            try:
                data = json.loads(fp.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg})", path=fp) from None
            for k in ("key_figures", "tables", "figures", "exclusions", "performance"):
                summary[k] += list(data.get(k, []))
            for k in ("methods_en", "methods_zh"):
                if data.get(k):
                    summary[k] += " " + data[k]
            _merge_verdict(summary, data)
            summary["inputs"] = sorted(set(summary["inputs"]) | set(data.get("inputs", [])))
    write_summary(out, summary)
    return summary


#: how a fragment's verdict level raises the section's (``info`` = nothing compared yet)
_LEVEL_ORDER = ("info", "pass", "inconclusive", "attention", "fail")


def _merge_verdict(summary: dict, data: dict) -> None:
    """Append a fragment's verdict sentences (lists or strings) and raise the level to the fragment's when
    higher (e.g. the genome-wide editor test: an excess is attention, a test without the power to see the
    published effect is inconclusive)."""
    for k, sep in (("verdict_en", " "), ("verdict_zh", "")):
        v = data.get(k)
        parts = [v] if isinstance(v, str) else list(v or [])
        parts = [x.rstrip(".。") + ("." if k == "verdict_en" else "。") for x in parts if x]
        if parts:
            summary[k] = (summary[k] + sep if summary[k] else "") + sep.join(parts)
    lv = data.get("verdict_level")
    if lv in _LEVEL_ORDER and _LEVEL_ORDER.index(lv) > _LEVEL_ORDER.index(summary["verdict_level"]):
        summary["verdict_level"] = lv


def _rel(path: str, base: Path) -> str:
    import os

    return os.path.relpath(Path(path).resolve(), base.resolve())
