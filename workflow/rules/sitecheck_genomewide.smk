# Genome-wide edited-only small variants and on-target structural outcomes, per edited/control WGS pair
# (004: in vitro WGS comparison of edited vs unedited cells; 002 6.2.3). Writes the summary fragments
# genomewide_summary.json and structural_summary.json that `sitecheck summarize` (sitecheck.smk) merges.
# Coordinates: docs/outputs/sitecheck_genomewide.md. Config: sitecheck.genomewide / .structural.
# Plan: src/cgtsafe/plan/genomewide.py.

GW = plan_of("genomewide")

if GW.genomewide:

    if GW.region_jobs == 1:

        rule sitecheck_genomewide:
            input:
                unpack(GW.pair_files),
                reference=config["reference"]["genome"],
                genes=config["reference"]["genes"],
                regions=GW.regions(),
            output:
                table=GW.path("genomewide/{sample}.variants.tsv"),
                stats=GW.path("genomewide/{sample}.stats.json"),
            log:
                "logs/sitecheck/genomewide_{sample}.log",
            benchmark:
                PLAN.layout.benchmark("sitecheck_genomewide_{sample}")
            retries: 2
            conda:
                "../../envs/cgtsafe.yaml"
            threads: GW.gw["threads"]
            resources:
                mem_mb=mem_mb(2000, 100),
                runtime=runtime(60, 30),
            params:
                cmd=CGTSAFE,
                control=GW.control_name,
                regions=GW.regions_opt(),
                guides=GW.guides_opt,
                nuclease=GW.nuclease,
                concern=GW.goc,
                windows=GW.windows,
                thresholds=GW.genomewide_thresholds(),
            shell:
                "{params.cmd} sitecheck genomewide --edited {input.edited:q} --control {input.control:q}"
                " --sample {wildcards.sample} --control-name {params.control}"
                " --reference {input.reference:q} {params.regions} {params.guides}"
                " --nuclease {params.nuclease} --genes {input.genes:q} {params.concern}"
                " --windows {params.windows} {params.thresholds} --threads {threads}"
                " --out {output.table:q} --stats {output.stats:q} > {log:q} 2>&1"

    else:

        rule sitecheck_genomewide_region:
            input:
                unpack(GW.pair_files),
                reference=config["reference"]["genome"],
                regions=GW.regions(),
            output:
                table=GW.path("genomewide/{sample}.part{part}.tsv"),
                stats=GW.path("genomewide/{sample}.part{part}.json"),
            log:
                "logs/sitecheck/genomewide_{sample}.part{part}.log",
            benchmark:
                PLAN.layout.benchmark("sitecheck_genomewide_{sample}.part{part}")
            wildcard_constraints:
                part=r"\d+",
            retries: 2
            conda:
                "../../envs/cgtsafe.yaml"
            threads: GW.gw["threads"]
            resources:
                mem_mb=mem_mb(2000, 100),
                runtime=runtime(60, 30),
            params:
                cmd=CGTSAFE,
                control=GW.control_name,
                regions=GW.regions_opt(),
                thresholds=GW.genomewide_thresholds(),
                jobs=GW.region_jobs,
            shell:
                "{params.cmd} sitecheck genomewide --edited {input.edited:q} --control {input.control:q}"
                " --sample {wildcards.sample} --control-name {params.control}"
                " --reference {input.reference:q} {params.regions} {params.thresholds} --threads {threads}"
                " --chunk {wildcards.part}/{params.jobs}"
                " --out {output.table:q} --stats {output.stats:q} > {log:q} 2>&1"

        rule sitecheck_genomewide:
            input:
                unpack(GW.pair_files),
                parts=GW.region_parts(".tsv"),
                part_stats=GW.region_parts(".json"),
                reference=config["reference"]["genome"],
                genes=config["reference"]["genes"],
                regions=GW.regions(),
            output:
                table=GW.path("genomewide/{sample}.variants.tsv"),
                stats=GW.path("genomewide/{sample}.stats.json"),
            log:
                "logs/sitecheck/genomewide_{sample}.log",
            benchmark:
                PLAN.layout.benchmark("sitecheck_genomewide_{sample}")
            retries: 2
            conda:
                "../../envs/cgtsafe.yaml"
            resources:
                mem_mb=mem_mb(2000, 0),
                runtime=runtime(30, 0),
            params:
                cmd=CGTSAFE,
                control=GW.control_name,
                regions=GW.regions_opt(),
                guides=GW.guides_opt,
                nuclease=GW.nuclease,
                concern=GW.goc,
                windows=GW.windows,
                thresholds=GW.genomewide_thresholds(),
            shell:
                "{params.cmd} sitecheck genomewide-merge --edited {input.edited:q} --control {input.control:q}"
                " --sample {wildcards.sample} --control-name {params.control}"
                " --reference {input.reference:q} {params.regions} {params.guides}"
                " --nuclease {params.nuclease} --genes {input.genes:q} {params.concern}"
                " --windows {params.windows} {params.thresholds}"
                " --parts {input.parts:q} --part-stats {input.part_stats:q}"
                " --out {output.table:q} --stats {output.stats:q} > {log:q} 2>&1"

    rule sitecheck_genomewide_summary:
        input:
            tables=GW.per_sample("genomewide/{sample}.variants.tsv"),
            stats=GW.per_sample("genomewide/{sample}.stats.json"),
        output:
            table=GW.path("genomewide_variants.tsv"),
            sensitivity=GW.path("genomewide_sensitivity.tsv"),
            figure=GW.path("fig_genomewide_sensitivity.json"),
            summary=GW.path("genomewide_summary.json"),
            spectrum=GW.path("genomewide_spectrum.tsv"),
            editor_test=GW.path("genomewide_editor_test.tsv"),
        log:
            "logs/sitecheck/genomewide_summary.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            editor_test=GW.editor_test_args(),
        shell:
            "{params.cmd} sitecheck genomewide-summary --tables {input.tables:q} --stats {input.stats:q}"
            " --out-table {output.table:q} --out-sensitivity {output.sensitivity:q}"
            " --out-figure {output.figure:q} --out-spectrum {output.spectrum:q}"
            " --out-editor-test {output.editor_test:q} {params.editor_test} --out {output.summary:q} > {log:q} 2>&1"


if GW.structural:

    rule sitecheck_structural:
        input:
            unpack(GW.pair_files),
            reference=config["reference"]["genome"],
            sites=config["sitecheck"]["sites"],
        output:
            table=GW.path("structural/{sample}.events.tsv"),
            stats=GW.path("structural/{sample}.stats.json"),
        log:
            "logs/sitecheck/structural_{sample}.log",
        benchmark:
            PLAN.layout.benchmark("sitecheck_structural_{sample}")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(2000, 100),
            runtime=runtime(30, 30),
        params:
            cmd=CGTSAFE,
            control=GW.control_name,
            thresholds=GW.structural_thresholds(),
        shell:
            "{params.cmd} sitecheck structural --edited {input.edited:q} --control {input.control:q}"
            " --sample {wildcards.sample} --control-name {params.control}"
            " --reference {input.reference:q} --sites {input.sites:q} {params.thresholds}"
            " --out {output.table:q} --stats {output.stats:q} > {log:q} 2>&1"

    rule sitecheck_structural_summary:
        input:
            tables=GW.per_sample("structural/{sample}.events.tsv"),
            stats=GW.per_sample("structural/{sample}.stats.json"),
        output:
            table=GW.path("structural_events.tsv"),
            figure=GW.path("fig_structural_events.json"),
            summary=GW.path("structural_summary.json"),
        log:
            "logs/sitecheck/structural_summary.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
        shell:
            "{params.cmd} sitecheck structural-summary --tables {input.tables:q} --stats {input.stats:q}"
            " --out-table {output.table:q} --out-figure {output.figure:q} --out {output.summary:q}"
            " > {log:q} 2>&1"
