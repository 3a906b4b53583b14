"""Provenance: SHA-256 of files, software versions, and the ``cgtsafe provenance`` command.

``cgtsafe provenance --config FILE --out JSON [--inputs ...] [--outputs ...]`` writes a JSON record
with checksums of every listed file (directories are walked in sorted order), the versions of
cgtsafe and its scientific dependencies, Python and platform, the git commit of the pipeline
when run from a checkout, and the resolved config.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

from cgtsafe import __version__

DEPENDENCIES = ("snakemake", "pysam", "biopython", "pandas", "numpy", "scipy", "pyarrow", "plotly", "numba",
                "mappy", "jsonschema", "pyyaml")


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def file_records(paths) -> list[dict]:
    """``[{"path", "bytes", "sha256"}]`` for files and (recursively, sorted) directories."""
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files = sorted(q for q in p.rglob("*") if q.is_file())
        elif p.exists():
            files = [p]
        else:
            out.append({"path": str(p), "bytes": None, "sha256": None, "missing": True})
            continue
        for q in files:
            out.append({"path": str(q), "bytes": q.stat().st_size, "sha256": sha256(q)})
    return out


def software_versions() -> dict[str, str]:
    versions = {"cgtsafe": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for dist in DEPENDENCIES:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def git_commit(directory: str | Path = ".") -> str:
    try:
        out = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        dirty = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if out.returncode != 0:
        return "unknown (not a git checkout)"
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def register(sub) -> None:
    p = sub.add_parser("provenance", help="checksums, software versions and config of a run (JSON)")
    p.add_argument("--config", help="resolved config (YAML/JSON) to embed")
    p.add_argument("--inputs", nargs="*", default=[], help="input files or directories to checksum")
    p.add_argument("--outputs", nargs="*", default=[], help="output files or directories to checksum")
    p.add_argument("--workflow-dir", default=".", help="pipeline checkout, for its git commit")
    p.add_argument("--command-line", default=None,
                   help="the command line that started the run (default: environment variable CGTSAFE_COMMAND_LINE)")
    p.add_argument("--started", default=None,
                   help="start time stamp, ISO 8601 (default: environment variable CGTSAFE_RUN_STARTED). The workflow "
                        "passes both through the environment, not as rule parameters, so that a finished run has "
                        "nothing left to do (a parameter holding the start time would rerun the rule every time)")
    p.add_argument("--out", required=True, help="output JSON")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import datetime

    import yaml

    from cgtsafe.errors import InputError
    from cgtsafe.io.tables import write_json

    config = None
    if args.config:
        try:
            config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"cannot read config ({str(exc).splitlines()[0]})", path=args.config) from None
    record = {
        "software": software_versions(),
        "pipeline_commit": git_commit(args.workflow_dir),
        "command_line": args.command_line if args.command_line is not None else os.environ.get(
            "CGTSAFE_COMMAND_LINE", ""),
        "started": args.started if args.started is not None else os.environ.get("CGTSAFE_RUN_STARTED", ""),
        "finished": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "config": config,
        "inputs": file_records(args.inputs),
        "outputs": file_records(args.outputs),
    }
    write_json(args.out, record)
    return 0
