"""``cgtsafe vector features``: insertional-risk features of a transfer-vector sequence -> tables, map, summary.

Outputs (in ``--outdir``; coordinates ``start`` 0-based inclusive, ``end`` exclusive, ``site`` 1-based):

``features.tsv``       the one table of the construct: every element (library match or GenBank feature),
                       LTR, splice site, polyA signal and ORF, with ``category``, position, strand,
                       ``in_provirus`` and the detail/flag columns
``splice_sites.tsv``   all candidate splice donors/acceptors (both strands) with Ri (bits) and strength
``polya_signals.tsv``  all polyA hexamers (both strands) with DSE and strength
``orfs.tsv``           ORFs >= min_aa codons with ``annotated``: ``yes`` (overlaps a GenBank CDS on its strand),
                       ``yes (declared)`` (overlaps an ``expected_orfs`` entry), ``no (unexpected)``, or ``unknown``
                       (FASTA without declared ORFs)
``ltrs.tsv``           LTRs found (HIV-1-derived): U3 length, enhancer signatures, SIN status
``vcn.tsv``            the imported VCN per lot/sample with the declared limit (when given)
``figures/vector_map.json``  plotly map of the construct
``summary.json``
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.vector.construct import Construct, read_construct
from cgtsafe.vector.elements import (VIRAL_KINDS, feature_rows, find_ltrs, load_library, scan_library,
                                     wpre_x_status)
from cgtsafe.vector.signals import MATRIX_SOURCE, model_percentile, orfs, polya_signals, splice_sites

REQUIREMENTS = ["R004-18", "R004-19"]


@dataclass
class VectorParams:
    sequence: str
    donor_min: float | None = None  # None = model 5th percentile
    acceptor_min: float | None = None
    min_orf_aa: int = 100
    ltr_distance: int = 1000
    vcn: str | None = None
    vcn_column: str = "vcn_per_transduced_cell"
    vcn_id_column: str = "lot"
    vcn_limit: float | None = None
    expected_orfs: list[str] | None = None  # "START-END[:+|-]", 1-based inclusive, declared coding sequences


def parse_expected_orfs(items: list[str] | None, n: int) -> list[tuple[int, int, str]]:
    """``START-END[:STRAND]`` (1-based, inclusive) -> (0-based start, end exclusive, strand or '')."""
    import re

    out = []
    for it in items or []:
        m = re.fullmatch(r"\s*([0-9]+)-([0-9]+)(?::([+-]))?\s*", str(it))
        if not m or int(m.group(1)) < 1 or int(m.group(2)) < int(m.group(1)) or int(m.group(2)) > n:
            raise InputError(f"expected ORF {it!r}: expected START-END[:+|-], 1-based inclusive, within 1..{n}")
        out.append((int(m.group(1)) - 1, int(m.group(2)), m.group(3) or ""))
    return out


def read_vcn(path: str, id_col: str, col: str, limit: float | None) -> pd.DataFrame:
    from cgtsafe.io.tables import read_table

    p = Path(path)
    df = read_table(p, required=(id_col, col), what="VCN table (vector.vcn.file)")
    vals = []
    for i, v in enumerate(df[col], start=2):
        try:
            x = float(v)
        except ValueError:
            raise InputError(f"column {col!r}: expected a number (copies per cell), got {v!r}", path=p,
                             line=i) from None
        if x < 0:
            raise InputError(f"column {col!r}: negative copy number {x}", path=p, line=i)
        vals.append(x)
    out = pd.DataFrame({"id": df[id_col], "vcn": vals})
    out["limit"] = "" if limit is None else limit
    out["exceeds_limit"] = ["" if limit is None else ("yes" if v > limit else "no") for v in vals]
    return out


_ZH = (("SIN according to the GenBank label", "据 GenBank 注释为自失活（未经序列验证）"),
       ("SIN (U3 enhancer deleted)", "自失活（U3 增强子已删除）"),
       ("intact U3 (not SIN)", "U3 完整（非自失活）"),
       ("U3 not found", "未找到 U3"),
       ("U3 present, enhancer signature not found", "U3 存在但未找到增强子特征"),
       ("inconclusive", "无法判断（未找到两个 HIV-1 LTR 或 3' LTR 非 HIV-1 来源）"),
       ("intact (ATG)", "完整（ATG）"),
       ("mutated", "已突变"),
       ("absent", "缺失（截短的 WPRE，无 X 起始区）"),
       ("not determined", "未确定（未发现 WPRE）"),
       ("possible", "可能"), ("high", "高"), ("not assessed", "未评估"))


def zh(text: str) -> str:
    """Chinese for the fixed status strings of this module (prefix match; codons kept)."""
    for en, z in _ZH:
        if text.startswith(en):
            return z + (text[len("mutated"):] if en == "mutated" else "")
    return text


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def analyse(c: Construct, params: VectorParams) -> dict:
    lib_hits = scan_library(c, load_library())
    ltrs = find_ltrs(lib_hits)
    ltrs.sort(key=lambda x: x.r_start)
    provirus = (ltrs[0].r_start, ltrs[-1].end) if len(ltrs) >= 2 else None
    # fallback: LTRs annotated in the GenBank file (any retrovirus; U3 status from the label only)
    gb_ltrs = sorted((f for f in c.features if f.type in ("LTR", "repeat_region", "misc_feature")
                      and "LTR" in f.label.upper()), key=lambda f: f.start)
    provirus_source = "HIV-1 LTR signatures" if provirus else ""
    if provirus is None and len(gb_ltrs) >= 2:
        provirus, provirus_source = (gb_ltrs[0].start, gb_ltrs[-1].end), "GenBank LTR features (5' U3 included)"
    donor_min = params.donor_min if params.donor_min is not None else model_percentile("donor", 0.05)
    acceptor_min = params.acceptor_min if params.acceptor_min is not None else model_percentile("acceptor", 0.05)
    splice = splice_sites(c.seq, donor_min=donor_min, acceptor_min=acceptor_min)
    strong = {"donor": model_percentile("donor", 0.5), "acceptor": model_percentile("acceptor", 0.5)}
    for s in splice:
        s["strength"] = "typical_or_stronger" if s["ri_bits"] >= strong[s["kind"]] else "weak_candidate"
    polya = polya_signals(c.seq)
    orf_rows = orfs(c.seq, min_aa=params.min_orf_aa)
    cds = [(f.start, f.end, f.strand) for f in c.features if f.type == "CDS"]
    declared = parse_expected_orfs(params.expected_orfs, len(c))
    for o in orf_rows:
        if any(_overlaps(o["start"], o["end"], s0, e0) and st == o["strand"] for s0, e0, st in cds):
            o["annotated"] = "yes"
        elif any(_overlaps(o["start"], o["end"], s0, e0) and st in ("", o["strand"]) for s0, e0, st in declared):
            o["annotated"] = "yes (declared)"
        elif c.fmt != "genbank" and not declared:
            o["annotated"] = "unknown (FASTA: no CDS annotation)"
        else:
            o["annotated"] = "no (unexpected)"
    x_status, x_codon, x_pos = wpre_x_status(c, lib_hits)

    def in_prov(s: int, e: int) -> str:
        if provirus is None:
            return "unknown"
        return "yes" if _overlaps(s, e, *provirus) else "no (backbone)"

    # LTR table and read-through
    ltr_rows = []
    for i, x in enumerate(ltrs):
        pa = [p for p in polya if p["strand"] == "+" and x.start <= p["start"] and p["end"] <= x.end]
        ltr_rows.append({"ltr": f"LTR{i + 1}", "start": x.start, "end": x.end, "u3_start": "" if x.u3_start is None
                         else x.u3_start, "r_start": x.r_start, "u3_length": "" if x.u3_length is None else x.u3_length,
                         "u3_nfkb_enhancer": "yes" if x.nfkb else "no", "u3_sp1_tata": "yes" if x.sp1_tata else "no",
                         "status": x.status(),
                         "polya_signals": "; ".join(f"{p['hexamer']}@{p['start']}({p['strength']})" for p in pa)})
    three = ltrs[-1] if len(ltrs) >= 2 else None
    if three is None:
        label = gb_ltrs[-1].label if len(gb_ltrs) >= 2 else ""
        if label and any(k in label.upper() for k in ("SIN", "ΔU3", "DU3", "DELTA U3", "DELTAU3")):
            sin = f"SIN according to the GenBank label '{label}' (not verified from the sequence)"
        elif label:
            sin = (f"inconclusive: 3' LTR annotated ('{label}') but not an HIV-1 LTR signature; U3 status not "
                   "determined from the sequence")
        else:
            sin = ("inconclusive: fewer than two HIV-1 LTRs found (LTR structure is analysed for HIV-1-derived "
                   "vectors only)")
        readthrough = "not assessed (no 3' LTR found)"
    else:
        sin = three.status()
        pa3 = [p for p in polya if p["strand"] == "+" and three.start <= p["start"] and p["end"] <= three.end]
        if not pa3:
            readthrough = "high: no polyA signal on the forward strand of the 3' LTR"
        else:
            sig = ", ".join(f"{p['hexamer']} at {p['start'] + 1} ({p['strength']})" for p in pa3)
            readthrough = ("possible: the 3' LTR polyA signal(s) " + sig + " are the provirus's only termination "
                           "signals; read-through transcription past lentiviral/gammaretroviral LTR polyA signals is "
                           "documented (Zaiss et al. 2002 J Virol 76:7209); a heterologous polyA added to the LTR is "
                           "not recognised by this scan")

    # viral enhancer flags
    flags = []
    for h in lib_hits:
        if h["kind"] not in VIRAL_KINDS:
            continue
        inside_ltr = any(x.start <= h["start"] and h["end"] <= x.end for x in ltrs)
        if inside_ltr:
            continue  # LTR U3 enhancers are judged by the SIN status
        ip = in_prov(h["start"], h["end"])
        if ip != "yes":
            h["flag"] = "" if ip.startswith("no") else "viral enhancer/promoter (provirus extent unknown)"
            continue
        d = min((max(x.start - h["end"], h["start"] - x.end, 0) for x in ltrs), default=None)
        near = d is not None and d <= params.ltr_distance
        h["flag"] = (f"viral enhancer/promoter inside the provirus, {d} nt from an LTR" if near
                     else "viral enhancer/promoter inside the provirus")
        flags.append(h)

    # the one table
    rows = []
    for h in lib_hits + feature_rows(c):
        rows.append({"category": "element", "name": h["element"], "kind": h["kind"], "strand": h["strand"],
                     "start": h["start"], "end": h["end"], "site": "", "score": h["identity"],
                     "in_provirus": in_prov(h["start"], h["end"]),
                     "detail": (f"{h['mismatches']} mismatches; {h['citation']}" if h["source"] == "library"
                                else "GenBank feature"), "flag": h.get("flag", "")})
    for r in ltr_rows:
        rows.append({"category": "ltr", "name": r["ltr"], "kind": "HIV-1 LTR", "strand": "+", "start": r["start"],
                     "end": r["end"], "site": "", "score": "", "in_provirus": "yes",
                     "detail": f"U3 {r['u3_length'] or 'not found'} nt; NF-kB {r['u3_nfkb_enhancer']}; "
                               f"Sp1/TATA {r['u3_sp1_tata']}",
                     "flag": r["status"] if r["ltr"] == f"LTR{len(ltr_rows)}" and "not SIN" in r["status"] else ""})
    if x_pos is not None:
        rows.append({"category": "element", "name": "WPRE_X_start", "kind": "wpre_x", "strand": "+",
                     "start": x_pos, "end": x_pos + 3, "site": "", "score": "", "in_provirus": in_prov(x_pos, x_pos + 3),
                     "detail": f"WHV X start codon {x_codon}", "flag": "WPRE X ORF start intact" if x_codon == "ATG" else ""})
    for s in splice:
        rows.append({"category": f"splice_{s['kind']}", "name": s["sequence"], "kind": s["strength"],
                     "strand": s["strand"], "start": s["start"], "end": s["end"], "site": s["site"],
                     "score": s["ri_bits"], "in_provirus": in_prov(s["start"], s["end"]), "detail": "Ri bits", "flag": ""})
    for p in polya:
        rows.append({"category": "polya", "name": p["hexamer"], "kind": p["strength"], "strand": p["strand"],
                     "start": p["start"], "end": p["end"], "site": "", "score": "",
                     "in_provirus": in_prov(p["start"], p["end"]), "detail": f"DSE {p['dse']} {p['dse_kind']}".strip(),
                     "flag": ""})
    for o in orf_rows:
        unexpected = o["annotated"].startswith("no")
        rows.append({"category": "orf", "name": o["protein_start"], "kind": f"{o['length_aa']} aa",
                     "strand": o["strand"], "start": o["start"], "end": o["end"], "site": "", "score": o["length_aa"],
                     "in_provirus": in_prov(o["start"], o["end"]), "detail": f"annotated: {o['annotated']}",
                     "flag": "unexpected ORF" if unexpected and in_prov(o["start"], o["end"]) != "no (backbone)" else ""})
    order = {"ltr": 0, "element": 1, "polya": 2, "splice_donor": 3, "splice_acceptor": 4, "orf": 5}
    rows.sort(key=lambda r: (int(r["start"]), order[r["category"]], str(r["name"]), r["strand"]))
    return {"lib_hits": lib_hits, "ltrs": ltrs, "ltr_rows": ltr_rows, "provirus": provirus, "splice": splice,
            "polya": polya, "orfs": orf_rows, "x_status": x_status, "sin": sin, "readthrough": readthrough,
            "flags": flags, "rows": rows, "provirus_source": provirus_source, "donor_min": donor_min, "acceptor_min": acceptor_min, "strong": strong}


def _figure(c: Construct, a: dict) -> dict:
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure()
    tracks = {"element": 5, "ltr": 6, "polya": 4, "splice_donor": 3, "splice_acceptor": 2, "orf": 1}
    colours = {"element": "#1f77b4", "ltr": "#d62728", "polya": "#2ca02c", "splice_donor": "#9467bd",
               "splice_acceptor": "#8c564b", "orf": "#7f7f7f"}
    for cat, y in tracks.items():
        rows = [r for r in a["rows"] if r["category"] == cat]
        if cat.startswith("splice"):
            rows = [r for r in rows if r["kind"] == "typical_or_stronger"]
        if cat == "polya":
            rows = [r for r in rows if r["kind"] != "weak"]
        xs, ys, txt = [], [], []
        for r in rows:
            off = 0.15 if r["strand"] == "+" else -0.15
            xs += [int(r["start"]) + 1, int(r["end"]), None]
            ys += [y + off, y + off, None]
            label = f"{r['category']} {r['name']} ({r['strand']}) {int(r['start']) + 1}-{r['end']} {r['kind']} {r['flag']}"
            txt += [label, label, None]
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"width": 10, "color": colours[cat]},
                                     name=cat, text=txt, hoverinfo="text"))
    if a["provirus"]:
        fig.add_vrect(x0=a["provirus"][0] + 1, x1=a["provirus"][1], fillcolor="#ffdd99", opacity=0.25, line_width=0)
    for f in a["flags"]:
        fig.add_annotation(x=(f["start"] + f["end"]) / 2, y=tracks["element"] + 0.5, text="!", showarrow=False,
                           font={"color": "#d62728", "size": 16})
    fig.update_layout(
        template="plotly_white", xaxis_title=f"{c.name} position (1-based); shaded = provirus (LTR to LTR)",
        yaxis={"tickvals": list(tracks.values()), "ticktext": ["elements", "LTRs", "polyA (moderate/strong)",
                                                               "splice donors (typical+)", "splice acceptors (typical+)",
                                                               "ORFs"]},
        legend={"orientation": "h"}, height=420)
    return json.loads(pio.to_json(fig, validate=True, remove_uids=True))


def run_features(params: VectorParams, outdir: str | Path, summary_out: str | Path) -> dict:
    from cgtsafe.io.tables import write_json, write_table
    from cgtsafe.summary import make_summary, write_summary

    out_dir = Path(outdir)
    if params.min_orf_aa < 1 or params.ltr_distance < 0:
        raise InputError("min ORF length must be >= 1 codon and the LTR distance >= 0")
    c = read_construct(params.sequence)
    vcn = read_vcn(params.vcn, params.vcn_id_column, params.vcn_column, params.vcn_limit) if params.vcn else None
    a = analyse(c, params)

    # ---- verdict
    concerns_en, concerns_zh = [], []
    if "not SIN" in a["sin"]:
        concerns_en.append("3' LTR U3 enhancer intact (not self-inactivating)")
        concerns_zh.append("3' LTR U3 增强子完整（非自失活）")
    near = [f for f in a["flags"] if "nt from an LTR" in f["flag"]]
    if a["flags"]:
        concerns_en.append(f"{len(a['flags'])} viral enhancer/promoter signature(s) inside the provirus "
                           f"({len(near)} within {params.ltr_distance} nt of an LTR)")
        concerns_zh.append(f"前病毒内有 {len(a['flags'])} 个病毒增强子/启动子特征（{len(near)} 个距 LTR {params.ltr_distance} nt 以内）")
    if a["x_status"].startswith("intact"):
        concerns_en.append("WPRE X protein start codon intact")
        concerns_zh.append("WPRE X 蛋白起始密码子完整")
    unexpected = [o for o in a["orfs"] if o["annotated"].startswith("no")]
    if unexpected:
        concerns_en.append(f"{len(unexpected)} unannotated ORF(s) >= {params.min_orf_aa} aa")
        concerns_zh.append(f"{len(unexpected)} 个未注释的 ORF（>= {params.min_orf_aa} aa）")
    over = vcn[vcn["exceeds_limit"] == "yes"] if vcn is not None else None
    if over is not None and len(over):
        level = "fail"
    elif concerns_en:
        level = "attention"
    elif a["provirus"] is None:
        level = "inconclusive"
    else:
        level = "info"
    prov = a["provirus"]
    sd = [s for s in a["splice"] if s["strength"] == "typical_or_stronger"
          and (prov is None or (prov[0] <= s["start"] and s["end"] <= prov[1]))]
    pa_strong = [p for p in a["polya"] if p["strength"] == "strong"
                 and (prov is None or (prov[0] <= p["start"] and p["end"] <= prov[1]))]
    where = "in the provirus" if prov else "in the sequence (provirus extent unknown)"
    verdict_en = (f"{c.name} ({len(c)} bp): 3' LTR {a['sin']}; "
                  f"{sum(s['kind'] == 'donor' for s in sd)} donor and {sum(s['kind'] == 'acceptor' for s in sd)} "
                  f"acceptor splice sites of typical-or-stronger score and {len(pa_strong)} strong polyA signal(s) "
                  f"{where}; WPRE X {a['x_status']}; read-through {a['readthrough'].split(':')[0]}")
    verdict_zh = (f"{c.name}（{len(c)} bp）：3' LTR {zh(a['sin'])}；{'前病毒内' if prov else '序列内（前病毒范围未知）'}"
                  f"评分达到或超过典型水平的剪接供体 {sum(s['kind'] == 'donor' for s in sd)} 个、受体 "
                  f"{sum(s['kind'] == 'acceptor' for s in sd)} 个，强 polyA 信号 {len(pa_strong)} 个；WPRE X：{zh(a['x_status'])}；"
                  f"通读：{zh(a['readthrough'].split(':')[0])}")
    if concerns_en:
        verdict_en += ". Attention: " + "; ".join(concerns_en)
        verdict_zh += "。需关注：" + "；".join(concerns_zh)
    if vcn is not None:
        mx = vcn["vcn"].max()
        if params.vcn_limit is not None:
            verdict_en += (f". VCN (imported) max {mx:g} copies/cell vs declared limit {params.vcn_limit:g}: "
                           f"{len(over)} of {len(vcn)} above")
            verdict_zh += f"。VCN（导入）最大 {mx:g} 拷贝/细胞，申报限度 {params.vcn_limit:g}：{len(over)}/{len(vcn)} 超限"
        else:
            verdict_en += f". VCN (imported) max {mx:g} copies/cell; no declared limit given"
            verdict_zh += f"。VCN（导入）最大 {mx:g} 拷贝/细胞；未申报限度"
    verdict_en += "."
    verdict_zh += "。"

    kf = [
        {"label_en": "Sequence length (bp)", "label_zh": "序列长度（bp）", "value": len(c)},
        {"label_en": "Provirus (LTR to LTR, 1-based)", "label_zh": "前病毒范围（1 起始）",
         "value": f"{prov[0] + 1}-{prov[1]}" if prov else "not determined"},
        {"label_en": "Provirus defined by", "label_zh": "前病毒范围依据", "value": a["provirus_source"] or "—"},
        {"label_en": "3' LTR self-inactivating (SIN) status", "label_zh": "3' LTR 自失活状态", "value": a["sin"]},
        {"label_en": "Splice donors / acceptors >= threshold (both strands)",
         "label_zh": "超过阈值的剪接供体/受体（双链）",
         "value": f"{sum(s['kind'] == 'donor' for s in a['splice'])} / {sum(s['kind'] == 'acceptor' for s in a['splice'])}"},
        {"label_en": "Splice sites of typical-or-stronger score in the provirus", "label_zh": "前病毒内评分达到典型水平的剪接位点",
         "value": len(sd)},
        {"label_en": "Strong polyA signals in the provirus (AATAAA + DSE)", "label_zh": "前病毒内强 polyA 信号",
         "value": len(pa_strong)},
        {"label_en": "Viral enhancers/promoters inside the provirus (outside LTRs)",
         "label_zh": "前病毒内（LTR 以外）病毒增强子/启动子", "value": len(a["flags"])},
        {"label_en": "WPRE X ORF", "label_zh": "WPRE X 开放阅读框", "value": a["x_status"]},
        {"label_en": f"ORFs >= {params.min_orf_aa} aa (unannotated)", "label_zh": f">= {params.min_orf_aa} aa 的 ORF（未注释）",
         "value": f"{len(a['orfs'])} ({len(unexpected)})"},
        {"label_en": "Read-through past the 3' LTR", "label_zh": "3' LTR 通读", "value": a["readthrough"]},
    ]
    if vcn is not None:
        kf.append({"label_en": "VCN per cell, imported (max; declared limit)", "label_zh": "每细胞载体拷贝数（导入；最大值/申报限度）",
                   "value": f"{vcn['vcn'].max():g}; limit {params.vcn_limit if params.vcn_limit is not None else 'not declared'}"})
    methods_en = (
        f"The transfer-vector sequence {c.path} ({c.fmt}, {len(c)} bp, {len(c.features)} GenBank features) was scanned "
        f"on both strands. Splice sites: every GT/AG scored with a {MATRIX_SOURCE}; listed at Ri >= "
        f"{a['donor_min']:g} bits (donor) / {a['acceptor_min']:g} bits (acceptor), the 5th percentile of sites that "
        f"follow the matrix; 'typical or stronger' = >= the matrix median ({a['strong']['donor']:g} / "
        f"{a['strong']['acceptor']:g} bits). This is a weight matrix, not MaxEntScan: weight matrices predict cryptic "
        "splice sites less well than models with position dependencies (Yeo & Burge 2004; Buratti et al. 2007 Nucleic "
        "Acids Res 35:4250) and cgtsafe has not measured its accuracy on vectors; candidates need RT-PCR confirmation. "
        "PolyA signals: the 11 hexamers of Beaudoing et al. 2000 with a GU-rich downstream element 5-45 nt past the "
        "hexamer. Elements: the shipped signature library (cgtsafe/data/vector_elements.tsv, cited, <= 10-12 % "
        "substitutions) plus GenBank features; elements without a signature (e.g. PGK promoter, insulators) are found "
        "only through GenBank features. LTRs: HIV-1-derived LTRs only; the 3' LTR's U3 (copied to both proviral LTRs) "
        "decides self-inactivation. WPRE X: the X start codon context. ORFs: ATG..stop >= "
        f"{params.min_orf_aa} codons, compared with GenBank CDS features. Viral enhancers inside the provirus and "
        f"within {params.ltr_distance} nt of an LTR are flagged."
        + (f" VCN: imported from {params.vcn} (column {params.vcn_column}), compared with the sponsor's declared limit."
           if vcn is not None else " VCN: not provided."))
    methods_zh = (
        f"对转移载体序列 {c.path}（{c.fmt}，{len(c)} bp，{len(c.features)} 个 GenBank 注释）双链扫描。剪接位点：以位置权重矩阵"
        f"（非 MaxEntScan；SQUIRLS/vmvt 人 RefSeq 剪接位点频率，Danis 等 2021）对所有 GT/AG 打分（Ri，bit），列出供体 >= "
        f"{a['donor_min']:g}、受体 >= {a['acceptor_min']:g} bit（符合矩阵分布位点的第 5 百分位）；'典型或更强' 指 >= 矩阵中位数。"
        "权重矩阵对隐蔽剪接位点的预测不如考虑位置相关性的模型（Yeo & Burge 2004；Buratti 等 2007），cgtsafe 未测定其在载体上的准确性，"
        "候选位点需 RT-PCR 验证。polyA 信号：Beaudoing 等 2000 的 11 种六聚体及其下游 5-45 nt 的 GU 富集元件。元件：cgtsafe 附带的"
        "序列特征库（附引用）及 GenBank 注释；特征库未收录的元件（如 PGK 启动子、绝缘子）只能来自 GenBank 注释。LTR：仅分析 HIV-1 来源 LTR，"
        "由 3' LTR 的 U3（逆转录后复制到前病毒两端）决定是否自失活。WPRE X：X 起始密码子上下文。ORF：ATG 至终止密码子 >= "
        f"{params.min_orf_aa} 个密码子，与 GenBank CDS 比对。前病毒内及距 LTR {params.ltr_distance} nt 以内的病毒增强子予以标记。"
        + ("VCN：导入数据，与申办方申报限度比较。" if vcn is not None else "VCN：未提供。"))

    def rel(p: Path) -> str:
        return os.path.relpath(p, Path(summary_out).parent)

    paths = {k: out_dir / f"{k}.tsv" for k in ("features", "splice_sites", "polya_signals", "orfs", "ltrs", "vcn")}
    fig_path = out_dir / "figures" / "vector_map.json"
    tables = [
        {"id": "vector_features", "title_en": "Construct features (elements, LTRs, splice sites, polyA, ORFs)",
         "title_zh": "载体构建特征（元件、LTR、剪接位点、polyA、ORF）", "path": rel(paths["features"]),
         "description_en": "start 0-based inclusive, end exclusive; site 1-based. flag = reviewer attention.",
         "description_zh": "start 为 0 起始（含），end 不含；site 为 1 起始。flag 为需关注项。"},
        {"id": "vector_ltrs", "title_en": "LTRs and self-inactivation", "title_zh": "LTR 与自失活",
         "path": rel(paths["ltrs"]), "description_en": "HIV-1-derived LTRs; U3 length and enhancer signatures.",
         "description_zh": "HIV-1 来源 LTR；U3 长度及增强子特征。"},
        {"id": "vector_splice_sites", "title_en": "Candidate splice sites (weight matrix, both strands)",
         "title_zh": "候选剪接位点（权重矩阵，双链）", "path": rel(paths["splice_sites"]),
         "description_en": "Ri bits; not MaxEntScan (see methods).", "description_zh": "Ri（bit）；非 MaxEntScan（见方法）。"},
        {"id": "vector_polya", "title_en": "Polyadenylation signals (both strands)", "title_zh": "多聚腺苷酸信号（双链）",
         "path": rel(paths["polya_signals"]), "description_en": "hexamer, downstream GU-rich element, strength.",
         "description_zh": "六聚体、下游 GU 富集元件、强度。"},
        {"id": "vector_orfs", "title_en": f"Open reading frames >= {params.min_orf_aa} aa", "title_zh": f">= {params.min_orf_aa} aa 的开放阅读框",
         "path": rel(paths["orfs"]), "description_en": "annotated = overlaps a GenBank CDS on the same strand or a declared expected ORF.",
         "description_zh": "annotated 表示与同链 GenBank CDS 重叠。"},
    ]
    inputs = [c.path]
    exclusions = [{"what": "elements without a library signature (e.g. PGK promoter, cHS4 insulator)", "count": 0,
                   "reason": "not searched in the sequence; reported only when annotated as GenBank features"},
                  {"what": "splice-site model", "count": 0,
                   "reason": "MaxEntScan tables not available offline; a published weight matrix is used instead"}]
    if c.fmt != "genbank":
        exclusions.append({"what": "GenBank features (CDS, insulators, promoters)", "count": 0,
                           "reason": "FASTA input: ORFs cannot be classed as expected or unexpected"})
    requirements = ["R004-18"]
    if vcn is not None:
        inputs.append(params.vcn)
        requirements.append("R004-19")
        tables.append({"id": "vector_vcn", "title_en": "Imported: vector copy number per cell",
                       "title_zh": "导入：每细胞载体拷贝数", "path": rel(paths["vcn"]),
                       "description_en": f"Imported, not computed by cgtsafe ({params.vcn}); limit = sponsor's declared limit.",
                       "description_zh": f"导入数据，非 cgtsafe 计算（{params.vcn}）；limit 为申办方申报限度。"})
    else:
        exclusions.append({"what": "R004-19: vector copy number per cell", "count": 0,
                           "reason": "not provided (config vector.vcn); the requirement stays open"})
    summary = make_summary(
        "vector", verdict_level=level, verdict_en=verdict_en, verdict_zh=verdict_zh, key_figures=kf,
        methods_en=methods_en, methods_zh=methods_zh,
        parameters={"sequence": c.path, "format": c.fmt, "donor_min_bits": a["donor_min"],
                    "acceptor_min_bits": a["acceptor_min"], "min_orf_aa": params.min_orf_aa,
                    "ltr_distance": params.ltr_distance, "vcn_limit": params.vcn_limit,
                    "splice_model": MATRIX_SOURCE},
        tables=tables, figures=[{"id": "vector_map", "title_en": "Map of the construct", "title_zh": "载体构建图谱",
                                 "path": rel(fig_path)}],
        requirements=requirements, exclusions=exclusions, inputs=sorted(set(inputs)),
    )
    cols = ["category", "name", "kind", "strand", "start", "end", "site", "score", "in_provirus", "detail", "flag"]
    write_table(pd.DataFrame(a["rows"], columns=cols), paths["features"])
    write_table(pd.DataFrame(a["splice"], columns=["kind", "strand", "site", "start", "end", "sequence", "ri_bits",
                                                   "strength"]), paths["splice_sites"])
    write_table(pd.DataFrame(a["polya"], columns=["hexamer", "strand", "start", "end", "dse", "dse_kind", "strength",
                                                  "downstream_checked_nt"]), paths["polya_signals"])
    write_table(pd.DataFrame(a["orfs"], columns=["strand", "start", "end", "length_aa", "protein_start", "annotated"]),
                paths["orfs"])
    write_table(pd.DataFrame(a["ltr_rows"], columns=["ltr", "start", "end", "u3_start", "r_start", "u3_length",
                                                     "u3_nfkb_enhancer", "u3_sp1_tata", "status", "polya_signals"]),
                paths["ltrs"])
    if vcn is not None:
        write_table(vcn, paths["vcn"])
    write_json(fig_path, _figure(c, a))
    write_summary(summary_out, summary)
    return summary
