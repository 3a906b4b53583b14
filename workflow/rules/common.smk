# Shared set-up: config validation (one-line errors, before any job runs) and helpers.
import datetime
import os
import sys
from pathlib import Path

# Run the checkout's own package in every job (pip install or `--sdm conda` alike).
SRC_DIR = str(Path(workflow.basedir).parent / "src")
_PYPATH = [SRC_DIR] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
os.environ.update(PYTHONPATH=os.pathsep.join(_PYPATH))
sys.path.insert(0, SRC_DIR)
# With --sdm conda the job's own `python` (from envs/cgtsafe.yaml) runs it; otherwise the interpreter
# that runs snakemake (e.g. .venv/bin/python), so no PATH set-up is needed.
_CONDA = any(m.name == "CONDA" for m in workflow.deployment_settings.deployment_method)
CGTSAFE = "python -m cgtsafe" if _CONDA else f"{sys.executable} -m cgtsafe"

from cgtsafe.config import check_files, read_sample_sheet, validate_config
from cgtsafe.errors import InputError
from cgtsafe.io.fasta import open_text_bytes

SCHEMA_DIR = Path(workflow.basedir) / "schemas"
# the file the user named with --configfile (it overrides the default config/config.yaml), else the default
_CLI_CONFIGS = list(workflow.overwrite_configfiles or [])
CONFIG_FILE = str(_CLI_CONFIGS[-1] if _CLI_CONFIGS else (workflow.configfiles[-1] if workflow.configfiles else "config"))
RUN_STARTED = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
COMMAND_LINE = " ".join(sys.argv)


def _fail(exc):
    # one line, no traceback, before anything is written to results/
    sys.stderr.write(f"cgtsafe: error: {exc}\n")
    sys.exit(2)


def _check_fasta_header(key, path):
    try:
        with open_text_bytes(path) as fh:
            first = fh.readline()
    except (OSError, InputError) as exc:
        raise InputError(f"key '{key}': cannot read {path!r} ({exc})", path=CONFIG_FILE) from None
    if not first.startswith(b">"):
        raise InputError(f"key '{key}': {path!r} is not a FASTA file (expected a '>' header on line 1)",
                         path=CONFIG_FILE)


try:
    validate_config(config, path=CONFIG_FILE, schema_dir=SCHEMA_DIR)
    check_files(config, ["reference.genome", "reference.genes", "reference.genes_of_concern"], path=CONFIG_FILE)
    _check_fasta_header("reference.genome", config["reference"]["genome"])
except InputError as exc:
    _fail(exc)


def na_reason_args(section, default_en, default_zh):
    """``--reason-en ... --reason-zh ...`` for a switched-off analysis: the sponsor's stated reason
    (``<section>.not_applicable_reason`` / ``_zh``) or the generic one."""
    import shlex

    sec = config.get(section, {})
    en = sec.get("not_applicable_reason") or default_en
    zh = sec.get("not_applicable_reason_zh") or (sec.get("not_applicable_reason") or default_zh)
    return f"--reason-en {shlex.quote(en)} --reason-zh {shlex.quote(zh)}"


def enabled(section):
    return bool(config.get(section, {}).get("enabled", False))


def summary_path(analysis):
    return f"results/{analysis}/summary.json"


ANALYSES = ["offtarget", "sitecheck", "integration", "tcr", "antigen", "vector"]


def provenance_inputs():
    """Every file named in the config, and every file named in a sample sheet the config names."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and node and Path(node).is_file():
            found.append(node)
            if node.endswith((".tsv", ".csv")):
                import csv

                with open(node, encoding="utf-8") as fh:
                    for row in csv.reader(fh, delimiter="\t" if node.endswith(".tsv") else ","):
                        for cell in row:
                            if cell and "/" in cell and Path(cell).is_file():
                                found.append(cell)

    walk(config)
    found.append(CONFIG_FILE)
    return sorted(set(found))


# ---- TCR rule helpers ----
# Helpers of rules/tcr.smk (input functions and command-line arguments of the TCR rules).
import shlex

TCR_DIR = "results/tcr"
_TCR = config["tcr"]


def _tcr_peptide(name):
    for p in _TCR["peptides"]:
        if p["name"] == name:
            return p
    raise ValueError(f"unknown TCR target {name!r}")


def _tcr_opt(p, key):
    """Per-peptide value, else the section-level default."""
    value = p.get(key)
    return _TCR.get(key) if value is None else value


def _tcr_inputs(wildcards):
    p = _tcr_peptide(wildcards.target)
    files = {"proteome": _TCR["proteome"]}
    if _tcr_opt(p, "xscan"):
        files["xscan"] = _tcr_opt(p, "xscan")
    if _TCR.get("expression"):
        files["expression"] = _TCR["expression"]
    if _TCR.get("hla_predictions"):
        files["hla_predictions"] = _TCR["hla_predictions"]
    return files


def _tcr_args(wildcards, input):
    p = _tcr_peptide(wildcards.target)
    q = shlex.quote
    args = [f"--peptide {q(p['sequence'])}", f"--hla {q(p['hla'])}", f"--name {q(p['name'])}"]
    if p.get("source"):
        args.append(f"--source {q(p['source'])}")
    if _tcr_opt(p, "motif"):
        args.append(f"--motif {q(_tcr_opt(p, 'motif'))}")
    if "xscan" in input.keys():
        args.append(f"--xscan {q(input.xscan)} --xscan-threshold {_TCR['xscan_threshold']}"
                    f" --xscan-scoring {_TCR['xscan_scoring']}")
    contacts = _tcr_opt(p, "contact_positions") or []
    if contacts:
        args.append(f"--contact-positions {','.join(str(c) for c in contacts)}")
    args.append(f"--contact-weight {_TCR['contact_weight']} --max-hamming {_TCR['max_hamming']}")
    if "expression" in input.keys():
        args.append(f"--expression {q(input.expression)}")
    args.append(f"--vital-tissues {q(','.join(_TCR['vital_tissues']))} --min-ntpm {_TCR['min_ntpm']}")
    if "hla_predictions" in input.keys():
        args.append(f"--hla-predictions {q(input.hla_predictions)}")
    if _TCR.get("hla_panel"):
        args.append(f"--hla-panel {q(','.join(_TCR['hla_panel']))}")
    return " ".join(args)


def _tcr_imported():
    return {k: v for k, v in (_TCR.get("imported") or {}).items() if v}


def _tcr_imported_args(wildcards, input):
    flags = {"allo_hla": "--allo-hla", "affinity": "--affinity", "mispairing_statement": "--mispairing-statement"}
    return " ".join(f"{flags[k]} {shlex.quote(getattr(input, k))}" for k in _tcr_imported())
