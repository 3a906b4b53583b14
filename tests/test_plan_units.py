"""The glue layer (src/cgtsafe/plan/) on plain dict configs, without Snakemake: each rule's paths and
arguments follow from the config, user strings are one shell word each, bad entries are one-line errors
naming the key."""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from cgtsafe.config import validate_config
from cgtsafe.errors import InputError
from cgtsafe.plan import Plan, cgtsafe_command
from cgtsafe.plan.common import mem_mb, not_applicable_args, runtime

REPO = Path(__file__).resolve().parents[1]
EVIL = "e$(touch X) y.cram"


@pytest.fixture
def demo(monkeypatch):
    """The demo config (paths relative to the checkout), defaults filled by the schemas."""
    if not (REPO / "test-data" / "genome" / "ref.fa").exists():
        pytest.skip("test-data absent")
    monkeypatch.chdir(REPO)
    raw = yaml.safe_load((REPO / "test-data" / "demo" / "config.yaml").read_text())
    return validate_config(raw, schema_dir=REPO / "workflow" / "schemas")


def plan(config, root="results") -> Plan:
    """A plan with every part built (each checks its inputs when first used)."""
    p = Plan(copy.deepcopy(config), config_file="cfg.yaml", root=root)
    for part in ("offtarget", "sitecheck", "genomewide", "integration", "tcr", "antigen", "vector"):
        getattr(p, part)
    return p


def test_parts_are_checked_only_when_used(demo):
    demo["tcr"]["peptides"] = demo["tcr"]["peptides"] * 2
    p = Plan(copy.deepcopy(demo), config_file="cfg.yaml", root="results")
    assert p.offtarget is not None  # a workflow with only the off-target rules is not stopped by the TCR entry
    with pytest.raises(InputError, match="duplicate target names"):
        p.tcr


def words(s: str) -> list[str]:
    return shlex.split(s)


def test_output_root_comes_from_the_plan(demo):
    p = plan(demo, root="out dir/")
    assert p.report.html == "out dir/report/evidence_report.html"
    assert p.report.summaries == [f"out dir/{a}/summary.json" for a in ("offtarget", "sitecheck", "integration", "tcr",
                                                                         "antigen", "vector", "nomination", "cnv")]
    assert p.offtarget.chunk_files()[0] == "out dir/offtarget/chunks/hits.1.tsv"
    assert all(c.startswith("out dir/sitecheck/counts/") for c in p.sitecheck.counts())
    assert p.integration.fragments == "out dir/integration/fragments.tsv"
    assert p.layout.benchmark("x") == "out dir/benchmarks/x.tsv"


def test_interpreter_path_with_space_is_one_word():
    assert words(cgtsafe_command(python="/opt/my env/bin/python")) == ["/opt/my env/bin/python", "-m", "cgtsafe"]
    assert cgtsafe_command(conda=True) == "python -m cgtsafe"


def test_offtarget_chunks_options_and_labels(demo):
    demo["offtarget"].update(chunks=3, pam="NGG", alternative_pams=False, max_bulge_mismatches=None)
    demo["offtarget"]["species"] = [{"label": "Macaca (cyno); rm -rf", "genome": "test-data/genome/animal.fa.gz"}]
    ot = plan(demo).offtarget
    assert ot.chunk_files() == [f"results/offtarget/chunks/hits.{i}.tsv" for i in (1, 2, 3)]
    w = words(ot.search_opts)
    assert w[w.index("--pam") + 1] == "NGG" and "--no-alternative-pams" in w
    assert ot.bulge == "" and "--max-bulges" not in w and "--end-bulges" not in w
    demo["offtarget"].update(max_bulges=1, end_bulges=True)
    w = words(plan(demo).offtarget.search_opts)
    assert w[w.index("--max-bulges") + 1] == "1" and "--end-bulges" in w
    (slug,) = ot.species
    assert words(ot.species_label(SimpleNamespace(species=slug))) == ["Macaca (cyno); rm -rf"]
    assert words(ot.species_labels()) == ["Macaca (cyno); rm -rf"]
    assert ot.species_files() == [f"results/offtarget/species_{slug}.tsv"]


def test_switched_off_analyses_have_no_part_and_a_reason(demo):
    for section in ("offtarget", "sitecheck", "tcr", "integration"):
        demo[section]["enabled"] = False
    demo["tcr"]["not_applicable_reason"] = "no TCR in this product; it's a vector"
    p = plan(demo)
    assert p.offtarget is None and p.sitecheck is None and p.tcr is None
    assert not p.integration.enabled and not p.integration.call_sites
    assert not p.genomewide.genomewide and not p.genomewide.structural
    w = words(not_applicable_args(demo, "tcr"))
    assert w[:2] == ["--analysis", "tcr"]
    assert w[w.index("--reason-en") + 1] == "no TCR in this product; it's a vector"
    # without a zh reason the sponsor's own text is used, never the generic one
    assert w[w.index("--reason-zh") + 1] == "no TCR in this product; it's a vector"
    w = words(not_applicable_args(demo, "offtarget"))
    assert "offtarget.enabled: false" in w[w.index("--reason-en") + 1]


def _wgs_sheet(tmp_path: Path, file_name: str) -> Path:
    for role in ("edited", "control"):
        src = REPO / "test-data" / "sequencing" / f"wgs_{role}.cram"
        dst = tmp_path / f"{role}_{file_name}"
        dst.symlink_to(src)
        (tmp_path / f"{dst.name}.crai").symlink_to(Path(f"{src}.crai"))
    sheet = tmp_path / "wgs sheet.tsv"
    sheet.write_text("sample\trole\tfile\tcontrol\n"
                     f"E1\tedited\t{tmp_path}/edited_{file_name}\tC1\n"
                     f"C1\tcontrol\t{tmp_path}/control_{file_name}\t\n")
    return sheet


def test_sitecheck_paths_with_shell_characters_stay_one_word(demo, tmp_path):
    demo["sitecheck"]["wgs_samples"] = str(_wgs_sheet(tmp_path, EVIL))
    demo["sitecheck"]["amplicon_samples"] = ""
    demo["sitecheck"]["nominated"] = [f"GUIDE-seq={tmp_path}/nom {EVIL}.tsv"]
    Path(f"{tmp_path}/nom {EVIL}.tsv").write_text("")
    p = plan(demo)
    sc, gw = p.sitecheck, p.genomewide
    assert sc.counts() == ["results/sitecheck/counts/wgs/C1.tsv", "results/sitecheck/counts/wgs/E1.tsv"]
    w = words(sc.input_files())
    assert f"{tmp_path}/edited_{EVIL}" in w and f"{tmp_path}/control_{EVIL}" in w
    assert words(sc.sheet_args()) == ["--wgs-sheet", str(tmp_path / "wgs sheet.tsv")]
    # the configured file stays one word (the demo's own nomination output follows it)
    assert words(sc.common_args())[-2:] == [f"GUIDE-seq={tmp_path}/nom {EVIL}.tsv",
                                            "GUIDE-seq=results/nomination/nominated.tsv"]
    assert gw.edited == ["E1"]
    assert gw.pair_files(SimpleNamespace(sample="E1")) == {"edited": f"{tmp_path}/edited_{EVIL}",
                                                           "control": f"{tmp_path}/control_{EVIL}"}
    assert words(gw.control_name(SimpleNamespace(sample="E1"))) == ["C1"]


def test_genomewide_fragments_follow_the_switches(demo):
    p = plan(demo)
    assert p.sitecheck.fragments == ["results/sitecheck/genomewide_summary.json",
                                     "results/sitecheck/structural_summary.json"]
    demo["sitecheck"]["structural"]["enabled"] = False
    assert plan(demo).sitecheck.fragments == ["results/sitecheck/genomewide_summary.json"]
    demo["sitecheck"]["genomewide"]["enabled"] = False
    assert plan(demo).sitecheck.fragments == []
    # amplicon only: no WGS pair, so no genome-wide step whatever its switch says
    demo["sitecheck"]["genomewide"]["enabled"] = True
    demo["sitecheck"]["wgs_samples"] = ""
    p = plan(demo)
    assert not p.genomewide.genomewide and p.sitecheck.fragments == []
    assert all("/amplicon/" in c for c in p.sitecheck.counts())


def test_integration_external_fragments_skip_the_read_processing(demo, tmp_path):
    frag = tmp_path / "frag ments.tsv"
    frag.write_text("")
    demo["integration"]["fragments"] = str(frag)
    it = plan(demo).integration
    assert it.enabled and not it.call_sites
    assert it.fragments == str(frag) and it.read_tables == {}
    inp = SimpleNamespace(keys=lambda: ["fragments"])
    assert it.read_table_args(None, inp) == ""


def test_integration_read_processing_arguments(demo):
    it = plan(demo).integration
    assert it.call_sites and set(it.read_tables) == {"attrition", "multihits"}
    w = words(it.read_args())
    assert set(w[::2]) <= {"--r1", "--r2", "--i1", "--vector"}
    assert all(Path(f).exists() for f in w[1::2])
    import json

    assert json.loads(words(it.layout_arg())[0]) == demo["integration"]["reads"]["layout"]
    w = words(it.summary_args())
    assert w[w.index("--dominance") + 1] == ",".join(str(t) for t in demo["integration"]["dominance_thresholds"])
    assert w[w.index("--goc-windows") + 1] == ",".join(str(t) for t in demo["reference"]["genes_of_concern_windows"])


def test_tcr_per_peptide_options_fall_back_to_the_section(demo):
    pep = dict(demo["tcr"]["peptides"][0])
    demo["tcr"]["peptides"] = [pep, {"name": "P2", "sequence": "SLLMWITQC", "hla": "HLA-A*02:01",
                                      "contact_positions": [4, 5]}]
    t = plan(demo).tcr
    assert t.targets == [pep["name"], "P2"]
    assert t.scan_stats() == [f"results/tcr/{pep['name']}/scan.json", "results/tcr/P2/scan.json"]
    inputs = t.scan_inputs(SimpleNamespace(target="P2"))
    ns = SimpleNamespace(**inputs, keys=lambda: list(inputs))
    w = words(t.scan_args(SimpleNamespace(target="P2"), ns))
    assert w[w.index("--hla") + 1] == "HLA-A*02:01"
    assert w[w.index("--contact-positions") + 1] == "4,5"
    assert ("--xscan" in w) == bool(demo["tcr"].get("xscan"))


def test_reference_must_be_fasta(demo, tmp_path):
    bad = tmp_path / "genome.fa"
    bad.write_text("ACGT\n")
    demo["reference"]["genome"] = str(bad)
    with pytest.raises(InputError, match="key 'reference.genome': .* is not a FASTA file"):
        plan(demo)


def test_provenance_inputs_include_sheet_files(demo):
    inputs = plan(demo).report.provenance_inputs()
    assert "cfg.yaml" in inputs
    assert demo["sitecheck"]["wgs_samples"] in inputs
    assert "test-data/sequencing/wgs_edited.cram" in inputs  # named inside the sample sheet


def test_resources_scale_with_input_and_attempt():
    inp = SimpleNamespace(size_mb=2048)
    assert mem_mb(1000, 500)(None, inp) == 2000
    assert mem_mb(1000, 500)(None, inp, attempt=2) == 4000
    assert mem_mb(1000, 500, cap=3000)(None, inp, attempt=3) == 3000
    assert runtime(10, 5)(None, inp, attempt=2) == 40
    assert mem_mb(1000)(None, SimpleNamespace()) == 1000


def _set(section, key, value):
    def mutate(config):
        config[section][key] = value
    return mutate


ANIMAL = "test-data/genome/animal.fa.gz"
BAD_ENTRIES = [
    (_set("offtarget", "species", [{"label": "a b", "genome": ANIMAL}, {"label": "a;b", "genome": ANIMAL}]),
     "key 'offtarget.species[1].label': 'a;b' gives the same file name (a_b)"),
    (_set("offtarget", "variants", [{"label": "d", "vcf": "no/such.vcf"}]),
     "key 'offtarget.variants[0].vcf': file 'no/such.vcf' does not exist"),
    (_set("offtarget", "guides", ""), "key 'offtarget.guides' is required"),
    (lambda c: c["sitecheck"].update(wgs_samples="", amplicon_samples=""),
     "key 'sitecheck': set wgs_samples and/or amplicon_samples"),
    (_set("integration", "samples", ""), "key 'integration.samples' is required for the read processing"),
    (lambda c: c["tcr"].update(peptides=c["tcr"]["peptides"] * 2), "key 'tcr.peptides': duplicate target names"),
    (_set("tcr", "proteome", ""), "key 'tcr.proteome': a protein FASTA is required"),
]


@pytest.mark.parametrize("mutate,expect", BAD_ENTRIES)
def test_bad_entries_are_one_line_naming_the_key(demo, mutate, expect):
    mutate(demo)
    with pytest.raises(InputError, match=re.escape(expect)) as err:
        plan(demo)
    assert "\n" not in str(err.value)


def test_region_jobs(demo):
    assert Plan(copy.deepcopy(demo), root="out").genomewide.region_jobs == 1  # schema default
    demo["sitecheck"]["genomewide"]["region_jobs"] = 4
    gw = Plan(copy.deepcopy(demo), root="out").genomewide
    assert gw.region_jobs == 4
    w = SimpleNamespace(sample="EDITED_D1")
    assert gw.region_parts(".tsv")(w) == [f"out/sitecheck/genomewide/EDITED_D1.part{i}.tsv" for i in range(1, 5)]
    assert gw.region_parts(".json")(w)[-1] == "out/sitecheck/genomewide/EDITED_D1.part4.json"


def test_donor_variant_tables_join_the_sitecheck_arguments(demo):
    sc = Plan(copy.deepcopy(demo), root="out").sitecheck
    assert sc.variant_tables == ["out/offtarget/variants_donor.tsv"]
    w = shlex.split(sc.common_args())
    assert w[w.index("--variant-sites") + 1] == "out/offtarget/variants_donor.tsv"
    for off in ({"sitecheck": {"variant_sites": False}}, {"offtarget": {"enabled": False}}):
        cfg = copy.deepcopy(demo)
        for k, v in off.items():
            cfg[k].update(v)
        sc = Plan(cfg, root="out").sitecheck
        assert sc.variant_tables == [] and "--variant-sites" not in sc.common_args()


#: planted ISAnalytics long matrix: (sample, chrom, 1-based locus, strand, seqCount); one site in two subjects
PLANTED_MATRIX = [
    ("PT01-M01", "chr1", 150000, "+", 60), ("PT01-M01", "chr2", 220000, "-", 30), ("PT01-M01", "chr3", 90000, "+", 10),
    ("PT01-M06", "chr1", 150000, "+", 45), ("PT01-M06", "chr4", 300000, "-", 5),
    ("PT02-M01", "chr3", 90000, "+", 1), ("PT02-M01", "chr2", 500000, "+", 9),
]


def _matrix_config(demo, tmp_path):
    m = tmp_path / f"isa {EVIL}.tsv"
    m.write_text("chr\tintegration_locus\tstrand\tCompleteAmplificationID\tseqCount\tfragmentEstimate\n" + "".join(
        f"{c}\t{p}\t{s}\t{smp}\t{n}\t{n / 2}\n" for smp, c, p, s, n in PLANTED_MATRIX))
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tsubject\ttimepoint\ttimepoint_days\n"
                     "PT01-M01\tPT01\tmonth01\t30\nPT01-M06\tPT01\tmonth06\t180\nPT02-M01\tPT02\tmonth01\t30\n")
    demo["integration"].update(matrix=str(m), samples=str(sheet), reads={})
    return m


def test_integration_imported_matrix_runs_from_matrix(demo, tmp_path):
    """An imported matrix replaces the read processing; the sites command the plan builds, run as is, gives the
    planted sites with the planted read counts and the cross-subject collision decided by the abundance ratio."""
    import pandas as pd

    from cgtsafe.cli import main

    m = _matrix_config(demo, tmp_path)
    it = plan(demo).integration
    assert it.enabled and not it.call_sites and it.read_tables == {}
    assert it.sites_input() == {"imported_matrix": str(m)}
    step = words(it.sites_step())
    assert step == ["from-matrix", "--matrix", str(m), "--quantification", "seqCount"]
    args = words(it.sites_args())
    assert "--abundance" not in args and "--length-bin" not in args  # no breakpoints: no sonic model
    assert words(it.summary_args())[words(it.summary_args()).index("--abundance") + 1] == "imported-seqCount"
    out = tmp_path / "out"
    assert main(["integration", *step, "--genes", demo["reference"]["genes"], *args, "--out", str(out)]) == 0
    sites = pd.read_csv(out / "sites.tsv", sep="\t")
    got = {(r.sample, r.chrom, r.position, r.strand): r.reads for r in sites.itertuples()}
    # chr3:90000:+ is in PT01 (10 reads) and PT02 (1 read): ratio 10 >= 10, PT01 keeps it, PT02's is removed
    want = {(smp, c, p, s): n for smp, c, p, s, n in PLANTED_MATRIX if smp != "PT02-M01" or c != "chr3"}
    assert got == want
    coll = pd.read_csv(out / "collisions.tsv", sep="\t")
    assert set(coll.loc[coll["decision"] == "removed", "samples"]) == {"PT02-M01"}
    share = sites.set_index(["sample", "chrom"])["relative_abundance"]
    assert share[("PT01-M01", "chr1")] == pytest.approx(60 / 100, abs=1e-6)


def test_integration_matrix_and_fragments_exclude_each_other(demo, tmp_path):
    _matrix_config(demo, tmp_path)
    demo["integration"]["fragments"] = str(tmp_path / "samples.tsv")
    with pytest.raises(InputError, match="exclude each other"):
        plan(demo)
    from cgtsafe.config import ConfigProblems

    with pytest.raises(ConfigProblems, match="exclude each other"):
        validate_config(demo, schema_dir=REPO / "workflow" / "schemas")


def test_integration_vispa2_barcode_lists_reach_call_sites(demo, tmp_path):
    """integration.reads.ltr_barcodes / lc_barcodes (VISPA2 lists) are inputs of call-sites, one word each."""
    lists = {k: tmp_path / f"{k} {EVIL}.list" for k in ("ltr_barcodes", "lc_barcodes")}
    for p in lists.values():
        p.write_text("LTR51\tCCATCCTC\n")
    demo["integration"]["reads"].update({k: str(v) for k, v in lists.items()})
    it = plan(demo).integration
    assert {k: it.read_files()[k] for k in lists} == {k: str(v) for k, v in lists.items()}
    w = words(it.read_args())
    assert w[w.index("--ltr-barcodes") + 1] == str(lists["ltr_barcodes"])
    assert w[w.index("--lc-barcodes") + 1] == str(lists["lc_barcodes"])


def test_integration_matrix_checked_before_any_job(demo, tmp_path):
    """A matrix without the configured quantification column is one config line naming the file."""
    from cgtsafe.config import ConfigProblems

    m = _matrix_config(demo, tmp_path)
    demo["integration"]["matrix_quantification"] = "fragmentEstimate_sum"
    with pytest.raises(ConfigProblems, match=r"lacks the quantification column 'fragmentEstimate_sum'") as err:
        validate_config(demo, schema_dir=REPO / "workflow" / "schemas")
    assert str(m) in str(err.value)
