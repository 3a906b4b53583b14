# CAR/TCR target antigen expression across normal tissues (004 九（一）, ER-10): one step, outputs under
# results/antigen/ (docs/outputs/antigen.md).
import shlex

ANTIGEN_DIR = "results/antigen"
_ANTIGEN = config.get("antigen", {})


def _antigen_inputs(wildcards):
    return {k: _ANTIGEN[k] for k in ("expression", "proteome", "studies") if _ANTIGEN.get(k)}


def _antigen_args(wildcards, input):
    q = shlex.quote
    args = [f"--target {q(t['name'] + '=' + t['id'])}" for t in _ANTIGEN["targets"]]
    for key in ("expression", "proteome", "studies"):
        if key in input.keys():
            args.append(f"--{key} {q(getattr(input, key))}")
    args.append(f"--vital-tissues {q(','.join(_ANTIGEN['vital_tissues']))}")
    args.append(f"--detected-ntpm {_ANTIGEN['detected_ntpm']} --high-ntpm {_ANTIGEN['high_ntpm']}")
    return " ".join(args)


if enabled("antigen"):
    try:
        if not _ANTIGEN.get("targets"):
            raise InputError("key 'antigen.targets': at least one target antigen is required when antigen.enabled "
                             "is true", path=CONFIG_FILE)
        _anames = [t["name"] for t in _ANTIGEN["targets"]]
        if len(set(_anames)) != len(_anames):
            raise InputError(f"key 'antigen.targets': duplicate target names "
                             f"{sorted({n for n in _anames if _anames.count(n) > 1})}", path=CONFIG_FILE)
        if _ANTIGEN["high_ntpm"] < _ANTIGEN["detected_ntpm"]:
            raise InputError("key 'antigen.high_ntpm': must be >= antigen.detected_ntpm", path=CONFIG_FILE)
        check_files(config, ["antigen.expression", "antigen.proteome", "antigen.studies"], path=CONFIG_FILE)
    except InputError as exc:
        _fail(exc)

    rule antigen_profile:
        input:
            unpack(_antigen_inputs),
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
            args=_antigen_args,
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
