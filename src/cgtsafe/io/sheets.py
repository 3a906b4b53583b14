"""Sample sheets checked against their JSON schemas (``workflow/schemas/samples_<kind>.schema.yaml``).

A sheet is a TSV read as text (every cell a string); its schema describes one row: ``required`` columns,
and per column a ``pattern`` or ``enum`` and an ``x-expected`` phrase for the error. The readers
(:func:`cgtsafe.sitecheck.quantify.read_wgs_sheet`, :func:`cgtsafe.sitecheck.sheets.read_amplicon_sheet`,
:func:`cgtsafe.integration.layout.read_samples` and the longitudinal sheet of ``cgtsafe integration``) call
:func:`check_sheet` after their own checks; their cross-row checks (controls, barcodes) stay in the reader.
A violation is one line naming the file, the line and the column. Extra columns are allowed (carried through).
"""

from __future__ import annotations

import functools
from pathlib import Path

from cgtsafe.errors import InputError

KINDS = ("wgs", "amplicon", "integration")


@functools.cache
def sheet_schema(kind: str) -> dict:
    """The row schema of sample sheet ``kind`` (one of :data:`KINDS`)."""
    import yaml

    from cgtsafe.config import default_schema_dir

    if kind not in KINDS:
        raise ValueError(f"unknown sample sheet kind {kind!r}")
    return yaml.safe_load((default_schema_dir() / f"samples_{kind}.schema.yaml").read_text(encoding="utf-8"))


def check_sheet(df, kind: str, path: str | Path) -> None:
    """Raise :class:`InputError` at the first cell of ``df`` (a sheet read with ``dtype=str``) that breaks the
    schema of ``kind``: a missing required column, or a value outside the column's enum/pattern."""
    import jsonschema

    schema = sheet_schema(kind)
    props = schema.get("properties", {})
    missing = [c for c in schema.get("required", []) if c not in df.columns]
    if missing:
        raise InputError(f"sample sheet lacks column(s) {', '.join(missing)}; expected "
                         f"{' '.join(schema.get('required', []))}", path=path)
    cols = [c for c in props if c in df.columns]
    validator = jsonschema.Draft202012Validator(schema)
    for i, row in enumerate(df[cols].to_dict("records"), start=2):
        row = {k: str(v) for k, v in row.items()}
        for err in validator.iter_errors(row):
            col = err.path[0] if err.path else next(iter(err.validator_value), "?")
            spec = props.get(col, {})
            expected = spec.get("x-expected") or (f"one of {', '.join(spec['enum'])}" if "enum" in spec
                                                   else f"a value matching {spec.get('pattern', '')}")
            raise InputError(f"sample sheet column {col}: expected {expected}, got {row.get(col)!r} (line {i})",
                             path=path)

