"""Synthetic GUIDE-seq-like run (test-data/guideseq/): one pooled MiSeq-like run of a treated sample (guide
DEMO_g1) and a control, made from the synthetic genome.

Files
  ``R1.fastq.gz R2.fastq.gz I1.fastq.gz I2.fastq.gz``  pooled run (gzip without time stamp); read 2 starts with
      the dsODN tag (primer 1 or primer 2 orientation) followed by the genome at a break; index 1 = barcode 1,
      index 2 = barcode 2 + 8-nt UMI; PCR duplicates share UMI and read starts; short fragments read through
      into the tag and the adapter.
  ``samples.tsv``  sample sheet of ``cgtsafe nomination call`` (pooled: barcodes)
  ``truth.tsv``    every planted break cluster: ``kind`` (site = tag integration at a planted cut of DEMO_g1;
      background = breaks at the same place in treated and control; noise = single-strand scattered breaks that
      must not form windows), ``chrom``, ``cut`` (0-based base right of the break), ``site_start``/``site_end``
      /``strand`` (the planted site, 0-based, end exclusive), ``molecules_treated``, ``molecules_control``,
      ``expected_status`` (nominated / background / none).

Read model: break at ``cut`` (between ``cut-1`` and ``cut``); a ``+`` molecule reads the genome from ``cut``
rightwards, a ``-`` molecule from ``cut-1`` leftwards (both orientations and both tag primers at random);
fragment length uniform 40-260 nt; read length 100.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

TAGS = {"primer1": "TTGAGTTGTCATATGTTAATAACGGTAT", "primer2": "ACATATGACAACTCAATTAAAC"}
ADAPTER = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"
BARCODES = {"treated": ("TAGGCATG", "TAGATCGC"), "control": ("CTCTCTAC", "CTCTCTAT")}
READ_LEN = 100
#: planted sites of DEMO_g1 given tag integration (site_id of offtarget/planted_sites.tsv -> molecules)
SITES = {
    "DEMO_g1:chr1:102913:+": 120,  # on-target
    "DEMO_g1:chr1:40000:+": 40,  # 1 mismatch
    "DEMO_g1:chr1:660000:+": 20,  # DNA bulge
    "DEMO_g1:chr2:460000:-": 15,  # 2 DNA bulges: beyond the demo prediction limit (max_dna_bulge 1)
    "DEMO_g1:chr2:150000:+": 12,  # NAG PAM
}
_COMP = str.maketrans("ACGTN", "TGCAN")


def _rc(s: str) -> str:
    return s.translate(_COMP)[::-1]


def simulate_pair(genome: dict, chrom: str, cut: int, strand: str, frag: int, tag: str | None,
                  read_len: int = READ_LEN) -> tuple[str, str]:
    """(read 1, read 2) of one molecule broken at ``cut`` (upper case); ``tag`` None = in vitro (no tag)."""
    g = genome[chrom]
    if strand == "+":
        f = g[cut:cut + frag].upper()
    else:
        f = _rc(g[max(0, cut - frag):cut].upper())
    t = tag or ""
    r2 = (t + f + ADAPTER + "A" * read_len)[:read_len]
    r1 = (_rc(f) + _rc(t) + ADAPTER + "A" * read_len)[:read_len]
    return r1, r2


def _write(path: Path, records: list[tuple[str, str]]) -> None:
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        for name, seq in records:
            gz.write(f"@{name}\n{seq}\n+\n{'I' * len(seq)}\n".encode())


def generate(outdir: Path, ctx: dict) -> None:
    rng = np.random.default_rng(ctx["seed"] + 1601)
    genome = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in ctx["genome"].items()}
    out = Path(outdir) / "guideseq"
    out.mkdir(parents=True, exist_ok=True)
    planted = {r["site_id"]: r for r in ctx["planted"]}
    clusters = []  # (kind, chrom, cut, site_start, site_end, strand, n_treated, n_control)
    for sid, n in SITES.items():
        r = planted[sid]
        clusters.append(("site", r["chrom"], int(r["cut_start"]), int(r["start"]), int(r["end"]), r["strand"], n, 0))
    clusters.append(("background", "chr4", 55000, "", "", "", 15, 12))
    for k in range(6):
        chrom = ("chr1", "chr2", "chr3")[k % 3]
        clusters.append(("noise", chrom, 50000 + 61000 * k + int(rng.integers(0, 1000)), "", "", "", 1, 0))
    reads: list[tuple[str, str, str, str, str]] = []  # name, r1, r2, i1, i2
    for kind, chrom, cut, _s, _e, _st, n_t, n_c in clusters:
        for sample, n in (("treated", n_t), ("control", n_c)):
            for m in range(n):
                strand = "+" if (kind == "noise" or rng.random() < 0.5) else "-"
                primer = "primer1" if rng.random() < 0.5 else "primer2"
                frag = int(rng.integers(40, 261))
                jitter = int(rng.integers(-1, 2)) if kind != "noise" else 0
                r1, r2 = simulate_pair(genome, chrom, cut + jitter, strand, frag, TAGS[primer])
                umi = "".join("ACGT"[i] for i in rng.integers(0, 4, 8))
                b1, b2 = BARCODES[sample]
                for d in range(int(rng.integers(1, 4))):  # PCR duplicates
                    reads.append((f"SIM:{sample}:{chrom}:{cut}:{m}:{d}", r1, r2, b1, b2 + umi))
    for k in range(20):  # reads from outside the genome (not aligned)
        r = "".join("ACGT"[i] for i in rng.integers(0, 4, READ_LEN))
        b1, b2 = BARCODES["treated" if k % 2 else "control"]
        reads.append((f"SIM:unaligned:{k}", r, _rc(r), b1, b2 + "ACGTACGT"))
    order = rng.permutation(len(reads))
    reads = [reads[i] for i in order]
    for idx, name in enumerate(("R1", "R2", "I1", "I2"), start=1):
        _write(out / f"{name}.fastq.gz", [(r[0], r[idx]) for r in reads])
    (out / "samples.tsv").write_text(
        "name\trole\tguide\tr1\tr2\tbarcode1\tbarcode2\n"
        f"treated\ttreated\tDEMO_g1\t\t\t{BARCODES['treated'][0]}\t{BARCODES['treated'][1]}\n"
        f"control\tcontrol\t\t\t\t{BARCODES['control'][0]}\t{BARCODES['control'][1]}\n", encoding="utf-8")
    status = {"site": "nominated", "background": "background", "noise": "none"}
    lines = ["kind\tchrom\tcut\tsite_start\tsite_end\tstrand\tmolecules_treated\tmolecules_control\texpected_status"]
    for kind, chrom, cut, s, e, st, n_t, n_c in clusters:
        lines.append(f"{kind}\t{chrom}\t{cut}\t{s}\t{e}\t{st}\t{n_t}\t{n_c}\t{status[kind]}")
    (out / "truth.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
