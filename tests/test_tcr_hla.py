"""Built-in offline HLA class I predictor (IEDB SMMPMBEC matrices shipped with cgtsafe) against known
binders / non-binders and against epytope's own predictions.

Truth: the target and cross-reactive peptides of the two fatal MAGE-A3 TCR cases and two classic
epitopes, all measured HLA binders of the allele named (Cameron et al. 2013 Sci Transl Med 5:197ra103;
Morgan et al. 2013 J Immunother 36:133; CMV pp65 NLVPMVATV and influenza M1 GILGFVFTL on A*02:01), and
the same peptides on the other allele, where their anchor residues do not fit (non-binders).

Peer: ``EPYTOPE`` holds IC50s printed by epytope 4.0.1's ``EpitopePredictorFactory("smmpmbec").predict``
on 2026-12-05 (before epytope was dropped from the dependencies; the full comparison, 37,078 predictions
bit-identical, is ``scripts/data/smmpmbec_matrices.py --check 1000``).
"""

from __future__ import annotations

import gzip
import hashlib
import re
from importlib import resources

import numpy as np
import pytest

from cgtsafe.errors import InputError
from cgtsafe.tcr.hla import (CHINESE_PANEL, MATRIX_SHA256, BuiltinPredictor, load_matrices, matrix_path,
                             read_predictions)
from cgtsafe.tcr.peptide import AA_INDEX, AMINO_ACIDS

A1, A2 = "HLA-A*01:01", "HLA-A*02:01"
TRUTH = [
    ("EVDPIGHLY", A1, True), ("ESDPIVAQY", A1, True),
    ("KVAELVHFL", A2, True), ("KMAELVHFL", A2, True), ("NLVPMVATV", A2, True), ("GILGFVFTL", A2, True),
    ("EVDPIGHLY", A2, False), ("ESDPIVAQY", A2, False),
    ("KVAELVHFL", A1, False), ("KMAELVHFL", A1, False), ("NLVPMVATV", A1, False), ("GILGFVFTL", A1, False),
]
#: epytope 4.0.1 SMMPMBEC IC50 (nM), as printed by epytope (peer output, see module docstring)
EPYTOPE = {
    A1: {"EVDPIGHLY": 146.35919091247106, "ESDPIVAQY": 200.64114613254714, "KVAELVHFL": 14204.30535785387,
         "KMAELVHFL": 14873.73364544112, "NLVPMVATV": 97818.27502661373, "GILGFVFTL": 101957.69297342721,
         "KVAELVHFLL": 17200.45756011543, "EVDPIGHL": 57096.56745344301, "ASNENMETMK": 15832.153795166825},
    A2: {"EVDPIGHLY": 302294.32903512375, "ESDPIVAQY": 987256.4959757171, "KVAELVHFL": 50.74929342398287,
         "KMAELVHFL": 6.1014070565618095, "NLVPMVATV": 63.30383197655398, "GILGFVFTL": 45.75409820495875,
         "KVAELVHFLL": 340.2671315467113, "EVDPIGHL": 33252.936269869744, "YLLPAIVHI": 9.449960647952805,
         "KLVALGINAV": 66.34680289215154},
    "HLA-A*11:01": {"ASNENMETMK": 143.82354859244373, "KVAELVHFLL": 6350.822869190626,
                    "EVDPIGHL": 25624.181391380265, "GILGFVFTL": 3491.6443407017664},
    "HLA-A*24:02": {"YLLPAIVHI": 2022.8328603065338, "KMAELVHFL": 1527.4253706837026,
                    "KLVALGINAV": 84071.73304388621},
    # 9-mer matrix only: epytope printed 1.0 (10**0, no prediction) for KVAELVHFLL, EVDPIGHL, ASNENMETMK
    "HLA-B*46:01": {"ESDPIVAQY": 36722.310635619324, "KMAELVHFL": 28703.179041529787,
                    "YLLPAIVHI": 42552.982030250234},
}
#: lengths with a matrix, per default-panel allele (README_smmpmbec.md)
PANEL_LENGTHS = {
    "HLA-A*11:01": {8, 9, 10, 11}, "HLA-A*24:02": {8, 9, 10, 11}, "HLA-A*02:01": {8, 9, 10, 11},
    "HLA-A*02:06": {8, 9, 10, 11}, "HLA-B*51:01": {8, 9, 10, 11}, "HLA-B*58:01": {9, 10, 11},
    "HLA-B*40:01": {8, 9, 10}, "HLA-A*30:01": {9, 10}, "HLA-B*15:01": {9, 10}, "HLA-B*46:01": {9},
    "HLA-C*07:02": {9}, "HLA-C*06:02": {9}, "HLA-A*02:07": set(), "HLA-A*33:03": set(), "HLA-B*13:02": set(),
    "HLA-C*01:02": set(), "HLA-C*03:04": set(), "HLA-C*08:01": set(),
}


@pytest.fixture(scope="module")
def builtin():
    return read_predictions(None, "smmpmbec")


@pytest.mark.parametrize("peptide,allele,binds", TRUTH)
def test_builtin_classifies_known_binders(builtin, peptide, allele, binds):
    text, cls = builtin.lookup(peptide, allele)
    assert (cls in ("strong", "weak")) == binds, (peptide, allele, text)
    assert "SMMPMBEC" in text and "IC50=" in text


def test_builtin_equals_epytope_prediction():
    """IC50s from the shipped file are bit-identical to epytope's own SMMPMBEC predictor's."""
    b = BuiltinPredictor()
    for allele, want in EPYTOPE.items():
        got = b.predict(list(want), allele)
        for p, ic50 in want.items():
            assert got[p].affinity_nM == ic50, (allele, p, got[p].affinity_nM, ic50)
            mat, con = b.matrix(allele, len(p))
            assert 10 ** (con + sum(mat[i, AA_INDEX[a]] for i, a in enumerate(p))) == pytest.approx(ic50, rel=1e-12)


def test_shipped_file_checksum_matches_readme():
    raw = gzip.decompress(matrix_path().read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    assert digest == MATRIX_SHA256
    readme = resources.files("cgtsafe").joinpath("data", "README_smmpmbec.md").read_text(encoding="utf-8")
    assert f"SHA-256 of the decompressed TSV: `{digest}`" in readme
    header = "".join(ln for ln in raw.decode("ascii").splitlines(keepends=True) if ln.startswith("#"))
    for cite in ("Kim Y", "BMC Bioinformatics 2009;10:394", "IEDB", "epytope 4.0.1", "license@iedb.org"):
        assert cite in header
    gz = matrix_path().read_bytes()
    assert gz[4:8] == b"\0\0\0\0"  # gzip mtime 0: deterministic bytes


def test_shipped_matrices_are_complete_and_well_formed():
    mats = load_matrices()
    assert len(mats) == 171 and len({a for a, _ in mats}) == 81
    for (allele, length), (mat, con) in mats.items():
        assert re.fullmatch(r"HLA-[ABCE]\*\d\d:\d\d", allele) and 8 <= length <= 11
        assert mat.shape == (length, len(AMINO_ACIDS)) and np.isfinite(mat).all() and np.isfinite(con)
        assert not mat.flags.writeable  # shared by every predictor of the process
    b = BuiltinPredictor()
    for allele, lengths in PANEL_LENGTHS.items():
        assert {k for k in range(5, 15) if b.matrix(allele, k) is not None} == lengths, allele
        assert b.supports(allele) == bool(lengths)


def test_no_matrix_is_no_model_never_a_binder(builtin):
    """Alleles/lengths without a matrix are no_model -- never epytope's 1 nM filler, never non_binder."""
    b = BuiltinPredictor()
    cases = [("EVDPIGHLY", "HLA-A*33:03"),   # allele without any matrix
             ("EVDPIGHLY", "HLA-B*27:03"),   # listed as supported by epytope 4.0.1, no matrix shipped
             ("KVAELVHFLL", "HLA-B*46:01"),  # allele with a 9-mer matrix only (epytope: 1.0 nM)
             ("EVDPIGHL", "HLA-B*46:01"), ("ASNENMETMK", "HLA-B*46:01"),
             ("GILGFVFT", "HLA-A*30:01"), ("KLVALGINAVL", "HLA-B*40:01"),
             ("SIINFEK", A2), ("NLVPMVATVQAV", A2)]  # lengths outside 8-11
    for pep, allele in cases:
        text, cls = builtin.lookup(pep, allele)
        assert cls == "no_model" and f"no SMMPMBEC model for {allele} {len(pep)}-mers" == text, (pep, allele)
        assert b.predict([pep], allele)[pep] is None
    # every default-panel allele x length: a real prediction exactly where a matrix exists, else no_model
    rng = np.random.default_rng(7)
    for allele, lengths in PANEL_LENGTHS.items():
        for k in range(7, 13):
            peps = ["".join(rng.choice(list(AMINO_ACIDS), k)) for _ in range(50)]
            got = b.predict(peps, allele)
            if k in lengths:
                assert all(g is not None and g.affinity_nM != 1.0 for g in got.values()), (allele, k)
            else:
                assert all(g is None for g in got.values()) and builtin.lookup(peps[0], allele)[1] == "no_model"


def test_modified_matrix_file_is_rejected(tmp_path, monkeypatch):
    """A shipped table that differs from the recorded checksum is one error, not a different prediction."""
    import cgtsafe.tcr.hla as hla

    raw = gzip.decompress(matrix_path().read_bytes()).replace(b"\t4.52761\t", b"\t3.52761\t")
    bad = tmp_path / hla.MATRIX_FILE
    bad.write_bytes(gzip.compress(raw))
    monkeypatch.setattr(hla, "matrix_path", lambda: bad)
    hla.load_matrices.cache_clear()
    try:
        with pytest.raises(InputError, match="SHA-256"):
            hla.load_matrices()
        # the same bytes named explicitly (converter's --check) are read, with the changed constant
        assert hla.load_matrices(str(bad))[(A1, 8)][1] == 3.52761
        bad.write_bytes(gzip.compress(raw.rstrip(b"\n").rsplit(b"\n", 1)[0] + b"\n"))  # last row lost
        hla.load_matrices.cache_clear()
        with pytest.raises(InputError, match="has 8 positions"):
            hla.load_matrices(str(bad))
    finally:
        hla.load_matrices.cache_clear()


def test_user_table_takes_precedence(tmp_path):
    p = tmp_path / "p.tsv"
    p.write_text("peptide\tallele\tpercentile_rank\nESDPIVAQY\tHLA-A*01:01\t5\n")
    pred = read_predictions(p, "smmpmbec")
    assert pred.lookup("ESDPIVAQY", A1) == ("%rank=5", "non_binder")  # the table, not the built-in
    assert pred.lookup("EVDPIGHLY", A1)[1] == "weak" and "SMMPMBEC" in pred.lookup("EVDPIGHLY", A1)[0]


def test_predictor_none_is_unavailable():
    assert read_predictions(None, "none").lookup("EVDPIGHLY", A1) == ("unavailable", "unavailable")


def test_chinese_panel_is_well_formed():
    assert len(set(CHINESE_PANEL)) == len(CHINESE_PANEL)
    assert {"HLA-A*11:01", "HLA-A*24:02", "HLA-A*02:01", "HLA-B*46:01", "HLA-B*40:01"} <= set(CHINESE_PANEL)
    b = BuiltinPredictor()
    assert np.mean([b.supports(a) for a in CHINESE_PANEL]) > 0.5
    assert set(CHINESE_PANEL) == set(PANEL_LENGTHS)
