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
