"""The compiled batch trimming (readbatch.BatchTrimmer, numba) against the per-pair reference
(callsites.process_pair, built on the string primitives of trim.py that test_integration_trim.py checks
against hand-made answers): same stage counts and the same host parts and UMI, pair by pair.

Reads: random pairs built from primer/LTR/linker/host pieces with planted substitutions, offsets, read-through,
vector pieces, N bases, low-quality tails and lower-case bases, under several layouts and two samples
with different linkers (one without UMI); and the real INSPIIRED validation reads when present.
Also the batched paired-FASTQ reader against demux.iter_pairs (same records, same one-line errors)."""

from __future__ import annotations

import gzip
import random

import dnaio
import pytest

from cgtsafe.errors import InputError
from cgtsafe.integration.peer_rules import vector_screen
from cgtsafe.integration.callsites import _Tally, process_pair
from cgtsafe.integration.demux import iter_pairs
from cgtsafe.integration.layout import Linker, Sample, layout_from_mapping
from cgtsafe.integration.readbatch import BatchTrimmer, iter_pair_batches
from cgtsafe.io.fasta import revcomp
from conftest import SHARED_DATA

PRIMER, LTR = "AGTGCCCCTTAGAGATCGGA", "GTCCAGAGTCCTCA"
LINKER = "TAGAGGTAGGGCACAGATGG" + "N" * 12 + "GTTCCTGGTGAGAACG"
LINKER_PLAIN = "GATCCTAGCATGACCATGCT"
VECTOR = "".join(random.Random(7).choice("ACGT") for _ in range(3000))


class _Rec:
    """The attributes of a dnaio record the batch code reads."""

    def __init__(self, seq, qual):
        self.sequence, self.qualities = seq, qual


def _mutate(rng, s, rate):
    return "".join((rng.choice("ACGTN".replace(c, "")) if rng.random() < rate else c) for c in s)


def _pair(rng, linker: Linker):
    host = "".join(rng.choice("ACGT") for _ in range(rng.randint(10, 200)))
    if rng.random() < 0.1:
        v0 = rng.randrange(0, 2800)
        host = VECTOR[v0:v0 + rng.randint(20, 150)]
    umi = "".join(rng.choice("ACGT") for _ in range(linker.umi_length + rng.choice((0, 0, 0, -1, 1, 3))))
    lk = linker.part1 + (umi + linker.part2 if linker.umi_length else "")
    pre2 = "".join(rng.choice("ACGT") for _ in range(rng.choice((0, 0, 1, 3, 7))))
    pre1 = "".join(rng.choice("ACGT") for _ in range(rng.choice((0, 0, 2, 6, 40))))
    r2 = pre2 + _mutate(rng, PRIMER, rng.choice((0, 0, 0.05, 0.1))) + _mutate(rng, LTR, rng.choice((0, 0, 0.08))) \
        + host + revcomp(lk)
    r1 = pre1 + _mutate(rng, lk, rng.choice((0, 0, 0.05, 0.1))) + revcomp(host) + revcomp(PRIMER + LTR)
    n = rng.choice((100, 150, 151, 250))
    r1, r2 = (_mutate(rng, x[:n], rng.choice((0, 0, 0.01, 0.03))) for x in (r1, r2))
    if rng.random() < 0.05:
        r1 = r1.lower()
    if rng.random() < 0.02:
        r2 = r2[:40] + "R" + r2[41:]  # IUPAC code: the reference path
    quals = []
    for r in (r1, r2):
        good = len(r) if rng.random() < 0.7 else rng.randint(0, len(r))
        quals.append("".join(rng.choice("FGHI") for _ in range(good)) +
                     "".join(rng.choice("#+5?F") for _ in range(len(r) - good)))
    return _Rec(r1, quals[0]), _Rec(r2, quals[1])


LAYOUTS = {
    "default": {},
    "tolerant": {"preset": "tolerant"},
    "offsets": {"preset": "tolerant", "quality_window": 2, "quality_bad_bases": 2, "linker_max_offset": 0, "primer_max_offset": 0, "ltr_max_offset": 2,
                "umi_length_tolerance": 0, "readthrough_min_overlap": 5, "vector_min_kmer_fraction": 0.0},
    "hamming_rules": {"readthrough_rule": "hamming", "vector_rule": "kmer"},
    "loose": {"primer_max_mismatches": 3, "ltr_max_mismatches": 2, "linker_max_mismatch_rate": 0.3,
              "readthrough_max_mismatch_rate": 0.3, "min_trimmed_read_length": 20, "min_genomic_length": 0,
              "quality_bad_bases": 1, "quality_window": 1, "ltr_readthrough": "ACGTTGCA", "vector_kmer": 12},
}


def _compare(layout, samples, screen, idx, recs1, recs2):
    ref_t, ref_kept = _Tally(len(samples)), []
    for i, a, b in zip(idx, recs1, recs2):
        t = process_pair(i, a.sequence.upper(), a.qualities, b.sequence.upper(), b.qualities, samples[i], layout,
                         screen, ref_t)
        if t is not None:
            ref_kept.append(t)
    got_t, got_kept = _Tally(len(samples)), []
    BatchTrimmer(layout, samples, screen).run(idx, recs1, recs2, got_t, got_kept)
    assert got_t.attr == ref_t.attr  # Counters: a missing key equals 0
    assert got_t.stages == ref_t.stages
    key = lambda t: (t.sample, t.r2, t.r1, t.umi)  # noqa: E731  (the batch puts reference-path pairs last)
    assert sorted(map(key, got_kept)) == sorted(map(key, ref_kept))
    return ref_t, ref_kept


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@pytest.mark.parametrize("seed", range(3))
def test_batch_equals_reference_on_random_pairs(name, seed, tmp_path):
    rng = random.Random(seed)
    layout = layout_from_mapping({"primer": PRIMER, "ltr_bit": LTR, "linker": LINKER, **LAYOUTS[name]})
    samples = [Sample("a", "", Linker.parse(LINKER)), Sample("b", "", Linker.parse(LINKER_PLAIN))]
    vec = tmp_path / "v.fa"
    vec.write_text(">v\n" + VECTOR[:1500] + "NNNN" + VECTOR[1500:] + "\n")
    screen = vector_screen(vec, layout)
    idx, recs1, recs2 = [], [], []
    for _ in range(1500):
        s = rng.randrange(2)
        a, b = _pair(rng, samples[s].linker)
        idx.append(s)
        recs1.append(a)
        recs2.append(b)
    for scr in (screen, None):
        ref_t, kept = _compare(layout, samples, scr, idx, recs1, recs2)
    stages = ref_t.attr[0]
    # the random reads reach every stage and fail at every stage (the comparison is not vacuous)
    assert stages["barcode"] > stages["qtrimmed"] > stages["primed"] > stages["ltr_verified"] >= \
        stages["linker_found"] > stages["quality_filtered"] > 0 or name == "loose"
    assert kept


def test_batch_equals_reference_on_real_reads():
    d = SHARED_DATA / "integration" / "intsitecaller_validation"
    files = [d / f"Undetermined_S0_L001_{r}_001.fastq.gz" for r in ("R1", "R2")]
    if not all(f.exists() for f in files):
        pytest.skip(f"real reference data absent: {d}")
    import csv

    info = list(csv.DictReader(open(d / "sampleInfo.tsv", encoding="utf-8"), delimiter="\t"))
    linkers = sorted({r["linkerSequence"] for r in info})
    for preset in ("intsitecaller", "tolerant"):
        layout = layout_from_mapping({"primer": info[0]["primer"], "ltr_bit": info[0]["ltrBit"], "linker": linkers[0],
                                      "ltr_readthrough": info[0]["largeLTRFrag"][:20], "preset": preset})
        samples = [Sample(f"s{i}", "", Linker.parse(lk)) for i, lk in enumerate(linkers)]
        screen = vector_screen(d / "p746vector.fasta", layout)
        recs1, recs2 = [], []
        with dnaio.open(files[0]) as f1, dnaio.open(files[1]) as f2:
            for a, b in zip(f1, f2):
                recs1.append(a)
                recs2.append(b)
        # every read pair tried with every linker of the run
        for s in range(len(samples)):
            ref_t, kept = _compare(layout, samples, screen, [s] * len(recs1), recs1, recs2)
            assert sum(c["quality_filtered"] for c in ref_t.attr) == len(kept)


def _fq(path, recs):
    with gzip.open(path, "wt") as fh:
        for name, seq in recs:
            fh.write(f"@{name}\n{seq}\n+\n{'F' * len(seq)}\n")
    return path


@pytest.mark.parametrize("size", [1, 2, 3, 1000])
def test_pair_batches_equal_iter_pairs(tmp_path, size):
    names = [f"r{i} 1:N:0" for i in range(7)]
    r1 = _fq(tmp_path / "R1.fq.gz", [(n, "ACGTACGT") for n in names])
    r2 = _fq(tmp_path / "R2.fq.gz", [(n.replace(" 1:", " 2:"), "TTTTACGT") for n in names])
    i1 = _fq(tmp_path / "I1.fq.gz", [(n.split()[0] + "/3", "GGGG") for n in names])
    ref = [(p1[0], p1[1], p2[0], pi[0]) for _name, p1, p2, pi in iter_pairs(r1, r2, i1)]
    got = [(a.sequence, a.qualities, b.sequence, c.sequence) for x, y, z in iter_pair_batches(r1, r2, i1, size)
           for a, b, c in zip(x, y, z)]
    assert got == ref and len(got) == 7


@pytest.mark.parametrize("size", [1, 2, 1000])
@pytest.mark.parametrize("case", ["name", "shorter_r2", "shorter_r1", "i1_name_first"])
def test_pair_batches_fail_as_iter_pairs(tmp_path, size, case):
    base = [(f"r{i}", "ACGT") for i in range(5)]
    r1, r2, i1 = list(base), list(base), list(base)
    if case == "name":
        r2[3] = ("x3", "ACGT")
    elif case == "shorter_r2":
        r2 = r2[:3]
    elif case == "shorter_r1":
        r1 = r1[:4]
    else:
        r2[4] = ("x4", "ACGT")
        i1[2] = ("y2", "ACGT")
    paths = [_fq(tmp_path / f"{n}.fq.gz", recs) for n, recs in (("R1", r1), ("R2", r2), ("I1", i1))]
    with pytest.raises(InputError) as ref:
        list(iter_pairs(*paths))
    with pytest.raises(InputError) as got:
        list(iter_pair_batches(*paths, size=size))
    assert str(got.value) == str(ref.value)
