# Edited-vs-control sequencing at candidate off-target sites (004 九（三）, 002 6.2.3).
# Per sample: read classes at every site (WGS BAM/CRAM and/or amplicon FASTQ); then the edited-vs-control
# statistics and verdicts (site_verdicts.tsv) and the summary, which merges the genome-wide and structural
# fragments of sitecheck_genomewide.smk. Coordinates in all tables are 0-based, end exclusive
# (docs/outputs/sitecheck.md). Plan: src/cgtsafe/plan/sitecheck.py.

SC = plan_of("sitecheck")

if SC:

    rule sitecheck_quantify_wgs:
        input:
            bam=SC.wgs_file,
            sites=SC.sc["sites"],
            reference=config["reference"]["genome"],
            nominated=SC.nominated_files(),
            variants=SC.variant_tables,
            intended=SC.intended_edits(),
            sheet=SC.sc["wgs_samples"],
        output:
            SC.path("counts/wgs/{sample}.tsv"),
        log:
            "logs/sitecheck/quantify_wgs_{sample}.log",
        benchmark:
            PLAN.layout.benchmark("sitecheck_quantify_wgs_{sample}")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        threads: SC.sc["threads"]
        resources:
            mem_mb=mem_mb(1000),
            runtime=runtime(20, 10),
        params:
            cmd=CGTSAFE,
            common=SC.common_args(),
            filters=SC.wgs_filters(),
        shell:
            "{params.cmd} sitecheck quantify-wgs --sheet {input.sheet:q} --sample {wildcards.sample}"
            " --sites {input.sites:q} --reference {input.reference:q} {params.common} {params.filters}"
            " --threads {threads} --out {output:q} > {log:q} 2>&1"

    rule sitecheck_quantify_amplicon:
        input:
            fastq=SC.amplicon_fastqs,
            sites=SC.sc["sites"],
            amplicons=SC.sc["amplicons"],
            nominated=SC.nominated_files(),
            variants=SC.variant_tables,
            sheet=SC.sc["amplicon_samples"],
        output:
            SC.path("counts/amplicon/{sample}.tsv"),
        log:
            "logs/sitecheck/quantify_amplicon_{sample}.log",
        benchmark:
            PLAN.layout.benchmark("sitecheck_quantify_amplicon_{sample}")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 500),
            runtime=runtime(20, 30),
        params:
            cmd=CGTSAFE,
            common=SC.common_args(),
            filters=SC.amplicon_filters(),
        shell:
            "{params.cmd} sitecheck quantify-amplicon --sheet {input.sheet:q} --sample {wildcards.sample}"
            " --amplicons {input.amplicons:q} --sites {input.sites:q} {params.common} {params.filters}"
            " --out {output:q} > {log:q} 2>&1"

    rule sitecheck_compare:
        input:
            counts=SC.counts(),
            sites=SC.sc["sites"],
            nominated=SC.nominated_files(),
            variants=SC.variant_tables,
        output:
            SC.path("site_verdicts.tsv"),
        log:
            "logs/sitecheck/compare.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            common=SC.common_args(),
            sheets=SC.sheet_args(),
            stats=SC.stat_args(),
        shell:
            "{params.cmd} sitecheck compare --sites {input.sites:q} {params.common} {params.sheets}"
            " --counts {input.counts:q} {params.stats} --out {output:q} > {log:q} 2>&1"

    rule sitecheck_summarize:
        input:
            verdicts=SC.path("site_verdicts.tsv"),
            counts=SC.counts(),
            fragments=SC.fragments,
        output:
            summary=SC.path("summary.json"),
            retention=SC.path("read_retention.tsv"),
            figures=[
                SC.path("fig_site_frequencies.json"),
                SC.path("fig_lod_vs_depth.json"),
            ],
        log:
            "logs/sitecheck/summarize.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            stats=SC.stat_args(),
            justification=SC.justification(),
            filters=SC.summary_filters(),
            inputs=SC.input_files(),
        shell:
            "{params.cmd} sitecheck summarize --verdicts {input.verdicts:q} --counts {input.counts:q}"
            " {params.stats} --justification {params.justification} {params.filters}"
            " --inputs {params.inputs} --out {output.summary:q} > {log:q} 2>&1"

else:

    rule sitecheck_not_applicable:
        output:
            PLAN.layout.summary("sitecheck"),
        log:
            "logs/sitecheck/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=not_applicable_args(config, "sitecheck"),
        shell:
            "{params.cmd} report not-applicable {params.args} --out {output:q} > {log:q} 2>&1"
