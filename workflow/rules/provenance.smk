# Provenance of the run: resolved config, checksums of inputs and outputs, software versions.


rule resolved_config:
    output:
        "results/resolved_config.yaml",
    log:
        "logs/provenance/resolved_config.log",
    conda:
        "../../envs/cgtsafe.yaml"
    params:
        config=config,
    run:
        import yaml

        from cgtsafe.io.tables import write_text

        write_text(output[0], yaml.safe_dump(params.config, sort_keys=True, allow_unicode=True))
        Path(log[0]).write_text("resolved config written\n")


rule provenance:
    input:
        config="results/resolved_config.yaml",
        summaries=expand("results/{analysis}/summary.json", analysis=ANALYSES),
    output:
        "results/provenance.json",
    log:
        "logs/provenance/provenance.log",
    conda:
        "../../envs/cgtsafe.yaml"
    params:
        cmd=CGTSAFE,
        inputs=provenance_inputs(),
        outputs=[f"results/{a}" for a in ANALYSES],
        workflow_dir=str(Path(workflow.basedir).parent),
        started=RUN_STARTED,
        command_line=COMMAND_LINE.replace("'", ""),
    shell:
        "{params.cmd} provenance --config {input.config} --inputs {params.inputs:q} --outputs {params.outputs:q} "
        "--workflow-dir {params.workflow_dir:q} --started {params.started:q} "
        "--command-line '{params.command_line}' --out {output} > {log} 2>&1"


if config["report"].get("truth"):

    rule validate_demo:
        input:
            summaries=expand("results/{analysis}/summary.json", analysis=ANALYSES),
            truth=config["report"]["truth"],
        output:
            "results/validation/method_performance.json",
        log:
            "logs/provenance/validate_demo.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            # real reference data (../shared/data): not an input, an absent folder is a note in the log
            refdata=config["report"].get("reference_data") or "",
        shell:
            "{params.cmd} validate-demo --results results --truth {input.truth} "
            + (
                "--reference-data {params.refdata:q} "
                if config["report"].get("reference_data")
                else ""
            )
            + "--out {output} --no-fail > {log} 2>&1"
