"""Construct elements: the shipped signature library, GenBank features, LTR structure, WPRE X.

**Library** (``cgtsafe/data/vector_elements.tsv``): short, cited sequence signatures (HIV-1 LTR parts,
PBS, packaging signal with the major splice donor, PPT; CMV enhancer/promoter; MLV-family U3 enhancer
shared by MoMLV/SFFV/MPSV/MND; human EF1a promoter; WPRE). A signature matches on either strand with at
most ``floor(max_mismatch_fraction x length)`` substitutions (no indels). An element that has no
signature in the library (e.g. PGK promoter, cHS4 insulator) is *not searched*: it can only come from
GenBank features; absence from the table is not absence from the construct.

**LTRs** (HIV-1-derived only): an LTR is an ``HIV1_R`` match; its U5 end is the next ``HIV1_U5`` match
within 250 nt; its U3 starts at an ``HIV1_U3_5prime`` match 30..700 nt upstream of R. The U3 of the
3' LTR is copied to both LTRs of the provirus during reverse transcription, so the *3' LTR* decides
self-inactivation: ``SIN`` when its U3 is < 200 nt or lacks both the NF-kB enhancer and the Sp1/TATA
signature; ``intact U3 (not SIN)`` when the enhancer is present; ``U3 not found`` otherwise
(inconclusive). Wild-type HIV-1 U3 is ~455 nt; the SIN deletion of Zufferey et al. 1998 (J Virol
72:9873) removes ~400 nt incl. the enhancer and TATA box. The provirus spans the first LTR's R start to
the last LTR's U5 end; elements outside it are plasmid backbone (not integrated).

**WPRE X**: the woodchuck hepatitis virus X open reading frame starts near the 3' end of the full
WPRE (searched from the first WPRE signature, ``WPRE`` or ``WPRE_3prime``, to 800 nt past the last) (context ``CCTTTCC [ATG] GCTGCTCGCC`` = M-A-A-R..., the HBx-like N-terminus). ``intact``: ATG
present; ``mutated``: a different codon there (e.g. ATG->TTG, as in X-deleted/mutated WPRE variants,
Zanta-Boussif et al. 2009 Gene Ther 16:605); ``absent``: WPRE found but no X start context (truncated
WPRE); ``not determined`` when no WPRE is found.

**Viral enhancer flags**: a viral enhancer/promoter signature inside the provirus, and whether it lies
within ``ltr_distance`` nt of an LTR (strong viral enhancers next to the LTR can activate neighbouring
genes after integration: Modlich et al. 2009 Mol Ther 17:1919; Montini et al. 2009 J Clin Invest 119:964).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.vector.construct import Construct, revcomp

VIRAL_KINDS = ("viral_enhancer", "viral_promoter")


@dataclass(frozen=True)
class Signature:
    name: str
    kind: str
    max_mismatch_fraction: float
    sequence: str
    source: str


def load_library(path: str | Path | None = None) -> list[Signature]:
    path = Path(path) if path else Path(str(resources.files("cgtsafe") / "data" / "vector_elements.tsv"))
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    return [Signature(r.name, r.kind, float(r.max_mismatch_fraction), r.sequence.upper(), r.source)
            for r in df.itertuples(index=False)]


_CODE = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _i


def _mismatches(seq: str, motif: str) -> np.ndarray:
    s = _CODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
    m = _CODE[np.frombuffer(motif.encode("ascii"), dtype=np.uint8)]
    n = len(s) - len(m) + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int32)
    mm = np.zeros(n, dtype=np.int32)
    for j, c in enumerate(m):
        mm += (s[j:j + n] != c) | (s[j:j + n] == 255)
    return mm


def scan_library(c: Construct, lib: list[Signature]) -> list[dict]:
    """Library matches on both strands (best non-overlapping per signature and strand)."""
    n = len(c.seq)
    rc = revcomp(c.seq)
    rows = []
    for sig in lib:
        L = len(sig.sequence)
        k = int(np.floor(sig.max_mismatch_fraction * L))
        for strand, s in (("+", c.seq), ("-", rc)):
            mm = _mismatches(s, sig.sequence)
            hits = sorted(np.flatnonzero(mm <= k).tolist(), key=lambda i: (mm[i], i))
            taken: list[int] = []
            for i in hits:
                if any(abs(i - t) < L for t in taken):
                    continue
                taken.append(i)
                start, end = (i, i + L) if strand == "+" else (n - i - L, n - i)
                rows.append({"element": sig.name, "kind": sig.kind, "strand": strand, "start": start, "end": end,
                             "mismatches": int(mm[i]), "identity": round(1 - mm[i] / L, 4), "source": "library",
                             "citation": sig.source})
    rows.sort(key=lambda r: (r["start"], r["element"], r["strand"]))
    return rows


def feature_rows(c: Construct) -> list[dict]:
    return [{"element": f.label, "kind": f"genbank:{f.type}", "strand": f.strand, "start": f.start, "end": f.end,
             "mismatches": "", "identity": "", "source": "genbank feature", "citation": ""} for f in c.features]


@dataclass
class LTR:
    r_start: int
    u5_end: int | None
    u3_start: int | None
    nfkb: bool
    sp1_tata: bool

    @property
    def start(self) -> int:
        return self.u3_start if self.u3_start is not None else self.r_start

    @property
    def end(self) -> int:
        return self.u5_end if self.u5_end is not None else self.r_start + 97

    @property
    def u3_length(self) -> int | None:
        return None if self.u3_start is None else self.r_start - self.u3_start

    def status(self) -> str:
        if self.u3_start is None:
            return "U3 not found"
        if self.nfkb:
            return "intact U3 (not SIN)"
        if (self.u3_length or 0) < 200 or not self.sp1_tata:
            return "SIN (U3 enhancer deleted)"
        return "U3 present, enhancer signature not found"


def find_ltrs(lib_hits: list[dict]) -> list[LTR]:
    fwd = [h for h in lib_hits if h["strand"] == "+"]
    by = {name: sorted((h["start"], h["end"]) for h in fwd if h["element"] == name)
          for name in ("HIV1_R", "HIV1_U5", "HIV1_U3_5prime", "HIV1_U3_NFkB", "HIV1_U3_Sp1_TATA")}
    ltrs = []
    for r_start, _ in by["HIV1_R"]:
        u5 = [e for s, e in by["HIV1_U5"] if r_start < s <= r_start + 250]
        u3 = [s for s, _ in by["HIV1_U3_5prime"] if 30 <= r_start - s <= 700]
        u3s = max(u3) if u3 else None
        lo = u3s if u3s is not None else r_start
        nfkb = any(lo <= s and e <= r_start for s, e in by["HIV1_U3_NFkB"])
        tata = any(lo <= s and e <= r_start + 5 for s, e in by["HIV1_U3_Sp1_TATA"])
        ltrs.append(LTR(r_start, min(u5) if u5 else None, u3s, nfkb and u3s is not None, tata and u3s is not None))
    return ltrs


_X_CONTEXT = re.compile(r"CCTTTCC([ACGT]{3})GCTGCTCGCC")


def wpre_x_status(c: Construct, lib_hits: list[dict]) -> tuple[str, str, int | None]:
    """(status, codon, 0-based start of the X start codon on the forward strand or None)."""
    wpres = [h for h in lib_hits if h["kind"] == "wpre"]
    if not wpres:
        return "not determined (no WPRE found)", "", None
    n = len(c.seq)
    for strand, s in (("+", c.seq), ("-", revcomp(c.seq))):
        hs = [h for h in wpres if h["strand"] == strand]
        if not hs:
            continue
        # window from the first WPRE signature to 800 nt past the last (strand's own coordinates)
        if strand == "+":
            lo, hi = min(h["start"] for h in hs), max(h["end"] for h in hs)
        else:
            lo, hi = n - max(h["end"] for h in hs), n - min(h["start"] for h in hs)
        m = _X_CONTEXT.search(s, max(0, lo - 50), min(n, hi + 800))
        if m:
            codon = m.group(1)
            pos = m.start(1) if strand == "+" else n - m.end(1)
            return ("intact (ATG)" if codon == "ATG" else f"mutated ({codon})"), codon, pos
    return "absent (truncated WPRE: no X start region)", "", None
