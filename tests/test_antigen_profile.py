"""Target-antigen expression across normal tissues against published on-target/off-tumour toxicities.

Published cases (the HPA consensus tissue table: shipped copy, and the real one in ../shared/data):
ERBB2/HER2 lung (Morgan et al. 2010 Mol Ther 18:843), CA9/CAIX bile duct epithelium (Lamers et al. 2006
J Clin Oncol 24:e20), CD19 B-cell tissues and brain mural cells (Parker et al. 2020 Cell 183:126: single-cell
only), TNFRSF17/BCMA plasma-cell tissues and basal ganglia (Van Oekelen et al. 2021 Nat Med 27:2099).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from conftest import shared_file

from cgtsafe.antigen.profile import tier_of
from cgtsafe.antigen.run import AntigenParams, run_profile
from cgtsafe.tcr.expression import DEFAULT_VITAL_TISSUES

TARGETS = [("HER2", "ERBB2"), ("CAIX", "CA9"), ("CD19", "CD19"), ("BCMA", "TNFRSF17")]


def _run(tmp_path, expression=None, targets=TARGETS, studies=None, proteome=None):
    params = AntigenParams(targets=list(targets), expression=expression, proteome=proteome,
                           vital_tissues=list(DEFAULT_VITAL_TISSUES), studies=studies)
    summary = run_profile(params, tmp_path / "antigen", tmp_path / "antigen" / "summary.json")
    with open(tmp_path / "antigen" / "targets.tsv") as fh:
        rows = {r["target"]: r for r in csv.DictReader(fh, delimiter="\t")}
    with open(tmp_path / "antigen" / "published_cases.tsv") as fh:
        cases = {r["target"]: r for r in csv.DictReader(fh, delimiter="\t")}
    return summary, rows, cases


def _raw_value(path, symbol, tissue):
    """Independent read of one cell of the HPA table (plain csv, not cgtsafe)."""
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        r = csv.reader(fh, delimiter="\t")
        head = next(r)
        for row in r:
            if row[1] == symbol:
                return float(row[head.index(tissue)])
    raise KeyError(symbol)


def _tables():
    yield pytest.param(None, id="shipped")
    yield pytest.param("REAL", id="real-hpa", marks=pytest.mark.realdata)


@pytest.mark.parametrize("expression", list(_tables()))
def test_published_cases(tmp_path, expression):
    from cgtsafe.tcr.expression import shipped_table_path

    if expression == "REAL":
        expression = str(shared_file("tcr", "hpa_consensus_tissue_ntpm.tsv"))
    path = expression or shipped_table_path()
    summary, rows, cases = _run(tmp_path, expression)

    # ERBB2: lung detected, named with its value; high tier (Morgan 2010)
    lung = _raw_value(path, "ERBB2", "Lung")
    assert lung > 0
    assert f"Lung {lung:.1f}" in rows["HER2"]["vital_tissues_detected"]
    assert int(rows["HER2"]["tier"]) >= 3
    assert cases["HER2"]["table_shows"] == f"Lung: {lung:.1f} nTPM"

    # CA9: liver (bile duct lies in it) detected and named; gallbladder is not in this table: said plainly
    liver = _raw_value(path, "CA9", "Liver")
    assert liver > 0 and f"Liver {liver:.1f}" in rows["CAIX"]["vital_tissues_detected"]
    assert "Gallbladder: not in table" in cases["CAIX"]["table_shows"]
    assert rows["CAIX"]["max_tissue"] == "Stomach"  # CAIX is a gastric-mucosa antigen

    # CD19: B-cell tissue (spleen; lymph node is not in the table and is stated as unknown)
    assert rows["CD19"]["max_tissue"] == "Spleen"
    absent = [k for k in summary["key_figures"] if k["label_en"].startswith("Tissues not in the expression table")]
    assert absent and "Lymph Node" in absent[0]["value"] and "Bone Marrow" in absent[0]["value"]
    # brain: 0 in every bulk CNS column, and the output says bulk data cannot show mural cells
    for t in ("Cerebral Cortex", "Cerebellum", "Caudate", "Putamen", "Spinal Cord"):
        assert _raw_value(path, "CD19", t) == 0
        assert f"{t}: 0.0 nTPM" in cases["CD19"]["table_shows"]
    assert cases["CD19"]["visible_in_bulk_data"] == "no"
    assert "mural cells" in summary["methods_en"] and "rare cell type" in summary["methods_en"]

    # BCMA: plasma-cell tissues (spleen, salivary gland, small intestine) highest; basal ganglia low but named
    assert rows["BCMA"]["max_tissue"] == "Spleen"
    for t in ("Caudate", "Putamen"):
        v = _raw_value(path, "TNFRSF17", t)
        assert 0 < v < 1
        assert f"{t} {v:.1f}" in rows["BCMA"]["vital_tissues_detected"]
    assert rows["BCMA"]["tier_name"] == "vital_low"
    assert "Caudate: 0.4 nTPM" in cases["BCMA"]["table_shows"]

    # never reassuring: attention (some vital tissue > 0); the figure marks vital tissues
    assert summary["verdict_level"] == "attention"
    fig = json.loads((tmp_path / "antigen" / "figures" / "antigen_tissue_expression.json").read_text())
    assert any(x.endswith("*") for x in fig["data"][0]["x"])
    assert "R004-24" in summary["requirements"]


def test_every_vital_tissue_above_zero_is_named(tmp_path):
    """Not only the top one: every vital tissue > 0 nTPM of ERBB2 is listed (independent count)."""
    from cgtsafe.tcr.expression import shipped_table_path

    _, rows, _ = _run(tmp_path, targets=[("HER2", "ERBB2")])
    n = sum(_raw_value(shipped_table_path(), "ERBB2", t) > 0 for t in DEFAULT_VITAL_TISSUES)
    assert int(rows["HER2"]["n_vital_detected"]) == n == len(rows["HER2"]["vital_tissues_detected"].split("; "))


def test_unknown_target_is_unknown_not_absent(tmp_path):
    summary, rows, _ = _run(tmp_path, targets=[("X", "NOTAGENE1"), ("Y", "P15391")])
    assert rows["X"]["status"] == "not_in_table" and rows["X"]["tier"] == "0"
    assert rows["Y"]["status"] == "not_resolved"
    assert "not in the expression table; expression unknown, not absent" in summary["verdict_en"]
    assert "not expressed" not in summary["verdict_en"]
    assert summary["verdict_level"] == "inconclusive"


def test_uniprot_and_ensembl_resolution(tmp_path):
    fa = tmp_path / "up.fasta"
    fa.write_text(">sp|P15391|CD19_HUMAN B-lymphocyte antigen CD19 OS=Homo sapiens OX=9606 GN=CD19 PE=1 SV=7\nMPPP\n")
    _, rows, _ = _run(tmp_path, targets=[("A", "P15391"), ("B", "ENSG00000177455")], proteome=str(fa))
    assert rows["A"]["symbol"] == rows["B"]["symbol"] == "CD19"
    assert rows["A"]["resolved_by"] == "uniprot" and rows["B"]["resolved_by"] == "ensembl"


@pytest.mark.parametrize("low,high", [(1.0, 10.0), (0.5, 5.0)])
def test_tier_rule_is_monotone(low, high):
    grid = [None, 0.0, 0.05, 0.5, 0.99, 1.0, 3.0, 9.99, 10.0, 500.0]
    for pos in (False, True):
        tiers = [tier_of(v, pos, detected_ntpm=low, high_ntpm=high) for v in grid]
        assert tiers[1:] == sorted(tiers[1:])
    for v in grid:
        assert tier_of(v, True, detected_ntpm=low, high_ntpm=high) >= tier_of(v, False, detected_ntpm=low,
                                                                               high_ntpm=high)
    assert tier_of(0.0, False, detected_ntpm=1, high_ntpm=10) == 1
    assert tier_of(0.3, False, detected_ntpm=1, high_ntpm=10) == 2
    assert tier_of(0.0, True, detected_ntpm=1, high_ntpm=10) == 3


def test_sponsor_study_shown_and_raises_tier(tmp_path):
    st = tmp_path / "ihc.tsv"
    st.write_text("target\ttissue\tmethod\tresult\tcell_type\tstudy_id\n"
                  "CD19\tcerebellum\tIHC\tpositive\tpericytes\tS-1\n"
                  "CD19\tlymph node\tIHC\tpositive\tB cells\tS-1\n")
    summary, rows, _ = _run(tmp_path, targets=[("CD19", "CD19")], studies=str(st))
    assert rows["CD19"]["tier"] == "3" and rows["CD19"]["sponsor_positive_vital"] == "cerebellum"
    assert any(t["id"] == "antigen_imported_studies" for t in summary["tables"])
    with open(tmp_path / "antigen" / "imported" / "studies.tsv") as fh:
        vit = [r["vital_tissue"] for r in csv.DictReader(fh, delimiter="\t")]
    assert vit == ["yes", "no"]


@pytest.mark.parametrize("content,needle", [
    ("target\ttissue\tmethod\tresult\nCD19\tlung\tIHC\tweak\n", "line 2: result 'weak'"),
    ("target\ttissue\tmethod\tresult\nCD20\tlung\tIHC\tpositive\n", "target 'CD20' is not one of"),
    ("target\ttissue\tresult\nCD19\tlung\tpositive\n", "lacks column(s) method"),
    ("target\ttissue\tmethod\tresult\nCD19\t\tIHC\tpositive\n", "column 'tissue' is empty"),
])
def test_bad_study_table_one_line(tmp_path, content, needle):
    st = tmp_path / "bad.tsv"
    st.write_text(content)
    out = tmp_path / "o"
    p = subprocess.run([sys.executable, "-m", "cgtsafe", "antigen", "profile", "--target", "CD19=CD19",
                        "--studies", str(st), "--outdir", str(out), "--out", str(out / "summary.json")],
                       capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    assert p.stderr.count("\n") == 1 and needle in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()


@pytest.mark.realdata
def test_shipped_table_is_the_complete_real_table():
    import gzip
    import hashlib

    from cgtsafe.tcr.expression import shipped_table_path

    real = shared_file("tcr", "hpa_consensus_tissue_ntpm.tsv")
    with gzip.open(shipped_table_path(), "rb") as fh:
        shipped = hashlib.sha256(fh.read()).hexdigest()
    assert shipped == hashlib.sha256(real.read_bytes()).hexdigest()


def test_plan_checks_config(tmp_path):
    from cgtsafe.errors import InputError
    from cgtsafe.plan.antigen import AntigenPlan
    from cgtsafe.plan.common import Layout

    base = {"targets": [{"name": "A", "id": "CD19"}], "detected_ntpm": 1.0, "high_ntpm": 10.0,
            "vital_tissues": ["Lung", "Heart Muscle"], "expression": None, "proteome": None, "studies": None}
    plan = AntigenPlan({"antigen": base}, Layout("out"), "c.yaml")
    assert plan.path("summary.json") == "out/antigen/summary.json" and plan.inputs() == {}

    class Inp(dict):
        def keys(self):
            return super().keys()
    assert plan.args(None, Inp()) == ("--target A=CD19 --vital-tissues 'Lung,Heart Muscle' --detected-ntpm 1.0 "
                                      "--high-ntpm 10.0")
    for bad, msg in (({"targets": []}, "at least one target"),
                     ({"targets": [{"name": "A", "id": "X"}, {"name": "A", "id": "Y"}]}, "duplicate target names"),
                     ({"high_ntpm": 0.5}, "must be >= antigen.detected_ntpm"),
                     ({"studies": str(tmp_path / "missing.tsv")}, "does not exist")):
        with pytest.raises(InputError, match=msg):
            AntigenPlan({"antigen": {**base, **bad}}, Layout("out"), "c.yaml")
