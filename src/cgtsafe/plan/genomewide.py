"""Plan of ``workflow/rules/sitecheck_genomewide.smk``: genome-wide edited-only variants and on-target
structural outcomes, one job per edited/control WGS pair."""

from __future__ import annotations

from cgtsafe.plan.common import Layout, flags, goc_opt, opt, q, windows


class GenomewidePlan:
    """Edited/control WGS pairs of the sample sheet (already validated by ``read_wgs_sheet``).

    ``genomewide`` / ``structural`` say whether those rules exist (sitecheck on, a WGS sheet with edited
    samples, the step enabled)."""

    def __init__(self, config: dict, layout: Layout, sitecheck=None):
        self.dir = layout.dir("sitecheck")
        wgs = sitecheck.wgs if sitecheck is not None else None
        self.wgs = wgs.set_index("sample") if wgs is not None else None
        self.edited = sorted(self.wgs.index[self.wgs["role"] == "edited"]) if self.wgs is not None else []
        sc = config.get("sitecheck") or {}
        self.sc = sc
        self.gw = sc.get("genomewide") or {}
        self.sv = sc.get("structural") or {}
        self.genomewide = bool(self.edited and self.gw.get("enabled"))
        #: region jobs per pair (``genomewide --chunk i/n``, merged by ``genomewide-merge``); 1 = one job
        self.region_jobs = int(self.gw.get("region_jobs", 1) or 1)
        self.structural = bool(self.edited and self.sv.get("enabled"))
        ot = config.get("offtarget") or {}
        self.guides_opt = opt("--guides", ot.get("guides"))
        self.nuclease = q(ot.get("nuclease", "SpCas9"))
        self.goc = goc_opt(config)
        self.windows = windows(config)

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    def per_sample(self, pattern: str) -> list[str]:
        return [self.path(pattern.format(sample=s)) for s in self.edited]

    def fragments(self) -> list[str]:
        """Summary fragments that ``sitecheck summarize`` merges (only of the steps that run)."""
        out = []
        if self.genomewide:
            out.append(self.path("genomewide_summary.json"))
        if self.structural:
            out.append(self.path("structural_summary.json"))
        return sorted(out)

    def pair_files(self, wildcards) -> dict:
        """Input function: the edited sample's BAM/CRAM and its control's."""
        row = self.wgs.loc[wildcards.sample]
        return {"edited": row["file"], "control": self.wgs.loc[row["control"], "file"]}

    def region_parts(self, suffix: str):
        """Input function of the merge: the ``region_jobs`` part files (``.tsv``/``.json``) of one pair."""
        def parts(wildcards) -> list[str]:
            return [self.path(f"genomewide/{wildcards.sample}.part{i}{suffix}") for i in range(1, self.region_jobs + 1)]
        return parts

    def control_name(self, wildcards) -> str:
        return q(self.wgs.loc[wildcards.sample, "control"])

    def regions(self) -> list[str]:
        return self.gw.get("regions") or []

    def regions_opt(self) -> str:
        return opt("--regions", self.gw.get("regions"))

    def genomewide_thresholds(self) -> str:
        return flags(self.gw, "min_mapq", "min_baseq", "min_depth", "min_control_depth", "min_alt_reads",
                     "min_indel_reads", "min_vaf", "max_control_alt", "cluster_distance", "alpha", "guide_window",
                     "guide_max_mismatches", "guide_max_bulges")

    def editor_test_args(self) -> str:
        """``--editor NAME --power P [--detectable-excess-per-mb X]`` of the genome-wide summary (the WGS pairs'
        editor is ``sitecheck.editor``; the preset name is checked by the sitecheck plan)."""
        from cgtsafe.errors import InputError
        from cgtsafe.sitecheck.editors import get_editor

        name = self.sc.get("editor") or "nuclease"
        try:
            get_editor(name)
        except InputError as exc:
            raise InputError(f"key 'sitecheck.editor': {exc}") from None
        out = f"--editor {q(name)} --power {float(self.sc.get('power', 0.8))}"
        per_mb = self.gw.get("detectable_excess_per_mb")
        return out + (f" --detectable-excess-per-mb {float(per_mb)}" if per_mb is not None else "")

    def structural_thresholds(self) -> str:
        return flags(self.sv, "min_mapq", "max_distance", "max_insert", "tolerance", "reciprocal_tolerance",
                     "ref_margin", "min_support", "alpha")
