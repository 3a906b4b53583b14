# Transfer-vector design features (004 八（三）(2),(3), ER-06/ER-07): one step, outputs under results/vector/
# (docs/outputs/vector.md). Plan: src/cgtsafe/plan/vector.py.

VECTOR = plan_of("vector")

if VECTOR:

    rule vector_features:
        input:
            unpack(VECTOR.inputs),
        output:
            summary=VECTOR.path("summary.json"),
            features=VECTOR.path("features.tsv"),
            figure=VECTOR.path("figures/vector_map.json"),
        log:
            "logs/vector/features.log",
        benchmark:
            PLAN.layout.benchmark("vector_features")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000),
            runtime=runtime(10),
        params:
            cmd=CGTSAFE,
            args=VECTOR.args,
            outdir=output_dir("summary"),
        shell:
            "{params.cmd} vector features --sequence {input.sequence:q} {params.args} --outdir {params.outdir:q}"
            " --out {output.summary:q} > {log:q} 2>&1"

else:

    rule vector_not_applicable:
        output:
            PLAN.layout.summary("vector"),
        log:
            "logs/vector/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=not_applicable_args(config, "vector"),
        shell:
            "{params.cmd} report not-applicable {params.args} --out {output:q} > {log:q} 2>&1"
