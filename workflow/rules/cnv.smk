# Copy-number changes after editing (004 九（二）, ER-04): outputs under results/cnv/ (docs/outputs/cnv.md).
# Plan: src/cgtsafe/plan/cnv.py.

CNV = plan_of("cnv")

if CNV:

    rule cnv_call:
        input:
            unpack(CNV.pair_files),
            reference=config["reference"]["genome"],
        output:
            bins=CNV.path("{sample}/bins.tsv"),
            segments=CNV.path("{sample}/segments.tsv"),
            distal=CNV.path("{sample}/cut_distal.tsv"),
            lod=CNV.path("{sample}/lod.tsv"),
            arms=CNV.path("{sample}/arms.tsv"),
            run=CNV.path("{sample}/run.json"),
        log:
            "logs/cnv/call_{sample}.log",
        benchmark:
            PLAN.layout.benchmark("cnv_call_{sample}")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(2000, 200),
            runtime=runtime(20, 30),
        params:
            cmd=CGTSAFE,
            args=CNV.call_args,
            outdir=output_dir("bins"),
        shell:
            "{params.cmd} cnv call --edited {input.edited:q} --control {input.control:q} --reference {input.reference:q}"
            " {params.args} --outdir {params.outdir:q} > {log:q} 2>&1"

    rule cnv_summarize:
        input:
            segments=CNV.per_sample("segments.tsv"),
            arms=CNV.per_sample("arms.tsv"),
            runs=CNV.per_sample("run.json"),
        output:
            summary=CNV.path("summary.json"),
            figure=CNV.path("figures/genome_ratio.json"),
        log:
            "logs/cnv/summarize.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000),
            runtime=runtime(10),
        params:
            cmd=CGTSAFE,
            args=CNV.summarize_args(),
            outdir=output_dir("summary"),
        shell:
            "{params.cmd} cnv summarize {params.args} --outdir {params.outdir:q} --out {output.summary:q} > {log:q} 2>&1"

else:

    rule cnv_not_applicable:
        output:
            PLAN.layout.summary("cnv"),
        log:
            "logs/cnv/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=not_applicable_args(config, "cnv"),
        shell:
            "{params.cmd} report not-applicable {params.args} --out {output:q} > {log:q} 2>&1"
