"""Synthetic transfer-vector constructs with planted signals, and their truth table.

Files (``test-data/vector/``):

``sin_lv.gb``     GenBank, a self-inactivating lentiviral-like construct: CMV enhancer/promoter upstream of
                  the 5' R (plasmid only, not integrated), HIV-1 R/U5/PBS/leader with the major splice
                  donor D1, cPPT, human EF1a promoter, an annotated CAR-like CDS, a planted strong splice
                  donor (+) and acceptor (-), a strong polyA signal on the minus strand, an unannotated ORF,
                  WPRE with an intact X start codon, an MLV-family U3 enhancer 150 nt upstream of the 3' LTR,
                  a 3' LTR with a deleted U3 (SIN); random backbone
``nonsin_lv.fa``  FASTA, a construct whose 3' LTR keeps the full U3 (NF-kB + Sp1/TATA; not SIN) and whose
                  WPRE has the X start codon mutated (ATG -> TTG)
``vcn.tsv``       imported VCN per lot (one lot above the demo limit 5 is *not* included: the demo passes)
``truth.tsv``     every planted signal: ``construct category name strand start end expected``
                  (``start`` 0-based, ``end`` exclusive; ``expected`` = value the analysis must report)

Element sequences are the published signatures (HIV-1 HXB2 K03455, CMV IE, MoMLV U3, EEF1A1, WPRE; see
``src/cgtsafe/data/vector_elements.tsv``); filler is random (seeded) and ends in a stop codon in all
frames on both strands, so that the only long ORFs are the planted ones. Truth positions are computed
here from the assembly, independently of ``cgtsafe.vector``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CMV_ENH = "CCATTGACGTCAATAATGACGTATGTTCCCATAGTAACGCCAATAGGGACTTTCC"
CMV_PROM = "TAGGCGTGTACGGTGGGAGGTCTATATAAGCAGAGCT"
U3_5 = "TGGAAGGGCTAATTCACTCCCAA"
U3_NFKB = "GGGACTTTCCGCTGGGGACTTTCC"
U3_SP1_TATA = "GGGCGGGACTGGGGAGTGGCGAGCCCTCAGATGCTGCATATAAGCAGC"
R_TAR = "GGGTCTCTCTGGTTAGACCAGATCTGAGCCTGGGAGCTCTCTGGCTAACTAGGGAACCCACTG"
R_U5 = ("CTTAAGCCTCAATAAAGCTTGCCTTGAGTGCTTCAAGTAGTGTGTGCCCGTCTGTTGTGTGACTCTGGTAACTAGAGATCCCTCAGACCC"
        "TTTTAGTCAGTGTGGAAAATCTCTAGCA")
PBS = "TGGCGCCCGAACAGGGAC"
SD1_PSI = "GGCGACTGGTGAGTACGCCAAAAATTTTGACTAGCGGAGGCTAGAAGGAGAGAG"
PPT = "TTTTAAAAGAAAAGGGGGGA"
EF1A = ("GGCTCCGGTGCCCGTCAGTGGGCAGAGCGCACATCGCCCACAGTCCCCGAGAAGTTGGGGGGAGGGGTCGGCAATTGAACCGGTGCCTAGAGAAGGTG"
        "GCGCGGGGTA")
MLV_ENH = ("AACAGATGGAACAGCTGAATATGGGCCAAACAGGATATCTGTGGTAAGCAGTTCCTGCCCCGGCTCAGGGCCAAGAACAGATGG")
WPRE_5 = ("AATCAACCTCTGGATTACAAAATTTGTGAAAGATTGACTGGTATTCTTAACTATGTTGCTCCTTTTACGCTATGTGGATACGCTGCTTTAATGCCTTTG"
          "TATCATGCTATTGCTTCCCGTATGGCTTTCATTTTCTCCTCCTTGTATAAATCCTGGTTGCTGTCTCTTTATGAGGAGTTGTGGCCCGTTGTCAGGCAA"
          "CGTGGCGTGGTGTG")
WPRE_X = "GACGTCCTTTCC{codon}GCTGCTCGCCTGTGTTGCCACCTGGATTCTGCGCGG"
DONOR = "CAGGTAAGT"  # consensus 5' splice site, exon CAG | intron GTAAGT
ACCEPTOR = "TTTTTTTTTTTTTTTTTTTTTTCAGGT"  # matrix argmax: polypyrimidine tract, CAG | GT
POLYA_STRONG = "AATAAA" + "CCTTAC" + "TGTGTTCT" + "GTGTGTTTGT"  # hexamer + spacer + YGTGTTYY DSE

_COMP = str.maketrans("ACGT", "TGCA")


def rc(s: str) -> str:
    return s.translate(_COMP)[::-1]


STOPPER = "TTAGTTAGTTAG"  # a stop codon in all three frames on both strands


def filler(rng, n: int) -> str:
    """Random ACGT ending in STOPPER (so no ORF runs through it), AATAAA/ATTAAA removed."""
    k = n // 62 + 1
    s = "".join("".join(rng.choice(list("ACGT"), size=50)) + STOPPER for _ in range(k))[-n:]
    for bad in ("AATAAA", "ATTAAA", "TTTATT", "TTTAAT"):
        s = s.replace(bad, bad[:2] + "C" + bad[3:])
    return s


def orf(rng, n_codons: int) -> str:
    sense = [c for c in (a + b + d for a in "ACGT" for b in "ACGT" for d in "ACGT")
             if c not in ("TAA", "TAG", "TGA") and rc(c) not in ("TAA", "TAG", "TGA")]
    return "ATG" + "".join(rng.choice(sense, size=n_codons - 1)) + "TAA"


def build(rng, *, sin: bool, x_codon: str, with_extras: bool):
    parts: list[tuple[str, str]] = []  # (label, sequence)
    parts.append(("backbone5", filler(rng, 300)))
    if with_extras:
        parts += [("CMV_IE_enhancer", CMV_ENH), ("f", filler(rng, 40)), ("CMV_IE_promoter", CMV_PROM)]
    parts += [("f", filler(rng, 20)), ("HIV1_R", R_TAR), ("HIV1_R_U5", R_U5), ("HIV1_PBS", PBS),
              ("f", filler(rng, 60)), ("HIV1_SD1_psi", SD1_PSI), ("f", filler(rng, 300)), ("cPPT", PPT),
              ("f", filler(rng, 120)), ("EF1a_promoter", EF1A), ("f", filler(rng, 60))]
    if with_extras:
        parts += [("DONOR", DONOR), ("f", filler(rng, 40)), ("CDS", orf(rng, 150)), ("f", filler(rng, 50)),
                  ("ACCEPTOR_minus", rc(ACCEPTOR)), ("f", filler(rng, 50)), ("POLYA_minus", rc(POLYA_STRONG)),
                  ("f", filler(rng, 50)), ("ORF_unannotated", orf(rng, 120)), ("f", filler(rng, 40))]
    parts += [("WPRE", WPRE_5), ("f", filler(rng, 20)), ("WPRE_X", WPRE_X.format(codon=x_codon)),
              ("f", filler(rng, 80))]
    if with_extras:
        parts += [("MLV_U3_enhancer", MLV_ENH), ("f", filler(rng, 150))]
    parts += [("3PPT", PPT), ("f", filler(rng, 6)), ("HIV1_U3_5prime", U3_5)]
    if sin:
        parts += [("f", filler(rng, 25))]
    else:
        parts += [("f", filler(rng, 250)), ("HIV1_U3_NFkB", U3_NFKB), ("f", filler(rng, 15)),
                  ("HIV1_U3_Sp1_TATA", U3_SP1_TATA), ("f", filler(rng, 20))]
    parts += [("HIV1_R_3", R_TAR), ("HIV1_R_U5_3", R_U5), ("backbone3", filler(rng, 300))]
    seq, spans, pos = [], {}, 0
    for label, s in parts:
        if label != "f":
            spans.setdefault(label, []).append((pos, pos + len(s)))
        seq.append(s)
        pos += len(s)
    return "".join(seq), spans


def generate(outdir: Path, ctx: dict) -> None:
    from Bio.Seq import Seq
    from Bio.SeqFeature import FeatureLocation, SeqFeature
    from Bio.SeqRecord import SeqRecord
    from Bio import SeqIO

    d = outdir / "vector"
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(ctx["seed"] + 1500)
    truth = []

    # ---- SIN construct (GenBank)
    seq, sp = build(rng, sin=True, x_codon="ATG", with_extras=True)
    rec = SeqRecord(Seq(seq), id="pSIM-SIN-LV", name="pSIM_SIN_LV", description="synthetic SIN lentiviral construct")
    rec.annotations["molecule_type"] = "DNA"
    rec.annotations["topology"] = "linear"
    rec.annotations["date"] = "01-JAN-2026"
    cds_s, cds_e = sp["CDS"][0]
    feats = [("CDS", "CAR_CDS", cds_s, cds_e, 1), ("promoter", "EF1a", *sp["EF1a_promoter"][0], 1),
             ("misc_feature", "WPRE", sp["WPRE"][0][0], sp["WPRE_X"][0][1], 1)]
    for typ, label, s, e, strand in feats:
        rec.features.append(SeqFeature(FeatureLocation(s, e, strand=strand), type=typ, qualifiers={"label": [label]}))
    with open(d / "sin_lv.gb", "w") as fh:
        SeqIO.write(rec, fh, "genbank")
    c = "sin_lv.gb"
    r5 = sp["HIV1_R"][0][0]
    u5_3 = sp["HIV1_R_U5_3"][0][1]
    ds = sp["DONOR"][0][0]
    as_, ae = sp["ACCEPTOR_minus"][0]
    ps, pe = sp["POLYA_minus"][0]
    xs = sp["WPRE_X"][0][0] + len("GACGTCCTTTCC")
    truth += [
        (c, "provirus", "provirus", "+", r5, u5_3, "yes"),
        (c, "sin", "3prime_LTR", "+", sp["HIV1_U3_5prime"][0][0], u5_3, "SIN"),
        (c, "splice_donor", DONOR, "+", ds, ds + 9, f"site={ds + 4}"),  # first intron base (1-based)
        # acceptor on minus: 27-mer occupies [as_, ae); the G of AG (1-based, forward coordinates)
        (c, "splice_acceptor", ACCEPTOR, "-", as_, ae, f"site={ae - 24}"),
        (c, "polya", "AATAAA", "-", pe - 6, pe, "strong"),
        (c, "orf", "ORF_unannotated", "+", *sp["ORF_unannotated"][0], "no (unexpected)"),
        (c, "orf", "CAR_CDS", "+", cds_s, cds_e, "yes"),
        (c, "wpre_x", "WPRE_X_start", "+", xs, xs + 3, "intact (ATG)"),
        (c, "element", "MLV_U3_enhancer", "+", *sp["MLV_U3_enhancer"][0], "flag_near_ltr"),
        (c, "element", "CMV_IE_enhancer", "+", *sp["CMV_IE_enhancer"][0], "no (backbone)"),
        (c, "element", "EF1a_promoter", "+", *sp["EF1a_promoter"][0], "yes"),
        (c, "element", "HIV1_SD1_psi", "+", *sp["HIV1_SD1_psi"][0], "yes"),
    ]
    # the HIV-1 major splice donor D1 (CTG|GTGAGT) inside the leader
    d1 = sp["HIV1_SD1_psi"][0][0] + SD1_PSI.index("CTGGTGAGT")
    truth.append((c, "splice_donor", "HIV1_D1", "+", d1, d1 + 9, f"site={d1 + 4}"))

    # ---- non-SIN construct (FASTA), X start mutated
    seq2, sp2 = build(rng, sin=False, x_codon="TTG", with_extras=False)
    with open(d / "nonsin_lv.fa", "w") as fh:
        fh.write(">pSIM-nonSIN-LV synthetic construct with a full-length 3' LTR U3\n")
        for i in range(0, len(seq2), 60):
            fh.write(seq2[i:i + 60] + "\n")
    c = "nonsin_lv.fa"
    xs2 = sp2["WPRE_X"][0][0] + len("GACGTCCTTTCC")
    truth += [
        (c, "sin", "3prime_LTR", "+", sp2["HIV1_U3_5prime"][0][0], sp2["HIV1_R_U5_3"][0][1], "intact U3 (not SIN)"),
        (c, "wpre_x", "WPRE_X_start", "+", xs2, xs2 + 3, "mutated (TTG)"),
    ]
    (d / "vcn.tsv").write_text(
        "lot\tassay\tvcn_per_transduced_cell\tnote\n"
        "SIM-L001\tddPCR (WPRE/RPP30)\t2.1\tsynthetic demo value\n"
        "SIM-L002\tddPCR (WPRE/RPP30)\t3.4\tsynthetic demo value\n"
        "SIM-L003\tddPCR (WPRE/RPP30)\t1.9\tsynthetic demo value\n")
    with open(d / "truth.tsv", "w") as fh:
        fh.write("construct\tcategory\tname\tstrand\tstart\tend\texpected\n")
        for row in truth:
            fh.write("\t".join(map(str, row)) + "\n")
    (d / "README.md").write_text(
        "# vector/: synthetic transfer-vector constructs with planted signals\n\n"
        "Made by `scripts/testdata/vector.py` (see its docstring). `sin_lv.gb` (GenBank, SIN, WPRE X intact, MLV\n"
        "enhancer next to the 3' LTR, planted splice donor/acceptor/polyA/ORFs), `nonsin_lv.fa` (FASTA, full U3,\n"
        "WPRE X start ATG->TTG), `vcn.tsv` (synthetic VCN per lot), `truth.tsv` (start 0-based, end exclusive).\n")
