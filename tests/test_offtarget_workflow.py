"""Off-target: the workflow rules (workflow/rules/offtarget.smk) and the summary.

The rules run in a scratch copy of the workflow (symlinks to the checkout's rules, schemas, src and
test-data) whose Snakefile includes only common.smk and offtarget.smk, so the test does not depend on
the other analyses. The full demo run (slow) checks the outputs against the planted truth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import need_test_data, truth

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")

SNAKEFILE = """configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/offtarget.smk"


rule all:
    input:
        "results/offtarget/summary.json",
"""


def make_workdir(tmp: Path, **offtarget) -> Path:
    (tmp / "workflow").mkdir(parents=True)
    (tmp / "config").mkdir()
    for name, target in (("workflow/rules", "workflow/rules"), ("workflow/schemas", "workflow/schemas"),
                         ("src", "src"), ("envs", "envs"), ("test-data", "test-data")):
        (tmp / name).symlink_to(REPO / target)
    (tmp / "workflow" / "Snakefile").write_text(SNAKEFILE)
    cfg = yaml.safe_load((REPO / "test-data" / "demo" / "config.yaml").read_text())
    cfg["offtarget"].update(offtarget)
    if offtarget.get("enabled") is False:  # sitecheck needs the off-target sites.tsv (a config error without it)
        cfg["sitecheck"]["enabled"] = False
    (tmp / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return tmp


def snakemake(workdir: Path, *args: str, timeout: int = 170) -> subprocess.CompletedProcess:
    if not SNAKEMAKE.exists():
        pytest.skip(f"snakemake absent: {SNAKEMAKE}")
    return subprocess.run([str(SNAKEMAKE), "-s", "workflow/Snakefile", *args], cwd=workdir, capture_output=True,
                          text=True, timeout=timeout)


def test_lint_clean_for_offtarget_rules(tmp_path):
    """No snakemake --lint finding in offtarget.smk (common.smk belongs to the workflow entry and is linted there)."""
    need_test_data()
    proc = snakemake(make_workdir(tmp_path), "--lint")
    text = proc.stdout + proc.stderr
    blocks = text.split("Lints for ")
    ours = [b for b in blocks[1:] if b.strip() and "offtarget.smk" in b.splitlines()[0]]
    assert not ours, ours[0] if ours else ""
    assert "Error" not in text and "Traceback" not in text, text


def test_dry_run_plans_chunks_species_variants(tmp_path):
    need_test_data()
    proc = snakemake(make_workdir(tmp_path, chunks=5), "-n", "--cores", "2")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for rule, n in (("offtarget_search", 5), ("offtarget_merge", 1), ("offtarget_annotate", 1),
                    ("offtarget_species", 1), ("offtarget_variants", 1), ("offtarget_summarize", 1)):
        line = next((ln for ln in out.splitlines() if ln.strip().startswith(rule + " ")), "")
        assert line.split()[-1] == str(n), (rule, out)


@pytest.mark.parametrize("key,value,expect", [
    ("species", [{"label": "pig", "genome": "test-data/genome/no_such_pig.fa"}],
     "key 'offtarget.species[0].genome': file 'test-data/genome/no_such_pig.fa' does not exist"),
    ("variants", [{"label": "donor", "vcf": "test-data/offtarget/missing.vcf"}],
     "key 'offtarget.variants[0].vcf': file 'test-data/offtarget/missing.vcf' does not exist"),
    ("species", [{"label": "M f", "genome": "test-data/genome/animal.fa.gz"},
                 {"label": "M_f", "genome": "test-data/genome/animal.fa.gz"}], "labels must differ"),
    ("guides", "test-data/offtarget/none.tsv", "offtarget.guides"),
])
def test_bad_config_one_line(tmp_path, key, value, expect):
    need_test_data()
    proc = snakemake(make_workdir(tmp_path, **{key: value}), "-n", "--cores", "1")
    assert proc.returncode != 0
    err = [ln for ln in proc.stderr.splitlines() if ln.startswith("cgtsafe: error:")]
    assert len(err) == 1 and expect in err[0], proc.stderr
    assert not (tmp_path / "results").exists()


def test_disabled_writes_not_applicable_rule(tmp_path):
    need_test_data()
    proc = snakemake(make_workdir(tmp_path, enabled=False), "-n", "--cores", "1")
    assert proc.returncode == 0, proc.stderr
    assert "offtarget_not_applicable" in proc.stdout and "offtarget_search" not in proc.stdout


@pytest.mark.slow
def test_demo_run_end_to_end(tmp_path):
    """The demo config: every planted site found, species and variant truth, summary contract."""
    need_test_data()
    wd = make_workdir(tmp_path)
    proc = snakemake(wd, "--cores", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = wd / "results" / "offtarget"
    import pandas as pd

    sites = pd.read_csv(res / "sites.tsv", sep="\t", keep_default_na=False)
    t = truth()
    cfg = yaml.safe_load((wd / "config" / "config.yaml").read_text())["offtarget"]
    bulged = (t["dna_bulge"] + t["rna_bulge"]) > 0
    within = (t["dna_bulge"] <= cfg["max_dna_bulge"]) & (t["rna_bulge"] <= cfg["max_rna_bulge"]) & \
        (t["mismatches"] <= cfg["max_mismatches"]) & (~bulged | (t["mismatches"] <= cfg["max_bulge_mismatches"]))
    want = t[(t["category"] != "variant_created") & within]
    assert len(want) >= 20
    missing = sorted(set(want["site_id"]) - set(sites["site_id"]))
    assert not missing, f"planted sites missing from sites.tsv: {missing}"

    sp = pd.read_csv(next(res.glob("species_*[!s].tsv")), sep="\t", keep_default_na=False).set_index("site_id")
    for r in t[t["animal_mismatches"] != ""].itertuples(index=False):
        assert str(sp.loc[r.site_id, "animal_mismatches"]) == r.animal_mismatches, r.site_id

    var = pd.read_csv(res / "variants_donor.tsv", sep="\t", keep_default_na=False)
    for cat, eff in (("variant_created", "created"), ("variant_lowered", "lowered")):
        sid = t.query("category == @cat")["site_id"].iloc[0]
        assert var.set_index("site_id").loc[sid, "effect"] == eff

    s = json.loads((res / "summary.json").read_text())
    assert s["analysis"] == "offtarget" and s["status"] == "computed"
    assert s["verdict_level"] == "attention"  # planted 1-mismatch off-targets are high priority
    assert {"R004-38", "R004-39", "R004-40", "R004-42", "R002-30", "R002-31", "R002-32"} <= set(s["requirements"])
    for item in s["tables"] + s["figures"]:
        assert (res / item["path"]).exists(), item
    assert "一" not in s["methods_en"] and "脱靶" in s["methods_zh"] and "minimap2" in s["methods_zh"]
    assert "PAM position" in s["methods_en"]  # the one-hit-per-locus rule quoted from the search
    assert str(cfg["max_mismatches"]) in s["methods_en"]
    kf = {k["label_en"]: k["value"] for k in s["key_figures"]}
    assert kf["candidate off-target sites"] == int((sites["category"] == "off_target").sum())
    g = pd.read_csv(res / "guides_summary.tsv", sep="\t")
    assert (g["on_target_sites"] == 1).all()
    # nothing left to do after a complete run
    proc = snakemake(wd, "-n", "--cores", "2")
    assert proc.returncode == 0 and "Nothing to be done" in proc.stdout + proc.stderr


def test_disabled_run_writes_not_applicable_summary(tmp_path):
    need_test_data()
    wd = make_workdir(tmp_path, enabled=False)
    proc = snakemake(wd, "--cores", "1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    s = json.loads((wd / "results" / "offtarget" / "summary.json").read_text())
    assert s["status"] == "not_applicable" and "offtarget.enabled" in s["reason"]
    assert not (wd / "results" / "offtarget" / "sites.tsv").exists()
