"""Off-target: summary.json content and the sensitivity of the search limits on published sites.

References: the published GUIDE-seq / CIRCLE-seq site tables in ../shared/data/offtarget/validated
(counted here directly from the raw files), and the candidate-site table of the demo search.
"""

from __future__ import annotations

import json
import re
from argparse import Namespace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file
from helpers import GENOME, GTF, GUIDES, TD, demo_sites, need_test_data

from cgtsafe.io.tables import write_table
from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.summarize import (
    VALIDATED_FILES,
    VALIDATED_TABLE,
    limits_sensitivity,
    run_summarize,
    validated_class_table,
)

DATA = Path(__file__).resolve().parents[1] / "src" / "cgtsafe" / "data"


@pytest.mark.realdata
def test_shipped_validated_table_matches_shared_data():
    d = shared_file("offtarget", "validated", VALIDATED_FILES[0][1]).parent
    shipped = pd.read_csv(DATA / VALIDATED_TABLE, sep="\t")
    fresh = validated_class_table(d)
    pd.testing.assert_frame_equal(shipped.reset_index(drop=True), fresh.reset_index(drop=True), check_dtype=False)


@pytest.mark.realdata
@pytest.mark.parametrize("mm,d,r,bmm", [(6, 1, 1, None), (4, 0, 0, None), (3, 1, 1, 2), (5, 2, 0, None)])
def test_limits_sensitivity_against_raw_files(mm, d, r, bmm):
    """Counts inside the limits, recomputed from the raw published rows."""
    perf = {p["metric"].split(": ", 1)[1]: p["value"] for p in
            limits_sensitivity({"max_mismatches": mm, "max_dna_bulge": d, "max_rna_bulge": r}, bmm)}
    for study, name in VALIDATED_FILES:
        raw = pd.read_csv(shared_file("offtarget", "validated", name), sep="\t")
        raw = raw[raw["target_with_pam"].str.len() == 23]
        b = raw["bulge"]
        inside = (raw["mismatches"] <= mm) & ((b == 0) | ((b <= min(d, r)) &
                                                          (raw["mismatches"] <= (mm if bmm is None else bmm))))
        k, n = int(inside.sum()), len(raw)
        assert perf[study].startswith(f"{k} of {n} sites"), (study, perf[study], k, n)


def _run_summary(tmp_path, **kw):
    sites = demo_sites(1, 1)
    write_table(sites, tmp_path / "sites.tsv")
    args = Namespace(out=str(tmp_path / "summary.json"), sites=str(tmp_path / "sites.tsv"), guides=str(GUIDES),
                     genome=str(GENOME), build="cgtsafe-synthetic-1", genes=str(GTF), genes_of_concern=None,
                     windows=[50000, 100000], species=[], species_labels=[], variants=[], vcfs=[], chunks=1,
                     hits=None, max_bulge_mismatches=2, **kw)
    run_summarize(args=args, nuclease=get_nuclease("SpCas9"), pam=None,
                  limits={"max_mismatches": 6, "max_dna_bulge": 1, "max_rna_bulge": 1})
    return sites, json.loads((tmp_path / "summary.json").read_text())


def test_summary_contract_and_figures(tmp_path):
    need_test_data()
    sites, s = _run_summary(tmp_path)
    off = sites[sites["category"] == "off_target"]
    kf = {k["label_en"]: k["value"] for k in s["key_figures"]}
    assert kf["candidate off-target sites"] == len(off)
    assert kf["high-priority off-target sites"] == int((off["priority"] == "high").sum())
    assert kf["off-targets in exons (CDS/UTR/exon)"] == int(off["feature"].isin(["cds", "utr5", "utr3", "exon"]).sum())
    assert kf["off-targets within 100,000 bp of a gene of concern"] == int(off["gene_of_concern"].sum())
    assert s["status"] == "computed" and s["verdict_level"] == "attention"
    assert "R004-42" not in s["requirements"] and "R004-39" in s["requirements"]
    for f in s["figures"]:
        fig = json.loads((tmp_path / f["path"]).read_text())
        assert fig["data"] and fig["layout"]["title"]
    g = pd.read_csv(tmp_path / "guides_summary.tsv", sep="\t").set_index("guide")
    assert g.loc["DEMO_g1", "on_target_sites"] == 1
    assert g.loc["DEMO_g1", "off_1mm"] == int(((off["guide"] == "DEMO_g1") & (off["mismatches"] == 1)
                                               & (off["dna_bulge"] + off["rna_bulge"] == 0)).sum())
    assert 0 < g.loc["DEMO_g1", "mit_specificity"] <= 100
    assert any(p["metric"].startswith("validated off-target sites inside") for p in s["performance"])


def test_methods_text_from_parameters(tmp_path):
    need_test_data()
    _, s = _run_summary(tmp_path)
    en, zh = s["methods_en"], s["methods_zh"]
    for needle in ("SpCas9", "NGG", "NAG, NGA", "<= 6 mismatches", "<= 1 DNA", "cgtsafe-synthetic-1", "genes.gtf",
                   "50,000 / 100,000", "PAM position", "CFD", "MIT"):
        assert needle in en, needle
    for needle in ("SpCas9", "NGG", "错配≤6个", "DNA凸起≤1个", "cgtsafe-synthetic-1", "关注基因", "穷举"):
        assert needle in zh, needle
    # proper Chinese: most letters are CJK once identifiers, numbers and names are removed
    letters = re.sub(r"[A-Za-z0-9_.,:;()\[\]/<>=+\-'\"%×≤ ]", "", zh)
    cjk = sum(1 for c in letters if "\u4e00" <= c <= "\u9fff")
    assert cjk / max(1, len(letters)) > 0.8


def test_summary_deterministic(tmp_path):
    need_test_data()
    _run_summary(tmp_path / "a")
    _run_summary(tmp_path / "b")
    a, b = (json.loads((tmp_path / x / "summary.json").read_text()) for x in "ab")
    assert a.pop("inputs") != b.pop("inputs")  # the paths given differ ...
    assert a == b  # ... everything else is identical
    for name in ("guides_summary.tsv", "figures/sites_by_mismatches.json",
                 "figures/cfd_distribution.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_guide_without_any_site_end_to_end(tmp_path):
    """A guide with no site within the limits: every step writes its (empty) table; the verdict says so."""
    need_test_data()
    from cgtsafe.cli import main

    g = tmp_path / "g.tsv"
    g.write_text("name\tspacer\nNOHIT\tACGTTGCAACGTTGCAACGT\n")
    lim = ["--guides", str(g), "--max-mismatches", "0"]
    p = {k: str(tmp_path / k) for k in ("c1.tsv", "hits.tsv", "sites.tsv", "species_x.tsv", "variants_d.tsv",
                                         "summary.json")}
    assert main(["offtarget", "search", "--genome", str(GENOME), "--guides", str(g), "--max-mismatches", "0",
                 "--out", p["c1.tsv"]]) == 0
    assert main(["offtarget", "merge", "--inputs", p["c1.tsv"], "--out", p["hits.tsv"]]) == 0
    assert main(["offtarget", "annotate", "--hits", p["hits.tsv"], "--genes", str(GTF), "--out", p["sites.tsv"]]) == 0
    assert main(["offtarget", "species", "--sites", p["sites.tsv"], "--genome", str(GENOME), "--animal-genome",
                 str(TD / "genome" / "animal.fa.gz"), "--label", "x", *lim, "--out", p["species_x.tsv"]]) == 0
    assert main(["offtarget", "variants", "--vcf", str(TD / "offtarget" / "donor.vcf"), "--label", "d", "--genome",
                 str(GENOME), *lim, "--out", p["variants_d.tsv"]]) == 0
    assert main(["offtarget", "summarize", "--sites", p["sites.tsv"], *lim, "--genome", str(GENOME), "--species",
                 p["species_x.tsv"], "--variants", p["variants_d.tsv"], "--out", p["summary.json"]]) == 0
    s = json.loads(Path(p["summary.json"]).read_text())
    assert "No perfect on-target site for: NOHIT" in s["verdict_en"] and s["verdict_level"] == "attention"
    assert pd.read_csv(tmp_path / "species_x.guides.tsv", sep="\t")["on_target_conserved"].tolist() == \
        ["no_human_on_target"]


def test_streamed_site_counts_match_the_frame(tmp_path):
    """The summary aggregates sites.tsv block by block: counts, CFD bins and the CRISPOR specificity sums equal
    those computed on the whole frame (scoring.guide_specificity, pandas masks), whatever the block size; a
    second perfect site of a guide is summed (only the first is dropped, as guide_specificity does)."""
    need_test_data()
    from cgtsafe.offtarget.scoring import guide_specificity
    from cgtsafe.offtarget.summarize import SiteCounts, guide_summary, iter_summary_sites, read_summary_sites
    from cgtsafe.offtarget.search import read_guides

    sites = demo_sites(1, 1)
    on = sites[sites["category"] == "on_target"].iloc[[0]].assign(start=1, site_id="x:dup")  # 2nd perfect site
    sites = pd.concat([sites.iloc[: len(sites) // 2], on, sites.iloc[len(sites) // 2:]], ignore_index=True)
    write_table(sites, tmp_path / "sites.tsv")
    sites = pd.read_csv(tmp_path / "sites.tsv", sep="\t", keep_default_na=False, na_values={"cfd": [""], "mit": [""]})
    ref = guide_specificity(sites).set_index("guide")  # on the values as written (6 significant digits)
    whole = read_summary_sites(tmp_path / "sites.tsv")
    for block_rows in (3, 50, 10**6):
        t = SiteCounts()
        for b in iter_summary_sites(tmp_path / "sites.tsv", block_rows=block_rows):
            t.add(b)
        assert t.counts == whole.counts and t.rows == len(sites) and t.loci == int(sites["loci"].sum())
        spec = t.specificity().set_index("guide")
        for c in ("mit_sum", "cfd_sum", "n_unscored", "mit_specificity", "cfd_specificity"):
            assert spec[c].to_dict() == ref[c].to_dict(), c  # exactly: same values summed in the same order
        off = sites[sites["category"] != "on_target"]
        for g in ref.index:
            v = off[off["guide"] == g]["cfd"].dropna().to_numpy()
            k = np.clip(np.floor(np.round(v * 20, 6)), 0, 19).astype(np.int64)
            assert t.hist[g].tolist() == np.bincount(k, minlength=20).tolist()
    gs = guide_summary(whole, read_guides(GUIDES, get_nuclease("SpCas9")), [50000, 100000]).set_index("guide")
    for g, row in gs.iterrows():
        o = off[off["guide"] == g]
        nb = (o["dna_bulge"] + o["rna_bulge"]) == 0
        assert row["off_target_sites"] == len(o)
        assert row["on_target_sites"] == int(((sites["guide"] == g) & (sites["category"] == "on_target")).sum())
        assert [row[f"off_{k}mm"] for k in range(7)] == [int(((o["mismatches"] == k) & nb).sum()) for k in range(7)]
        assert row["off_high_priority"] == int((o["priority"] == "high").sum())
        assert row["off_exonic"] == int(o["feature"].isin(["cds", "utr5", "utr3", "exon"]).sum())
        assert row["off_gene_of_concern"] == int((o["gene_of_concern"] == 1).sum())
