"""Plan parts added for the genome-wide region jobs and the donor-allele sites (plain dict configs)."""

from __future__ import annotations

import copy
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from cgtsafe.config import validate_config
from cgtsafe.plan import Plan

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo(monkeypatch):
    if not (REPO / "test-data" / "genome" / "ref.fa").exists():
        pytest.skip("test-data absent")
    monkeypatch.chdir(REPO)
    raw = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return validate_config(raw, schema_dir=REPO / "workflow" / "schemas")


def test_region_jobs(demo):
    assert Plan(copy.deepcopy(demo), root="out").genomewide.region_jobs == 1  # schema default
    demo["sitecheck"]["genomewide"]["region_jobs"] = 4
    gw = Plan(copy.deepcopy(demo), root="out").genomewide
    assert gw.region_jobs == 4
    w = SimpleNamespace(sample="EDITED_D1")
    assert gw.region_parts(".tsv")(w) == [f"out/sitecheck/genomewide/EDITED_D1.part{i}.tsv" for i in range(1, 5)]
    assert gw.region_parts(".json")(w)[-1] == "out/sitecheck/genomewide/EDITED_D1.part4.json"


def test_donor_variant_tables_join_the_sitecheck_arguments(demo):
    sc = Plan(copy.deepcopy(demo), root="out").sitecheck
    assert sc.variant_tables == ["out/offtarget/variants_donor.tsv"]
    w = shlex.split(sc.common_args())
    assert w[w.index("--variant-sites") + 1] == "out/offtarget/variants_donor.tsv"
    for off in ({"sitecheck": {"variant_sites": False}}, {"offtarget": {"enabled": False}}):
        cfg = copy.deepcopy(demo)
        for k, v in off.items():
            cfg[k].update(v)
        sc = Plan(cfg, root="out").sitecheck
        assert sc.variant_tables == [] and "--variant-sites" not in sc.common_args()
