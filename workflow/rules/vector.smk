# Transfer-vector design features (004 八（三）(2),(3), ER-06/ER-07): one step, outputs under results/vector/
# (docs/outputs/vector.md).
import cgtsafe.vector.smk as vector_smk

VECTOR_DIR = "results/vector"

if enabled("vector"):
    try:
        vector_smk.check(config, CONFIG_FILE)
    except InputError as exc:
        _fail(exc)

    rule vector_features:
        input:
            unpack(lambda wildcards: vector_smk.inputs(config["vector"])),
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
            args=lambda wildcards, input: vector_smk.args(config["vector"], input),
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
