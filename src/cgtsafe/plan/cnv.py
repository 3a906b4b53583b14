"""Plan of ``workflow/rules/cnv.smk``: copy-number changes per edited/control WGS pair (the pairs of
``sitecheck.wgs_samples``), then one summary. On-target cuts come from the prediction table (``results/offtarget/
sites.tsv``: rows without mismatches or bulges) when the offtarget analysis runs, plus ``cnv.cuts``."""

from __future__ import annotations

from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.plan.common import Layout, flags, q


class CnvPlan:
    def __init__(self, config: dict, layout: Layout, sitecheck=None, config_file: str = "config"):
        self.c = config["cnv"]
        self.config = config
        self.dir = layout.dir("cnv")
        wgs = sitecheck.wgs if sitecheck is not None else None
        if wgs is None:
            raise InputError("key 'cnv.enabled': copy-number analysis needs edited/control WGS pairs "
                             "(sitecheck.enabled with sitecheck.wgs_samples)", path=config_file)
        self.wgs = wgs.set_index("sample")
        self.edited = sorted(self.wgs.index[self.wgs["role"] == "edited"])
        if not self.edited:
            raise InputError("key 'sitecheck.wgs_samples': no edited sample for the copy-number analysis",
                             path=config_file)

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    def per_sample(self, name: str) -> list[str]:
        return [self.path(f"{s}/{name}") for s in self.edited]

    def pair_files(self, wildcards) -> dict:
        row = self.wgs.loc[wildcards.sample]
        out = {"edited": row["file"], "control": self.wgs.loc[row["control"], "file"]}
        if self.config["reference"].get("genes"):
            out["genes"] = self.config["reference"]["genes"]
        if self.config["offtarget"].get("enabled"):
            out["sites"] = f"{Path(self.dir).parent}/offtarget/sites.tsv"
        for key in ("mappability", "centromeres", "recurrent_regions", "snps"):
            if self.c.get(key):
                out[key] = self.c[key]
        return out

    def call_args(self, wildcards, input) -> str:
        c = self.c
        out = [flags(c, "target_reads", "min_mapq", "alpha", "permutations")]
        if "genes" in input.keys():
            out.append(f"--genes {q(input.genes)}")
        if c.get("bin_size"):
            out.append(f"--bin-size {int(c['bin_size'])}")
        for cut in c.get("cuts") or []:
            out.append(f"--cut {q(cut)}")
        if "sites" in input.keys():
            out.append(f"--sites {q(input.sites)}")
        for key, opt in (("mappability", "--mappability"), ("centromeres", "--centromeres"),
                         ("recurrent_regions", "--regions"), ("snps", "--snps")):
            if key in input.keys():
                out.append(f"{opt} {q(input[key])}")
        if self.config["reference"].get("build"):
            out.append(f"--build {q(str(self.config['reference']['build']))}")
        out.append(flags(c, "min_mappability", "het_min_depth", "baf_min_depth", "baf_min_sites"))
        if not c.get("baf", True):
            out.append("--no-baf")
        return " ".join(out)

    def summarize_args(self) -> str:
        return " ".join(f"--sample {q(f'{s}={self.path(s)}')}" for s in self.edited)
