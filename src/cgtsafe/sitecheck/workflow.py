"""Helpers for ``workflow/rules/sitecheck.smk`` (kept here so the rule file holds only rules)."""

from __future__ import annotations

import shlex
from pathlib import Path

from cgtsafe.errors import InputError

SC_DIR = "results/sitecheck"
FRAGMENTS = (f"{SC_DIR}/genomewide_summary.json", f"{SC_DIR}/structural_summary.json")


class SitecheckPlan:
    """Sample sheets read and checked at parse time; argument strings for the rules."""

    def __init__(self, sc: dict, config_file: str, variant_tables=()):
        from cgtsafe.sitecheck.amplicon import read_amplicon_sheet, read_amplicons
        from cgtsafe.sitecheck.quantify import read_wgs_sheet

        self.sc = sc
        #: ``offtarget variants`` tables whose sites (the donor's alleles) join the candidates
        self.variant_tables = list(variant_tables) if sc.get("variant_sites", True) else []
        self.wgs = read_wgs_sheet(sc["wgs_samples"]) if sc.get("wgs_samples") else None
        self.amp = None
        if sc.get("amplicon_samples"):
            read_amplicons(sc["amplicons"])
            self.amp = read_amplicon_sheet(sc["amplicon_samples"])
        if self.wgs is None and self.amp is None:
            raise InputError("key 'sitecheck': set wgs_samples and/or amplicon_samples when sitecheck.enabled is true",
                             path=config_file)
        for n in self.nominated_files():
            if not Path(n).exists():
                raise InputError(f"key 'sitecheck.nominated': file {n!r} does not exist", path=config_file)

    def nominated_files(self) -> list[str]:
        return [n.rpartition("=")[2] for n in self.sc.get("nominated", [])]

    def wgs_file(self, sample: str) -> str:
        return self.wgs.set_index("sample").loc[sample, "file"]

    def amplicon_fastqs(self, sample: str) -> list[str]:
        rows = self.amp[self.amp["sample"] == sample]
        return [f for c in ("fastq", "fastq2") for f in rows[c] if f]

    def counts(self) -> list[str]:
        out = []
        if self.wgs is not None:
            out += [f"{SC_DIR}/counts/wgs/{s}.tsv" for s in sorted(self.wgs["sample"])]
        if self.amp is not None:
            out += [f"{SC_DIR}/counts/amplicon/{s}.tsv" for s in sorted(set(self.amp["sample"]))]
        return out

    def common_args(self) -> str:
        nom = " ".join(shlex.quote(n) for n in self.sc.get("nominated", []))
        var = " ".join(shlex.quote(v) for v in self.variant_tables)
        return (f"--window {self.sc['window']}" + (f" --nominated {nom}" if nom else "")
                + (f" --variant-sites {var}" if var else ""))

    def stat_args(self) -> str:
        sc = self.sc
        return f"--threshold {sc['threshold']} --alpha {sc['alpha']} --power {sc['power']} --min-depth {sc['min_depth']}"

    def sheet_args(self) -> str:
        out = []
        if self.wgs is not None:
            out.append(f"--wgs-sheet {shlex.quote(self.sc['wgs_samples'])}")
        if self.amp is not None:
            out.append(f"--amplicon-sheet {shlex.quote(self.sc['amplicon_samples'])}")
        return " ".join(out)

    def summary_filters(self) -> str:
        sc = self.sc
        return (f"--window {sc['window']} --min-mapq {sc['min_mapq']} --min-baseq {sc['min_baseq']}"
                f" --min-identity {sc['min_identity']}")

    def justification(self) -> str:
        return shlex.quote(str(self.sc["threshold_justification"]))

    def input_files(self) -> str:
        files = [self.sc["sites"], *self.nominated_files()]
        if self.wgs is not None:
            files += [self.sc["wgs_samples"], *self.wgs["file"]]
        if self.amp is not None:
            files += [self.sc["amplicon_samples"], self.sc["amplicons"],
                      *[f for c in ("fastq", "fastq2") for f in self.amp[c] if f]]
        return " ".join(shlex.quote(f) for f in files)


def fragments(rules) -> list[str]:
    """Summary fragments of the genome-wide/structural steps that some rule produces."""
    return sorted({str(o) for r in rules for o in r.output if str(o) in FRAGMENTS})
