# Evidence report: one bilingual, offline HTML file (and its PDF for the eCTD) from the four analysis summaries, the provenance
# record, the method-performance JSON (when configured) and the lab results declared in report.imported.


rule report:
    input:
        summaries=REP.summaries,
        provenance=REP.provenance,
        config=REP.resolved_config,
        imported=REP.imported,
        performance=REP.performance,
    output:
        html=report(
            REP.html,
            caption="../report/evidence_report.rst",
            category="Evidence report",
        ),
        pdf=report(
            REP.pdf,
            caption="../report/evidence_report.rst",
            category="Evidence report",
        ),
    log:
        "logs/report/report.log",
    conda:
        "../../envs/cgtsafe.yaml"
    resources:
        mem_mb=mem_mb(3000, 1000),
        runtime=runtime(20, 10),
    params:
        cmd=CGTSAFE,
        results=results_dir(),
        performance=REP.performance_opt,
    shell:
        "{params.cmd} report build --config {input.config:q} --results {params.results:q}"
        " --provenance {input.provenance:q} {params.performance} --out {output.html:q} --pdf {output.pdf:q}"
        " > {log:q} 2>&1"
