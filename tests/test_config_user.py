"""A user's config never inherits the demo's values (issue 13).

A trimmed config (product + reference only) is run through the whole workflow in a scratch folder: the
resolved config, the provenance record and the report must not contain anything of the demo product
(its imported GLP studies, its TCR peptide, its truth validation, its sample sheets). ``cgtsafe init``
writes a config that the checks refuse until the REQUIRED keys are written, and that runs once they are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cgtsafe.cli import main

SNAKEMAKE = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or shutil.which("snakemake")

#: strings that only the demo config carries (test-data/demo/config.yaml)
DEMO_MARKERS = ("DEMO-TOX-007", "DEMO-TOX-009", "DEMO-CMC-014", "EVDPIGHLY",
                "samples_wgs.tsv", "samples_amplicon.tsv", "samples_integration.tsv", "DEMO-KO-CAR-T",
                "Demo sponsor", "test-data/tcr", "test-data/imported", "Macaca fascicularis")


def _trimmed(repo: Path) -> dict:
    return {
        "product": {"name": "ACME-CAR19", "modality": ["car_t"], "track": "nmpa_ind", "sponsor": "ACME Bio"},
        "reference": {"genome": str(repo / "test-data" / "genome" / "ref.fa"),
                      "genes": str(repo / "test-data" / "genome" / "genes.gtf")},
    }


def test_demo_config_not_loaded_by_default(repo):
    snakefile = (repo / "workflow" / "Snakefile").read_text()
    assert "configfile:" not in snakefile.replace("--configfile", "")
    assert not (repo / "config" / "config.yaml").exists()


def test_schema_defaults_point_at_no_demo_file(repo):
    from cgtsafe.config import composed_schema

    def walk(node, key=""):
        if isinstance(node, dict):
            if "default" in node:
                yield key, node["default"]
            for k, v in node.items():
                yield from walk(v, f"{key}.{k}" if key else k)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v, key)

    bad = [(k, v) for k, v in walk(composed_schema(repo / "workflow" / "schemas"))
           if isinstance(v, str) and ("test-data" in v or "config/" in v or "shared" in v)]
    assert not bad, bad


@pytest.mark.slow
def test_trimmed_user_config_shows_no_demo_value(repo, tmp_path):
    if SNAKEMAKE is None:
        pytest.skip("snakemake executable not found")
    cfg = tmp_path / "my.yaml"
    cfg.write_text(yaml.safe_dump(_trimmed(repo)))
    proc = subprocess.run([SNAKEMAKE, "--cores", "2", "--snakefile", str(repo / "workflow" / "Snakefile"),
                           "--directory", str(tmp_path), "--configfile", str(cfg)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    resolved = yaml.safe_load((tmp_path / "results" / "resolved_config.yaml").read_text())
    assert resolved["report"]["imported"] == []
    assert resolved["report"]["truth"] is None and resolved["report"]["reference_data"] is None
    assert resolved["tcr"]["peptides"] == [] and resolved["tcr"]["enabled"] is False
    assert resolved["sitecheck"]["wgs_samples"] == "" and resolved["integration"]["samples"] == ""
    assert not (tmp_path / "results" / "validation").exists()
    texts = {p: p.read_text(encoding="utf-8", errors="replace")
             for p in [tmp_path / "results" / "resolved_config.yaml", tmp_path / "results" / "provenance.json",
                       tmp_path / "results" / "report" / "evidence_report.html"]}
    found = [(p.name, m) for p, t in texts.items() for m in DEMO_MARKERS if m in t]
    assert not found, found
    assert "ACME-CAR19" in texts[tmp_path / "results" / "report" / "evidence_report.html"]
    # a complete run leaves nothing to do (no rule parameter holds the start time or command line)
    again = subprocess.run([SNAKEMAKE, "-n", "--cores", "2", "--snakefile", str(repo / "workflow" / "Snakefile"),
                            "--directory", str(tmp_path), "--configfile", str(cfg)],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr, again.stdout[-3000:]
    # every result file honours the umask (mode 0666 & ~umask, as for any new file; not mkstemp's 0600)
    umask = os.umask(0)
    os.umask(umask)
    modes = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in (tmp_path / "results").rglob("*")
             if p.is_file()}
    assert modes and all(m == 0o666 & ~umask for m in modes.values()), modes
    assert not [p for p in tmp_path.rglob(".*.tmp")]


def test_init_writes_template_that_checks_refuse_until_filled(repo, tmp_path, capsys):
    d = tmp_path / "prod"
    assert main(["init", str(d)]) == 0
    text = (d / "config.yaml").read_text()
    for m in DEMO_MARKERS:
        assert m not in text or m.startswith("samples_"), m  # the template names its own empty sheets
    for sheet in ("samples_wgs.tsv", "samples_amplicon.tsv", "samples_integration.tsv"):
        lines = [ln for ln in (d / sheet).read_text().splitlines() if not ln.startswith("#")]
        assert len(lines) == 1 and lines[0].startswith("sample\t")  # header only
    capsys.readouterr()
    assert main(["config", "check", "--config", str(d / "config.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    keys = {"product.name", "product.modality", "product.track", "reference.genome", "reference.genes"}
    assert all(ln.startswith("cgtsafe: error: ") for ln in err)
    assert {k for k in keys if any(f"'{k}'" in ln for ln in err)} == keys
    # filled in: valid; every analysis off
    cfg = yaml.safe_load(text)
    cfg.update(_trimmed(repo))
    (d / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["config", "check", "--config", str(d / "config.yaml")]) == 0
    assert not any(cfg[s]["enabled"] for s in ("offtarget", "sitecheck", "integration", "tcr"))
    # a second init into the same folder refuses to overwrite
    assert main(["init", str(d)]) == 2
