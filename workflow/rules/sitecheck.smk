# Edited-vs-control sequencing at candidate off-target sites (004 九（三）, 002 6.2.3).
# Per sample: read classes at every site (WGS BAM/CRAM and/or amplicon FASTQ); then the edited-vs-control
# statistics and verdicts (results/sitecheck/site_verdicts.tsv) and the summary. Coordinates in all tables are
# 0-based, end exclusive (docs/outputs/sitecheck.md). Helpers: src/cgtsafe/sitecheck/workflow.py.
from cgtsafe.sitecheck.workflow import SC_DIR, SitecheckPlan, fragments as _sc_fragments

_SC = config["sitecheck"]

if enabled("sitecheck"):
    try:
        SC = SitecheckPlan(_SC, CONFIG_FILE, variant_tables=[f"{OT_DIR}/variants_{v}.tsv" for v in OT_VARIANTS]
                           if enabled("offtarget") else [])
    except InputError as exc:
        _fail(exc)

    rule sitecheck_quantify_wgs:
        input:
            bam=lambda wildcards: SC.wgs_file(wildcards.sample),
            sites=_SC["sites"],
            reference=config["reference"]["genome"],
            nominated=SC.nominated_files(),
            variants=SC.variant_tables,
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
            variants=SC.variant_tables,
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
            variants=SC.variant_tables,
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
            reasons=na_reason_args(
                "sitecheck",
                "Edited-vs-control sequencing check switched off in the configuration (sitecheck.enabled: false)",
                "配置中已关闭编辑与对照样本的测序比较（sitecheck.enabled: false）",
            ),
        shell:
            "{params.cmd} report not-applicable --analysis sitecheck {params.reasons}"
            " --out {output} > {log} 2>&1"


# ---- genome-wide edited-only variants and on-target structural outcomes ----
# Genome-wide edited-only small variants and on-target structural outcomes, per edited/control WGS pair
# (004: in vitro WGS comparison of edited vs unedited cells; 002 6.2.3). Writes the summary fragments
# results/sitecheck/genomewide_summary.json and structural_summary.json that `sitecheck summarize`
# merges. Coordinates: docs/outputs/sitecheck_genomewide.md. Config: sitecheck.genomewide / .structural.

from cgtsafe.sitecheck.genomewide_workflow import PairPlan, opt as _sc_opt

if enabled("sitecheck") and SC.wgs is not None:
    _GW = _SC["genomewide"]
    _SV = _SC["structural"]
    _PAIRS = PairPlan(SC.wgs)
    _EDITED = _PAIRS.edited

    if _GW["enabled"] and _EDITED:

        _GW_PARAMS = dict(
            cmd=CGTSAFE,
            control=_PAIRS.control_name,
            regions=_sc_opt("--regions", _GW["regions"]),
            thresholds=(
                f"--min-mapq {_GW['min_mapq']} --min-baseq {_GW['min_baseq']} --min-depth {_GW['min_depth']}"
                f" --min-control-depth {_GW['min_control_depth']} --min-alt-reads {_GW['min_alt_reads']}"
                f" --min-indel-reads {_GW['min_indel_reads']} --min-vaf {_GW['min_vaf']}"
                f" --max-control-alt {_GW['max_control_alt']} --cluster-distance {_GW['cluster_distance']}"
                f" --alpha {_GW['alpha']} --guide-window {_GW['guide_window']}"
                f" --guide-max-mismatches {_GW['guide_max_mismatches']}"
                f" --guide-max-bulges {_GW['guide_max_bulges']}"
            ),
        )
        _GW_ANNOT = dict(
            guides=_sc_opt("--guides", config.get("offtarget", {}).get("guides")),
            nuclease=config.get("offtarget", {}).get("nuclease", "SpCas9"),
            concern=_sc_opt("--genes-of-concern", config["reference"]["genes_of_concern"]),
            windows=" ".join(str(w) for w in config["reference"]["genes_of_concern_windows"]),
        )
        _GW_JOBS = int(_GW["region_jobs"])

        if _GW_JOBS == 1:

            rule sitecheck_genomewide:
                input:
                    unpack(_PAIRS.pair_files),
                    reference=config["reference"]["genome"],
                    genes=config["reference"]["genes"],
                    regions=_GW["regions"] or [],
                output:
                    table=f"{SC_DIR}/genomewide/{{sample}}.variants.tsv",
                    stats=f"{SC_DIR}/genomewide/{{sample}}.stats.json",
                log:
                    "logs/sitecheck/genomewide_{sample}.log",
                benchmark:
                    "results/benchmarks/sitecheck_genomewide_{sample}.tsv"
                threads: _GW["threads"]
                conda:
                    "../../envs/cgtsafe.yaml"
                params:
                    **_GW_PARAMS,
                    **_GW_ANNOT,
                shell:
                    "{params.cmd} sitecheck genomewide --edited {input.edited:q} --control {input.control:q}"
                    " --sample {wildcards.sample:q} --control-name {params.control:q} --reference {input.reference:q}"
                    " {params.regions} {params.guides} --nuclease {params.nuclease} --genes {input.genes:q}"
                    " {params.concern} --windows {params.windows} {params.thresholds} --threads {threads}"
                    " --out {output.table:q} --stats {output.stats:q} > {log:q} 2>&1"

        else:

            rule sitecheck_genomewide_region:
                input:
                    unpack(_PAIRS.pair_files),
                    reference=config["reference"]["genome"],
                    regions=_GW["regions"] or [],
                output:
                    table=f"{SC_DIR}/genomewide/{{sample}}.part{{part}}.tsv",
                    stats=f"{SC_DIR}/genomewide/{{sample}}.part{{part}}.json",
                log:
                    "logs/sitecheck/genomewide_{sample}.part{part}.log",
                benchmark:
                    "results/benchmarks/sitecheck_genomewide_{sample}.part{part}.tsv"
                wildcard_constraints:
                    part=r"\d+",
                threads: _GW["threads"]
                conda:
                    "../../envs/cgtsafe.yaml"
                params:
                    **_GW_PARAMS,
                    n=_GW_JOBS,
                shell:
                    "{params.cmd} sitecheck genomewide --edited {input.edited:q} --control {input.control:q}"
                    " --sample {wildcards.sample:q} --control-name {params.control:q} --reference {input.reference:q}"
                    " {params.regions} {params.thresholds} --threads {threads} --chunk {wildcards.part}/{params.n}"
                    " --out {output.table:q} --stats {output.stats:q} > {log:q} 2>&1"

            rule sitecheck_genomewide:
                input:
                    unpack(_PAIRS.pair_files),
                    parts=expand(f"{SC_DIR}/genomewide/{{{{sample}}}}.part{{part}}.tsv", part=range(1, _GW_JOBS + 1)),
                    part_stats=expand(f"{SC_DIR}/genomewide/{{{{sample}}}}.part{{part}}.json",
                                      part=range(1, _GW_JOBS + 1)),
                    reference=config["reference"]["genome"],
                    genes=config["reference"]["genes"],
                    regions=_GW["regions"] or [],
                output:
                    table=f"{SC_DIR}/genomewide/{{sample}}.variants.tsv",
                    stats=f"{SC_DIR}/genomewide/{{sample}}.stats.json",
                log:
                    "logs/sitecheck/genomewide_{sample}.log",
                benchmark:
                    "results/benchmarks/sitecheck_genomewide_{sample}.tsv"
                conda:
                    "../../envs/cgtsafe.yaml"
                params:
                    **_GW_PARAMS,
                    **_GW_ANNOT,
                shell:
                    "{params.cmd} sitecheck genomewide-merge --edited {input.edited:q} --control {input.control:q}"
                    " --sample {wildcards.sample:q} --control-name {params.control:q} --reference {input.reference:q}"
                    " {params.regions} {params.guides} --nuclease {params.nuclease} --genes {input.genes:q}"
                    " {params.concern} --windows {params.windows} {params.thresholds}"
                    " --parts {input.parts:q} --part-stats {input.part_stats:q}"
                    " --out {output.table:q} --stats {output.stats:q} > {log:q} 2>&1"

        rule sitecheck_genomewide_summary:
            input:
                tables=expand(f"{SC_DIR}/genomewide/{{sample}}.variants.tsv", sample=_EDITED),
                stats=expand(f"{SC_DIR}/genomewide/{{sample}}.stats.json", sample=_EDITED),
            output:
                table=f"{SC_DIR}/genomewide_variants.tsv",
                sensitivity=f"{SC_DIR}/genomewide_sensitivity.tsv",
                figure=f"{SC_DIR}/fig_genomewide_sensitivity.json",
                summary=f"{SC_DIR}/genomewide_summary.json",
            log:
                "logs/sitecheck/genomewide_summary.log",
            conda:
                "../../envs/cgtsafe.yaml"
            params:
                cmd=CGTSAFE,
            shell:
                "{params.cmd} sitecheck genomewide-summary --tables {input.tables} --stats {input.stats}"
                " --out-table {output.table} --out-sensitivity {output.sensitivity} --out-figure {output.figure}"
                " --out {output.summary}"
                " > {log} 2>&1"

    if _SV["enabled"] and _EDITED:

        rule sitecheck_structural:
            input:
                unpack(_PAIRS.pair_files),
                reference=config["reference"]["genome"],
                sites=_SC["sites"],
            output:
                table=f"{SC_DIR}/structural/{{sample}}.events.tsv",
                stats=f"{SC_DIR}/structural/{{sample}}.stats.json",
            log:
                "logs/sitecheck/structural_{sample}.log",
            benchmark:
                "results/benchmarks/sitecheck_structural_{sample}.tsv"
            conda:
                "../../envs/cgtsafe.yaml"
            params:
                cmd=CGTSAFE,
                control=_PAIRS.control_name,
                thresholds=(
                    f"--min-mapq {_SV['min_mapq']} --max-distance {_SV['max_distance']}"
                    f" --max-insert {_SV['max_insert']} --tolerance {_SV['tolerance']}"
                    f" --reciprocal-tolerance {_SV['reciprocal_tolerance']} --ref-margin {_SV['ref_margin']}"
                    f" --min-support {_SV['min_support']} --alpha {_SV['alpha']}"
                ),
            shell:
                "{params.cmd} sitecheck structural --edited {input.edited} --control {input.control}"
                " --sample {wildcards.sample} --control-name {params.control} --reference {input.reference}"
                " --sites {input.sites} {params.thresholds} --out {output.table} --stats {output.stats}"
                " > {log} 2>&1"

        rule sitecheck_structural_summary:
            input:
                tables=expand(f"{SC_DIR}/structural/{{sample}}.events.tsv", sample=_EDITED),
                stats=expand(f"{SC_DIR}/structural/{{sample}}.stats.json", sample=_EDITED),
            output:
                table=f"{SC_DIR}/structural_events.tsv",
                figure=f"{SC_DIR}/fig_structural_events.json",
                summary=f"{SC_DIR}/structural_summary.json",
            log:
                "logs/sitecheck/structural_summary.log",
            conda:
                "../../envs/cgtsafe.yaml"
            params:
                cmd=CGTSAFE,
            shell:
                "{params.cmd} sitecheck structural-summary --tables {input.tables} --stats {input.stats}"
                " --out-table {output.table} --out-figure {output.figure} --out {output.summary} > {log} 2>&1"
