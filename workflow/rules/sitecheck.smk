# Edited-vs-control sequencing at candidate off-target sites (004 九（三）, 002 6.2.3).
# Per sample: read classes at every site (WGS BAM/CRAM and/or amplicon FASTQ); then the edited-vs-control
# statistics and verdicts (results/sitecheck/site_verdicts.tsv) and the summary. Coordinates in all tables are
# 0-based, end exclusive (docs/outputs/sitecheck.md). Helpers: src/cgtsafe/sitecheck/workflow.py.
from cgtsafe.sitecheck.workflow import SC_DIR, SitecheckPlan, fragments as _sc_fragments

_SC = config["sitecheck"]

if enabled("sitecheck"):
    try:
        SC = SitecheckPlan(_SC, CONFIG_FILE)
    except InputError as exc:
        _fail(exc)

    rule sitecheck_quantify_wgs:
        input:
            bam=lambda wildcards: SC.wgs_file(wildcards.sample),
            sites=_SC["sites"],
            reference=config["reference"]["genome"],
            nominated=SC.nominated_files(),
            sheet=_SC["wgs_samples"],
        output:
            f"{SC_DIR}/counts/wgs/{{sample}}.tsv",
        log:
            "logs/sitecheck/quantify_wgs_{sample}.log",
        benchmark:
            "results/benchmarks/sitecheck_quantify_wgs_{sample}.tsv"
        threads: _SC["threads"]
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            common=SC.common_args(),
            filters=f"--min-mapq {_SC['min_mapq']} --min-baseq {_SC['min_baseq']}",
        shell:
            "{params.cmd} sitecheck quantify-wgs --sheet {input.sheet} --sample {wildcards.sample}"
            " --sites {input.sites} --reference {input.reference} {params.common} {params.filters}"
            " --threads {threads} --out {output} > {log} 2>&1"

    rule sitecheck_quantify_amplicon:
        input:
            fastq=lambda wildcards: SC.amplicon_fastqs(wildcards.sample),
            sites=_SC["sites"],
            amplicons=_SC["amplicons"],
            nominated=SC.nominated_files(),
            sheet=_SC["amplicon_samples"],
        output:
            f"{SC_DIR}/counts/amplicon/{{sample}}.tsv",
        log:
            "logs/sitecheck/quantify_amplicon_{sample}.log",
        benchmark:
            "results/benchmarks/sitecheck_quantify_amplicon_{sample}.tsv"
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            common=SC.common_args(),
            filters=(f"--min-baseq {_SC['min_baseq']} --min-identity {_SC['min_identity']}"
                     f" --min-overlap {_SC['min_overlap']}"),
        shell:
            "{params.cmd} sitecheck quantify-amplicon --sheet {input.sheet} --sample {wildcards.sample}"
            " --amplicons {input.amplicons} --sites {input.sites} {params.common} {params.filters}"
            " --out {output} > {log} 2>&1"

    rule sitecheck_compare:
        input:
            counts=SC.counts(),
            sites=_SC["sites"],
            nominated=SC.nominated_files(),
        output:
            f"{SC_DIR}/site_verdicts.tsv",
        log:
            "logs/sitecheck/compare.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            common=SC.common_args(),
            sheets=SC.sheet_args(),
            stats=SC.stat_args(),
        shell:
            "{params.cmd} sitecheck compare --sites {input.sites} {params.common} {params.sheets}"
            " --counts {input.counts} {params.stats} --out {output} > {log} 2>&1"

    rule sitecheck_summarize:
        input:
            verdicts=f"{SC_DIR}/site_verdicts.tsv",
            counts=SC.counts(),
            fragments=lambda wildcards: _sc_fragments(workflow.rules),
        output:
            summary=f"{SC_DIR}/summary.json",
            figures=[f"{SC_DIR}/fig_site_frequencies.json", f"{SC_DIR}/fig_lod_vs_depth.json"],
        log:
            "logs/sitecheck/summarize.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            stats=SC.stat_args(),
            justification=SC.justification(),
            filters=SC.summary_filters(),
            inputs=SC.input_files(),
        shell:
            "{params.cmd} sitecheck summarize --verdicts {input.verdicts} --counts {input.counts}"
            " {params.stats} --justification {params.justification} {params.filters}"
            " --inputs {params.inputs} --out {output.summary} > {log} 2>&1"

else:

    rule sitecheck_not_applicable:
        output:
            f"{SC_DIR}/summary.json",
        log:
            "logs/sitecheck/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
        shell:
            "{params.cmd} report not-applicable --analysis sitecheck"
            " --reason-en 'Edited-vs-control sequencing check switched off in the configuration (sitecheck.enabled: false)'"
            " --reason-zh '配置中已关闭编辑与对照样本的测序比较（sitecheck.enabled: false）'"
            " --out {output} > {log} 2>&1"
