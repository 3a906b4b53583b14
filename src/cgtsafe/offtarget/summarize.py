"""``results/offtarget/summary.json``: verdict, key figures, bilingual methods, tables and figures.

Reads the candidate-site table (``sites.tsv``), the species tables and the variant tables, and writes

* ``summary.json`` (contract: :mod:`cgtsafe.summary`);
* ``guides_summary.tsv`` next to it: one row per guide (spacer, on-target sites, site counts by mismatch
  class, bulged, exonic, near genes of concern, high priority, CRISPOR MIT/CFD specificity from
  :func:`cgtsafe.offtarget.scoring.guide_specificity`);
* ``figures/sites_by_mismatches.json`` (off-target sites per guide and mismatch/bulge class) and
  ``figures/cfd_distribution.json`` (CFD of the scored off-targets per guide) and, with species,
  ``figures/species_conservation.json`` (human off-targets by conservation class), plotly figure JSON.

Verdict rule: ``attention`` when any guide has a high-priority off-target (rule in
:mod:`cgtsafe.offtarget.annotate`), no perfect on-target site, more than one perfect site, or a
variant-created/-strengthened site with at most 3 edits; ``info`` otherwise. A prediction alone never
"passes": its candidate sites are verified experimentally (``sitecheck``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe import __version__
from cgtsafe.errors import InputError
from cgtsafe.io.tables import count_rows, read_table, write_json, write_table
from cgtsafe.offtarget.annotate import EXONIC, NOT_ANNOTATED
from cgtsafe.summary import make_summary, write_summary

REQUIREMENTS_BASE = ["R004-38", "R004-39", "R004-40", "R002-30", "R002-31", "R002-32"]
REQUIREMENTS_SPECIES = ["R004-42", "R001-01"]

_ZH_LOCUS_RULE = (
    "位点（locus）定义为（向导、染色体、链、PAM位置）：PAM碱基固定，从PAM向远端读取原间隔序列。同一位点在限制范围内的所有比对中"
    "只报告一个，依次按以下规则选取：（1）编辑数（错配+DNA凸起+RNA凸起）最少；（2）凸起数最少；（3）DNA凸起最少；"
    "（4）空位尽量放在远离PAM的一端。不同PAM位置视为不同位点。"
)


def locus_rule_en() -> str:
    """The one-hit-per-locus rule quoted from :mod:`cgtsafe.offtarget.search` (its docstring)."""
    from cgtsafe.offtarget import search

    doc = search.__doc__ or ""
    m = re.search(r"Locus and the one-hit-per-locus rule\n(.*?)\n\n", doc, re.S)
    if not m:
        return "one alignment is reported per (guide, contig, strand, PAM position)."
    return " ".join(m.group(1).replace("``", "").replace("*", "").split())


def _read_optional(paths, what):
    out = []
    for p in paths:
        out.append((p, read_table(p, what=what)))
    return out


def _int(df, cols):
    for c in cols:
        if c in df.columns:
            df[c] = pd.to_numeric(df[c], errors="coerce")  # "" (empty cell) -> NaN
    return df


class SiteCounts:
    """What the summary needs of ``sites.tsv``, aggregated block by block (a genome-scale table is never held):
    site counts by (guide, on-target, mismatches, bulged, feature, gene of concern, high priority), the loci
    sum, the binned CFD of the scored off-targets per guide, and per guide the CFD and MIT values (NaN as 0)
    of the rows that :func:`cgtsafe.offtarget.scoring.guide_specificity` sums (all but the first perfect
    site), 16 bytes per site, summed as that function does (same values, same order: the same sums)."""

    def __init__(self):
        self.counts: dict[tuple, int] = {}
        self.rows = 0
        self.loci: int | None = 0
        self.hist: dict[str, np.ndarray] = {}
        self._spec: dict[str, list] = {}  # guide -> [cfd blocks, mit blocks, first perfect seen, unscored, rows]

    @classmethod
    def from_frame(cls, sites: pd.DataFrame) -> "SiteCounts":
        t = cls()
        t.add(sites)
        return t

    def add(self, df: pd.DataFrame) -> None:
        n = len(df)
        self.rows += n
        if "loci" not in df.columns:
            self.loci = None
        elif self.loci is not None and n:
            self.loci += int(df["loci"].sum())
        if not n:
            return
        guide = df["guide"].astype(str).to_numpy(dtype=object)
        mm = df["mismatches"].to_numpy(dtype=np.int64)
        bulged = ((df["dna_bulge"] + df["rna_bulge"]) > 0).to_numpy()
        on = (df["category"].astype(object) == "on_target").to_numpy()
        key = pd.DataFrame({"g": guide, "on": on, "mm": mm, "b": bulged, "f": df["feature"].astype(str).to_numpy(),
                            "goc": (df["gene_of_concern"] == 1).to_numpy(),
                            "hi": (df["priority"].astype(object) == "high").to_numpy()})
        for k, v in key.groupby(list(key.columns), sort=False).size().items():
            k = (str(k[0]), bool(k[1]), int(k[2]), bool(k[3]), str(k[4]), bool(k[5]), bool(k[6]))
            self.counts[k] = self.counts.get(k, 0) + int(v)
        cfd = df["cfd"].to_numpy(dtype=float)
        mit = df["mit"].to_numpy(dtype=float)
        perfect = (mm == 0) & ~bulged & (df["pam_class"].astype(object) == "canonical").to_numpy()
        for g in pd.unique(guide):
            sel = guide == g
            c, m, p = cfd[sel], mit[sel], perfect[sel]
            sp = self._spec.setdefault(g, [[], [], False, 0, 0])
            if not sp[2] and p.any():  # guide_specificity drops the guide's first perfect site
                j = int(np.flatnonzero(p)[0])
                c, m = np.delete(c, j), np.delete(m, j)
                sp[2] = True
            sp[3] += int(np.isnan(c).sum())
            sp[4] += len(c)
            sp[0].append(np.nan_to_num(c, nan=0.0))
            sp[1].append(np.nan_to_num(m, nan=0.0))
        off = ~on
        v = cfd[off]
        g_off = guide[off]
        ok = ~np.isnan(v)
        v, g_off = v[ok], g_off[ok]
        k = np.clip(np.floor(np.round(v * 20, 6)), 0, 19).astype(np.int64)  # as figures() bins
        for g in pd.unique(g_off):
            h = np.bincount(k[g_off == g], minlength=20)
            self.hist[g] = self.hist.get(g, 0) + h

    def count(self, guide: str | None = None, **want) -> int:
        """Sites matching ``want`` (fields on, mm, b, f, goc, hi; a callable tests the value), of ``guide``."""
        pos = {"on": 1, "mm": 2, "b": 3, "f": 4, "goc": 5, "hi": 6}
        tests = [(pos[f], w) for f, w in want.items()]
        total = 0
        for k, v in self.counts.items():
            if guide is not None and k[0] != guide:
                continue
            if all((w(k[i]) if callable(w) else k[i] == w) for i, w in tests):
                total += v
        return total

    def specificity(self) -> pd.DataFrame:
        """The columns of :func:`cgtsafe.offtarget.scoring.guide_specificity` the summary uses, per guide."""
        from cgtsafe.offtarget.scoring import _round_half_even_free

        rows = []
        for g, (cb, mb, _, unscored, n) in self._spec.items():
            cfd_sum = float(pd.Series(np.concatenate(cb) if cb else np.zeros(0)).sum())
            mit_sum = float(pd.Series(np.concatenate(mb) if mb else np.zeros(0)).sum())
            rows.append({"guide": g, "n_unscored": unscored, "mit_sum": mit_sum, "cfd_sum": cfd_sum,
                         "mit_specificity": int(_round_half_even_free(100 * 100 / (100 + mit_sum))),
                         "cfd_specificity": int(_round_half_even_free(100 * 100 / (100 + cfd_sum)))})
        return pd.DataFrame(rows) if rows else pd.DataFrame({"guide": []})


def _counts(sites) -> SiteCounts:
    return sites if isinstance(sites, SiteCounts) else SiteCounts.from_frame(sites)


def guide_summary(sites, guides, windows) -> pd.DataFrame:
    """One row per guide of the guides table (``sites``: a :class:`SiteCounts` or the sites frame)."""
    t = _counts(sites)
    spec = t.specificity()
    rows = []
    for g in guides:
        off = {"on": False}
        row = {"guide": g.name, "spacer": g.spacer, "on_target_sites": t.count(g.name, on=True),
               "off_target_sites": t.count(g.name, **off)}
        for k in range(7):
            row[f"off_{k}mm"] = t.count(g.name, mm=k, b=False, **off)
        row["off_bulged"] = t.count(g.name, b=True, **off)
        unknown = t.count(g.name, f=NOT_ANNOTATED, **off)
        n_off = row["off_target_sites"]
        for col, n in (("off_exonic", t.count(g.name, f=lambda f: f in EXONIC, **off)),
                       ("off_cds", t.count(g.name, f="cds", **off)),
                       ("off_gene_of_concern", t.count(g.name, goc=True, **off))):
            # a count over annotated sites only would read as "none"; say what is unknown
            row[col] = n if not unknown else (NOT_ANNOTATED if unknown == n_off else f"{n}+{unknown} {NOT_ANNOTATED}")
        row["off_not_annotated"] = unknown
        row["off_high_priority"] = t.count(g.name, hi=True, **off)
        sp = spec[spec["guide"] == g.name] if len(spec) else spec
        for c in ("mit_specificity", "cfd_specificity", "mit_sum", "cfd_sum", "n_unscored"):
            row[c] = sp[c].iloc[0] if len(sp) else (100 if c.endswith("specificity") else 0)
        rows.append(row)
    return pd.DataFrame(rows)


def _fig_json(fig) -> dict:
    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=False, pretty=False))


def figures(sites, guide_names: list[str], outdir: Path) -> list[dict]:
    import plotly.graph_objects as go

    t = _counts(sites)
    classes = [(f"{k} mm", {"mm": k, "b": False}) for k in range(0, 7)] + [("bulged", {"b": True})]
    fig = go.Figure()
    for label, want in classes:
        counts = [t.count(g, on=False, **want) for g in guide_names]
        if sum(counts) == 0 and label != "bulged":
            continue
        fig.add_trace(go.Bar(name=label, x=guide_names, y=counts))
    fig.update_layout(barmode="stack", title="Predicted off-target sites per guide / 各向导预测脱靶位点数",
                      xaxis_title="guide / 向导", yaxis_title="sites / 位点数", legend_title="class / 类别")
    fig2 = go.Figure()
    centers = [round(0.025 + 0.05 * k, 3) for k in range(20)]
    for g in guide_names:
        # binned here (20 bins of 0.05, [k/20, (k+1)/20), CFD 1 in the last): the figure JSON holds 20 counts
        # per guide, not one number per site (millions at genome scale)
        h = t.hist.get(g)
        fig2.add_trace(go.Bar(name=g, x=centers, y=(h if h is not None else np.zeros(20, dtype=np.int64)).tolist(),
                              width=0.05))
    fig2.update_layout(barmode="overlay", title="CFD score of scored off-target sites / 脱靶位点CFD评分分布",
                       xaxis_title="CFD", yaxis_title="sites / 位点数")
    fig2.update_traces(opacity=0.6)
    figdir = outdir / "figures"
    out = []
    for fid, f, en, zh in (("sites_by_mismatches", fig, "Off-target sites per guide by mismatch / bulge class",
                            "按错配/凸起类别统计的各向导脱靶位点数"),
                           ("cfd_distribution", fig2, "CFD distribution of off-target sites",
                            "脱靶位点CFD评分分布")):
        write_json(figdir / f"{fid}.json", _fig_json(f))
        out.append({"id": f"offtarget_{fid}", "title_en": en, "title_zh": zh, "path": f"figures/{fid}.json"})
    return out


CONSERVATION_ORDER = ("stronger", "conserved", "weaker", "pam_lost", "absent", "not_mapped")


def species_figure(species: list, guide_names: list[str], outdir: Path) -> dict:
    """Stacked bars: human off-target sites by conservation class, per species and guide."""
    import plotly.graph_objects as go

    x = [[lbl for _, lbl, _, _ in species for _g in guide_names], [g for _ in species for g in guide_names]]
    fig = go.Figure()
    for cls in CONSERVATION_ORDER:
        y = []
        for _, _, sp, _ in species:
            off = sp[sp["category"] != "on_target"]
            y += [int(((off["guide"] == g) & (off["conservation"] == cls)).sum()) for g in guide_names]
        fig.add_trace(go.Bar(name=cls, x=x, y=y))
    fig.update_layout(barmode="stack", title="Human off-target sites in the animal genome / 人类脱靶位点在动物基因组中的保守性",
                      yaxis_title="sites / 位点数", legend_title="ortholog / 直系同源位点")
    write_json(outdir / "figures" / "species_conservation.json", _fig_json(fig))
    return {"id": "offtarget_species_conservation", "title_en": "Conservation of human off-target sites in the animal "
            "genome(s)", "title_zh": "人类脱靶位点在动物基因组中的保守性", "path": "figures/species_conservation.json"}


def _rel(path, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def build_summary(*, sites, guides, nuclease, pam, limits: dict, max_bulge_mismatches, genome,
                  build: str, genes, genes_of_concern, windows, chunks: int, species: list, variants: list,
                  outdir: Path, vcf_skipped: list, hits_loci: int | None = None) -> tuple[dict, pd.DataFrame]:
    from cgtsafe.io.annotation import load_genes_of_concern
    from cgtsafe.offtarget.merge import genome_lengths

    windows = sorted(int(w) for w in windows)
    sites = _counts(sites)
    gs = guide_summary(sites, guides, windows)
    names = [g.name for g in guides]
    n_off = sites.count(on=False)
    high = sites.count(on=False, hi=True)
    exonic = sites.count(on=False, f=lambda f: f in EXONIC)
    goc = sites.count(on=False, goc=True)
    bulged_off = sites.count(on=False, b=True)
    le2 = sites.count(on=False, b=False, mm=lambda m: m <= 2)
    le3 = sites.count(on=False, b=False, mm=lambda m: m <= 3)
    no_on = [g for g, n in zip(gs["guide"], gs["on_target_sites"]) if n == 0]
    multi_on = [g for g, n in zip(gs["guide"], gs["on_target_sites"]) if n > 1]
    var_rows = pd.concat([v for _, _, v in variants], ignore_index=True) if variants else pd.DataFrame()
    var_strong = 0
    if not var_rows.empty:
        e = var_rows["mismatches"] + var_rows["dna_bulge"] + var_rows["rna_bulge"]
        var_strong = int((e <= 3).sum())
    attention = bool(high or no_on or multi_on or var_strong)
    level = "attention" if attention else "info"
    wmax = windows[-1] if windows else 0
    lim_en, lim_zh = limits_text(limits)
    unknown = sites.count(on=False, f=NOT_ANNOTATED)
    if unknown and unknown == n_off:
        ann_en = ("exons and genes of concern: not annotated (" +
                  ("no gene annotation given" if not genes else "no site contig in the gene annotation") + ")")
        ann_zh = "外显子及关注基因：未注释（" + ("未提供基因注释" if not genes else "位点所在序列不在基因注释中") + "）"
        exonic_v = goc_v = "not annotated / 未注释"
    else:
        extra_en = f" ({unknown} sites not annotated: contig not in the gene annotation)" if unknown else ""
        extra_zh = f"（另有{unknown}个位点未注释：所在序列不在基因注释中）" if unknown else ""
        ann_en = f"{exonic} in exons, {goc} within {wmax:,} bp of a gene of concern{extra_en}"
        ann_zh = f"位于外显子{exonic}个，距关注基因{wmax:,} bp以内{goc}个{extra_zh}"
        exonic_v = exonic if not unknown else f"{exonic} (+{unknown} not annotated / 未注释)"
        goc_v = goc if not unknown else f"{goc} (+{unknown} not annotated / 未注释)"
    verdict_en = (f"{n_off} candidate off-target sites predicted for {len(names)} guide(s) ({lim_en}); {high} high "
                  f"priority, {ann_en}. All are candidates "
                  "for verification by targeted deep sequencing / WGS (sitecheck).")
    verdict_zh = (f"{len(names)}条向导共预测{n_off}个候选脱靶位点（{lim_zh}）；其中高优先级{high}个，{ann_zh}。"
                  f"所有候选位点均需通过靶向深度测序/全基因组测序（sitecheck）验证。")
    if no_on:
        verdict_en += f" No perfect on-target site for: {', '.join(no_on)}."
        verdict_zh += f" 以下向导在参考基因组中无完全匹配的在靶位点：{'、'.join(no_on)}。"
    if multi_on:
        verdict_en += f" More than one perfect site for: {', '.join(multi_on)}."
        verdict_zh += f" 以下向导存在多个完全匹配位点：{'、'.join(multi_on)}。"

    key = [
        {"label_en": "guides searched", "label_zh": "检索的向导数", "value": len(names)},
        {"label_en": "candidate off-target sites", "label_zh": "候选脱靶位点数", "value": n_off},
        {"label_en": "high-priority off-target sites", "label_zh": "高优先级脱靶位点数", "value": high},
        {"label_en": "off-targets with <= 2 mismatches (no bulge)", "label_zh": "错配≤2且无凸起的脱靶位点数",
         "value": le2},
        {"label_en": "off-targets with <= 3 mismatches (no bulge)", "label_zh": "错配≤3且无凸起的脱靶位点数",
         "value": le3},
        {"label_en": "bulged off-target sites", "label_zh": "含凸起的脱靶位点数", "value": bulged_off},
        {"label_en": "off-targets in exons (CDS/UTR/exon)", "label_zh": "位于外显子（CDS/UTR/外显子）的脱靶位点数",
         "value": exonic_v},
        {"label_en": f"off-targets within {wmax:,} bp of a gene of concern",
         "label_zh": f"距关注基因{wmax:,} bp以内的脱靶位点数", "value": goc_v},
    ]
    for r in gs.itertuples(index=False):
        key.append({"label_en": f"{r.guide}: specificity MIT / CFD (CRISPOR, 0-100)",
                    "label_zh": f"{r.guide}：特异性评分 MIT / CFD（CRISPOR，0–100）",
                    "value": f"{int(r.mit_specificity)} / {int(r.cfd_specificity)}"})
        key.append({"label_en": f"{r.guide}: perfect on-target sites", "label_zh": f"{r.guide}：完全匹配在靶位点数",
                    "value": int(r.on_target_sites)})

    tables = [
        {"id": "offtarget_sites", "title_en": "Candidate off-target sites", "title_zh": "候选脱靶位点",
         "path": "sites.tsv",
         "description_en": "one row per candidate site (0-based start, end exclusive; cut = 0-based base right of "
                           "the break); annotated, prioritised, ranked; read by sitecheck",
         "description_zh": "每行一个候选位点（start为0-based，end不含；切割位点为断裂右侧碱基的0-based坐标）；含注释、"
                           "优先级与排序；供sitecheck使用"},
        {"id": "offtarget_guides", "title_en": "Guide-level summary and specificity", "title_zh": "向导水平汇总与特异性",
         "path": "guides_summary.tsv",
         "description_en": "site counts by class and CRISPOR MIT/CFD specificity per guide",
         "description_zh": "各向导按类别的位点数及CRISPOR MIT/CFD特异性评分"},
    ]
    species_fig = []
    methods_species_en = methods_species_zh = ""
    excl = []
    if hits_loci is not None:
        n_loci = sites.loci if sites.loci is not None else sites.rows
        if hits_loci > n_loci:
            excl.append({"what": "bulged search loci", "count": int(hits_loci - n_loci),
                         "reason": f"more than {max_bulge_mismatches} mismatches at a bulged site "
                                   "(offtarget.max_bulge_mismatches)"})
    if sites.loci is not None and sites.loci > sites.rows:
        excl.append({"what": "overlapping search loci merged into one site", "count": int(sites.loci - sites.rows),
                     "reason": "cut positions within 5 bp on the same strand (listed in alt_alignments)"})
    for path, label, sp_sites, sp_guides in species:
        base = Path(path).name
        gbase = Path(path).name[:-4] + ".guides.tsv" if base.endswith(".tsv") else base + ".guides.tsv"
        tables.append({"id": f"offtarget_{Path(path).stem}", "title_en": f"Orthologous sites in {label}",
                       "title_zh": f"{label}基因组中的直系同源位点", "path": _rel(path, outdir),
                       "description_en": "per human site: orthologous animal locus (flank mapping), animal mismatches "
                                         "(-1 = PAM destroyed), conservation",
                       "description_zh": "每个人类位点：动物基因组中的直系同源位置（侧翼序列比对）、动物错配数"
                                         "（-1表示PAM被破坏）及保守性"})
        tables.append({"id": f"offtarget_{Path(path).stem}_guides",
                       "title_en": f"On-target conservation in {label}", "title_zh": f"{label}中在靶位点保守性",
                       "path": _rel(Path(path).with_name(gbase), outdir),
                       "description_en": "per guide: on-target conservation, perfect sites and site counts in the "
                                         "animal genome", "description_zh": "各向导：在靶位点保守性、动物基因组完全匹配位点及位点数"})
        for r in sp_guides.itertuples(index=False):
            mm = "" if pd.isna(r.on_target_animal_mismatches) else f" ({int(r.on_target_animal_mismatches)} mm)"
            key.append({"label_en": f"{label} / {r.guide}: on-target ortholog", "label_zh": f"{label} / {r.guide}：在靶位点直系同源",
                        "value": f"{r.on_target_conserved}{mm}"})
            key.append({"label_en": f"{label} / {r.guide}: human off-targets with an animal site of same or fewer "
                                    "mismatches", "label_zh": f"{label} / {r.guide}：动物中存在错配数相同或更少的直系同源位点的人类脱靶位点",
                        "value": f"{int(r.off_target_same_or_fewer)} of {int(r.human_off_target_sites)}"})
            key.append({"label_en": f"{label} / {r.guide}: animal-only sites within limits",
                        "label_zh": f"{label} / {r.guide}：仅见于动物基因组的位点", "value": int(r.animal_only_sites)})
        nm = int((sp_sites["ortholog_status"] == "not_mapped").sum())
        if nm:
            excl.append({"what": f"sites without an orthologous locus in {label}", "count": nm,
                         "reason": "neither flank mapped to the animal genome (minimap2 sr)"})
        species_fig.append(label)
    if species:
        methods_species_en = (
            " Species differences: the same guides were searched in the animal genome(s) "
            f"({'; '.join(lbl for _, lbl, _, _ in species)}) with the same nuclease and limits. For each human site the "
            "flanking 100 bp on each side (excluding the site, trimmed at N and contig ends) were mapped separately "
            "with minimap2 (mappy, preset sr); the primary alignments give the orthologous interval (one flank is "
            "extrapolated by the site length when the other does not map). The animal site there was compared with the "
            "spacer (mismatches; PAM checked against the nuclease PAMs) and matched to the animal search hit with a cut "
            "within 5 bp. An animal site with the same or fewer mismatches and an intact PAM makes the human site "
            "testable in that species; weaker, absent or PAM-destroyed orthologs limit the predictivity of animal data "
            "for that site; animal-only sites are animal hits without a human counterpart within the limits.")
        methods_species_zh = (
            " 种属差异：以相同的核酸酶与限制条件在动物基因组（" + "；".join(lbl for _, lbl, _, _ in species) + "）中检索同一向导。"
            "对每个人类位点，将其两侧各100 bp侧翼序列（不含位点本身，遇N碱基或染色体末端截断）分别用minimap2（mappy，sr预设）"
            "比对至动物基因组，以主比对确定直系同源区间（仅一侧侧翼可比对时按位点长度外推）。比较该区间动物序列与间隔序列的错配数"
            "并检查PAM，同时匹配切割位置相差不超过5 bp的动物检索结果。动物中存在错配数相同或更少且PAM完整的直系同源位点时，"
            "该人类位点可在该种属中评价；直系同源位点减弱、缺失或PAM被破坏时，动物数据对该位点的预测性受限；"
            "仅见于动物的位点指在限制范围内无人类对应位点的动物检索结果。")
    methods_var_en = methods_var_zh = ""
    for path, label, vdf in variants:
        created = int((vdf["effect"] == "created").sum()) if len(vdf) else 0
        lowered = int((vdf["effect"] == "lowered").sum()) if len(vdf) else 0
        key.append({"label_en": f"variant set {label}: sites created / strengthened",
                    "label_zh": f"变异集{label}：新产生/增强的位点数", "value": f"{created} / {lowered}"})
        tables.append({"id": f"offtarget_{Path(path).stem}", "title_en": f"Variant-dependent sites ({label})",
                       "title_zh": f"变异依赖的位点（{label}）", "path": _rel(path, outdir),
                       "description_en": "sites created or strengthened by ALT alleles (pos 1-based as in the VCF; "
                                         "site coordinates 0-based)",
                       "description_zh": "由ALT等位基因新产生或增强的位点（pos为VCF中的1-based坐标；位点坐标为0-based）"})
    for label, skipped in vcf_skipped:
        for what, n in sorted(skipped.items()):
            if n:
                excl.append({"what": f"VCF {label}: {what} records/alleles", "count": int(n),
                             "reason": {"filtered": "FILTER not PASS", "symbolic": "symbolic or '*' allele",
                                        "too_long": "allele longer than 51 bp",
                                        "not_carried": "ALT allele not in any sample's genotype"}.get(what, what)})
    if variants:
        methods_var_en = (
            " Donor/population variants: for every PASS ALT allele (SNVs and indels up to 50 bp; with genotypes, "
            "alleles carried by a sample) of "
            f"{', '.join(lbl for _, lbl, _ in variants)}, the local REF and ALT haplotypes (allele plus spacer + PAM + "
            "bulge lengths on each side) were searched with the same engine and limits; ALT sites overlapping the allele "
            "with no REF site at the locus (cut within 5 bp) are 'created', those with a lower cost (mismatches + 2 x "
            "bulges) than the REF site 'lowered'. Each allele is applied alone.")
        methods_var_zh = (
            " 供者/群体变异：对" + "、".join(lbl for _, lbl, _ in variants) + "中每个通过过滤的ALT等位基因（SNV及≤50 bp的插入缺失；"
            "含基因型时仅限样本携带的等位基因），"
            "构建局部REF与ALT单倍型（等位基因两侧各延伸间隔序列+PAM+凸起长度），以相同引擎与限制条件检索；与等位基因重叠、"
            "而REF单倍型在该位置（切割位置相差≤5 bp）无位点者记为“新产生”，代价（错配+2×凸起）低于REF位点者记为“增强”。"
            "每个等位基因单独评估。")

    lengths = genome_lengths(genome)
    total = sum(lengths.values())
    pams = [pam] if pam else [nuclease.pam, *nuclease.alt_pams]
    alt = [p for p in pams[1:]]
    goc_src = str(genes_of_concern) if genes_of_concern else "the list shipped with cgtsafe (src/cgtsafe/data/genes_of_concern.tsv)"
    n_goc = len(load_genes_of_concern(genes_of_concern))
    bm = "all" if max_bulge_mismatches is None else f"<= {max_bulge_mismatches}"
    side_en = "3'" if nuclease.pam_side == "3prime" else "5'"
    win_txt = " / ".join(f"{w:,}" for w in windows)
    methods_en = (
        f"Candidate off-target sites of {len(names)} guide(s) ({', '.join(names)}) were predicted in silico with cgtsafe "
        f"{__version__} by an exhaustive search (no seeding) of the reference genome {build} ({Path(genome).name}, "
        f"{len(lengths)} contigs, {total:,} bp, both strands, soft-masked sequence included, N never matching; "
        f"{chunks} search chunk(s)) for {nuclease.name} ({nuclease.spacer_length}-nt spacer, PAM {pams[0]} on the "
        f"{side_en} side" + (f", plus the alternative PAMs {', '.join(alt)}" if alt else "") + f"), allowing {lim_en}; "
        f"bulged sites were kept with {bm} mismatches. Within these limits the search is complete (its sensitivity is "
        "limited only by the limits and by the reference not representing the patient's genome, which the variant "
        "analysis addresses). Rationale of the limits: the share of published, experimentally validated off-target "
        "sites (GUIDE-seq: Tsai 2015, Kleinstiver 2016, Listgarten 2018; CIRCLE-seq: Tsai 2017) inside them is "
        "reported under performance. One hit per locus: " + locus_rule_en() + " Loci of the same guide and strand with cut "
        "positions within 5 bp were merged into one candidate site represented by the alignment with the lowest cost "
        "(mismatches + 2 x bulges); the others are listed. Sites were scored with CFD (Doench et al. 2016) and the MIT "
        "score (Hsu et al. 2013); guide specificity follows CRISPOR (Haeussler et al. 2016): 100 x 100 / (100 + sum of "
        "off-target scores). The cut position was annotated with "
        f"{Path(genes).name if genes else 'no gene annotation (every site not annotated; not annotated counts as possibly exonic / near a gene of concern in the priority)'} (feature priority CDS > UTR > exon > intron > promoter "
        f"[2 kb upstream of a TSS] > intergenic) and flagged within {win_txt} bp of {n_goc} genes of concern ({goc_src}). "
        "Priority: high = <= 2 edits, or CFD >= 0.5, or <= 3 edits in an exon / near a gene of concern; medium = <= 4 "
        "edits, CFD >= 0.2, exonic or near a gene of concern; low otherwise."
        + methods_species_en + methods_var_en)
    side_zh = "3'端" if nuclease.pam_side == "3prime" else "5'端"
    bm_zh = "不限" if max_bulge_mismatches is None else f"≤{max_bulge_mismatches}个"
    methods_zh = (
        f"采用cgtsafe {__version__}对{len(names)}条向导（{'、'.join(names)}）进行计算机预测脱靶位点分析：在参考基因组{build}"
        f"（{Path(genome).name}，{len(lengths)}条序列，共{total:,} bp）的正负两条链上进行穷举检索（不使用种子启发式，"
        f"软屏蔽序列同样检索，N碱基不与任何碱基匹配；分{chunks}块检索）。核酸酶为{nuclease.name}（间隔序列"
        f"{nuclease.spacer_length} nt，PAM为{side_zh}的{pams[0]}" + (f"，并检索替代PAM {'、'.join(alt)}" if alt else "")
        + f"），允许{lim_zh}；含凸起位点的错配数{bm_zh}。在上述限制范围内检索是完备的（灵敏度仅受限制条件及参考基因组"
        "不能代表患者基因组所限，后者由变异分析补充）。限制条件的合理性：已发表的经实验验证的脱靶位点（GUIDE-seq：Tsai 2015、"
        "Kleinstiver 2016、Listgarten 2018；CIRCLE-seq：Tsai 2017）落在上述限制范围内的比例见方法性能部分。每个位点只报告一个比对：" + _ZH_LOCUS_RULE
        + "同一向导、同一链上切割位置相差不超过5 bp的位点合并为一个候选位点，以代价（错配+2×凸起）最低的比对为代表，"
        "其余比对另行列出。位点评分采用CFD（Doench等，2016）与MIT评分（Hsu等，2013）；向导特异性按CRISPOR"
        "（Haeussler等，2016）计算：100×100/(100+脱靶评分之和)。以切割位置进行基因注释（"
        f"{Path(genes).name if genes else '未提供基因注释（所有位点均为未注释；优先级判定时未注释位点按可能位于外显子/关注基因附近处理）'}；注释优先级：CDS > UTR > 外显子 > 内含子 > 启动子"
        f"[转录起始位点上游2 kb] > 基因间区），并标记距{n_goc}个关注基因{win_txt} bp以内的位点。优先级规则：高 = 编辑数≤2，"
        "或CFD≥0.5，或位于外显子/关注基因附近且编辑数≤3；中 = 编辑数≤4，或CFD≥0.2，或位于外显子/关注基因附近；其余为低。"
        + methods_species_zh + methods_var_zh)

    reqs = list(REQUIREMENTS_BASE)
    if species or variants:
        reqs += REQUIREMENTS_SPECIES
    perf = [
        {"metric": "search sensitivity within the limits",
         "value": f"exhaustive: every site with {lim_en} (bulged: {bm} mismatches) and an allowed PAM",
         "source": "exact search (no seeding); concordance with Cas-OFFinder 2.4.1 and an independent brute force "
                   "tested in tests/test_offtarget_search*.py; planted-site recall in tests/test_offtarget_*.py"},
        {"metric": "search limits", "value": lim_en, "source": "offtarget.max_mismatches / max_dna_bulge / max_rna_bulge"},
        *limits_sensitivity(limits, max_bulge_mismatches),
    ]
    params = {
        "guides": names, "nuclease": nuclease.name, "pam": pams[0], "alternative_pams": alt,
        "pam_side": nuclease.pam_side, "spacer_length": nuclease.spacer_length, **limits,
        "max_bulge_mismatches": max_bulge_mismatches, "genome": str(genome), "build": build,
        "genes": str(genes) if genes else None, "genes_of_concern": str(genes_of_concern) if genes_of_concern else None,
        "genes_of_concern_windows": windows, "chunks": chunks, "locus_window_bp": 5,
        "species": [lbl for _, lbl, _, _ in species], "variant_sets": [lbl for _, lbl, _ in variants],
    }
    figs = figures(sites, names, outdir)
    if species:
        figs.append(species_figure(species, names, outdir))
    summary = make_summary(
        "offtarget", verdict_level=level, verdict_en=verdict_en, verdict_zh=verdict_zh, key_figures=key,
        methods_en=methods_en, methods_zh=methods_zh, parameters=params, tables=tables, figures=figs,
        requirements=reqs, performance=perf, exclusions=excl,
    )
    return summary, gs


#: the columns of sites.tsv the summary reads (a genome-scale table is not loaded whole)
SUMMARY_COLUMNS = ("guide", "mismatches", "dna_bulge", "rna_bulge", "pam_class", "cfd", "mit", "category", "priority",
                   "feature", "gene_of_concern", "loci")


def iter_summary_sites(path, block_rows: int = 500_000):
    """The summary's columns of sites.tsv in blocks of ``block_rows`` rows (strings read as categoricals), typed
    as :func:`cgtsafe.offtarget.species.read_sites` types them; bad values -> that reader's error. A table that
    is not TSV is read whole (one block)."""
    from cgtsafe.offtarget.species import SITE_REQUIRED, read_sites

    path = Path(path)
    if not path.name.lower().endswith((".tsv", ".tsv.gz")):
        yield _typed_block(read_sites(path), path)
        return
    if not path.exists():
        raise InputError("candidate-site table (sites.tsv) not found", path=path)
    try:
        head = list(pd.read_csv(path, sep="\t", nrows=0, dtype=str).columns)
    except Exception as exc:
        raise InputError(f"cannot read candidate-site table (sites.tsv): {exc}".splitlines()[0], path=path) from None
    missing = [c for c in SITE_REQUIRED if c not in head]
    if missing:
        read_sites(path)  # its one-line error naming the missing columns
    use = [c for c in SUMMARY_COLUMNS if c in head]
    ints = [c for c in ("mismatches", "dna_bulge", "rna_bulge", "gene_of_concern", "loci") if c in use]
    floats = [c for c in ("cfd", "mit") if c in use]
    dtype = {c: "category" for c in use} | {c: np.int64 for c in ints} | {c: np.float64 for c in floats}
    na = {c: ["", "nan", "NaN", "NAN", "na", "NA", "Na", "nA"] for c in floats}
    n = 0
    try:
        for block in pd.read_csv(path, sep="\t", usecols=use, dtype=dtype, keep_default_na=False, na_values=na,
                                 comment=None, chunksize=block_rows):
            n += 1
            yield _typed_block(block, path)
    except (ValueError, TypeError):
        read_sites(path)  # its one-line error naming the column and line
        raise InputError("candidate-site table (sites.tsv): a value does not parse", path=path) from None
    if not n:
        yield _typed_block(read_sites(path), path)


def _typed_block(df: pd.DataFrame, path) -> pd.DataFrame:
    for c in ("gene_of_concern", "loci"):
        if c in df.columns:
            df[c] = pd.to_numeric(df[c]).astype(np.int64)
    for c in ("priority", "feature"):
        if c not in df.columns:
            raise InputError(f"candidate-site table lacks column {c}", path=path)
    return df


def read_summary_sites(path) -> SiteCounts:
    """sites.tsv aggregated block by block into a :class:`SiteCounts` (memory: the counts, one block and 16
    bytes per site for the specificity sums)."""
    t = SiteCounts()
    for block in iter_summary_sites(path):
        t.add(block)
    return t


def run_summarize(*, args, nuclease, pam, limits) -> None:
    from cgtsafe.offtarget.search import read_guides
    from cgtsafe.offtarget.variants import skipped_counts

    out = Path(args.out)
    outdir = out.parent
    sites = read_summary_sites(args.sites)
    guides = read_guides(args.guides, nuclease)
    species = []
    labels = args.species_labels or [Path(p).stem.removeprefix("species_") for p in args.species]
    for p, label in zip(args.species, labels):
        sp = read_table(p, what="species table")
        gp = Path(p).with_name(Path(p).name[:-4] + ".guides.tsv")
        sg = read_table(gp, what="species guide table")
        sg = _int(sg, ["on_target_animal_mismatches", "off_target_same_or_fewer", "human_off_target_sites",
                       "animal_only_sites"])
        species.append((p, label, sp, sg))
    variants = []
    vcf_skipped = []
    for i, p in enumerate(args.variants):
        v = read_table(p, what="variant site table")
        v = _int(v, ["mismatches", "dna_bulge", "rna_bulge"])
        label = v["variant_set"].iloc[0] if len(v) else Path(p).stem.removeprefix("variants_")
        variants.append((p, label, v))
        if i < len(args.vcfs):
            vcf_skipped.append((label, skipped_counts(args.vcfs[i], args.genome)))
    hits_loci = None
    if getattr(args, "hits", None):
        hits_loci = count_rows(args.hits, what="merged hit table")  # not loaded: millions of rows at genome scale
    summary, gs = build_summary(
        sites=sites, guides=guides, nuclease=nuclease, pam=pam, limits=limits,
        max_bulge_mismatches=args.max_bulge_mismatches, genome=args.genome, build=args.build, genes=args.genes,
        genes_of_concern=args.genes_of_concern, windows=args.windows, chunks=args.chunks, species=species,
        variants=variants, outdir=outdir, vcf_skipped=vcf_skipped, hits_loci=hits_loci)
    summary["inputs"] = [str(x) for x in [args.sites, args.guides, args.genome, args.genes, *args.species,
                                          *args.variants, *args.vcfs] if x]
    write_table(gs, outdir / "guides_summary.tsv")
    write_summary(out, summary)


# --------------------------------------------------------------------------------------------------
# Sensitivity of the search limits on published, experimentally validated off-target sites
VALIDATED_FILES = (
    ("Tsai 2017 Nat Methods (CIRCLE-seq, 10 guides)", "circleseq_tsai2017_10gRNA.tsv"),
    ("Tsai 2015 Nat Biotechnol (GUIDE-seq)", "guideseq_tsai2015_hg19.tsv"),
    ("Listgarten 2018 Nat Biomed Eng (GUIDE-seq, 6 guides)", "guideseq_listgarten2018_6gRNA.tsv"),
    ("Kleinstiver 2016 Nature (GUIDE-seq, 5 guides)", "guideseq_kleinstiver2016_5gRNA.tsv"),
)
VALIDATED_TABLE = "offtarget_validated_classes.tsv"


def validated_class_table(validated_dir: str | Path) -> pd.DataFrame:
    """Sites and reads of published validated off-targets by (mismatches, bulges), per study.

    Source rows: the clean TSVs of ``shared/data/offtarget/validated`` (see their README). Rows of
    truncated guides (target shorter than 23 nt) are left out; on-target rows (0 mismatches, no bulge)
    are kept (they are sites the search must find too). ``bulges`` = the source's ``bulge`` column
    (count of '-' in the alignment; DNA/RNA type not distinguished).
    """
    rows = []
    for study, name in VALIDATED_FILES:
        df = pd.read_csv(Path(validated_dir) / name, sep="\t")
        df = df[df["target_with_pam"].str.len() == 23]
        reads = pd.to_numeric(df["read_count"], errors="coerce").fillna(0)
        g = pd.DataFrame({"mismatches": df["mismatches"].astype(int), "bulges": df["bulge"].astype(int),
                          "reads": reads})
        agg = g.groupby(["mismatches", "bulges"]).agg(sites=("reads", "size"), reads=("reads", "sum")).reset_index()
        agg.insert(0, "study", study)
        rows.append(agg)
    out = pd.concat(rows, ignore_index=True)
    out["reads"] = out["reads"].round().astype(np.int64)
    return out.sort_values(["study", "mismatches", "bulges"], kind="mergesort").reset_index(drop=True)


def limits_text(limits: dict) -> tuple[str, str]:
    """The search limits in words (en, zh), including the total-bulge limit and the end-bulge rule."""
    en = (f"<= {limits['max_mismatches']} mismatches, <= {limits['max_dna_bulge']} DNA and "
          f"<= {limits['max_rna_bulge']} RNA bulges")
    zh = (f"错配≤{limits['max_mismatches']}个、DNA凸起≤{limits['max_dna_bulge']}个、"
          f"RNA凸起≤{limits['max_rna_bulge']}个")
    if limits.get("max_bulges") is not None:
        en += f", <= {limits['max_bulges']} bulge(s) of either kind in all"
        zh += f"、凸起合计≤{limits['max_bulges']}个"
    if limits.get("end_bulges"):
        en += ", bulges allowed at the protospacer ends (Cas-OFFinder 3 rule)"
        zh += "、允许原间隔序列末端凸起（Cas-OFFinder 3规则）"
    return en, zh


def limits_sensitivity(limits: dict, max_bulge_mismatches=None, table: pd.DataFrame | None = None) -> list[dict]:
    """Per study: share of validated sites (and reads) inside the configured limits (performance entries).

    A bulged validated site counts as inside only when both bulge limits allow it (its type is not
    recorded), and its mismatches are within ``max_bulge_mismatches`` when that is set: a lower bound.
    """
    if table is None:
        from importlib import resources

        with resources.files("cgtsafe").joinpath("data", VALIDATED_TABLE).open() as fh:
            table = pd.read_csv(fh, sep="\t")
    mm = table["mismatches"] <= limits["max_mismatches"]
    bmax = min(limits["max_dna_bulge"], limits["max_rna_bulge"])
    if limits.get("max_bulges") is not None:
        bmax = min(bmax, limits["max_bulges"])
    bmm = limits["max_mismatches"] if max_bulge_mismatches is None else max_bulge_mismatches
    inside = mm & ((table["bulges"] == 0) | ((table["bulges"] <= bmax) & (table["mismatches"] <= bmm)))
    out = []
    for study, sub in table.groupby("study", sort=True):
        ins = inside[sub.index]
        n, k = int(sub["sites"].sum()), int(sub["sites"][ins].sum())
        r, rk = int(sub["reads"].sum()), int(sub["reads"][ins].sum())
        out.append({
            "metric": f"validated off-target sites inside the search limits: {study}",
            "value": f"{k} of {n} sites ({100 * k / n:.1f} %); {100 * rk / r:.1f} % of reads" if r else
                     f"{k} of {n} sites ({100 * k / n:.1f} %)",
            "source": "published sites (shared/data/offtarget/validated; cgtsafe/data/" + VALIDATED_TABLE + "). The "
                      "assays' own analyses reported sites with <= 6 mismatches and <= 1 bulge, so sites beyond "
                      "those are under-represented: this is an upper bound of the sensitivity of wider limits and a "
                      "measured lower bound for the configured ones",
        })
    return out
