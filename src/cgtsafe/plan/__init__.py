"""The glue layer between Snakemake and the package: a validated config -> every rule's inputs,
outputs and command-line arguments.

``workflow/rules/common.smk`` builds one :class:`Plan`; each rules file reads its analysis' part
(``PLAN.offtarget``, ``PLAN.sitecheck``, ``PLAN.genomewide``, ``PLAN.integration``, ``PLAN.tcr``,
``PLAN.antigen``, ``PLAN.vector``, ``PLAN.nomination``, ``PLAN.cnv``, ``PLAN.report``) and keeps only rules. Nothing here imports Snakemake, so every part is unit-tested
on plain dict configs (``tests/test_plan_*.py``). Argument strings are shell-quoted here
(:func:`shlex.quote`); rules quote their own ``{input:q}``/``{output:q}``/``{log:q}``.

Output paths come from the plan's ``root`` (``results`` for the workflow), never hard-coded.
Errors are :class:`cgtsafe.errors.InputError` naming the config key: the workflow prints them as
one line before any job runs.
"""

from __future__ import annotations

import shlex
import sys
from functools import cached_property

from cgtsafe.plan.antigen import AntigenPlan
from cgtsafe.plan.cnv import CnvPlan
from cgtsafe.plan.common import Layout, enabled
from cgtsafe.plan.genomewide import GenomewidePlan
from cgtsafe.plan.integration import IntegrationPlan
from cgtsafe.plan.nomination import NominationPlan
from cgtsafe.plan.offtarget import OfftargetPlan
from cgtsafe.plan.report import ReportPlan, check_reference
from cgtsafe.plan.sitecheck import SitecheckPlan
from cgtsafe.plan.tcr import TcrPlan
from cgtsafe.plan.vector import VectorPlan

__all__ = ["Plan", "Layout", "cgtsafe_command"]


def cgtsafe_command(*, conda: bool = False, python: str | None = None) -> str:
    """How a job runs the package: the job's own ``python`` under ``--sdm conda``, else the interpreter
    that runs Snakemake (quoted: its path may hold spaces)."""
    return "python -m cgtsafe" if conda else f"{shlex.quote(python or sys.executable)} -m cgtsafe"


class Plan:
    """Every analysis' plan for one validated config, each built (and its inputs checked) on first use, so
    that a workflow including only some rules files checks only those. Parts of switched-off analyses are
    ``None``."""

    def __init__(self, config: dict, *, config_file: str = "config", root: str,
                 conda: bool = False, python: str | None = None):
        self.config = config
        self.config_file = config_file
        self.layout = Layout(root)
        self.root = self.layout.root
        self.cmd = cgtsafe_command(conda=conda, python=python)
        check_reference(config, config_file)
        self.report = ReportPlan(config, self.layout, config_file)

    def enabled(self, section: str) -> bool:
        return enabled(self.config, section)

    @cached_property
    def offtarget(self) -> OfftargetPlan | None:
        return OfftargetPlan(self.config, self.layout, self.config_file) if self.enabled("offtarget") else None

    @cached_property
    def sitecheck(self) -> SitecheckPlan | None:
        if not self.enabled("sitecheck"):
            return None
        sc = SitecheckPlan(self.config, self.layout, self.config_file)
        sc.fragments = GenomewidePlan(self.config, self.layout, sc).fragments()
        if self.nomination is not None and self.nomination.to_sitecheck():
            sc.add_nominated(*self.nomination.to_sitecheck())
        return sc

    @cached_property
    def genomewide(self) -> GenomewidePlan:
        return GenomewidePlan(self.config, self.layout, self.sitecheck)

    @cached_property
    def integration(self) -> IntegrationPlan:
        return IntegrationPlan(self.config, self.layout, self.config_file)

    @cached_property
    def tcr(self) -> TcrPlan | None:
        return TcrPlan(self.config, self.layout, self.config_file) if self.enabled("tcr") else None

    @cached_property
    def antigen(self) -> AntigenPlan | None:
        return AntigenPlan(self.config, self.layout, self.config_file) if self.enabled("antigen") else None

    @cached_property
    def vector(self) -> VectorPlan | None:
        return VectorPlan(self.config, self.layout, self.config_file) if self.enabled("vector") else None

    @cached_property
    def nomination(self) -> NominationPlan | None:
        return NominationPlan(self.config, self.layout, self.config_file) if self.enabled("nomination") else None

    @cached_property
    def cnv(self) -> CnvPlan | None:
        return CnvPlan(self.config, self.layout, self.sitecheck, self.config_file) if self.enabled("cnv") else None
