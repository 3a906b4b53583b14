"""``cgtsafe nomination summarize``: nominated vs predicted sites, the nominated sites prediction missed and
why, the figure and ``summary.json`` (report section ER-03).

Predicted vs nominated
  A nominated site is *predicted* when a row of the off-target prediction table (``results/offtarget/sites.tsv``)
  for the same guide overlaps it (same contig, site intervals overlap; 0-based, end exclusive). Otherwise the
  reason is derived from the site's alignment and the prediction's search limits:
  ``bulge beyond the prediction limit`` (more DNA/RNA bulges than searched), ``bulged site with more
  mismatches than the prediction kept``, ``beyond the mismatch limit``, ``non-canonical PAM`` (alternative
  PAM while the prediction searched canonical PAMs only), or ``within the prediction limits but absent from
  the prediction table`` (a discrepancy to investigate: different genome, guide or contig set).

Verdict (never reassuring without evidence)
  ``inconclusive`` when the on-target site (0 mismatches, no bulge) is not among the nominated sites of a
  guide: the assay did not show tag integration at the intended cut, so the absence of off-target windows
  says nothing. ``attention`` when prediction missed a nominated site (those sites must be added to the
  site check, which ``sitecheck.nominated`` does). Otherwise ``info``: the nominated sites are carried into
  the site check.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from cgtsafe.errors import InputError


@dataclass
class PredictionLimits:
    max_mismatches: int | None = None
    max_dna_bulge: int | None = None
    max_rna_bulge: int | None = None
    max_bulge_mismatches: int | None = None
    alternative_pams: bool = True


MISSED_COLUMNS = ("guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge", "rna_bulge",
                  "pam", "pam_class", "umi", "control_umi", "reason")


def _read(path: str | Path, need: tuple[str, ...]) -> list[dict]:
    p = Path(path)
    if not p.exists():
        raise InputError("table not found", path=p)
    with p.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
        header = rows[0].keys() if rows else next(csv.reader(open(p, encoding="utf-8"), delimiter="\t"), [])
    miss = [c for c in need if c not in header]
    if miss:
        raise InputError(f"missing column(s) {', '.join(miss)}", path=p, line=1)
    return rows


def missed_reason(site: dict, lim: PredictionLimits) -> str:
    """Why a nominated site (a windows.tsv row) is outside the prediction (see the module docstring)."""
    mm, d, r = int(site["mismatches"]), int(site["dna_bulge"]), int(site["rna_bulge"])
    reasons = []
    if lim.max_dna_bulge is not None and d > lim.max_dna_bulge or lim.max_rna_bulge is not None and \
            r > lim.max_rna_bulge:
        reasons.append("bulge beyond the prediction limit")
    elif d + r > 0 and lim.max_bulge_mismatches is not None and mm > lim.max_bulge_mismatches:
        reasons.append("bulged site with more mismatches than the prediction kept")
    if lim.max_mismatches is not None and mm > lim.max_mismatches:
        reasons.append("beyond the mismatch limit")
    if site["pam_class"] != "canonical" and not lim.alternative_pams:
        reasons.append("non-canonical PAM")
    return "; ".join(reasons) or "within the prediction limits but absent from the prediction table"


def compare(windows: list[dict], predicted: list[dict] | None, lim: PredictionLimits) -> tuple[list, list, int]:
    """(nominated rows with ``predicted`` yes/no, missed rows with reasons, predicted-only count)."""
    nom = [w for w in windows if w["status"] == "nominated"]
    seen, uniq = set(), []
    for w in nom:
        key = (w["guide"], w["site_chrom"], w["site_start"], w["site_end"], w["site_strand"])
        if key not in seen:
            seen.add(key)
            uniq.append(w)
    missed, hit_pred = [], set()
    for w in uniq:
        s, e = int(w["site_start"]), int(w["site_end"])
        match = [] if predicted is None else [
            i for i, p in enumerate(predicted) if p["guide"] == w["guide"] and p["chrom"] == w["site_chrom"]
            and int(p["start"]) < e and s < int(p["end"])]
        hit_pred.update(match)
        w["predicted"] = "yes" if match else ("no" if predicted is not None else "not_available")
        if predicted is not None and not match:
            missed.append({"guide": w["guide"], "chrom": w["site_chrom"], "start": s, "end": e,
                           "strand": w["site_strand"], "site": w["site"], "mismatches": w["mismatches"],
                           "dna_bulge": w["dna_bulge"], "rna_bulge": w["rna_bulge"], "pam": w["pam"],
                           "pam_class": w["pam_class"], "umi": w["umi"], "control_umi": w["control_umi"],
                           "reason": missed_reason(w, lim)})
    guides = {w["guide"] for w in windows}
    pred_only = 0 if predicted is None else sum(
        1 for i, p in enumerate(predicted) if i not in hit_pred and p["guide"] in guides)
    return uniq, missed, pred_only


def _figure(n_both: int, n_nom_only: int, n_pred_only: int | None, method: str) -> dict:
    import plotly.graph_objects as go
    import plotly.io as pio

    labels = ["predicted and nominated / 预测且提名", f"{method} only / 仅{method}"]
    values = [n_both, n_nom_only]
    if n_pred_only is not None:
        labels.append("predicted only / 仅预测")
        values.append(n_pred_only)
    fig = go.Figure(go.Bar(x=labels, y=values, text=values, textposition="outside"))
    fig.update_layout(template="plotly_white", yaxis_title="sites / 位点数",
                      title=f"In silico prediction vs {method} nomination / 计算预测与{method}提名")
    return json.loads(pio.to_json(fig, validate=True, remove_uids=True))


def run_summarize(windows_path, nominated_path, reads_path, predicted_path, lim: PredictionLimits, method: str,
                  layout: str, outdir, out) -> None:
    import pandas as pd

    from cgtsafe.io.tables import write_json, write_table
    from cgtsafe.summary import make_summary, write_summary

    need = ("sample", "guide", "window_id", "chrom", "status", "umi", "control_umi", "site_chrom", "site_start",
            "site_end", "site_strand", "mismatches", "dna_bulge", "rna_bulge", "pam_class")
    windows = _read(windows_path, need)
    _read(nominated_path, ("chrom", "start", "end", "source"))
    reads = _read(reads_path, ("sample", "read_pairs", "aligned_molecules"))
    predicted = None
    if predicted_path:
        predicted = _read(predicted_path, ("guide", "chrom", "start", "end"))
    nom, missed, pred_only = compare(windows, predicted, lim)
    outdir = Path(outdir)
    write_table(pd.DataFrame(missed, columns=list(MISSED_COLUMNS)), outdir / "missed_by_prediction.tsv")
    n_both = sum(1 for w in nom if w["predicted"] == "yes")
    n_nom_only = len(nom) - n_both
    fig_path = outdir / "figures" / "predicted_vs_nominated.json"
    write_json(fig_path, _figure(n_both, n_nom_only, pred_only if predicted is not None else None, method))

    on_target = {w["guide"] for w in nom if int(w["mismatches"]) + int(w["dna_bulge"]) + int(w["rna_bulge"]) == 0}
    treated_guides = sorted({w["guide"] for w in windows})
    no_on = [g for g in treated_guides if g not in on_target]
    n_bg = sum(1 for w in windows if w["status"] == "background")
    n_nomatch = sum(1 for w in windows if w["status"] == "no_guide_match")
    off = [w for w in nom if int(w["mismatches"]) + int(w["dna_bulge"]) + int(w["rna_bulge"]) > 0]
    if not windows or no_on:
        level = "inconclusive"
        what = ", ".join(no_on) if no_on else "any guide"
        verdict_en = (f"{method}: the on-target site of {what} was not recovered, so tag integration at the intended "
                      f"cut is not shown and the absence of other sites is not evidence of specificity.")
        verdict_zh = (f"{method}：未检出 {what} 的靶位点，无法证明在预期切割处发生了标签整合，因此未检出其他位点"
                      f"不能作为特异性的证据。")
    elif missed:
        level = "attention"
        verdict_en = (f"{method} nominated {len(off)} off-target site(s) besides the on-target; in silico prediction "
                      f"missed {len(missed)} of the {len(nom)} nominated site(s); they are passed to the site check.")
        verdict_zh = (f"{method} 在靶位点之外提名了 {len(off)} 个脱靶位点；计算预测遗漏了 {len(nom)} 个提名位点中的 "
                      f"{len(missed)} 个，已传入位点检测。")
    else:
        level = "info"
        tail_en = "all were also predicted in silico" if predicted is not None else "no prediction table to compare"
        tail_zh = "均已被计算预测覆盖" if predicted is not None else "无预测表可比较"
        verdict_en = (f"{method} nominated {len(off)} off-target site(s) besides the on-target ({tail_en}); they are "
                      f"passed to the site check.")
        verdict_zh = f"{method} 在靶位点之外提名了 {len(off)} 个脱靶位点（{tail_zh}），已传入位点检测。"
    kf = [
        {"label_en": "nominated sites (incl. on-target)", "label_zh": "提名位点（含靶位点）", "value": len(nom)},
        {"label_en": "nominated off-target sites", "label_zh": "提名脱靶位点", "value": len(off)},
        {"label_en": "nominated sites missed by prediction", "label_zh": "预测遗漏的提名位点",
         "value": len(missed) if predicted is not None else "not compared"},
        {"label_en": "windows also in the control (background)", "label_zh": "对照中亦存在的窗口（背景）", "value": n_bg},
        {"label_en": "windows without a guide match", "label_zh": "无向导序列匹配的窗口", "value": n_nomatch},
    ]
    for r in reads:
        kf.append({"label_en": f"read pairs / aligned molecules, {r['sample']}",
                   "label_zh": f"读段对 / 比对分子数，{r['sample']}", "value": f"{r['read_pairs']} / {r['aligned_molecules']}"})
    methods_en = (
        f"{method} reads ({layout} layout) were demultiplexed by index barcodes, consolidated by UMI (molecular index "
        f"= UMI + first 6 nt of each read; consensus base at >= 90 % of reads with Phred >= 15), the dsODN tag and "
        f"adapter read-through were trimmed, and each read was aligned with minimap2 (mappy). The 5' end of the "
        f"tag-side read gives the break position; positions within 10 bp form a window, kept when it has molecules "
        f"on both strands or from both tag primers. Each window (+-25 bp) was searched for the guide with the "
        f"cgtsafe off-target engine (mismatches, DNA and RNA bulges, canonical and alternative PAMs). Windows that "
        f"overlap a control window are background. Nominated sites were compared with the in silico prediction "
        f"table; a GUIDE-seq read-out detects sites above its own sensitivity only (no detection does not prove "
        f"absence).")
    methods_zh = (
        f"{method} 读段（{layout} 布局）按索引条形码拆分，按 UMI 合并（分子标识 = UMI + 两端读段前 6 nt；"
        f"Phred >= 15 且 >= 90 % 读段一致时取共识碱基），去除 dsODN 标签与接头通读后用 minimap2（mappy）比对。"
        f"标签侧读段 5' 端为断裂位置；相距 <= 10 bp 的位置合并为窗口，需双链或双引物均有分子支持。"
        f"在每个窗口（+-25 bp）内用 cgtsafe 脱靶搜索引擎搜索向导序列（错配、DNA/RNA 凸起、经典及替代 PAM）。"
        f"与对照窗口重叠者为背景。提名位点与计算预测表比较；该方法仅能检出高于其灵敏度的位点（未检出不等于不存在）。")
    tables = [
        {"id": "nomination_windows", "title_en": f"{method} windows and nominated sites",
         "title_zh": f"{method} 窗口与提名位点", "path": "windows.tsv",
         "description_en": "One row per window of a treated sample; start 0-based, end exclusive; position 1-based.",
         "description_zh": "每个处理样本窗口一行；start 为 0 起始，end 不含；position 为 1 起始。"},
        {"id": "nomination_missed", "title_en": "Nominated sites missed by the in silico prediction, and why",
         "title_zh": "计算预测遗漏的提名位点及原因", "path": "missed_by_prediction.tsv",
         "description_en": "Reasons: bulge/mismatch beyond the prediction limits, non-canonical PAM.",
         "description_zh": "原因：凸起/错配超出预测限度、非经典 PAM。"},
        {"id": "nomination_reads", "title_en": "Read accounting per sample", "title_zh": "各样本读段统计",
         "path": "reads.tsv", "description_en": "", "description_zh": ""},
    ]
    exclusions = [{"what": "windows present in the control sample (background)", "count": n_bg,
                   "reason": "overlap a control window"},
                  {"what": "windows without a guide match", "count": n_nomatch,
                   "reason": "no guide alignment within the search limits (not nominated)"}]
    if predicted is None:
        exclusions.append({"what": "comparison with the in silico prediction", "count": 0,
                           "reason": "no prediction table (offtarget disabled)"})
    summary = make_summary(
        "nomination", verdict_level=level, verdict_en=verdict_en, verdict_zh=verdict_zh, key_figures=kf,
        methods_en=methods_en, methods_zh=methods_zh,
        parameters={"method": method, "layout": layout, "prediction_limits": lim.__dict__},
        tables=tables, figures=[{"id": "nomination_venn", "title_en": "Predicted vs nominated sites",
                                 "title_zh": "预测位点与提名位点", "path": "figures/predicted_vs_nominated.json"}],
        requirements=["R002-32"], exclusions=exclusions,
        inputs=sorted(str(p) for p in (windows_path, nominated_path, reads_path, predicted_path) if p),
    )
    write_summary(out, summary)
