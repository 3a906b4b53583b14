# TCR cross-reactivity (004 九（一）): one scan per target peptide, then the summary.
# Positions in the hit tables are 1-based (docs/outputs/tcr.md). Plan: src/cgtsafe/plan/tcr.py.

TCR = plan_of("tcr")

if TCR:

    rule tcr_scan:
        input:
            unpack(TCR.scan_inputs),
        output:
            hits=TCR.path("{target}/hits.tsv"),
            candidates=TCR.path("{target}/candidates.tsv"),
            panel=TCR.path("{target}/hla_panel.tsv"),
            stats=TCR.path("{target}/scan.json"),
        log:
            "logs/tcr/scan_{target}.log",
        benchmark:
            PLAN.layout.benchmark("tcr_scan_{target}")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 4000),
            runtime=runtime(20, 60),
        params:
            cmd=CGTSAFE,
            args=TCR.scan_args,
        shell:
            "{params.cmd} tcr scan --proteome {input.proteome:q} {params.args}"
            " --out {output.hits:q} --candidates {output.candidates:q} --panel-out {output.panel:q}"
            " --stats {output.stats:q} > {log:q} 2>&1"

    rule tcr_summarize:
        input:
            unpack(TCR.imported),
            stats=TCR.scan_stats(),
        output:
            summary=TCR.path("summary.json"),
            candidates=TCR.path("candidates.tsv"),
            figure=TCR.path("figures/tcr_score_vs_expression.json"),
        log:
            "logs/tcr/summarize.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            imported=TCR.imported_args,
        shell:
            "{params.cmd} tcr summarize --stats {input.stats:q} {params.imported}"
            " --candidates-out {output.candidates:q} --out {output.summary:q} > {log:q} 2>&1"

else:

    rule tcr_not_applicable:
        output:
            PLAN.layout.summary("tcr"),
        log:
            "logs/tcr/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=not_applicable_args(config, "tcr"),
        shell:
            "{params.cmd} report not-applicable {params.args} --out {output:q} > {log:q} 2>&1"
