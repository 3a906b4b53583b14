"""Plan of ``workflow/rules/sitecheck.smk`` (per-site counts, edited-vs-control verdicts, summary).
Sample sheets are read and checked when the plan is built."""

from __future__ import annotations

from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.plan.common import Layout, enabled, flags, q, qjoin


def variant_tables(config: dict, layout: Layout) -> list[str]:
    """The off-target step's variant tables (one per ``offtarget.variants`` entry) when it runs."""
    if not enabled(config, "offtarget"):
        return []
    from cgtsafe.offtarget.species import slug

    return [layout.path("offtarget", f"variants_{slug(v['label'])}.tsv")
            for v in config["offtarget"].get("variants") or []]


class SitecheckPlan:
    """Sample sheets read and checked at parse time; paths and argument strings for the rules."""

    def __init__(self, config: dict, layout: Layout, config_file: str = "config"):
        from cgtsafe.sitecheck.sheets import read_amplicon_sheet, read_amplicons
        from cgtsafe.sitecheck.quantify import read_wgs_sheet

        sc = config["sitecheck"]
        self.sc = sc
        self.dir = layout.dir("sitecheck")
        self.wgs = read_wgs_sheet(sc["wgs_samples"]) if sc.get("wgs_samples") else None
        self.amp = None
        if sc.get("amplicon_samples"):
            read_amplicons(sc["amplicons"])
            self.amp = read_amplicon_sheet(sc["amplicon_samples"])
        if self.wgs is None and self.amp is None:
            raise InputError("key 'sitecheck': set wgs_samples and/or amplicon_samples when sitecheck.enabled is true",
                             path=config_file)
        if sc.get("intended_edits"):
            from cgtsafe.sitecheck.editors import get_editor
            from cgtsafe.sitecheck.sheets import read_intended_edits

            read_intended_edits(sc["intended_edits"])
            try:
                kind = get_editor(sc.get("editor") or "nuclease").kind
            except InputError:
                kind = ""  # reported by editor_args with the key's name
            if kind and kind not in ("prime", "hdr"):
                raise InputError(f"key 'sitecheck.intended_edits': intended edits apply to prime editing or HDR "
                                 f"(sitecheck.editor PE or HDR), not {sc.get('editor') or 'nuclease'}",
                                 path=config_file)
        for n in self.nominated_files():
            if not Path(n).exists():
                raise InputError(f"key 'sitecheck.nominated': file {n!r} does not exist", path=config_file)
        self.fragments: list[str] = []  # genome-wide/structural summary fragments (set by Plan)
        #: ``offtarget variants`` tables whose sites (the donor's own alleles) join the candidates
        self.variant_tables = variant_tables(config, layout) if sc.get("variant_sites", True) else []

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    def add_nominated(self, method: str, path: str) -> None:
        """A nominated-site table made by the workflow (``nomination``): ``METHOD=path`` like a configured one
        (after the existence check: the file is an output of an earlier rule)."""
        self.sc = {**self.sc, "nominated": [*self.sc.get("nominated", []), f"{method}={path}"]}

    def nominated_files(self) -> list[str]:
        return [n.rpartition("=")[2] for n in self.sc.get("nominated", [])]

    def wgs_file(self, wildcards) -> str:
        return self.wgs.set_index("sample").loc[wildcards.sample, "file"]

    def amplicon_fastqs(self, wildcards) -> list[str]:
        rows = self.amp[self.amp["sample"] == wildcards.sample]
        return [f for c in ("fastq", "fastq2") for f in rows[c] if f]

    def counts(self) -> list[str]:
        out = []
        if self.wgs is not None:
            out += [self.path(f"counts/wgs/{s}.tsv") for s in sorted(self.wgs["sample"])]
        if self.amp is not None:
            out += [self.path(f"counts/amplicon/{s}.tsv") for s in sorted(set(self.amp["sample"]))]
        return out

    def common_args(self) -> str:
        nom = qjoin(self.sc.get("nominated", []))
        var = qjoin(self.variant_tables)
        return (f"--window {self.sc['window']}" + (f" --variant-sites {var}" if var else "")
                + (f" --nominated {nom}" if nom else ""))

    def editor_args(self) -> str:
        """``--editor NAME [--editor-window FIRST LAST]`` (sitecheck.editor / editor_window)."""
        from cgtsafe.sitecheck.editors import get_editor

        name, window = self.sc.get("editor") or "nuclease", self.sc.get("editor_window")
        reach = self.sc.get("rt_template_length")
        try:
            get_editor(name, window, reach)
        except InputError as exc:
            raise InputError(f"key 'sitecheck.editor': {exc}") from None
        out = f"--editor {q(name)}"
        out += f" --rt-template-length {int(reach)}" if reach else ""
        return out + (f" --editor-window {int(window[0])} {int(window[1])}" if window else "")

    def intended_edits(self) -> list[str]:
        """``sitecheck.intended_edits`` (prime editing / HDR intended edits of WGS sites) as a rule input."""
        return [self.sc["intended_edits"]] if self.sc.get("intended_edits") else []

    def wgs_filters(self) -> str:
        ie = self.intended_edits()
        return (f"{flags(self.sc, 'min_mapq', 'min_baseq')} {self.editor_args()}"
                + (f" --intended-edits {q(ie[0])}" if ie else ""))

    def amplicon_filters(self) -> str:
        from cgtsafe.sitecheck.reads import adapter_pair

        ad = self.sc.get("adapters") or "truseq"
        try:
            adapter_pair(ad)
        except InputError as exc:
            raise InputError(f"key 'sitecheck.adapters': {exc}") from None
        ad_arg = q(ad) if isinstance(ad, str) else qjoin([str(x) for x in ad])
        return (f"{flags(self.sc, 'min_baseq', 'min_identity', 'min_overlap')} --adapters {ad_arg} "
                f"{self.editor_args()}")

    def stat_args(self) -> str:
        return flags(self.sc, "threshold", "alpha", "power", "min_depth")

    def sheet_args(self) -> str:
        out = []
        if self.wgs is not None:
            out.append(f"--wgs-sheet {q(self.sc['wgs_samples'])}")
        if self.amp is not None:
            out.append(f"--amplicon-sheet {q(self.sc['amplicon_samples'])}")
        return " ".join(out)

    def summary_filters(self) -> str:
        return flags(self.sc, "window", "min_mapq", "min_baseq", "min_identity")

    def justification(self) -> str:
        return q(self.sc["threshold_justification"])

    def input_files(self) -> str:
        files = [self.sc["sites"], *self.nominated_files()]
        if self.wgs is not None:
            files += [self.sc["wgs_samples"], *self.wgs["file"]]
        if self.amp is not None:
            files += [self.sc["amplicon_samples"], self.sc["amplicons"],
                      *[f for c in ("fastq", "fastq2") for f in self.amp[c] if f]]
        return qjoin(files)
