"""End-to-end `cgtsafe integration` steps on a simulated subject with a known expanding clone.

Truth: 150 polyclonal background clones (lognormal sizes, all < 3 %, stable with noise) at three time points plus one clone
8 kb from LMO2 at 1 % -> 5 % -> 20 % of cells; each cell yields at most one sonicated fragment with a
gamma-distributed length. A fourth sample has no fragments at all.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cgtsafe.cli import main

GTF_GENES = [  # name, chrom, start (1-based), end, strand
    ("LMO2", "chr2", 100001, 122000, "-"), ("GENEA", "chr1", 20001, 40000, "+"), ("GENEB", "chr1", 150001, 170000, "-"),
    ("GENEC", "chr2", 200001, 230000, "+"), ("GENED", "chr3", 50001, 90000, "+"),
]
LMO2_CLONE = ("chr2", 130000, "+")


def _gtf(path):
    lines = []
    for name, chrom, s, e, strand in GTF_GENES:
        attrs = f'gene_id "{name}"; transcript_id "{name}.1"; gene_name "{name}";'
        lines.append(f"{chrom}\tt\ttranscript\t{s}\t{e}\t.\t{strand}\t.\t{attrs}")
        lines.append(f"{chrom}\tt\texon\t{s}\t{e}\t.\t{strand}\t.\t{attrs}")
    path.write_text("\n".join(lines) + "\n")


def _genome(path, rng):
    with open(path, "w") as fh:
        for c in ("chr1", "chr2", "chr3"):
            seq = "".join(rng.choice(list("ACGT"), 300_000))
            seq = seq[:1000] + "N" * 5000 + seq[6000:]
            fh.write(f">{c}\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")


def _fragments(rng):
    bg = [(f"chr{rng.integers(1, 4)}", int(rng.integers(7000, 290000)), "+-"[int(rng.integers(0, 2))])
          for _ in range(150)]
    base = {c: rng.lognormal(1.5, 0.7) for c in bg}  # stable background with per-time-point noise
    rows = []
    for sample, share in (("S1", 0.01), ("S2", 0.05), ("S3", 0.20)):
        sizes = {c: int(max(1, round(base[c] * rng.lognormal(0, 0.2)))) for c in bg}
        tot = sum(sizes.values())
        sizes[LMO2_CLONE] = int(round(share * tot / (1 - share)))
        for (chrom, pos, strand), k in sizes.items():
            for _ in range(rng.binomial(k, 0.7)):
                length = int(np.clip(rng.gamma(4, 60), 25, 1200))
                bp = pos + length - 1 if strand == "+" else pos - length + 1
                rows.append((sample, chrom, pos, strand, bp, "", 3))
    df = pd.DataFrame(rows, columns=["sample", "chrom", "position", "strand", "breakpoint", "umi", "reads"])
    return df.groupby(["sample", "chrom", "position", "strand", "breakpoint", "umi"], as_index=False)["reads"].sum()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("integration_inputs")
    rng = np.random.default_rng(2024)
    _gtf(d / "genes.gtf")
    _genome(d / "ref.fa", rng)
    _fragments(rng).to_csv(d / "fragments.tsv", sep="\t", index=False)
    pd.DataFrame({"sample": ["S1", "S2", "S3", "S4"], "subject": "PT01",
                  "timepoint": ["month01", "month06", "month12", "month12"],
                  "cell_type": ["PBMC", "PBMC", "PBMC", "CD34"], "timepoint_days": [30, 180, 360, 360]}
                 ).to_csv(d / "samples.tsv", sep="\t", index=False)
    return d


def _run_all(d, out):
    g = ["--genes", str(d / "genes.gtf")]
    assert main(["integration", "from-fragments", "--fragments", str(d / "fragments.tsv"), *g,
                 "--samples", str(d / "samples.tsv"), "--out", str(out)]) == 0
    assert main(["integration", "enrichment", "--sites", str(out / "sites.tsv"), "--genome", str(d / "ref.fa"), *g,
                 "--out", str(out / "enrichment.tsv"), "--controls-out", str(out / "random_controls.tsv")]) == 0
    assert main(["integration", "cis", "--sites", str(out / "sites.tsv"), "--genes", str(d / "genes.gtf"),
                 "--controls", str(out / "random_controls.tsv"), "--out-regions", str(out / "cis_regions.tsv"),
                 "--out-genes", str(out / "cis_genes.tsv"), "--out-background", str(out / "cis_background.tsv")]) == 0
    assert main(["integration", "longitudinal", "--sites", str(out / "sites.tsv"), "--samples",
                 str(d / "samples.tsv"), "--out", str(out)]) == 0
    assert main(["integration", "summarize", "--dir", str(out), "--fragments", str(d / "fragments.tsv"),
                 "--out", str(out / "summary.json")]) == 0


@pytest.fixture(scope="module")
def results(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("integration_out")
    _run_all(inputs, out)
    return out


def test_sites_table_contract(results):
    s = pd.read_csv(results / "sites.tsv", sep="\t", keep_default_na=False)
    assert list(s.columns[:10]) == ["sample", "chrom", "position", "strand", "fragments", "abundance",
                                    "relative_abundance", "nearest_gene", "tss_distance", "gene_of_concern"]
    lmo2 = s[(s["chrom"] == "chr2") & (s["position"] == 130000)]
    assert set(lmo2["sample"]) == {"S1", "S2", "S3"}
    assert (lmo2["gene_of_concern"] == "LMO2").all()
    assert (lmo2["tss_distance"] == -8000).all()  # LMO2 on -, TSS at 122000: 8 kb upstream
    assert s.groupby("sample")["relative_abundance"].sum().round(6).eq(1).all()


def test_expanding_lmo2_clone_found(results):
    e = pd.read_csv(results / "expansion.tsv", sep="\t", keep_default_na=False)
    hit = e[(e["clone_id"] == "chr2:130000:+") & (e["cell_type"] == "PBMC")].iloc[0]
    assert hit["expanding_near_goc"] == 1
    assert 0.005 < hit["first_share"] < 0.02 and 0.15 < hit["last_share"] < 0.26
    assert e.loc[e["expanding"] == 1, "clone_id"].tolist() == ["chr2:130000:+"]


def test_clonality_and_zero_sample(results):
    c = pd.read_csv(results / "clonality.tsv", sep="\t").set_index("sample")
    assert list(c.index) == ["S1", "S2", "S3", "S4"]
    assert (c.loc["S4"] == 0).all()
    assert c.loc["S3", "dominant_20pct"] == int(c.loc["S3", "top1"] >= 0.2)
    assert c.loc["S1", "top1"] < 0.1
    m = pd.read_csv(results / "isa_matrix.tsv", sep="\t")
    assert (m["S4"] == 0).all()


def test_summary(results):
    s = json.loads((results / "summary.json").read_text())
    assert s["analysis"] == "integration" and s["status"] == "computed"
    assert s["verdict_level"] == "attention"
    assert "clone near LMO2" in s["verdict_en"] and "month01" in s["verdict_en"] and "LMO2" in s["verdict_zh"]
    assert "R004-22" in s["requirements"]
    assert any("S4" in x["what"] for x in s["exclusions"])
    for t in s["tables"] + s["figures"]:
        assert (results / t["path"]).exists()
    assert s["methods_zh"] and "sonicLength" in s["methods_en"]


def test_byte_identical_rerun(inputs, results, tmp_path):
    _run_all(inputs, tmp_path)
    for name in ("sites.tsv", "clonality.tsv", "enrichment.tsv", "random_controls.tsv", "cis_regions.tsv",
                 "cis_genes.tsv", "expansion.tsv", "isa_matrix.tsv", "trajectories.tsv", "fig_trajectories.json"):
        assert (tmp_path / name).read_bytes() == (results / name).read_bytes(), name


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda df: df.assign(strand=df["strand"].where(df.index != 3, "x")), "line 5: column strand"),
        (lambda df: df.assign(sample=df["sample"].where(df.index != 0, "S9")), "S9 in the fragments are not in"),
        (lambda df: df.drop(columns=["breakpoint"]), "lacks column(s) breakpoint"),
    ],
)
def test_bad_input_one_line_and_nothing_written(inputs, tmp_path, capsys, mutate, message):
    df = pd.read_csv(inputs / "fragments.tsv", sep="\t", keep_default_na=False)
    bad = tmp_path / "bad.tsv"
    mutate(df).to_csv(bad, sep="\t", index=False)
    out = tmp_path / "out"
    rc = main(["integration", "from-fragments", "--fragments", str(bad), "--genes", str(inputs / "genes.gtf"),
               "--samples", str(inputs / "samples.tsv"), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1 and err.startswith("cgtsafe: error: ")
    assert not out.exists() or not any(out.iterdir())


def test_all_samples_empty(inputs, tmp_path):
    (tmp_path / "f.tsv").write_text("sample\tchrom\tposition\tstrand\tbreakpoint\n")
    out = tmp_path / "o"
    assert main(["integration", "from-fragments", "--fragments", str(tmp_path / "f.tsv"), "--genes",
                 str(inputs / "genes.gtf"), "--samples", str(inputs / "samples.tsv"), "--out", str(out)]) == 0
    c = pd.read_csv(out / "clonality.tsv", sep="\t")
    assert len(c) == 4 and (c.drop(columns="sample") == 0).all().all()
    assert main(["integration", "enrichment", "--sites", str(out / "sites.tsv"), "--genome", str(inputs / "ref.fa"),
                 "--genes", str(inputs / "genes.gtf"), "--out", str(out / "enrichment.tsv"),
                 "--controls-out", str(out / "random_controls.tsv")]) == 0
    assert main(["integration", "cis", "--sites", str(out / "sites.tsv"), "--genes", str(inputs / "genes.gtf"),
                 "--out-regions", str(out / "cis_regions.tsv"), "--out-genes", str(out / "cis_genes.tsv")]) == 0
    assert main(["integration", "longitudinal", "--sites", str(out / "sites.tsv"), "--samples",
                 str(inputs / "samples.tsv"), "--out", str(out)]) == 0
    assert main(["integration", "summarize", "--dir", str(out), "--out", str(out / "summary.json")]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["verdict_level"] == "inconclusive" and "No integration sites" in s["verdict_en"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--merge-distance", "-1"], "expected an integer >= 0"),
        (["--dominance", "0.05,2"], "expected fractions in (0, 1]"),
        (["--abundance", "cells"], "invalid choice"),
        (["--length-bin", "0"], "expected an integer >= 1"),
    ],
)
def test_bad_options_are_usage_errors(inputs, tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(["integration", "from-fragments", "--fragments", str(inputs / "fragments.tsv"), "--genes",
              str(inputs / "genes.gtf"), "--out", str(tmp_path / "o"), *argv])
    assert exc.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_bad_timepoint_days(inputs, results, tmp_path, capsys):
    sheet = pd.read_csv(inputs / "samples.tsv", sep="\t")
    sheet["timepoint_days"] = sheet["timepoint_days"].astype(str)
    sheet.loc[2, "timepoint_days"] = "one year"
    sheet.to_csv(tmp_path / "s.tsv", sep="\t", index=False)
    rc = main(["integration", "longitudinal", "--sites", str(results / "sites.tsv"), "--samples",
               str(tmp_path / "s.tsv"), "--out", str(tmp_path / "o")])
    assert rc == 2 and "timepoint_days: expected a number, got 'one year' (line 4)" in capsys.readouterr().err


def test_large_tss_distance_written_as_integer(tmp_path):
    # a site 2,345,678 bp from the only TSS must not be written as 2.34568e+06
    (tmp_path / "g.gtf").write_text('c1\tt\texon\t1\t1000\t.\t+\t.\tgene_id "A"; transcript_id "A.1"; gene_name "A";\n')
    (tmp_path / "f.tsv").write_text("sample\tchrom\tposition\tstrand\tbreakpoint\nS\tc1\t2345679\t+\t2345900\n"
                                    "S\tc2\t500\t+\t700\n")
    assert main(["integration", "from-fragments", "--fragments", str(tmp_path / "f.tsv"), "--genes",
                 str(tmp_path / "g.gtf"), "--abundance", "fragments", "--out", str(tmp_path / "o")]) == 0
    s = pd.read_csv(tmp_path / "o" / "sites.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert list(s["tss_distance"]) == ["2345678", ""]
