"""VISPA2-style double-barcode demultiplexing (LTR barcode at the start of R2 + linker-cassette barcode at the start
of R1; sample = the pair) on simulated read pairs with planted barcodes. Truth = the sample each pair was made for
(or none); errors are planted at the tolerance boundary (k substitutions: assigned; k + 1: unassigned) and as N.

Interface reference: VISPA2's association file (TagID ``LTR51.LC26``: LTR barcode name . LC barcode name) and its
barcode lists (``name<TAB>sequence``); the LTR barcodes below are VISPA2's published ``barcode.LTR.48.list``
sequences, the LC barcodes are made up for the test."""

from __future__ import annotations

import gzip
import random
from collections import Counter

import pytest

from cgtsafe.errors import InputError
from cgtsafe.integration.callsites import call_sites
from cgtsafe.integration.demux import DUAL_REASONS, DualBarcodeAssigner
from cgtsafe.integration.layout import layout_from_mapping, read_samples
from conftest import SHARED_DATA

LTR = {"LTR51": "CCATCCTC", "LTR69": "GAACAGGC", "LTR89": "TATCAGCA", "LTR43": "CAATGGAA", "LTR37": "ATGCCTAA"}
LC = {"LC26": "GTCAGTCA", "LC66": "ACTGACGT", "LC10": "TTGCATGC"}
# the five TagIDs of VISPA2's AssayValidation association file
TAGS = ["LTR51.LC26", "LTR69.LC66", "LTR89.LC10", "LTR43.LC26", "LTR37.LC66"]
PRIMER, LTR_BIT = "GAAAATC", "TCTAGCA"
LINKER = "CGCAGACATCNNNNNNCTCCGCTTAAG"
LAYOUT = {"primer": PRIMER, "ltr_bit": LTR_BIT, "linker": LINKER, "preset": "tolerant"}


def _mutate(seq: str, n: int, rng, base_n: bool = False) -> str:
    pos = rng.sample(range(len(seq)), n)
    s = list(seq)
    for p in pos:
        s[p] = "N" if base_n else rng.choice([b for b in "ACGT" if b != s[p]])
    return "".join(s)


def _lists(tmp_path):
    (tmp_path / "ltr.list").write_text("".join(f"{k}\t{v}\n" for k, v in LTR.items()))
    (tmp_path / "lc.list").write_text("".join(f"{k}\t{v}\n" for k, v in LC.items()))
    return tmp_path / "ltr.list", tmp_path / "lc.list"


def _sheet(tmp_path, tags=TAGS):
    p = tmp_path / "samples.tsv"
    p.write_text("sample\tsubject\ttimepoint\tcell_type\ttag_id\n" + "".join(
        f"S{i}\tP{i}\tt1\tPBMC\t{t}\n" for i, t in enumerate(tags)))
    return p


def _simulate(tmp_path, samples, rng, n_per_kind=6):
    """R1/R2 FASTQs; returns the truth list (sample index or None) in file order and the planted reasons."""
    host = lambda: "".join(rng.choice("ACGT") for _ in range(90))  # noqa: E731
    truth, reasons, recs = [], Counter(), []
    for i, s in enumerate(samples):
        for kind in ("exact", "ltr_k", "lc_k", "both_k", "ltr_n", "ltr_k1", "lc_k1"):
            for _ in range(n_per_kind):
                a, b = s.ltr_barcode, s.lc_barcode
                if kind in ("ltr_k", "both_k"):
                    a = _mutate(a, 1, rng)
                if kind in ("lc_k", "both_k"):
                    b = _mutate(b, 1, rng)
                if kind == "ltr_n":
                    a = _mutate(a, 1, rng, base_n=True)
                if kind == "ltr_k1":
                    a = _mutate(a, 2, rng)
                if kind == "lc_k1":
                    b = _mutate(b, 2, rng)
                recs.append((a, b))
                ok = kind not in ("ltr_k1", "lc_k1")
                truth.append(i if ok else None)
    # a pair of two valid barcodes that no sample uses (LTR of S0 with LC of S1)
    for _ in range(n_per_kind):
        recs.append((samples[0].ltr_barcode, samples[1].lc_barcode))
        truth.append(None)
    order = list(range(len(recs)))
    rng.shuffle(order)
    recs, truth = [recs[k] for k in order], [truth[k] for k in order]
    r1, r2 = tmp_path / "R1.fastq.gz", tmp_path / "R2.fastq.gz"
    with gzip.open(r1, "wt") as f1, gzip.open(r2, "wt") as f2:
        for n, (a, b) in enumerate(recs):
            s2 = a + PRIMER + LTR_BIT + host()
            s1 = b + "CGCAGACATC" + "ACGTAC" + "CTCCGCTTAAG" + host()
            f2.write(f"@r{n}\n{s2}\n+\n{'I' * len(s2)}\n")
            f1.write(f"@r{n}\n{s1}\n+\n{'I' * len(s1)}\n")
    return r1, r2, recs, truth


def test_vispa2_tagids_resolve_and_demultiplex_to_truth(tmp_path):
    ltr_list, lc_list = _lists(tmp_path)
    layout = layout_from_mapping(LAYOUT)
    samples = read_samples(_sheet(tmp_path), layout, ltr_barcodes=ltr_list, lc_barcodes=lc_list)
    assert [(s.ltr_barcode, s.lc_barcode) for s in samples] == [(LTR[t.split(".")[0]], LC[t.split(".")[1]])
                                                                for t in TAGS]
    rng = random.Random(11)
    r1, r2, recs, truth = _simulate(tmp_path, samples, rng)
    assigner = DualBarcodeAssigner([(s.ltr_barcode, s.lc_barcode) for s in samples], 1, 1)
    got = [assigner.assign(a, b) for a, b in recs]
    assert got == [-1 if t is None else t for t in truth]
    tables = call_sites(samples, layout, genome=None, vector=None, r1=r1, r2=r2)
    att = tables["attrition"].set_index("sample")
    want = Counter(t for t in truth if t is not None)
    for i, s in enumerate(samples):
        assert att.loc[s.name, "barcode"] == want[i]
        # the barcodes were cut off: every assigned pair then shows the primer + LTR end and the linker
        assert att.loc[s.name, "ltr_verified"] == att.loc[s.name, "linker_found"] == want[i]
    n_un = sum(t is None for t in truth)
    assert att.loc["undetermined", "barcode"] == n_un and att.loc["undetermined", "reads"] == len(truth)
    und = tables["undetermined"]
    totals = dict(zip(und.loc[und["barcode"] == "*", "reason"], und.loc[und["barcode"] == "*", "reads"]))
    assert sum(totals.values()) == n_un
    assert totals[DUAL_REASONS[3]] == 6  # the valid LTR + LC combination no sample uses
    assert totals[DUAL_REASONS[1]] == totals[DUAL_REASONS[2]] == 6 * len(samples)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_tolerance_boundary(k):
    a, b = LTR["LTR51"], LC["LC26"]
    asg = DualBarcodeAssigner([(a, b), (LTR["LTR69"], LC["LC66"])], k, k)
    rng = random.Random(k)
    for n in range(0, 4):
        got = asg.assign(_mutate(a, n, rng) if n else a, b)
        assert got == (0 if n <= k else -1), (k, n)
        got = asg.assign(a, _mutate(b, n, rng) if n else b)
        assert got == (0 if n <= k else -1), (k, n)


def test_collision_within_tolerance_names_both_samples(tmp_path):
    # LTR barcodes 2 apart and LC barcodes 1 apart: with tolerance 1 a read can match both samples
    p = tmp_path / "s.tsv"
    p.write_text("sample\tsubject\ttimepoint\tcell_type\tltr_barcode\tlc_barcode\n"
                 "A\tP1\tt1\tPBMC\tCCATCCTC\tGTCAGTCA\nB\tP2\tt1\tPBMC\tCCATCGAC\tGTCAGTCC\n")
    with pytest.raises(InputError, match=r"line 3: samples A \(line 2\) and B collide: their LTR barcodes differ at 2 "
                                         r"and their LC barcodes at 1"):
        read_samples(p, layout_from_mapping(LAYOUT))
    # the same pair is fine with exact matching of the LC barcode (1 > 2 x 0)
    assert len(read_samples(p, layout_from_mapping({**LAYOUT, "lc_barcode_max_mismatches": 0}))) == 2


def test_shared_ltr_barcode_with_distinct_lc_is_allowed(tmp_path):
    """VISPA2 reuses one LTR barcode with several LC barcodes (LTR51.LC26, LTR51.LC66)."""
    ltr_list, lc_list = _lists(tmp_path)
    s = read_samples(_sheet(tmp_path, ["LTR51.LC26", "LTR51.LC66"]), layout_from_mapping(LAYOUT),
                     ltr_barcodes=ltr_list, lc_barcodes=lc_list)
    asg = DualBarcodeAssigner([(x.ltr_barcode, x.lc_barcode) for x in s], 1, 1)
    assert asg.assign(LTR["LTR51"], LC["LC66"]) == 1 and asg.assign(LTR["LTR51"], LC["LC26"]) == 0


@pytest.mark.parametrize("rows,msg", [
    ("A\tP\tt1\tPBMC\tLTR51.LC99\n", "LC barcode 'LC99' is neither a DNA sequence nor a name"),
    ("A\tP\tt1\tPBMC\tLTR51\n", "tag_id"),
])
def test_bad_tag_ids_are_one_line(tmp_path, rows, msg):
    ltr_list, lc_list = _lists(tmp_path)
    p = tmp_path / "s.tsv"
    p.write_text("sample\tsubject\ttimepoint\tcell_type\ttag_id\n" + rows)
    with pytest.raises(InputError, match=msg) as err:
        read_samples(p, layout_from_mapping(LAYOUT), ltr_barcodes=ltr_list, lc_barcodes=lc_list)
    assert "\n" not in str(err.value)


def test_mixed_i1_and_double_barcodes_rejected(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_text("sample\tsubject\ttimepoint\tcell_type\tbarcode\tltr_barcode\tlc_barcode\n"
                 "A\tP\tt1\tPBMC\tAATCCGTACAGC\t\t\nB\tP\tt1\tPBMC\t\tCCATCCTC\tGTCAGTCA\n")
    with pytest.raises(InputError, match="mixes I1 barcodes"):
        read_samples(p, layout_from_mapping(LAYOUT))


def test_vispa2_association_file_tagids(tmp_path):
    """The TagID column of VISPA2's AssayValidation association file is the sheet's tag_id."""
    af = SHARED_DATA / "integration" / "vispa2_expected" / "AssayValidation.tsv"
    if not af.exists():
        pytest.skip(f"../shared/data absent: {af}")
    tags = [line.split("\t")[0] for line in af.read_text().splitlines() if line.strip()]
    names = {t.split(".")[0] for t in tags}, {t.split(".")[1] for t in tags}
    rng = random.Random(3)
    ltr = {n: "".join(rng.choice("ACGT") for _ in range(8)) for n in sorted(names[0])}
    lc = {n: "".join(rng.choice("ACGT") for _ in range(8)) for n in sorted(names[1])}
    (tmp_path / "ltr.list").write_text("".join(f"{k}\t{v}\n" for k, v in ltr.items()))
    (tmp_path / "lc.list").write_text("".join(f"{k}\t{v}\n" for k, v in lc.items()))
    samples = read_samples(_sheet(tmp_path, tags), layout_from_mapping({**LAYOUT, "ltr_barcode_max_mismatches": 0,
                                                                         "lc_barcode_max_mismatches": 0}),
                           ltr_barcodes=tmp_path / "ltr.list", lc_barcodes=tmp_path / "lc.list")
    assert [(s.ltr_barcode, s.lc_barcode) for s in samples] == [(ltr[t.split(".")[0]], lc[t.split(".")[1]])
                                                                for t in tags]


def test_call_sites_cli_with_vispa2_lists(tmp_path):
    """`cgtsafe integration call-sites --ltr-barcodes --lc-barcodes` (no --i1): attrition and undetermined.tsv."""
    from pathlib import Path

    import pandas as pd

    from cgtsafe.cli import main

    genome = Path(__file__).resolve().parents[1] / "test-data" / "genome" / "ref.fa"
    if not genome.exists():
        pytest.skip("test-data absent")
    ltr_list, lc_list = _lists(tmp_path)
    sheet = _sheet(tmp_path)
    samples = read_samples(sheet, layout_from_mapping(LAYOUT), ltr_barcodes=ltr_list, lc_barcodes=lc_list)
    r1, r2, _recs, truth = _simulate(tmp_path, samples, random.Random(5), n_per_kind=2)
    out = tmp_path / "out"
    assert main(["integration", "call-sites", "--samples", str(sheet), "--layout", str(LAYOUT).replace("'", '"'),
                 "--r1", str(r1), "--r2", str(r2), "--ltr-barcodes", str(ltr_list), "--lc-barcodes", str(lc_list),
                 "--genome", str(genome), "--out-dir", str(out)]) == 0
    att = pd.read_csv(out / "attrition.tsv", sep="\t").set_index("sample")
    assert att.loc["undetermined", "barcode"] == sum(t is None for t in truth)
    assert att.drop(index="undetermined")["barcode"].sum() == sum(t is not None for t in truth)
    und = pd.read_csv(out / "undetermined.tsv", sep="\t")
    assert und.loc[und["barcode"] == "*", "reads"].sum() == sum(t is None for t in truth)
