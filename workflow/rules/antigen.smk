# CAR/TCR target antigen expression across normal tissues (004 九（一）, ER-10): one step, outputs under
# results/antigen/ (docs/outputs/antigen.md).
import cgtsafe.antigen.smk as antigen_smk

ANTIGEN_DIR = "results/antigen"

if enabled("antigen"):
    try:
        antigen_smk.check(config, CONFIG_FILE)
    except InputError as exc:
        _fail(exc)

    rule antigen_profile:
        input:
            unpack(lambda wildcards: antigen_smk.inputs(config["antigen"])),
        output:
            summary=f"{ANTIGEN_DIR}/summary.json",
            targets=f"{ANTIGEN_DIR}/targets.tsv",
            expression=f"{ANTIGEN_DIR}/expression.tsv",
            figure=f"{ANTIGEN_DIR}/figures/antigen_tissue_expression.json",
        log:
            "logs/antigen/profile.log",
        benchmark:
            "results/benchmarks/antigen_profile.tsv"
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            args=lambda wildcards, input: antigen_smk.args(config["antigen"], input),
            outdir=lambda wildcards, output: os.path.dirname(output.summary),
        shell:
            "{params.cmd} antigen profile {params.args} --outdir {params.outdir:q} --out {output.summary:q}"
            " > {log:q} 2>&1"

else:

    rule antigen_not_applicable:
        output:
            f"{ANTIGEN_DIR}/summary.json",
        log:
            "logs/antigen/not_applicable.log",
        conda:
            "../../envs/cgtsafe.yaml"
        params:
            cmd=CGTSAFE,
            reasons=na_reason_args(
                "antigen",
                "target-antigen expression analysis switched off in the configuration (antigen.enabled: false)",
                "配置中已关闭靶抗原表达分析（antigen.enabled: false）",
            ),
        shell:
            "{params.cmd} report not-applicable --analysis antigen {params.reasons} --out {output:q} > {log:q} 2>&1"
