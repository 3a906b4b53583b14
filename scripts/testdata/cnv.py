"""Copy-number truth of the synthetic WGS pair (the CNV part of ``scripts/testdata/sequencing.py``).

The edited sample (``sequencing/wgs_edited.cram``) carries two planted copy-number events, drawn from their own
generator (``numpy.random.default_rng(seed + SEED_OFFSET)``): fragments of a lost homolog are simulated as usual
(same draws of the main generator) and then discarded, and fragments of a gained copy are simulated with the
events' generator, so everything else in ``test-data/sequencing`` is byte-for-byte what it is without the events:

* ``loss``: in ``LOSS_FRACTION`` (20 %) of cells, haplotype 0 of chr1 is lost from the top DEMO_g1 on-target cut to
  the end of chr1 (the cut-to-telomere loss reported after Cas9 cuts): every fragment of haplotype 0 whose leftmost
  base is at or after the cut is discarded with probability 0.2. Expected depth ratio 1 - f/2 = 0.9 (log2 -0.152);
  het SNPs there read 1/(2 - f) = 0.556 of the kept allele (B-allele shift 0.056).
* ``gain``: a clonal (cell fraction 1.0) single-copy gain of haplotype 1 of chr2:330,000-480,000 next to the
  synthetic chr2 centromere, the demo's stand-in for the 20q11.21 gain of cultured pluripotent cells: extra
  fragments of haplotype 1 start uniformly inside the region at the haplotype's depth x 1.0. Expected ratio 1.5
  (log2 0.585); het SNPs read 2/3 or 1/3 (B-allele shift 0.167).

Het SNPs: the germline variants of ``sequencing/truth_germline.tsv`` (``genotype 0/1``; ~1 per 1.5 kb) are the
planted hets that B-allele frequencies are measured at.

Written to ``test-data/cnv/`` (coordinates 0-based, end exclusive):
``truth.tsv`` (``event type chrom start end cell_fraction copies haplotype expected_log2 expected_baf_shift arm
site_id``), ``centromeres.tsv`` (``chrom start end``: the synthetic genome's centromeres, which define its arms:
p = [0, start), q = [end, length)) and ``recurrent_regions.tsv`` (``name chrom start end kind``: the synthetic
stand-in region flagged by name, like 20q11.21 on a human genome).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

SEED_OFFSET = 1700
LOSS_FRACTION = 0.2
GAIN = ("chr2", 330_000, 480_000)
GAIN_FRACTION = 1.0
# synthetic centromeres (0-based, end exclusive): chr4 is acrocentric
CENTROMERES = (("chr1", 60_000, 80_000), ("chr2", 300_000, 320_000), ("chr3", 160_000, 180_000),
               ("chr4", 5_000, 15_000))
RECURRENT = (("20q11.21-like (synthetic, proximal 2q)", "chr2", 320_000, 500_000, "gain"),)


def events(loss_chrom: str, loss_cut: int, loss_end: int) -> list[dict]:
    """The planted events (``haplotype``: the homolog lost or gained)."""
    return [
        {"event": "CUT_DISTAL_LOSS", "type": "loss", "chrom": loss_chrom, "start": loss_cut, "end": loss_end,
         "cell_fraction": LOSS_FRACTION, "copies": -1, "haplotype": 0},
        {"event": "GAIN_20Q11_21_LIKE", "type": "gain", "chrom": GAIN[0], "start": GAIN[1], "end": GAIN[2],
         "cell_fraction": GAIN_FRACTION, "copies": 1, "haplotype": 1},
    ]


def plan(rng, evs: list[dict], contig: str, hap: int, length: int, coverage: float, read_len: int, frag_len_fn,
         st: np.ndarray, dup_rate: float):
    """The events of ``contig``/``hap`` for one haplotype's fragments (starts ``st``): ``(lost, extra)``: ``lost``
    marks fragments of a homolog lost in a cell (each fragment starting in the region with probability f); ``extra``
    = ``(lengths, starts, orientation, duplicate)`` of the fragments of gained copies (None when no gain), all drawn
    from ``rng`` (not the simulation's main generator, whose stream stays as without the events)."""
    lost = np.zeros(st.size, dtype=bool)
    xs = []
    for e in evs:
        if e["chrom"] != contig or e["haplotype"] != hap:
            continue
        a, b, f = int(e["start"]), int(e["end"]), float(e["cell_fraction"])
        if e["type"] == "loss":
            lost |= (st >= a) & (st < b) & (rng.random(st.size) < f)
        else:
            n = int(round((b - a) * coverage / 2 / (2 * read_len) * f * e["copies"]))
            xfl = frag_len_fn(rng, n)
            xst = np.minimum(a + (rng.random(n) * (b - a)).astype(np.int64), length - xfl)
            xs.append((xfl, xst, rng.random(n) < 0.5, rng.random(n) < dup_rate))
    if not xs:
        return lost, None
    return lost, tuple(np.concatenate([x[i] for x in xs]) for i in range(4))


def _arm(chrom: str, start: int, end: int) -> str:
    cen = {c: (s, e) for c, s, e in CENTROMERES}
    if chrom not in cen:
        return ""
    s, e = cen[chrom]
    if end <= s:
        return f"{chrom}p"
    if start >= e:
        return f"{chrom}q"
    return f"{chrom} (both arms)"


def write(outdir: Path, evs: list[dict], site_ids: dict[str, str]) -> None:
    d = Path(outdir) / "cnv"
    d.mkdir(parents=True, exist_ok=True)
    cols = ["event", "type", "chrom", "start", "end", "cell_fraction", "copies", "haplotype", "expected_log2",
            "expected_baf_shift", "arm", "site_id"]
    lines = ["\t".join(cols)]
    for e in evs:
        f, k = e["cell_fraction"], e["copies"]
        ratio = 1 + k * f / 2
        kept = (1 + k * f) / (2 + k * f)  # B-allele fraction of the changed haplotype's alleles
        row = {**e, "expected_log2": f"{math.log2(ratio):.6f}", "expected_baf_shift": f"{abs(kept - 0.5):.6f}",
               "arm": _arm(e["chrom"], e["start"], e["end"]), "site_id": site_ids.get(e["event"], "")}
        lines.append("\t".join(str(row[c]) for c in cols))
    (d / "truth.tsv").write_text("\n".join(lines) + "\n")
    (d / "centromeres.tsv").write_text("chrom\tstart\tend\n" + "".join(f"{c}\t{s}\t{e}\n" for c, s, e in CENTROMERES))
    (d / "recurrent_regions.tsv").write_text("name\tchrom\tstart\tend\tkind\n"
                                             + "".join(f"{n}\t{c}\t{s}\t{e}\t{k}\n" for n, c, s, e, k in RECURRENT))
    (d / "README.md").write_text(
        "# cnv/ (scripts/testdata/cnv.py, called by scripts/testdata/sequencing.py)\n\n"
        "Copy-number truth of `sequencing/wgs_edited.cram` vs `sequencing/wgs_control.cram` (0-based, end exclusive):\n"
        "- `truth.tsv`: a loss of one chr1 homolog from the DEMO_g1 on-target cut to the end of chr1 in 20 % of cells "
        "(expected log2 ratio -0.152, B-allele shift 0.056) and a clonal single-copy gain of chr2:330,000-480,000 "
        "(log2 0.585, B-allele shift 0.167), the demo's 20q11.21-like gain.\n"
        "- `centromeres.tsv`: the synthetic genome's centromeres (they define its p and q arms; chr4 is acrocentric).\n"
        "- `recurrent_regions.tsv`: the synthetic stand-in of a recurrent culture gain, flagged by name when a called "
        "gain overlaps it (on a human genome 20q11.21 is located through BCL2L1/ID1/HM13 of the annotation).\n"
        "- Het SNPs for B-allele frequencies: the `0/1` rows of `sequencing/truth_germline.tsv`.\n")
