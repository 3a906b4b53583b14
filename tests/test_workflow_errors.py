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
        if isinstance(node, str) and (repo / node).exists() and "/" in node:
            return str(repo / node)
        return node

    return fix(cfg)


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


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda repo, tmp, c: c["product"].update(track="fda"), "key 'product.track': expected one of"),
        (lambda repo, tmp, c: c["reference"].update(genome=str(tmp / "missing.fa")),
         "key 'reference.genome': file"),
        (_not_fasta, "is not a FASTA file"),
        (lambda repo, tmp, c: c["reference"].update(genes_of_concern_windows="50kb"),
         "key 'reference.genes_of_concern_windows': expected array"),
    ],
)
def test_bad_config_stops_before_anything_runs(repo, tmp_path, mutate, expected):
    if SNAKEMAKE is None:
        pytest.skip("snakemake executable not found")
    cfg = _absolute(yaml.safe_load((repo / "config" / "config.yaml").read_text()), repo)
    mutate(repo, tmp_path, cfg)
    proc, cfg_path = _run(repo, tmp_path, cfg)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"cgtsafe: error: {cfg_path}: "), proc.stderr[-2000:]
    assert expected in last
    assert not (tmp_path / "results").exists()
