"""``cgtsafe cnv summarize``: the per-sample ``cnv call`` tables -> combined tables, the genome-wide ratio figure and
``summary.json`` (report section ER-04).

Verdict: ``attention`` when a segment is called (gain or loss) or a cut-distal loss is detected; otherwise ``info``
stated with the measured limit of detection at a tested position ("a 10 Mb loss in >= x % of cells would have been
detected"; not ``pass``: discovery by segmentation is less sensitive than a test at a known position), or
``inconclusive`` when no limit could be computed (no segment size fits the genome at the bin size).
"""

from __future__ import annotations

import json
from pathlib import Path

from cgtsafe.errors import InputError


def _offsets(bins) -> dict:
    offs, o = {}, 0
    for c in dict.fromkeys(bins["chrom"]):
        offs[c] = o
        o += int(bins.loc[bins["chrom"] == c, "end"].max())
    return offs


def _figure(per_sample: dict) -> dict:
    """Log2 ratio (bins, segments) along the genome (contigs end to end)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure()
    for name, (bins, seg, _) in per_sample.items():
        offs = _offsets(bins)
        used = bins[bins["used"] == "yes"]
        fig.add_trace(go.Scattergl(x=[offs[c] + s for c, s in zip(used["chrom"], used["start"])],
                                   y=used["log2_ratio"].round(4).tolist(), mode="markers", name=f"{name} bins",
                                   marker={"size": 3, "opacity": 0.5}))
        xs, ys = [], []
        for r in seg.itertuples():
            xs += [offs[r.chrom] + r.start, offs[r.chrom] + r.end, None]
            ys += [round(r.mean_log2, 4)] * 2 + [None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{name} segments", line={"width": 3}))
    fig.update_layout(template="plotly_white", xaxis_title="genome position (contigs end to end) / 基因组位置",
                      yaxis_title="log2(edited / control) / 编辑与对照读深比")
    return json.loads(pio.to_json(fig, validate=True, remove_uids=True))


def _baf_figure(per_sample: dict) -> dict | None:
    """The edited sample's B-allele frequency at the control's het sites, on the same genome axis as the ratio
    figure (at most 20,000 evenly strided sites per sample); None when no sample has B-allele data."""
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure()
    for name, (bins, _, baf) in per_sample.items():
        if baf is None or not len(baf):
            continue
        offs = _offsets(bins)
        b = baf.iloc[:: max(1, -(-len(baf) // 20000))]
        fig.add_trace(go.Scattergl(x=[offs.get(c, 0) + int(p) for c, p in zip(b["chrom"], b["pos"])],
                                   y=b["edited_baf"].round(3).tolist(), mode="markers",
                                   name=f"{name} B-allele frequency", marker={"size": 3, "opacity": 0.4}))
    if not fig.data:
        return None
    fig.update_layout(template="plotly_white", xaxis_title="genome position (contigs end to end) / 基因组位置",
                      yaxis_title="B-allele frequency (edited, at control het SNPs) / B 等位基因频率",
                      yaxis_range=[0, 1])
    return json.loads(pio.to_json(fig, validate=True, remove_uids=True))


def run_summarize(samples: list[tuple[str, str]], outdir, out) -> None:
    import pandas as pd

    from cgtsafe.io.tables import write_json, write_table
    from cgtsafe.summary import make_summary, write_summary

    segs, dist, lods, arms, per = [], [], [], [], {}
    for name, d in samples:
        d = Path(d)
        for f in ("bins.tsv", "segments.tsv", "cut_distal.tsv", "lod.tsv"):
            if not (d / f).exists():
                raise InputError(f"cnv call output {f} missing", path=d)
        bins = pd.read_csv(d / "bins.tsv", sep="\t")
        seg = pd.read_csv(d / "segments.tsv", sep="\t")
        baf = pd.read_csv(d / "baf.tsv", sep="\t") if (d / "baf.tsv").exists() else None
        per[name] = (bins, seg, baf)
        if (d / "arms.tsv").exists():
            arms.append(pd.read_csv(d / "arms.tsv", sep="\t", keep_default_na=False, na_values=[""]).assign(sample=name))
        segs.append(seg.assign(sample=name))
        dist.append(pd.read_csv(d / "cut_distal.tsv", sep="\t").assign(sample=name))
        lods.append(pd.read_csv(d / "lod.tsv", sep="\t").assign(sample=name))
    seg = pd.concat(segs, ignore_index=True)
    dist = pd.concat(dist, ignore_index=True)
    lod = pd.concat(lods, ignore_index=True)
    outdir = Path(outdir)
    write_table(seg[["sample", *[c for c in seg.columns if c != "sample"]]], outdir / "segments.tsv")
    write_table(dist[["sample", *[c for c in dist.columns if c != "sample"]]], outdir / "cut_distal.tsv")
    write_table(lod[["sample", *[c for c in lod.columns if c != "sample"]]], outdir / "lod.tsv")
    arm = pd.concat(arms, ignore_index=True) if arms else pd.DataFrame(columns=["sample"])
    write_table(arm[["sample", *[c for c in arm.columns if c != "sample"]]], outdir / "arms.tsv")
    write_json(outdir / "figures" / "genome_ratio.json", _figure(per))
    figures = [{"id": "cnv_genome_ratio", "title_en": "Genome-wide log2 ratio", "title_zh": "全基因组 log2 读深比",
                "path": "figures/genome_ratio.json"}]
    baf_fig = _baf_figure(per)
    if baf_fig is not None:
        write_json(outdir / "figures" / "genome_baf.json", baf_fig)
        figures.append({"id": "cnv_genome_baf", "title_en": "Genome-wide B-allele frequency (same genome axis)",
                        "title_zh": "全基因组 B 等位基因频率（同一基因组坐标）", "path": "figures/genome_baf.json"})
    called = seg[seg["call"] != "neutral"]
    distal = dist[dist["status"] == "loss detected"]
    if len(called) or len(distal):
        level = "attention"
        verdict_en = (f"{len(called)} copy-number segment(s) called (gain/loss) and {len(distal)} cut-to-telomere "
                      f"loss(es) detected in edited vs control cells; see the segment and cut-distal tables.")
        verdict_zh = f"编辑细胞相对对照检出 {len(called)} 个拷贝数改变片段及 {len(distal)} 处切割位点至端粒的缺失；见片段与切割远端表。"
    elif len(lod):
        # the 10 Mb row when the genome has one (the usual statement), else the largest size that fits
        size = 10_000_000 if (lod["segment_bp"] == 10_000_000).any() else int(lod["segment_bp"].max())
        worst = float(lod.loc[lod["segment_bp"] == size, "detectable_loss"].max())
        level = "info"
        verdict_en = (f"No copy-number change detected: a {size / 1e6:g} Mb single-copy loss in >= {worst:.1%} of cells "
                      f"at a tested position (e.g. cut to telomere) would have been detected (80 % power); genome-wide "
                      f"discovery by segmentation needs a somewhat larger change.")
        verdict_zh = (f"未检出拷贝数改变：在检验位置（如切割位点至端粒）{size / 1e6:g} Mb 单拷贝缺失若存在于 >= {worst:.1%} 的细胞中"
                      f"即可被检出（80% 检验效能）；全基因组分割发现需更大的改变。")
    else:
        level = "inconclusive"
        verdict_en = "No copy-number change called, but no limit of detection could be computed at this bin size."
        verdict_zh = "未检出拷贝数改变，但在当前分箱大小下无法计算检测限。"
    kf = [{"label_en": "segments called (gain/loss)", "label_zh": "检出改变片段（增益/缺失）", "value": int(len(called))},
          {"label_en": "cut-to-telomere losses detected", "label_zh": "切割位点至端粒缺失", "value": int(len(distal))}]
    for r in dist.itertuples():
        kf.append({"label_en": f"{r.sample} {r.name} {r.chrom}:{r.cut} {r.side}",
                   "label_zh": f"{r.sample} {r.name} {r.chrom}:{r.cut} {r.side}", "value": r.status})
    methods_en = ("Reads (mapped, primary, not duplicate, MAPQ >= 20) were counted in bins sized for ~1,000 reads "
                  "(bins below the minimum mappability of a mappability track, when given, excluded), GC-corrected by "
                  "GC-stratum medians (refitted on copy-neutral bins), and the edited/control log2 ratio segmented by "
                  "binary segmentation with a permutation test; segments were called at a Bonferroni threshold, with "
                  "the implied cell fraction of a single-copy change (95 % interval) and the limit of detection at 80 % "
                  "power. Each on-target cut was tested for loss of the segment to either contig end. Second line of "
                  "evidence: at heterozygous SNPs of the control, the edited sample's B-allele-frequency shift d "
                  "(maximum likelihood over a two-allele binomial mixture, likelihood-ratio interval) and the cell "
                  "fraction it implies (loss f = 4d/(1+2d), gain f = 4d/(1-2d)); 'not assessable' below the minimum "
                  "number of het sites. Arms come from the centromere table; arm-level changes and called gains in "
                  "known iPSC culture regions (20q11.21 via BCL2L1/ID1/HM13, 12p, 17q, trisomy 12/X, named regions) "
                  "are flagged by name.")
    methods_zh = ("统计比对质量 >= 20 的主比对、非重复读段在约 1000 读段的分箱中的数量（提供可比对性轨道时排除低于最小可比对性的分箱），"
                  "按 GC 分层中位数校正（在拷贝数中性分箱上重新拟合），对编辑/对照 log2 比值作二分分割并以置换检验判断断点；按 Bonferroni "
                  "阈值判定片段，给出单拷贝改变对应的细胞比例（95% 区间）及 80% 效能的检测限。对每个靶位点切割检验其至两端的片段缺失。"
                  "第二证据：在对照的杂合 SNP 上估计编辑样本 B 等位基因频率偏移 d（双等位二项混合模型最大似然，似然比区间）及其对应的细胞比例"
                  "（缺失 f = 4d/(1+2d)，增益 f = 4d/(1-2d)）；杂合位点不足时记为“无法评估”。染色体臂由着丝粒表确定；臂水平改变及与 iPSC "
                  "常见培养区域（20q11.21 经 BCL2L1/ID1/HM13 定位、12p、17q、12 号/X 三体、指定区域）重叠的增益按名称标注。")
    tables = [
        {"id": "cnv_segments", "title_en": "Copy-number segments", "title_zh": "拷贝数片段", "path": "segments.tsv",
         "description_en": "start 0-based, end exclusive", "description_zh": "start 为 0 起始，end 不含"},
        {"id": "cnv_cut_distal", "title_en": "Loss from each on-target cut to the contig end",
         "title_zh": "各靶位点切割处至染色体末端的缺失检验", "path": "cut_distal.tsv",
         "description_en": "", "description_zh": ""},
        {"id": "cnv_lod", "title_en": "Limit of detection by segment size", "title_zh": "按片段大小的检测限",
         "path": "lod.tsv", "description_en": "cell fraction of a single-copy change detectable at 80 % power",
         "description_zh": "80% 效能可检出的单拷贝改变细胞比例"},
        {"id": "cnv_arms", "title_en": "Chromosome arms", "title_zh": "染色体臂", "path": "arms.tsv",
         "description_en": "arm-level = called segments of one direction cover >= 80 % of the arm's bins",
         "description_zh": "臂水平：同方向改变片段覆盖该臂 >= 80% 的分箱"},
    ]
    cov = set()
    for _, d in samples:
        run = Path(d) / "run.json"
        if run.exists():
            cov |= set(json.loads(run.read_text(encoding="utf-8")).get("recurrent_regions_covered", []))
    names = {"20q11.21": "20q11.21", "12": "chr12 (12p / trisomy 12)", "17": "chr17 (17q)", "X": "chrX"}
    missing = [v for k, v in names.items() if k not in cov]
    flagged = called[called["recurrent_region"].fillna("") != ""] if "recurrent_region" in called else called[:0]
    kf.append({"label_en": "gains in known iPSC recurrent regions", "label_zh": "iPSC 常见增益区域内的增益",
               "value": int(len(flagged))})
    if "arm_level" in arm:
        named = arm[arm["arm_level"].fillna("") != ""]
        kf.append({"label_en": "arm-level changes", "label_zh": "臂水平改变",
                   "value": "; ".join(f"{r.sample} {r.name}" for r in named.itertuples()) or 0})
    for r in called.itertuples():
        if "baf_status" in called:
            kf.append({"label_en": f"{r.sample} {r.chrom}:{r.start}-{r.end} {r.call}: BAF",
                       "label_zh": f"{r.sample} {r.chrom}:{r.start}-{r.end} {r.call}：B 等位基因频率",
                       "value": f"{r.baf_status}; depth f = {r.cell_fraction:.2f}, BAF f = {r.baf_cell_fraction:.2f}"
                       if r.baf_cell_fraction == r.baf_cell_fraction else str(r.baf_status)})
    exclusions = []
    baf_off = [n for n, (_, _, b) in per.items() if b is None]
    if baf_off:
        exclusions.append({"what": "B-allele frequency evidence not measured", "count": len(baf_off),
                           "reason": "switched off (cnv.baf: false) for " + ", ".join(baf_off)})
    not_assessable = called[called["baf_status"].astype(str).str.startswith("not assessable")] \
        if "baf_status" in called else called[:0]
    if len(not_assessable):
        exclusions.append({"what": "called segments without a BAF estimate (too few het sites)",
                           "count": int(len(not_assessable)), "reason": "not assessable: depth is the only evidence"})
    no_arms = [s for s, d in samples if not json.loads((Path(d) / "run.json").read_text(encoding="utf-8"))
               .get("centromeres", "")] if all((Path(d) / "run.json").exists() for _, d in samples) else []
    if no_arms:
        exclusions.append({"what": "arms not resolved (no centromere table for this build)", "count": len(no_arms),
                           "reason": "give cnv.centromeres (e.g. UCSC cytoBand.txt); 12p/17q are named by chromosome"})
    if missing:
        exclusions.append({"what": "iPSC recurrent regions not present in this genome/annotation (cannot be flagged)",
                           "count": len(missing), "reason": ", ".join(missing)})
    summary = make_summary("cnv", verdict_level=level, verdict_en=verdict_en, verdict_zh=verdict_zh, key_figures=kf,
                           methods_en=methods_en, methods_zh=methods_zh, parameters={"samples": [s for s, _ in samples]},
                           tables=tables, figures=figures,
                           requirements=["R004-37"], exclusions=exclusions,
                           inputs=[str(Path(d) / "bins.tsv") for _, d in samples])
    write_summary(out, summary)
