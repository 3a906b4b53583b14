"""Genome-wide scan, part 4: an excess of the editor's own variants, edited vs control (editor-aware summary).

Base editors deaminate DNA away from their guides: the cytosine base editor BE3 gave ~20-fold more SNVs than
controls in mouse embryos (GOTI: 283 +- 32 vs 14 +- 12 SNVs per embryo with Cre only, 12 +- 4 with Cas9,
enriched for C>T / G>A; ABE7.10 10 +- 5, no excess; Zuo et al. 2019 Science 364:289), BE3 but not ABE in
rice (Jin et al. 2019 Science 364:292); deaminase variants reduce it 10- to 100-fold (Doman et al. 2020 Nat
Biotechnol 38:620; Yu et al. 2020 Nat Commun 11:2052). A reported list of edited-only SNVs does not answer
whether there is such an excess: this module tests it against the scan's own null.

**Null: the changes private to the control.** The scan is run both ways with one symmetric rule
(:func:`cgtsafe.sitecheck.genomewide_call._private_snvs` and the indel loci of ``_indel_loci``): a variant
is private to a sample when both depths are >= max(``min_depth``, ``min_control_depth``), the sample has
>= ``min_alt_reads`` alt reads (indel loci: ``min_indel_reads``) at VAF >= ``min_vaf``, the other sample
<= ``max_control_alt``, and the one-sided Fisher p <= ``alpha`` (nominal: a per-position rule, the same
both ways). Private SNVs are counted per trinucleotide channel in pyrimidine notation (``T[C>T]A``; C>T
stands for C>T / G>A on the + strand). Without an editor effect the two private counts differ only by
sampling and by the two directions' detection power.

**Test** of the editor's class (CBE: C>T = C>T / G>A; ABE: T>C = A>G / T>C), per pair: ``a`` edited-only,
``c`` control-only SNVs of the class; conditional exact binomial test of ``a`` given ``a + c`` against
``p0 = w / (1 + w)`` (one-sided, excess in the edited sample), ``w`` = the detection balance: the power to
detect a private SNV in the edited sample over that in the control at the median depths, averaged over VAF
0.1-0.5 (1 at equal depths). Rate ratio ``(a / c) / w`` with the exact (Clopper-Pearson) 95 % interval.
Reported next to it: the class's share of the private SNVs, edited vs control (one-sided Fisher test: an
excess specific to the editor's chemistry, insensitive to depth), and for a CBE the share of the class in
the TpC context (T[C>T]N, rAPOBEC1's preferred context; Komor et al. 2016 Nature 533:420).

**Verdicts** (never a reassurance the data cannot give):

* ``excess`` (attention): p <= ``alpha``;
* ``no_excess_detected``: p > ``alpha`` and the excess detectable with ``power`` is at most
  ``detectable_excess_per_mb`` clonal heterozygous (VAF 0.5) variants per Mb of callable genome (default 0.1:
  BE3's excess in Zuo et al. 2019, (283 - 14) SNVs over the ~2,700 Mb mouse genome). The detectable excess is
  always stated (also at VAF 0.2): the smallest extra expected count ``E`` with
  P(reject | a ~ Poisson(w mu + E), c ~ Poisson(mu)) >= ``power``, ``mu = (a + c) / (1 + w)`` (the null rate
  estimated from both samples), divided by the edited sample's per-position detection power at that VAF and
  by the callable Mb;
* ``inconclusive``: otherwise (too small a callable genome or too low a depth to see such an excess).

Deamination spread over the cells of a polyclonal product stays below ``min_vaf`` in bulk WGS and is not
measurable by this scan: the verdict concerns clonal and subclonal variants only (said in the text).
Prime editors, HDR and nucleases have no deaminase: the class test does not apply; the same test is run on
private indel loci (and on all SNVs) and reported as the indel vs SNV balance. Edited-only indel loci at guide-like
sites (the on- and off-target cuts, listed as calls and assessed per site) are left out of the indel test
(``guide_like_excluded``): the question is damage away from the guides.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from scipy import stats as _st

from cgtsafe.sitecheck.genomewide_call import SBS_CLASSES
from cgtsafe.stats import fisher_2x2, fisher_greater

#: Zuo et al. 2019: BE3 (283 - 14) excess SNVs per embryo over the ~2,700 Mb mouse genome
DETECTABLE_EXCESS_PER_MB = 0.1
VAF_GRID = (0.1, 0.2, 0.3, 0.4, 0.5)
TEST_COLUMNS = ["sample", "control", "editor", "test", "variants", "edited_only", "control_only", "guide_like_excluded",
                "detection_balance", "rate_ratio", "rr_low", "rr_high", "p_value", "share_edited", "share_control",
                "share_p_value", "callable_mb", "detectable_excess", "detectable_per_mb_vaf50",
                "detectable_per_mb_vaf20", "verdict"]
SPECTRUM_COLUMNS = ["sample", "control", "channel", "substitution", "plus_strand", "context", "editor_class",
                    "edited_only", "control_only"]
PLUS = {"C>A": "C>A/G>T", "C>G": "C>G/G>C", "C>T": "C>T/G>A", "T>A": "T>A/A>T", "T>C": "T>C/A>G",
        "T>G": "T>G/A>C"}
#: Chinese names of the ``variants`` labels (key figures)
VARIANTS_ZH = {"indel loci": "插入缺失位点", "other SNVs": "其他 SNV", "all SNVs": "全部 SNV"}
VERDICT_ZH = {"excess": "超额", "no_excess_detected": "未检出超额", "inconclusive": "不确定"}
VERDICT_LEVEL = {"excess": "attention", "inconclusive": "inconclusive", "no_excess_detected": "pass"}


def editor_class(editor) -> str | None:
    """Pyrimidine-notation class of a base editor's conversion (CBE C>T, ABE A>G -> T>C); None otherwise."""
    if editor is None or editor.kind != "base":
        return None
    f, t = editor.conversion
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    return f"{f}>{t}" if f in "CT" else f"{comp[f]}>{comp[t]}"


def detection_power(depth: int, other_depth: int, params: dict, vaf: float, indel: bool = False) -> float:
    """P(a variant of true VAF ``vaf`` private to a sample of ``depth`` passes the private rule) at these depths."""
    d, o = int(round(depth)), int(round(other_depth))
    need = params["min_indel_reads" if indel else "min_alt_reads"]
    sym = max(params["min_depth"], params["min_control_depth"])
    if d < sym or o < sym:
        return 0.0
    ks = np.arange(max(need, 1), d + 1)
    ok = (ks / d >= params["min_vaf"]) & (fisher_greater(ks, np.full_like(ks, d), 0, o) <= params["alpha"])
    if not ok.any():
        return 0.0
    return float(_st.binom.sf(int(ks[ok.argmax()]) - 1, d, vaf))


def balance(de: float, dc: float, params: dict, indel: bool = False) -> float:
    """Detection balance ``w``: mean power (VAF 0.1-0.5) of the edited direction over the control's."""
    pe = np.mean([detection_power(de, dc, params, f, indel) for f in VAF_GRID])
    pc = np.mean([detection_power(dc, de, params, f, indel) for f in VAF_GRID])
    return float(pe / pc) if pe > 0 and pc > 0 else float("nan")


def rate_test(a: int, c: int, w: float) -> dict:
    """Conditional exact test of ``a`` edited-only vs ``c`` control-only counts (H1: edited rate higher), the
    rate ratio ``(a / c) / w`` and its exact 95 % interval (Clopper-Pearson on a / (a + c))."""
    n = a + c
    if n == 0 or not w > 0:
        return {"rate_ratio": float("nan"), "rr_low": float("nan"), "rr_high": float("nan"), "p_value": 1.0}
    p0 = w / (1 + w)
    p = float(_st.binom.sf(a - 1, n, p0))
    lo = float(_st.beta.ppf(0.025, a, n - a + 1)) if a > 0 else 0.0
    hi = float(_st.beta.ppf(0.975, a + 1, n - a)) if a < n else 1.0

    def rr(x):
        return x / (1 - x) / w if x < 1 else float("inf")

    return {"rate_ratio": (a / c / w) if c else float("inf"), "rr_low": rr(lo), "rr_high": rr(hi),
            "p_value": min(1.0, p)}


@functools.lru_cache(maxsize=64)
def _critical(nmax: int, p0: float, alpha: float) -> np.ndarray:
    """Smallest ``a`` with P(Binomial(n, p0) >= a) <= alpha for n = 0..nmax (n + 1 when none)."""
    ns = np.arange(0, nmax + 1)
    k = np.asarray(_st.binom.isf(alpha, ns, p0), dtype=np.int64) + 1
    k = np.where(_st.binom.sf(k - 1, ns, p0) <= alpha, k, k + 1)
    return np.where((k > 1) & (_st.binom.sf(k - 2, ns, p0) <= alpha), k - 1, k)


def rejection_power(mu: float, w: float, excess: float, alpha: float) -> float:
    """P(the one-sided conditional test rejects at ``alpha``) when a ~ Poisson(w mu + excess), c ~ Poisson(mu)."""
    la, lc = w * mu + excess, mu
    lam = la + lc
    if lam <= 0:
        return 0.0
    p0, p1 = w / (1 + w), la / lam
    nmax = 1 << max(6, int(_st.poisson.isf(1e-10, lam) + 2).bit_length())  # power of two: few cached tables
    ns = np.arange(0, nmax + 1)
    k = _critical(nmax, round(p0, 12), alpha)
    rej = np.where(k <= ns, _st.binom.sf(k - 1, ns, p1), 0.0)
    return float(np.sum(_st.poisson.pmf(ns, lam) * rej))


def detectable_excess(mu: float, w: float, alpha: float, power: float) -> float:
    """Smallest extra expected count of edited-only variants the test detects with probability ``power``."""
    if not w > 0:
        return float("inf")
    lo, hi = 0.0, 4.0
    while rejection_power(mu, w, hi, alpha) < power:
        lo, hi = hi, hi * 2
        if hi > 1e8:
            return float("inf")
    for _ in range(40):
        mid = (lo + hi) / 2
        if rejection_power(mu, w, mid, alpha) >= power:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 2e-3 * hi:
            break
    return hi


def _class_of(channel: str) -> str:
    return channel[2:5] if "[" in channel else channel


def spectrum(stats: dict, cls: str | None) -> pd.DataFrame:
    """96 trinucleotide channels (+ channels with an N neighbour when seen, + INDEL) of one pair."""
    e, c = stats.get("private_e", {}), stats.get("private_c", {})
    chans = [f"{x}[{s}]{y}" for s in SBS_CLASSES for x in "ACGT" for y in "ACGT"]
    chans += sorted((set(e) | set(c)) - set(chans) - {"INDEL"}) + ["INDEL"]
    rows = []
    for ch in chans:
        sub = _class_of(ch)
        rows.append({"sample": stats["sample"], "control": stats["control"], "channel": ch, "substitution": sub,
                     "plus_strand": PLUS.get(sub, "indel"), "context": f"{ch[0]}_{ch[-1]}" if "[" in ch else "",
                     "editor_class": int(sub == cls), "edited_only": int(e.get(ch, 0)),
                     "control_only": int(c.get(ch, 0))})
    return pd.DataFrame(rows, columns=SPECTRUM_COLUMNS)


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return "inf" if math.isinf(x) else f"{x:.3g}"


def guide_like_private_indels(table: pd.DataFrame | None, stats: dict) -> int:
    """Edited-only indel loci of one pair's variant table that pass the private rule and resemble a guide site
    (on-/off-target cuts: guide-dependent, assessed per site and listed as calls); 0 without a table."""
    if table is None or not len(table):
        return 0
    p = stats["parameters"]
    d = max(p["min_depth"], p["min_control_depth"])
    t = table[(table["sample"] == stats["sample"]) & (table["type"] == "INDEL")]
    m = ((t["guide_like"].astype(int) == 1) & (t["edited_depth"].astype(int) >= d)
         & (t["control_depth"].astype(int) >= d) & (t["p_value"].astype(float) <= p["alpha"]))
    return int(m.sum())


def pair_tests(stats: dict, editor, power: float, per_mb: float, guide_like_indels: int = 0) -> pd.DataFrame:
    """Rows of ``genomewide_editor_test.tsv`` for one pair (see the module docstring). ``guide_like_indels``:
    edited-only indel loci at guide-like sites (:func:`guide_like_private_indels`), left out of the indel test
    (guide-independent damage is the question; the cuts are reported as calls and assessed per site)."""
    p = stats["parameters"]
    cls = editor_class(editor)
    sp = spectrum(stats, cls)
    snv = sp[sp["substitution"] != "INDEL"]
    de, dc = stats["median_edited_depth"], stats["median_control_depth"]
    mb = stats.get("private_callable_bp", 0) / 1e6
    tot_e, tot_c = int(snv["edited_only"].sum()), int(snv["control_only"].sum())
    tests = []
    if cls:
        tests.append(("editor_class", PLUS[cls], snv["substitution"] == cls, False))
        tests.append(("other_snv", "other SNVs", snv["substitution"] != cls, False))
    else:
        tests.append(("indel", "indel loci", None, True))
    tests.append(("all_snv", "all SNVs", snv["substitution"] != "", False))
    bal = {x: balance(de, dc, p, x) for x in {t[3] for t in tests}}
    sens = {(x, f): detection_power(de, dc, p, f, x) for x in bal for f in (0.5, 0.2)}
    rows = []
    for name, label, mask, indel in tests:
        excluded = 0
        if indel:
            a, c = int(stats.get("private_e", {}).get("INDEL", 0)), int(stats.get("private_c", {}).get("INDEL", 0))
            excluded = min(a, int(guide_like_indels))
            a -= excluded
        else:
            a, c = int(snv.loc[mask, "edited_only"].sum()), int(snv.loc[mask, "control_only"].sum())
        w = bal[indel]
        r = rate_test(a, c, w)
        mu = (a + c) / (1 + w) if w > 0 else float("nan")
        ex = detectable_excess(mu, w, p["alpha"], power) if w > 0 else float("inf")
        per = {f: ex / sens[indel, f] / mb if sens[indel, f] > 0 and mb > 0 else float("inf") for f in (0.5, 0.2)}
        row = {"sample": stats["sample"], "control": stats["control"], "editor": editor.name if editor else "",
               "test": name, "variants": label, "edited_only": a, "control_only": c, "guide_like_excluded": excluded,
               "detection_balance": w,
               **r, "share_edited": float("nan"), "share_control": float("nan"), "share_p_value": float("nan"),
               "callable_mb": mb, "detectable_excess": ex, "detectable_per_mb_vaf50": per[0.5],
               "detectable_per_mb_vaf20": per[0.2]}
        if name == "editor_class":
            row["share_edited"] = a / tot_e if tot_e else float("nan")
            row["share_control"] = c / tot_c if tot_c else float("nan")
            row["share_p_value"] = fisher_2x2(a, tot_e - a, c, tot_c - c, alternative="greater")[1]
        if r["p_value"] <= p["alpha"]:
            row["verdict"] = "excess"
        elif per[0.5] <= per_mb:
            row["verdict"] = "no_excess_detected"
        else:
            row["verdict"] = "inconclusive"
        rows.append(row)
    if cls == "C>T":  # rAPOBEC1's TpC preference: the class's share in the T[C>T]N context
        cl = snv[snv["substitution"] == "C>T"]
        tc = cl["channel"].str.startswith("T[")
        a, c = int(cl.loc[tc, "edited_only"].sum()), int(cl.loc[tc, "control_only"].sum())
        ae, ac = int(cl["edited_only"].sum()), int(cl["control_only"].sum())
        rows.append({"sample": stats["sample"], "control": stats["control"], "editor": editor.name,
                     "test": "tpc_context", "variants": "T[C>T]N (TpC) among C>T/G>A", "edited_only": a,
                     "control_only": c, "guide_like_excluded": 0, "detection_balance": float("nan"), "rate_ratio": float("nan"),
                     "rr_low": float("nan"), "rr_high": float("nan"), "p_value": float("nan"),
                     "share_edited": a / ae if ae else float("nan"), "share_control": c / ac if ac else float("nan"),
                     "share_p_value": fisher_2x2(a, ae - a, c, ac - c, alternative="greater")[1],
                     "callable_mb": mb, "detectable_excess": float("nan"), "detectable_per_mb_vaf50": float("nan"),
                     "detectable_per_mb_vaf20": float("nan"), "verdict": "reported"})
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def sentence(row, editor, power: float, per_mb: float, min_vaf: float) -> tuple[str, str]:
    """(en, zh) verdict sentence of the primary test row of one pair."""
    base = editor is not None and editor.kind == "base"
    what_en = f"{row['variants']} SNVs" if base else "indel loci"
    what_zh = f"{row['variants']} 单核苷酸变异" if base else "插入缺失位点"
    stat_en = (f"{row['edited_only']} edited-only vs {row['control_only']} control-only {what_en}, rate ratio "
               f"{_fmt(row['rate_ratio'])} (95 % CI {_fmt(row['rr_low'])}-{_fmt(row['rr_high'])}), one-sided exact "
               f"p = {_fmt(row['p_value'])}")
    stat_zh = (f"仅编辑样本 {row['edited_only']} 个、仅对照样本 {row['control_only']} 个{what_zh}，率比 "
               f"{_fmt(row['rate_ratio'])}（95 % CI {_fmt(row['rr_low'])}-{_fmt(row['rr_high'])}），单侧精确检验 "
               f"p = {_fmt(row['p_value'])}")
    det_en = (f"an excess of >= {_fmt(row['detectable_per_mb_vaf50'])} per Mb of clonal heterozygous variants "
              f"(VAF 0.5; >= {_fmt(row['detectable_per_mb_vaf20'])} per Mb at VAF 0.2) over "
              f"{_fmt(row['callable_mb'])} callable Mb would have been detected with {100 * power:.0f} % power")
    det_zh = (f"在 {_fmt(row['callable_mb'])} Mb 可判读基因组上，以 {100 * power:.0f} % 的检验效能可检出每 Mb ≥ "
              f"{_fmt(row['detectable_per_mb_vaf50'])} 个克隆性杂合变异（VAF 0.5；VAF 0.2 时每 Mb ≥ "
              f"{_fmt(row['detectable_per_mb_vaf20'])} 个）的超额")
    if base:
        tail_en = (f"; variants below VAF {min_vaf} (e.g. deamination spread over the cells of a polyclonal product) "
                   "are not measurable by this scan")
        tail_zh = f"；低于 VAF {min_vaf} 的变异（如分散于多克隆产品各细胞中的脱氨）本扫描无法测得"
    else:
        tail_en = (f"; {row['guide_like_excluded']} edited-only indel loci at guide-like sites (cuts, listed as calls) "
                   f"left out; variants below VAF {min_vaf} (present in few cells) are not measurable by this scan")
        tail_zh = (f"；{row['guide_like_excluded']} 个位于向导相似位点的仅编辑样本插入缺失位点（切割位点，已列为检出）未计入；"
                   f"低于 VAF {min_vaf} 的变异（仅存在于少数细胞）本扫描无法测得")
    pre_en = f"Genome-wide {row['sample']} vs {row['control']}: "
    pre_zh = f"全基因组 {row['sample']} 对 {row['control']}："
    if base:
        pre_en += f"{editor.name} base editor, its substitution class {row['variants']}: "
        pre_zh += f"{editor.name} 碱基编辑器，其替换类型 {row['variants']}："
    else:
        pre_en += (f"the substitution-class test does not apply to {editor.name if editor else 'a nuclease'} "
                   "(no deaminase), indel loci tested instead: ")
        pre_zh += f"替换类型检验不适用于 {editor.name if editor else '核酸酶'}（无脱氨酶），改为检验插入缺失位点："
    v = row["verdict"]
    if v == "excess":
        return (pre_en + f"EXCESS of {what_en} in the edited sample: {stat_en}" + tail_en,
                pre_zh + f"编辑样本中{what_zh}超额：{stat_zh}" + tail_zh)
    if v == "no_excess_detected":
        return (pre_en + f"no excess of {what_en} detected ({stat_en}); {det_en}" + tail_en,
                pre_zh + f"未检出{what_zh}超额（{stat_zh}）；{det_zh}" + tail_zh)
    return (pre_en + f"inconclusive for an excess of {what_en} ({stat_en}): only {det_en}, above the declared "
            f"{per_mb} per Mb (BE3's excess in Zuo et al. 2019)" + tail_en,
            pre_zh + f"{what_zh}是否超额不确定（{stat_zh}）：仅{det_zh}，高于声明的每 Mb {per_mb} 个"
            f"（Zuo 等 2019 年 BE3 的超额）" + tail_zh)


def editor_summary(stats: list[dict], editor, *, power: float, per_mb: float, table: pd.DataFrame | None = None
                   ) -> dict:
    """Spectrum and test tables of all pairs, key figures, verdict sentences and level, methods text.
    ``table``: the merged variant table (guide-like edited-only indel loci are left out of the indel test)."""
    spec = pd.concat([spectrum(s, editor_class(editor)) for s in stats], ignore_index=True) if stats else \
        pd.DataFrame(columns=SPECTRUM_COLUMNS)
    tests = pd.concat([pair_tests(s, editor, power, per_mb, guide_like_private_indels(table, s)) for s in stats],
                      ignore_index=True) if stats else pd.DataFrame(columns=TEST_COLUMNS)
    primary = "editor_class" if editor_class(editor) else "indel"
    key, en, zh, level = [], [], [], "pass"
    order = ["pass", "inconclusive", "attention"]
    min_vaf = stats[0]["parameters"]["min_vaf"] if stats else 0.05
    for s in stats:
        t = tests[(tests["sample"] == s["sample"]) & (tests["test"] == primary)].iloc[0]
        e, z = sentence(t, editor, power, per_mb, min_vaf)
        en.append(e)
        zh.append(z)
        lv = VERDICT_LEVEL[t["verdict"]]
        level = lv if order.index(lv) > order.index(level) else level
        key.append({"label_en": f"Genome-wide {t['variants']}, edited-only / control-only ({s['sample']}): "
                                f"rate ratio [95 % CI], p",
                    "label_zh": f"全基因组 {VARIANTS_ZH.get(t['variants'], t['variants'])}，仅编辑 / 仅对照（{s['sample']}）："
                                "率比 [95 % CI]，p",
                    "value": f"{t['edited_only']} / {t['control_only']}: {_fmt(t['rate_ratio'])} "
                             f"[{_fmt(t['rr_low'])}, {_fmt(t['rr_high'])}], p = {_fmt(t['p_value'])}"})
        key.append({"label_en": f"Genome-wide editor test verdict ({s['sample']}); detectable excess per Mb "
                                "(VAF 0.5, power)",
                    "label_zh": f"全基因组编辑器检验结论（{s['sample']}）；可检出的每 Mb 超额（VAF 0.5，检验效能）",
                    "value": f"{t['verdict']}; >= {_fmt(t['detectable_per_mb_vaf50'])} /Mb at {100 * power:.0f} %",
                    "value_zh": f"{VERDICT_ZH[t['verdict']]}；检验效能 {100 * power:.0f} % 时每 Mb ≥ "
                                f"{_fmt(t['detectable_per_mb_vaf50'])} 个"})
    cls = editor_class(editor)
    methods_en = (
        "Editor-aware genome-wide test: SNVs and indel loci private to each sample of a pair were counted both ways "
        "with one symmetric rule (both depths >= max(min_depth, min_control_depth), alt reads and VAF thresholds in "
        "the sample, <= max_control_alt alt reads in the other, one-sided Fisher p <= alpha), SNVs per trinucleotide "
        "channel (pyrimidine notation). The control-only count is the null. "
        + (f"For the {editor.name} base editor the test concerns its substitution class {PLUS[cls]} (guide-independent "
           "deamination: Zuo et al. 2019 Science 364:289; Jin et al. 2019 Science 364:292; Doman et al. 2020 "
           "Nat Biotechnol 38:620): " if cls else
           f"{editor.name if editor else 'Nuclease'}: no deaminase, so the substitution-class test does not apply; "
           "private indel loci (and all SNVs) are tested instead, leaving out edited-only indel loci at guide-like "
           "sites (the cuts, listed as calls and assessed per site): ")
        + "conditional exact binomial test of the edited-only count given the total, against the two directions' "
          "detection balance at the median depths; rate ratio with exact 95 % interval; the class's share of the "
          "private SNVs edited vs control (Fisher). 'No excess detected' only when the excess detectable with "
          f"{100 * power:.0f} % power is <= {per_mb} clonal heterozygous variants per Mb of callable genome (else "
          "'inconclusive'); the detectable excess is stated. Variants below min_vaf (deamination spread over a "
          "polyclonal product) are not measurable by bulk WGS."
    )
    methods_zh = (
        "编辑器相关的全基因组检验：对每对样本以同一对称规则双向计数各样本特有的 SNV 与插入缺失位点（两样本深度均 ≥ "
        "max(min_depth, min_control_depth)，该样本满足变异读段数与 VAF 阈值，另一样本变异读段 ≤ max_control_alt，"
        "单侧 Fisher p ≤ alpha），SNV 按三核苷酸通道（嘧啶表示法）计数；仅对照样本的计数作为零假设背景。"
        + (f"对 {editor.name} 碱基编辑器检验其替换类型 {PLUS[cls]}（不依赖向导的脱氨：Zuo 等 2019；Jin 等 2019；"
           "Doman 等 2020）：" if cls else
           f"{editor.name if editor else '核酸酶'}无脱氨酶，替换类型检验不适用，改为检验特有插入缺失位点（及全部 SNV），"
           "不计位于向导相似位点的仅编辑样本插入缺失位点（切割位点，已列为检出并按位点评估）：")
        + "在给定总数的条件下对仅编辑样本计数做精确二项检验（按中位深度下两方向检出能力校正），给出率比及精确 95 % "
          "区间，以及该类型占特有 SNV 比例的编辑 vs 对照比较（Fisher）。仅当以 "
          f"{100 * power:.0f} % 检验效能可检出的超额 ≤ 每 Mb 可判读基因组 {per_mb} 个克隆性杂合变异时才判为“未检出超额”，"
          "否则为“不确定”；并给出可检出的超额。低于 min_vaf 的变异（分散于多克隆产品中的脱氨）无法由群体 WGS 测得。"
    )
    return {"spectrum": spec, "tests": tests, "key_figures": key, "verdict_en": en, "verdict_zh": zh,
            "verdict_level": level, "methods_en": methods_en, "methods_zh": methods_zh}
