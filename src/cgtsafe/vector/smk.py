"""Helpers of ``workflow/rules/vector.smk`` (config checks, rule inputs and command-line arguments)."""

from __future__ import annotations

import shlex

from cgtsafe.config import check_files
from cgtsafe.errors import InputError


def check(config: dict, config_file: str) -> None:
    if not config["vector"].get("sequence"):
        raise InputError("key 'vector.sequence': the transfer-vector sequence (FASTA or GenBank) is required when "
                         "vector.enabled is true", path=config_file)
    check_files(config, ["vector.sequence", "vector.vcn.file"], path=config_file)


def inputs(sec: dict) -> dict:
    files = {"sequence": sec["sequence"]}
    if (sec.get("vcn") or {}).get("file"):
        files["vcn"] = sec["vcn"]["file"]
    return files


def args(sec: dict, input) -> str:
    q = shlex.quote
    out = [f"--min-orf-aa {sec['min_orf_aa']} --ltr-distance {sec['ltr_distance']}"]
    for key in ("donor_min", "acceptor_min"):
        if sec.get(key) is not None:
            out.append(f"--{key.replace('_', '-')} {sec[key]}")
    if "vcn" in input.keys():
        v = sec["vcn"]
        out.append(f"--vcn {q(input.vcn)} --vcn-column {q(v['column'])} --vcn-id-column {q(v['id_column'])}")
        if v.get("limit") is not None:
            out.append(f"--vcn-limit {v['limit']}")
    return " ".join(out)
