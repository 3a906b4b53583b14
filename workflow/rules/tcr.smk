# TCR cross-reactivity (004 九（一）): one scan per target peptide, then the summary.
# Outputs under results/tcr/; positions in the hit tables are 1-based (docs/outputs/tcr.md).


if enabled("tcr"):
    try:
        if not _TCR.get("proteome"):
            raise InputError("key 'tcr.proteome': a protein FASTA is required when tcr.enabled is true",
                             path=CONFIG_FILE)
        if not _TCR.get("peptides"):
            raise InputError("key 'tcr.peptides': at least one target peptide is required when tcr.enabled is true",
                             path=CONFIG_FILE)
        _names = [p["name"] for p in _TCR["peptides"]]
        if len(set(_names)) != len(_names):
            raise InputError(f"key 'tcr.peptides': duplicate target names {sorted({n for n in _names if _names.count(n) > 1})}",
                             path=CONFIG_FILE)
        check_files(config, ["tcr.proteome", "tcr.xscan", "tcr.expression", "tcr.hla_predictions",
                             "tcr.imported.allo_hla", "tcr.imported.affinity", "tcr.imported.mispairing_statement"],
                    path=CONFIG_FILE)
        for _i, _p in enumerate(_TCR["peptides"]):
            if _p.get("xscan") and not Path(_p["xscan"]).exists():
                raise InputError(f"key 'tcr.peptides[{_i}].xscan': file {_p['xscan']!r} does not exist",
                                 path=CONFIG_FILE)
    except InputError as exc:
        _fail(exc)

    rule tcr_scan:
        input:
            unpack(_tcr_inputs),
        output:
            hits=f"{TCR_DIR}/{{target}}/hits.tsv",
            candidates=f"{TCR_DIR}/{{target}}/candidates.tsv",
            panel=f"{TCR_DIR}/{{target}}/hla_panel.tsv",
            stats=f"{TCR_DIR}/{{target}}/scan.json",
        log:
            "logs/tcr/scan_{target}.log",
        benchmark:
            "results/benchmarks/tcr_scan_{target}.tsv"
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=_tcr_args,
        shell:
            "{params.cmd} tcr scan --proteome {input.proteome} {params.args}"
            " --out {output.hits} --candidates {output.candidates} --panel-out {output.panel}"
            " --stats {output.stats} > {log} 2>&1"

    rule tcr_summarize:
        input:
            unpack(lambda wildcards: _tcr_imported()),
            stats=expand(f"{TCR_DIR}/{{target}}/scan.json", target=[p["name"] for p in _TCR["peptides"]]),
        output:
            summary=f"{TCR_DIR}/summary.json",
            candidates=f"{TCR_DIR}/candidates.tsv",
            figure=f"{TCR_DIR}/figures/tcr_score_vs_expression.json",
        log:
            "logs/tcr/summarize.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            imported=_tcr_imported_args,
        shell:
            "{params.cmd} tcr summarize --stats {input.stats} {params.imported}"
            " --candidates-out {output.candidates} --out {output.summary} > {log} 2>&1"

else:

    rule tcr_not_applicable:
        output:
            f"{TCR_DIR}/summary.json",
        log:
            "logs/tcr/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            reasons=na_reason_args(
                "tcr",
                "TCR cross-reactivity analysis switched off in the configuration (tcr.enabled: false)",
                "配置中已关闭 TCR 交叉反应性分析（tcr.enabled: false）",
            ),
        shell:
            "{params.cmd} report not-applicable --analysis tcr {params.reasons}"
            " --out {output} > {log} 2>&1"
