# Evidence report: one bilingual, offline HTML file from the four analysis summaries, the provenance
# record, the method-performance JSON (when configured) and the lab results declared in report.imported.


rule report:
    input:
        summaries=expand("results/{analysis}/summary.json", analysis=ANALYSES),
        provenance="results/provenance.json",
        config="results/resolved_config.yaml",
        imported=[item["file"] for item in config["report"]["imported"]],
        performance=[config["report"]["performance"]] if config["report"].get("performance") else [],
    output:
        report(
            "results/report/evidence_report.html",
            caption="../report/evidence_report.rst",
            category="Evidence report",
        ),
    log:
        "logs/report/report.log",
    conda:
        "../../envs/cgtsafe.yaml"
    params:
        cmd=CGTSAFE,
        results=lambda wildcards, input: os.path.dirname(os.path.dirname(input.summaries[0])),
        performance=lambda wildcards, input: f"--performance {input.performance}" if input.performance else "",
    shell:
        "{params.cmd} report build --config {input.config} --results {params.results} --provenance {input.provenance}"
        " {params.performance} --out {output} > {log} 2>&1"
