# Vector integration sites. Reads -> fragments (demultiplex, trim primer/LTR/linker, vector screen,
# minimap2 alignment, junction calling; runs when integration.enabled and no external fragment table
# integration.fragments is given; positions 1-based, docs/outputs/integration_reads.md), then
# fragments -> sites, clonality, genes of concern, CIS, clones over time, summary. The fragments may
# come from another pipeline (INSPIIRED, VISPA2), or the sites from an imported ISAnalytics/VISPA2 matrix
# (integration.matrix: `from-matrix`, no breakpoints). Plan: src/cgtsafe/plan/integration.py.

INT = plan_of("integration")

if INT.call_sites:

    rule integration_call_sites:
        input:
            **INT.read_files(),
            samples=INT.samples,
            genome=config["reference"]["genome"],
        output:
            fragments=INT.path("fragments.tsv"),
            multihits=INT.path("multihits.tsv"),
            multihit_clusters=INT.path("multihit_clusters.tsv"),
            attrition=INT.path("attrition.tsv"),
            read_stages=INT.path("read_stages.tsv"),
            undetermined=INT.path("undetermined.tsv"),
            params=INT.path("call_sites_params.json"),
        log:
            "logs/integration/call_sites.log",
        benchmark:
            PLAN.layout.benchmark("integration_call_sites")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        threads: INT.read_threads()
        resources:
            # minimap2 sr index of a 3.1 Gb genome: 9.9 GiB to build, 5.4 GiB to load (bench_integration_reads.py)
            mem_mb=mem_mb(2000, 3500),
            runtime=runtime(30, 60),
        params:
            cmd=CGTSAFE,
            reads=INT.read_args(),
            layout=INT.layout_arg(),
            outdir=output_dir("fragments"),
        shell:
            "{params.cmd} integration call-sites --samples {input.samples:q} --genome {input.genome:q}"
            " {params.reads} --layout {params.layout} --threads {threads} --out-dir {params.outdir:q}"
            " > {log:q} 2>&1"


if INT.enabled:

    rule integration_sites:
        input:
            **INT.sites_input(),
            genes=config["reference"]["genes"],
            samples=INT.samples,
        output:
            sites=INT.path("sites.tsv"),
            clonality=INT.path("clonality.tsv"),
            exclusions=INT.path("from_fragments.exclusions.json"),
            replicates=INT.path("replicate_abundance.tsv"),
            collisions=INT.path("collisions.tsv"),
        log:
            "logs/integration/sites.log",
        benchmark:
            PLAN.layout.benchmark("integration_sites")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 4000),
            runtime=runtime(10, 30),
        params:
            cmd=CGTSAFE,
            outdir=output_dir("sites"),
            step=INT.sites_step(),
            args=INT.sites_args(),
        shell:
            "{params.cmd} integration {params.step} --genes {input.genes:q}"
            " {params.args} --out {params.outdir:q} > {log:q} 2>&1"

    rule integration_enrichment:
        input:
            sites=INT.path("sites.tsv"),
            genome=config["reference"]["genome"],
            genes=config["reference"]["genes"],
        output:
            table=INT.path("enrichment.tsv"),
            controls=INT.path("random_controls.tsv"),
        log:
            "logs/integration/enrichment.log",
        benchmark:
            PLAN.layout.benchmark("integration_enrichment")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 30),
        params:
            cmd=CGTSAFE,
            args=INT.enrichment_args(),
        shell:
            "{params.cmd} integration enrichment --sites {input.sites:q} --genome {input.genome:q}"
            " --genes {input.genes:q} {params.args} --out {output.table:q}"
            " --controls-out {output.controls:q} > {log:q} 2>&1"

    rule integration_cis:
        input:
            sites=INT.path("sites.tsv"),
            controls=INT.path("random_controls.tsv"),
            genes=config["reference"]["genes"],
        output:
            regions=INT.path("cis_regions.tsv"),
            genes=INT.path("cis_genes.tsv"),
            background=INT.path("cis_background.tsv"),
        log:
            "logs/integration/cis.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            args=INT.cis_args(),
        shell:
            "{params.cmd} integration cis --sites {input.sites:q} --genes {input.genes:q}"
            " --controls {input.controls:q} {params.args} --out-regions {output.regions:q}"
            " --out-genes {output.genes:q} --out-background {output.background:q} > {log:q} 2>&1"

    rule integration_longitudinal:
        input:
            sites=INT.path("sites.tsv"),
            samples=INT.samples,
        output:
            trajectories=INT.path("trajectories.tsv"),
            expansion=INT.path("expansion.tsv"),
            matrix=INT.path("isa_matrix.tsv"),
            isa_seqcount=INT.path("isa_seqCount_matrix.tsv"),
            isa_fragment_estimate=INT.path("isa_fragmentEstimate_matrix.tsv"),
            isa_association=INT.path("isa_association_file.tsv"),
            fig_traj=INT.path("fig_trajectories.json"),
            fig_stacked=INT.path("fig_stacked.json"),
        log:
            "logs/integration/longitudinal.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            outdir=output_dir("expansion"),
            args=INT.longitudinal_args(),
        shell:
            "{params.cmd} integration longitudinal --sites {input.sites:q} {params.args}"
            " --out {params.outdir:q} > {log:q} 2>&1"

    rule integration_summary:
        input:
            **INT.read_tables,
            **INT.sites_input(),
            sites=INT.path("sites.tsv"),
            clonality=INT.path("clonality.tsv"),
            enrichment=INT.path("enrichment.tsv"),
            regions=INT.path("cis_regions.tsv"),
            background=INT.path("cis_background.tsv"),
            expansion=INT.path("expansion.tsv"),
            matrix=INT.path("isa_matrix.tsv"),
            isa_seqcount=INT.path("isa_seqCount_matrix.tsv"),
            isa_fragment_estimate=INT.path("isa_fragmentEstimate_matrix.tsv"),
            isa_association=INT.path("isa_association_file.tsv"),
            fig=INT.path("fig_trajectories.json"),
        output:
            INT.path("summary.json"),
        log:
            "logs/integration/summary.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            outdir=output_dir(0),
            reads=INT.read_table_args,
            source=INT.source_arg,
            args=INT.summary_args(),
        shell:
            "{params.cmd} integration summarize --dir {params.outdir:q} {params.source}"
            " {params.reads} {params.args} --out {output:q} > {log:q} 2>&1"

else:

    rule integration_not_applicable:
        output:
            PLAN.layout.summary("integration"),
        log:
            "logs/integration/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=not_applicable_args(config, "integration"),
        shell:
            "{params.cmd} report not-applicable {params.args} --out {output:q} > {log:q} 2>&1"
