"""Synthetic TCR cross-reactivity inputs with planted hits and the truth table.

Demo target: MAGE-A3 ``EVDPIGHLY`` restricted by HLA-A*01:01, minimal recognition motif
``x-x-D-P-I-x-x-x-Y`` (the titin peptide ``ESDPIVAQY`` that killed two patients fits it; Cameron et al.
2013 Sci Transl Med 5:197ra103; Linette et al. 2013 Blood 122:863). Everything else is synthetic.

Files (``test-data/tcr/``):

``proteome.fasta``          ~300 proteins with UniProt-style headers, random sequences with approximate
                            human amino-acid composition, lognormal lengths, planted peptides
``expression.tsv``          HPA consensus layout (``ensembl_id gene_donor <37 tissues> Group spec_degree tissues``)
``xscan.tsv``               X-scan matrix (position x 20 amino acids) consistent with the motif (D3 P4 I5 Y9
                            intolerant; E tolerated at position 3, which the strict motif excludes)
``hla_predictions.tsv``     ``peptide allele percentile_rank`` for some peptides (allele spellings mixed)
``allo_hla.tsv``, ``affinity.tsv``, ``mispairing_statement.txt``  imported-evidence examples (synthetic)
``truth_hits.tsv``          every planted k-mer: protein, gene, 1-based ``position``, expected ``methods``
                            (``;``-separated, order exact;motif;xscan;similarity, empty = must not be found),
                            ``hamming``, ``xscan_score``, expected ``tier`` and ``rank`` in the candidate list

The truth values are computed here with plain Python (independent of ``cgtsafe.tcr``) and the random
background is cleaned until no window other than the planted ones fits the motif, passes the X-scan
threshold or lies within Hamming distance 3 of the target; the expected ranks follow the documented
rule in ``cgtsafe.tcr.candidates`` (tier = 4 - recognition - binding - vital-tissue detection, then
the within-tier keys) and were worked out by hand (see ``EXPECTED_ORDER``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

AA = "ACDEFGHIKLMNPQRSTVWY"
# approximate residue frequencies (%) of the human reference proteome (UniProt UP000005640)
FREQ = {"A": 7.02, "C": 2.30, "D": 4.73, "E": 7.10, "F": 3.65, "G": 6.58, "H": 2.63, "I": 4.33, "K": 5.72,
        "L": 9.97, "M": 2.13, "N": 3.59, "P": 6.31, "Q": 4.77, "R": 5.64, "S": 8.33, "T": 5.36, "V": 5.96,
        "W": 1.22, "Y": 2.66}
TARGET = "EVDPIGHLY"
HLA = "HLA-A*01:01"
MOTIF = {3: "D", 4: "P", 5: "I", 9: "Y"}
MAX_HAMMING = 3
XSCAN_THRESHOLD = 0.1
TISSUES = ["Adipose Tissue", "Adrenal Gland", "Amygdala", "Breast", "Caudate", "Cerebellum", "Cerebral Cortex",
           "Cervix", "Colon", "Endometrium", "Esophagus", "Fallopian Tube", "Heart Muscle", "Hippocampus",
           "Hypothalamus", "Kidney", "Liver", "Lung", "Nucleus Accumbens", "Ovary", "Pancreas", "Pituitary Gland",
           "Prostate", "Putamen", "Retina", "Salivary Gland", "Skeletal Muscle", "Skin", "Small Intestine",
           "Spinal Cord", "Spleen", "Stomach", "Substantia Nigra", "Testis", "Thyroid Gland", "Urinary Bladder",
           "Vagina"]
BRAIN = ["Amygdala", "Caudate", "Cerebellum", "Cerebral Cortex", "Hippocampus", "Hypothalamus", "Nucleus Accumbens",
         "Putamen", "Substantia Nigra", "Spinal Cord"]

# X-scan: per position (default for non-index residues, index residue, overrides)
XSCAN_SPEC = [
    (0.7, {"K": 0.9, "A": 0.8, "D": 0.8, "S": 0.8, "Q": 0.8, "R": 0.8, "G": 0.6, "P": 0.1, "W": 0.2}),
    (0.8, {"P": 0.05, "L": 0.9, "A": 0.9, "M": 0.9, "T": 0.8, "Q": 0.8, "S": 0.8}),
    (0.02, {"E": 0.6}),
    (0.02, {}),
    (0.02, {"V": 0.05}),
    (0.7, {"A": 0.9, "V": 0.8, "R": 0.8, "F": 0.6, "P": 0.1}),
    (0.6, {"A": 0.7, "N": 0.8, "S": 0.8, "K": 0.7, "T": 0.7, "D": 0.1, "E": 0.1}),
    (0.6, {"Q": 0.8, "M": 0.9, "S": 0.7, "T": 0.8, "I": 0.8, "P": 0.05}),
    (0.02, {}),
]

# planted proteins: key -> (accession, entry, gene or "", description, expression profile key, length)
NAMED = [
    ("MAGEA3", "P43357", "MAGA3_HUMAN", "MAGEA3", "Melanoma-associated antigen 3 (synthetic)", "testis", 314),
    ("MAGEA3_2", "P43357-2", "MAGA3_HUMAN", "MAGEA3", "Isoform 2 of Melanoma-associated antigen 3 (synthetic)",
     "testis", 280),
    ("MAGEA6", "P43360", "MAGA6_HUMAN", "MAGEA6", "Melanoma-associated antigen 6 (synthetic)", "testis", 314),
    ("TTN", "Q8WZ42", "TITIN_HUMAN", "TTN", "Titin (synthetic fragment)", "heart", 4000),
    ("TTN_2", "Q8WZ42-2", "TITIN_HUMAN", "TTN", "Isoform 2 of Titin (synthetic fragment)", "heart", 3500),
    ("BRN1", "Q9S901", "SYBR1_HUMAN", "SYNBRN1", "Synthetic brain protein 1", "brain", 520),
    ("LIV1", "Q9S902", "SYLV1_HUMAN", "SYNLIV1", "Synthetic liver protein 1", "liver", 430),
    ("NOGN", "Q9S903", "Q9S903_HUMAN", "", "Uncharacterized protein (synthetic)", None, 350),
    ("MISS", "Q9S904", "SYMS1_HUMAN", "SYNMISS1", "Synthetic protein absent from the expression table", None, 390),
    ("TES1", "Q9S905", "SYTS1_HUMAN", "SYNTES1", "Synthetic testis protein 1", "testis", 460),
    ("KID1", "Q9S906", "SYKD1_HUMAN", "SYNKID1", "Synthetic kidney protein 1", "kidney", 610),
    ("LUN1", "Q9S907", "SYLN1_HUMAN", "SYNLUN1", "Synthetic lung protein 1", "lung", 370),
    ("UBQ1", "Q9S908", "SYUB1_HUMAN", "SYNUBQ1", "Synthetic ubiquitous protein 1", "ubiquitous", 300),
    ("UBQ2", "Q9S909", "SYUB2_HUMAN", "SYNUBQ2", "Synthetic ubiquitous protein 2", "ubiquitous", 330),
    ("TES2", "Q9S910", "SYTS2_HUMAN", "SYNTES2", "Synthetic testis protein 2", "testis", 280),
    ("DEC1", "Q9S911", "SYDC1_HUMAN", "SYNDEC1", "Synthetic decoy carrier 1", "ubiquitous", 400),
    ("SELU", "Q9S912", "SYSE1_HUMAN", "SYNSEL1", "Synthetic selenoprotein (contains U)", "ubiquitous", 250),
    ("BND1", "Q9S913", "SYBD1_HUMAN", "SYNBND1", "Synthetic protein ending in a half target", "ubiquitous", 200),
    ("BND2", "Q9S914", "SYBD2_HUMAN", "SYNBND2", "Synthetic protein starting with a half target", "ubiquitous", 200),
]

# planted k-mers: (protein key, kmer, position (1-based) or "end"/"start", category)
PLANTED = [
    ("MAGEA3", TARGET, 168, "exact_source"),
    ("MAGEA3_2", TARGET, 134, "exact_source_isoform"),
    ("MAGEA6", TARGET, 168, "exact_other_protein"),
    ("TTN", "ESDPIVAQY", 2451, "motif_heart"),
    ("TTN_2", "ESDPIVAQY", 1901, "motif_heart_isoform"),
    ("BRN1", "KMDPIRSLY", 301, "motif_brain"),
    ("LIV1", "AQDPIFNTY", 77, "motif_liver_hla_nonbinder"),
    ("NOGN", "RTDPIASEY", 150, "motif_no_gene_name"),
    ("MISS", "GLDPIEKHY", 222, "motif_gene_not_in_table"),
    ("TES1", "SQDPIKTAY", 95, "motif_testis"),
    ("KID1", "DLEPIAHQY", 400, "xscan_only_kidney"),
    ("LUN1", "EADPIGHLY", 61, "near1_motif_lung"),
    ("UBQ1", "EVDPIGHLF", 120, "near1_ubiquitous"),
    ("UBQ2", "EVNPIGHMY", 45, "near2_ubiquitous"),
    ("TES2", "QVDAIGHLW", 200, "near3_testis"),
    ("DEC1", "ESDPLVAQY", 100, "decoy_I5L"),
    ("DEC1", "KSDPIVAQF", 250, "decoy_Y9F"),
    ("DEC1", "EVDKIGQMF", 330, "decoy_hamming4"),
    ("SELU", "ESDPIUAQY", 60, "decoy_selenocysteine"),
    ("BND1", "EVDPIG", "end", "decoy_boundary_left"),
    ("BND2", "HLY", "start", "decoy_boundary_right"),
]

PROFILES = {
    "testis": {"Testis": 8.0},
    "heart": {"Heart Muscle": 150.0, "Skeletal Muscle": 800.0},
    "brain": {t: 45.0 + 2.0 * i for i, t in enumerate(BRAIN)},
    "liver": {"Liver": 210.0},
    "kidney": {"Kidney": 85.0},
    "lung": {"Lung": 33.0},
}

HLA_PREDICTIONS = [
    ("EVDPIGHLY", "HLA-A*01:01", 0.05),
    ("ESDPIVAQY", "A*01:01", 0.3),
    ("EADPIGHLY", "HLA-A*01:01", 0.8),
    ("KMDPIRSLY", "HLA-A01:01", 1.5),
    ("DLEPIAHQY", "HLA-A*01:01", 1.0),
    ("AQDPIFNTY", "HLA-A*01:01", 20.0),
    ("EVDPIGHLF", "HLA-A*01:01", 5.0),
    ("ESDPIVAQY", "HLA-A*02:01", 30.0),
    ("KMDPIRSLY", "HLA-A*02:01", 1.8),
    ("EVDPIGHLY", "HLA-B*08:01", 0.4),
]

#: expected candidate order (rank 1..12) under the documented rule (tier = 4 - R - B - V; then vital nTPM >=
#: 1 first, X-scan desc, similarity desc, HLA class, ...), written by hand; R = motif/X-scan/one substitution, B = binder or
#: unknown, V = detected (> 0 nTPM) in a vital tissue or unavailable
EXPECTED_ORDER = [
    ("EVDPIGHLY", 0),   # target in MAGEA6 (other protein)
    ("EADPIGHLY", 1),   # lung 33 (>= 1 nTPM), X-scan 0.9
    ("KMDPIRSLY", 1),   # brain, X-scan 0.5184
    ("ESDPIVAQY", 1),   # TTN heart 150, X-scan 0.3584
    ("DLEPIAHQY", 1),   # kidney, X-scan 0.31104 (X-scan only)
    ("RTDPIASEY", 1),   # no gene name -> expression unavailable; binding not predicted (unknown); 0.27648
    ("GLDPIEKHY", 1),   # gene not in table; not predicted; 0.15876
    ("SQDPIKTAY", 1),   # testis; vital tissues detected only below 1 nTPM -> after the others of tier 1
    ("AQDPIFNTY", 2),   # liver 210, non-binder, X-scan 0.24576
    ("EVDPIGHLF", 2),   # ubiquitous, non-binder, one substitution, X-scan 0.02
    ("EVNPIGHMY", 2),   # ubiquitous, not predicted (unknown binding), Hamming 2, X-scan 0.018
    ("QVDAIGHLW", 2),   # testis (detected < 1 nTPM in vital tissues), not predicted, Hamming 3
]


def xscan_matrix() -> dict[int, dict[str, float]]:
    out = {}
    for p, (default, over) in enumerate(XSCAN_SPEC, start=1):
        row = {aa: default for aa in AA}
        row.update(over)
        row[TARGET[p - 1]] = 1.0
        out[p] = row
    return out


def _motif(kmer: str) -> bool:
    return len(kmer) == 9 and all(c in AA for c in kmer) and all(kmer[p - 1] == r for p, r in MOTIF.items())


def _xscan(kmer: str, m) -> float:
    s = 1.0
    for p, c in enumerate(kmer, start=1):
        s *= m[p][c]
    return s


def _ham(kmer: str) -> int:
    return sum(a != b for a, b in zip(kmer, TARGET))


def _hit(kmer: str, m) -> bool:
    if any(c not in AA for c in kmer):
        return False
    return _motif(kmer) or _xscan(kmer, m) >= XSCAN_THRESHOLD - 1e-12 or _ham(kmer) <= MAX_HAMMING


def _methods(kmer: str, m) -> str:
    if any(c not in AA for c in kmer) or len(kmer) != 9:
        return ""
    out = []
    h = _ham(kmer)
    if h == 0:
        out.append("exact")
    if _motif(kmer):
        out.append("motif")
    if _xscan(kmer, m) >= XSCAN_THRESHOLD - 1e-12:
        out.append("xscan")
    if 0 < h <= MAX_HAMMING:
        out.append("similarity")
    return ";".join(out)


def _random_seq(rng, n: int) -> list[str]:
    p = np.array([FREQ[a] for a in AA])
    p = p / p.sum()
    return list(rng.choice(list(AA), size=n, p=p))


def generate(outdir: Path, ctx: dict) -> None:
    rng = np.random.default_rng(int(ctx["seed"]) + 3000)
    out = Path(outdir) / "tcr"
    out.mkdir(parents=True, exist_ok=True)
    m = xscan_matrix()
    n_background = 300 - len(NAMED)
    records = []  # [key, acc, entry, gene, desc, profile, seq(list), protected spans]
    for key, acc, entry, gene, desc, prof, length in NAMED:
        records.append([key, acc, entry, gene, desc, prof, _random_seq(rng, length), []])
    lengths = np.clip(np.round(rng.lognormal(mean=np.log(380), sigma=0.55, size=n_background)), 60, 2500)
    for i, length in enumerate(lengths.astype(int), start=1):
        gene = f"SYNG{i:03d}"
        records.append([gene, f"Q9S{i:03d}", f"SYG{i:03d}_HUMAN", gene, f"Synthetic background protein {i}",
                        "background", _random_seq(rng, int(length)), []])
    by_key = {r[0]: r for r in records}
    # the selenoprotein gets one more U outside the planted decoy (non-standard residues are skipped)
    by_key["SELU"][6][10] = "U"
    by_key["SELU"][7].append((10, 11))
    truth = []
    for key, kmer, pos, cat in PLANTED:
        rec = by_key[key]
        seq = rec[6]
        if pos == "end":
            start = len(seq) - len(kmer)
        elif pos == "start":
            start = 0
        else:
            start = pos - 1
        seq[start:start + len(kmer)] = list(kmer)
        rec[7].append((start, start + len(kmer)))
        truth.append((key, kmer, start + 1, cat))
    # clean accidental hits in the random background (never touching planted spans)
    for _ in range(50):
        changed = False
        for rec in records:
            seq, spans = rec[6], rec[7]
            for i in range(len(seq) - 8):
                if any(s <= i and i + 9 <= e for s, e in spans):
                    continue
                kmer = "".join(seq[i:i + 9])
                if not _hit(kmer, m):
                    continue
                free = [j for j in (i + 3, i + 2, i + 4, i + 8, i)
                        if not any(s <= j < e for s, e in spans)]
                j = free[0]
                choices = [a for a in "ACFGHKLMNQRSTVW" if a != seq[j]]
                seq[j] = choices[int(rng.integers(len(choices)))]
                changed = True
        if not changed:
            break
    else:  # pragma: no cover
        raise RuntimeError("could not clean the synthetic proteome")
    # ---- proteome FASTA
    lines = []
    for key, acc, entry, gene, desc, prof, seq, _ in records:
        db = "tr" if key == "NOGN" else "sp"
        gn = f" GN={gene}" if gene else ""
        lines.append(f">{db}|{acc}|{entry} {desc} OS=Homo sapiens OX=9606{gn} PE=1 SV=1")
        s = "".join(seq)
        lines.extend(s[i:i + 60] for i in range(0, len(s), 60))
    (out / "proteome.fasta").write_text("\n".join(lines) + "\n")
    # ---- expression (HPA layout)
    header = ["ensembl_id", "gene_donor", *TISSUES, "Group", "spec_degree", "tissues"]
    rows = ["\t".join(header)]
    genes_done = set()
    for n, (key, acc, entry, gene, desc, prof, seq, _) in enumerate(records):
        if not gene or gene in genes_done or gene == "SYNMISS1":
            continue
        genes_done.add(gene)
        if prof in ("ubiquitous", "background"):
            vals = {t: float(np.round(rng.lognormal(np.log(20), 0.8), 1)) for t in TISSUES}
            group, spec, tis = "Low-tissue-specificity", "37.0", "All"
        else:
            vals = {t: float(np.round(rng.uniform(0.0, 0.4), 1)) for t in TISSUES}
            for t, v in PROFILES[prof].items():
                if t in vals:
                    vals[t] = v
            top = [t for t in TISSUES if vals[t] >= 1.0]
            group, spec, tis = "Tissue-Enriched" if len(top) == 1 else "Group-Enriched", f"{len(top)}.0", \
                ", ".join(top)
        rows.append("\t".join([f"ENSGSYN{n:08d}", gene, *[f"{vals[t]:.1f}" for t in TISSUES], group, spec, tis]))
    (out / "expression.tsv").write_text("\n".join(rows) + "\n")
    # ---- X-scan
    xl = ["\t".join(["position", *AA])]
    for p in range(1, 10):
        xl.append("\t".join([str(p), *[f"{m[p][a]:g}" for a in AA]]))
    (out / "xscan.tsv").write_text("\n".join(xl) + "\n")
    # ---- HLA predictions
    hl = ["peptide\tallele\tpercentile_rank", *[f"{p}\t{a}\t{r:g}" for p, a, r in HLA_PREDICTIONS]]
    (out / "hla_predictions.tsv").write_text("\n".join(hl) + "\n")
    # ---- imported examples (synthetic, labelled as such)
    (out / "allo_hla.tsv").write_text(
        "allele\tcell_line\tresult\tnote\n"
        "HLA-A*02:01\tSYNTHETIC-LCL-1\tnot detected\tsynthetic demo row\n"
        "HLA-B*08:01\tSYNTHETIC-LCL-2\tnot detected\tsynthetic demo row\n"
        "HLA-C*07:01\tSYNTHETIC-LCL-3\tnot detected\tsynthetic demo row\n")
    (out / "affinity.tsv").write_text(
        "peptide\tallele\tKD_uM\tmethod\tnote\n"
        "EVDPIGHLY\tHLA-A*01:01\t0.5\tSPR\tsynthetic demo row\n"
        "ESDPIVAQY\tHLA-A*01:01\t4.2\tSPR\tsynthetic demo row\n")
    (out / "mispairing_statement.txt").write_text(
        "SYNTHETIC DEMO TEXT. The TCR alpha and beta constant domains carry an engineered interchain disulfide "
        "bond and murinised constant regions to favour pairing of the introduced chains.\n\n"
        "Endogenous TRAC is disrupted during manufacture, removing the endogenous alpha chain.\n")
    # ---- truth
    rank_of = {k: (i + 1, t) for i, (k, t) in enumerate(EXPECTED_ORDER)}
    tl = ["category\tprotein\tgene\tkmer\tposition\tmethods\thamming\tmotif\txscan_score\ttier\trank"]
    for key, kmer, pos1, cat in truth:
        rec = by_key[key]
        full = "".join(rec[6])[pos1 - 1:pos1 - 1 + 9] if len(kmer) < 9 else kmer
        if len(kmer) < 9:  # boundary halves: nothing may be found
            full = kmer
        meth = _methods(full, m) if len(full) == 9 else ""
        ok = len(full) == 9 and all(c in AA for c in full)
        xs = f"{_xscan(full, m):.6g}" if ok else ""
        ham = str(_ham(full)) if ok else ""
        mot = ("yes" if _motif(full) else "no") if ok else ""
        rank, tier = rank_of.get(full, ("", ""))
        if cat.startswith("exact_source"):
            rank, tier = "", ""  # the target in its own source protein is not a candidate
        tl.append("\t".join(map(str, [cat, rec[1], rec[3], full, pos1, meth, ham, mot, xs, tier, rank])))
    (out / "truth_hits.tsv").write_text("\n".join(tl) + "\n")
