"""3' adapter trimming of amplicon reads (cgtsafe.sitecheck.reads, cutadapt's library): simulated reads with
planted TruSeq / Nextera adapters and known insert lengths (truth = insert length), single-end and paired."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import revcomp
from cgtsafe.sitecheck.amplicon import quantify_sample
from cgtsafe.sitecheck.reads import ADAPTER_PRESETS, AdapterTrimmer, adapter_pair, merge_pair, read_items
from cgtsafe.sitecheck.sheets import read_amplicons  # noqa: F401  (the table format the sample uses)

READ_LEN = 150


def _mutate(rng, s: str, rate: float) -> str:
    b = np.frombuffer(s.encode(), dtype=np.uint8).copy()
    hit = rng.random(len(b)) < rate
    b[hit] = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, hit.sum())]
    return b.tobytes().decode()


def simulate(rng, n: int, preset: str, lengths=(40, 260), err: float = 0.005, template: str | None = None):
    """Pairs ``(insert, r1, r2)``: insert = a random sequence (or a slice of ``template``) of a length drawn
    from ``lengths``; each read = its end of the insert + that read's adapter + random bases, cut to 150."""
    a1, a2 = ADAPTER_PRESETS[preset]
    out = []
    for _ in range(n):
        if template is None:
            ln = int(rng.integers(*lengths))
            ins = "".join("ACGT"[i] for i in rng.integers(0, 4, ln))
        else:
            ins = template
        tail = "".join("ACGT"[i] for i in rng.integers(0, 4, READ_LEN))
        r1 = _mutate(rng, (ins + a1 + tail)[:READ_LEN], err)
        r2 = _mutate(rng, (revcomp(ins) + a2 + tail)[:READ_LEN], err)
        out.append((ins, r1, r2))
    return out


def _write(path, names_seqs):
    with gzip.open(path, "wt") as fh:
        for name, s in names_seqs:
            fh.write(f"@{name}\n{s}\n+\n{'I' * len(s)}\n")


@pytest.mark.parametrize("preset", ["truseq", "nextera"])
def test_single_end_cut_at_insert_length(preset):
    rng = np.random.default_rng(7)
    reads = simulate(rng, 2000, preset)
    t = AdapterTrimmer(preset)
    exact = within = 0
    for ins, r1, _ in reads:
        s, q = t.single(r1.encode(), b"I" * len(r1))
        truth = min(len(ins), READ_LEN)
        exact += len(s) == truth
        within += truth - 3 <= len(s) <= truth  # chance: the insert's last bases equal the adapter's first
    assert exact / len(reads) >= 0.97 and within / len(reads) >= 0.99
    with_adapter = sum(len(ins) < READ_LEN - 2 for ins, _, _ in reads)
    assert t.trimmed >= 0.99 * with_adapter


@pytest.mark.parametrize("preset", ["truseq", "nextera"])
def test_pairs_with_read_through_merge_to_the_insert(tmp_path, preset):
    rng = np.random.default_rng(11)
    reads = simulate(rng, 1000, preset)
    _write(tmp_path / "r1.fq.gz", [(f"p{i}/1", r1) for i, (_, r1, _) in enumerate(reads)])
    _write(tmp_path / "r2.fq.gz", [(f"p{i}/2", r2) for i, (_, _, r2) in enumerate(reads)])
    st: dict = {}
    items = list(read_items(tmp_path / "r1.fq.gz", tmp_path / "r2.fq.gz", adapters=preset, stats=st))
    ok = sum(1 for (ins, _, _), it in zip(reads, items) if it is not None and len(it[0]) == len(ins))
    # inserts of >= 10 bp that the mates cover whole (<= 150 bp) or overlap (< 290 bp) are all recoverable
    assert ok / len(reads) >= 0.97
    assert st["adapter_trimmed"] >= 0.98 * sum(len(ins) < READ_LEN - 2 for ins, _, _ in reads)


def test_wrong_preset_loses_short_inserts_the_right_one_keeps():
    """Nextera reads trimmed as TruSeq: single-end reads keep the adapter (the count that documents why the
    adapters key exists)."""
    rng = np.random.default_rng(3)
    reads = simulate(rng, 500, "nextera", lengths=(60, 120))
    wrong, right = AdapterTrimmer("truseq"), AdapterTrimmer("nextera")
    for ins, r1, _ in reads:
        wrong.single(r1.encode(), b"I" * READ_LEN)
        right.single(r1.encode(), b"I" * READ_LEN)
    assert right.trimmed == len(reads) and wrong.trimmed < 0.1 * len(reads)


def test_amplicon_counts_keep_short_amplicon_reads(tmp_path):
    """A 100-bp amplicon read by 150-bp single-end reads: every read carries the Nextera adapter; with the
    right preset all reads are counted and the step column reports the trimmed share."""
    rng = np.random.default_rng(5)
    amp = "".join("ACGT"[i] for i in rng.integers(0, 4, 100))
    reads = simulate(rng, 300, "nextera", template=amp, err=0.0)
    fq = tmp_path / "a.fq.gz"
    _write(fq, [(f"r{i}", r1) for i, (_, r1, _) in enumerate(reads)])
    from cgtsafe.sitecheck.sites import Site

    site = Site("S1", "c1", 1030, 1053, "+", 1050, 1050)
    amps = {"A": {"amplicon": "A", "site_id": "S1", "chrom": "c1", "start": 1000, "end": 1100, "sequence": amp,
                  "guide": "g", "cut_offset": 50, "expected": "", "scaffold": ""}}
    rows = [{"sample": "E", "role": "edited", "amplicon": "A", "fastq": str(fq), "fastq2": "", "control": "C"}]
    res = quantify_sample(rows, amps, {"S1": site}, sample="E", flank=5, min_baseq=20, min_identity=0.6,
                          min_overlap=10, adapters="nextera")[0]
    assert res["adapter_trimmed_reads"] == 300 and res["reads"] == 300 and res["unmodified"] == 300


def test_adapter_spec_errors():
    assert adapter_pair(None) == ADAPTER_PRESETS["truseq"]
    assert adapter_pair("NEXTERA") == ADAPTER_PRESETS["nextera"]
    assert adapter_pair(["acgtacgt", "TTTTTTTT"]) == ("ACGTACGT", "TTTTTTTT")
    for bad in ("ACGX", ["ACGTACGT"], "ACG"):
        with pytest.raises(InputError):
            adapter_pair(bad)


def test_merge_pair_full_insert_when_one_mate_was_cut():
    rng = np.random.default_rng(1)
    ins = "".join("ACGT"[i] for i in rng.integers(0, 4, 90))
    r1 = ins  # cut at its adapter
    r2 = (revcomp(ins) + "GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG")[:150]  # R2's adapter missed
    m = merge_pair(r1.encode(), b"I" * len(r1), r2.encode(), b"I" * len(r2))
    assert m is not None and m[0].decode() == ins
