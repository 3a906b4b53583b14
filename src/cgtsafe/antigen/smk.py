"""Helpers of ``workflow/rules/antigen.smk`` (config checks, rule inputs and command-line arguments)."""

from __future__ import annotations

import shlex

from cgtsafe.config import check_files
from cgtsafe.errors import InputError

FILE_KEYS = ("expression", "proteome", "studies")


def check(config: dict, config_file: str) -> None:
    sec = config["antigen"]
    if not sec.get("targets"):
        raise InputError("key 'antigen.targets': at least one target antigen is required when antigen.enabled is true",
                         path=config_file)
    names = [t["name"] for t in sec["targets"]]
    if len(set(names)) != len(names):
        raise InputError(f"key 'antigen.targets': duplicate target names "
                         f"{sorted({n for n in names if names.count(n) > 1})}", path=config_file)
    if sec["high_ntpm"] < sec["detected_ntpm"]:
        raise InputError("key 'antigen.high_ntpm': must be >= antigen.detected_ntpm", path=config_file)
    check_files(config, [f"antigen.{k}" for k in FILE_KEYS], path=config_file)


def inputs(sec: dict) -> dict:
    return {k: sec[k] for k in FILE_KEYS if sec.get(k)}


def args(sec: dict, input) -> str:
    q = shlex.quote
    out = [f"--target {q(t['name'] + '=' + t['id'])}" for t in sec["targets"]]
    for key in FILE_KEYS:
        if key in input.keys():
            out.append(f"--{key} {q(getattr(input, key))}")
    out.append(f"--vital-tissues {q(','.join(sec['vital_tissues']))}")
    out.append(f"--detected-ntpm {sec['detected_ntpm']} --high-ntpm {sec['high_ntpm']}")
    return " ".join(out)
