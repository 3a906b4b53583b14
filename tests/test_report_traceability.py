"""LTFU tiers (truth table from 001 三（一） / 002 7.5) and traceability statuses."""

from __future__ import annotations

import pytest

from cgtsafe.report.ltfu import ltfu_tier
from cgtsafe.report.traceability import build_matrix, load_requirements
from cgtsafe.summary import make_summary, not_applicable

T, F, N = True, False, None


@pytest.mark.parametrize("expressed,integ,altered,years", [
    (T, T, T, 15), (T, T, F, 15), (T, T, N, 15),   # R001-18 / R002-64
    (T, F, T, 5), (T, F, F, 5), (T, F, N, 5),      # R001-17 / R002-63
    (F, F, F, 1), (F, T, F, 1), (F, N, F, 1),      # R001-16 / R002-62 (no expression, DNA unaltered)
    (F, N, T, None),                               # not covered by the stated tiers
    (N, T, T, None), (T, N, T, None), (F, F, N, None),
])
def test_ltfu_truth_table(expressed, integ, altered, years):
    tier = ltfu_tier({"exogenous_gene_expressed": expressed, "integration_or_recombination_risk": integ,
                      "dna_altered_ex_vivo": altered})
    assert tier.years == years
    assert tier.determined is (years is not None)
    if years == 15:
        assert tier.rows == ("R001-18", "R002-64")
    if years is None:
        assert "sponsor" in tier.basis_en.lower()


def test_ltfu_flags_integrating_vector_answered_no():
    tier = ltfu_tier({"exogenous_gene_expressed": True, "integration_or_recombination_risk": False},
                     vector="lentivirus")
    assert tier.years == 5
    assert any("lentivirus" in en for en, _ in tier.notes)


def test_ltfu_rejects_non_boolean():
    with pytest.raises(ValueError, match="exogenous_gene_expressed"):
        ltfu_tier({"exogenous_gene_expressed": "yes"})


def _computed(a, reqs=()):
    return make_summary(a, status="computed", requirements=list(reqs))


def _matrix(summaries, modality, vector="lentivirus", imported=(), ltfu=True):
    rows = build_matrix(load_requirements(), summaries, list(imported), modality, vector, ltfu)
    return {r.req.id: r for r in rows}


ALL = {a: _computed(a) for a in ("offtarget", "sitecheck", "integration", "tcr")}


def test_every_requirement_has_a_row_and_known_status():
    m = _matrix(ALL, ["gene_edited_cells", "car_t", "tcr_t"])
    assert len(m) == 190
    assert {r.status for r in m.values()} <= {"computed", "imported", "narrative", "not_applicable", "not_computed",
                                                "context"}
    assert all(r.status == "context" for r in m.values() if r.req.seed_doc == "003")


@pytest.mark.parametrize("rid,modality,vector,status,reason_word", [
    ("R004-29", ["car_t"], "lentivirus", "not_applicable", "TCR"),         # target peptide in other proteins
    ("R004-29", ["tcr_t"], "lentivirus", "computed", ""),
    ("R004-26", ["tcr_t"], "lentivirus", "not_applicable", "CAR"),
    ("R004-41", ["car_t"], "lentivirus", "not_applicable", "gene editing"),  # WGS comparison
    ("R004-41", ["gene_edited_cells"], "none", "computed", ""),
    ("R004-22", ["gene_edited_cells"], "aav", "not_applicable", "integrate"),
    ("R004-22", ["car_t"], "lentivirus", "computed", ""),
    ("R004-35", ["car_t"], "lentivirus", "not_applicable", "iPS"),
    ("R002-10", ["gene_edited_cells"], "none", "not_applicable", "viral vector"),
    ("R004-33", ["tcr_t"], "lentivirus", "narrative", ""),                   # allo-HLA: wet lab, not computed
    ("R002-64", ["car_t"], "lentivirus", "computed", ""),                    # LTFU tier row
])
def test_status_by_modality(rid, modality, vector, status, reason_word):
    r = _matrix(ALL, modality, vector)[rid]
    assert r.status == status, (r.status, r.note_en)
    assert reason_word in r.note_en


def test_imported_and_explicit_requirements():
    summaries = dict(ALL, offtarget=_computed("offtarget", ["R004-38"]))
    m = _matrix(summaries, ["gene_edited_cells", "tcr_t"],
                imported=[{"kind": "rcv", "title": "RCL qPCR"}, {"kind": "allo_hla", "title": "HLA screen"},
                          {"kind": "other", "title": "Tumorigenicity", "requirements": ["R004-35"]}])
    assert m["R002-10"].status == "imported" and "RCL qPCR" in m["R002-10"].note_en
    assert m["R004-33"].status == "imported"
    assert m["R004-35"].status == "not_applicable"  # iPS-only row stays n/a for a non-iPS product
    assert m["R004-38"].status == "computed"
    # offtarget lists its rows explicitly: its other primary rows are no longer claimed
    assert m["R004-40"].status == "narrative"
    assert "sitecheck" in m["R004-40"].note_en  # supporting evidence is named


def test_switched_off_failed_and_ltfu_unknown():
    summaries = dict(ALL, integration=not_applicable("integration", "integration analysis switched off"),
                     sitecheck=make_summary("sitecheck", status="failed", reason="bwa crashed"))
    m = _matrix(summaries, ["gene_edited_cells", "car_t"], ltfu=False)
    assert m["R004-22"].status == "not_applicable" and "switched off" in m["R004-22"].note_en
    assert m["R004-41"].status == "not_computed" and "bwa crashed" in m["R004-41"].note_en
    assert m["R002-64"].status == "narrative"
