# Transfer-vector design features (004 八（三）(2),(3), ER-06/ER-07): one step, outputs under results/vector/
# (docs/outputs/vector.md).
import shlex

VECTOR_DIR = "results/vector"
_VECTOR = config.get("vector", {})


def _vector_inputs(wildcards):
    files = {"sequence": _VECTOR["sequence"]}
    if (_VECTOR.get("vcn") or {}).get("file"):
        files["vcn"] = _VECTOR["vcn"]["file"]
    return files


def _vector_args(wildcards, input):
    q = shlex.quote
    args = [f"--min-orf-aa {_VECTOR['min_orf_aa']} --ltr-distance {_VECTOR['ltr_distance']}"]
    for key in ("donor_min", "acceptor_min"):
        if _VECTOR.get(key) is not None:
            args.append(f"--{key.replace('_', '-')} {_VECTOR[key]}")
    if "vcn" in input.keys():
        v = _VECTOR["vcn"]
        args.append(f"--vcn {q(input.vcn)} --vcn-column {q(v['column'])} --vcn-id-column {q(v['id_column'])}")
        if v.get("limit") is not None:
            args.append(f"--vcn-limit {v['limit']}")
    return " ".join(args)


if enabled("vector"):
    try:
        if not _VECTOR.get("sequence"):
            raise InputError("key 'vector.sequence': the transfer-vector sequence (FASTA or GenBank) is required when "
                             "vector.enabled is true", path=CONFIG_FILE)
        check_files(config, ["vector.sequence", "vector.vcn.file"], path=CONFIG_FILE)
    except InputError as exc:
        _fail(exc)

    rule vector_features:
        input:
            unpack(_vector_inputs),
        output:
            summary=f"{VECTOR_DIR}/summary.json",
            features=f"{VECTOR_DIR}/features.tsv",
            figure=f"{VECTOR_DIR}/figures/vector_map.json",
        log:
            "logs/vector/features.log",
        benchmark:
            "results/benchmarks/vector_features.tsv"
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=_vector_args,
            outdir=lambda wildcards, output: os.path.dirname(output.summary),
        shell:
            "{params.cmd} vector features --sequence {input.sequence:q} {params.args} --outdir {params.outdir:q}"
            " --out {output.summary:q} > {log:q} 2>&1"

else:

    rule vector_not_applicable:
        output:
            f"{VECTOR_DIR}/summary.json",
        log:
            "logs/vector/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            reasons=na_reason_args(
                "vector",
                "vector-design analysis switched off in the configuration (vector.enabled: false)",
                "配置中已关闭载体设计分析（vector.enabled: false）",
            ),
        shell:
            "{params.cmd} report not-applicable --analysis vector {params.reasons} --out {output:q} > {log:q} 2>&1"
