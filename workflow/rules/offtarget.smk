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
            # one contig at a time (about twice the longest contig plus its hits): 1,065 MiB peak for a 245 Mb
            # contig (chr1-sized), 851-980 MiB for a whole 3.08 Gb genome of 70 Mb contigs, 10 guides, <= 5 mm +
            # 1 DNA + 1 RNA bulge, default PAMs, --threads 2 (bench_offtarget_genome.py); not scaled by the genome
            mem_mb=mem_mb(2000),
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
            # streamed, one (guide, contig) part at a time: 402 MiB peak for 9.28 M rows of a 3.08 Gb genome in 4
            # chunk tables (benchmarks/bench_offtarget_downstream.py --genome-scale); not scaled by the inputs
            # (the genome FASTA is one of them and is not loaded)
            mem_mb=mem_mb(1000),
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
        # worker processes annotating (guide, contig) parts; the split of the hit table stays serial
        threads: min(4, OT.threads)
        resources:
            # 9.28 M hits (1.45 GB) of a 3.08 Gb genome, 69,352 RefSeq transcripts, --threads 2: parent 919 MiB
            # peak, parent + 2 workers 1,492 MiB (bench_offtarget_downstream.py --genome-scale); about 0.35 GB more
            # per further worker; the parent holds one guide's keys (about 60 bytes per site)
            mem_mb=mem_mb(2500, 500),
            runtime=runtime(10, 10),
        params:
            cmd=CGTSAFE,
            goc=OT.goc,
            windows=OT.windows,
            bulge=OT.bulge,
        shell:
            "{params.cmd} offtarget annotate --hits {input.hits:q} --genes {input.genes:q} {params.goc}"
            " --windows {params.windows} {params.bulge} --threads {threads} --out {output.sites:q}"
            " --bed {output.bed:q} > {log:q} 2>&1"

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
            # per Gb of animal sequence: its minimap2 sr index built in the job, 3.4 GB (9.9 GiB for 3.1 Gb,
            # bench_integration_reads.py; 5.4 GiB when a prebuilt <genome>.mmi is loaded), the genome held for
            # random access without a .fai, 1 GB, and its search's hit table in memory, about 1.5 GB at 5 mm +
            # 1 bulge (1 M rows per Gb in bench_offtarget_genome.py, about 1 KB each); the human genome without a
            # .fai, 1.1 GB per Gb; the human sites in batches of 100,000 (287 MiB to read all 8.24 M sites of the
            # 3.08 Gb benchmark, bench_offtarget_downstream.py --genome-scale)
            mem_mb=seq_mem_mb(2000, {"genome": 1100, "animal": 6000}),
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
            # the reference held for random access without a .fai (1.1 GB per Gb) plus the per-allele haplotype
            # searches: 0.4 GB peak for 70 Mb and 100,000 variants (bench_offtarget_downstream.py)
            mem_mb=seq_mem_mb(1500, {"genome": 1100}),
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
            # sites.tsv aggregated in blocks: 664 MiB peak for 8.24 M sites (2.9 GB) of a 3.08 Gb genome, of which
            # 16 bytes per site are kept for the specificity sums (bench_offtarget_downstream.py --genome-scale);
            # not scaled by the inputs (the genome FASTA and hits.tsv are among them and are not loaded)
            mem_mb=mem_mb(1500),
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
