"""Config and sample-sheet validation with one-line errors.

The top-level schema is ``workflow/schemas/config.schema.yaml``; each analysis section has its own
``workflow/schemas/<section>.schema.yaml`` that is inserted under ``properties.<section>``. Defaults
declared in the schemas are filled in. Errors name the config file and the dotted key, say what
was expected, and come one per line (the first one is raised).

``cgtsafe config check --config FILE [--schemas DIR]`` runs the same checks from the shell.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from cgtsafe.errors import InputError

SECTIONS = ("offtarget", "sitecheck", "integration", "tcr", "antigen", "vector", "nomination", "cnv", "report")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def default_schema_dir() -> Path:
    """``workflow/schemas`` of the checkout this package runs from (editable install or source tree)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "workflow" / "schemas"
        if cand.is_dir():
            return cand
    raise InputError("cannot find workflow/schemas; pass --schemas DIR")


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise InputError("config file not found", path=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"not valid YAML ({getattr(exc, 'problem', exc)})", path=path, line=line) from None
    if not isinstance(data, dict):
        raise InputError("expected a YAML mapping of config keys at the top level", path=path)
    return data


def composed_schema(schema_dir: str | Path | None = None) -> dict:
    schema_dir = Path(schema_dir) if schema_dir else default_schema_dir()
    top = yaml.safe_load((schema_dir / "config.schema.yaml").read_text(encoding="utf-8"))
    props = top.setdefault("properties", {})
    for section in SECTIONS:
        p = schema_dir / f"{section}.schema.yaml"
        if p.exists():
            props[section] = yaml.safe_load(p.read_text(encoding="utf-8"))
    # sub-sections owned by separate steps: <section>.<sub>.schema.yaml -> properties.<section>.properties.<sub>
    for p in sorted(schema_dir.glob("*.*.schema.yaml")):
        section, sub = p.name.split(".")[:2]
        if section in SECTIONS:
            node = props.setdefault(section, {"type": "object"})
            node.setdefault("properties", {})[sub] = yaml.safe_load(p.read_text(encoding="utf-8"))
    return top


def _fill_defaults(schema: dict, data):
    """Fill ``default`` values of object properties recursively (like snakemake's validate)."""
    if not isinstance(data, dict) or schema.get("type") != "object":
        return data
    for key, sub in schema.get("properties", {}).items():
        if key not in data and "default" in sub:
            data[key] = _copy(sub["default"])
        if key in data:
            data[key] = _fill_defaults(sub, data[key])
    return data


def _copy(x):
    import copy

    return copy.deepcopy(x)


def _describe(error) -> str:
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    validator = error.validator
    if validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        key = f"{key}.{name}" if error.absolute_path else name
        return f"key '{key}' is required but missing"
    if validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        return f"key '{key}' has unknown key(s) {', '.join(extra)} (typo?)"
    if validator == "type":
        return f"key '{key}': expected {error.validator_value}, got {error.instance!r}"
    if validator == "enum":
        return f"key '{key}': expected one of {', '.join(map(str, error.validator_value))}, got {error.instance!r}"
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"key '{key}': {error.instance!r} is outside the allowed range ({validator} {error.validator_value})"
    if validator == "pattern":
        return f"key '{key}': {error.instance!r} does not match the expected pattern {error.validator_value}"
    return f"key '{key}': {error.message}"


def validate_config(config: dict, *, path: str | Path = "config", schema_dir: str | Path | None = None) -> dict:
    """Validate ``config`` in place (defaults filled) and return it; raise InputError on the first error."""
    import jsonschema

    schema = composed_schema(schema_dir)
    config = _fill_defaults(schema, config)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise InputError(_describe(errors[0]), path=path)
    return config


def check_files(config: dict, keys: list[str], *, path: str | Path = "config") -> None:
    """Every dotted key in ``keys`` that is set must name an existing file."""
    for dotted in keys:
        node = config
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, ""):
            continue
        for value in node if isinstance(node, list) else [node]:
            if not Path(value).exists():
                raise InputError(f"key '{dotted}': file {value!r} does not exist", path=path)


def read_sample_sheet(path: str | Path, *, required: tuple[str, ...], name_column: str = "sample",
                      allowed: dict[str, tuple[str, ...]] | None = None):
    """Read a TSV sample sheet; check columns, safe unique names and enumerated values.

    Names may only contain ``[A-Za-z0-9_.-]`` (they become file names). Errors name the line.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputError("sample sheet not found", path=path)
    try:
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    except Exception as exc:
        raise InputError(f"cannot read sample sheet as TSV ({str(exc).splitlines()[0]})", path=path) from None
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(f"sample sheet lacks column(s) {', '.join(missing)}; expected {', '.join(required)}",
                         path=path)
    seen: dict[str, int] = {}
    for i, name in enumerate(df[name_column], start=2):
        if not SAFE_NAME.match(name):
            raise InputError(f"{name_column} {name!r} is not a safe name: use only letters, digits, '_', '.', '-'",
                             path=path, line=i)
        if name in seen:
            raise InputError(f"duplicate {name_column} {name!r} (first on line {seen[name]})", path=path, line=i)
        seen[name] = i
    for col, values in (allowed or {}).items():
        for i, v in enumerate(df[col], start=2):
            if v not in values:
                raise InputError(f"column {col}: expected one of {', '.join(values)}, got {v!r}", path=path, line=i)
    return df


def register(sub) -> None:
    p = sub.add_parser("config", help="configuration utilities")
    s = p.add_subparsers(dest="config_command", metavar="STEP")
    s.required = True
    c = s.add_parser("check", help="validate a config file against the schemas (one-line errors)")
    c.add_argument("--config", required=True)
    c.add_argument("--schemas", default=None, help="schema directory (default: workflow/schemas of the checkout)")
    c.set_defaults(func=_check)


def _check(args) -> int:
    validate_config(load_yaml(args.config), path=args.config, schema_dir=args.schemas)
    print(f"{args.config}: valid")
    return 0
