"""Plan of ``workflow/rules/tcr.smk``: one scan per target peptide, then the summary."""

from __future__ import annotations

from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.plan.common import Layout, q

IMPORTED_FLAGS = {"allo_hla": "--allo-hla", "affinity": "--affinity", "mispairing_statement": "--mispairing-statement"}


class TcrPlan:
    def __init__(self, config: dict, layout: Layout, config_file: str = "config"):
        from cgtsafe.config import check_files

        t = config["tcr"]
        self.t = t
        self.dir = layout.dir("tcr")
        if not t.get("proteome"):
            raise InputError("key 'tcr.proteome': a protein FASTA is required when tcr.enabled is true",
                             path=config_file)
        if not t.get("peptides"):
            raise InputError("key 'tcr.peptides': at least one target peptide is required when tcr.enabled is true",
                             path=config_file)
        names = [p["name"] for p in t["peptides"]]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise InputError(f"key 'tcr.peptides': duplicate target names {dup}", path=config_file)
        check_files(config, ["tcr.proteome", "tcr.xscan", "tcr.expression", "tcr.hla_predictions",
                             "tcr.imported.allo_hla", "tcr.imported.affinity", "tcr.imported.mispairing_statement"],
                    path=config_file)
        for i, p in enumerate(t["peptides"]):
            if p.get("xscan") and not Path(p["xscan"]).exists():
                raise InputError(f"key 'tcr.peptides[{i}].xscan': file {p['xscan']!r} does not exist",
                                 path=config_file)
        self.targets = names

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    def peptide(self, name: str) -> dict:
        for p in self.t["peptides"]:
            if p["name"] == name:
                return p
        raise ValueError(f"unknown TCR target {name!r}")

    def option(self, p: dict, key: str):
        """Per-peptide value, else the section-level default."""
        value = p.get(key)
        return self.t.get(key) if value is None else value

    def scan_inputs(self, wildcards) -> dict:
        p = self.peptide(wildcards.target)
        files = {"proteome": self.t["proteome"]}
        if self.option(p, "xscan"):
            files["xscan"] = self.option(p, "xscan")
        if self.t.get("expression"):
            files["expression"] = self.t["expression"]
        if self.t.get("hla_predictions"):
            files["hla_predictions"] = self.t["hla_predictions"]
        return files

    def scan_args(self, wildcards, input) -> str:
        p = self.peptide(wildcards.target)
        t = self.t
        args = [f"--peptide {q(p['sequence'])}", f"--hla {q(p['hla'])}", f"--name {q(p['name'])}"]
        if p.get("source"):
            args.append(f"--source {q(p['source'])}")
        if p.get("source_accession"):
            args.append(f"--source-accession {q(','.join(p['source_accession']))}")
        if self.option(p, "motif"):
            args.append(f"--motif {q(self.option(p, 'motif'))}")
        if "xscan" in input.keys():
            args.append(f"--xscan {q(input.xscan)} --xscan-threshold {t['xscan_threshold']}"
                        f" --xscan-scoring {q(t['xscan_scoring'])}")
        contacts = self.option(p, "contact_positions") or []
        if contacts:
            args.append(f"--contact-positions {','.join(str(int(c)) for c in contacts)}")
        args.append(f"--contact-weight {t['contact_weight']} --max-hamming {t['max_hamming']}"
                    f" --top-n {int(t['top_n'])}")
        if "expression" in input.keys():
            args.append(f"--expression {q(input.expression)}")
        args.append(f"--vital-tissues {q(','.join(t['vital_tissues']))} --min-ntpm {t['min_ntpm']}")
        if "hla_predictions" in input.keys():
            args.append(f"--hla-predictions {q(input.hla_predictions)}")
        args.append(f"--hla-predictor {q(t['hla_predictor'])} --hla-panel {q(','.join(t.get('hla_panel') or []))}")
        return " ".join(args)

    def imported(self, wildcards=None) -> dict[str, str]:
        return {k: v for k, v in (self.t.get("imported") or {}).items() if v}

    def imported_args(self, wildcards, input) -> str:
        return " ".join(f"{IMPORTED_FLAGS[k]} {q(getattr(input, k))}" for k in self.imported())

    def scan_stats(self) -> list[str]:
        return [self.path(f"{t}/scan.json") for t in self.targets]
