# Provenance of the run: resolved config, checksums of inputs and outputs, software versions, and the
# demo validation against its truth tables. Plan: src/cgtsafe/plan/report.py.
REP = PLAN.report
# The start time and command line reach `cgtsafe provenance` through the environment, not as rule
# parameters: a parameter that changes every run would make a finished run rerun provenance and report.
os.environ.setdefault("CGTSAFE_RUN_STARTED", RUN_STARTED)
os.environ.setdefault("CGTSAFE_COMMAND_LINE", COMMAND_LINE)


rule resolved_config:
    output:
        REP.resolved_config,
    log:
        "logs/provenance/resolved_config.log",
    conda:
        "../../envs/cgtsafe.yaml"
    params:
        config=config,
    run:
        import yaml
        from cgtsafe.io.tables import write_text

        write_text(
            output[0],
            yaml.safe_dump(params.config, sort_keys=True, allow_unicode=True),
        )
        Path(log[0]).write_text("resolved config written\n")


rule provenance:
    input:
        config=REP.resolved_config,
        summaries=REP.summaries,
    output:
        REP.provenance,
    log:
        "logs/provenance/provenance.log",
    conda:
        "../../envs/cgtsafe.yaml"
    resources:
        mem_mb=mem_mb(1000),
        runtime=runtime(10, 10),
    params:
        cmd=CGTSAFE,
        inputs=REP.provenance_inputs(),
        outputs=REP.outputs(),
        workflow_dir=str(Path(workflow.basedir).parent),
    shell:
        "{params.cmd} provenance --config {input.config:q} --inputs {params.inputs:q}"
        " --outputs {params.outputs:q} --workflow-dir {params.workflow_dir:q}"
        " --out {output:q} > {log:q} 2>&1"


if REP.truth:

    rule validate_demo:
        input:
            summaries=REP.summaries,
            truth=REP.truth,
        output:
            REP.performance_out,
        log:
            "logs/provenance/validate_demo.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            results=results_dir(),
            refdata=REP.reference_data_opt(),
        shell:
            "{params.cmd} validate-demo --results {params.results:q} --truth {input.truth:q}"
            " {params.refdata} --out {output:q} --no-fail > {log:q} 2>&1"
