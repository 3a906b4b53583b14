# Integration sites, part A: reads -> fragments (demultiplex, trim primer/LTR/linker, vector screen,
# minimap2 alignment, junction calling). Runs when integration.enabled and no external fragment table
# (integration.fragments) is given. Outputs under results/integration/; positions 1-based
# (docs/outputs/integration_reads.md).
import json
import shlex

_INT_READS = config["integration"].get("reads", {})
# optional inputs: the multiplexed run (r1/r2/i1; per-sample FASTQs may instead be named in the sheet)
# and the vector FASTA
INT_READS_FILES = {key: _INT_READS[key] for key in ("r1", "r2", "i1", "vector") if _INT_READS.get(key)}
INT_READS_ARGS = " ".join(f"--{key} {shlex.quote(path)}" for key, path in INT_READS_FILES.items())


if enabled("integration") and not config["integration"].get("fragments", ""):
    if not config["integration"].get("samples", ""):
        _fail(InputError("key 'integration.samples' is required for the read processing (sample sheet with barcodes)",
                         path=CONFIG_FILE))

    rule integration_call_sites:
        input:
            **INT_READS_FILES,
            samples=config["integration"]["samples"],
            genome=config["reference"]["genome"],
        output:
            fragments="results/integration/fragments.tsv",
            multihits="results/integration/multihits.tsv",
            attrition="results/integration/attrition.tsv",
            read_stages="results/integration/read_stages.tsv",
            params="results/integration/call_sites_params.json",
        log:
            "logs/integration/call_sites.log",
        benchmark:
            "results/benchmarks/integration_call_sites.tsv"
        threads: _INT_READS.get("threads", 2)
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            reads=INT_READS_ARGS,
            layout=json.dumps(_INT_READS.get("layout", {}), sort_keys=True),
            outdir=lambda wildcards, output: os.path.dirname(output.fragments),
        shell:
            "{params.cmd} integration call-sites --samples {input.samples} --genome {input.genome} {params.reads}"
            " --layout {params.layout:q} --threads {threads} --out-dir {params.outdir} > {log} 2>&1"


# ---- fragments -> sites, clonality, genes of concern, CIS, time ----
# Integration sites, part B: fragments -> sites, clonality, genes of concern, CIS, clones over time,
# summary. The fragments come from the read processing (the read-processing rules above) or, when
# config["integration"]["fragments"] names a file, from another pipeline (INSPIIRED, VISPA2).

INT_DIR = "results/integration"


_INT = config["integration"]
_GOC = config["reference"].get("genes_of_concern")
# external fragment table (INSPIIRED/VISPA2 export) or the read processing's output
INT_FRAGMENTS = _INT.get("fragments", "") or f"{INT_DIR}/fragments.tsv"
# attrition/multihits of the read processing (absent when the fragments come from elsewhere)
INT_READ_TABLES = (
    {} if _INT.get("fragments", "") else {"attrition": f"{INT_DIR}/attrition.tsv", "multihits": f"{INT_DIR}/multihits.tsv"}
)
INT_GOC_FLAG = f"--genes-of-concern {_GOC}" if _GOC else ""
INT_WINDOWS = ",".join(str(w) for w in config["reference"]["genes_of_concern_windows"])
INT_SAMPLES = [_INT["samples"]] if _INT.get("samples", "") else []
INT_SAMPLES_FLAG = f"--samples {_INT['samples']}" if _INT.get("samples", "") else ""

if enabled("integration") and INT_SAMPLES:
    # the sample sheet is checked when the workflow is parsed: one line, nothing written
    try:
        read_sample_sheet(INT_SAMPLES[0], required=("sample", "subject", "timepoint"))
    except InputError as exc:
        _fail(exc)


if enabled("integration"):

    rule integration_sites:
        input:
            fragments=INT_FRAGMENTS,
            genes=config["reference"]["genes"],
            samples=INT_SAMPLES,
        output:
            sites=f"{INT_DIR}/sites.tsv",
            clonality=f"{INT_DIR}/clonality.tsv",
            exclusions=f"{INT_DIR}/from_fragments.exclusions.json",
        log:
            "logs/integration/sites.log",
        benchmark:
            "results/benchmarks/integration_sites.tsv"
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            outdir=lambda wildcards, output: os.path.dirname(output.sites),
            samples=INT_SAMPLES_FLAG,
            goc=INT_GOC_FLAG,
            windows=INT_WINDOWS,
            merge=config["integration"]["merge_distance"],
            abundance=config["integration"]["abundance"],
            length_bin=config["integration"]["sonic_length_bin"],
            dominance=",".join(str(t) for t in config["integration"]["dominance_thresholds"]),
        shell:
            "{params.cmd} integration from-fragments --fragments {input.fragments} --genes {input.genes}"
            " {params.samples} {params.goc} --goc-windows {params.windows} --merge-distance {params.merge}"
            " --abundance {params.abundance} --length-bin {params.length_bin} --dominance {params.dominance}"
            " --out {params.outdir} > {log} 2>&1"

    rule integration_enrichment:
        input:
            sites=f"{INT_DIR}/sites.tsv",
            genome=config["reference"]["genome"],
            genes=config["reference"]["genes"],
        output:
            table=f"{INT_DIR}/enrichment.tsv",
            controls=f"{INT_DIR}/random_controls.tsv",
        log:
            "logs/integration/enrichment.log",
        benchmark:
            "results/benchmarks/integration_enrichment.tsv"
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            goc=INT_GOC_FLAG,
            windows=INT_WINDOWS,
            per_site=config["integration"]["random_controls_per_site"],
            seed=config["integration"]["seed"],
            tss=config["integration"]["tss_window"],
        shell:
            "{params.cmd} integration enrichment --sites {input.sites} --genome {input.genome}"
            " --genes {input.genes} {params.goc} --goc-windows {params.windows} --per-site {params.per_site}"
            " --seed {params.seed} --tss-window {params.tss} --out {output.table}"
            " --controls-out {output.controls} > {log} 2>&1"

    rule integration_cis:
        input:
            sites=f"{INT_DIR}/sites.tsv",
            controls=f"{INT_DIR}/random_controls.tsv",
            genes=config["reference"]["genes"],
        output:
            regions=f"{INT_DIR}/cis_regions.tsv",
            genes=f"{INT_DIR}/cis_genes.tsv",
            background=f"{INT_DIR}/cis_background.tsv",
        log:
            "logs/integration/cis.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            flank=config["integration"]["cis"]["flank"],
            alpha=config["integration"]["cis"]["alpha"],
        shell:
            "{params.cmd} integration cis --sites {input.sites} --genes {input.genes}"
            " --controls {input.controls} --flank {params.flank} --alpha {params.alpha}"
            " --out-regions {output.regions} --out-genes {output.genes}"
            " --out-background {output.background} > {log} 2>&1"

    rule integration_longitudinal:
        input:
            sites=f"{INT_DIR}/sites.tsv",
            samples=INT_SAMPLES,
        output:
            trajectories=f"{INT_DIR}/trajectories.tsv",
            expansion=f"{INT_DIR}/expansion.tsv",
            matrix=f"{INT_DIR}/isa_matrix.tsv",
            fig_traj=f"{INT_DIR}/fig_trajectories.json",
            fig_stacked=f"{INT_DIR}/fig_stacked.json",
        log:
            "logs/integration/longitudinal.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            outdir=lambda wildcards, output: os.path.dirname(output.expansion),
            samples=INT_SAMPLES_FLAG,
            threshold=config["integration"]["expansion"]["threshold"],
            fold=config["integration"]["expansion"]["fold"],
            top_n=config["integration"]["figure_top_n"],
        shell:
            "{params.cmd} integration longitudinal --sites {input.sites} {params.samples}"
            " --threshold {params.threshold} --fold {params.fold} --top-n {params.top_n}"
            " --out {params.outdir} > {log} 2>&1"

    rule integration_summary:
        input:
            **INT_READ_TABLES,
            fragments=INT_FRAGMENTS,
            sites=f"{INT_DIR}/sites.tsv",
            clonality=f"{INT_DIR}/clonality.tsv",
            enrichment=f"{INT_DIR}/enrichment.tsv",
            regions=f"{INT_DIR}/cis_regions.tsv",
            background=f"{INT_DIR}/cis_background.tsv",
            expansion=f"{INT_DIR}/expansion.tsv",
            matrix=f"{INT_DIR}/isa_matrix.tsv",
            fig=f"{INT_DIR}/fig_trajectories.json",
        output:
            f"{INT_DIR}/summary.json",
        log:
            "logs/integration/summary.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            outdir=lambda wildcards, input: os.path.dirname(input.sites),
            reads=lambda wildcards, input: " ".join(
                f"--{k} {input[k]}" for k in ("attrition", "multihits") if k in input.keys()
            ),
            goc=INT_GOC_FLAG,
            windows=INT_WINDOWS,
            c=config["integration"],
            dominance=",".join(str(t) for t in config["integration"]["dominance_thresholds"]),
        shell:
            "{params.cmd} integration summarize --dir {params.outdir} --fragments {input.fragments} {params.reads}"
            " --merge-distance {params.c[merge_distance]} --abundance {params.c[abundance]}"
            " --dominance {params.dominance} --per-site {params.c[random_controls_per_site]}"
            " --seed {params.c[seed]} --tss-window {params.c[tss_window]} --goc-windows {params.windows}"
            " --threshold {params.c[expansion][threshold]} --fold {params.c[expansion][fold]}"
            " --flank {params.c[cis][flank]} --alpha {params.c[cis][alpha]} {params.goc}"
            " --out {output} > {log} 2>&1"

else:

    rule integration_not_applicable:
        output:
            f"{INT_DIR}/summary.json",
        log:
            "logs/integration/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            reasons=na_reason_args(
                "integration",
                "integration-site analysis switched off in the configuration (integration.enabled: false)",
                "配置中已关闭整合位点分析（integration.enabled: false）",
            ),
        shell:
            "{params.cmd} report not-applicable --analysis integration {params.reasons}"
            " --out {output} > {log} 2>&1"
