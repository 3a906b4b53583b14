"""Helpers for the genome-wide and structural rules in ``workflow/rules/sitecheck.smk`` (kept here so the rule file holds only rules)."""

from __future__ import annotations

import shlex

import pandas as pd


class PairPlan:
    """Edited/control WGS pairs of the sample sheet (already validated by ``read_wgs_sheet``)."""

    def __init__(self, wgs: pd.DataFrame):
        self.wgs = wgs.set_index("sample")
        self.edited = sorted(self.wgs.index[self.wgs["role"] == "edited"])

    def pair_files(self, wildcards) -> dict:
        """Input function: the edited sample's BAM/CRAM and its control's."""
        row = self.wgs.loc[wildcards.sample]
        return {"edited": row["file"], "control": self.wgs.loc[row["control"], "file"]}

    def control_name(self, wildcards) -> str:
        return self.wgs.loc[wildcards.sample, "control"]


def opt(flag: str, value) -> str:
    """``flag value`` for an optional command-line argument, '' when the value is unset."""
    return f"{flag} {shlex.quote(str(value))}" if value not in (None, "") else ""
