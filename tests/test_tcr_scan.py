"""TCR scan against the planted truth of test-data/tcr (scripts/testdata/tcr.py) and a brute-force scan."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cgtsafe.tcr.motif import parse_motif
from cgtsafe.tcr.proteome import read_proteome
from cgtsafe.tcr.run import ScanParams, run_scan
from cgtsafe.tcr.scan import scan
from cgtsafe.tcr.xscan import read_xscan


@pytest.fixture(scope="module")
def tcr_data(test_data):
    d = test_data / "tcr"
    if not (d / "truth_hits.tsv").exists():
        pytest.fail("test-data/tcr missing: run scripts/make_test_data.py")
    return d


@pytest.fixture(scope="module")
def truth(tcr_data):
    return pd.read_csv(tcr_data / "truth_hits.tsv", sep="\t", dtype=str, keep_default_na=False)


def _params(d, **kw):
    base = dict(proteome=str(d / "proteome.fasta"), peptide="EVDPIGHLY", hla="HLA-A*01:01", name="MAGEA3",
                source="MAGEA3", motif="x-x-D-P-I-x-x-x-Y", xscan=str(d / "xscan.tsv"), xscan_threshold=0.1,
                max_hamming=3, expression=str(d / "expression.tsv"), hla_predictions=str(d / "hla_predictions.tsv"),
                hla_panel=["HLA-A*02:01", "HLA-B*08:01"], top_n=0, hla_predictor="none")
    base.update(kw)
    return ScanParams(**base)


@pytest.fixture(scope="module")
def result(tcr_data):
    return run_scan(_params(tcr_data))


def test_every_planted_hit_found_with_its_methods(result, truth):
    hits = result[0]
    found = {(r.protein, int(r.position)): r for r in hits.itertuples()}
    expected = truth[truth["methods"] != ""]
    assert len(expected) == 15
    for row in expected.itertuples():
        key = (row.protein, int(row.position))
        assert key in found, f"planted {row.category} {row.kmer} at {key} not found"
        hit = found[key]
        assert hit.kmer == row.kmer
        assert hit.method == row.methods, row.category
        assert hit.hamming == int(row.hamming)
        assert hit.xscan_score == pytest.approx(float(row.xscan_score), rel=1e-9)
        assert hit.end == int(row.position) + 8
    # nothing else: the generator cleaned the random background of accidental hits
    assert len(hits) == len(expected)


@pytest.mark.parametrize("category", ["decoy_I5L", "decoy_Y9F", "decoy_hamming4", "decoy_selenocysteine",
                                      "decoy_boundary_left", "decoy_boundary_right"])
def test_decoys_not_found(result, truth, category):
    hits = result[0]
    row = truth[truth["category"] == category].iloc[0]
    assert not ((hits["protein"] == row["protein"]) & (hits["position"] == int(row["position"]))).any()


def test_candidate_ranking_matches_truth(result, truth):
    cands = result[1]
    exp = truth[truth["rank"] != ""].drop_duplicates("kmer")
    exp = exp.assign(rank=exp["rank"].astype(int), tier=exp["tier"].astype(int)).sort_values("rank")
    assert cands["kmer"].tolist() == exp["kmer"].tolist()
    assert cands["tier"].tolist() == exp["tier"].tolist()
    assert cands["rank"].tolist() == list(range(1, len(cands) + 1))


def test_source_and_isoforms_marked(result):
    hits = result[0]
    exact = hits[hits["method"].str.startswith("exact")].set_index("protein")
    assert exact.loc["P43357", "is_source"] == "yes" and exact.loc["P43357-2", "is_source"] == "yes"
    assert exact.loc["P43357-2", "isoform"] == "yes" and exact.loc["P43357-2", "canonical"] == "P43357"
    assert exact.loc["P43360", "is_source"] == "no"
    ttn = result[1].set_index("kmer").loc["ESDPIVAQY"]
    assert ttn["proteins"] == "Q8WZ42;Q8WZ42-2" and ttn["max_vital_tissue"] == "Heart Muscle"
    assert float(ttn["max_vital_tissue_ntpm"]) == 150.0


@pytest.mark.parametrize("kmer,status", [("RTDPIASEY", "no_gene_name"), ("GLDPIEKHY", "gene_not_in_table")])
def test_missing_expression_is_unavailable_not_zero(result, kmer, status):
    hit = result[0].set_index("kmer").loc[kmer]
    assert hit["expression_status"] == status
    assert pd.isna(hit["max_vital_tissue_ntpm"])


def test_hla_unavailable_without_predictions(tcr_data):
    hits, cands, panel, stats = run_scan(_params(tcr_data, hla_predictions=None))
    assert set(hits["hla_binding"]) == {"unavailable"}
    assert set(panel["hla_binder"]) == {"unavailable"}
    assert not stats["hla_predictions_available"]


def test_hla_panel_and_allele_spellings(result):
    cands = result[1].set_index("kmer")
    # 'A*01:01' and 'HLA-A01:01' spellings in the prediction file are normalised
    assert cands.loc["ESDPIVAQY", "hla_binder"] == "strong"
    assert cands.loc["KMDPIRSLY", "hla_binder"] == "weak"
    assert cands.loc["KMDPIRSLY", "panel_binders"] == "HLA-A*02:01(weak)"
    assert cands.loc["EVDPIGHLY", "panel_binders"] == "HLA-B*08:01(strong)"


def _brute(proteome, peptide, motif, xs, max_h):
    """Naive per-window reference scan in plain Python."""
    out = {}
    k = len(peptide)
    for acc, seq in zip(proteome.accessions, proteome.sequences):
        s = seq.decode()
        for i in range(len(s) - k + 1):
            w = s[i:i + k]
            if any(c not in "ACDEFGHIKLMNPQRSTVWY" for c in w):
                continue
            h = sum(a != b for a, b in zip(w, peptide))
            m = motif.matches(w)
            x = xs.score(w) >= xs.threshold
            if h <= max_h or m or x:
                out[(acc, i + 1)] = (h == 0, m, x, 0 < h <= max_h)
    return out


@pytest.mark.parametrize("peptide,motif,threshold,max_h", [
    ("EVDPIGHLY", "x-x-D-P-I-x-x-x-Y", 0.1, 3),
    ("ESDPIVAQY", "x-[ST]-D-x-{W}-x(3)-Y", 0.05, 4),
    ("KLLPGSAAL", "xLxxxxxxL", 0.3, 5),
])
def test_vectorised_scan_equals_brute_force(tcr_data, peptide, motif, threshold, max_h):
    prot = read_proteome(tcr_data / "proteome.fasta")
    mot = parse_motif(motif)
    xs = read_xscan(tcr_data / "xscan.tsv", threshold=threshold)
    res = scan(prot, peptide, motif=mot, xscan=xs, max_hamming=max_h)
    pidx = prot.protein_of(res.offsets)
    got = {}
    for n, (off, pi) in enumerate(zip(res.offsets, pidx)):
        key = (prot.accessions[pi], int(off - prot.starts[pi]) + 1)
        got[key] = tuple(bool(res.flags[m][n]) for m in ("exact", "motif", "xscan", "similarity"))
    ref = _brute(prot, peptide, mot, xs, max_h)
    assert len(ref) > 0
    assert got == ref


def _brute_ranked(prot, peptide, w, top_n, binder=None):
    """Plain-Python reference of the ranked scan: top_n distinct k-mers by weighted BLOSUM62, ties kept."""
    from Bio.Align import substitution_matrices

    m = substitution_matrices.load("BLOSUM62")
    b62 = {(x, y): float(m[x, y]) for x in "ACDEFGHIKLMNPQRSTVWY" for y in "ACDEFGHIKLMNPQRSTVWY"}
    k = len(peptide)
    windows = {}
    for acc, seq in zip(prot.accessions, prot.sequences):
        s = seq.decode()
        for i in range(len(s) - k + 1):
            km = s[i:i + k]
            if any(c not in "ACDEFGHIKLMNPQRSTVWY" for c in km) or (binder and not binder(km)):
                continue
            windows.setdefault(km, []).append((acc, i + 1))
    wl = [float(x) for x in w]
    score = {km: sum(wl[j] * b62[peptide[j], km[j]] for j in range(k)) for km in windows}
    ranked = sorted(score.values(), reverse=True)
    cut = ranked[top_n - 1] if len(ranked) >= top_n else ranked[-1]
    return {loc for km, sc in score.items() if sc >= cut for loc in windows[km]}


@pytest.mark.parametrize("peptide,contacts,top_n", [("EVDPIGHLY", [], 50), ("ESDPIVAQY", [4, 5, 6], 200)])
def test_ranked_scan_equals_brute_force(tcr_data, peptide, contacts, top_n):
    from cgtsafe.tcr.hla import BuiltinPredictor
    from cgtsafe.tcr.scan import ranked_scan
    from cgtsafe.tcr.similarity import weights

    prot = read_proteome(tcr_data / "proteome.fasta")
    w = weights(len(peptide), contacts, 2.0)

    def locs(offsets):
        pidx = prot.protein_of(offsets)
        return {(prot.accessions[pi], int(o - prot.starts[pi]) + 1) for o, pi in zip(offsets, pidx)}

    off, cut = ranked_scan(prot, peptide, w, top_n)
    ref = _brute_ranked(prot, peptide, w, top_n)
    assert locs(off) == ref
    # restricted to predicted HLA-A*01:01 binders (IC50 <= 500 nM), as run_scan adds with the built-in predictor
    b = BuiltinPredictor()
    mat, con = b.matrix("HLA-A*01:01", len(peptide))
    off2, _ = ranked_scan(prot, peptide, w, top_n, (mat, con, float(np.log10(500))))

    rows = [dict(zip("ACDEFGHIKLMNPQRSTVWY", map(float, r))) for r in mat]
    lim = float(np.log10(500))

    def binds(km):  # the shipped matrix; its IC50s equal epytope 4.0.1's (tests/test_tcr_hla.py)
        return con + sum(rows[j][c] for j, c in enumerate(km)) <= lim

    assert locs(off2) == ref | _brute_ranked(prot, peptide, w, top_n, binds)


def test_cli_outputs_byte_identical(tcr_data, tmp_path):
    outs = []
    for run in ("a", "b"):
        d = tmp_path / run
        cmd = [sys.executable, "-m", "cgtsafe", "tcr", "scan", "--proteome", str(tcr_data / "proteome.fasta"),
               "--peptide", "EVDPIGHLY", "--hla", "HLA-A*01:01", "--source", "MAGEA3", "--motif", "XXDPIXXXY",
               "--xscan", str(tcr_data / "xscan.tsv"), "--expression", str(tcr_data / "expression.tsv"),
               "--hla-predictions", str(tcr_data / "hla_predictions.tsv"), "--out", str(d / "hits.tsv"),
               "--candidates", str(d / "cand.tsv"), "--stats", str(d / "stats.json")]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        outs.append([(d / f).read_bytes() for f in ("hits.tsv", "cand.tsv", "stats.json")])
    assert outs[0] == outs[1]
    header = outs[0][0].decode().splitlines()[0].split("\t")
    for col in ("peptide", "protein", "gene", "position", "method", "score", "hamming", "blosum", "hla_binding",
                "max_vital_tissue_ntpm"):
        assert col in header


def test_isoform_and_nonstandard_counts(result):
    stats = result[3]
    assert stats["proteome"]["isoforms"] == 2
    # two U residues in the selenoprotein: each blocks up to 9 windows
    assert 9 < stats["windows_excluded_nonstandard"] <= 18
    assert stats["counts"]["exact"] == 3


def test_motif_only_scan_scores_by_blosum(tcr_data):
    hits, cands, _, stats = run_scan(_params(tcr_data, xscan=None, hla_predictions=None, hla_panel=[]))
    assert set(hits["score_type"]) == {"blosum_norm"}
    assert hits["xscan_score"].isna().all()
    assert np.allclose(hits["score"], hits["blosum_norm"])
    # without the X-scan matrix the X-scan-only kidney peptide is not found
    assert "DLEPIAHQY" not in set(hits["kmer"])
    assert stats["counts"]["xscan"] == 0 and stats["counts"]["motif"] == 11


def test_gzip_proteome_gives_same_hits(tcr_data, tmp_path, result):
    import gzip

    gz = tmp_path / "proteome.fasta.gz"
    gz.write_bytes(gzip.compress((tcr_data / "proteome.fasta").read_bytes()))
    hits = run_scan(_params(tcr_data, proteome=str(gz)))[0]
    assert hits.equals(result[0])
