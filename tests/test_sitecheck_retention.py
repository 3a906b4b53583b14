"""Amplicon reads kept at each step (read_retention.tsv and the sitecheck section of the report) against
CRISPResso2's own read accounting on its published test data (../shared/data/reads/crispresso2: FANC.Cas9 250
reads of which 235 aligned; CRISPRessoPooled on Both.Cas9: FANC 242 assigned / 235 aligned, HEK3 250 / 244), and
the low-retention flag on reads that cannot align."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from cgtsafe.cli import main
from cgtsafe.sitecheck.summarize import LOW_RETENTION, read_retention

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "reads" / "crispresso2"
GUIDES = {"FANC": "GGAATCCCTTCTGCAGCACC", "HEK3": "GGCCCAGACTGAGCACGTGA"}


def _need(*names):
    for n in names:
        if not (DATA / n).exists():
            pytest.skip(f"../shared/data/reads/crispresso2 absent: {n}")


def _crispresso(name: str) -> dict:
    df = pd.read_csv(DATA / name, sep="\t")
    return {r[df.columns[0]]: r for r in df.to_dict("records")}


def _setup(d: Path, rows: list[tuple[str, str, str, str]], amplicons=("FANC",)) -> None:
    """Sites, amplicons (CRISPResso2's amplicon file) and a sheet of (sample, role, amplicon, fastq)."""
    amps = dict(line.split("\t")[:2] for line in (DATA / "Cas9.amplicons.txt").read_text().splitlines() if line)
    sites = ["site_id\tguide\tchrom\tstart\tend\tstrand\tmismatches\tdna_bulge\trna_bulge\tcut_start\tcut_end"]
    table = ["amplicon\tsite_id\tchrom\tstart\tend\tsequence\tguide\tcut_offset"]
    for a in amplicons:
        seq, g = amps[a], amps[a].find(GUIDES[a])
        assert g > 0
        sites.append(f"{a}_site\tg1\t{a}\t{g}\t{g + 23}\t+\t0\t0\t0\t{g + 17}\t{g + 17}")
        table.append(f"{a}\t{a}_site\t{a}\t0\t{len(seq)}\t{seq}\tg1\t{g + 17}")
    (d / "sites.tsv").write_text("\n".join(sites) + "\n")
    (d / "amplicons.tsv").write_text("\n".join(table) + "\n")
    sheet = ["sample\trole\tamplicon\tfastq\tfastq2\tcontrol"]
    sheet += [f"{s}\t{role}\t{a}\t{fq}\t\t{'' if role == 'control' else 'CTL'}" for s, role, a, fq in rows]
    (d / "sheet.tsv").write_text("\n".join(sheet) + "\n")


def _quantify(d: Path, sample: str) -> Path:
    out = d / f"{sample}.tsv"
    assert main(["sitecheck", "quantify-amplicon", "--sheet", str(d / "sheet.tsv"), "--sample", sample,
                 "--amplicons", str(d / "amplicons.tsv"), "--sites", str(d / "sites.tsv"), "--window", "1",
                 "--out", str(out)]) == 0
    return out


def test_single_amplicon_retention_matches_crispresso(tmp_path):
    _need("FANC.Cas9.fastq", "Cas9.amplicons.txt")
    _setup(tmp_path, [("ED", "edited", "FANC", DATA / "FANC.Cas9.fastq"), ("CTL", "control", "FANC",
                                                                          DATA / "FANC.Untreated.fastq")])
    r = read_retention([str(_quantify(tmp_path, "ED"))]).iloc[0]
    exp = _crispresso("expectedResults_CRISPResso_on_FANC.Cas9_CRISPResso_quantification_of_editing_frequency.txt")
    exp = exp["Reference"]
    assert r["input_reads"] == exp["Reads_in_input"] == 250
    assert abs(r["aligned_share"] * 250 - exp["Reads_aligned"]) <= 3  # 235 of 250 (94 %)
    assert r["merged_share"] == 1 and r["assigned_share"] == 1 and r["flag"] == "ok"


def test_pooled_retention_matches_crispresso_pooled(tmp_path):
    _need("Both.Cas9.fastq", "Cas9.amplicons.txt")
    both = DATA / "Both.Cas9.fastq"
    _setup(tmp_path, [("ED", "edited", "FANC", both), ("ED", "edited", "HEK3", both),
                      ("CTL", "control", "FANC", both), ("CTL", "control", "HEK3", both)], amplicons=("FANC", "HEK3"))
    ret = read_retention([str(_quantify(tmp_path, "ED"))]).set_index("amplicon")
    exp = _crispresso("expectedResults_CRISPRessoPooled_on_Both.Cas9_SAMPLES_QUANTIFICATION_SUMMARY.txt")
    for a in ("FANC", "HEK3"):
        r = ret.loc[a]
        assert r["input_reads"] == 500
        assigned = r["assigned_share"] * 500  # merged = input for single-end reads
        # CRISPRessoPooled assigns by a bowtie2 mapping (Reads_total: FANC 242, HEK3 250) and then aligns (235,
        # 244); cgtsafe assigns a read to the amplicon it aligns to best, so its assigned reads are aligned ones
        assert exp[a]["Reads_aligned"] - 3 <= assigned <= exp[a]["Reads_total"], (a, assigned)
        assert abs(r["aligned_share"] * assigned - exp[a]["Reads_aligned"]) <= 3, a
        assert r["flag"] == "ok"  # a pool's reads of the other amplicon are not a loss
    assert ret["assigned_share"].sum() * 500 <= 500


def test_low_retention_is_flagged_in_the_report_section(tmp_path):
    """FANC.Cas9 plus 250 random 150-bp reads: about half the input aligns -> low_alignment, a key figure, a
    bilingual verdict sentence naming the sample, and the table in the summary."""
    _need("FANC.Cas9.fastq", "Cas9.amplicons.txt")
    rnd = random.Random(4)
    text = (DATA / "FANC.Cas9.fastq").read_text()
    for i in range(250):
        seq = "".join(rnd.choice("ACGT") for _ in range(150))
        text += f"@junk{i}\n{seq}\n+\n{'I' * 150}\n"
    fq = tmp_path / "mixed.fastq"
    fq.write_text(text)
    _setup(tmp_path, [("ED", "edited", "FANC", fq), ("CTL", "control", "FANC", DATA / "FANC.Untreated.fastq")])
    counts = [str(_quantify(tmp_path, s)) for s in ("ED", "CTL")]
    common = ["--sites", str(tmp_path / "sites.tsv"), "--window", "1"]
    assert main(["sitecheck", "compare", *common, "--amplicon-sheet", str(tmp_path / "sheet.tsv"), "--counts", *counts,
                 "--threshold", "0.001", "--out", str(tmp_path / "v.tsv")]) == 0
    assert main(["sitecheck", "summarize", "--verdicts", str(tmp_path / "v.tsv"), "--counts", *counts,
                 "--threshold", "0.001", "--justification", "because", "--window", "1",
                 "--out", str(tmp_path / "summary.json")]) == 0
    ret = pd.read_csv(tmp_path / "read_retention.tsv", sep="\t").set_index("sample")
    assert ret.loc["ED", "flag"] == "low_alignment" and ret.loc["CTL", "flag"] == "ok"
    assert ret.loc["ED", "aligned_share"] < LOW_RETENTION and abs(ret.loc["ED", "aligned_share"] - 235 / 500) < 0.01
    s = json.loads((tmp_path / "summary.json").read_text())
    assert "Low read retention in 1 amplicon sample(s): ED/FANC (low_alignment)" in s["verdict_en"]
    assert "读段保留率低" in s["verdict_zh"] and s["verdict_level"] != "pass"
    kf = {k["label_en"]: k["value"] for k in s["key_figures"]}
    assert kf["Amplicon sample-sites with a step keeping < 80 % of its reads (merging, alignment, window)"] == "1 / 2"
    assert any(t["id"] == "sitecheck_read_retention" and t["path"] == "read_retention.tsv" for t in s["tables"])
