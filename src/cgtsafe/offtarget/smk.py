"""Helpers of ``workflow/rules/offtarget.smk`` (config -> file names and command-line options).

Kept here, not in the Snakefile, so that the rules file holds rules only (snakemake --lint) and the
logic is testable. Errors are :class:`cgtsafe.errors.InputError` naming the config key.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.offtarget.species import slug


def entries(config: dict, key: str, path_key: str, *, config_file: str = "config") -> dict[str, tuple[str, str]]:
    """``{slug: (label, path)}`` of ``offtarget.species`` / ``offtarget.variants``; checks files and slugs."""
    out: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(config["offtarget"].get(key, []) or []):
        s = slug(item["label"])
        if s in out:
            raise InputError(f"key 'offtarget.{key}[{i}].label': {item['label']!r} gives the same file name ({s}) "
                             f"as {out[s][0]!r}; labels must differ", path=config_file)
        if not Path(item[path_key]).exists():
            raise InputError(f"key 'offtarget.{key}[{i}].{path_key}': file {item[path_key]!r} does not exist",
                             path=config_file)
        out[s] = (item["label"], item[path_key])
    return out


def check_guides(config: dict, *, config_file: str = "config") -> None:
    g = config["offtarget"].get("guides")
    if not g:
        raise InputError("key 'offtarget.guides' is required when offtarget.enabled is true", path=config_file)
    if not Path(g).exists():
        raise InputError(f"key 'offtarget.guides': file {g!r} does not exist", path=config_file)


def search_opts(config: dict) -> str:
    """``--nuclease ... --max-rna-bulge N`` shared by search, species, variants, summarize."""
    ot = config["offtarget"]
    parts = ["--nuclease", str(ot["nuclease"])]
    if ot.get("pam"):
        parts += ["--pam", str(ot["pam"])]
    if not ot.get("alternative_pams", True):
        parts.append("--no-alternative-pams")
    parts += ["--max-mismatches", str(ot["max_mismatches"]), "--max-dna-bulge", str(ot["max_dna_bulge"]),
              "--max-rna-bulge", str(ot["max_rna_bulge"])]
    return " ".join(shlex.quote(p) for p in parts)


def bulge_opt(config: dict) -> str:
    v = config["offtarget"].get("max_bulge_mismatches")
    return "" if v is None else f"--max-bulge-mismatches {int(v)}"


def goc_opt(config: dict) -> str:
    g = config["reference"].get("genes_of_concern")
    return f"--genes-of-concern {shlex.quote(str(g))}" if g else ""


def windows_opt(config: dict) -> str:
    return " ".join(str(int(w)) for w in config["reference"]["genes_of_concern_windows"])


def quoted(text: str) -> str:
    return shlex.quote(str(text))


def labels_opt(entries_: dict[str, tuple[str, str]]) -> str:
    return " ".join(shlex.quote(label) for label, _ in entries_.values())
