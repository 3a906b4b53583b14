"""The shipped profiles (profiles/local, profiles/slurm) are valid Snakemake profiles for this workflow.

The SLURM path itself is proven end to end in CI (.ci/run: single-node SLURM from Debian's slurm-wlm,
the demo run with --profile profiles/slurm, results compared byte for byte with the local run by
.ci/compare_runs.py). Here: the profiles parse, name only options this Snakemake (and plugin) accepts,
and a dry run of the demo with each succeeds.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SNAKEMAKE = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or shutil.which("snakemake")


def test_slurm_profile_settings(repo):
    prof = yaml.safe_load((repo / "profiles" / "slurm" / "config.yaml").read_text())
    assert prof["executor"] == "slurm"
    # no accounting (slurmdbd) on the CI cluster: sacct cannot answer, squeue must be the status command
    assert prof["slurm-status-command"] == "squeue"
    assert {"mem_mb", "runtime"} <= set(prof["default-resources"])


def test_compare_runs_detects_a_difference(repo, tmp_path):
    """.ci/compare_runs.py: identical trees pass; a changed table, a missing file fail; run records are excepted."""
    import json

    for name in ("a", "b"):
        d = tmp_path / name
        (d / "offtarget").mkdir(parents=True)
        (d / "benchmarks").mkdir()
        (d / "offtarget" / "sites.tsv").write_text("site\n1\n")
        (d / "benchmarks" / "x.tsv").write_text(f"s\n{len(name)}.{name}\n")
        (d / "provenance.json").write_text(json.dumps({"outputs": [{"path": "results/offtarget/sites.tsv",
                                                                    "sha256": "1"}], "started": name}))
    script = [sys.executable, str(repo / ".ci" / "compare_runs.py"), str(tmp_path / "a"), str(tmp_path / "b")]
    assert subprocess.run(script, capture_output=True).returncode == 0
    (tmp_path / "b" / "offtarget" / "sites.tsv").write_text("site\n2\n")
    proc = subprocess.run(script, capture_output=True, text=True)
    assert proc.returncode == 1 and "differ: offtarget/sites.tsv" in proc.stdout
    (tmp_path / "b" / "offtarget" / "sites.tsv").unlink()
    proc = subprocess.run(script, capture_output=True, text=True)
    assert proc.returncode == 1 and "only in" in proc.stdout


@pytest.mark.parametrize("profile", ["local", "slurm"])
def test_profile_dry_run(repo, tmp_path, profile):
    if SNAKEMAKE is None:
        pytest.skip("snakemake executable not found")
    if profile == "slurm" and importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip('snakemake-executor-plugin-slurm not installed (pip install -e ".[slurm]")')
    for d in ("workflow", "src", "envs", "test-data", "profiles"):
        (tmp_path / d).symlink_to(repo / d)
    proc = subprocess.run([SNAKEMAKE, "--profile", f"profiles/{profile}", "--configfile", "test-data/demo/config.yaml",
                           "-n"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rule report" in proc.stdout + proc.stderr
