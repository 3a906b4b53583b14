"""Known recurrent copy-number changes of cultured human pluripotent stem cells, flagged by name on called segments.

Regions (International Stem Cell Initiative 2011, Nat Biotechnol 29:1132; Baker et al. 2016, Stem Cell Reports
7:998):
  ``20q11.21``   gain of the minimal amplicon with BCL2L1 (also ID1, HM13): located through the gene annotation
                 (``reference.genes``), so it is build-independent; flagged when a called gain overlaps one of the
                 three genes.
  ``chr12``      gain of chromosome 12 (12p gain or trisomy 12): flagged for a called gain on chromosome 12; the arm
                 is not resolved (no centromere table is shipped), so the label names both.
  ``chr17``      gain of chromosome 17 (17q): as chr12 (arm not resolved).
  ``chrX``       gain of chromosome X.
Contigs are matched as ``chr12`` or ``12`` (UCSC or Ensembl naming). A genome without these contigs (e.g. the
synthetic demo genome) gets no flags, which the summary states: absence of a flag there is not evidence.
"""

from __future__ import annotations

BCL2L1_GENES = ("BCL2L1", "ID1", "HM13")
WHOLE = {"12": "12p gain or trisomy 12 (chromosome 12; arm not resolved)",
         "17": "17q gain (chromosome 17; arm not resolved)", "X": "chromosome X gain"}


def _bare(chrom: str) -> str:
    return chrom[3:] if chrom.lower().startswith("chr") else chrom


def gene_spans(transcripts) -> dict[str, tuple[str, int, int]]:
    """``gene -> (chrom, start, end)`` of the 20q11.21 anchor genes found in the annotation."""
    out: dict[str, tuple[str, int, int]] = {}
    for t in transcripts:
        if t.gene in BCL2L1_GENES:
            c, s, e = out.get(t.gene, (t.chrom, t.start, t.end))
            out[t.gene] = (t.chrom, min(s, t.start), max(e, t.end))
    return out


def flag(chrom: str, start: int, end: int, call: str, anchors: dict[str, tuple[str, int, int]]) -> str:
    """Recurrent-region names overlapped by a called segment ('' when none)."""
    if call != "gain":
        return ""
    names = []
    if any(c == chrom and s < end and start < e for c, s, e in anchors.values()):
        names.append("20q11.21 (BCL2L1 amplicon)")
    if _bare(chrom) in WHOLE:
        names.append(WHOLE[_bare(chrom)])
    return "; ".join(names)


def covered(contigs, anchors) -> list[str]:
    """Which recurrent regions this genome + annotation can show at all."""
    bare = {_bare(c) for c in contigs}
    out = ["20q11.21"] if anchors else []
    return out + [k for k in WHOLE if k in bare]
