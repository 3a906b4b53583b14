"""``cgtsafe init DIR``: a commented config and empty sample-sheet templates for a new product.

The config is generated from the schemas (``workflow/schemas``): every key with its schema default and
its description as a comment. Keys that have no safe default (product name, modality, track, genome,
annotation) are written as ``null`` with ``REQUIRED`` in the comment, so ``cgtsafe config check`` and
the workflow refuse the file until they are filled in. Every analysis starts switched off; lists of
things only the sponsor can declare (imported lab results, target peptides, sample sheets, truth
tables) start empty. Nothing is copied from the demo.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from cgtsafe.errors import InputError

#: sample-sheet templates (header only) and the config key that names each
SHEETS = {
    "samples_wgs.tsv": ("sitecheck.wgs_samples", ["sample", "role", "file", "control"]),
    "samples_amplicon.tsv": ("sitecheck.amplicon_samples", ["sample", "role", "amplicon", "fastq", "fastq2",
                                                            "control"]),
    "samples_integration.tsv": ("integration.samples", ["sample", "subject", "timepoint", "timepoint_days",
                                                        "cell_type", "barcode"]),
}
SHEET_HELP = {
    "samples_wgs.tsv": "one row per sample; role edited|control; file = sorted, indexed BAM/CRAM; control = the "
                       "matched control of an edited row (empty for controls)",
    "samples_amplicon.tsv": "one row per sample and amplicon; role edited|control; fastq2 optional; control as "
                            "in the WGS sheet",
    "samples_integration.tsv": "one row per sample; barcode = I1 sample barcode of the multiplexed run (VISPA2 "
                               "double barcodes: columns tag_id, or ltr_barcode + lc_barcode, instead)",
}


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str, indent: str) -> list[str]:
    text = " ".join(str(text).split())
    return [f"{indent}# {ln}" for ln in textwrap.wrap(text, 100 - len(indent))] if text else []


def _emit(schema: dict, indent: str, required: set[str], prefix: str, hints: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        dotted = f"{prefix}{key}"
        desc = sub.get("description", "")
        is_obj = sub.get("type") == "object" and sub.get("properties")
        lines += _comment(desc, indent)
        if dotted in hints:
            lines += _comment(hints[dotted], indent)
        if is_obj:
            lines.append(f"{indent}{key}:")
            lines += _emit(sub, indent + "  ", set(sub.get("required") or ()), dotted + ".", hints)
            continue
        if "default" in sub:
            value = _scalar(sub["default"])
            lines.append(f"{indent}{key}: {value}")
        elif key in required:
            lines.append(f"{indent}{key}: null   # REQUIRED: write it (no default)")
        else:
            lines.append(f"{indent}# {key}:   # optional, no default")
    return lines


def render_config(schema: dict, sheet_dir: str) -> str:
    hints = {key: f"template written by cgtsafe init: {sheet_dir}/{name} (fill it, then name it here)"
             for name, (key, _) in SHEETS.items()}
    head = [
        "# cgtsafe configuration for a new product, written by `cgtsafe init` from the schemas.",
        "# Every value below is the schema default (config/README.md documents each key); nothing comes from the",
        "# demo. Keys marked REQUIRED have no safe default and must be written; analyses start switched off",
        "# (enabled: false) and lists only you can declare (imported lab results, peptides, sample sheets) start",
        "# empty. Paths are relative to the directory snakemake runs in.",
        "# Check it without running anything:  cgtsafe config check --config THIS_FILE",
        "# Run:                                snakemake --cores 8 --configfile THIS_FILE",
        "",
    ]
    body: list[str] = []
    top_required = set(schema.get("required") or ())
    for key, sub in schema["properties"].items():
        body += _comment(sub.get("description", ""), "")
        body.append(f"{key}:")
        body += _emit(sub, "  ", set(sub.get("required") or ()) | ({"genome", "genes"} if key == "reference"
                                                                   else set()), f"{key}.", hints)
        body.append("")
        assert key in schema["properties"]
    del top_required
    return "\n".join(head + body).rstrip() + "\n"


def write_template(directory: str | Path, *, schema_dir: str | Path | None = None) -> list[Path]:
    """Write ``DIR/config.yaml`` and the sample-sheet templates; refuse to overwrite a config."""
    from cgtsafe.config import composed_schema
    from cgtsafe.io.tables import write_text

    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise InputError("exists and is not a folder", path=d)
    target = d / "config.yaml"
    if target.exists():
        raise InputError("exists already; cgtsafe init does not overwrite a config (choose a new folder)", path=target)
    schema = composed_schema(schema_dir)
    written = []
    try:
        d.mkdir(parents=True, exist_ok=True)
        for name, (_, columns) in SHEETS.items():
            p = d / name
            if not p.exists():
                write_text(p, f"# {SHEET_HELP[name]}\n" + "\t".join(columns) + "\n")
                written.append(p)
        write_text(target, render_config(schema, str(d)))
        written.append(target)
    except OSError as exc:
        raise InputError(f"cannot write the templates ({exc.strerror})", path=d) from None
    return written
