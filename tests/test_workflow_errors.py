"""Bad input to the workflow: one line naming the key/file/line, exit != 0, nothing written to results/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SNAKEMAKE = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or shutil.which("snakemake")


def _absolute(cfg, repo):
    """Make every relative path in the demo config absolute, so the run can happen in a temporary folder."""

    def fix(node):
        if isinstance(node, dict):
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        if isinstance(node, str) and (repo / node).exists() and ("/" in node or node == "test-data"):
            return str(repo / node)
        return node

    return fix(cfg)


def _absolute_sheets(repo, tmp_path, cfg):
    """Copy the demo sample sheets with absolute file paths (they name files relative to the repository)."""
    for key in ("wgs_samples", "amplicon_samples"):
        src = Path(cfg["sitecheck"][key])
        lines = src.read_text().splitlines()
        out = [lines[0]] + ["\t".join(str(repo / c) if c and (repo / c).exists() and "/" in c else c
                                      for c in line.split("\t")) for line in lines[1:]]
        dst = tmp_path / f"demo_{key}.tsv"
        dst.write_text("\n".join(out) + "\n")
        cfg["sitecheck"][key] = str(dst)


def _run(repo, tmp_path, cfg):
    cfg_path = tmp_path / "my_config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    proc = subprocess.run(
        [SNAKEMAKE, "-n", "--cores", "1", "--snakefile", str(repo / "workflow" / "Snakefile"),
         "--directory", str(tmp_path), "--configfile", str(cfg_path)],
        capture_output=True, text=True, timeout=300,
    )
    return proc, cfg_path


def _not_fasta(repo, tmp_path, cfg):
    p = tmp_path / "genome.txt"
    p.write_text("this is not a genome\n")
    cfg["reference"]["genome"] = str(p)


def _duplicate_wgs_sample(repo, tmp_path, cfg):
    rows = (repo / "test-data" / "demo" / "samples_wgs.tsv").read_text().splitlines()
    sheet = tmp_path / "wgs.tsv"
    sheet.write_text("\n".join([rows[0], rows[1], rows[1]]) + "\n")
    cfg["sitecheck"]["wgs_samples"] = str(sheet)


def _unsafe_integration_sample(repo, tmp_path, cfg):
    sheet = tmp_path / "int.tsv"
    sheet.write_text("sample\tsubject\ttimepoint\tcell_type\tbarcode\n<script>alert(1)</script>\tPT01\tm1\tPBMC\t"
                     "ACGTACGTACGT\n")
    cfg["integration"]["samples"] = str(sheet)


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda repo, tmp, c: c["product"].update(track="fda"), "key 'product.track': expected one of"),
        (lambda repo, tmp, c: c["reference"].update(genome=str(tmp / "missing.fa")),
         "key 'reference.genome': file"),
        (_not_fasta, "is not a FASTA file"),
        (lambda repo, tmp, c: c["reference"].update(genes_of_concern_windows="50kb"),
         "key 'reference.genes_of_concern_windows': expected array"),
        (_duplicate_wgs_sample, "line 3: duplicate"),
        (_unsafe_integration_sample, "line 2: sample '<script>alert(1)</script>' is not a safe name"),
    ],
)
def test_bad_config_stops_before_anything_runs(repo, tmp_path, mutate, expected):
    if SNAKEMAKE is None:
        pytest.skip("snakemake executable not found")
    cfg = _absolute(yaml.safe_load((repo / "test-data" / "demo" / "config.yaml").read_text()), repo)
    _absolute_sheets(repo, tmp_path, cfg)
    mutate(repo, tmp_path, cfg)
    proc, cfg_path = _run(repo, tmp_path, cfg)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("cgtsafe: error: "), proc.stderr[-2000:]
    assert expected in last
    assert not (tmp_path / "results").exists()
