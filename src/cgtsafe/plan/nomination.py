"""Plan of ``workflow/rules/nomination.smk``: empirical off-target nomination from GUIDE-seq (or CHANGE-seq /
CIRCLE-seq) reads: ``call`` (reads -> windows -> nominated sites) and ``summarize`` (comparison with the in
silico prediction, summary.json). The guides and nuclease are those of the ``offtarget`` section."""

from __future__ import annotations

from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.plan.common import Layout, flags, q


class NominationPlan:
    def __init__(self, config: dict, layout: Layout, config_file: str = "config"):
        from cgtsafe.nomination.run import read_samples

        n = config["nomination"]
        self.n = n
        self.config = config
        self.dir = layout.dir("nomination")
        ot = config["offtarget"]
        if not ot.get("guides") or not Path(ot["guides"]).exists():
            raise InputError("key 'offtarget.guides': the guide file is required by nomination (guide search in each "
                             "window)", path=config_file)
        if not n.get("samples"):
            raise InputError("key 'nomination.samples': the sample sheet is required when nomination.enabled is true",
                             path=config_file)
        try:
            self.rows = read_samples(n["samples"])
        except InputError as exc:
            raise InputError(f"key 'nomination.samples': {exc}", path=config_file) from None
        self.pooled = any(r.get("barcode1") for r in self.rows)
        files = [f for r in self.rows for f in (r["r1"], r["r2"], r.get("i1", ""), r.get("i2", "")) if f]
        if self.pooled:
            for k in ("r1", "r2", "i1", "i2"):
                if not (n.get("pool") or {}).get(k):
                    raise InputError(f"key 'nomination.pool.{k}': samples with barcodes need the pooled run files",
                                     path=config_file)
                files.append(n["pool"][k])
        for f in files:
            if not Path(f).exists():
                raise InputError(f"key 'nomination.samples': file {f!r} does not exist", path=config_file)
        self.read_files = files

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    def inputs(self, wildcards=None) -> dict:
        return {"samples": self.n["samples"], "guides": self.config["offtarget"]["guides"],
                "genome": self.config["reference"]["genome"], "reads": self.read_files}

    def call_args(self) -> str:
        n = self.n
        out = [f"--nuclease {q(self.config['offtarget']['nuclease'])} --layout {q(n['layout'])} "
               f"--method {q(n['method'])}",
               flags(n, "barcode_mismatches", "tag_mismatches", "umi_min_qual", "umi_min_freq", "min_mapq",
                     "max_fragment", "window_gap", "flank", "max_mismatches", "max_dna_bulge", "max_rna_bulge",
                     "max_bulge_mismatches", "threads")]
        if self.pooled:
            out += [f"--pool-{k} {q(n['pool'][k])}" for k in ("r1", "r2", "i1", "i2")]
        return " ".join(out)

    def predicted(self) -> list[str]:
        """The prediction table (offtarget output) when the offtarget analysis runs."""
        return [f"{Path(self.dir).parent}/offtarget/sites.tsv"] if self.config["offtarget"].get("enabled") else []

    def summarize_args(self, wildcards, input) -> str:
        n, ot = self.n, self.config["offtarget"]
        out = [f"--method {q(n['method'])} --layout {q(n['layout'])}"]
        if "predicted" in input.keys():
            out.append(f"--predicted {q(input.predicted)}")
            out.append(f"--pred-max-mismatches {int(ot['max_mismatches'])} --pred-max-dna-bulge "
                       f"{int(ot['max_dna_bulge'])} --pred-max-rna-bulge {int(ot['max_rna_bulge'])}")
            if ot.get("max_bulge_mismatches") is not None:
                out.append(f"--pred-max-bulge-mismatches {int(ot['max_bulge_mismatches'])}")
            if not ot.get("alternative_pams", True) or ot.get("pam"):
                out.append("--pred-no-alternative-pams")
        return " ".join(out)

    def to_sitecheck(self) -> tuple[str, str] | None:
        """``(method, nominated.tsv)`` to add to the site check, when configured."""
        return (self.n["method"], self.path("nominated.tsv")) if self.n.get("to_sitecheck", True) else None
