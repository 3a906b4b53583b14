"""Plan of ``workflow/rules/provenance.smk`` and ``report.smk``: resolved config, provenance record,
demo validation and the evidence report. Also the reference checks every run needs."""

from __future__ import annotations

import csv
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.plan.common import ANALYSES, Layout, opt, q


def check_reference(config: dict, config_file: str = "config") -> None:
    """The reference files exist and the genome looks like FASTA (one line, before any job runs)."""
    from cgtsafe.config import check_files
    from cgtsafe.io.fasta import open_text_bytes

    check_files(config, ["reference.genome", "reference.genes", "reference.genes_of_concern"], path=config_file)
    path = config["reference"]["genome"]
    try:
        with open_text_bytes(path) as fh:
            first = fh.readline()
    except (OSError, InputError) as exc:
        raise InputError(f"key 'reference.genome': cannot read {path!r} ({exc})", path=config_file) from None
    if not first.startswith(b">"):
        raise InputError(f"key 'reference.genome': {path!r} is not a FASTA file (expected a '>' header on line 1)",
                         path=config_file)


def provenance_inputs(config: dict, config_file: str, results: str = "results") -> list[str]:
    """Every file named in the config, and every file named in a sample sheet the config names; files of the
    run's own results folder (e.g. the default ``sitecheck.sites``) are outputs, not inputs: listing them only
    once they exist would change the rule's parameters after a complete run (``snakemake -n`` not quiet)."""
    found = []
    own = Path(results).resolve()

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and node and not Path(node).resolve().is_relative_to(own) and Path(node).is_file():
            found.append(node)
            if node.endswith((".tsv", ".csv")):
                with open(node, encoding="utf-8") as fh:
                    for row in csv.reader(fh, delimiter="\t" if node.endswith(".tsv") else ","):
                        for cell in row:
                            if cell and "/" in cell and Path(cell).is_file():
                                found.append(cell)

    walk(config)
    found.append(config_file)
    return sorted(set(found))


class ReportPlan:
    def __init__(self, config: dict, layout: Layout, config_file: str = "config"):
        self.config = config
        self.config_file = config_file
        self.layout = layout
        self.root = layout.root
        r = config["report"]
        self.r = r
        self.summaries = layout.summaries()
        self.resolved_config = f"{layout.root}/resolved_config.yaml"
        self.provenance = f"{layout.root}/provenance.json"
        self.html = f"{layout.root}/report/evidence_report.html"
        self.pdf = f"{layout.root}/report/evidence_report.pdf"
        self.performance_out = f"{layout.root}/validation/method_performance.json"
        self.truth = r.get("truth") or ""
        self.imported = [item["file"] for item in r.get("imported") or []]
        self.performance = [r["performance"]] if r.get("performance") else []

    def outputs(self) -> list[str]:
        """The analysis folders whose files the provenance record checksums."""
        return [self.layout.dir(a) for a in ANALYSES]

    def provenance_inputs(self) -> list[str]:
        return provenance_inputs(self.config, self.config_file, self.root)

    def reference_data_opt(self) -> str:
        # real reference data (../shared/data): not an input, an absent folder is a note in the log
        return opt("--reference-data", self.r.get("reference_data"))

    @staticmethod
    def performance_opt(wildcards, input) -> str:
        return f"--performance {q(input.performance)}" if input.performance else ""
