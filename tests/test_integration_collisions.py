"""Collisions between subjects, planted: ISAnalytics' ``remove_collisions`` rule (date, replicates, abundance ratio
10, else removed) from the command line (``from-fragments`` -> ``collisions.tsv``)."""

from __future__ import annotations

import pandas as pd
import pytest

from cgtsafe.cli import main
from cgtsafe.integration.collisions import resolve_collisions


def _frag_rows(sample, chrom, pos, n, replicate="1", start=40):
    return [(sample, chrom, pos, "+", pos + start + 7 * k, "", 1, replicate) for k in range(n)]


@pytest.fixture()
def run(tmp_path):
    rows = []
    rows += _frag_rows("A", "chr1", 10_000, 30) + _frag_rows("B", "chr1", 10_002, 1)       # X: A dominates 30:1
    rows += _frag_rows("A", "chr1", 20_000, 5) + _frag_rows("B", "chr1", 20_000, 4)        # Y: no winner
    rows += _frag_rows("A", "chr1", 30_000, 6)                                              # Z: B in 2 replicates
    rows += _frag_rows("B", "chr1", 30_000, 2, "1") + _frag_rows("B", "chr1", 30_000, 2, "2", start=300)
    rows += _frag_rows("A", "chr2", 40_000, 8) + _frag_rows("B", "chr2", 50_000, 8)        # private sites
    rows += _frag_rows("A", "chr1", 60_000, 12, "2")  # second replicate of A elsewhere
    df = pd.DataFrame(rows, columns=["sample", "chrom", "position", "strand", "breakpoint", "umi", "reads",
                                     "replicate"])
    df.to_csv(tmp_path / "fragments.tsv", sep="\t", index=False)
    (tmp_path / "samples.tsv").write_text("sample\tsubject\ttimepoint\nA\tP1\td30\nB\tP2\td30\n")
    (tmp_path / "genes.gtf").write_text('chr1\tt\texon\t1\t100\t.\t+\t.\tgene_id "G"; transcript_id "G.1"; gene_name "G";\n')

    def go(*extra):
        out = tmp_path / ("out" + "".join(extra))
        assert main(["integration", "from-fragments", "--fragments", str(tmp_path / "fragments.tsv"), "--genes",
                     str(tmp_path / "genes.gtf"), "--samples", str(tmp_path / "samples.tsv"), "--out", str(out),
                     "--abundance", "fragments", *extra]) == 0
        return (pd.read_csv(out / "sites.tsv", sep="\t"), pd.read_csv(out / "collisions.tsv", sep="\t"))
    return go


def test_planted_collisions_flagged_and_resolved(run):
    sites, coll = run()
    got = {(r.chrom, r.subject, r.decision, r.rule) for r in coll.itertuples()}
    assert ("chr1", "P1", "kept", "ratio") in got and ("chr1", "P2", "removed", "ratio") in got   # X
    assert ("chr1", "P2", "kept", "replicates") in got and ("chr1", "P1", "removed", "replicates") in got  # Z
    y = coll[coll["position"] == 20_000]
    assert set(y["decision"]) == {"removed"} and set(y["rule"]) == {"none"}
    assert coll["collision_id"].nunique() == 3
    assert not ((coll["chrom"] == "chr2")).any()                                           # private sites
    left = set(zip(sites["sample"], sites["chrom"], sites["position"]))
    assert ("A", "chr1", 10_000) in left and ("B", "chr1", 10_002) not in left
    assert ("A", "chr1", 20_000) not in left and ("B", "chr1", 20_000) not in left
    assert ("B", "chr1", 30_000) in left and ("A", "chr1", 30_000) not in left
    assert ("A", "chr2", 40_000) in left and ("B", "chr2", 50_000) in left
    for _s, g in sites.groupby("sample"):
        assert abs(g["relative_abundance"].sum() - 1) < 1e-4


def test_flag_only_keeps_sites(run):
    sites, coll = run("--collisions", "flag")
    assert len(coll) == 6 and ("B", "chr1", 10_002) in set(zip(sites["sample"], sites["chrom"], sites["position"]))


def test_ratio_is_configurable(run):
    _sites, coll = run("--collision-ratio", "50")
    x = coll[coll["position"].isin([10_000, 10_002])]
    assert set(x["decision"]) == {"removed"}                                                # 30:1 < 50


def test_earliest_date_wins():
    sites = pd.DataFrame({"sample": ["A", "B"], "subject": ["P1", "P2"], "chrom": ["chr1", "chr1"],
                          "position": [100, 100], "strand": ["+", "+"], "abundance": [1.0, 50.0]})
    kept, coll = resolve_collisions(sites, dates={"A": "2020-01-01", "B": "2020-03-01"})
    assert list(kept["sample"]) == ["A"] and set(coll["rule"]) == {"date"}
    kept, coll = resolve_collisions(sites.assign(strand=["+", "-"]))
    assert len(kept) == 2 and coll.empty                                                   # other strand: no collision


def test_multihit_clusters_join_sets_sharing_a_locus():
    """Planted: sets {a,b} and {b,c} share b -> one cluster of 3 loci; {d,e} alone; lengths counted once."""
    from cgtsafe.integration.callsites import multihit_clusters

    rows = [("S", "chr1:10:+;chr2:10:+", 3, {100, 120}), ("S", "chr2:10:+;chr3:10:+", 2, {120, 150}),
            ("S", "chr4:5:-;chr5:5:-", 1, {80}), ("T", "chr1:10:+;chr2:10:+", 1, {90})]
    cl = multihit_clusters(rows)
    s = cl[cl["sample"] == "S"].reset_index(drop=True)
    assert list(s["n_loci"]) == [3, 2] and list(s["reads"]) == [5, 1] and list(s["fragments"]) == [3, 1]
    assert s.loc[0, "loci"] == "chr1:10:+;chr2:10:+;chr3:10:+" and list(s["read_sets"]) == [2, 1]
    assert len(cl[cl["sample"] == "T"]) == 1
