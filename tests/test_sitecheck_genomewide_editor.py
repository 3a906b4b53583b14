"""Editor-aware genome-wide test (cgtsafe.sitecheck.genomewide_editor): private variants counted both ways on
hand-built alignments (exact), the exact test against scipy, and the verdicts on private-SNV tables simulated
read by read (numpy, fixed seeds): false-positive rate without an excess, detection of a planted C>T excess, the
stated power against the simulated one, and no reassurance from a small callable genome."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats as st

from cgtsafe.sitecheck import genomewide as gw
from cgtsafe.sitecheck import genomewide_editor as ge
from cgtsafe.sitecheck.editors import get_editor
from helpers import write_toy_bam, write_toy_ref

PARAMS = {"min_alt_reads": 3, "min_indel_reads": 2, "min_depth": 10, "min_control_depth": 10, "min_vaf": 0.05,
          "alpha": 0.05, "max_control_alt": 1}
#: background spectrum of private SNVs (share per pyrimidine class; roughly the aging/culture spectrum)
BACKGROUND = {"C>A": 0.12, "C>G": 0.08, "C>T": 0.40, "T>A": 0.10, "T>C": 0.20, "T>G": 0.10}
CBE, ABE, PE = get_editor("CBE"), get_editor("ABE"), get_editor("PE")


# ------------------------------------------------------------------------------------------------
# read-level simulation of the private-SNV tables of one pair


def _detected(rng, n: int, depth: float, other: float, vaf) -> int:
    """How many of ``n`` true private SNVs (VAF ``vaf``: a number or 'uniform' 0.1-0.5) pass the private rule
    at Poisson depths (the other sample has no alt read)."""
    if n == 0:
        return 0
    d = rng.poisson(depth, n)
    o = rng.poisson(other, n)
    f = rng.uniform(0.1, 0.5, n) if vaf == "uniform" else np.full(n, float(vaf))
    k = rng.binomial(d, f)
    sym = max(PARAMS["min_depth"], PARAMS["min_control_depth"])
    ok = (d >= sym) & (o >= sym) & (k >= PARAMS["min_alt_reads"]) & (k >= PARAMS["min_vaf"] * d)
    p = st.hypergeom.sf(k - 1, d + o, k, d)  # one-sided Fisher, other sample 0 alt
    return int((ok & (p <= PARAMS["alpha"])).sum())


def simulate_pair(rng, *, n_true: float, depth_e=30.0, depth_c=30.0, planted_ct=0.0, planted_vaf="uniform",
                  callable_mb=2800.0) -> dict:
    """Stats of one pair as the scan writes them: private SNVs per channel in both samples, drawn read by read:
    ``n_true`` true private SNVs expected per sample (background spectrum), plus ``planted_ct`` C>T SNVs in the
    edited sample."""
    e, c = {}, {}
    for cls, share in BACKGROUND.items():
        for out, dx, dy, extra in ((e, depth_e, depth_c, planted_ct if cls == "C>T" else 0.0), (c, depth_c, depth_e, 0)):
            n = _detected(rng, rng.poisson(n_true * share), dx, dy, "uniform")
            n += _detected(rng, rng.poisson(extra), dx, dy, planted_vaf) if extra else 0
            if n:
                out[f"T[{cls}]A"] = n
    return {"sample": "E", "control": "C", "parameters": PARAMS, "median_edited_depth": depth_e,
            "median_control_depth": depth_c, "private_callable_bp": int(callable_mb * 1e6), "private_e": e,
            "private_c": c}


def _verdicts(tests, editor=CBE, power=0.8, per_mb=0.1, test="editor_class"):
    out = []
    for s in tests:
        t = ge.pair_tests(s, editor, power, per_mb)
        out.append(t[t["test"] == test].iloc[0])
    return out


# ------------------------------------------------------------------------------------------------
# statistics against independent references


@pytest.mark.parametrize("a,c", [(20, 5), (7, 0), (0, 9), (30, 28), (1, 1)])
def test_rate_test_matches_scipy_binomtest(a, c):
    r = ge.rate_test(a, c, 1.0)
    ref = st.binomtest(a, a + c, 0.5, alternative="greater")
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    ci = st.binomtest(a, a + c, 0.5).proportion_ci(0.95, method="exact")
    lo, hi = ci.low / (1 - ci.low), (ci.high / (1 - ci.high) if ci.high < 1 else np.inf)
    assert r["rr_low"] == pytest.approx(lo, rel=1e-6)
    assert r["rr_high"] == pytest.approx(hi, rel=1e-6) if np.isfinite(hi) else np.isinf(r["rr_high"])


@pytest.mark.parametrize("mu,excess", [(0.0, 7.0), (5.0, 10.0), (40.0, 25.0), (40.0, 0.0)])
def test_rejection_power_matches_monte_carlo(mu, excess):
    """The power formula behind the stated detectable excess, against direct Poisson sampling of both counts."""
    rng = np.random.default_rng(11)
    a = rng.poisson(mu + excess, 20000)
    c = rng.poisson(mu, 20000)
    n = a + c
    p = np.where(n > 0, st.binom.sf(a - 1, np.maximum(n, 1), 0.5), 1.0)
    sim = float((p <= 0.05).mean())
    assert ge.rejection_power(mu, 1.0, excess, 0.05) == pytest.approx(sim, abs=0.015)


def test_detectable_excess_is_where_power_reaches_the_target():
    for mu in (0.0, 3.0, 100.0):
        e = ge.detectable_excess(mu, 1.0, 0.05, 0.8)
        assert ge.rejection_power(mu, 1.0, e, 0.05) >= 0.8 > ge.rejection_power(mu, 1.0, 0.97 * e, 0.05)
    # with no private variant at all, 5 edited-only ones are needed (0.5^5 < 0.05): P(Poisson(E) >= 5) = 0.8
    from scipy.optimize import brentq

    want = brentq(lambda lam: st.poisson.sf(4, lam) - 0.8, 1, 20)
    assert ge.detectable_excess(0.0, 1.0, 0.05, 0.8) == pytest.approx(want, rel=2e-3)


@pytest.mark.parametrize("five,ref,alt,three,want", [("T", "C", "T", "A", "T[C>T]A"), ("T", "G", "A", "A", "T[C>T]A"),
                                                     ("A", "A", "G", "C", "G[T>C]T"), ("N", "C", "G", "G", "N[C>G]G")])
def test_sbs_channel_pyrimidine_notation(five, ref, alt, three, want):
    from cgtsafe.sitecheck.genomewide_call import sbs_channel

    assert sbs_channel(five, ref, alt, three) == want


def test_editor_classes():
    assert ge.editor_class(CBE) == "C>T" and ge.editor_class(get_editor("BE4max")) == "C>T"
    assert ge.editor_class(ABE) == "T>C" and ge.editor_class(get_editor("ABE8e")) == "T>C"
    assert ge.editor_class(PE) is None and ge.editor_class(get_editor("nuclease")) is None


# ------------------------------------------------------------------------------------------------
# verdicts on simulated pairs


@pytest.mark.parametrize("depth_e,depth_c", [(30.0, 30.0), (45.0, 25.0), (20.0, 40.0)])
def test_false_positive_rate_without_excess(depth_e, depth_c):
    """No editor effect (same true private SNVs in both samples): 'excess' in at most alpha of 400 pairs
    (+ 2.5 Monte Carlo standard errors), also when the depths differ."""
    rng = np.random.default_rng(2024)
    v = _verdicts([simulate_pair(rng, n_true=60, depth_e=depth_e, depth_c=depth_c) for _ in range(400)])
    fpr = np.mean([r["verdict"] == "excess" for r in v])
    assert fpr <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / 400), fpr
    # ... and the same for the other classes and all SNVs: the test's level holds whatever the class
    for test in ("all_snv", "other_snv"):
        v = _verdicts([simulate_pair(rng, n_true=60, depth_e=depth_e, depth_c=depth_c) for _ in range(200)], test=test)
        assert np.mean([r["verdict"] == "excess" for r in v]) <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / 200)


def test_planted_ct_excess_is_detected_and_specific_to_the_cbe_class():
    """A BE3-like excess (20-fold the background C>T) is called 'excess' by the CBE test in >= 95 % of pairs,
    enriched in the class share; the ABE class test (T>C) stays at its level."""
    rng = np.random.default_rng(7)
    pairs = [simulate_pair(rng, n_true=30, planted_ct=20 * 30 * BACKGROUND["C>T"]) for _ in range(200)]
    cbe = _verdicts(pairs)
    assert np.mean([r["verdict"] == "excess" for r in cbe]) >= 0.95
    assert np.mean([r["share_p_value"] <= 0.05 for r in cbe]) >= 0.9
    assert all(r["rate_ratio"] > 5 for r in cbe)
    abe = _verdicts(pairs, editor=ABE)
    assert np.mean([r["verdict"] == "excess" for r in abe]) <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / 200)


def test_stated_detectable_excess_is_detected_with_the_stated_power():
    """Plant exactly the excess the test says it would detect with 80 % power (clonal, VAF 0.5): it is called
    'excess' in >= 80 % of simulated pairs (minus Monte Carlo error)."""
    rng = np.random.default_rng(5)
    null = [simulate_pair(rng, n_true=40, callable_mb=100.0) for _ in range(50)]
    t = _verdicts(null)
    per_mb = float(np.median([r["detectable_per_mb_vaf50"] for r in t]))
    planted = per_mb * 100.0  # true clonal heterozygous C>T SNVs over the 100 callable Mb
    pairs = [simulate_pair(rng, n_true=40, planted_ct=planted, planted_vaf=0.5, callable_mb=100.0)
             for _ in range(800)]
    hit = np.mean([r["verdict"] == "excess" for r in _verdicts(pairs)])
    assert hit >= 0.8 - 2.5 * np.sqrt(0.8 * 0.2 / 800), (hit, per_mb)


def test_no_reassurance_without_power():
    """A demo-sized callable genome (2 Mb) cannot show the absence of a BE3-like excess: inconclusive, with
    the detectable excess stated; a 30x human genome (2,800 Mb) can: no_excess_detected."""
    rng = np.random.default_rng(3)
    small = _verdicts([simulate_pair(rng, n_true=0.5, callable_mb=2.0) for _ in range(20)])
    assert {r["verdict"] for r in small} <= {"inconclusive", "excess"}
    assert all(r["detectable_per_mb_vaf50"] > 0.1 for r in small)
    big = _verdicts([simulate_pair(rng, n_true=60, callable_mb=2800.0) for _ in range(50)])
    share = np.mean([r["verdict"] == "no_excess_detected" for r in big])
    assert share >= 0.9 and all(r["detectable_per_mb_vaf50"] < 0.1 for r in big if r["verdict"] != "excess")
    s = simulate_pair(rng, n_true=60, callable_mb=2800.0)
    row = ge.pair_tests(s, CBE, 0.8, 0.1).iloc[0]
    en, zh = ge.sentence(row, CBE, 0.8, 0.1, 0.05)
    if row["verdict"] == "no_excess_detected":
        assert "would have been detected with 80 % power" in en and "检验效能" in zh
    # at 10x the rule cannot be met at all: no power, never 'no excess'
    low = _verdicts([simulate_pair(rng, n_true=60, depth_e=8.0, depth_c=8.0) for _ in range(5)])
    assert {r["verdict"] for r in low} == {"inconclusive"}


def test_prime_editor_and_nuclease_get_the_indel_balance():
    s = simulate_pair(np.random.default_rng(1), n_true=30)
    s["private_e"]["INDEL"], s["private_c"]["INDEL"] = 25, 4
    for ed in (PE, get_editor("nuclease"), get_editor("HDR")):
        t = ge.pair_tests(s, ed, 0.8, 0.1)
        assert list(t["test"]) == ["indel", "all_snv"]
        row = t.iloc[0]
        assert (row["edited_only"], row["control_only"], row["verdict"]) == (25, 4, "excess")
        en, _ = ge.sentence(row, ed, 0.8, 0.1, 0.05)
        assert "does not apply" in en and "EXCESS of indel loci" in en
    # edited-only indel loci at guide-like sites (the cuts) are left out of the indel test
    import pandas as pd

    table = pd.DataFrame({"sample": ["E"] * 4, "type": ["INDEL", "INDEL", "INDEL", "SNV"],
                          "guide_like": [1, 1, 0, 1], "edited_depth": [30, 9, 30, 30], "control_depth": [30, 30, 30, 30],
                          "p_value": [1e-6, 1e-6, 1e-6, 1e-6]})
    n = ge.guide_like_private_indels(table, s)
    assert n == 1  # the second is below the symmetric depth, the third is not guide-like, the fourth an SNV
    row = ge.pair_tests(s, PE, 0.8, 0.1, guide_like_indels=n).iloc[0]
    assert (row["edited_only"], row["guide_like_excluded"]) == (24, 1)


# ------------------------------------------------------------------------------------------------
# the scan counts private variants both ways (hand-built alignments)


@pytest.fixture(scope="module")
def private_toy(tmp_path_factory):
    """40x both samples over 3 kb: edited-only C>T at 1000 (12 reads), control-only A>G at 2000 (10 reads),
    a shared SNV at 500 (germline), and an edited-only 1-bp deletion at 1500."""
    d = tmp_path_factory.mktemp("private")
    rng = np.random.default_rng(9)
    ref = list("".join(rng.choice(list("ACGT"), size=3000)))
    ref[999], ref[1000], ref[1001] = "T", "C", "A"
    ref[1999], ref[2000], ref[2001] = "C", "A", "G"
    ref = "".join(ref)
    write_toy_ref(d / "ref.fa", ref)

    def reads(edited: bool):
        out = []
        for i in range(40):
            for base in (380, 880, 1380, 1880):
                s = base + i * 3
                seq = list(ref[s:s + 150])
                for pos, alt, who, every in ((500, "T" if ref[500] != "T" else "G", None, 2),
                                             (1000, "T", True, 3), (2000, "G", False, 4)):
                    if s <= pos < s + 150 and (who is None or who == edited) and i % every == 0:
                        seq[pos - s] = alt
                if edited and base == 1380 and i % 4 == 1 and s < 1500 < s + 149:
                    seq = list(ref[s:1500] + ref[1501:s + 151])
                    out.append((s, f"{1500 - s}M1D{150 - (1500 - s)}M", "".join(seq)))
                    continue
                out.append((s, "150M", "".join(seq)))
        return out

    write_toy_bam(d / "ed.bam", ref, reads(True), "ED")
    write_toy_bam(d / "ct.bam", ref, reads(False), "CT")
    return d


def test_scan_counts_private_variants_of_both_samples(private_toy):
    d = private_toy
    _, stats = gw.scan(d / "ed.bam", d / "ct.bam", d / "ref.fa", params=gw.Params(chunk_size=1000))
    assert stats["private_e"] == {"T[C>T]A": 1, "INDEL": 1}
    assert stats["private_c"] == {"C[T>C]G": 1}  # A>G with 5' C, 3' G -> reverse complement C[T>C]G
    assert stats["shared_snv"] >= 1
    # symmetric: swapping the samples swaps the private counts (the rule is the same both ways)
    _, sw = gw.scan(d / "ct.bam", d / "ed.bam", d / "ref.fa", params=gw.Params(chunk_size=1000))
    assert (sw["private_e"], sw["private_c"]) == (stats["private_c"], stats["private_e"])
    assert sw["private_callable_bp"] == stats["private_callable_bp"] > 0


def test_summary_cli_writes_the_editor_test(private_toy, tmp_path, capsys):
    from cgtsafe.cli import main

    d = private_toy
    pair = ["--edited", str(d / "ed.bam"), "--control", str(d / "ct.bam"), "--sample", "ED", "--control-name", "CT",
            "--reference", str(d / "ref.fa")]
    assert main(["sitecheck", "genomewide", *pair, "--out", str(tmp_path / "E.tsv"), "--stats",
                 str(tmp_path / "E.json")]) == 0
    args = ["sitecheck", "genomewide-summary", "--tables", str(tmp_path / "E.tsv"), "--stats", str(tmp_path / "E.json"),
            "--out-table", str(tmp_path / "v.tsv"), "--out-sensitivity", str(tmp_path / "s.tsv"),
            "--out-figure", str(tmp_path / "f.json"), "--out", str(tmp_path / "gs.json")]
    assert main([*args, "--editor", "BE4max"]) == 0
    s = json.loads((tmp_path / "gs.json").read_text())
    assert s["verdict_level"] == "inconclusive"  # 3 kb cannot show the absence of an excess
    assert "C>T/G>A" in s["verdict_en"][0] and "不确定" in s["verdict_zh"][0]
    for item in s["tables"]:
        assert (tmp_path / item["path"]).exists()
    import pandas as pd

    spec = pd.read_csv(tmp_path / "genomewide_spectrum.tsv", sep="\t")
    assert len(spec) == 97 and spec["edited_only"].sum() == 2 and spec["control_only"].sum() == 1
    assert int(spec.loc[spec["channel"] == "T[C>T]A", "editor_class"].iloc[0]) == 1
    capsys.readouterr()
    (tmp_path / "gs.json").unlink()
    rc = main([*args, "--editor", "BE99"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "unknown editor 'BE99'" in err[0]
    assert not (tmp_path / "gs.json").exists()


@pytest.mark.parametrize("n", [2, 3])
def test_region_jobs_sum_to_the_unsplit_private_counts(private_toy, n):
    d = private_toy
    params = gw.Params(chunk_size=1000)  # 3 chunks; the private SNVs at 1000 and 2000 sit on chunk borders
    _, whole = gw.scan(d / "ed.bam", d / "ct.bam", d / "ref.fa", params=params)
    parts = [gw.scan_raw(d / "ed.bam", d / "ct.bam", d / "ref.fa", params=params, chunk=(i, n)) for i in range(1, n + 1)]
    _, merged = gw.finalize([p[0] for p in parts], [p[1] for p in parts], {"c1": 3000}, params)
    for k in ("private_e", "private_c", "private_callable_bp"):
        assert merged[k] == whole[k], k
