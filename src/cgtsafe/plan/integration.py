"""Plan of ``workflow/rules/integration.smk``: reads -> fragments (when no external fragment table is
given), then fragments -> sites, clonality, enrichment, CIS, clones over time, summary."""

from __future__ import annotations

import json

from cgtsafe.errors import InputError
from cgtsafe.plan.common import Layout, enabled, goc_opt, opt, q, windows

READ_FILE_KEYS = ("r1", "r2", "i1", "vector", "ltr_barcodes", "lc_barcodes")


class IntegrationPlan:
    def __init__(self, config: dict, layout: Layout, config_file: str = "config"):
        from cgtsafe.config import read_sample_sheet

        it = config.get("integration") or {}
        self.c = it
        self.enabled = enabled(config, "integration")
        self.dir = layout.dir("integration")
        self.external = it.get("fragments", "") or ""
        #: imported ISAnalytics/VISPA2 site matrix (no breakpoints): sites come from `from-matrix`
        self.matrix = it.get("matrix", "") or ""
        self.quantification = it.get("matrix_quantification", "seqCount") or "seqCount"
        if self.enabled and self.matrix and self.external:
            raise InputError("keys 'integration.fragments' and 'integration.matrix' exclude each other (give the "
                             "fragment table or the imported matrix)", path=config_file)
        self.reads = it.get("reads") or {}
        # the read processing runs when no external fragment table (INSPIIRED/VISPA2 export) or matrix is given
        self.call_sites = self.enabled and not self.external and not self.matrix
        self.samples = [it["samples"]] if it.get("samples", "") else []
        if self.call_sites and not self.samples:
            raise InputError("key 'integration.samples' is required for the read processing (sample sheet with "
                             "barcodes)", path=config_file)
        if self.enabled and self.samples:
            # the sample sheet is checked when the workflow is parsed: one line, nothing written
            read_sample_sheet(self.samples[0], required=("sample", "subject", "timepoint"))
        self.fragments = self.external or self.path("fragments.tsv")
        # attrition/multihits of the read processing (absent when the fragments come from elsewhere)
        self.read_tables = ({} if self.external or self.matrix
                            else {k: self.path(f"{k}.tsv") for k in ("attrition", "multihits")})
        self.goc = goc_opt(config)
        self.windows = windows(config, ",")
        self.samples_opt = opt("--samples", it.get("samples", ""))

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    # -- reads -> fragments
    def read_files(self) -> dict[str, str]:
        """Optional inputs: the multiplexed run (r1/r2/i1; per-sample FASTQs may instead be named in the
        sheet) and the vector FASTA."""
        return {key: self.reads[key] for key in READ_FILE_KEYS if self.reads.get(key)}

    def read_args(self) -> str:
        """Input files, plus ``--index`` (the cached minimap2 index: reused when present, else written once)."""
        args = [f"--{key.replace('_', '-')} {q(path)}" for key, path in self.read_files().items()]
        if self.reads.get("index"):
            args.append(f"--index {q(self.reads['index'])}")
        return " ".join(args)

    def read_threads(self) -> int:
        return self.reads.get("threads", 2)

    def layout_arg(self) -> str:
        return q(json.dumps(self.reads.get("layout", {}), sort_keys=True))

    # -- fragments -> sites
    def dominance(self) -> str:
        return ",".join(str(t) for t in self.c["dominance_thresholds"])

    def sites_input(self) -> dict[str, str]:
        """What the sites come from: ``{"imported_matrix": path}`` or ``{"fragments": path}``."""
        return {"imported_matrix": self.matrix} if self.matrix else {"fragments": self.fragments}

    def sites_step(self) -> str:
        """``from-matrix --matrix <path>`` or ``from-fragments --fragments <path>`` (path quoted)."""
        if self.matrix:
            return f"from-matrix --matrix {q(self.matrix)} --quantification {q(self.quantification)}"
        return f"from-fragments --fragments {q(self.fragments)}"

    def sites_args(self) -> str:
        c = self.c
        common = (f"{self.samples_opt} {self.goc} --goc-windows {self.windows} --merge-distance {c['merge_distance']}"
                  f" --dominance {self.dominance()} --collisions {q(c['collisions']['action'])}"
                  f" --collision-ratio {c['collisions']['ratio']}")
        if self.matrix:  # no breakpoints: abundance is the imported quantification, no sonic model
            return common
        return f"{common} --abundance {q(c['abundance'])} --length-bin {c['sonic_length_bin']}"

    def abundance(self) -> str:
        """Clone-size measure named in the summary (``imported-<quantification>`` for an imported matrix)."""
        return f"imported-{self.quantification}" if self.matrix else self.c["abundance"]

    def enrichment_args(self) -> str:
        c = self.c
        return (f"{self.goc} --goc-windows {self.windows} --per-site {c['random_controls_per_site']}"
                f" --seed {c['seed']} --tss-window {c['tss_window']}")

    def cis_args(self) -> str:
        return f"--flank {self.c['cis']['flank']} --alpha {self.c['cis']['alpha']}"

    def longitudinal_args(self) -> str:
        c = self.c
        return (f"{self.samples_opt} --threshold {c['expansion']['threshold']} --fold {c['expansion']['fold']}"
                f" --top-n {c['figure_top_n']}")

    @staticmethod
    def read_table_args(wildcards, input) -> str:
        """``--attrition F --multihits F`` when the read processing ran."""
        return " ".join(f"--{k} {q(input[k])}" for k in ("attrition", "multihits") if k in input.keys())

    @staticmethod
    def source_arg(wildcards, input) -> str:
        """``--fragments <path>``: the fragments table, or the imported matrix the sites came from (listed as input)."""
        key = "imported_matrix" if "imported_matrix" in input.keys() else "fragments"
        return f"--fragments {q(input[key])}"

    def summary_args(self) -> str:
        c = self.c
        return (f"--merge-distance {c['merge_distance']} --abundance {q(self.abundance())}"
                f" --dominance {self.dominance()} --per-site {c['random_controls_per_site']}"
                f" --seed {c['seed']} --tss-window {c['tss_window']} --goc-windows {self.windows}"
                f" --threshold {c['expansion']['threshold']} --fold {c['expansion']['fold']}"
                f" --flank {c['cis']['flank']} --alpha {c['cis']['alpha']} {self.goc}")
