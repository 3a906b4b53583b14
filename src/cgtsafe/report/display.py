"""What a reviewer reads first: the key columns of each analysis table, and the uncertainty line that
follows each verdict.

``KEY_COLUMNS`` maps a table id pattern (``fnmatch``; first match wins) to the columns shown first, in that
order. The other columns stay in the page (hidden until "Show all columns"), in the CSV download and, in the
PDF, in the appendix: no column is ever dropped. A table without a pattern, or with at most
``MAX_PLAIN`` columns, shows all its columns.
"""

from __future__ import annotations

import fnmatch
import re

MAX_PLAIN = 9

KEY_COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("offtarget_sites", ("site_id", "guide", "chrom", "start", "strand", "mismatches", "dna_bulge", "rna_bulge",
                         "cfd", "priority", "gene", "feature", "gene_of_concern")),
    ("offtarget_guides", ("guide", "on_target_sites", "off_target_sites", "off_high_priority", "off_exonic",
                          "mit_specificity", "cfd_specificity")),
    ("offtarget_species_*_guides", ()),
    ("offtarget_species_*", ("site_id", "guide", "mismatches", "ortholog_status", "animal_mismatches",
                             "animal_pam_ok", "conservation")),
    ("offtarget_variants_*", ("variant_id", "guide", "site_id", "effect", "af", "ref_mismatches", "alt_mismatches",
                              "gene")),
    ("sitecheck_site_verdicts", ("assay", "site_id", "edited_reads", "edited_freq", "edited_ci_low",
                                 "edited_ci_high", "excess_freq", "q_value", "lod", "threshold", "verdict")),
    ("sitecheck_counts_*", ("sample", "site_id", "reads", "unmodified", "indel", "substitution_only")),
    ("sitecheck_genomewide_variants", ("variant_id", "type", "edited_vaf", "control_vaf", "q_value", "call",
                                       "guide_like", "gene", "gene_of_concern")),
    ("sitecheck_genomewide_editor_test", ("sample", "test", "variants", "edited_only", "control_only", "rate_ratio",
                                          "rr_low", "rr_high", "p_value", "detectable_per_mb_vaf50", "verdict")),
    ("sitecheck_read_retention", ("sample", "amplicon", "input_reads", "adapter_trimmed_share", "merged_share",
                                  "aligned_share", "counted_share", "counted_of_input", "flag")),
    ("sitecheck_structural_events", ("event_id", "type", "chrom1", "pos1", "chrom2", "pos2", "edited_frequency",
                                     "edited_freq_low", "edited_freq_high", "q_value", "call")),
    ("sites", ("sample", "chrom", "position", "strand", "relative_abundance", "nearest_gene", "gene_of_concern")),
    ("clonality", ("sample", "n_sites", "top1", "n_clones_ge_20pct", "shannon", "simpson", "gini", "uc50")),
    ("expansion", ("subject", "cell_type", "clone_id", "nearest_gene", "gene_of_concern", "first_share",
                   "last_share", "fold", "expanding")),
    ("enrichment", ("group", "feature", "real_fraction", "control_fraction", "odds_ratio", "fisher_p", "roc_auc")),
    ("attrition", ("sample", "reads", "aligned", "unique_aligned", "multihit", "unique_sites")),
    ("tcr_candidates", ("rank", "peptide", "tier", "genes", "max_vital_tissue", "max_vital_tissue_ntpm",
                        "hla_binder", "expression_status", "recommendation")),
    ("antigen_targets", ("target", "symbol", "status", "tier", "tier_name", "max_vital_ntpm", "max_vital_tissue",
                         "n_vital_detected", "sponsor_positive_vital", "published_case")),
    ("antigen_published_cases", ("target", "tissue_reported", "evidence", "visible_in_bulk_data", "finding_zh",
                                 "finding_en", "citation")),
    ("antigen_imported_studies", ("target", "tissue", "method", "result", "vital", "cell_type", "study_id")),
    ("vector_features", ("category", "name", "kind", "strand", "start", "end", "score", "in_provirus", "flag")),
    ("vector_ltrs", ("ltr", "start", "end", "u3_length", "u3_nfkb_enhancer", "u3_sp1_tata", "status")),
    ("tcr_hits_*", ("peptide", "gene", "method", "score", "hamming", "hla_binder", "max_vital_tissue",
                    "max_vital_tissue_ntpm", "expression_status")),
]


def key_columns(table_id: str, columns: list[str]) -> list[int]:
    """Indices of the key columns of a table, in display order (all columns when none are declared)."""
    if len(columns) <= MAX_PLAIN:
        return list(range(len(columns)))
    for pattern, keys in KEY_COLUMNS:
        if fnmatch.fnmatchcase(table_id, pattern):
            idx = [columns.index(k) for k in keys if k in columns]
            return idx or list(range(len(columns)))
    return list(range(len(columns)))


def _pct(value) -> float | None:
    m = re.search(r"([0-9]+(?:\.[0-9]+)?)\s*%", str(value))
    return float(m.group(1)) if m else None


def uncertainty(analysis: str, s: dict) -> tuple[str, str] | None:
    """The uncertainty that goes with the verdict: the summary's own ``uncertainty_en/_zh`` when it states one,
    else what the report can read from the summary's key figures and parameters (it computes nothing new)."""
    if s.get("status") != "computed":
        return None
    if s.get("uncertainty_en") or s.get("uncertainty_zh"):
        return s.get("uncertainty_en", ""), s.get("uncertainty_zh", "") or s.get("uncertainty_en", "")
    kf = {str(k.get("label_en", "")): k.get("value") for k in s.get("key_figures") or [] if isinstance(k, dict)}
    if analysis == "integration" and "Largest clone share" in kf:
        largest = kf["Largest clone share"]
        limits = (s.get("parameters") or {}).get("dominance_thresholds") or []
        try:
            limit = 100 * max(float(x) for x in limits)
        except (TypeError, ValueError):
            limit = None
        lim_en = f" vs the {limit:g} % limit" if limit is not None else ""
        lim_zh = f"，限值 {limit:g} %" if limit is not None else ""
        return (f"Largest clone {largest}{lim_en}. The integration analysis reports no confidence interval for this "
                "share, so sampling error (sites recovered per sample) is not quantified here and a clone this "
                "close to the limit cannot be called below it with confidence. Crossing the limit means one clone "
                "holds that share of all integration sites recovered: clonal dominance, a signal of possible "
                "insertional oncogenesis (004 八（三）) that needs follow-up of the clone over time.",
                f"最大克隆占比 {largest}{lim_zh}。整合位点分析未报告该占比的置信区间，此处未量化抽样误差（各样本回收的位点数），"
                "因此接近限值的克隆不能有把握地判定为低于限值。超过限值意味着单一克隆占全部回收整合位点的该比例，"
                "即克隆优势，提示可能的插入突变致瘤风险（004 八（三）），需随时间追踪该克隆。")
    if analysis == "sitecheck":
        thr = _pct(kf.get("declared threshold", kf.get("pre-specified threshold")))
        parts_en, parts_zh = [], []
        for assay, zh in (("targeted deep sequencing", "靶向深度测序"), ("WGS", "全基因组测序")):
            lod = _pct(kf.get(f"{assay}: median per-site LOD"))
            if lod is not None and thr is not None:
                ok = lod <= thr
                parts_en.append(f"{assay}: median per-site LOD {lod:g} % {'≤' if ok else '>'} threshold {thr:g} % "
                                f"({'powered' if ok else 'underpowered: a site without detected editing is inconclusive, not clean'})")
                parts_zh.append(f"{zh}：位点检测限中位数 {lod:g} % {'≤' if ok else '>'} 阈值 {thr:g} %"
                                f"（{'检测力充分' if ok else '检测力不足：未检出编辑的位点为无法判定，而非无脱靶'}）")
        if parts_en:
            return ("Frequencies carry Wilson 95 % intervals (site table). " + "; ".join(parts_en) + ".",
                    "频率附 Wilson 95 % 置信区间（位点表）。" + "；".join(parts_zh) + "。")
    if analysis == "offtarget":
        return ("Prediction, not measurement: the candidate list is complete only within the searched mismatch and "
                "bulge limits (Parameters); whether any site is edited is decided by the verification (ER-04).",
                "为预测而非测量：候选列表仅在所检索的错配及凸起范围内完整（见参数）；位点是否被编辑由验证部分（ER-04）判定。")
    if analysis == "tcr":
        return ("Prediction, not measurement: motif, X-scan and similarity scores rank candidates for in vitro "
                "testing; absence from the list is not evidence of no cross-reactivity outside the scanned proteome.",
                "为预测而非测量：基序、X-scan 及相似度评分用于为体外测试排序候选肽；未列入不代表在所扫描蛋白质组之外无交叉反应。")
    return None
