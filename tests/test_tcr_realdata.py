"""Real-data sanity of the shipped Human Protein Atlas table (and its identity with ../shared/data)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from cgtsafe.tcr.expression import DEFAULT_VITAL_TISSUES, gene_expression, read_expression, shipped_table_path

from conftest import shared_file

BRAIN = ("Amygdala", "Caudate", "Cerebellum", "Cerebral Cortex", "Hippocampus", "Hypothalamus", "Nucleus Accumbens",
         "Putamen", "Substantia Nigra")


@pytest.fixture(scope="module")
def hpa():
    return read_expression(None, vital_tissues=list(DEFAULT_VITAL_TISSUES))


def test_shipped_copy_identical_to_shared_file():
    src = shared_file("tcr", "hpa_consensus_tissue_ntpm.tsv")
    with gzip.open(shipped_table_path(), "rb") as fh:
        assert fh.read() == src.read_bytes()


def test_hpa_layout(hpa):
    assert len(hpa.tissues) == 37
    assert len(hpa.genes) > 19000


def test_ttn_high_in_heart_muscle(hpa):
    ge = gene_expression(hpa, "TTN", list(DEFAULT_VITAL_TISSUES), 1.0)
    assert ge.max_vital_tissue == "Heart Muscle"
    assert ge.max_vital_ntpm > 50
    prof = hpa.profile("TTN")
    # striated muscle: heart and skeletal muscle are the two highest tissues
    top2 = {hpa.tissues[i] for i in np.argsort(prof)[-2:]}
    assert top2 == {"Heart Muscle", "Skeletal Muscle"}


@pytest.mark.parametrize("gene", ["MAGEA3", "MAGEA6"])
def test_mage_testis_restricted(hpa, gene):
    prof = hpa.profile(gene)
    assert hpa.tissues[int(np.argmax(prof))] == "Testis"
    others = [v for t, v in zip(hpa.tissues, prof) if t != "Testis"]
    assert max(others) < 1.0
    ge = gene_expression(hpa, gene, list(DEFAULT_VITAL_TISSUES), 1.0)
    assert ge.vital_tissues_expressed == ()


@pytest.mark.parametrize("gene,tissues", [("ALB", ("Liver",)), ("GFAP", BRAIN + ("Spinal Cord",)),
                                          ("SFTPC", ("Lung",)), ("TNNT2", ("Heart Muscle",)),
                                          ("NPPA", ("Heart Muscle",))])
def test_known_tissue_markers(hpa, gene, tissues):
    ge = gene_expression(hpa, gene, list(DEFAULT_VITAL_TISSUES), 1.0)
    assert ge.max_vital_tissue in tissues, (gene, ge)


@pytest.mark.parametrize("gene", ["OR11H1", "MCTS2P"])
def test_unmeasured_cells_are_unavailable_not_zero(hpa, gene):
    """HPA rows measured in only a few tissues: empty cells stay unavailable."""
    prof = hpa.profile(gene)
    assert np.isnan(prof).sum() > 30
    ge = gene_expression(hpa, gene, list(DEFAULT_VITAL_TISSUES), 1.0)
    assert ge.status == "vital_tissues_not_measured" and ge.max_vital_ntpm is None


def test_scan_with_shipped_hpa(test_data):
    """Synthetic proteome (real gene symbols TTN, MAGEA3, MAGEA6) annotated with the real HPA table."""
    shared_file("tcr", "hpa_consensus_tissue_ntpm.tsv")
    from cgtsafe.tcr.run import ScanParams, run_scan

    d = test_data / "tcr"
    hits, cands, _, stats = run_scan(ScanParams(proteome=str(d / "proteome.fasta"), peptide="EVDPIGHLY",
                                                hla="HLA-A*01:01", source="MAGEA3", motif="x-x-D-P-I-x-x-x-Y"))
    se = stats["source_expression"]
    assert se["gene"] == "MAGEA3" and se["max_tissue"] == "Testis" and se["vital_tissues_expressed"] == []
    ttn = cands.set_index("kmer").loc["ESDPIVAQY"]
    assert ttn["tier"] == 1 and ttn["max_vital_tissue"] == "Heart Muscle" and ttn["max_vital_tissue_ntpm"] > 50
    mage6 = cands.set_index("kmer").loc["EVDPIGHLY"]
    assert mage6["tier"] == 0 and mage6["genes"] == "MAGEA6" and mage6["max_tissue"] == "Testis"
    # synthetic gene symbols are absent from HPA: unavailable, never 0
    assert (hits.loc[hits["gene"].str.startswith("SYN"), "expression_status"] == "gene_not_in_table").all()


def test_mage_a12_brain_detection_is_shown(hpa):
    """Morgan et al. 2013: MAGE-A12 in the brain at low level; HPA 0.1-0.5 nTPM must not read 'not expressed'."""
    src = shared_file("tcr", "hpa_consensus_tissue_ntpm.tsv")
    import pandas as pd

    row = pd.read_csv(src, sep="\t").set_index("gene_donor").loc["MAGEA12"]
    truth = {t: float(row[t]) for t in DEFAULT_VITAL_TISSUES if float(row[t]) > 0}
    ge = gene_expression(hpa, "MAGEA12", list(DEFAULT_VITAL_TISSUES), 1.0)
    assert dict(ge.vital_tissues_detected) == truth and len(truth) >= 7
    assert ge.vital_tissues_expressed == ()  # below the 1 nTPM cut-off ...
    text = ge.detected_text("MAGEA12", 1.0)  # ... yet named with its values
    assert text.startswith(f"MAGEA12: detected in {len(truth)} vital tissue(s) at 0.1-0.5 nTPM")
    assert "Putamen 0.5" in text and "below the 1 nTPM" in text


def test_no_vital_expression_names_no_tissue(hpa):
    """MAGEA3 is 0 nTPM in every vital tissue: no 'Heart Muscle at 0 nTPM'."""
    ge = gene_expression(hpa, "MAGEA3", list(DEFAULT_VITAL_TISSUES), 1.0)
    assert ge.max_vital_ntpm == 0 and ge.max_vital_tissue == "" and ge.vital_tissues_detected == ()
    assert ge.detected_text("MAGEA3", 1.0) == "MAGEA3: not detected in any vital tissue (0 nTPM in all)"
