# CAR/TCR target antigen expression across normal tissues (004 九（一）, ER-10): one step, outputs under
# results/antigen/ (docs/outputs/antigen.md). Plan: src/cgtsafe/plan/antigen.py.

ANTIGEN = plan_of("antigen")

if ANTIGEN:

    rule antigen_profile:
        input:
            unpack(ANTIGEN.inputs),
        output:
            summary=ANTIGEN.path("summary.json"),
            targets=ANTIGEN.path("targets.tsv"),
            expression=ANTIGEN.path("expression.tsv"),
            figure=ANTIGEN.path("figures/antigen_tissue_expression.json"),
        log:
            "logs/antigen/profile.log",
        benchmark:
            PLAN.layout.benchmark("antigen_profile")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000),
            runtime=runtime(10),
        params:
            cmd=CGTSAFE,
            args=ANTIGEN.args,
            outdir=output_dir("summary"),
        shell:
            "{params.cmd} antigen profile {params.args} --outdir {params.outdir:q} --out {output.summary:q}"
            " > {log:q} 2>&1"

else:

    rule antigen_not_applicable:
        output:
            PLAN.layout.summary("antigen"),
        log:
            "logs/antigen/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=not_applicable_args(config, "antigen"),
        shell:
            "{params.cmd} report not-applicable {params.args} --out {output:q} > {log:q} 2>&1"
