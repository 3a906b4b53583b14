# gRNA off-target prediction: genome search in chunks -> merge -> annotate (sites.tsv, read by
# sitecheck) -> species comparison (one job per animal genome) -> donor/population variants (one job
# per VCF) -> summary.json. Switched off: a not_applicable summary.

from cgtsafe.offtarget import smk as ot_smk

OT_DIR = "results/offtarget"

if enabled("offtarget"):
    try:
        ot_smk.check_guides(config, config_file=CONFIG_FILE)
        OT_SPECIES = ot_smk.entries(config, "species", "genome", config_file=CONFIG_FILE)
        OT_VARIANTS = ot_smk.entries(config, "variants", "vcf", config_file=CONFIG_FILE)
    except InputError as exc:
        _fail(exc)
    OT = config["offtarget"]
    OT_CHUNKS = int(OT["chunks"])
    OT_SEARCH_OPTS = ot_smk.search_opts(config)  # nuclease, PAM, limits
    OT_BULGE_OPT = ot_smk.bulge_opt(config)
    OT_GOC = ot_smk.goc_opt(config)
    OT_WINDOWS = ot_smk.windows_opt(config)

    wildcard_constraints:
        chunk=r"\d+",

    rule offtarget_search:
        input:
            genome=config["reference"]["genome"],
            guides=OT["guides"],
        output:
            f"{OT_DIR}/chunks/hits.{{chunk}}.tsv",
        log:
            "logs/offtarget/search.{chunk}.log",
        benchmark:
            "results/benchmarks/offtarget_search.{chunk}.tsv"
        threads: OT["threads"]
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            opts=OT_SEARCH_OPTS,
            bulge=ot_smk.bulge_opt(config),  # cap inside the search: a locus keeps its best bulge-free alignment
            n=OT_CHUNKS,
        shell:
            "{params.cmd} offtarget search --genome {input.genome} --guides {input.guides} {params.opts} {params.bulge}"
            " --chunk {wildcards.chunk}/{params.n} --threads {threads} --out {output} > {log} 2>&1"

    rule offtarget_merge:
        input:
            chunks=expand(f"{OT_DIR}/chunks/hits.{{chunk}}.tsv", chunk=range(1, OT_CHUNKS + 1)),
            genome=config["reference"]["genome"],
            guides=OT["guides"],
        output:
            f"{OT_DIR}/hits.tsv",
        log:
            "logs/offtarget/merge.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
        shell:
            "{params.cmd} offtarget merge --inputs {input.chunks} --genome {input.genome} --guides {input.guides}"
            " --out {output} > {log} 2>&1"

    rule offtarget_annotate:
        input:
            hits=f"{OT_DIR}/hits.tsv",
            genes=config["reference"]["genes"],
        output:
            sites=f"{OT_DIR}/sites.tsv",
            bed=f"{OT_DIR}/sites.bed",
        log:
            "logs/offtarget/annotate.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            goc=OT_GOC,
            windows=OT_WINDOWS,
            bulge=OT_BULGE_OPT,
        shell:
            "{params.cmd} offtarget annotate --hits {input.hits} --genes {input.genes} {params.goc}"
            " --windows {params.windows} {params.bulge} --out {output.sites} --bed {output.bed} > {log} 2>&1"

    rule offtarget_species:
        input:
            sites=f"{OT_DIR}/sites.tsv",
            genome=config["reference"]["genome"],
            animal=lambda wc: OT_SPECIES[wc.species][1],
            guides=OT["guides"],
        output:
            sites=f"{OT_DIR}/species_{{species}}.tsv",
            guides=f"{OT_DIR}/species_{{species}}.guides.tsv",
            hits=f"{OT_DIR}/species_{{species}}.animal_hits.tsv",
        log:
            "logs/offtarget/species_{species}.log",
        benchmark:
            "results/benchmarks/offtarget_species_{species}.tsv"
        threads: OT["threads"]
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            opts=OT_SEARCH_OPTS,
            bulge=OT_BULGE_OPT,
            label=lambda wc: ot_smk.quoted(OT_SPECIES[wc.species][0]),
            flank=OT["flank"],
        shell:
            "{params.cmd} offtarget species --sites {input.sites} --genome {input.genome}"
            " --animal-genome {input.animal} --label {params.label} --guides {input.guides} {params.opts}"
            " {params.bulge}"
            " --flank {params.flank} --threads {threads} --out {output.sites} > {log} 2>&1"

    rule offtarget_variants:
        input:
            vcf=lambda wc: OT_VARIANTS[wc.vset][1],
            genome=config["reference"]["genome"],
            genes=config["reference"]["genes"],
            guides=OT["guides"],
        output:
            f"{OT_DIR}/variants_{{vset}}.tsv",
        log:
            "logs/offtarget/variants_{vset}.log",
        benchmark:
            "results/benchmarks/offtarget_variants_{vset}.tsv"
        threads: OT["threads"]
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            opts=OT_SEARCH_OPTS,
            bulge=OT_BULGE_OPT,
            label=lambda wc: ot_smk.quoted(OT_VARIANTS[wc.vset][0]),
            goc=OT_GOC,
            windows=OT_WINDOWS,
        shell:
            "{params.cmd} offtarget variants --vcf {input.vcf} --label {params.label} --genome {input.genome}"
            " --genes {input.genes} {params.goc} --windows {params.windows} --guides {input.guides} {params.opts}"
            " {params.bulge}"
            " --threads {threads} --out {output} > {log} 2>&1"

    rule offtarget_summarize:
        input:
            sites=f"{OT_DIR}/sites.tsv",
            hits=f"{OT_DIR}/hits.tsv",
            genome=config["reference"]["genome"],
            genes=config["reference"]["genes"],
            guides=OT["guides"],
            species=expand(f"{OT_DIR}/species_{{s}}.tsv", s=list(OT_SPECIES)),
            species_guides=expand(f"{OT_DIR}/species_{{s}}.guides.tsv", s=list(OT_SPECIES)),
            variants=expand(f"{OT_DIR}/variants_{{v}}.tsv", v=list(OT_VARIANTS)),
            vcfs=[v[1] for v in OT_VARIANTS.values()],
        output:
            summary=f"{OT_DIR}/summary.json",
            guides=f"{OT_DIR}/guides_summary.tsv",
            fig1=f"{OT_DIR}/figures/sites_by_mismatches.json",
            fig2=f"{OT_DIR}/figures/cfd_distribution.json",
        log:
            "logs/offtarget/summarize.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            opts=OT_SEARCH_OPTS,
            bulge=OT_BULGE_OPT,
            build=ot_smk.quoted(config["reference"]["build"]),
            goc=OT_GOC,
            windows=OT_WINDOWS,
            labels=ot_smk.labels_opt(OT_SPECIES),
            chunks=OT_CHUNKS,
        shell:
            "{params.cmd} offtarget summarize --sites {input.sites} --hits {input.hits} --guides {input.guides}"
            " {params.opts} {params.bulge} --genome {input.genome} --build {params.build} --genes {input.genes}"
            " {params.goc}"
            " --windows {params.windows} --species {input.species} --species-labels {params.labels}"
            " --variants {input.variants} --vcfs {input.vcfs} --chunks {params.chunks}"
            " --out {output.summary} > {log} 2>&1"

else:

    rule offtarget_not_applicable:
        output:
            f"{OT_DIR}/summary.json",
        log:
            "logs/offtarget/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            reasons=na_reason_args(
                "offtarget",
                "off-target prediction switched off in the configuration (offtarget.enabled: false)",
                "配置中已关闭脱靶预测分析（offtarget.enabled: false）",
            ),
        shell:
            "{params.cmd} report not-applicable --analysis offtarget {params.reasons}"
            " --out {output} > {log} 2>&1"
