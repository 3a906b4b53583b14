"""Reads -> fragments on the synthetic LM-PCR run (test-data/integration, scripts/testdata/integration.py).

Truth comes from the simulator, not from this code: every clone's junction (1-based position,
strand), its number of simulated unique fragments per sample, and each read pair's class, from which
``truth_attrition.tsv`` states the expected count after each step.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cgtsafe.cli import main
from cgtsafe.integration.callsites import ATTRITION_COLUMNS

SAMPLES = ["PT01-M01", "PT01-M06", "PT01-M12"]


def _run(test_data, out, threads=1, extra=()):
    d = test_data / "integration"
    argv = ["integration", "call-sites", "--samples", str(d / "samples.tsv"), "--layout", str(d / "layout.yaml"),
            "--r1", str(d / "R1.fastq.gz"), "--r2", str(d / "R2.fastq.gz"), "--i1", str(d / "I1.fastq.gz"),
            "--genome", str(test_data / "genome" / "ref.fa"), "--vector", str(d / "vector.fa"),
            "--threads", str(threads), "--out-dir", str(out), *extra]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def result(test_data, tmp_path_factory):
    if not (test_data / "integration" / "R1.fastq.gz").exists():
        pytest.skip("test-data/integration absent: run scripts/make_test_data.py")
    out = _run(test_data, tmp_path_factory.mktemp("reads") / "out", threads=2)
    read = lambda name: pd.read_csv(out / name, sep="\t", keep_default_na=False)  # noqa: E731
    truth = pd.read_csv(test_data / "integration" / "truth_clones.tsv", sep="\t")
    tattr = pd.read_csv(test_data / "integration" / "truth_attrition.tsv", sep="\t").set_index("sample")
    return {"dir": out, "fragments": read("fragments.tsv"), "multihits": read("multihits.tsv"),
            "attrition": read("attrition.tsv").set_index("sample"), "truth": truth, "truth_attrition": tattr}


@pytest.mark.parametrize("sample", SAMPLES)
def test_every_simulated_clone_recovered_exactly(result, sample):
    """Each truth clone with >= 1 simulated fragment: exact position and strand, exact fragment count."""
    frag = result["fragments"]
    got = frag[frag["sample"] == sample].groupby(["chrom", "position", "strand"]).size()
    truth = result["truth"]
    expected = truth[truth[f"fragments_{sample}"] > 0]
    assert len(expected) > 200
    wrong = []
    for r in expected.to_dict("records"):
        n = int(got.get((r["chrom"], r["position"], r["strand"]), 0))
        if n != r[f"fragments_{sample}"]:
            wrong.append((r["clone_id"], r["chrom"], r["position"], r["strand"], n, r[f"fragments_{sample}"]))
    assert not wrong, f"clones with wrong fragment counts: {wrong[:5]}"


@pytest.mark.parametrize("sample", SAMPLES)
def test_no_fragment_outside_the_truth(result, sample):
    frag = result["fragments"]
    truth = result["truth"]
    sites = set(zip(truth["chrom"], truth["position"], truth["strand"]))
    calls = frag[frag["sample"] == sample]
    extra = [t for t in zip(calls["chrom"], calls["position"], calls["strand"]) if t not in sites]
    assert not extra


@pytest.mark.parametrize("sample", SAMPLES + ["undetermined"])
@pytest.mark.parametrize("column", ATTRITION_COLUMNS)
def test_attrition_equals_simulated_classes(result, sample, column):
    assert int(result["attrition"].loc[sample, column]) == int(result["truth_attrition"].loc[sample, column])


def test_lmo2_clone_expands(result):
    """The clone near LMO2 (simulated at 1 % -> 5 % -> 20 % of cells) keeps its junction in all samples."""
    truth = result["truth"].set_index("clone_id").loc["IS_LMO2"]
    frag = result["fragments"]
    hits = frag[(frag.chrom == truth.chrom) & (frag.position == truth.position) & (frag.strand == truth.strand)]
    share = [len(hits[hits["sample"] == s]) / len(frag[frag["sample"] == s]) for s in SAMPLES]
    assert share[0] < share[1] < share[2]
    assert truth.nearest_gene == "LMO2"


def test_multihits_kept_as_their_own_class(result):
    """Fragments from the duplicated chr1:500-520 kb -> chr3:250 kb segment: two loci, never in fragments."""
    mh = result["multihits"]
    assert set(mh["sample"]) == set(SAMPLES)
    for s in SAMPLES:
        assert mh[mh["sample"] == s]["reads"].sum() == result["truth_attrition"].loc[s, "n_multihit"]
    for loci in mh["loci"]:
        (c1, p1, s1), (c2, p2, s2) = (x.split(":") for x in loci.split(";"))
        assert (c1, c2) == ("chr1", "chr3") and int(p1) - int(p2) == 250_000 and s1 == s2
    frag = result["fragments"]
    assert not ((frag.chrom == "chr1") & frag.position.between(500_000, 520_000)).any()


def test_multihit_clusters_reported_apart(result):
    """Each planted multihit fragment sits at its own random position of the duplicated segment: one cluster of
    two loci per position, abundance = its distinct fragment lengths, reads summing to the planted reads."""
    cl = pd.read_csv(result["dir"] / "multihit_clusters.tsv", sep="\t")
    mh = result["multihits"]
    for s in SAMPLES:
        c, m = cl[cl["sample"] == s], mh[mh["sample"] == s]
        assert c["reads"].sum() == result["truth_attrition"].loc[s, "n_multihit"]
        assert len(c) == len(m) and (c["n_loci"] == 2).all()
        assert c["fragments"].sum() == m["fragments"].sum() and (c["fragments"] >= 1).all()


def test_fragment_geometry(result):
    """Breakpoints lie downstream of + junctions and upstream of - junctions; lengths as simulated (35-1500)."""
    f = result["fragments"]
    length = (f["breakpoint"] - f["position"]).abs() + 1
    assert ((f.strand == "+") == (f.breakpoint >= f.position)).all()
    assert length.between(35, 1500).all()
    assert (f["umi"].str.len() == 12).all()
    assert f["reads"].groupby(f["sample"]).sum().to_dict() == result["attrition"]["unique_aligned"].drop(
        "undetermined").to_dict()


def test_fragments_sorted_and_unique(result):
    f = result["fragments"]
    key = ["sample", "chrom", "position", "strand", "breakpoint", "umi"]
    assert not f.duplicated(key).any()
    order = {"chr1": 0, "chr2": 1, "chr3": 2, "chr4": 3}
    s = f.assign(_s=f["sample"].map({x: i for i, x in enumerate(SAMPLES)}), _c=f["chrom"].map(order))
    assert s.sort_values(["_s", "_c", "position", "strand", "breakpoint", "umi"]).index.tolist() == f.index.tolist()


def test_byte_identical_with_one_thread(result, test_data, tmp_path):
    """Determinism: the 2-thread run equals a 1-thread run byte for byte."""
    out = _run(test_data, tmp_path / "one", threads=1)
    for name in ("fragments.tsv", "multihits.tsv", "attrition.tsv", "read_stages.tsv"):
        assert (out / name).read_bytes() == (result["dir"] / name).read_bytes(), name


@pytest.fixture(scope="module")
def aligner_and_genome(test_data):
    from cgtsafe.integration.align import PairAligner
    from cgtsafe.io.fasta import read_fasta

    genome = {k: v.decode().upper() for k, v in read_fasta(test_data / "genome" / "ref.fa").items()}
    return PairAligner(test_data / "genome" / "ref.fa"), genome


def _sub(s: str, i: int) -> str:
    return s[:i] + ("A" if s[i] != "A" else "C") + s[i + 1:]


@pytest.mark.parametrize("strand", ["+", "-"])
@pytest.mark.parametrize("case", ["mid_substitution", "end_substitution_and_readthrough", "clean"])
def test_pair_placement_from_genome_coordinates(aligner_and_genome, strand, case):
    """Hand-made pairs at chr2:150,000 (1-based junction 150001): R2 41 nt (a substitution at base 20 leaves
    no 21-nt seed at all: only mate rescue places it), R1 100 nt with a substitution 3 bases before its end
    plus 2 bases of read-through (clipped by minimap2, counted as BLAT would)."""
    from cgtsafe.io.fasta import revcomp

    aligner, genome = aligner_and_genome
    j0, length = 150_000, 180
    if strand == "+":
        frag = genome["chr2"][j0:j0 + length]
        bp0 = j0 + length - 1
    else:
        frag = revcomp(genome["chr2"][j0 - length + 1:j0 + 1])
        bp0 = j0 - length + 1
    r2, r1 = frag[:41], revcomp(frag)[:100]
    if case == "mid_substitution":
        r2 = _sub(r2, 20)
        assert not list(aligner.aligner.map(r2))  # no seed: minimap2 alone cannot place it
    elif case == "end_substitution_and_readthrough":
        r1 = _sub(r1, 97) + "TG"
    _, cands = aligner.candidates(r2, r1)
    assert [(c.chrom, c.junction, c.strand, c.breakpoint) for c in cands][:1] == [("chr2", j0, strand, bp0)]
