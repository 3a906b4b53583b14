"""config/README.md documents every config key of the schemas (and every sample-sheet column)."""

from __future__ import annotations

from cgtsafe.config import composed_schema


def _keys(schema, prefix=""):
    for key, sub in (schema.get("properties") or {}).items():
        dotted = f"{prefix}{key}"
        yield dotted
        if isinstance(sub, dict):
            yield from _keys(sub, dotted + ".")
            items = sub.get("items")
            if isinstance(items, dict):
                yield from _keys(items, dotted + "[].")


def test_every_schema_key_documented(repo):
    doc = (repo / "config" / "README.md").read_text(encoding="utf-8")
    missing = [k for k in _keys(composed_schema(repo / "workflow" / "schemas")) if f"`{k}`" not in doc]
    assert not missing, f"config keys without documentation in config/README.md: {missing}"


def test_every_schema_key_has_description_or_default(repo):
    """Schemas state defaults; keys without a default must say so in a description."""
    schema = composed_schema(repo / "workflow" / "schemas")

    def walk(node, prefix=""):
        for key, sub in (node.get("properties") or {}).items():
            if not isinstance(sub, dict):
                continue
            yield f"{prefix}{key}", sub
            yield from walk(sub, f"{prefix}{key}.")

    bad = [k for k, sub in walk(schema) if "description" not in sub and "default" not in sub
           and k not in {"product", "reference"}]
    assert not bad, f"schema keys with neither description nor default: {bad}"


def test_config_readme_up_to_date(repo):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(repo / "scripts" / "build_config_readme.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_every_sample_sheet_column_documented(repo):
    """Each column of workflow/schemas/samples_*.schema.yaml has a row in config/README.md's table of that sheet,
    stating whether the column is required and its meaning."""
    import yaml

    doc = (repo / "config" / "README.md").read_text(encoding="utf-8")
    paths = sorted((repo / "workflow" / "schemas").glob("samples_*.schema.yaml"))
    assert {p.name for p in paths} >= {"samples_wgs.schema.yaml", "samples_amplicon.schema.yaml",
                                      "samples_integration.schema.yaml"}
    missing = []
    for p in paths:
        schema = yaml.safe_load(p.read_text(encoding="utf-8"))
        head = f"### {schema['title']}: columns"
        assert head in doc, f"no column table for {p.name} in config/README.md"
        table = doc.split(head, 1)[1].split("\n\n###", 1)[0].split("\n## ", 1)[0]
        req = set(schema["required"])
        for col, spec in schema["properties"].items():
            row = next((ln for ln in table.splitlines() if ln.startswith(f"| `{col}` |")), None)
            want = f"| `{col}` | {'yes' if col in req else 'no'} |"
            if row is None or not row.startswith(want) or " ".join(spec["description"].split()) not in row:
                missing.append(f"{p.name}:{col}")
    assert not missing, f"sample-sheet columns not documented in config/README.md: {missing}"
