"""Config and sample-sheet validation: one line naming the key or line, and what was expected."""

from __future__ import annotations

import copy

import pytest
import yaml

from cgtsafe.cli import main
from cgtsafe.config import load_yaml, read_sample_sheet, validate_config
from cgtsafe.errors import InputError


@pytest.fixture()
def demo_config(repo):
    return load_yaml(repo / "test-data" / "demo" / "config.yaml")


def test_demo_config_is_valid_and_defaults_filled(demo_config):
    cfg = validate_config(copy.deepcopy(demo_config))
    assert cfg["reference"]["genes_of_concern_windows"] == [50000, 100000]
    assert cfg["product"]["ltfu"]["exogenous_gene_expressed"] is True


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["product"].update(track="fda_bla"), "key 'product.track': expected one of nmpa_ind"),
        (lambda c: c["product"].pop("name"), "key 'product.name' is required but missing"),
        (lambda c: c["reference"].update(genes_of_concern_windows=["50kb"]),
         "key 'reference.genes_of_concern_windows.0': expected integer, got '50kb'"),
        (lambda c: c["product"].update(colour="red"), "key 'product' has unknown key(s) colour"),
        (lambda c: c["product"].update(run_id="a b"), "key 'product.run_id'"),
    ],
)
def test_bad_config_one_line(demo_config, mutate, expected):
    cfg = copy.deepcopy(demo_config)
    mutate(cfg)
    with pytest.raises(InputError) as err:
        validate_config(cfg, path="my.yaml")
    msg = str(err.value)
    assert msg.startswith("my.yaml: ") and expected in msg and "\n" not in msg


def test_cli_config_check(tmp_path, demo_config, capsys):
    bad = copy.deepcopy(demo_config)
    bad["product"]["modality"] = "car_t"  # must be a list
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(bad))
    assert main(["config", "check", "--config", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgtsafe: error: ") and "product.modality" in err and len(err.splitlines()) == 1


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("product:\n  name: [unclosed\n")
    with pytest.raises(InputError, match=r"c.yaml, line \d+: not valid YAML"):
        load_yaml(p)


@pytest.mark.parametrize(
    "sheet, expected",
    [
        ("sample\trole\nA\tedited\nA\tcontrol\n", "line 3: duplicate sample 'A' (first on line 2)"),
        ("sample\trole\n<script>\tedited\n", "line 2: sample '<script>' is not a safe name"),
        ("sample\trole\na/b\tedited\n", "is not a safe name"),
        ("sample\nA\n", "lacks column(s) role"),
        ("sample\trole\nA\tmutant\n", "line 2: column role: expected one of edited, control, got 'mutant'"),
    ],
)
def test_sample_sheet_errors(tmp_path, sheet, expected):
    p = tmp_path / "s.tsv"
    p.write_text(sheet)
    with pytest.raises(InputError) as err:
        read_sample_sheet(p, required=("sample", "role"), allowed={"role": ("edited", "control")})
    assert expected in str(err.value)
