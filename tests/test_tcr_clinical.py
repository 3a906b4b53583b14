"""The two fatal MAGE-A3 TCR cases on a human-size proteome (issue #12 'Done when').

Proteome: scripts/make_proteome.py --clinical (20,000 synthetic proteins with human amino-acid composition
and the real HPA gene symbols, fixed seed, ~11.6 M residues) plus MAGEA3 (published UniProt P43357
sequence), MAGEA12 carrying KMAELVHFL and TTN carrying ESDPIVAQY; expression: the shipped HPA consensus
table; HLA binding: the built-in SMMPMBEC predictor. Truth: the clinical outcomes -- titin ESDPIVAQY
killed two patients treated with the HLA-A*01:01 EVDPIGHLY TCR (Cameron et al. 2013; Linette et al.
2013), MAGE-A12 KMAELVHFL two treated with the HLA-A*02:01 KVAELVHFL TCR (Morgan et al. 2013).
"""

from __future__ import annotations

import importlib.util

import pytest

from cgtsafe.tcr.run import ScanParams, run_scan

from conftest import REPO


@pytest.fixture(scope="module")
def proteome(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_proteome", REPO / "scripts" / "make_proteome.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    path = tmp_path_factory.mktemp("clinical") / "proteome.fasta"
    counts = mod.make(path, clinical=True)
    assert 10_000_000 < counts["residues"] < 13_000_000
    text = path.read_text()
    for pep in ("EVDPIGHLY", "KVAELVHFL", "KMAELVHFL", "ESDPIVAQY"):
        assert pep in text.replace("\n", "")
    return path


def _rank(cands, kmer):
    row = cands[cands["kmer"] == kmer]
    assert len(row) == 1, f"{kmer} not among the candidates"
    return int(row["rank"].iloc[0]), row.iloc[0]


def _a3a(proteome, **kw):
    return run_scan(ScanParams(proteome=str(proteome), peptide="EVDPIGHLY", hla="HLA-A*01:01", source="MAGEA3",
                               **kw))


def test_titin_top10_with_motif(proteome):
    _, cands, _, _ = _a3a(proteome, motif="x-x-D-P-I-x-x-x-Y")
    rank, row = _rank(cands, "ESDPIVAQY")
    assert rank <= 10, rank
    assert row["tier"] == 1 and row["max_vital_tissue"] == "Heart Muscle" and row["genes"] == "TTN"


def test_titin_top10_without_motif_with_contact_positions(proteome):
    """No motif scan: only the TCR contact positions of the X-scan (D3 P4 I5 Y9) weight the similarity."""
    _, cands, _, stats = _a3a(proteome, contact_positions=[3, 4, 5, 9])
    rank, row = _rank(cands, "ESDPIVAQY")
    assert rank <= 10, rank
    assert "motif" not in row["methods"] and row["hamming"] == 4
    assert stats["counts"]["motif"] == 0


def test_titin_found_without_any_tcr_information(proteome):
    """No motif, X-scan or contacts: the binder-restricted similarity ranking still keeps titin (4 mismatches),
    which a Hamming radius of 3 cannot; its rank is reported, not claimed to be top 10."""
    hits, cands, _, stats = _a3a(proteome)
    rank, row = _rank(cands, "ESDPIVAQY")
    assert "ranked" in row["methods"] and row["hamming"] == 4
    assert row["evidence"] == "binding;vital_tissue" and row["tier"] == 2
    assert stats["counts"]["ranked"] > 500


def test_mage_a12_top10_and_brain_detection_shown(proteome):
    _, cands, _, stats = run_scan(ScanParams(proteome=str(proteome), peptide="KVAELVHFL", hla="HLA-A*02:01",
                                             source="MAGEA3"))
    rank, row = _rank(cands, "KMAELVHFL")
    assert rank <= 10, rank
    assert row["tier"] == 1 and row["hla_binder"] == "strong"
    # HPA consensus: MAGEA12 at 0.1-0.5 nTPM in brain regions and spinal cord, below the 1 nTPM cut-off
    assert "MAGEA12: detected in" in row["reasons"] and "below the 1 nTPM cut-off" in row["reasons"]
    assert row["max_vital_tissue"] == "Putamen" and float(row["max_vital_tissue_ntpm"]) == pytest.approx(0.5)
    # the source protein itself is not a candidate
    assert not (cands["kmer"] == "KVAELVHFL").any()


def test_rule_is_monotone_in_the_evidence(proteome):
    """tier = 4 - (recognition + binding + vital tissue); every k-mer with all three outranks any lacking one."""
    _, cands, _, _ = _a3a(proteome, motif="x-x-D-P-I-x-x-x-Y")
    n_ev = cands["evidence"].map(lambda e: 0 if e == "none" else len(e.split(";")))
    assert ((cands["tier"] == 4 - n_ev) | (cands["evidence"] == "target")).all()
    full = cands[n_ev == 3]
    assert len(full) and full["rank"].max() < cands.loc[n_ev < 3, "rank"].min()
    assert cands["tier"].is_monotonic_increasing and cands["rank"].tolist() == list(range(1, len(cands) + 1))
