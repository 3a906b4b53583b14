"""Off-target: orthologous sites in an animal genome (species differences, 004 九（三）).

Truth: the ``animal_mismatches`` column of test-data/offtarget/planted_sites.tsv (the generator
restored every planted site in the substitution-only animal genome and then changed OT1 (+1
mismatch) and OT2 (PAM destroyed) on purpose). A second, constructed truth: an animal genome whose
contigs are reverse-complemented and shifted, so every ortholog lies on the other strand at a
computable position.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from helpers import GENOME, GUIDES, TD, demo_sites, need_test_data, truth

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import read_fasta, revcomp, write_fasta
from cgtsafe.io.tables import write_table
from cgtsafe.offtarget.nuclease import get_nuclease
from cgtsafe.offtarget.species import evaluate_site, run_species

ANIMAL = TD / "genome" / "animal.fa.gz"
MM_ONLY = {"max_mismatches": 6, "max_dna_bulge": 0, "max_rna_bulge": 0}


@functools.lru_cache(maxsize=2)
def species_run(tmpdir: str, animal: str = str(ANIMAL)):
    sites = demo_sites(0, 0)
    p = Path(tmpdir) / "sites.tsv"
    write_table(sites, p)
    return run_species(sites_path=p, genome=GENOME, animal_genome=animal, label="Macaca fascicularis (synthetic)",
                       guides_path=GUIDES, nuclease=get_nuclease("SpCas9"), pam=None, limits=MM_ONLY, threads=2,
                       out=Path(tmpdir) / "species_mf.tsv", keep_sites=True)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    need_test_data()
    return species_run(str(tmp_path_factory.mktemp("species")))


def planted_mm_only():
    t = truth()
    return t[t["animal_mismatches"] != ""]


def test_animal_mismatches_equal_truth_for_every_planted_site(run):
    table = run["sites"].set_index("site_id")
    rows = planted_mm_only()
    assert len(rows) >= 20
    for r in rows.itertuples(index=False):
        got = table.loc[r.site_id]
        assert got["ortholog_status"] != "not_mapped", r.site_id
        assert int(got["animal_mismatches"]) == int(r.animal_mismatches), (r.site_id, r.category)
        # same coordinates in this substitution-only animal genome, unless the flanks lie in the segment
        # duplicated chr1 -> chr3 (then the paralog may win and the row must say it is ambiguous)
        same = (got["animal_chrom"], got["animal_start"], got["animal_end"], got["animal_strand"]) == \
            (r.chrom, r.start, r.end, r.strand)
        assert same or (r.category == "duplicated" and got["ortholog_ambiguous"] == 1), r.site_id
    dup = table.loc[rows.query("category == 'duplicated'")["site_id"]]
    assert (dup["ortholog_ambiguous"] == 1).all()


@pytest.mark.parametrize("label,conservation,same_or_fewer", [
    ("OT1", "weaker", 0),      # one extra mismatch in the animal
    ("OT2", "pam_lost", 0),    # PAM destroyed
    ("OT3", "conserved", 1),
    ("ON", "conserved", 1),
])
def test_conservation_classes(run, label, conservation, same_or_fewer):
    sid = truth().set_index("label").loc[label, "site_id"]
    row = run["sites"].set_index("site_id").loc[sid]
    assert row["conservation"] == conservation
    assert int(row["animal_same_or_fewer"]) == same_or_fewer


def test_on_target_conservation_per_guide(run):
    g = run["guides"].set_index("guide")
    for guide in ("DEMO_g1", "DEMO_g2"):
        assert g.loc[guide, "on_target_conserved"] == "perfect"
        assert int(g.loc[guide, "on_target_animal_mismatches"]) == 0
        assert g.loc[guide, "animal_perfect_sites"] >= 1


def test_animal_hit_matches_direct_evaluation(run):
    """Where the animal search found the ortholog, its mismatches equal the direct evaluation."""
    t = run["sites"]
    both = t[t["animal_hit_mismatches"].notna() & t["animal_mismatches"].notna() & (t["animal_mismatches"] >= 0)]
    assert len(both) >= 10
    assert (both["animal_hit_mismatches"] == both["animal_mismatches"]).all()


def test_reverse_complemented_animal_genome(tmp_path):
    """Orthologs on the other strand: coordinates mirror, strand flips, mismatches unchanged."""
    need_test_data()
    animal = read_fasta(ANIMAL)
    pad = b"ACGTTGCA" * 125  # 1 kb of extra sequence at the start shifts every coordinate
    flipped = {f"{k}_rc": pad + revcomp(v) for k, v in animal.items()}
    fa = tmp_path / "animal_rc.fa"
    write_fasta(fa, flipped)
    res = species_run(str(tmp_path), str(fa))["sites"].set_index("site_id")
    lengths = {k: len(v) for k, v in animal.items()}
    checked = 0
    for r in planted_mm_only().itertuples(index=False):
        got = res.loc[r.site_id]
        if got["ortholog_status"] == "not_mapped":
            continue
        n = lengths[r.chrom]
        if r.category == "duplicated":
            assert got["ortholog_ambiguous"] == 1
            continue
        assert got["animal_chrom"] == f"{r.chrom}_rc"
        assert (got["animal_start"], got["animal_end"]) == (len(pad) + n - r.end, len(pad) + n - r.start)
        assert got["animal_strand"] == ("-" if r.strand == "+" else "+")
        assert int(got["animal_mismatches"]) == int(r.animal_mismatches), r.site_id
        if int(r.animal_mismatches) >= 0:  # the animal search hit is found on the flipped strand too
            assert got["animal_hit_mismatches"] == int(r.animal_mismatches), r.site_id
        checked += 1
    assert checked >= len(planted_mm_only()) - 3


@pytest.mark.parametrize("site,mm,ok", [
    ("GGGAGCAGAGAGCAAGCTGAAGG", 0, True),
    ("GGGAGCAGAGAGCAAGCTGAAGC", 0, False),   # NGC is no SpCas9 PAM
    ("GGGAGCAGAGAGCAAGCTGATAG", 0, True),    # NAG alternative PAM
    ("cggagcagagagcaagctgaTGG", 1, True),    # case-insensitive
])
def test_evaluate_site(site, mm, ok):
    assert evaluate_site(site, "GGGAGCAGAGAGCAAGCTGA", get_nuclease("SpCas9")) == (mm, ok)


def test_missing_animal_genome_one_line(tmp_path):
    need_test_data()
    with pytest.raises(InputError) as e:
        run_species(sites_path=tmp_path / "x.tsv", genome=GENOME, animal_genome=tmp_path / "nope.fa", label="pig",
                    guides_path=GUIDES, nuclease=get_nuclease("SpCas9"), pam=None, limits=MM_ONLY,
                    out=tmp_path / "o.tsv")
    msg = str(e.value)
    assert "nope.fa" in msg and "not found" in msg and "\n" not in msg
    assert not (tmp_path / "o.tsv").exists()


def test_cli_missing_animal_genome_exit_2(tmp_path, capsys):
    need_test_data()
    from cgtsafe.cli import main

    rc = main(["offtarget", "species", "--sites", str(tmp_path / "s.tsv"), "--genome", str(GENOME),
               "--animal-genome", str(tmp_path / "nope.fa.gz"), "--label", "pig", "--guides", str(GUIDES),
               "--out", str(tmp_path / "o.tsv")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("cgtsafe: error:") and len(err.splitlines()) == 1


def test_species_tables_deterministic(run, tmp_path):
    write_table(run["sites"], tmp_path / "x.tsv")
    again = species_run.__wrapped__(str(tmp_path))
    write_table(again["sites"], tmp_path / "y.tsv")
    assert (tmp_path / "x.tsv").read_bytes() == (tmp_path / "y.tsv").read_bytes()


def test_on_target_pam_weakened_in_animal(tmp_path):
    """Constructed: the animal on-target of DEMO_g1 gets NAG instead of NGG (PAM position 2 G->A)."""
    need_test_data()
    on = truth().set_index("label").loc["ON"]
    assert on.strand == "+" and on.site[21:].upper() == "GG"
    animal = read_fasta(ANIMAL)
    seq = bytearray(animal[on.chrom])
    seq[on.start + 21] = ord("A")
    animal[on.chrom] = bytes(seq)
    fa = tmp_path / "animal_nag.fa"
    write_fasta(fa, animal)
    res = species_run(str(tmp_path), str(fa))
    row = res["sites"].set_index("site_id").loc[on.site_id]
    assert (row["animal_mismatches"], row["animal_pam_class"], row["conservation"]) == (0, "alternative", "weaker")
    assert row["animal_same_or_fewer"] == 1  # same mismatches, PAM still allowed (NAG)
    g = res["guides"].set_index("guide").loc["DEMO_g1"]
    assert g["on_target_conserved"] == "near_perfect"
    assert res["guides"].set_index("guide").loc["DEMO_g2", "on_target_conserved"] == "perfect"


def test_species_batches_write_the_same_bytes(run, tmp_path, monkeypatch):
    """The human sites are read and compared in batches: batches of 7 sites write the same three tables,
    byte for byte, as one batch, and the streamed species table equals the frame written whole; the guide
    table's counts equal those recounted from the species table."""
    import functools

    import cgtsafe.offtarget.species as sp

    (tmp_path / "one").mkdir()
    species_run.__wrapped__(str(tmp_path / "one"))
    one = tmp_path / "one"
    write_table(run["sites"], tmp_path / "frame.tsv")
    monkeypatch.setattr(sp, "iter_sites", functools.partial(sp.iter_sites, block_rows=7))
    (tmp_path / "seven").mkdir()
    species_run.__wrapped__(str(tmp_path / "seven"))
    for name in ("species_mf.tsv", "species_mf.guides.tsv", "species_mf.animal_hits.tsv"):
        assert (one / name).read_bytes() == (tmp_path / "seven" / name).read_bytes(), name
    assert (one / "species_mf.tsv").read_bytes() == (tmp_path / "frame.tsv").read_bytes()
    t, g = run["sites"], run["guides"].set_index("guide")
    for guide, row in g.iterrows():
        off = t[(t["guide"] == guide) & (t["category"] != "on_target")]
        assert row["human_off_target_sites"] == len(off)
        assert row["off_target_mapped"] == int((off["ortholog_status"] != "not_mapped").sum())
        assert row["off_target_same_or_fewer"] == int((off["animal_same_or_fewer"] == 1).sum())
        assert row["off_target_weaker_or_absent"] == int((off["animal_same_or_fewer"] == 0).sum())
