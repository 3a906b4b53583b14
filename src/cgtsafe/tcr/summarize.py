"""``summary.json`` of the TCR cross-reactivity step (contract: :mod:`cgtsafe.summary`).

Reads the stats JSON of every ``cgtsafe tcr scan`` (one per target peptide) and the tables they name,
and writes, in the summary's folder:

``summary.json``                      verdict, key figures, bilingual methods, parameters, tables, figures
``candidates.tsv``                    all targets' ranked candidates (columns: :mod:`cgtsafe.tcr.candidates`)
``figures/tcr_score_vs_expression.json``  plotly: candidate score vs highest vital-tissue nTPM of the source
                                      gene (the best-ranked 2,000 candidates per target)
``imported/*``                        copies of imported evidence (allo-HLA screening, measured affinities,
                                      mispairing-mitigation statement as a one-paragraph-per-row TSV)

Imported items are never computed or judged by cgtsafe; the summary states their source file and
SHA-256 and, when absent, lists the corresponding requirement as open.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table, write_json, write_table
from cgtsafe.provenance import sha256
from cgtsafe.summary import make_summary, write_summary
from cgtsafe.tcr.candidates import CANDIDATE_COLUMNS, TIER_TEXT

REQ_COMPUTED = ["R004-27", "R004-29", "R004-30", "R004-31", "R004-32"]
TIER_ZH = {
    0: "靶抗原肽存在于其他蛋白",
    1: "识别证据 + HLA 结合 + 重要组织检出",
    2: "识别证据 / HLA 结合 / 重要组织检出 三者之二",
    3: "三者之一",
    4: "三者皆无",
}


def _load_stats(path: str | Path) -> dict:
    import json

    path = Path(path)
    if not path.exists():
        raise InputError("scan stats JSON not found", path=path)
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"not valid JSON ({exc})", path=path) from None
    for key in ("target", "peptide", "hla", "tables", "counts", "proteome"):
        if key not in stats:
            raise InputError(f"scan stats lack key {key!r}; expected the --stats output of `cgtsafe tcr scan`",
                             path=path)
    for key in ("hits", "candidates"):
        if not stats["tables"].get(key):
            raise InputError(f"scan stats: table {key!r} was not written (run scan with --out and --candidates)",
                             path=path)
    stats["_dir"] = str(path.parent)
    return stats


def _resolve(stats: dict, rel: str) -> Path:
    """Table paths in the stats JSON are relative to the stats file's folder."""
    p = Path(rel)
    return p if p.is_absolute() else Path(stats["_dir"]) / p


def _fmt_ntpm(x) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "expression unavailable"
    return f"{v:,.0f}" if v >= 10 else f"{v:,.1f}"


FIGURE_MAX_POINTS = 2000


def _hla_source(s: dict) -> str:
    builtin = s.get("hla_predictor", "none") != "none"
    table = s.get("hla_predictions")
    if table and builtin:
        return f"imported table {table}; other pairs: built-in SMMPMBEC (IEDB matrices shipped with cgtsafe)"
    if table:
        return f"imported table {table}"
    if builtin:
        return "built-in SMMPMBEC (IEDB matrices shipped with cgtsafe; Kim et al. 2009)"
    return "unavailable (no prediction table, built-in predictor switched off)"


def _figure(cands: pd.DataFrame) -> dict:
    """Score vs vital-tissue expression of the best-ranked ``FIGURE_MAX_POINTS`` candidates per target."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    cands = cands[cands["rank"].astype(int) <= FIGURE_MAX_POINTS]
    fig = go.Figure()
    colours = {0: "#7f3c8d", 1: "#d62728", 2: "#ff7f0e", 3: "#1f77b4", 4: "#7f7f7f"}
    for tier in range(5):
        sub = cands[cands["tier"].astype(int) == tier]
        if sub.empty:
            continue
        xs = sub["xscan_score"].where(sub["xscan_score"].astype(str) != "", sub["blosum_norm"]).astype(float)
        ys = pd.to_numeric(sub["max_vital_tissue_ntpm"], errors="coerce").fillna(0.0) + 0.1
        text = [f"{k} {g} ({t}) {v}" for k, g, t, v in zip(sub["kmer"], sub["genes"], sub["max_vital_tissue"],
                                                            sub["max_vital_tissue_ntpm"])]
        fig.add_trace(go.Scatter(x=xs.tolist(), y=ys.tolist(), mode="markers",
                                 name=f"tier {tier}: {TIER_TEXT[tier]} / {TIER_ZH[tier]}", text=text, hoverinfo="text", marker={"color": colours[tier], "size": 9}))
    fig.update_layout(
        xaxis_title="score (X-scan predicted relative activity, else BLOSUM62 / self)",
        yaxis_title="highest vital-tissue nTPM of source gene + 0.1 (0 = unavailable)",
        yaxis_type="log", template="plotly_white", legend={"orientation": "h"})
    return json.loads(pio.to_json(fig, validate=True, remove_uids=True))


def _check_imported(src: str, name: str) -> Path:
    p = Path(src)
    if not p.exists():
        raise InputError(f"imported file for {name} not found", path=p)
    if p.is_dir():
        raise InputError(f"imported file for {name}: expected a file, found a directory", path=p)
    return p


def _statement_table(path: Path) -> pd.DataFrame:
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    if not text:
        raise InputError("mispairing statement is empty; expected the TCR design rationale as text", path=path)
    paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    paras = [p for p in paras if p]
    return pd.DataFrame({"paragraph": range(1, len(paras) + 1), "text": paras,
                         "source": [str(path)] * len(paras)})


def summarize(stats_paths: list[str], *, out: str, candidates_out: str | None = None, allo_hla: str | None = None,
              affinity: str | None = None, mispairing_statement: str | None = None) -> dict:
    out_path = Path(out)
    out_dir = out_path.parent
    all_stats = [_load_stats(p) for p in stats_paths]
    names = [s["target"] for s in all_stats]
    if len(set(names)) != len(names):
        raise InputError(f"duplicate target names among scans: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    # ---- read everything first (nothing is written before all inputs are validated)
    hits_paths, cand_frames, panel_paths = [], [], []
    for s in all_stats:
        hp = _resolve(s, s["tables"]["hits"])
        cp = _resolve(s, s["tables"]["candidates"])
        read_table(hp, required=("kmer", "protein", "position"), what="hit table")
        cand_frames.append(read_table(cp, required=tuple(CANDIDATE_COLUMNS), what="candidate table"))
        hits_paths.append(hp)
        pp = s["tables"].get("panel")
        panel_paths.append(_resolve(s, pp) if pp else None)
    imported = []
    if allo_hla:
        p = _check_imported(allo_hla, "allo_hla")
        imported.append(("allo_hla", p, read_table(p, what="allo-HLA screening table")))
    if affinity:
        p = _check_imported(affinity, "affinity")
        imported.append(("affinity", p, read_table(p, what="affinity table")))
    if mispairing_statement:
        p = _check_imported(mispairing_statement, "mispairing_statement")
        imported.append(("mispairing_statement", p, _statement_table(p)))
    cands = pd.concat(cand_frames, ignore_index=True) if cand_frames else pd.DataFrame(columns=CANDIDATE_COLUMNS)
    cands["tier"] = cands["tier"].astype(int)

    # ---- verdict
    def rows(tier):
        return cands[cands["tier"] == tier]

    t0, t1, t2 = rows(0), rows(1), rows(2)
    t3 = rows(3)
    parts_en, parts_zh = [], []
    def _items(df):
        return [f"{g or p} {k} ({t} {_fmt_ntpm(v)} nTPM)" if t else
                (f"{g or p} {k} (expression unavailable)" if str(st) != "found" else f"{g or p} {k}")
                for k, g, p, t, v, st in zip(df["kmer"], df["genes"], df["proteins"], df["max_vital_tissue"],
                                             df["max_vital_tissue_ntpm"], df["expression_status"])]

    if len(t1):
        items = _items(t1)
        shown = "; ".join(items[:5]) + (f"; and {len(items) - 5} more" if len(items) > 5 else "")
        parts_en.append(f"{len(t1)} peptide(s) with recognition evidence (motif, X-scan or one substitution), "
                        f"predicted binding to the restricting allele and detection in a vital tissue (or unknown "
                        f"binding/expression): {shown} - test in vitro (priority)")
        parts_zh.append(f"{len(t1)} 个肽段同时具备识别证据（基序、X-scan 或单个氨基酸替换）、与限制性 HLA 的预测结合及重要组织"
                        f"检出（或结合/表达未知）：{shown}——应优先进行体外测试")
    if len(t0):
        items = [f"{k} in {g or p}" for k, g, p in zip(t0["kmer"], t0["genes"], t0["proteins"])]
        parts_en.append(f"the target peptide also occurs in other proteins ({'; '.join(items)}): assess their "
                        "expression")
        parts_zh.append(f"靶抗原肽也存在于其他蛋白（{'；'.join(items)}）：需评估其表达")
    if len(t2):
        items = _items(t2)
        shown = "; ".join(items[:3]) + (f"; and {len(items) - 3} more" if len(items) > 3 else "")
        parts_en.append(f"{len(t2)} peptide(s) with two of the three (first: {shown}) - test in vitro")
        parts_zh.append(f"{len(t2)} 个肽段具备三者之二（前列：{shown}）——应进行体外测试")
    if len(t3):
        parts_en.append(f"{len(t3)} peptide(s) with one of the three")
        parts_zh.append(f"{len(t3)} 个肽段具备三者之一")
    min_ntpm = min(float(s["min_ntpm"]) for s in all_stats)
    # target copies in other proteins: vital-tissue expression (or unavailable expression) needs attention
    vital_t0 = t0[pd.to_numeric(t0["max_vital_tissue_ntpm"], errors="coerce").fillna(1e9) >= min_ntpm] \
        if len(t0) else t0
    if len(t1) or len(t2) or len(vital_t0):
        level = "attention"
    elif len(t0) or len(t2) or len(t3) or len(rows(4)):
        level = "info"
    else:
        level = "pass"
    if not parts_en:
        parts_en.append("no proteome peptide fits the motif, passes the X-scan threshold, lies within the Hamming "
                        "radius or among the most similar k-mers of the target; in vitro confirmation is still "
                        "required")
        parts_zh.append("蛋白质组中未发现符合基序、通过 X-scan 阈值、在汉明距离范围内或属于最相似肽段的肽段；仍需体外实验确认")
    targets_en = ", ".join(f"{s['target']} ({s['peptide']}, {s['hla']})" for s in all_stats)
    verdict_en = f"TCR cross-reactivity scan of {targets_en}: " + "; ".join(parts_en) + "."
    verdict_zh = f"TCR 交叉反应性扫描（{targets_en}）：" + "；".join(parts_zh) + "。"

    # ---- key figures
    s0 = all_stats[0]
    kf = [
        {"label_en": "proteome proteins (of which isoforms)", "label_zh": "蛋白质组蛋白数（其中异构体）",
         "value": f"{s0['proteome']['proteins']:,} ({s0['proteome']['isoforms']:,})"},
        {"label_en": "proteome residues", "label_zh": "蛋白质组氨基酸残基数", "value": f"{s0['proteome']['residues']:,}"},
    ]
    for s in all_stats:
        c = s["counts"]
        tag = s["target"]
        kf += [
            {"label_en": f"{tag}: exact copies of the target (protein records incl. source and isoforms)",
             "label_zh": f"{tag}：靶抗原肽完全匹配（蛋白记录数，含来源蛋白及异构体）",
             "value": c["exact"]},
            {"label_en": f"{tag}: motif hits", "label_zh": f"{tag}：基序匹配数",
             "value": c["motif"] if s.get("motif") else "not run (no motif)"},
            {"label_en": f"{tag}: X-scan hits", "label_zh": f"{tag}：X-scan 命中数",
             "value": c["xscan"] if s.get("xscan") else "not run (no X-scan matrix)"},
            {"label_en": f"{tag}: similar k-mers (Hamming 1-{s['max_hamming']})",
             "label_zh": f"{tag}：相似肽段（汉明距离 1-{s['max_hamming']}）", "value": c["similarity"]},
            {"label_en": f"{tag}: most similar k-mers kept (contact-weighted BLOSUM62, top {s.get('top_n', 0)})",
             "label_zh": f"{tag}：全蛋白质组最相似肽段（接触位点加权 BLOSUM62，前 {s.get('top_n', 0)} 个）",
             "value": c.get("ranked", 0) if s.get("top_n") else "not run (top_n = 0)"},
            {"label_en": f"{tag}: candidates for in vitro testing (tier 0/1/2/3/4)",
             "label_zh": f"{tag}：建议体外测试的候选肽（0/1/2/3/4 级）",
             "value": "/".join(str(c.get(f"tier{t}", 0)) for t in range(5))},
            {"label_en": f"{tag}: HLA binding predictions", "label_zh": f"{tag}：HLA 结合预测",
             "value": _hla_source(s)},
        ]
    for s in all_stats:
        se = s.get("source_expression")
        if se:
            if se["status"] == "found":
                val = (f"{se['max_tissue']} {_fmt_ntpm(se['max_tissue_ntpm'])} nTPM; vital tissues expressed: "
                       f"{', '.join(se['vital_tissues_expressed']) or 'none'} (max {se['max_vital_tissue']} "
                       f"{_fmt_ntpm(se['max_vital_tissue_ntpm'])} nTPM)")
            else:
                val = f"unavailable ({se['status']})"
            kf.append({"label_en": f"{s['target']}: on-target expression of source gene {se['gene']}",
                       "label_zh": f"{s['target']}：来源基因 {se['gene']} 的正常组织表达", "value": val})
    imp_names = {n for n, _, _ in imported}
    for key, en, zh in (("allo_hla", "allo-HLA screening results", "其他 HLA 等位基因交叉反应性筛选结果"),
                        ("affinity", "measured TCR affinities", "TCR 亲和力实测数据"),
                        ("mispairing_statement", "mispairing-mitigation design statement", "降低错配的 TCR 设计说明")):
        kf.append({"label_en": en, "label_zh": zh,
                   "value": "imported" if key in imp_names else "not provided"})

    # ---- methods
    m_en, m_zh = [], []
    for s in all_stats:
        pr = s["proteome"]
        txt = (f"Target {s['target']} ({s['peptide']}, restricted by {s['hla']}"
               f"{', source ' + s['source'] if s.get('source') else ''}) was searched in {pr['path']} "
               f"(SHA-256 {pr['sha256'][:16]}..., {pr['proteins']:,} proteins incl. {pr['isoforms']:,} isoforms, "
               f"{pr['residues']:,} residues): every {len(s['peptide'])}-residue window inside a protein "
               f"({s['windows']:,} windows; {s['windows_excluded_nonstandard']:,} with non-standard residues U/X/B/Z/J/O "
               f"skipped) was tested for identity with the target, Hamming distance <= {s['max_hamming']}"
               + (f", and scored against the target with BLOSUM62 (Henikoff & Henikoff 1992) to keep the "
                  f"{s['top_n']} most similar distinct k-mers of the whole proteome whatever their Hamming distance "
                  f"(as CrossDome scores every 9-mer, Fonseca & Antunes 2023)" if s.get("top_n") else ""))
        zh = (f"靶抗原 {s['target']}（{s['peptide']}，HLA 限制性 {s['hla']}）在蛋白质组 {pr['path']}"
              f"（{pr['proteins']:,} 个蛋白，含 {pr['isoforms']:,} 个异构体，{pr['residues']:,} 个残基）中检索："
              f"对蛋白内每个长度为 {len(s['peptide'])} 的窗口（共 {s['windows']:,} 个；含非标准氨基酸的 "
              f"{s['windows_excluded_nonstandard']:,} 个窗口被跳过）检测与靶肽是否完全一致、汉明距离是否 <= {s['max_hamming']}"
              + (f"，并以 BLOSUM62 对全部窗口评分，保留与靶肽最相似的 {s['top_n']} 个不同肽段（不受汉明距离限制）"
                 if s.get("top_n") else ""))
        if s.get("motif"):
            txt += f", the minimal recognition motif {s['motif']}"
            zh += f"、是否符合最小识别基序 {s['motif']}"
        if s.get("xscan"):
            cons = ",".join(map(str, s.get("xscan_constrained_positions") or [])) or "none"
            txt += (f" and the X-scan matrix {s['xscan']} ({s['xscan_scoring']} of per-position relative activities "
                    f">= {s['xscan_threshold']:g}; the target scores {s['xscan_target_score']:.3g}; positions where "
                    f"fewer than half of the residues keep that activity: {cons})")
            zh += (f"以及 X-scan 矩阵 {s['xscan']}（各位置相对活性的{'乘积' if s['xscan_scoring'] == 'product' else '均值'}"
                   f" >= {s['xscan_threshold']:g}）")
        origin = {"given": "given", "xscan": "X-scan intolerant", "motif": "motif-constrained"}.get(
            s.get("contact_positions_origin", "given"), "given")
        cw = (f"; {origin} contact positions {','.join(map(str, s['contact_positions']))} weighted "
              f"x{s['contact_weight']:g}" if s.get("contact_positions") else "; all positions weighted equally")
        txt += (f". Hits were scored with BLOSUM62 (Henikoff & Henikoff 1992){cw}, annotated with the expression of "
                f"their source genes ({s['expression']['path']}; vital tissues: {', '.join(s['vital_tissues'])}; "
                f"every vital tissue with > 0 nTPM counts as detected and is named; nTPM >= {s['min_ntpm']:g} "
                f"only orders candidates within a priority class) and with HLA binding ({_hla_source(s)}"
                f"{'; panel ' + ', '.join(s['hla_panel']) if s.get('hla_panel') else ''}; binder = IC50 <= 500 nM "
                "or %rank <= 2). Candidates were ranked by a monotone rule: tier = 4 - (recognition evidence: motif, "
                "X-scan or one substitution; predicted binding to the restricting allele or unknown; detection in a "
                "vital tissue or unknown), so a peptide with all three (as MAGE-A12 KMAELVHFL, Morgan et al. 2013, "
                "and titin ESDPIVAQY, Cameron et al. 2013) ranks above any lacking one; within a tier by expression "
                "above the cut-off, binding class, X-scan score, similarity and vital-tissue nTPM.")
        zh += (f"。命中肽段以 BLOSUM62 评分，并注释来源基因在正常组织中的表达（{s['expression']['path']}；任何 nTPM > 0 的重要组织"
               f"均计为检出并列出；nTPM >= {s['min_ntpm']:g} 仅用于同级内排序）及 HLA 结合预测（{_hla_source(s)}）。"
               "候选肽按单调规则排序：级别 = 4 - （识别证据：基序、X-scan 或单个替换；与限制性 HLA 预测结合或未知；在重要组织检出或"
               "未知），三者兼具者（如 MAGE-A12 KMAELVHFL 与 titin ESDPIVAQY）总排在缺少任一项者之前；同级内依次按表达阈值、结合"
               "强度、X-scan 评分、相似度及重要组织 nTPM 排序，形成体外测试候选清单。")
        m_en.append(txt)
        m_zh.append(zh)
    m_en.append("Candidates are computational predictions: absence of a hit does not exclude cross-reactivity, and "
                "every prioritised peptide needs in vitro confirmation (004 九（一）).")
    m_zh.append("候选肽为计算机预测结果：未检出不能排除交叉反应，所有优先候选肽均需体外实验确认（004 九（一））。")

    # ---- tables, figures, exclusions, requirements
    def rel(p: Path) -> str:
        return os.path.relpath(p, out_dir)

    cand_path = Path(candidates_out) if candidates_out else out_dir / "candidates.tsv"
    fig_path = out_dir / "figures" / "tcr_score_vs_expression.json"
    tables = [{"id": "tcr_candidates", "title_en": "Ranked candidate peptides for in vitro testing",
               "title_zh": "体外测试候选肽排序", "path": rel(cand_path),
               "description_en": "One row per distinct k-mer; tier, methods, source proteins/genes, HLA binding, "
                                 "vital-tissue expression, reasons. Ranking rule: docs/outputs/tcr.md.",
               "description_zh": "每个不同肽段一行：分级、检出方法、来源蛋白/基因、HLA 结合、重要组织表达及理由。"}]
    for s, hp, pp in zip(all_stats, hits_paths, panel_paths):
        tables.append({"id": f"tcr_hits_{s['target']}", "title_en": f"Proteome hits of {s['target']}",
                       "title_zh": f"{s['target']} 的蛋白质组命中", "path": rel(hp),
                       "description_en": "One row per protein position; position/end are 1-based, inclusive.",
                       "description_zh": "每个蛋白位置一行；position/end 为 1 起始的闭区间坐标。"})
        if pp is not None and pp.exists():
            tables.append({"id": f"tcr_hla_panel_{s['target']}", "title_en": f"HLA panel predictions, {s['target']}",
                           "title_zh": f"{s['target']} 的 HLA 等位基因预测", "path": rel(pp),
                           "description_en": "Candidate x allele; 'unavailable' = no prediction table supplied.",
                           "description_zh": "候选肽 x 等位基因；unavailable 表示未提供预测表。"})
    imp_titles = {"allo_hla": ("Imported: allo-HLA cross-reactivity screening", "导入：其他 HLA 等位基因交叉反应性筛选"),
                  "affinity": ("Imported: measured TCR affinities", "导入：TCR 亲和力实测"),
                  "mispairing_statement": ("Imported: TCR mispairing-mitigation design statement",
                                           "导入：降低 TCR 错配的设计说明")}
    imp_out = []
    for name, src, df in imported:
        dest = out_dir / "imported" / f"{name}.tsv"
        imp_out.append((dest, df))
        digest = sha256(src)
        tables.append({"id": f"tcr_imported_{name}", "title_en": imp_titles[name][0], "title_zh": imp_titles[name][1],
                       "path": rel(dest),
                       "description_en": f"Imported, not computed by cgtsafe. Source file: {src} (SHA-256 {digest}).",
                       "description_zh": f"导入数据，非 cgtsafe 计算。来源文件：{src}（SHA-256 {digest}）。"})
    requirements = list(REQ_COMPUTED)
    exclusions = []
    for key, req, what in (("affinity", "R004-28", "measured affinity of the TCR for self-peptide-HLA complexes"),
                           ("allo_hla", "R004-33", "allo-HLA cross-reactivity screening results"),
                           ("mispairing_statement", "R004-34", "TCR mispairing-mitigation design statement")):
        if key in imp_names:
            requirements.append(req)
        else:
            exclusions.append({"what": f"{req}: {what}", "count": 0,
                               "reason": "not provided (config tcr.imported); the requirement stays open"})
    for s in all_stats:
        exclusions.append({"what": f"{s['target']}: windows containing non-standard residues (U/X/B/Z/J/O)",
                           "count": s["windows_excluded_nonstandard"], "reason": "cannot be compared residue by residue"})
        if s["proteome"]["proteins_without_gene_name"]:
            exclusions.append({"what": f"{s['target']}: proteins without GN= gene name",
                               "count": s["proteome"]["proteins_without_gene_name"],
                               "reason": "scanned, but expression unavailable (treated as possibly vital)"})
        if s.get("hla_no_model"):
            exclusions.append({"what": f"{s['target']}: HLA alleles without a built-in {len(s['peptide'])}-mer "
                                       f"model: {', '.join(s['hla_no_model'])}", "count": len(s["hla_no_model"]),
                               "reason": "binding reported as no_model (unknown, not absent) unless the imported "
                                         "table lists the pair; supply a NetMHCpan or MHCflurry table for these "
                                         "alleles"})
        for w in s.get("warnings", []):
            exclusions.append({"what": f"{s['target']}: input warning", "count": 0, "reason": w})
        if not s.get("hla_predictions_available"):
            exclusions.append({"what": f"{s['target']}: HLA binding", "count": s["counts"]["hits"],
                               "reason": "no prediction table supplied and the built-in predictor switched off: "
                                         "binding unavailable (not assumed absent)"})
    requirements = sorted(set(requirements))
    inputs = []
    for s in all_stats:
        inputs.append(s["proteome"]["path"])
        for key in ("xscan", "hla_predictions"):
            if s.get(key):
                inputs.append(s[key])
        if not s["expression"]["shipped_hpa"]:
            inputs.append(s["expression"]["path"])
    inputs += [str(src) for _, src, _ in imported]
    params = {s["target"]: {k: v for k, v in s.items() if k not in ("_dir", "counts", "tables")} for s in all_stats}
    summary = make_summary(
        "tcr", verdict_level=level, verdict_en=verdict_en, verdict_zh=verdict_zh, key_figures=kf,
        methods_en=" ".join(m_en), methods_zh="".join(m_zh), parameters=params, tables=tables,
        figures=[{"id": "tcr_score_vs_expression", "title_en": "Candidate score vs vital-tissue expression",
                  "title_zh": "候选肽评分与重要组织表达", "path": rel(fig_path)}],
        requirements=requirements, exclusions=exclusions, inputs=sorted(set(inputs)),
    )
    # ---- write (all inputs validated above)
    cands_sorted = cands.copy()
    write_table(cands_sorted, cand_path)
    write_json(fig_path, _figure(cands_sorted))
    for dest, df in imp_out:
        write_table(df, dest)
    write_summary(out_path, summary)
    return summary

