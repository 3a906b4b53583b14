"""Base-editor and prime-editor amplicon reads of the demo (called by ``sequencing.py``; own random stream, so the
nuclease data of that module do not change).

Two study arms next to the nuclease arm (EDITED_D1 / CONTROL_D1), each an edited sample and its control:

* ``CBE_EDITED_D1`` / ``CBE_CONTROL_D1``, editor ``CBE`` (window 4-8): the DEMO_g2 on-target (B2M, + strand;
  protospacer C5, C7, C8 editable) with base-edited reads (C5 mostly, C7/C8 bystanders) and a few nick
  indels, and the DEMO_g2 off-target ``chr1:450000:-`` with C5 conversions only (G>A on the + strand);
* ``PE_EDITED_D1`` / ``PE_CONTROL_D1``, editor ``PE``: the DEMO_g1 on-target (TRAC, + strand) with a pegRNA
  (13-nt PBS, 16-nt RT template writing a PAM G>T at nick+5): intended (prime-edited) reads, nick indels
  (reference modified), intended edit + a deletion (intended modified) and scaffold-derived insertions at
  the flap end (scaffold incorporated).

Reads are whole amplicons (as the nuclease demo's), drawn from the reference amplicon (no germline alleles),
with the shared error model (:func:`testdata.simulate.add_errors`). Per-read truth: ``truth_editor_reads.tsv.gz``
(read name, planted class, conversions, and ``error_near_cut`` = a sequencing error or a base of quality < 20
within 25 bp of the cut, either of which can change a read's class); per amplicon and sample: ``truth_editors.tsv``.
"""

from __future__ import annotations

import numpy as np

from testdata.simulate import LETTERS, add_errors, encode

#: random stream of this module: seed + this offset (sequencing.py uses seed + 1000)
SEED_OFFSET = 1001
READS = 1000
#: SpCas9 sgRNA scaffold (Jinek et al. 2012; the pegRNA scaffold of Anzalone et al. 2019), 5'->3'
SCAFFOLD = "GTTTTAGAGCTAGAAATAGCAAGTTAAAATAAGGCTAGTCCGTTATCAACTTGAAAAAGTGGCACCGAGTCGGTGC"
_COMP = str.maketrans("ACGT", "TGCA")

#: (arm, site id, editor, planted classes) ; probabilities per edited-sample read
ARMS = (
    ("CBE", "DEMO_g2:chr2:101174:+", "CBE", {"base_edited": 0.40, "indel": 0.03}),
    ("CBE", "DEMO_g2:chr1:450000:-", "CBE", {"base_edited": 0.02}),
    ("PE", "DEMO_g1:chr1:102913:+", "PE", {"intended_unmodified": 0.30, "reference_modified": 0.06,
                                           "intended_modified": 0.03, "scaffold_incorporated": 0.02}),
)
#: base editor: conversion probability of each editable protospacer C of an edited read (on-target);
#: the off-target converts C5 only
CBE_ON = {5: 0.9, 7: 0.5, 8: 0.3}


def _rc(s: str) -> str:
    return s.translate(_COMP)[::-1]


def _amplicon(rng, ref: str, cut: int):
    for _ in range(100):
        left = int(rng.integers(100, 141))
        length = int(rng.integers(240, 261))
        a, b = cut - left, cut - left + length
        if a >= 0 and b <= len(ref) and "N" not in ref[a:b]:
            return a, b
    raise RuntimeError(f"no amplicon fits around {cut}")  # pragma: no cover


def _proto_index(cut: int, strand: str, p: int) -> int:
    """+ strand amplicon-local index of protospacer position ``p`` (cut = base right of the nick)."""
    return cut + p - 18 if strand == "+" else cut + 17 - p


def _pegrna(amp: str, cut: int) -> tuple[str, str]:
    """(+ strand site) pegRNA 3' extension and the expected prime-edited amplicon: PBS = the 13 nt left of the
    nick, RT template = the 16 nt right of it with the PAM's second G (nick+5) changed to T."""
    rt = amp[cut:cut + 16]
    assert rt[5] == "G", "the PAM edit needs a G at nick+5"
    rt = rt[:5] + "T" + rt[6:]
    ext = _rc(amp[cut - 13:cut] + rt)
    return ext.replace("T", "U"), amp[:cut] + rt + amp[cut + 16:]


def simulate_arm(rng, amp: dict, strand: str, classes: dict, edited: bool, sample: str):
    """FASTQ bytes and per-read truth rows of one amplicon and sample."""
    seq, cut = amp["sequence"], amp["cut_offset"]
    buf = []
    rows = []
    names = list(classes)
    probs = np.array([classes[k] for k in names])
    for i in range(READS):
        kind, conv = "unmodified", []
        if edited:
            u = rng.random()
            acc = np.cumsum(probs)
            j = int(np.searchsorted(acc, u, side="right"))
            if j < len(names):
                kind = names[j]
        s = seq
        if kind == "base_edited":
            pattern = CBE_ON if amp["site_id"].endswith(":+") else {5: 1.0}
            while not conv:
                conv = [p for p, pr in sorted(pattern.items()) if rng.random() < pr]
            for p in conv:
                k = _proto_index(cut, strand, p)
                want = "C" if strand == "+" else "G"
                assert s[k] == want, (amp["amplicon"], p, s[k])
                s = s[:k] + ("T" if strand == "+" else "A") + s[k + 1:]
        elif kind in ("indel", "reference_modified"):
            d = int(rng.integers(1, 11))
            k = cut - int(rng.integers(0, d + 1))
            s = s[:k] + s[k + d:]
        elif kind in ("intended_unmodified", "intended_modified", "scaffold_incorporated"):
            s = amp["expected"]
            if kind == "intended_modified":  # intended edit + a 2-bp deletion 4 bp left of the nick
                s = s[:cut - 4] + s[cut - 2:]
            elif kind == "scaffold_incorporated":
                fe = amp["flap_end"]
                k = int(rng.integers(6, 13))
                s = s[:fe] + _rc(SCAFFOLD)[:k] + s[fe:]
        codes, q = add_errors(rng, encode(s))
        err = np.flatnonzero((codes != encode(s)) | (q < 20))
        near = bool(((err >= cut - 25) & (err < cut + 25)).any())
        name = f"{sample}.{amp['amplicon']}.{i + 1:05d}"
        buf.append(f"@{name}\n".encode() + LETTERS[codes].tobytes() + b"\n+\n" + (q + 33).astype(np.uint8).tobytes()
                   + b"\n")
        rows.append([name, amp["amplicon"], sample, kind, ";".join(f"C{p}" for p in conv), int(near)])
    return b"".join(buf), rows


def make(seed: int, genome: dict, planted: list[dict]):
    """Amplicon rows (with ``editor``, ``pegrna_extension``, ``scaffold``), FASTQs ``{file name: bytes}``,
    sample-sheet rows, per-read truth rows and per-amplicon truth rows."""
    rng = np.random.default_rng(seed + SEED_OFFSET)
    by_id = {s["site_id"]: s for s in planted}
    amps, fastqs, sheet, reads, summary = [], {}, [], [], []
    for arm, site_id, editor, classes in ARMS:
        s = by_id[site_id]
        c, cut, strand = s["chrom"], int(s["cut_start"]), s["strand"]
        a, b = _amplicon(rng, genome[c], cut)
        seq = genome[c][a:b].upper()
        amp = {"amplicon": f"AMP_{arm}_{site_id.split(':')[0]}_{c}_{cut}", "site_id": site_id, "chrom": c,
               "start": a, "end": b, "sequence": seq, "guide": s["guide"], "cut_offset": cut - a,
               "editor": editor, "pegrna_extension": "", "scaffold": "", "expected": "", "flap_end": 0}
        if editor == "PE":
            amp["pegrna_extension"], amp["expected"] = _pegrna(seq, cut - a)
            amp["flap_end"] = cut - a + 16
            amp["scaffold"] = SCAFFOLD
        amps.append(amp)
        for sample, role in ((f"{arm}_EDITED_D1", "edited"), (f"{arm}_CONTROL_D1", "control")):
            data, rows = simulate_arm(rng, amp, strand, classes, role == "edited", sample)
            fname = f"{sample}.{amp['amplicon']}.fastq.gz"
            fastqs[fname] = data
            sheet.append([sample, role, amp["amplicon"], fname, "", f"{arm}_CONTROL_D1" if role == "edited" else ""])
            reads += rows
            kinds = [r[3] for r in rows]
            conv = {p: sum(f"C{p}" in r[4].split(";") for r in rows) for p in (5, 7, 8)}
            summary.append([amp["amplicon"], site_id, editor, sample, role, len(rows),
                            *(kinds.count(k) for k in ("unmodified", "base_edited", "indel", "intended_unmodified",
                                                       "reference_modified", "intended_modified",
                                                       "scaffold_incorporated")),
                            conv[5], conv[7], conv[8], sum(r[5] for r in rows)])
    return amps, fastqs, sheet, reads, summary


SUMMARY_COLUMNS = ["amplicon", "site_id", "editor", "sample", "role", "reads", "unmodified", "base_edited", "indel",
                   "intended_unmodified", "reference_modified", "intended_modified", "scaffold_incorporated",
                   "converted_C5", "converted_C7", "converted_C8", "reads_error_near_cut"]
READ_COLUMNS = ["read", "amplicon", "sample", "planted", "conversions", "error_near_cut"]
