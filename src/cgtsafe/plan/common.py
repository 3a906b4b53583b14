"""Shared pieces of the plan: the output layout, quoting, optional flags, switched-off analyses."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable

from cgtsafe.errors import InputError
from cgtsafe.summary import ANALYSES  # one list of analyses: the summary contract


class Layout:
    """Where outputs go: ``<root>/<analysis>/...`` and ``<root>/benchmarks/<rule>.tsv``."""

    def __init__(self, root: str):
        self.root = str(root).rstrip("/") or "."

    def dir(self, analysis: str) -> str:
        return f"{self.root}/{analysis}"

    def path(self, analysis: str, name: str) -> str:
        return f"{self.root}/{analysis}/{name}"

    def summary(self, analysis: str) -> str:
        return self.path(analysis, "summary.json")

    def summaries(self) -> list[str]:
        return [self.summary(a) for a in ANALYSES]

    def benchmark(self, name: str) -> str:
        return f"{self.root}/benchmarks/{name}.tsv"


def q(value) -> str:
    """One shell word."""
    return shlex.quote(str(value))


def qjoin(values: Iterable) -> str:
    return " ".join(q(v) for v in values)


def opt(flag: str, value) -> str:
    """``flag 'value'`` for an optional argument, '' when the value is unset."""
    return f"{flag} {q(value)}" if value not in (None, "") else ""


def check_unique_names(names: list[str], key: str, config_file: str) -> None:
    """One line naming the config key when a list of targets repeats a name (they become file names)."""
    if len(set(names)) != len(names):
        raise InputError(f"key '{key}': duplicate target names {sorted({n for n in names if names.count(n) > 1})}",
                         path=config_file)


def enabled(config: dict, section: str) -> bool:
    return bool((config.get(section) or {}).get("enabled", False))


def na_reason_args(config: dict, section: str, default_en: str, default_zh: str) -> str:
    """``--reason-en ... --reason-zh ...`` for a switched-off analysis: the sponsor's stated reason
    (``<section>.not_applicable_reason`` / ``_zh``) or the generic one."""
    sec = config.get(section) or {}
    en = sec.get("not_applicable_reason") or default_en
    zh = sec.get("not_applicable_reason_zh") or (sec.get("not_applicable_reason") or default_zh)
    return f"--reason-en {q(en)} --reason-zh {q(zh)}"


NOT_APPLICABLE = {
    "offtarget": ("off-target prediction switched off in the configuration (offtarget.enabled: false)",
                  "配置中已关闭脱靶预测分析（offtarget.enabled: false）"),
    "sitecheck": ("Edited-vs-control sequencing check switched off in the configuration (sitecheck.enabled: false)",
                  "配置中已关闭编辑与对照样本的测序比较（sitecheck.enabled: false）"),
    "integration": ("integration-site analysis switched off in the configuration (integration.enabled: false)",
                    "配置中已关闭整合位点分析（integration.enabled: false）"),
    "tcr": ("TCR cross-reactivity analysis switched off in the configuration (tcr.enabled: false)",
            "配置中已关闭 TCR 交叉反应性分析（tcr.enabled: false）"),
    "antigen": ("target-antigen expression analysis switched off in the configuration (antigen.enabled: false)",
                "配置中已关闭靶抗原表达分析（antigen.enabled: false）"),
    "vector": ("vector-design analysis switched off in the configuration (vector.enabled: false)",
               "配置中已关闭载体设计分析（vector.enabled: false）"),
    "cnv": ("copy-number analysis switched off in the configuration (cnv.enabled: false)",
            "配置中已关闭拷贝数分析（cnv.enabled: false）"),
    "nomination": ("empirical off-target nomination switched off in the configuration (nomination.enabled: false)",
                   "配置中已关闭经验性脱靶提名分析（nomination.enabled: false）"),
}


def not_applicable_args(config: dict, section: str) -> str:
    """Arguments of ``cgtsafe report not-applicable`` for a switched-off analysis."""
    return f"--analysis {section} " + na_reason_args(config, section, *NOT_APPLICABLE[section])


def windows(config: dict, sep: str = " ") -> str:
    """``reference.genes_of_concern_windows`` as integers."""
    return sep.join(str(int(w)) for w in config["reference"]["genes_of_concern_windows"])


def goc_opt(config: dict) -> str:
    return opt("--genes-of-concern", config["reference"].get("genes_of_concern"))


def mem_mb(base: int, per_input_gb: float = 0.0, cap: int = 64000):
    """``resources: mem_mb`` callable: ``base`` MB plus ``per_input_gb`` MB per GB of input, doubled on each
    retry (``attempt``), capped."""

    def mem(wildcards, input, attempt=1):
        size_mb = getattr(input, "size_mb", 0) or 0
        return int(min(cap, (base + per_input_gb * size_mb / 1024.0) * 2 ** (attempt - 1)))

    return mem


def seq_mem_mb(base: int, per_gbase: dict[str, float], cap: int = 64000):
    """``resources: mem_mb`` callable: ``base`` MB plus, per named input, MB per gigabase of its sequence (the
    file size; a gzip FASTA holds about 3.4 bases per byte: hg38.fa.gz is 0.94 GB for 3.1 Gb), doubled on each
    retry (``attempt``), capped."""

    def mem(wildcards, input, attempt=1):
        total = float(base)
        for name, mb in per_gbase.items():
            path = str(getattr(input, name))
            size = os.path.getsize(path) if os.path.exists(path) else 0
            factor = 3.4 if path.lower().endswith((".gz", ".bgz")) else 1.0
            total += mb * size * factor / 1e9
        return int(min(cap, total * 2 ** (attempt - 1)))

    return mem


def runtime(base: int, per_input_gb: float = 0.0):
    """``resources: runtime`` (minutes) callable scaled from the input size and the attempt."""

    def rt(wildcards, input, attempt=1):
        size_mb = getattr(input, "size_mb", 0) or 0
        return int((base + per_input_gb * size_mb / 1024.0) * attempt)

    return rt


def output_dir(name: str):
    """``params:`` function: the folder of output ``name`` (derived from the output, so that the rule also
    runs where the file system is not shared)."""

    def param(wildcards, output):
        return os.path.dirname(output[name])

    return param


def results_dir(name: str = "summaries"):
    """``params:`` function: the output root, two levels above input ``name``'s first file
    (``<root>/<analysis>/summary.json``)."""

    def param(wildcards, input):
        return os.path.dirname(os.path.dirname(input[name][0]))

    return param


def flags(section: dict, *keys: str) -> str:
    """``--key-name value`` for each config key of ``section`` whose option has the key's name."""
    return " ".join(f"--{k.replace('_', '-')} {q(section[k])}" for k in keys)
