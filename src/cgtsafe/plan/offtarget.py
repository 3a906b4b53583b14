"""Plan of ``workflow/rules/offtarget.smk``: guide search in chunks, merge, annotate, species, variants,
summary. Checks the guide file and the species/variant entries (labels become file names)."""

from __future__ import annotations

from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.offtarget.species import slug
from cgtsafe.plan.common import Layout, goc_opt, q, qjoin, windows


def entries(config: dict, key: str, path_key: str, *, config_file: str = "config") -> dict[str, tuple[str, str]]:
    """``{slug: (label, path)}`` of ``offtarget.species`` / ``offtarget.variants``; checks files and slugs."""
    out: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(config["offtarget"].get(key, []) or []):
        s = slug(item["label"])
        if s in out:
            raise InputError(f"key 'offtarget.{key}[{i}].label': {item['label']!r} gives the same file name ({s}) "
                             f"as {out[s][0]!r}; labels must differ", path=config_file)
        if not Path(item[path_key]).exists():
            raise InputError(f"key 'offtarget.{key}[{i}].{path_key}': file {item[path_key]!r} does not exist",
                             path=config_file)
        out[s] = (item["label"], item[path_key])
    return out


def check_guides(config: dict, *, config_file: str = "config") -> None:
    g = config["offtarget"].get("guides")
    if not g:
        raise InputError("key 'offtarget.guides' is required when offtarget.enabled is true", path=config_file)
    if not Path(g).exists():
        raise InputError(f"key 'offtarget.guides': file {g!r} does not exist", path=config_file)


def search_opts(config: dict) -> str:
    """``--nuclease ... --max-rna-bulge N`` shared by search, species, variants, summarize."""
    ot = config["offtarget"]
    parts = ["--nuclease", str(ot["nuclease"])]
    if ot.get("pam"):
        parts += ["--pam", str(ot["pam"])]
    if not ot.get("alternative_pams", True):
        parts.append("--no-alternative-pams")
    parts += ["--max-mismatches", str(ot["max_mismatches"]), "--max-dna-bulge", str(ot["max_dna_bulge"]),
              "--max-rna-bulge", str(ot["max_rna_bulge"])]
    if ot.get("max_bulges") is not None:
        parts += ["--max-bulges", str(int(ot["max_bulges"]))]
    if ot.get("end_bulges"):
        parts.append("--end-bulges")
    return qjoin(parts)


def bulge_opt(config: dict) -> str:
    v = config["offtarget"].get("max_bulge_mismatches")
    return "" if v is None else f"--max-bulge-mismatches {int(v)}"


class OfftargetPlan:
    def __init__(self, config: dict, layout: Layout, config_file: str = "config"):
        check_guides(config, config_file=config_file)
        self.species = entries(config, "species", "genome", config_file=config_file)
        self.variants = entries(config, "variants", "vcf", config_file=config_file)
        ot = config["offtarget"]
        self.layout = layout
        self.dir = layout.dir("offtarget")
        self.guides = ot["guides"]
        self.threads = ot["threads"]
        self.chunks = int(ot["chunks"])
        self.flank = int(ot["flank"])
        self.search_opts = search_opts(config)  # nuclease, PAM, limits
        self.bulge = bulge_opt(config)  # cap inside the search: a locus keeps its best bulge-free alignment
        self.goc = goc_opt(config)
        self.windows = windows(config)
        self.build = q(config["reference"]["build"])

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    def chunk_files(self) -> list[str]:
        return [self.path(f"chunks/hits.{c}.tsv") for c in range(1, self.chunks + 1)]

    def species_genome(self, wildcards) -> str:
        return self.species[wildcards.species][1]

    def species_label(self, wildcards) -> str:
        return q(self.species[wildcards.species][0])

    def variants_vcf(self, wildcards) -> str:
        return self.variants[wildcards.vset][1]

    def variants_label(self, wildcards) -> str:
        return q(self.variants[wildcards.vset][0])

    def species_files(self, suffix: str = ".tsv") -> list[str]:
        return [self.path(f"species_{s}{suffix}") for s in self.species]

    def variant_files(self) -> list[str]:
        return [self.path(f"variants_{v}.tsv") for v in self.variants]

    def vcfs(self) -> list[str]:
        return [v[1] for v in self.variants.values()]

    def species_labels(self) -> str:
        return qjoin(label for label, _ in self.species.values())
