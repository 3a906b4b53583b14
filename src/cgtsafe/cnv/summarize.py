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


def _figure(per_sample: dict) -> dict:
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure()
    for name, (bins, seg) in per_sample.items():
        offs, o = {}, 0
        for c in dict.fromkeys(bins["chrom"]):
            offs[c] = o
            o += int(bins.loc[bins["chrom"] == c, "end"].max())
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


def run_summarize(samples: list[tuple[str, str]], outdir, out) -> None:
    import pandas as pd

    from cgtsafe.io.tables import write_json, write_table
    from cgtsafe.summary import make_summary, write_summary

    segs, dist, lods, per = [], [], [], {}
    for name, d in samples:
        d = Path(d)
        for f in ("bins.tsv", "segments.tsv", "cut_distal.tsv", "lod.tsv"):
            if not (d / f).exists():
                raise InputError(f"cnv call output {f} missing", path=d)
        bins = pd.read_csv(d / "bins.tsv", sep="\t")
        seg = pd.read_csv(d / "segments.tsv", sep="\t")
        per[name] = (bins, seg)
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
    write_json(outdir / "figures" / "genome_ratio.json", _figure(per))
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
    methods_en = ("Reads (mapped, primary, not duplicate, MAPQ >= 20) were counted in bins sized for ~1,000 reads, "
                  "GC-corrected by GC-stratum medians (refitted on copy-neutral bins), and the edited/control log2 ratio "
                  "segmented by binary segmentation with a permutation test; segments were called at a Bonferroni "
                  "threshold, with the implied cell fraction of a single-copy change (95 % interval) and the limit of "
                  "detection at 80 % power. Each on-target cut was tested for loss of the segment to either contig end. "
                  "Called gains are flagged by name when they overlap known iPSC culture gains (20q11.21 through the "
                  "BCL2L1/ID1/HM13 annotation; chromosomes 12, 17 and X, arm not resolved). B-allele frequencies are "
                  "not used.")
    methods_zh = ("统计比对质量 >= 20 的主比对、非重复读段在约 1000 读段的分箱中的数量，按 GC 分层中位数校正（在拷贝数中性分箱上重新拟合），"
                  "对编辑/对照 log2 比值作二分分割并以置换检验判断断点；按 Bonferroni 阈值判定片段，给出单拷贝改变对应的细胞比例"
                  "（95% 区间）及 80% 效能的检测限。对每个靶位点切割检验其至两端的片段缺失。与 iPSC 常见增益区域重叠的增益按名称标注"
                  "（20q11.21 经 BCL2L1/ID1/HM13 注释定位；12、17 号及 X 染色体，未区分臂）。未使用 B 等位基因频率。")
    tables = [
        {"id": "cnv_segments", "title_en": "Copy-number segments", "title_zh": "拷贝数片段", "path": "segments.tsv",
         "description_en": "start 0-based, end exclusive", "description_zh": "start 为 0 起始，end 不含"},
        {"id": "cnv_cut_distal", "title_en": "Loss from each on-target cut to the contig end",
         "title_zh": "各靶位点切割处至染色体末端的缺失检验", "path": "cut_distal.tsv",
         "description_en": "", "description_zh": ""},
        {"id": "cnv_lod", "title_en": "Limit of detection by segment size", "title_zh": "按片段大小的检测限",
         "path": "lod.tsv", "description_en": "cell fraction of a single-copy change detectable at 80 % power",
         "description_zh": "80% 效能可检出的单拷贝改变细胞比例"},
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
    exclusions = [{"what": "B-allele frequency evidence", "count": 0, "reason": "not implemented yet"}]
    if missing:
        exclusions.append({"what": "iPSC recurrent regions not present in this genome/annotation (cannot be flagged)",
                           "count": len(missing), "reason": ", ".join(missing)})
    summary = make_summary("cnv", verdict_level=level, verdict_en=verdict_en, verdict_zh=verdict_zh, key_figures=kf,
                           methods_en=methods_en, methods_zh=methods_zh, parameters={"samples": [s for s, _ in samples]},
                           tables=tables, figures=[{"id": "cnv_genome_ratio", "title_en": "Genome-wide log2 ratio",
                                                    "title_zh": "全基因组 log2 读深比", "path": "figures/genome_ratio.json"}],
                           requirements=["R004-37"], exclusions=exclusions,
                           inputs=[str(Path(d) / "bins.tsv") for _, d in samples])
    write_summary(out, summary)
