"""The integration ``summary.json``: verdict, key figures, bilingual methods, tables and figures, built from the
step outputs of :mod:`cgtsafe.integration.steps` in one folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.integration.steps import read_sites
from cgtsafe.io.tables import read_table


def load_genes_of_concern_names(params: dict) -> list[str]:
    from cgtsafe.io.annotation import load_genes_of_concern

    return sorted(load_genes_of_concern(params.get("genes_of_concern")))


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def largest_share_interval(sites: pd.DataFrame, sample: str, conf: float = 0.95) -> tuple[float, float]:
    """95 % Clopper-Pearson interval of the largest clone's share in ``sample``: top abundance over the sample's
    total abundance (fragments or sonicLength estimates, rounded to whole cells). (0, 0) without sites."""
    from scipy.stats import binomtest

    a = pd.to_numeric(sites.loc[sites["sample"] == sample, "abundance"], errors="coerce").fillna(0.0)
    n = int(round(float(a.sum())))
    if n <= 0:
        return 0.0, 0.0
    k = min(int(round(float(a.max()))), n)
    ci = binomtest(k, n).proportion_ci(confidence_level=conf, method="exact")
    return float(ci.low), float(ci.high)


def build_summary(d: Path, params: dict, *, attrition=None, multihits=None, fragments=None) -> dict:
    from cgtsafe.summary import make_summary

    need = ["sites.tsv", "clonality.tsv", "enrichment.tsv", "cis_regions.tsv", "cis_genes.tsv", "expansion.tsv"]
    for n in need:
        if not (d / n).exists():
            raise InputError(f"missing integration table {n}", path=d)
    sites = read_sites(d / "sites.tsv")
    clon = read_table(d / "clonality.tsv", required=("sample", "n_sites", "top1"), what="clonality table")
    enr = read_table(d / "enrichment.tsv", required=("group", "feature", "roc_auc", "fisher_p"), what="enrichment")
    regions = read_table(d / "cis_regions.tsv", required=("cis_id", "order"), what="CIS regions")
    cgenes = read_table(d / "cis_genes.tsv", required=("gene", "is_cis"), what="CIS genes")
    exp = read_table(d / "expansion.tsv", required=("clone_id", "expanding", "expanding_near_goc"), what="expansion")
    thresholds = sorted(float(t) for t in params.get("dominance_thresholds", [0.05, 0.1, 0.2]))
    top_t = thresholds[-1] if thresholds else 0.2

    top1 = pd.to_numeric(clon["top1"]).fillna(0.0)
    n_sites = pd.to_numeric(clon["n_sites"]).fillna(0).astype(int)
    empty = list(clon.loc[n_sites == 0, "sample"])
    dominant = clon.loc[top1 >= top_t, "sample"].tolist()
    max_top = float(top1.max()) if len(top1) else 0.0
    max_sample = clon.loc[top1.idxmax(), "sample"] if len(top1) else ""
    # Sampling uncertainty of the largest share: the recovered clones are a sample of the cells, so the share of
    # the top clone is a binomial proportion (95 % Clopper-Pearson interval on the sample's abundance counts).
    intervals = {smp: largest_share_interval(sites, smp) for smp in clon["sample"]}
    near = [smp for smp, (_, hi) in intervals.items() if smp not in dominant and hi >= top_t]
    max_lo, max_hi = intervals.get(max_sample, (0.0, 0.0))
    exp_n = exp[pd.to_numeric(exp["expanding"]) == 1]
    exp_goc = exp[pd.to_numeric(exp["expanding_near_goc"]) == 1]
    goc_sites = sites[sites["gene_of_concern"].astype(str) != ""].drop_duplicates(["chrom", "position", "strand"])
    cis_goc = regions[regions.get("genes_of_concern", pd.Series(dtype=str)).astype(str) != ""] if len(regions) else regions
    cis_sig = cgenes[pd.to_numeric(cgenes["is_cis"]) == 1]

    sentences_en, sentences_zh = [], []
    if dominant:
        sentences_en.append(f"Clone share >= {_pct(top_t)} in {len(dominant)} sample(s) ({', '.join(dominant)}; "
                            f"largest {_pct(max_top)} in {max_sample})")
        sentences_zh.append(f"{len(dominant)} 个样本（{', '.join(dominant)}）中存在占比 ≥ {_pct(top_t)} 的克隆"
                            f"（最大 {_pct(max_top)}，{max_sample}）")
    else:
        sentences_en.append(f"No clone estimated above {_pct(top_t)} in any sample (largest {_pct(max_top)}"
                            + (f" in {max_sample})" if max_sample else ")"))
        sentences_zh.append(f"所有样本中均无占比估计值超过 {_pct(top_t)} 的克隆（最大 {_pct(max_top)}"
                            + (f"，{max_sample}）" if max_sample else "）"))
    if near:
        sentences_en.append(f"a clone >= {_pct(top_t)} cannot be excluded in {len(near)} sample(s) ({', '.join(near)}: "
                            f"upper 95 % bound of the largest share at or above the limit)")
        sentences_zh.append(f"{len(near)} 个样本（{', '.join(near)}）不能排除存在占比 ≥ {_pct(top_t)} 的克隆"
                            "（最大克隆占比的 95 % 置信上限达到或超过限值）")
    for _, r in exp_goc.head(3).iterrows():
        sentences_en.append(f"clone near {r['gene_of_concern']} ({r['clone_id']}, {r['cell_type']}) expanded from "
                            f"{_pct(float(r['first_share']))} to {_pct(float(r['last_share']))} between "
                            f"{r['first_timepoint']} and {r['last_timepoint']}")
        sentences_zh.append(f"邻近关注基因 {r['gene_of_concern']} 的克隆（{r['clone_id']}，{r['cell_type']}）从"
                            f"{r['first_timepoint']} 的 {_pct(float(r['first_share']))} 扩增至 {r['last_timepoint']} 的 "
                            f"{_pct(float(r['last_share']))}")
    other_exp = len(exp_n) - len(exp_goc)
    if other_exp:
        sentences_en.append(f"{other_exp} other expanding clone(s)")
        sentences_zh.append(f"另有 {other_exp} 个扩增克隆")
    bg_max = None
    if (d / "cis_background.tsv").exists():
        bg = read_table(d / "cis_background.tsv", required=("n_regions",), what="CIS background")
        if len(bg):
            bg_max = int(pd.to_numeric(bg["n_regions"]).max())
    goc_set = set(load_genes_of_concern_names(params))
    goc_folded = {g.casefold() for g in goc_set}  # symbols match case-insensitively (mouse Lmo2 = LMO2)
    cis_goc_genes = sorted(g for g in set(cis_sig["gene"]) if str(g).casefold() in goc_folded) if len(cis_sig) else []
    cis_excess = len(cis_goc) and (bg_max is None or len(regions) > bg_max)
    if cis_excess:
        sentences_en.append(f"{len(cis_goc)} common integration site region(s) near genes of concern"
                            + (f" (random controls give up to {bg_max} regions)" if bg_max is not None else ""))
        sentences_zh.append(f"{len(cis_goc)} 个共同整合位点区域邻近关注基因"
                            + (f"（随机对照最多 {bg_max} 个区域）" if bg_max is not None else ""))
    if cis_goc_genes:
        sentences_en.append(f"integration density outlier at gene(s) of concern {', '.join(cis_goc_genes)}")
        sentences_zh.append(f"关注基因 {', '.join(cis_goc_genes)} 整合密度离群")
    level = "attention" if (dominant or near or len(exp_goc) or cis_excess or cis_goc_genes) else (
        "info" if len(exp_n) else "pass")
    if sites.empty:
        level = "inconclusive"
        sentences_en = ["No integration sites were recovered from any sample"]
        sentences_zh = ["所有样本均未检出整合位点"]
    verdict_en = "; ".join(sentences_en) + (" — attention." if level == "attention" else ".")
    verdict_zh = "；".join(sentences_zh) + ("——需关注。" if level == "attention" else "。")

    all_enr = enr[enr["group"] == "all"].set_index("feature")

    def _auc(feat):
        try:
            return round(float(all_enr.loc[feat, "roc_auc"]), 3)
        except (KeyError, ValueError):
            return None

    key_figures = [
        {"label_en": "Samples", "label_zh": "样本数", "value": int(len(clon))},
        {"label_en": "Distinct integration sites", "label_zh": "独立整合位点数",
         "value": int(len(sites.drop_duplicates(["chrom", "position", "strand"])))},
        {"label_en": "Largest clone share", "label_zh": "最大克隆占比", "value": _pct(max_top)},
        {"label_en": "Largest clone share, 95 % interval (Clopper-Pearson)", "label_zh": "最大克隆占比 95 % 置信区间（Clopper-Pearson）",
         "value": f"{_pct(max_lo)} - {_pct(max_hi)}"},
        {"label_en": f"Samples with a clone >= {_pct(top_t)}", "label_zh": f"存在 ≥ {_pct(top_t)} 克隆的样本数",
         "value": len(dominant)},
        {"label_en": "Sites near genes of concern", "label_zh": "邻近关注基因的位点数", "value": int(len(goc_sites))},
        {"label_en": "Expanding clones (near genes of concern)", "label_zh": "扩增克隆数（邻近关注基因）",
         "value": f"{len(exp_n)} ({len(exp_goc)})"},
        {"label_en": "CIS regions (window rule) / CIS genes (outlier test)", "label_zh": "共同整合位点区域 / 基因",
         "value": f"{len(regions)} / {len(cis_sig)}"},
        {"label_en": "CIS regions in random controls (max over sets)", "label_zh": "随机对照中的共同整合位点区域（最大值）",
         "value": bg_max if bg_max is not None else "not computed"},
        {"label_en": "In-gene ROC area vs random controls", "label_zh": "基因内整合 ROC 面积（相对随机对照）",
         "value": _auc("in_gene")},
        {"label_en": "Near-TSS ROC area vs random controls", "label_zh": "TSS 附近整合 ROC 面积（相对随机对照）",
         "value": _auc("near_tss")},
    ]
    p = params
    wins = ", ".join(f"{w // 1000} kb" for w in p.get("genes_of_concern_windows", []))
    abund_en = {"sonic": "the sonicLength maximum-likelihood estimate from fragment lengths (Berry et al. 2012)",
                "fragments": "the number of unique shear sites (fragment lengths)",
                "umi": "the number of distinct linker UMIs"}.get(p.get("abundance"), p.get("abundance"))
    abund_zh = {"sonic": "基于片段长度的 sonicLength 最大似然估计（Berry 等，2012）",
                "fragments": "独立剪切位点（片段长度）数", "umi": "不同接头 UMI 数"}.get(p.get("abundance"),
                                                                                  p.get("abundance"))
    imported = str(p.get("abundance", "")).startswith("imported-")
    if imported:
        quant = str(p["abundance"]).split("-", 1)[1]
        abund_en = (f"the '{quant}' value of the imported ISAnalytics/VISPA2 matrix (no breakpoints, so not "
                    "re-estimated" + ("; read counts are PCR-biased, see exclusions)" if quant == "seqCount" else ")"))
        abund_zh = (f"导入的 ISAnalytics/VISPA2 矩阵中的“{quant}”值（无断点，未重新估计"
                    + ("；读段数受 PCR 偏倚影响，见排除项）" if quant == "seqCount" else "）"))
    reads_note_en = "" if imported else "; read counts are reported but not used as clone size"
    reads_note_zh = "" if imported else "；读段数仅作展示，不作为克隆大小"
    methods_en = (
        f"Vector-host junctions within {p.get('merge_distance')} bp (same chromosome and strand) were merged across "
        f"all samples of a subject into integration sites (position = junction with most fragments). Clone size was "
        f"{abund_en}{reads_note_en}. Per sample: Shannon, Gini-Simpson (1 - "
        f"sum p^2), Gini, Pielou, UC50, Chao1, top-1/top-10 share; dominance thresholds "
        f"{', '.join(_pct(t) for t in thresholds)}. Sites were annotated with the nearest gene, signed TSS distance "
        f"(hiAnnotator convention) and genes of concern within {wins}. Integration preference was tested against "
        f"{p.get('random_controls_per_site')} uniformly drawn random non-N genome positions per site (seed "
        f"{p.get('seed')}) with Fisher's exact test and ROC areas (Berry et al. 2006) for in gene, within "
        f"{p.get('tss_window')} bp of a TSS and near a gene of concern. Common integration sites: window rule of "
        f"Abel et al. 2007 and a per-gene integration-density outlier (Grubbs) test with {p.get('cis', {}).get('flank')} "
        f"bp gene flanks, Bonferroni alpha {p.get('cis', {}).get('alpha')}. A clone was called expanding when its "
        f"share at the last time point was >= {_pct(p.get('expansion', {}).get('threshold', 0))} and >= "
        f"{p.get('expansion', {}).get('fold')}-fold its share at the first time point."
    )
    methods_zh = (
        f"同一受试者所有样本中，同一染色体同一方向、相距 ≤ {p.get('merge_distance')} bp 的载体-宿主连接点合并为一个整合位点"
        f"（位置取片段数最多的连接点）。克隆大小采用{abund_zh}{reads_note_zh}。每个样本计算 Shannon、"
        f"Gini-Simpson（1 - Σp²）、Gini、Pielou、UC50、Chao1 及最大克隆/前十克隆占比；优势克隆阈值为 "
        f"{', '.join(_pct(t) for t in thresholds)}。位点注释最近基因、带符号的 TSS 距离（hiAnnotator 约定）以及 {wins} "
        f"范围内的关注基因。以每个位点 {p.get('random_controls_per_site')} 个在参考基因组非 N 序列中均匀抽取的随机位点为对照"
        f"（随机种子 {p.get('seed')}），用 Fisher 精确检验和 ROC 面积（Berry 等，2006）评估基因内、TSS ±{p.get('tss_window')} bp "
        f"内及关注基因附近的整合偏好。共同整合位点采用 Abel 等（2007）窗口规则及基因整合密度离群（Grubbs）检验"
        f"（基因两侧各延伸 {p.get('cis', {}).get('flank')} bp，Bonferroni α = {p.get('cis', {}).get('alpha')}）。"
        f"末次时间点占比 ≥ {_pct(p.get('expansion', {}).get('threshold', 0))} 且为首次时间点占比的 "
        f"{p.get('expansion', {}).get('fold')} 倍及以上的克隆判定为扩增克隆。"
    )
    tables = [
        ("sites", "Integration sites", "整合位点", "sites.tsv",
         "One row per sample and site (position 1-based); abundance per the configured method.",
         "每个样本每个位点一行（位置为 1-based）；丰度按配置的方法计算。"),
        ("clonality", "Clonality per sample", "各样本克隆性指标", "clonality.tsv",
         "Diversity, UC50, Chao1, top clone shares and dominance flags.", "多样性、UC50、Chao1、最大克隆占比及优势克隆标记。"),
        ("enrichment", "Integration preference vs random controls", "相对随机对照的整合偏好", "enrichment.tsv",
         "Fisher's exact test and ROC area per feature.", "各特征的 Fisher 精确检验与 ROC 面积。"),
        ("cis_regions", "Common integration sites (window rule)", "共同整合位点（窗口规则）", "cis_regions.tsv",
         "Abel et al. 2007 windows.", "Abel 等 2007 窗口规则。"),
        ("cis_background", "CIS regions in random controls", "随机对照中的共同整合位点区域", "cis_background.tsv",
         "Window-rule CIS regions found in each set of random control sites (chance expectation).",
         "每组随机对照位点按窗口规则得到的区域数（随机期望）。"),
        ("cis_genes", "Per-gene integration density test", "基因整合密度检验", "cis_genes.tsv",
         "Grubbs outlier test of log2 sites per kb.", "每 kb 位点数 log2 值的 Grubbs 离群检验。"),
        ("expansion", "Clone expansion over time", "克隆随时间扩增", "expansion.tsv",
         "First/last share, fold and flags per clone.", "每个克隆首末次占比、倍数及标记。"),
        ("isa_matrix", "ISAnalytics-compatible integration matrix", "ISAnalytics 兼容整合矩阵", "isa_matrix.tsv",
         "chr, integration_locus (1-based), strand, GeneName, GeneStrand + one abundance column per sample.",
         "chr、integration_locus（1-based）、strand、GeneName、GeneStrand 及每个样本的丰度列。"),
    ]
    if attrition and Path(attrition).exists():
        import os

        tables.insert(0, ("attrition", "Read attrition per sample", "各样本读段过滤统计",
                          os.path.relpath(Path(attrition).resolve(), d.resolve()),
                          "Reads kept at each processing step.", "各处理步骤保留的读段数。"))
    table_objs = [{"id": i, "title_en": te, "title_zh": tz, "path": pth, "description_en": de, "description_zh": dz}
                  for i, te, tz, pth, de, dz in tables if (d / pth).exists()]
    figures = [{"id": fid, "title_en": te, "title_zh": tz, "path": pth}
               for fid, te, tz, pth in (("trajectories", "Clone share over time", "克隆占比随时间变化",
                                         "fig_trajectories.json"),
                                        ("stacked", "Clone shares per sample", "各样本克隆占比", "fig_stacked.json"))
               if (d / pth).exists()]
    exclusions = []
    exf = d / "from_fragments.exclusions.json"
    if exf.exists():
        import json

        exclusions.extend(json.loads(exf.read_text(encoding="utf-8")).get("exclusions", []))
    for s in empty:
        exclusions.append({"what": f"sample {s}", "count": 0, "reason": "no integration fragments; reported as zeros"})
    if multihits and Path(multihits).exists():
        mh = read_table(multihits, what="multihits table")
        rc = pd.to_numeric(mh.get("reads", mh.get("read_count", pd.Series(dtype=float))), errors="coerce").sum()
        reason = ("reads aligning equally well to several loci are kept as their own class and "
                  "not used as integration sites")
        mc = Path(multihits).with_name("multihit_clusters.tsv")
        if mc.exists():
            cl = read_table(mc, what="multihit clusters table")
            nfr = int(pd.to_numeric(cl.get("fragments", pd.Series(dtype=float)), errors="coerce").fillna(0).sum())
            reason += (f"; {len(cl)} multihit cluster(s) with {nfr} unique fragment(s) in total are reported apart "
                       "(multihit_clusters.tsv)")
        exclusions.append({"what": "multi-mapping reads", "count": int(rc) if rc == rc else int(len(mh)),
                           "reason": reason})
    und = Path(attrition).with_name("undetermined.tsv") if attrition else None
    if und is not None and und.exists():
        ut = read_table(und, required=("reason", "barcode", "reads"), what="undetermined read pairs table")
        tot = ut[ut["barcode"] == "*"]
        n_un = int(pd.to_numeric(tot["reads"], errors="coerce").fillna(0).sum())
        if n_un:
            parts = "; ".join(f"{r}: {int(n)}" for r, n in zip(tot["reason"], pd.to_numeric(tot["reads"])))
            exclusions.append({"what": "read pairs assigned to no sample (demultiplexing)", "count": n_un,
                               "reason": f"{parts} (most frequent unmatched barcodes in undetermined.tsv)"})
    inputs = [str(x) for x in (fragments, attrition, multihits) if x]
    lim = _pct(top_t)
    where = "contains" if max_lo <= top_t <= max_hi else ("lies above" if max_lo > top_t else "lies below")
    where_zh = {"contains": "包含", "lies above": "高于", "lies below": "低于"}[where]
    uncertainty_en = (
        f"Largest clone {_pct(max_top)} (95 % interval {_pct(max_lo)} - {_pct(max_hi)}, Clopper-Pearson on the "
        f"sample's abundance counts{', ' + str(max_sample) if max_sample else ''}) vs the {lim} limit: the interval "
        f"{where} the limit" + (", so the clone can be neither called below nor above it" if where == "contains" else "")
        + ". Crossing the limit means one clone holds that share of the sampled cells (clonal dominance): a signal of "
        "possible insertional oncogenesis (004 八（三）) that calls for follow-up of the clone over time.")
    uncertainty_zh = (
        f"最大克隆占比 {_pct(max_top)}（95 % 置信区间 {_pct(max_lo)} - {_pct(max_hi)}，基于样本丰度计数的 Clopper-Pearson 区间"
        f"{'，' + str(max_sample) if max_sample else ''}），限值 {lim}：区间{where_zh}限值"
        + ("，因此既不能判定低于也不能判定高于限值" if where == "contains" else "")
        + "。超过限值意味着单一克隆占所抽样细胞的该比例（克隆优势），提示可能的插入突变致瘤风险（004 八（三）），需随时间追踪该克隆。")
    return make_summary(
        "integration", verdict_level=level, verdict_en=verdict_en, verdict_zh=verdict_zh, key_figures=key_figures,
        uncertainty_en=uncertainty_en, uncertainty_zh=uncertainty_zh,
        methods_en=methods_en, methods_zh=methods_zh, parameters=params, tables=table_objs, figures=figures,
        requirements=["R004-16", "R004-17", "R004-21", "R004-22"],
        exclusions=exclusions, inputs=inputs,
    )
