"""Replicate-aware clone abundance (sonicLength's replicate mode) from the command line.

No published replicate-mode output of sonicLength (``estAbund(locations, lengths, replicates)``) for the
A1 HTLV-1 example is available offline (``../shared/data/integration/soniclength_A1_htlv1/`` holds only the
input), so the estimator is tested by simulation with known truth, drawn exactly as sonicLength's
``simSonic`` draws replicate data: site ``i`` yields ``Poisson(theta_i)`` sonicants, each falls in a
(replicate, length) cell with probability ``phi_rx`` (``sum phi = 1``; here three replicates of unequal
size and different length distributions), and only distinct (site, replicate, length) are observed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cgtsafe.cli import main
from cgtsafe.errors import InputError
from cgtsafe.integration.layout import layout_from_mapping, read_samples, specimen_sheet

REPS = {"1": (0.5, 150.0), "2": (0.3, 350.0), "3": (0.2, 250.0)}  # replicate: (share of sonicants, mean length)


def _phi():
    lengths = np.arange(30, 1500)
    cells, probs = [], []
    for rep, (w, mean) in REPS.items():
        p = np.exp(-(lengths - 30) / mean)  # geometric-like, as sonicLength's rfrag
        p = w * p / p.sum()
        cells += [(rep, int(x)) for x in lengths]
        probs += list(p)
    return cells, np.asarray(probs)


def _simulate(seed):
    rng = np.random.default_rng(seed)
    theta = np.concatenate([rng.lognormal(1.0, 0.8, 300), [150.0, 400.0, 900.0]])  # three large clones collide
    cells, probs = _phi()
    n = rng.poisson(theta)
    rows = []
    for i, k in enumerate(n):
        pos = 10_000 + 1000 * i
        for j in rng.choice(len(cells), size=k, p=probs):
            rep, length = cells[j]
            rows.append(("S1", f"chr{1 + i % 3}", pos, "+", pos + length - 1, "", 1, rep))
    df = pd.DataFrame(rows, columns=["sample", "chrom", "position", "strand", "breakpoint", "umi", "reads",
                                     "replicate"]).drop_duplicates()
    truth = pd.DataFrame({"chrom": [f"chr{1 + i % 3}" for i in range(len(n))],
                          "position": [10_000 + 1000 * i for i in range(len(n))], "n": n})
    return df, truth[truth["n"] > 0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replicate_mode_from_cli_recovers_true_shares(tmp_path, seed):
    frags, truth = _simulate(seed)
    frags.to_csv(tmp_path / "fragments.tsv", sep="\t", index=False)
    (tmp_path / "genes.gtf").write_text('chr1\tt\texon\t1\t100\t.\t+\t.\tgene_id "G"; transcript_id "G.1"; gene_name "G";\n')
    out = tmp_path / "out"
    assert main(["integration", "from-fragments", "--fragments", str(tmp_path / "fragments.tsv"), "--genes",
                 str(tmp_path / "genes.gtf"), "--out", str(out), "--merge-distance", "0", "--length-bin", "10"]) == 0
    sites = pd.read_csv(out / "sites.tsv", sep="\t")
    m = truth.merge(sites, on=["chrom", "position"], how="left")
    assert m["sonic"].notna().all()
    true_share = m["n"] / m["n"].sum()
    sonic_share = m["sonic"] / m["sonic"].sum()
    frag_share = m["fragments"] / m["fragments"].sum()
    big = m["n"] >= 100
    # the large clones: replicate-mode sonic within 2 points of the true share; unique fragments far off
    assert (np.abs(sonic_share - true_share)[big] < 0.02).all(), (sonic_share[big], true_share[big])
    assert np.abs(sonic_share - true_share).sum() < 0.5 * np.abs(frag_share - true_share).sum()
    # fragments collapse per replicate: the same length in two replicates counts twice
    per_rep = frags.drop_duplicates(["chrom", "position", "replicate", "breakpoint"]).groupby(
        ["chrom", "position"]).size()
    assert (m.set_index(["chrom", "position"])["fragments"] == per_rep.reindex(
        m.set_index(["chrom", "position"]).index)).all()
    # per-replicate and pooled shares are both reported
    reps = pd.read_csv(out / "replicate_abundance.tsv", sep="\t", dtype={"replicate": str})
    assert set(reps["replicate"]) == set(REPS)
    for _rep, g in reps.groupby("replicate"):
        assert abs(g["relative_abundance"].sum() - 1) < 1e-4
    pooled = reps.drop_duplicates(["chrom", "position"]).merge(
        sites[["chrom", "position", "sonic"]].rename(columns={"sonic": "site_sonic"}), on=["chrom", "position"])
    assert np.allclose(pooled["pooled_sonic"], pooled["site_sonic"], rtol=1e-4)
    assert abs(pooled["pooled_relative_abundance"].sum() - 1) < 1e-4
    # each replicate alone also sees the largest clone as the largest
    top = truth.loc[truth["n"].idxmax(), "position"]
    for _rep, g in reps.groupby("replicate"):
        assert g.loc[g["sonic"].idxmax(), "position"] == top


def test_replicate_mode_beats_ignoring_replicates():
    """Ignoring the replicate labels merges lengths seen in two replicates (undercounts the big clones)."""
    from cgtsafe.integration.abundance import estimate_sonic

    frags, truth = _simulate(4)
    loc = frags["chrom"] + ":" + frags["position"].astype(str)
    length = frags["breakpoint"] - frags["position"] + 1
    t_rep, lab_rep, i_rep = estimate_sonic(loc, length, frags["replicate"], length_bin=10)
    t_no, lab_no, i_no = estimate_sonic(loc, length, length_bin=10)
    assert i_rep["converged"] and i_no["converged"]
    tl = truth.assign(loc=truth["chrom"] + ":" + truth["position"].astype(str)).set_index("loc")["n"]
    err_rep = np.abs(pd.Series(t_rep, lab_rep).reindex(tl.index) - tl).sum()
    err_no = np.abs(pd.Series(t_no, lab_no).reindex(tl.index) - tl).sum()
    assert err_rep < err_no


def _sheet(tmp_path, rows, header="sample\tsubject\ttimepoint\tcell_type\tbarcode\tspecimen\treplicate\n"):
    p = tmp_path / "samples.tsv"
    p.write_text(header + "".join("\t".join(r) + "\n" for r in rows))
    return p


def _layout():
    return layout_from_mapping({"primer": "ACGTACGT", "ltr_bit": "TTGGCC", "linker": "ACGTTNNNNGGCA"})


def test_sheet_replicate_columns_reach_fragments(tmp_path):
    from cgtsafe.config import read_sample_sheet

    p = _sheet(tmp_path, [("L1", "P1", "d30", "PBMC", "AAAAAA", "S1", "1"),
                          ("L2", "P1", "d30", "PBMC", "CCCCCC", "S1", "2"),
                          ("L3", "P1", "d90", "PBMC", "GGGGGG", "", "")])
    samples = read_samples(p, _layout())
    assert [(s.fragment_sample, s.replicate) for s in samples] == [("S1", "1"), ("S1", "2"), ("L3", "")]
    collapsed = specimen_sheet(read_sample_sheet(p, required=("sample", "subject", "timepoint")), p)
    assert list(collapsed["sample"]) == ["S1", "L3"]


@pytest.mark.parametrize("rows,msg", [
    ([("L1", "P1", "d30", "PBMC", "AAAAAA", "S1", "1"), ("L2", "P1", "d30", "PBMC", "CCCCCC", "S1", "1")],
     "replicate 1 appears twice"),
    ([("L1", "P1", "d30", "PBMC", "AAAAAA", "S1", "1"), ("L2", "P1", "d90", "PBMC", "CCCCCC", "S1", "2")],
     "differ in column timepoint"),
    ([("L1", "P1", "d30", "PBMC", "AAAAAA", "L2", "1"), ("L2", "P1", "d30", "PBMC", "CCCCCC", "", "")],
     "also the sample name"),
])
def test_sheet_replicate_errors(tmp_path, rows, msg):
    from cgtsafe.config import read_sample_sheet

    p = _sheet(tmp_path, rows)
    with pytest.raises(InputError, match=msg):
        read_samples(p, _layout())
        specimen_sheet(read_sample_sheet(p, required=("sample", "subject", "timepoint")), p)
