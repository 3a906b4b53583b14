# Evidence report: one bilingual, offline HTML file from the four analysis summaries, the provenance
# record, the method-performance JSON (when configured) and the lab results declared in report.imported.


rule report:
    input:
        summaries=REP.summaries,
        provenance=REP.provenance,
        config=REP.resolved_config,
        imported=REP.imported,
        performance=REP.performance,
    output:
        report(
            REP.html,
            caption="../report/evidence_report.rst",
            category="Evidence report",
        ),
    log:
        "logs/report/report.log",
    conda:
        "../../envs/cgtsafe.yaml"
    resources:
        mem_mb=mem_mb(2000, 1000),
        runtime=runtime(10, 10),
    params:
        cmd=CGTSAFE,
        results=results_dir(),
        performance=REP.performance_opt,
    shell:
        "{params.cmd} report build --config {input.config:q} --results {params.results:q}"
        " --provenance {input.provenance:q} {params.performance} --out {output:q} > {log:q} 2>&1"
