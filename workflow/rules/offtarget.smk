# gRNA off-target prediction: genome search in chunks -> merge -> annotate (sites.tsv, read by
# sitecheck) -> species comparison (one job per animal genome) -> donor/population variants (one job
# per VCF) -> summary.json. Switched off: a not_applicable summary. Plan: src/cgtsafe/plan/offtarget.py.

OT = plan_of("offtarget")

if OT:

    wildcard_constraints:
        chunk=r"\d+",

    rule offtarget_search:
        input:
            genome=config["reference"]["genome"],
            guides=OT.guides,
        output:
            OT.path("chunks/hits.{chunk}.tsv"),
        log:
            "logs/offtarget/search.{chunk}.log",
        benchmark:
            PLAN.layout.benchmark("offtarget_search.{chunk}")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        threads: OT.threads
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(30, 120),
        params:
            cmd=CGTSAFE,
            opts=OT.search_opts,
            bulge=OT.bulge,
            n=OT.chunks,
        shell:
            "{params.cmd} offtarget search --genome {input.genome:q} --guides {input.guides:q} {params.opts}"
            " {params.bulge} --chunk {wildcards.chunk}/{params.n} --threads {threads} --out {output:q}"
            " > {log:q} 2>&1"

    rule offtarget_merge:
        input:
            chunks=OT.chunk_files(),
            genome=config["reference"]["genome"],
            guides=OT.guides,
        output:
            OT.path("hits.tsv"),
        log:
            "logs/offtarget/merge.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 1000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
        shell:
            "{params.cmd} offtarget merge --inputs {input.chunks:q} --genome {input.genome:q}"
            " --guides {input.guides:q} --out {output:q} > {log:q} 2>&1"

    rule offtarget_annotate:
        input:
            hits=OT.path("hits.tsv"),
            genes=config["reference"]["genes"],
        output:
            sites=OT.path("sites.tsv"),
            bed=OT.path("sites.bed"),
        log:
            "logs/offtarget/annotate.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            goc=OT.goc,
            windows=OT.windows,
            bulge=OT.bulge,
        shell:
            "{params.cmd} offtarget annotate --hits {input.hits:q} --genes {input.genes:q} {params.goc}"
            " --windows {params.windows} {params.bulge} --out {output.sites:q} --bed {output.bed:q}"
            " > {log:q} 2>&1"

    rule offtarget_species:
        input:
            sites=OT.path("sites.tsv"),
            genome=config["reference"]["genome"],
            animal=OT.species_genome,
            guides=OT.guides,
        output:
            sites=OT.path("species_{species}.tsv"),
            guides=OT.path("species_{species}.guides.tsv"),
            hits=OT.path("species_{species}.animal_hits.tsv"),
        log:
            "logs/offtarget/species_{species}.log",
        benchmark:
            PLAN.layout.benchmark("offtarget_species_{species}")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        threads: OT.threads
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(30, 120),
        params:
            cmd=CGTSAFE,
            opts=OT.search_opts,
            bulge=OT.bulge,
            label=OT.species_label,
            flank=OT.flank,
        shell:
            "{params.cmd} offtarget species --sites {input.sites:q} --genome {input.genome:q}"
            " --animal-genome {input.animal:q} --label {params.label} --guides {input.guides:q}"
            " {params.opts} {params.bulge} --flank {params.flank} --threads {threads}"
            " --out {output.sites:q} > {log:q} 2>&1"

    rule offtarget_variants:
        input:
            vcf=OT.variants_vcf,
            genome=config["reference"]["genome"],
            genes=config["reference"]["genes"],
            guides=OT.guides,
        output:
            OT.path("variants_{vset}.tsv"),
        log:
            "logs/offtarget/variants_{vset}.log",
        benchmark:
            PLAN.layout.benchmark("offtarget_variants_{vset}")
        retries: 2
        conda:
            "../../envs/cgtsafe.yaml"
        threads: OT.threads
        resources:
            mem_mb=mem_mb(1000, 2000),
            runtime=runtime(30, 60),
        params:
            cmd=CGTSAFE,
            opts=OT.search_opts,
            bulge=OT.bulge,
            label=OT.variants_label,
            goc=OT.goc,
            windows=OT.windows,
        shell:
            "{params.cmd} offtarget variants --vcf {input.vcf:q} --label {params.label}"
            " --genome {input.genome:q} --genes {input.genes:q} {params.goc} --windows {params.windows}"
            " --guides {input.guides:q} {params.opts} {params.bulge} --threads {threads}"
            " --out {output:q} > {log:q} 2>&1"

    rule offtarget_summarize:
        input:
            sites=OT.path("sites.tsv"),
            hits=OT.path("hits.tsv"),
            genome=config["reference"]["genome"],
            genes=config["reference"]["genes"],
            guides=OT.guides,
            species=OT.species_files(),
            species_guides=OT.species_files(".guides.tsv"),
            variants=OT.variant_files(),
            vcfs=OT.vcfs(),
        output:
            summary=OT.path("summary.json"),
            guides=OT.path("guides_summary.tsv"),
            fig1=OT.path("figures/sites_by_mismatches.json"),
            fig2=OT.path("figures/cfd_distribution.json"),
        log:
            "logs/offtarget/summarize.log",
        conda:
            "../../envs/cgtsafe.yaml"
        resources:
            mem_mb=mem_mb(1000, 1000),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            opts=OT.search_opts,
            bulge=OT.bulge,
            build=OT.build,
            goc=OT.goc,
            windows=OT.windows,
            labels=OT.species_labels(),
            chunks=OT.chunks,
        shell:
            "{params.cmd} offtarget summarize --sites {input.sites:q} --hits {input.hits:q}"
            " --guides {input.guides:q} {params.opts} {params.bulge} --genome {input.genome:q}"
            " --build {params.build} --genes {input.genes:q} {params.goc} --windows {params.windows}"
            " --species {input.species:q} --species-labels {params.labels}"
            " --variants {input.variants:q} --vcfs {input.vcfs:q} --chunks {params.chunks}"
            " --out {output.summary:q} > {log:q} 2>&1"

else:

    rule offtarget_not_applicable:
        output:
            PLAN.layout.summary("offtarget"),
        log:
            "logs/offtarget/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=not_applicable_args(config, "offtarget"),
        shell:
            "{params.cmd} report not-applicable {params.args} --out {output:q} > {log:q} 2>&1"
