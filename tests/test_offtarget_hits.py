"""The search's columnar output: scores against the reference Python scorer, streamed files against pandas.

* every scored row's CFD / MIT equal :func:`cgtsafe.offtarget.scoring.cfd_score` / ``mit_score`` (the
  CRISPOR-checked implementation, tests/test_offtarget_scoring.py) of the 23-mer read here from the genome
  string: the row's own site, or for a bulged row the bulge-free 20 + 3 nt at the same PAM;
* a bulged row whose bulge-free reading is within the mismatch limit is never unscored (issue #18: a
  4-mismatch site with CFD 0.747 read as 2 mismatches + 1 RNA bulge lost its score and priority);
* the streamed TSV / TSV.gz equal ``cgtsafe.io.tables.write_table`` (pandas) on the same rows byte for byte,
  Parquet equals it as a table, and the BED names carry the bulge type with '.' for unscored.
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from helpers import guide_site_genome

from cgtsafe.cli import main
from cgtsafe.io.fasta import write_fasta
from cgtsafe.io.tables import write_table
from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.scoring import cfd_score, mit_score
from cgtsafe.offtarget.search import Guide, revcomp, search_genome

G1 = "GAGTCCGAGCAGAAGAAGAA"
G2 = "GGAATCCCTTCTGCAGCACC"


def _genome(seed=5):
    """Guide-like sites with substitutions, single-base insertions/deletions, NGG/NAG/NGA and an N in a PAM."""
    return guide_site_genome((G1, G2), seed=seed, sites=60, filler=(20, 150), indels=True,
                             pams=("AGG", "TGG", "CAG", "GGA", "TNG"))


def _bulge_free_23mer(genome, row, L=20, P=3):
    """The 20 nt + PAM at the row's PAM without bulges, 5'->3' on the hit strand, from the genome string."""
    seq = genome[row.chrom]
    if row.strand == "+":
        q = row.end - P
        return seq[q - L:q + P] if q - L >= 0 else None
    q = row.start  # PAM leftmost on + = start for '-' hits
    s = seq[q:q + P + L]
    return revcomp(s) if len(s) == L + P else None


@pytest.mark.parametrize("mm,d,r", [(4, 1, 1), (5, 0, 1), (3, 1, 0), (4, 0, 0)])
def test_scores_equal_reference_scorer_and_bulges_keep_scores(mm, d, r):
    genome = _genome()
    guides = [Guide("g1", G1), Guide("g2", G2)]
    spacer = {g.name: g.spacer for g in guides}
    df = search_genome(genome, guides, get_nuclease("SpCas9"), max_mismatches=mm, max_dna_bulge=d, max_rna_bulge=r)
    assert len(df) > 20
    bulged = (df.dna_bulge + df.rna_bulge) > 0
    kept = 0
    for row, b in zip(df.itertuples(), bulged):
        o = (row.site if not b else _bulge_free_23mer(genome, row) or "").upper()
        valid = len(o) == 23 and set(o) <= set("ACGT")
        n_mm = sum(a != c for a, c in zip(spacer[row.guide], o)) if valid else 99
        if not valid or (b and n_mm > mm):
            assert row.score_basis == "unscored" and np.isnan(row.cfd) and np.isnan(row.mit), row
            continue
        assert row.score_basis == ("bulge_free_alignment" if b else "alignment"), row
        assert row.cfd == cfd_score(spacer[row.guide], o)  # same float operations: exact
        ref_mit = mit_score(spacer[row.guide], o) * (1.0 if o[21:23] == "GG" else 0.2)
        assert row.mit == ref_mit
        kept += b
    if d or r:
        assert kept >= 1, "bulged rows that keep the bulge-free scores"


def test_streamed_files_equal_pandas_writer(tmp_path):
    genome = _genome(seed=9)
    fa = tmp_path / "g.fa"
    write_fasta(fa, genome)
    gt = tmp_path / "guides.tsv"
    gt.write_text("name\tspacer\ng1\t" + G1 + "\ng2\t" + G2 + "\n")
    df = search_genome(genome, [Guide("g1", G1), Guide("g2", G2)], get_nuclease("SpCas9"), max_mismatches=4,
                       max_dna_bulge=1, max_rna_bulge=1)
    ref = tmp_path / "ref.tsv"
    write_table(df, ref)
    ref_gz = tmp_path / "ref.tsv.gz"
    write_table(df, ref_gz)
    base = ["offtarget", "search", "--genome", str(fa), "--guides", str(gt), "--max-mismatches", "4",
            "--max-dna-bulge", "1", "--max-rna-bulge", "1", "--threads", "2"]
    for name, expected in (("hits.tsv", ref), ("hits.tsv.gz", ref_gz)):
        assert main([*base, "--out", str(tmp_path / name), "--bed", str(tmp_path / "hits.bed")]) == 0
        assert (tmp_path / name).read_bytes() == expected.read_bytes(), name
    assert gzip.decompress(ref_gz.read_bytes()) == ref.read_bytes()
    assert main([*base, "--out", str(tmp_path / "hits.parquet")]) == 0
    pq = pd.read_parquet(tmp_path / "hits.parquet")
    pd.testing.assert_frame_equal(pq, pd.read_csv(ref, sep="\t", keep_default_na=False,
                                                  na_values={"cfd": [""], "mit": [""]}).astype(pq.dtypes))
    bed = pd.read_csv(tmp_path / "hits.bed", sep="\t", header=None, dtype=str, keep_default_na=False)
    assert len(bed) == len(df)
    assert list(bed[3]) == [f"{g}|mm{m}|dna{d}|rna{r}" for g, m, d, r in
                            zip(df.guide, df.mismatches, df.dna_bulge, df.rna_bulge)]
    unscored = df.cfd.isna().to_numpy()
    assert unscored.any() and (bed[4][unscored] == ".").all()
    assert (bed[4][~unscored].astype(int) == np.floor(df.cfd[~unscored] * 1000 + 0.5).astype(int)).all()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir()), "spill files removed"
