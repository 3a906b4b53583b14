"""Plan of ``workflow/rules/antigen.smk``: target-antigen expression across normal tissues (one step)."""

from __future__ import annotations

from cgtsafe.errors import InputError
from cgtsafe.plan.common import Layout, check_unique_names, q

FILE_KEYS = ("expression", "proteome", "studies")


class AntigenPlan:
    def __init__(self, config: dict, layout: Layout, config_file: str = "config"):
        from cgtsafe.config import check_files

        a = config["antigen"]
        self.a = a
        self.dir = layout.dir("antigen")
        if not a.get("targets"):
            raise InputError("key 'antigen.targets': at least one target antigen is required when antigen.enabled "
                             "is true", path=config_file)
        check_unique_names([t["name"] for t in a["targets"]], "antigen.targets", config_file)
        if a["high_ntpm"] < a["detected_ntpm"]:
            raise InputError("key 'antigen.high_ntpm': must be >= antigen.detected_ntpm", path=config_file)
        check_files(config, [f"antigen.{k}" for k in FILE_KEYS], path=config_file)

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    def inputs(self, wildcards=None) -> dict:
        return {k: self.a[k] for k in FILE_KEYS if self.a.get(k)}

    def args(self, wildcards, input) -> str:
        a = self.a
        out = [f"--target {q(t['name'] + '=' + t['id'])}" for t in a["targets"]]
        for key in FILE_KEYS:
            if key in input.keys():
                out.append(f"--{key} {q(getattr(input, key))}")
        out.append(f"--vital-tissues {q(','.join(a['vital_tissues']))}")
        out.append(f"--detected-ntpm {float(a['detected_ntpm'])} --high-ntpm {float(a['high_ntpm'])}")
        return " ".join(out)
