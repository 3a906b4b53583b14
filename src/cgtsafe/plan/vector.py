"""Plan of ``workflow/rules/vector.smk``: transfer-vector design features and imported VCN (one step)."""

from __future__ import annotations

from cgtsafe.errors import InputError
from cgtsafe.plan.common import Layout, q


class VectorPlan:
    def __init__(self, config: dict, layout: Layout, config_file: str = "config"):
        from cgtsafe.config import check_files

        v = config["vector"]
        self.v = v
        self.dir = layout.dir("vector")
        if not v.get("sequence"):
            raise InputError("key 'vector.sequence': the transfer-vector sequence (FASTA or GenBank) is required when "
                             "vector.enabled is true", path=config_file)
        check_files(config, ["vector.sequence", "vector.vcn.file"], path=config_file)

    def path(self, name: str) -> str:
        return f"{self.dir}/{name}"

    def inputs(self, wildcards=None) -> dict:
        files = {"sequence": self.v["sequence"]}
        if (self.v.get("vcn") or {}).get("file"):
            files["vcn"] = self.v["vcn"]["file"]
        return files

    def args(self, wildcards, input) -> str:
        v = self.v
        out = [f"--min-orf-aa {int(v['min_orf_aa'])} --ltr-distance {int(v['ltr_distance'])}"]
        for key in ("donor_min", "acceptor_min"):
            if v.get(key) is not None:
                out.append(f"--{key.replace('_', '-')} {float(v[key])}")
        for orf in v.get("expected_orfs") or []:
            out.append(f"--expected-orf {q(orf)}")
        if "vcn" in input.keys():
            c = v["vcn"]
            out.append(f"--vcn {q(input.vcn)} --vcn-column {q(c['column'])} --vcn-id-column {q(c['id_column'])}")
            if c.get("limit") is not None:
                out.append(f"--vcn-limit {float(c['limit'])}")
        return " ".join(out)
