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
