"""Bilingual (Chinese / English) strings of the evidence report.

Every string a reader sees comes in both languages; :func:`t` returns the pair. Titles of the
report sections ER-00 ... ER-17 follow section 4 of the guidance analysis (``report_outline.tsv``);
the Chinese titles are ours.
"""

from __future__ import annotations

#: the five guidance seed files (titles per section 1 of requirements.md; issuers/dates partly from
#: external checks of the CDE notices, as stated there)
SEEDS = {
    "000": {"file": "000_b2acee319bd1d3c3.txt", "zh": "《细胞和基因治疗产品临床相关沟通交流技术指导原则》",
            "en": "Technical Guideline for Clinical-Related Communication on Cell and Gene Therapy Products "
                  "(CDE, 2023)"},
    "001": {"file": "001_dc9a5859bdfaf918.txt", "zh": "《免疫细胞治疗产品临床试验技术指导原则（试行）》",
            "en": "Technical Guideline for Clinical Trials of Immune Cell Therapy Products (Trial) (CDE, 2021)"},
    "002": {"file": "002_f54b71d814a285cf.txt", "zh": "基因治疗新技术临床研究技术指引（原文件无标题；非注册临床研究备案路径，2025年底）",
            "en": "Technical guide for clinical research on new gene-therapy technologies (untitled in the file; "
                  "non-registration research-filing track, late 2025)"},
    "003": {"file": "003_dde8682a6f3e818a.txt", "zh": "《国内外细胞与基因治疗产品监管科学的研究进展》",
            "en": "Progress in Regulatory Science for Cell and Gene Therapy Products (review article; context only)"},
    "004": {"file": "004_c557336a4a7fc4da.txt", "zh": "《基因修饰细胞治疗产品非临床研究技术指导原则（试行）》",
            "en": "Technical Guideline for Nonclinical Research on Genetically Modified Cell Therapy Products "
                  "(Trial) (CDE, 2021)"},
}

SECTION_TITLES_ZH = {
    "ER-00": "封面、范围与适用性",
    "ER-01": "受试物与样本来源",
    "ER-02": "方法、验证、灵敏度与生物信息学稳健性",
    "ER-03": "基因编辑脱靶位点预测（计算机分析）",
    "ER-04": "脱靶验证：深度测序与全基因组测序比对；在靶编辑效率",
    "ER-05": "种属、模型与细胞类型相关性",
    "ER-06": "载体整合位点分析与克隆性",
    "ER-07": "载体拷贝数、基因组拷贝与转导效率",
    "ER-08": "复制型病毒（RCL/RCR/RCV）与重组",
    "ER-09": "TCR交叉反应性、HLA与错配",
    "ER-10": "CAR/TCR靶点相关毒性与脱靶毒性",
    "ER-11": "生物分布、持续性、暴露、脱落与生殖系",
    "ER-12": "其他可计算的安全性项目",
    "ER-13": "非临床综合风险评估及临床意义",
    "ER-14": "由非临床发现支持的临床监测及暂停/终止触发条件",
    "ER-15": "长期随访计划支持",
    "ER-16": "数据完整性、可追溯性、GLP状态与质量保证",
    "ER-17": "申报资料与沟通交流对照",
}

ANALYSIS_TITLES = {
    "offtarget": ("Gene-editing off-target prediction (in silico)", "基因编辑脱靶位点预测（计算机分析）", "ER-03"),
    "sitecheck": ("Off-target verification: WGS and deep-sequencing comparison of edited vs control cells",
                  "脱靶验证：编辑细胞与对照细胞的全基因组测序及深度测序比对", "ER-04"),
    "integration": ("Vector integration sites and clonality", "载体整合位点与克隆性", "ER-06"),
    "tcr": ("TCR cross-reactivity", "TCR交叉反应性", "ER-09"),
    "antigen": ("CAR/TCR target expression in normal tissues", "CAR/TCR靶点在正常组织中的表达", "ER-10"),
    "vector": ("Vector design: splice sites, polyA signals, enhancers/promoters; VCN", "载体设计：剪接位点、多聚腺苷酸信号、增强子/启动子；拷贝数", "ER-06"),
    "cnv": ("Copy-number changes after editing (edited vs control WGS)", "编辑后拷贝数改变（编辑与对照全基因组测序）", "ER-04"),
    "nomination": ("Empirical off-target nomination (GUIDE-seq / CHANGE-seq reads)", "经验性脱靶位点提名（GUIDE-seq / CHANGE-seq 读段）", "ER-03"),
}

STATUS_LABELS = {
    "computed": ("Computed", "已计算"),
    "not_applicable": ("Not applicable", "不适用"),
    "failed": ("Failed", "运行失败"),
    "missing_input": ("Input missing", "缺少输入"),
}

LEVEL_LABELS = {
    "pass": ("Pass", "通过"),
    "attention": ("Attention", "需关注"),
    "fail": ("Fail", "不通过"),
    "inconclusive": ("Inconclusive", "无法判定"),
    "info": ("Information", "信息"),
    "not_applicable": ("Not applicable", "不适用"),
    "failed": ("Analysis failed", "分析失败"),
    "missing_input": ("Input missing", "缺少输入"),
}

#: traceability statuses (key -> (en, zh))
TRACE_LABELS = {
    "computed": ("Computed here", "本报告计算"),
    "computed_underpowered": ("Computed, underpowered", "已计算，检测力不足"),
    "imported": ("Imported", "导入结果"),
    "narrative": ("Narrative needed from the sponsor", "需申请人提供论述"),
    "not_applicable": ("Not applicable to this product", "不适用于本产品"),
    "not_computed": ("Analysis failed / input missing", "分析失败/缺少输入"),
    "context": ("Context only (review article)", "仅供参考（综述文章）"),
}

MODALITY_LABELS = {
    "ex_vivo_gene_modified_cells": ("ex vivo gene-modified cells", "体外基因修饰细胞"),
    "in_vivo_gene_therapy": ("in vivo gene therapy", "体内基因治疗"),
    "gene_edited_cells": ("gene-edited cells", "基因编辑细胞"),
    "car_t": ("CAR-T", "CAR-T"),
    "tcr_t": ("TCR-T", "TCR-T"),
    "ips_derived": ("iPS-derived cells", "诱导多能干细胞来源细胞"),
}

TRACK_LABELS = {
    "nmpa_ind": ("NMPA IND (drug registration)", "国家药监局临床试验申请（药品注册）"),
    "clinical_research_filing": ("Clinical-research filing (non-registration)", "临床研究备案（非注册）"),
}

IMPORT_KINDS = {
    "vcn": ("Vector copy number (VCN)", "载体拷贝数（VCN）", "ER-07"),
    "transduction": ("Transduction efficiency", "转导效率", "ER-07"),
    "rcv": ("Replication-competent virus (RCV)", "复制型病毒（RCV）", "ER-08"),
    "allo_hla": ("Allo-HLA cross-reactivity screening", "HLA交叉反应性（同种异体）筛选", "ER-09"),
    "affinity": ("TCR affinity", "TCR亲和力", "ER-09"),
    "biodistribution": ("Biodistribution", "生物分布", "ER-11"),
    "other": ("Other imported result", "其他导入结果", "ER-12"),
}

UI = {
    "title": ("Genomic safety evidence report", "基因组安全性证据报告"),
    "contents": ("Contents", "目录"),
    "lang_button": ("Language: 中文 + English", "语言：中文 + English"),
    "cover": ("Cover and scope", "封面与范围"),
    "summary": ("Summary of findings", "结果摘要"),
    "product": ("Product", "产品"),
    "sponsor": ("Sponsor", "申请人"),
    "modality": ("Modality", "产品类型"),
    "track": ("Regulatory track", "监管路径"),
    "vector": ("Vector", "载体"),
    "run_id": ("Run ID", "运行编号"),
    "commit": ("Pipeline commit", "流程版本（git提交）"),
    "generated": ("Report generated", "报告生成时间"),
    "guidance": ("Applicable guidance", "适用的指导原则"),
    "analysis": ("Analysis", "分析"),
    "verdict": ("Verdict", "结论"),
    "status": ("Status", "状态"),
    "key_figures": ("Key figures", "关键数据"),
    "methods": ("Methods", "方法"),
    "parameters": ("Parameters", "参数"),
    "tables": ("Tables", "表格"),
    "figures": ("Figures", "图"),
    "requirements_answered": ("Requirements answered", "对应的要求"),
    "reason": ("Reason", "原因"),
    "download_csv": ("Download CSV", "下载CSV"),
    "rows_shown": ("rows shown; the CSV download holds all", "行已显示；CSV下载包含全部"),
    "of": ("of", "/"),
    "sort_hint": ("Click a column header to sort.", "点击列标题排序。"),
    "performance": ("Method performance", "方法性能"),
    "metric": ("Metric", "指标"),
    "value": ("Value", "数值"),
    "reference": ("Reference", "参照"),
    "source": ("Source", "来源"),
    "imported": ("Imported results (declared by the sponsor)", "导入结果（申请人申报）"),
    "glp": ("GLP", "GLP"),
    "study": ("Study", "研究编号"),
    "file": ("File", "文件"),
    "limit": ("Declared limit", "申报限值"),
    "note": ("Note", "备注"),
    "ltfu": ("Long-term follow-up tier", "长期随访分级"),
    "traceability": ("Traceability matrix", "可追溯性矩阵"),
    "provenance": ("Provenance", "数据来源与可追溯性"),
    "audit": ("Audit: exclusions", "审计：排除项"),
    "narrative_sections": ("Sections for the sponsor's narrative", "需申请人撰写的章节"),
    "filter": ("Filter", "筛选"),
    "all": ("all", "全部"),
    "none_declared": ("None declared.", "未申报。"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "unknown": ("sponsor to state", "申请人待说明"),
}


def t(key: str) -> tuple[str, str]:
    return UI[key]

UI.update({
    "clause_index": ("Clause index", "条款索引"),
    "clause": ("Clause", "条款"),
    "clause_rows": ("Evidence rows", "证据条目"),
    "section": ("Report section", "报告章节"),
    "page": ("page", "页"),
    "uncertainty": ("Uncertainty", "不确定性"),
    "show_all_columns": ("Show all columns", "显示全部列"),
    "key_columns": ("Key columns shown; the CSV download and “Show all columns” hold every column.",
                    "仅显示关键列；CSV下载及“显示全部列”包含全部列。"),
    "seed": ("Seed", "来源文件"),
    "appendix": ("Appendix: detail columns of the tables", "附录：各表格的其余列"),
    "pdf_rows": ("PDF: first {n} of {total} rows; the HTML report and the CSV hold all.",
                 "PDF：仅列出前 {n} 行（共 {total} 行）；HTML报告及CSV包含全部。"),
    "imported_in_analysis": ("Imported by the analysis and shown in its section:", "由分析导入并在其章节中展示："),
    "figure_data": ("Figure data (no static renderer for this trace type)", "图数据（此类图无静态渲染）"),
})

#: strings that appear inside figures, tables' key values and key figures, with their Chinese form.
#: The report translates exact matches (legend codes, axis titles, tissue names); unknown strings stay as they are.
TERMS_ZH = {
    # figure titles / axes (integration, tcr)
    "Clone share over time": "克隆占比随时间变化",
    "time point": "时间点",
    "share of clones (%)": "克隆占比（%）",
    "Clone shares per sample": "各样本克隆占比",
    "sample": "样本",
    "share (%)": "占比（%）",
    "other clones": "其他克隆",
    "other clones (grey)": "其他克隆（灰色）",
    "score (X-scan predicted relative activity, else BLOSUM62 / self)":
        "评分（X-scan 预测相对活性，否则为 BLOSUM62 / 自身）",
    "highest vital-tissue nTPM of source gene + 0.1 (0 = unavailable)":
        "来源基因在重要组织中的最高 nTPM + 0.1（0 = 无数据）",
    "TCR candidates: score vs expression": "TCR候选肽：评分与表达",
    "tissue (* and red outline = vital tissue)": "组织（* 及红色边框 = 重要组织）",
    # species conservation codes (offtarget)
    "stronger": "更强", "conserved": "保守", "weaker": "更弱", "pam_lost": "PAM缺失", "absent": "缺失",
    "not_mapped": "未比对上", "bulged": "含凸起",
    # values in key figures
    "imported": "已导入", "imported table": "导入的表格",
    # tissues (HPA consensus tissue names)
    "Heart Muscle": "心肌", "Lung": "肺", "Spinal Cord": "脊髓", "Kidney": "肾", "Liver": "肝", "Brain": "脑",
    "Testis": "睾丸", "Amygdala": "杏仁核", "Cerebral Cortex": "大脑皮层", "Cerebellum": "小脑",
    "Skeletal Muscle": "骨骼肌", "Pancreas": "胰腺", "Stomach": "胃", "Colon": "结肠", "Small Intestine": "小肠",
    "Bone Marrow": "骨髓", "Spleen": "脾", "Thymus": "胸腺", "Skin": "皮肤", "Adipose Tissue": "脂肪组织",
    "Thyroid Gland": "甲状腺", "Adrenal Gland": "肾上腺", "Retina": "视网膜", "Heart": "心脏",
    "Hippocampal Formation": "海马结构", "Basal Ganglia": "基底神经节", "Hypothalamus": "下丘脑",
    "Midbrain": "中脑", "Pons": "脑桥", "Medulla Oblongata": "延髓", "Pituitary Gland": "垂体",
    "Esophagus": "食管", "Duodenum": "十二指肠", "Rectum": "直肠", "Gallbladder": "胆囊",
    "Urinary Bladder": "膀胱", "Prostate": "前列腺", "Ovary": "卵巢", "Placenta": "胎盘", "Breast": "乳腺",
    "Tonsil": "扁桃体", "Lymph Node": "淋巴结", "Appendix": "阑尾", "Vagina": "阴道", "Cervix": "子宫颈",
    "Endometrium": "子宫内膜", "Fallopian Tube": "输卵管", "Epididymis": "附睾", "Seminal Vesicle": "精囊",
    "Smooth Muscle": "平滑肌", "Tongue": "舌", "Salivary Gland": "唾液腺", "Parathyroid Gland": "甲状旁腺",
    "Choroid Plexus": "脉络丛", "Spinal cord": "脊髓",
}


def term_zh(text: str) -> str:
    """Chinese form of a figure/table term, of "perfect (0 mm)", "31 of 43", "and 2 more", tissue names
    inside a value such as "Testis 8.0 nTPM; vital tissues expressed: none (max Amygdala 0.3 nTPM)"."""
    import re

    if text in TERMS_ZH:
        return TERMS_ZH[text]
    import re as _re

    out = _re.sub(r"声明(的?[^，。；、\s]{0,8}阈值)", r"预设\1", text)  # 预设阈值, not 声明阈值
    m = re.fullmatch(r"perfect \((\d+) mm\)", out)
    if m:
        return f"完全匹配（{m.group(1)} 个错配）"
    m = re.fullmatch(r"(\d[\d,]*) of (\d[\d,]*)", out)
    if m:
        return f"{m.group(1)} / {m.group(2)}"
    out = re.sub(r"\band (\d+) more\b", r"及另外 \1 个", out)
    out = out.replace("vital tissues expressed: none", "在重要组织表达：无").replace("expression unavailable", "无表达数据")
    out = re.sub(r"\(max ([^)]*)\)", r"（最高 \1）", out)
    for en in sorted((k for k in TERMS_ZH if k[:1].isupper()), key=len, reverse=True):
        out = re.sub(rf"\b{re.escape(en)}\b", TERMS_ZH[en], out)
    return out

#: Chinese form of the "content" column of report_outline.tsv for the sections the sponsor writes
OUTLINE_CONTENT_ZH = {
    "ER-01": "各测序或检测样本来源的批次/工艺版本；拟用于临床的受试物与替代受试物；工艺变更可比性说明。",
    "ER-10": "靶点在人体各器官/组织/细胞中的表达（数据库及文献）；抗原阳性/阴性特异性试验；CAR胞外区脱靶试验结果。",
    "ER-12": "载体/核酸序列一致性与完整性；编辑产生的非预期肽段；遗传学/表观遗传学改变；致瘤性对照。",
    "ER-13": "药理/毒理/药代/免疫学综合总结；起始剂量依据；安全窗；临床监测指标；用于确定DLT观察期及给药间隔的非临床毒性时程；外推的局限性与不确定性。",
    "ER-14": "触发条件清单（可检出的RCL、生殖系修饰、关键位点非预期编辑、插入致瘤、克隆过度增殖）及监测各条件的检测方法。",
    "ER-17": "报告各章节与IND前沟通交流所需非临床概述、药审中心沟通交流资料及伦理审查事项的对照。",
}

OUTLINE_KIND_ZH = {
    "narrative": "申请人论述",
    "narrative (generated checklist)": "申请人论述（自动生成核对清单）",
    "narrative + computed summary tables": "申请人论述 + 计算汇总表",
    "narrative + run metadata": "申请人论述 + 运行元数据",
    "imported sample manifest + narrative": "导入样本清单 + 申请人论述",
    "computed": "计算",
    "computed (LOD, coverage) + narrative": "计算（检测限、覆盖度）+ 申请人论述",
    "computed (conservation) + narrative": "计算（保守性）+ 申请人论述",
    "computed (expression tables) + imported": "计算（表达表）+ 导入",
    "computed (manifest) + narrative": "计算（清单）+ 申请人论述",
    "computed (tier) + narrative": "计算（分级）+ 申请人论述",
    "computed + imported + narrative": "计算 + 导入 + 申请人论述",
    "computed + narrative": "计算 + 申请人论述",
    "computed / imported": "计算/导入",
    "imported + computed tables": "导入 + 计算表",
    "imported + tabulated": "导入 + 列表",
}
