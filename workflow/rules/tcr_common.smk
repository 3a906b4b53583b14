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
