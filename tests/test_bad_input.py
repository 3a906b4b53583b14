"""Table-driven bad-input suite over every command-line entry point (issue 13).

Each case builds a broken input in a scratch folder and runs ``cgtsafe ...`` in-process. It must end with:
exit status 2, exactly one line on stderr starting ``cgtsafe: error:`` that names the file (and line) or
the key/option at fault, no traceback (an uncaught exception fails the test), and no output file left
behind, not even a hidden temporary one. Cases of other parts' inputs are included where they already
pass.
"""

from __future__ import annotations

import errno
import gzip
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from cgtsafe.cli import main

REPO = Path(__file__).resolve().parents[1]
TD = REPO / "test-data"
GENOME = TD / "genome" / "ref.fa"
GENES = TD / "genome" / "genes.gtf"
GUIDES = TD / "offtarget" / "guides.tsv"
PROTEOME = TD / "tcr" / "proteome.fasta"
AMPLICONS = TD / "sequencing" / "amplicons.tsv"
LATIN1 = "Zelllinie Müller, Charge 7\n".encode("latin-1")  # a typical non-UTF-8 export (Excel, Windows)

SITES_HEADER = "site_id\tchrom\tstart\tend\tstrand\tcut_start\tcut_end\n"
SITES_OK = SITES_HEADER + "DEMO_g1:chr1:102913:+\tchr1\t102913\t102936\t+\t102930\t102930\n"
FRAG_HEADER = "sample\tchrom\tposition\tstrand\tbreakpoint\tumi\treads\n"
FRAG_OK = FRAG_HEADER + "S1\tchr1\t5226\t-\t4994\tAAAA\t1\nS1\tchr2\t10049\t+\t10300\tCCCC\t2\n"
INT_SAMPLES = ("sample\tsubject\ttimepoint\ttimepoint_days\tcell_type\tbarcode\n"
               "S1\tP1\tm1\t30\tPBMC\tGAAACCGCTGAT\n")


class W:
    """Scratch folder of one case."""

    def __init__(self, root: Path):
        self.root = root

    def p(self, name: str) -> Path:
        return self.root / name

    def text(self, name: str, text: str) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return str(path)

    def raw(self, name: str, data: bytes) -> str:
        path = self.root / name
        path.write_bytes(data)
        return str(path)

    def config(self, mutate: Callable[[dict], None] | None = None, name: str = "c.yaml") -> str:
        cfg = {"product": {"name": "ACME-CAR19", "modality": ["car_t"], "track": "nmpa_ind"},
               "reference": {"genome": str(GENOME), "genes": str(GENES)}}
        if mutate:
            mutate(cfg)
        return self.text(name, yaml.safe_dump(cfg, allow_unicode=True))

    def sites_table(self) -> str:
        """A valid integration sites table (made by `integration from-fragments` from FRAG_OK)."""
        frags = self.text("ok_frags.tsv", FRAG_OK)
        out = self.p("ok")
        assert main(["integration", "from-fragments", "--fragments", frags, "--genes", str(GENES),
                     "--out", str(out)]) == 0
        return str(out / "sites.tsv")


@dataclass
class Case:
    id: str
    build: Callable[[W], tuple[list[str], list[str]]]  # -> (argv, outputs that must not exist)
    expect: str  # substring of the one error line (file/line/key)


def _cfg_case(id_, mutate, expect, pre=None):
    def build(w):
        if pre:
            pre(w)
        return ["config", "check", "--config", w.config(lambda c: mutate(w, c))], []

    return Case(id_, build, expect)


def _set(path: str, value):
    def mutate(w, c):
        node = c
        parts = path.split(".")
        for k in parts[:-1]:
            node = node.setdefault(k, {})
        node[parts[-1]] = value(w) if callable(value) else value

    return mutate


def _on(section, **kw):
    def mutate(w, c):
        sec = c.setdefault(section, {})
        sec["enabled"] = True
        for k, v in kw.items():
            sec[k] = v(w) if callable(v) else v

    return mutate


def _both(*muts):
    def mutate(w, c):
        for m in muts:
            m(w, c)

    return mutate


_SC_OK = dict(threshold=0.001, threshold_justification="declared", sites=lambda w: w.text("sites.tsv", SITES_OK))


def _sc(**kw):
    return {**_SC_OK, **kw}


def _wgs_sheet(w, body):
    return w.text("wgs.tsv", "sample\trole\tfile\tcontrol\n" + body)


CRAM_E, CRAM_C = TD / "sequencing" / "wgs_edited.cram", TD / "sequencing" / "wgs_control.cram"
WGS_OK_ROWS = f"E1\tedited\t{CRAM_E}\tC1\nC1\tcontrol\t{CRAM_C}\t\n"

CONFIG_CASES = [
    Case("config-missing", lambda w: (["config", "check", "--config", str(w.p("nope.yaml"))], []),
         "nope.yaml: config file not found"),
    Case("config-yaml-syntax", lambda w: (["config", "check", "--config",
                                           w.text("c.yaml", "product:\n  name: [unclosed\nreference: {}\n")], []),
         "c.yaml, line 3: not valid YAML"),
    Case("config-duplicate-key", lambda w: (["config", "check", "--config", w.text(
        "c.yaml", "product:\n  name: A\n  name: B\n")], []), "c.yaml, line 3: not valid YAML (key 'name' given twice"),
    Case("config-not-utf8", lambda w: (["config", "check", "--config", w.raw("c.yaml", b"product:\n  name: " + LATIN1)],
                                       []), "c.yaml, line 2: not UTF-8"),
    Case("config-empty", lambda w: (["config", "check", "--config", w.text("c.yaml", "# nothing\n")], []),
         "c.yaml: config file is empty"),
    Case("config-list", lambda w: (["config", "check", "--config", w.text("c.yaml", "- a\n- b\n")], []),
         "c.yaml: expected a YAML mapping"),
    Case("config-directory", lambda w: (["config", "check", "--config", str(w.root)], []), "is a directory"),
    _cfg_case("config-track", _set("product.track", "fda"), "key 'product.track': expected one of"),
    _cfg_case("config-no-name", lambda w, c: c["product"].pop("name"), "key 'product.name' is required"),
    _cfg_case("config-typo", _set("reference.genomes", "x"), "key 'reference' has unknown key(s) genomes"),
    _cfg_case("config-run-id", _set("product.run_id", "run 1; rm -rf /"), "key 'product.run_id'"),
    _cfg_case("config-windows", _set("reference.genes_of_concern_windows", "50kb"),
              "key 'reference.genes_of_concern_windows': expected array"),
    _cfg_case("config-threshold-percent", _on("sitecheck", **_sc(threshold=1,
                                             wgs_samples=lambda w: _wgs_sheet(w, WGS_OK_ROWS))),
              "key 'sitecheck.threshold': 1 is a fraction"),
    _cfg_case("config-threshold-over-1", _on("sitecheck", **_sc(threshold=5,
                                            wgs_samples=lambda w: _wgs_sheet(w, WGS_OK_ROWS))),
              "key 'sitecheck.threshold': 5 is outside the allowed range"),
    _cfg_case("config-threshold-missing", _on("sitecheck", threshold_justification="x",
                                             sites=lambda w: w.text("sites.tsv", SITES_OK),
                                             wgs_samples=lambda w: _wgs_sheet(w, WGS_OK_ROWS)),
              "key 'sitecheck.threshold' is required"),
    _cfg_case("config-no-sheets", _on("sitecheck", **_sc()), "set wgs_samples and/or amplicon_samples"),
    _cfg_case("config-nuclease", _on("offtarget", guides=str(GUIDES), nuclease="SuperCas42"),
              "key 'offtarget.nuclease': unknown nuclease 'SuperCas42'"),
    _cfg_case("config-pam", _on("offtarget", guides=str(GUIDES), pam="NJJ"), "key 'offtarget.pam'"),
    _cfg_case("config-guides-missing", _on("offtarget"), "key 'offtarget.guides' is required"),
    _cfg_case("config-guides-absent", _on("offtarget", guides="/nonexistent/guides.tsv"),
              "key 'offtarget.guides': file '/nonexistent/guides.tsv' does not exist"),
    _cfg_case("config-guides-bad-spacer", _on("offtarget", guides=lambda w: w.text(
        "g.tsv", "name\tspacer\ng1\tGGGAGCAGAGAGCAAGCTGX\n")), "g.tsv"),
    _cfg_case("config-genome-not-fasta", _set("reference.genome", lambda w: w.text("g.txt", "hello\n")),
              "key 'reference.genome': ", ),
    _cfg_case("config-genome-missing", _set("reference.genome", "/nonexistent/hg38.fa"),
              "key 'reference.genome': file '/nonexistent/hg38.fa' does not exist"),
    _cfg_case("config-genes-not-annotation", _set("reference.genes", lambda w: w.text("g.gtf", "a\tb\n")),
              "key 'reference.genes': "),
    _cfg_case("config-goc-no-column", _set("reference.genes_of_concern", lambda w: w.text("goc.tsv", "gene\nLMO2\n")),
              "goc.tsv: genes-of-concern list needs a 'gene_symbol' column"),
    _cfg_case("config-wgs-duplicate-row", _on("sitecheck", **_sc(wgs_samples=lambda w: _wgs_sheet(
        w, WGS_OK_ROWS + f"C1\tcontrol\t{CRAM_C}\t\n"))), "wgs.tsv, line 4: duplicate row (same as line 3)"),
    _cfg_case("config-wgs-missing-bam", _on("sitecheck", **_sc(wgs_samples=lambda w: _wgs_sheet(
        w, f"E1\tedited\t/nonexistent/e.bam\tC1\nC1\tcontrol\t{CRAM_C}\t\n"))), "wgs.tsv, line 2: sample E1: file"),
    _cfg_case("config-wgs-comment-lines", _on("sitecheck", **_sc(wgs_samples=lambda w: w.text(
        "wgs.tsv", "# my samples\nsample\trole\tfile\tcontrol\n# edited\nE1\tmutant\tx.bam\tC1\n"))),
        "wgs.tsv, line 4: column role"),
    _cfg_case("config-wgs-comma", _on("sitecheck", **_sc(wgs_samples=lambda w: w.text(
        "wgs.tsv", "sample,role,file,control\nE1,edited,e.bam,C1\n"))), "wgs.tsv, line 1: sample sheet looks comma"),
    _cfg_case("config-wgs-not-utf8", _on("sitecheck", **_sc(wgs_samples=lambda w: w.raw(
        "wgs.tsv", b"sample\trole\tfile\tcontrol\n" + LATIN1))), "wgs.tsv"),
    _cfg_case("config-wgs-header-only", _on("sitecheck", **_sc(wgs_samples=lambda w: _wgs_sheet(w, ""))),
              "wgs.tsv: sample sheet has a header but no rows"),
    _cfg_case("config-amplicons-missing", _on("sitecheck", **_sc(amplicon_samples=lambda w: w.text(
        "amp.tsv", "sample\trole\tamplicon\tfastq\tfastq2\tcontrol\n"))), "key 'sitecheck.amplicons' is required"),
    _cfg_case("config-sites-absent", _on("sitecheck", **_sc(sites="/nonexistent/sites.tsv",
                                        wgs_samples=lambda w: _wgs_sheet(w, WGS_OK_ROWS))),
              "key 'sitecheck.sites': file '/nonexistent/sites.tsv'"),
    _cfg_case("config-tcr-no-peptides", _on("tcr", proteome=str(PROTEOME)), "key 'tcr.peptides' is required"),
    _cfg_case("config-tcr-bad-peptide", _on("tcr", proteome=str(PROTEOME),
                                           peptides=[{"name": "X", "sequence": "EVD1IGHLY", "hla": "A*01:01"}]),
              "key 'tcr.peptides.0.sequence'"),
    _cfg_case("config-tcr-proteome-not-fasta", _on("tcr", proteome=lambda w: w.text("p.txt", "MAGEA3\n"),
                                                  peptides=[{"name": "X", "sequence": "EVDPIGHLY", "hla": "A"}]),
              "key 'tcr.proteome': "),
    _cfg_case("config-imported-not-utf8", _set("report.imported", lambda w: [
        {"kind": "rcv", "title": "RCL", "file": w.raw("rcl.tsv", b"lot\tresult\n" + LATIN1)}]),
        "key 'report.imported[0].file': "),
    _cfg_case("config-imported-absent", _set("report.imported", [{"kind": "vcn", "title": "VCN",
                                                                  "file": "/nonexistent/vcn.tsv"}]),
              "key 'report.imported[0].file': file '/nonexistent/vcn.tsv' does not exist"),
    _cfg_case("config-imported-kind", _set("report.imported", [{"kind": "magic", "title": "X", "file": str(GENES)}]),
              "key 'report.imported.0.kind': expected one of"),
    _cfg_case("config-fragments-absent-contig", _on("integration", fragments=lambda w: w.text(
        "f.tsv", FRAG_HEADER + "S1\tchrUn_KI270\t100\t+\t300\tAAAA\t1\n")),
        "f.tsv, line 2: fragment on contig 'chrUn_KI270'"),
    _cfg_case("config-fragments-beyond-end", _on("integration", fragments=lambda w: w.text(
        "f.tsv", FRAG_HEADER + "S1\tchr4\t100\t+\t300\tAAAA\t1\nS1\tchr4\t100001\t+\t300\tAAAA\t1\n")),
        "f.tsv, line 3: fragment position 100001 is beyond the end of chr4"),
    _cfg_case("config-integration-no-samples", _on("integration"), "key 'integration.samples' is required"),
    _cfg_case("config-integration-unsafe-sample", _on("integration", fragments=lambda w: w.text("f.tsv", FRAG_OK),
                                                      samples=lambda w: w.text(
        "s.tsv", INT_SAMPLES.replace("S1", "S1;touch X"))), "s.tsv, line 2: sample 'S1;touch X' is not a safe name"),
    _cfg_case("config-dominance-percent", _set("integration.dominance_thresholds", [0.05, 0.1, 1]),
              "key 'integration.dominance_thresholds': 1 means 100 %"),
    _cfg_case("config-dominance-over-1", _set("integration.dominance_thresholds", [5, 0.1, 0.2]),
              "key 'integration.dominance_thresholds.0': 5 is outside the allowed range"),
    _cfg_case("config-truth-absent", _set("report.truth", "/nonexistent/test-data"),
              "key 'report.truth': folder '/nonexistent/test-data' does not exist"),
]


def _init_case_exists(w):
    w.text("prod/config.yaml", "product: {}\n")
    return ["init", str(w.p("prod"))], []


OTHER_CASES = [
    Case("init-exists", _init_case_exists, "prod/config.yaml: exists already"),
    Case("init-file", lambda w: (["init", w.text("f", "x")], []), "f: exists and is not a folder"),
    # command-line usage
    Case("usage-missing-option", lambda w: (["offtarget", "search", "--genome", str(GENOME)], []),
         "the following arguments are required: --guides"),
    Case("usage-bad-int", lambda w: (["offtarget", "search", "--genome", str(GENOME), "--guides", str(GUIDES),
                                      "--max-mismatches", "four", "--out", str(w.p("o.tsv"))], [w.p("o.tsv")]),
         "argument --max-mismatches"),
    Case("usage-unknown-command", lambda w: (["offtargets"], []), "invalid choice: 'offtargets'"),
    Case("usage-bad-choice", lambda w: (["report", "not-applicable", "--analysis", "ltfu", "--reason-en", "x",
                                         "--out", str(w.p("s.json"))], [w.p("s.json")]), "argument --analysis"),
]


def _hits_renamed(w) -> str:
    """Search hits of the demo guides with contigs renamed chr1 -> 1 (an Ensembl-style site table)."""
    assert main(["offtarget", "search", "--genome", str(GENOME), "--guides", str(GUIDES), "--max-mismatches", "2",
                 "--out", str(w.p("h.tsv"))]) == 0
    lines = w.p("h.tsv").read_text().splitlines(True)
    body = ["\t".join([c[3:] if i == 1 and c.startswith("chr") else c for i, c in enumerate(ln.split("\t"))])
            for ln in lines[1:]]
    w.p("h.tsv").unlink()
    return w.text("h1.tsv", lines[0] + "".join(body))


def _search(w, genome=GENOME, guides=GUIDES, *extra, out="hits.tsv"):
    return (["offtarget", "search", "--genome", str(genome), "--guides", str(guides), "--max-mismatches", "2",
             "--out", str(w.p(out)), *extra], [w.p(out)])


OFFTARGET_CASES = [
    Case("ot-search-genome-absent", lambda w: _search(w, "/nonexistent/hg38.fa"), "/nonexistent/hg38.fa"),
    Case("ot-search-genome-not-fasta", lambda w: _search(w, w.text("g.fa", "ACGT\n")), "g.fa"),
    Case("ot-search-genome-protein", lambda w: _search(w, w.text("g.fa", ">c1\nMEEPQSDPSVEPPLSQETFSDLWKLLPEN\n")),
         "g.fa, line 2"),
    Case("ot-search-genome-duplicate-contig", lambda w: _search(w, w.text("g.fa", ">c1\nACGT\n>c1\nACGT\n")),
         "g.fa, line 3"),
    Case("ot-search-guides-absent", lambda w: _search(w, GENOME, "/nonexistent/g.tsv"), "/nonexistent/g.tsv"),
    Case("ot-search-guides-no-spacer", lambda w: _search(w, GENOME, w.text("g.tsv", "name\tnotes\ng1\tlot 7\n")),
         "g.tsv"),
    Case("ot-search-guides-bad-base", lambda w: _search(w, GENOME, w.text(
        "g.tsv", "name\tspacer\ng1\tGGGAGCAGAGAGCAAGCTGZ\n")), "g.tsv"),
    Case("ot-search-guides-empty", lambda w: _search(w, GENOME, w.text("g.tsv", "name\tspacer\n")), "g.tsv"),
    Case("ot-search-guides-not-utf8", lambda w: _search(w, GENOME, w.raw("g.tsv", b"name\tspacer\n" + LATIN1)),
         "g.tsv"),
    Case("ot-search-nuclease", lambda w: _search(w, GENOME, GUIDES, "--nuclease", "SuperCas42"),
         "unknown nuclease 'SuperCas42'"),
    Case("ot-search-pam", lambda w: _search(w, GENOME, GUIDES, "--pam", "NJJ"), "PAM 'NJJ'"),
    Case("ot-search-out-under-file", lambda w: _search(w, GENOME, GUIDES, out="afile/hits.tsv")
         if w.text("afile", "x") else None, "afile"),
    Case("ot-merge-input-absent", lambda w: (["offtarget", "merge", "--inputs", "/nonexistent/chunk1.tsv",
                                              "--out", str(w.p("m.tsv"))], [w.p("m.tsv")]), "/nonexistent/chunk1.tsv"),
    Case("ot-merge-input-no-columns", lambda w: (["offtarget", "merge", "--inputs", w.text("c.tsv", "a\tb\n1\t2\n"),
                                                  "--out", str(w.p("m.tsv"))], [w.p("m.tsv")]), "c.tsv"),
    Case("ot-annotate-contig-names-differ", lambda w: (
        ["offtarget", "annotate", "--hits", _hits_renamed(w), "--genes", str(GENES), "--out", str(w.p("s.tsv"))],
        [w.p("s.tsv")]), "no contig of the site table (1, 2"),
    Case("ot-annotate-hits-absent", lambda w: (["offtarget", "annotate", "--hits", "/nonexistent/h.tsv",
                                                "--out", str(w.p("s.tsv"))], [w.p("s.tsv")]), "/nonexistent/h.tsv"),
    Case("ot-annotate-hits-no-columns", lambda w: (["offtarget", "annotate", "--hits", w.text("h.tsv", "x\n1\n"),
                                                    "--out", str(w.p("s.tsv"))], [w.p("s.tsv")]), "h.tsv"),
    Case("ot-species-sites-columns", lambda w: (
        ["offtarget", "species", "--sites", w.text("s.tsv", SITES_OK), "--genome", str(GENOME), "--animal-genome",
         w.text("a.fa", "not a genome\n"), "--label", "Macaque", "--guides", str(GUIDES), "--out", str(w.p("o.tsv"))],
        [w.p("o.tsv")]), "s.tsv: candidate-site table (sites.tsv) lacks column(s)"),
    Case("ot-variants-not-vcf", lambda w: (
        ["offtarget", "variants", "--vcf", w.text("v.vcf", "chr1 100 A G\n"), "--label", "donor", "--genome",
         str(GENOME), "--guides", str(GUIDES), "--out", str(w.p("o.tsv"))], [w.p("o.tsv")]), "v.vcf"),
    Case("ot-variants-vcf-absent", lambda w: (
        ["offtarget", "variants", "--vcf", "/nonexistent/d.vcf", "--label", "donor", "--genome",
         str(GENOME), "--guides", str(GUIDES), "--out", str(w.p("o.tsv"))], [w.p("o.tsv")]), "/nonexistent/d.vcf"),
]


def _qwgs(w, sheet_body, sites=SITES_OK, sample="E1"):
    return (["sitecheck", "quantify-wgs", "--sheet", _wgs_sheet(w, sheet_body), "--sample", sample, "--sites",
             w.text("sites.tsv", sites), "--reference", str(GENOME), "--out", str(w.p("c.tsv"))], [w.p("c.tsv")])


def _unsorted_bam(w) -> str:
    """200 reads of the demo CRAM written in reverse order, without an index."""
    import pysam

    src = pysam.AlignmentFile(str(CRAM_E), reference_filename=str(GENOME))
    recs = [r for _, r in zip(range(200), src.fetch(until_eof=True))]
    path = w.p("unsorted.bam")
    with pysam.AlignmentFile(str(path), "wb", template=src) as out:
        for r in reversed(recs):
            out.write(r)
    return str(path)


def _amp_sheet(w, body):
    return w.text("amp.tsv", "sample\trole\tamplicon\tfastq\tfastq2\tcontrol\n" + body)


def _qamp(w, sheet_body, amplicons=None, sample="E1"):
    return (["sitecheck", "quantify-amplicon", "--sheet", _amp_sheet(w, sheet_body), "--sample", sample,
             "--amplicons", str(amplicons or AMPLICONS), "--sites", w.text("sites.tsv", SITES_OK),
             "--out", str(w.p("c.tsv"))], [w.p("c.tsv")])


FQ = TD / "sequencing" / "amplicon" / "EDITED_D1.AMP_DEMO_g1_chr1_102930.fastq.gz"
FQC = TD / "sequencing" / "amplicon" / "CONTROL_D1.AMP_DEMO_g1_chr1_102930.fastq.gz"
AMP_ROWS = f"E1\tedited\tAMP_DEMO_g1_chr1_102930\t{FQ}\t\tC1\nC1\tcontrol\tAMP_DEMO_g1_chr1_102930\t{FQC}\t\t\n"

SITECHECK_CASES = [
    Case("sc-wgs-sites-no-columns", lambda w: _qwgs(w, WGS_OK_ROWS, sites="site_id\tchrom\nx\tchr1\n"), "sites.tsv"),
    Case("sc-wgs-sites-bad-int", lambda w: _qwgs(w, WGS_OK_ROWS, sites=SITES_HEADER + "s1\tchr1\tten\t20\t+\t15\t15\n"),
         "sites.tsv"),
    Case("sc-wgs-sheet-bam-absent", lambda w: _qwgs(w, f"E1\tedited\t/nonexistent/e.bam\tC1\nC1\tcontrol\t{CRAM_C}\t\n"),
         "wgs.tsv, line 2"),
    Case("sc-wgs-sheet-role", lambda w: _qwgs(w, f"E1\tmutant\t{CRAM_E}\tC1\nC1\tcontrol\t{CRAM_C}\t\n"),
         "wgs.tsv, line 2: column role"),
    Case("sc-wgs-sheet-no-control", lambda w: _qwgs(w, f"E1\tedited\t{CRAM_E}\tC9\nC1\tcontrol\t{CRAM_C}\t\n"),
         "wgs.tsv, line 2: control 'C9'"),
    Case("sc-wgs-sample-unknown", lambda w: _qwgs(w, WGS_OK_ROWS, sample="E7"), "E7"),
    Case("sc-wgs-bam-not-bam", lambda w: _qwgs(w, f"E1\tedited\t{w.text('e.bam', 'not a bam')}\tC1\n"
                                                 f"C1\tcontrol\t{CRAM_C}\t\n"), "e.bam"),
    Case("sc-wgs-bam-unsorted-no-index", lambda w: _qwgs(w, f"E1\tedited\t{_unsorted_bam(w)}\tC1\n"
                                                           f"C1\tcontrol\t{CRAM_C}\t\n"),
         "unsorted.bam: alignment file has no index"),
    Case("sc-amp-duplicate", lambda w: _qamp(w, AMP_ROWS + AMP_ROWS.splitlines(True)[0]), "amp.tsv, line 4"),
    Case("sc-amp-fastq-absent", lambda w: _qamp(w, AMP_ROWS.replace(str(FQ), "/nonexistent/e.fq.gz")),
         "amp.tsv, line 2"),
    Case("sc-amp-amplicons-bad-seq", lambda w: _qamp(w, AMP_ROWS, amplicons=w.text(
        "amplicons.tsv", "amplicon\tsite_id\tchrom\tstart\tend\tsequence\tguide\tcut_offset\n"
                         "AMP_DEMO_g1_chr1_102930\ts\tchr1\t1\t30\tACGTXXACGT\tg\t3\n")), "amplicons.tsv, line 2"),
    Case("sc-amp-amplicons-cut-outside", lambda w: _qamp(w, AMP_ROWS, amplicons=w.text(
        "amplicons.tsv", "amplicon\tsite_id\tchrom\tstart\tend\tsequence\tguide\tcut_offset\n"
                         "AMP_DEMO_g1_chr1_102930\ts\tchr1\t1\t30\tACGTACGT\tg\t30\n")), "amplicons.tsv, line 2"),
    Case("sc-amp-fastq-quality-length", lambda w: _qamp(
        w, AMP_ROWS.replace(str(FQ), w.raw("bad.fq.gz", gzip.compress(b"@r1\nACGT\n+\nII\n"))),
        amplicons=w.text("amplicons.tsv", "\n".join(AMPLICONS.read_text().splitlines()[:2]) + "\n")),
        "bad.fq.gz: record 1: sequence and quality lengths differ"),
    Case("sc-amp-fastq-bad-letter", lambda w: _qamp(
        w, AMP_ROWS.replace(str(FQ), w.raw("bad.fq.gz", gzip.compress(b"@r1\nACGXACGT\n+\nIIIIIIII\n"))),
        amplicons=w.text("amplicons.tsv", "\n".join(AMPLICONS.read_text().splitlines()[:2]) + "\n")),
        "bad.fq.gz, line 2: read 'r1': letter 'X'"),
    Case("sc-amp-fastq-quality-below-bang", lambda w: _qamp(
        w, AMP_ROWS.replace(str(FQ), w.raw("bad.fq.gz", gzip.compress(b"@r1\nACGTACGT\n+\nIIII IIII\n"[:-1]))),
        amplicons=w.text("amplicons.tsv", "\n".join(AMPLICONS.read_text().splitlines()[:2]) + "\n")),
        "bad.fq.gz"),
    Case("sc-compare-counts-absent", lambda w: (
        ["sitecheck", "compare", "--sites", w.text("sites.tsv", SITES_OK), "--wgs-sheet", _wgs_sheet(w, WGS_OK_ROWS),
         "--counts", "/nonexistent/E1.tsv", "--threshold", "0.001", "--out", str(w.p("v.tsv"))], [w.p("v.tsv")]),
        "/nonexistent/E1.tsv"),
    Case("sc-genomewide-bam-absent", lambda w: (
        ["sitecheck", "genomewide", "--edited", "/nonexistent/e.bam", "--control", str(CRAM_C), "--sample", "E1",
         "--control-name", "C1", "--reference", str(GENOME), "--out", str(w.p("v.tsv")), "--stats",
         str(w.p("s.json"))], [w.p("v.tsv"), w.p("s.json")]), "/nonexistent/e.bam"),
    Case("sc-structural-sites-absent", lambda w: (
        ["sitecheck", "structural", "--edited", str(CRAM_E), "--control", str(CRAM_C), "--sample", "E1",
         "--control-name", "C1", "--reference", str(GENOME), "--out", str(w.p("v.tsv")), "--stats",
         str(w.p("s.json")), "--sites", "/nonexistent/sites.tsv"], [w.p("v.tsv"), w.p("s.json")]),
        "/nonexistent/sites.tsv"),
]


def _from_frag(w, body, **kw):
    args = ["integration", "from-fragments", "--fragments", w.text("f.tsv", body), "--genes", str(GENES),
            "--out", str(w.p("sites.tsv"))]
    for k, v in kw.items():
        args += [f"--{k.replace('_', '-')}", v(w) if callable(v) else v]
    return args, [w.p("sites.tsv")]


def _enrich(w, edit):
    sites = Path(w.sites_table())
    lines = sites.read_text().splitlines()
    lines[1] = edit(lines[1])
    sites.write_text("\n".join(lines) + "\n")
    return (["integration", "enrichment", "--sites", str(sites), "--genome", str(GENOME), "--genes", str(GENES),
             "--out", str(w.p("e.tsv")), "--controls-out", str(w.p("r.tsv"))], [w.p("e.tsv"), w.p("r.tsv")])


INTEGRATION_CASES = [
    Case("int-frag-absent", lambda w: (["integration", "from-fragments", "--fragments", "/nonexistent/f.tsv",
                                        "--genes", str(GENES), "--out", str(w.p("s.tsv"))], [w.p("s.tsv")]),
         "/nonexistent/f.tsv"),
    Case("int-frag-no-position", lambda w: _from_frag(w, "sample\tchrom\tstrand\tbreakpoint\nS1\tchr1\t+\t5\n"),
         "f.tsv: integration fragment table lacks column(s) position"),
    Case("int-frag-strand", lambda w: _from_frag(w, FRAG_HEADER + "S1\tchr1\t5226\tx\t4994\tAAAA\t1\n"),
         "f.tsv, line 2: column strand"),
    Case("int-frag-position-text", lambda w: _from_frag(w, FRAG_HEADER + "S1\tchr1\tabc\t+\t4994\tAAAA\t1\n"),
         "f.tsv, line 2: column position"),
    Case("int-frag-position-zero", lambda w: _from_frag(w, FRAG_HEADER + "S1\tchr1\t0\t+\t4994\tAAAA\t1\n"),
         "f.tsv, line 2: column position"),
    Case("int-frag-unsafe-sample", lambda w: _from_frag(w, FRAG_HEADER + "S1$(touch X)\tchr1\t5\t+\t4994\tAA\t1\n"),
         "f.tsv, line 2: sample"),
    Case("int-frag-not-utf8", lambda w: (["integration", "from-fragments", "--fragments", w.raw(
        "f.tsv", FRAG_HEADER.encode() + b"S1\tchr1\t5\t+\t4994\t" + LATIN1), "--genes", str(GENES), "--out",
        str(w.p("s.tsv"))], [w.p("s.tsv")]), "f.tsv"),
    Case("int-frag-genes-absent", lambda w: _from_frag(w, FRAG_OK) if False else (
        ["integration", "from-fragments", "--fragments", w.text("f.tsv", FRAG_OK), "--genes", "/nonexistent/g.gtf",
         "--out", str(w.p("s.tsv"))], [w.p("s.tsv")]), "/nonexistent/g.gtf"),
    Case("int-frag-samples-missing-col", lambda w: _from_frag(w, FRAG_OK, samples=lambda w: w.text(
        "s.tsv", "sample\tsubject\nS1\tP1\n")), "s.tsv: sample sheet lacks column(s) timepoint"),
    Case("int-enrich-absent-contig", lambda w: _enrich(w, lambda ln: ln.replace("chr1", "chrUn_KI270", 1)),
         "ok/sites.tsv, line 2: integration site on contig 'chrUn_KI270'"),
    Case("int-enrich-beyond-end", lambda w: _enrich(w, lambda ln: ln.replace("\tchr1\t5226\t", "\tchr1\t5000000\t", 1)),
         "ok/sites.tsv, line 2: integration site position 5000000 is beyond the end of chr1"),
    Case("int-enrich-sites-absent", lambda w: (
        ["integration", "enrichment", "--sites", "/nonexistent/s.tsv", "--genome", str(GENOME), "--genes", str(GENES),
         "--out", str(w.p("e.tsv")), "--controls-out", str(w.p("r.tsv"))], [w.p("e.tsv"), w.p("r.tsv")]),
        "/nonexistent/s.tsv"),
    Case("int-cis-sites-no-columns", lambda w: (
        ["integration", "cis", "--sites", w.text("s.tsv", "a\tb\n1\t2\n"), "--genes", str(GENES), "--out-regions",
         str(w.p("r.tsv")), "--out-genes", str(w.p("g.tsv"))], [w.p("r.tsv"), w.p("g.tsv")]), "s.tsv"),
    Case("int-longitudinal-sites-absent", lambda w: (
        ["integration", "longitudinal", "--sites", "/nonexistent/s.tsv", "--out", str(w.p("o"))], [w.p("o")]),
        "/nonexistent/s.tsv"),
    Case("int-call-sites-layout-json", lambda w: (
        ["integration", "call-sites", "--samples", w.text("s.tsv", INT_SAMPLES), "--layout", "{primer: ACGT",
         "--genome", str(GENOME), "--out-dir", str(w.p("out"))], [w.p("out/fragments.tsv")]), "layout"),
    Case("int-call-sites-r1-absent", lambda w: (
        ["integration", "call-sites", "--samples", w.text("s.tsv", INT_SAMPLES), "--layout",
         str(TD / "integration" / "layout.yaml"), "--r1", "/nonexistent/R1.fq.gz", "--r2",
         str(TD / "integration" / "R2.fastq.gz"), "--i1", str(TD / "integration" / "I1.fastq.gz"), "--genome",
         str(GENOME), "--out-dir", str(w.p("out"))], [w.p("out/fragments.tsv")]), "/nonexistent/R1.fq.gz"),
    Case("int-call-sites-duplicate-barcode", lambda w: (
        ["integration", "call-sites", "--samples", w.text("s.tsv", INT_SAMPLES + INT_SAMPLES.splitlines(True)[1]
                                                          .replace("S1", "S2")), "--layout",
         str(TD / "integration" / "layout.yaml"), "--r1", str(TD / "integration" / "R1.fastq.gz"), "--r2",
         str(TD / "integration" / "R2.fastq.gz"), "--i1", str(TD / "integration" / "I1.fastq.gz"), "--genome",
         str(GENOME), "--out-dir", str(w.p("out"))], [w.p("out/fragments.tsv")]), "s.tsv, line 3: barcode"),
]


def _scan(w, *extra, proteome=PROTEOME, peptide="EVDPIGHLY"):
    return (["tcr", "scan", "--proteome", str(proteome), "--peptide", peptide, "--hla", "HLA-A*01:01",
             "--out", str(w.p("hits.tsv")), *extra], [w.p("hits.tsv")])


TCR_CASES = [
    Case("tcr-proteome-absent", lambda w: _scan(w, proteome="/nonexistent/up.fasta"), "/nonexistent/up.fasta"),
    Case("tcr-proteome-dna", lambda w: _scan(w, proteome=w.text(
        "dna.fa", ">p1\nACGTACGTACGTACGTAACCGGTT\n>p2\nACGTTTGGCCAAGGTTACGA\n")), "dna.fa: this looks like a nucleotide FASTA"),
    Case("tcr-proteome-not-fasta", lambda w: _scan(w, proteome=w.text("p.fa", "MEEPQSDPSV\n")), "p.fa"),
    Case("tcr-peptide-letters", lambda w: _scan(w, peptide="EVD1IGHLY"), "EVD1IGHLY"),
    Case("tcr-peptide-length", lambda w: _scan(w, peptide="EVD"), "EVD"),
    Case("tcr-xscan-malformed", lambda w: _scan(w, "--xscan", w.text("x.tsv", "position\tA\n1\tlots\n")), "x.tsv"),
    Case("tcr-xscan-absent", lambda w: _scan(w, "--xscan", "/nonexistent/x.tsv"), "/nonexistent/x.tsv"),
    Case("tcr-expression-not-utf8", lambda w: _scan(w, "--expression", w.raw(
        "e.tsv", b"ensembl_id\tgene_donor\tHeart Muscle\n" + LATIN1)), "e.tsv"),
    Case("tcr-hla-predictions-columns", lambda w: _scan(w, "--hla-predictions", w.text("h.tsv", "a\tb\n1\t2\n")),
         "h.tsv"),
    Case("tcr-motif", lambda w: _scan(w, "--motif", "x-x-D-P-I-[x"), "motif"),
]


def _build(w, *extra, config=None, results=None):
    return (["report", "build", "--config", config or w.config(), "--results", str(results or w.root),
             "--out", str(w.p("r.html")), *extra], [w.p("r.html")])


REPORT_CASES = [
    Case("report-config-absent", lambda w: _build(w, config="/nonexistent/c.yaml"), "/nonexistent/c.yaml"),
    Case("report-config-yaml", lambda w: _build(w, config=w.text("c.yaml", "product: [\n")), "c.yaml"),
    Case("report-imported-not-utf8", lambda w: _build(w, config=w.config(lambda c: _set("report.imported", lambda w: [
        {"kind": "rcv", "title": "RCL", "file": w.raw("rcl.tsv", b"lot\tresult\nL1\t" + LATIN1)}])(w, c))),
        "rcl.tsv: cannot read imported result 'RCL'"),
    Case("report-performance-not-json", lambda w: _build(w, "--performance", w.text("p.json", "{not json")), "p.json"),
    Case("prov-config-not-yaml", lambda w: (["provenance", "--config", w.text("c.yaml", "a: [\n"), "--out",
                                            str(w.p("p.json"))], [w.p("p.json")]), "c.yaml: cannot read config"),
    Case("prov-out-under-file", lambda w: (["provenance", "--out", str(Path(w.text("afile", "x")) / "p.json")],
                                           []), "afile/p.json: cannot write output"),
    Case("validate-truth-absent", lambda w: (["validate-demo", "--results", str(w.root), "--truth",
                                              "/nonexistent/td", "--out", str(w.p("m.json"))], [w.p("m.json")]),
         "/nonexistent/td: --truth"),
    Case("validate-reference-absent", lambda w: (["validate-reference", "--reference-data", "/nonexistent/shared",
                                                  "--out", str(w.p("r.json"))], [w.p("r.json")]),
         "/nonexistent/shared: reference data folder not found"),
    Case("validate-reference-empty", lambda w: (["validate-reference", "--reference-data", str(w.p("empty")) if
                                                 w.p("empty").mkdir() is None else "", "--out", str(w.p("r.json"))],
                                                [w.p("r.json")]), "empty: reference data folder is empty"),
]

ALL_CASES = CONFIG_CASES + OTHER_CASES + OFFTARGET_CASES + SITECHECK_CASES + INTEGRATION_CASES + TCR_CASES \
    + REPORT_CASES


def test_suite_size():
    assert len(ALL_CASES) >= 80, len(ALL_CASES)
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)


@pytest.fixture(scope="module", autouse=True)
def _warm_offtarget_kernels():
    """A fresh installation compiles the off-target kernels once, announcing it on stderr (an information
    line, not an error); compile them here so that every case below sees only its own error line."""
    from cgtsafe.offtarget import _kernels

    _kernels.warm(bulges=False)
    _kernels.warm(bulges=True)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_bad_input_one_line_exit_2_nothing_written(case, tmp_path, capsys):
    w = W(tmp_path)
    argv, outputs = case.build(w)
    before = {p for p in tmp_path.rglob("*")}
    capsys.readouterr()
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 2, f"exit status {rc}; stderr: {err[-1500:]}"
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{err[-2000:]}"
    assert lines[0].startswith("cgtsafe: error: "), lines[0]
    assert "Traceback" not in err
    assert case.expect in lines[0], f"{case.expect!r} not in {lines[0]!r}"
    for out in outputs:
        assert not Path(out).exists(), f"output left behind: {out}"
    new = {p for p in tmp_path.rglob("*")} - before
    assert not [p for p in new if p.name.endswith(".tmp")], f"temporary files left: {new}"


def test_config_check_reports_every_problem(tmp_path, capsys):
    """Several mistakes in one config: one line each, not just the first."""
    w = W(tmp_path)
    cfg = w.config(lambda c: _both(_set("product.track", "fda"), _set("reference.genome", "/nonexistent/hg38.fa"),
                         _on("offtarget", guides=str(GUIDES), nuclease="SuperCas42"),
                         _on("sitecheck", **{**{k: v(w) if callable(v) else v for k, v in _SC_OK.items()},
                                                "threshold": 1}, wgs_samples=_wgs_sheet(w, WGS_OK_ROWS + WGS_OK_ROWS.splitlines(True)[1])))(w, c))
    assert main(["config", "check", "--config", cfg]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert all(ln.startswith("cgtsafe: error: ") for ln in lines)
    for expected in ("key 'product.track'", "key 'reference.genome': file '/nonexistent/hg38.fa'",
                     "unknown nuclease 'SuperCas42'", "key 'sitecheck.threshold': 1", "wgs.tsv, line 4: duplicate row"):
        assert sum(expected in ln for ln in lines) == 1, (expected, lines)


@pytest.mark.parametrize("code, hint", [(errno.ENOSPC, "disk full"), (errno.EROFS, "read-only file system"),
                                        (errno.EACCES, "no write permission")])
def test_write_failure_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch, code, hint):
    """Disk full / read-only output folder while writing: one line naming the output, nothing half-written."""
    import pandas as pd

    def fail(self, *a, **k):
        path = Path(a[0]) if a else None
        if path is not None:
            path.write_text("partial")  # the writer had started
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    frags = W(tmp_path).text("f.tsv", FRAG_OK)
    out = tmp_path / "res" / "sites.tsv"
    rc = main(["integration", "from-fragments", "--fragments", frags, "--genes", str(GENES), "--out",
               str(out.parent)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and f"{out}: cannot write output" in err[0] and hint in err[0], err
    assert not out.exists()
    assert not list(tmp_path.rglob(".*.tmp"))


def test_result_files_honour_umask(tmp_path):
    """Result files get the mode of any new file (0644 under umask 022, 0640 under 027), not mkstemp's 0600."""
    from cgtsafe.io.tables import write_json, write_table, write_text
    import pandas as pd

    for umask, mode in ((0o022, 0o644), (0o027, 0o640)):
        old = os.umask(umask)
        try:
            d = tmp_path / f"u{umask:o}"
            write_text(d / "a.txt", "x")
            write_json(d / "b.json", {"a": 1})
            write_table(pd.DataFrame({"a": [1]}), d / "c.tsv")
            write_table(pd.DataFrame({"a": [1]}), d / "d.tsv.gz")
        finally:
            os.umask(old)
        assert {p.name: p.stat().st_mode & 0o777 for p in d.iterdir()} == dict.fromkeys(
            ["a.txt", "b.json", "c.tsv", "d.tsv.gz"], mode)


def test_stale_temp_of_killed_writer_removed(tmp_path):
    """A temporary file left by a writer killed with SIGKILL (its pid no longer runs) goes at the next write."""
    from cgtsafe.io.tables import write_text

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stale = tmp_path / f".out.tsv.{proc.pid}.0a1b2c3d.tmp"
    stale.write_text("")
    alive = tmp_path / f".out.tsv.{os.getppid()}.0a1b2c3d.tmp"  # a live process's file is left alone
    alive.write_text("")
    write_text(tmp_path / "out.tsv", "a\n")
    assert not stale.exists() and alive.exists()


def test_sigterm_leaves_no_temp_file(tmp_path):
    """SIGTERM (Snakemake or SLURM cancelling a job) while a result is being written: exit 143, no temp file."""
    code = f"""
import sys, time, pathlib
from cgtsafe import cli
orig = pathlib.Path.write_text
def slow(self, *a, **k):
    orig(self, *a, **k)
    pathlib.Path({str(tmp_path / 'started')!r}).touch()
    time.sleep(30)
pathlib.Path.write_text = slow
sys.exit(cli.main(["provenance", "--out", {str(tmp_path / 'out' / 'p.json')!r}]))
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    for _ in range(300):
        if (tmp_path / "started").exists():
            break
        time.sleep(0.1)
    assert list((tmp_path / "out").glob(".p.json.*.tmp")), "the writer should be mid-write"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["cgtsafe: terminated (SIGTERM); no output written by the interrupted step"]
    assert list((tmp_path / "out").iterdir()) == []


def test_imported_non_utf8_fragments_in_gzip(tmp_path, capsys):
    """A gzip file where a plain TSV sample sheet is expected: one line, not a decode traceback."""
    w = W(tmp_path)
    sheet = w.raw("s.tsv", gzip.compress(INT_SAMPLES.encode()))
    assert main(["config", "check", "--config", w.config(lambda c: _on("integration", samples=sheet)(w, c))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "key 'integration.samples'" in err[0] and "s.tsv' is gzip-compressed" in err[0], err

