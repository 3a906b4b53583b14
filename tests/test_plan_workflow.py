"""The workflow's shell commands are safe with hostile or spaced paths, and the rules files are formatted.

Injection: a sample sheet names BAM/CRAM files called ``e$(touch PWNED) y.cram`` inside a working
directory with a space. Snakemake prints every job's shell command (dry run, ``-p``); each command is
then really run by bash with the program replaced by ``printf '%s\\n'``: the shell expands every word
as it would for the real job, so an unquoted ``$(...)`` would create PWNED and a path with a space would
split into two arguments. The test asserts neither happens and that each hostile path reached the
program as exactly one argument.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EVIL = "e$(touch PWNED) y"


def _need(tool: str) -> Path:
    exe = BIN / tool
    if not exe.exists():
        pytest.skip(f"{tool} absent: {exe}")
    return exe


def test_snakefmt_clean():
    proc = subprocess.run([str(_need("snakefmt")), "--check", "workflow/"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _hostile_workdir(tmp_path: Path) -> tuple[Path, list[str]]:
    work = tmp_path / "work dir"
    (work / "config").mkdir(parents=True)
    (work / "test-data").symlink_to(REPO / "test-data")
    data = work / "my data"
    data.mkdir()
    crams = []
    for role in ("edited", "control"):
        src = REPO / "test-data" / "sequencing" / f"wgs_{role}.cram"
        dst = data / f"{role} {EVIL}.cram"
        shutil.copyfile(src, dst)
        shutil.copyfile(f"{src}.crai", f"{dst}.crai")
        crams.append(f"my data/{dst.name}")
    (work / "config" / "samples_wgs.tsv").write_text(
        "sample\trole\tfile\tcontrol\n"
        f"EDITED_D1\tedited\t{crams[0]}\tCONTROL_D1\n"
        f"CONTROL_D1\tcontrol\t{crams[1]}\t\n")
    for sheet in ("samples_amplicon.tsv", "samples_integration.tsv"):
        shutil.copyfile(REPO / "test-data" / "demo" / sheet, work / "config" / sheet)
    cfg = yaml.safe_load((REPO / "test-data" / "demo" / "config.yaml").read_text())
    cfg["sitecheck"].update(wgs_samples="config/samples_wgs.tsv", amplicon_samples="config/samples_amplicon.tsv")
    cfg["integration"]["samples"] = "config/samples_integration.tsv"
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return work, crams


def test_hostile_paths_cannot_run_commands_and_stay_one_argument(tmp_path):
    if not (REPO / "test-data" / "sequencing" / "wgs_edited.cram").exists():
        pytest.skip("test-data absent")
    work, crams = _hostile_workdir(tmp_path)
    proc = subprocess.run(
        [str(_need("snakemake")), "-n", "-p", "-F", "--cores", "1", "--snakefile", str(REPO / "workflow" / "Snakefile"),
         "--directory", str(work), "--configfile", str(work / "config" / "config.yaml")],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    commands = [ln.split("Shell command: ", 1)[1] for ln in (proc.stdout + proc.stderr).splitlines()
                if "Shell command: " in ln and not ln.endswith("Shell command: None")]  # None: a run: rule
    assert len(commands) >= 20, proc.stdout[-3000:]
    prefix = re.compile(r"^.*? -m cgtsafe ")
    seen: dict[str, int] = {c: 0 for c in crams}
    for cmd in commands:
        assert prefix.match(cmd), cmd
        run = prefix.sub("printf '%s\\n' ", cmd, count=1)
        log = re.search(r"> (\S+|'[^']*') 2>&1$", cmd)
        assert log, f"no log redirect: {cmd}"
        (work / log.group(1).strip("'")).parent.mkdir(parents=True, exist_ok=True)
        res = subprocess.run(["bash", "-c", run], cwd=work, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, (cmd, res.stderr)
        argv = (work / log.group(1).strip("'")).read_text().splitlines()
        for c in crams:
            seen[c] += argv.count(c)
            # never split at the space, never expanded
            assert not any(a in c and a != c for a in argv if a), (cmd, argv)
    assert not (work / "PWNED").exists() and not list(tmp_path.rglob("PWNED"))
    # the hostile paths did reach the genome-wide, structural and summary steps, as one argument each
    assert all(n >= 3 for n in seen.values()), seen


@pytest.mark.slow
def test_real_run_with_hostile_paths(tmp_path):
    """The jobs really run on those paths: off-target sites, then the structural step on the CRAMs named
    ``... e$(touch PWNED) y.cram`` in ``my data/`` of ``work dir/``."""
    if not (REPO / "test-data" / "sequencing" / "wgs_edited.cram").exists():
        pytest.skip("test-data absent")
    work, _crams = _hostile_workdir(tmp_path)
    target = "results/sitecheck/structural/EDITED_D1.events.tsv"
    proc = subprocess.run(
        [str(_need("snakemake")), target, "--cores", "2", "--snakefile", str(REPO / "workflow" / "Snakefile"),
         "--directory", str(work), "--configfile", str(work / "config" / "config.yaml")],
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work / target).read_text().startswith("sample\tcontrol\tevent_id\t")
    assert (work / "results" / "offtarget" / "sites.tsv").stat().st_size > 0
    assert not list(tmp_path.rglob("PWNED"))


def _rule_blocks():
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        parts = re.split(r"^\s*rule (\w+):\s*$", text, flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2]):
            yield smk.name, name, body


def test_every_rule_quotes_paths_logs_and_declares_resources():
    """Static companion of the injection test: no unquoted {input}/{output}/{log} in any shell command; every
    rule has a log and the conda env; every rule with a benchmark (the heavy ones) declares mem_mb/runtime and
    retries."""
    unquoted = re.compile(r"\{(input|output|log)(\.\w+|\[\w+\])?\}")
    blocks = list(_rule_blocks())
    assert len(blocks) >= 25
    for smk, name, body in blocks:
        assert "log:" in body and 'conda:\n' in body and "envs/cgtsafe.yaml" in body, (smk, name)
        assert not unquoted.search(body), (smk, name, unquoted.search(body).group(0))
        if "shell:" in body:
            assert "> {log:q} 2>&1" in body, (smk, name)
        if "benchmark:" in body:
            assert "mem_mb=" in body and "runtime=" in body and "retries:" in body, (smk, name)


def test_imported_matrix_dry_run(tmp_path):
    """integration.matrix: the workflow runs `from-matrix` on the imported matrix (one argument, never expanded)
    instead of the read processing, and feeds the same downstream rules."""
    if not (REPO / "test-data" / "genome" / "ref.fa").exists():
        pytest.skip("test-data absent")
    work = tmp_path / "work dir"
    (work / "config").mkdir(parents=True)
    (work / "test-data").symlink_to(REPO / "test-data")
    matrix = work / "config" / f"isa {EVIL}.tsv"
    matrix.write_text("chr\tintegration_locus\tstrand\tCompleteAmplificationID\tseqCount\n"
                      "chr1\t150000\t+\tPT01-M01\t60\nchr2\t220000\t-\tPT01-M06\t30\n")
    (work / "config" / "samples.tsv").write_text("sample\tsubject\ttimepoint\nPT01-M01\tPT01\tm01\nPT01-M06\tPT01\tm06\n")
    cfg = yaml.safe_load((REPO / "test-data" / "demo" / "config.yaml").read_text())
    for section in ("offtarget", "sitecheck", "tcr", "antigen", "vector", "nomination", "cnv"):
        if isinstance(cfg.get(section), dict):
            cfg[section]["enabled"] = False
    cfg["integration"].update(enabled=True, matrix=f"config/{matrix.name}", samples="config/samples.tsv", reads={})
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = subprocess.run(
        [str(_need("snakemake")), "-n", "-p", "-F", "--cores", "1", "--snakefile", str(REPO / "workflow" / "Snakefile"),
         "--directory", str(work), "--configfile", str(work / "config" / "config.yaml")],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "integration_call_sites" not in out
    assert "rule integration_summary" in out and "rule integration_longitudinal" in out
    cmd = next(ln.split("Shell command: ", 1)[1] for ln in out.splitlines()
               if "Shell command: " in ln and " integration from-matrix " in ln)
    run = re.sub(r"^.*? -m cgtsafe ", "printf '%s\\n' ", cmd, count=1)
    log = re.search(r"> (\S+|'[^']*') 2>&1$", cmd).group(1).strip("'")
    (work / log).parent.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["bash", "-c", run], cwd=work, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    argv = (work / log).read_text().splitlines()
    assert argv[argv.index("--matrix") + 1] == f"config/{matrix.name}"
    assert argv[argv.index("--quantification") + 1] == "seqCount" and "--abundance" not in argv
    assert not list(tmp_path.rglob("PWNED"))
