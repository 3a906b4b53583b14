# Empirical off-target nomination from GUIDE-seq / CHANGE-seq reads (002 6.2.3, ER-03): outputs under
# results/nomination/ (docs/outputs/nomination.md). Plan: src/cgtsafe/plan/nomination.py.

NOMINATION = plan_of("nomination")

if NOMINATION:

    rule nomination_call:
        input:
            unpack(NOMINATION.inputs),
        output:
            windows=NOMINATION.path("windows.tsv"),
            nominated=NOMINATION.path("nominated.tsv"),
            reads=NOMINATION.path("reads.tsv"),
        log:
            "logs/nomination/call.log",
        benchmark:
            PLAN.layout.benchmark("nomination_call")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        threads: NOMINATION.n["threads"]
        resources:
            mem_mb=mem_mb(2000, 4000),
            runtime=runtime(30, 60),
        params:
            cmd=CGTSAFE,
            args=NOMINATION.call_args(),
            outdir=output_dir("windows"),
        shell:
            "{params.cmd} nomination call --genome {input.genome:q} --guides {input.guides:q}"
            " --samples {input.samples:q} {params.args} --outdir {params.outdir:q} > {log:q} 2>&1"

    rule nomination_summarize:
        input:
            windows=NOMINATION.path("windows.tsv"),
            nominated=NOMINATION.path("nominated.tsv"),
            reads=NOMINATION.path("reads.tsv"),
            predicted=NOMINATION.predicted(),
        output:
            summary=NOMINATION.path("summary.json"),
            missed=NOMINATION.path("missed_by_prediction.tsv"),
            figure=NOMINATION.path("figures/predicted_vs_nominated.json"),
        log:
            "logs/nomination/summarize.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000),
            runtime=runtime(10),
        params:
            cmd=CGTSAFE,
            args=NOMINATION.summarize_args,
            outdir=output_dir("summary"),
        shell:
            "{params.cmd} nomination summarize --windows {input.windows:q} --nominated {input.nominated:q}"
            " --reads {input.reads:q} {params.args} --outdir {params.outdir:q} --out {output.summary:q} > {log:q} 2>&1"

else:

    rule nomination_not_applicable:
        output:
            PLAN.layout.summary("nomination"),
        log:
            "logs/nomination/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=not_applicable_args(config, "nomination"),
        shell:
            "{params.cmd} report not-applicable {params.args} --out {output:q} > {log:q} 2>&1"
