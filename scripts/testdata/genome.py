"""Synthetic genome, gene annotation, guides with planted off-target sites, donor VCF, animal genome.

Everything is drawn from ``numpy.random.default_rng(seed)`` and written deterministically, so
``scripts/make_test_data.py`` regenerates byte-identical files.

Coordinates in ``planted_sites.tsv``: ``start`` is the 0-based leftmost + strand coordinate of
protospacer+PAM (Cas-OFFinder's convention), ``end`` exclusive; ``cut_start``/``cut_end`` are the
0-based + strand coordinate of the base right of the double-strand break (SpCas9 blunt cut 3 bp
from the PAM: + strand ``start + L - 3``, - strand ``start + 6``, L = genomic protospacer length).
VCF positions are 1-based.

Planted bulges sit in the middle of the protospacer (guide positions 8-13) and planted mismatches
avoid the bulge, so that the planted alignment is the unique one with the fewest edits at its
locus (a PAM-distal bulge would be cheaper to explain as one mismatch).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
COMP = bytes.maketrans(b"ACGTNacgtn", b"TGCANtgcan")

CONTIGS = {"chr1": 900_000, "chr2": 600_000, "chr3": 400_000, "chr4": 100_000}
N_GAPS = {"chr1": [(300_000, 305_000)], "chr2": [(200_000, 202_000)], "chr3": [(150_000, 151_000)]}
DUPLICATION = ("chr1", 500_000, 520_000, "chr3", 250_000)  # source contig, start, end, target contig, target start
GUIDES = {"DEMO_g1": None, "DEMO_g2": None}  # spacers drawn from the rng

# named genes: (name, contig, start, strand, length)
NAMED_GENES = [
    ("TRAC", "chr1", 100_000, "+", 12_000),
    ("HMGA2", "chr1", 200_000, "-", 30_000),
    ("CCND2", "chr1", 700_000, "+", 25_000),
    ("MN1", "chr1", 820_000, "-", 20_000),
    ("B2M", "chr2", 100_000, "+", 8_000),
    ("LMO2", "chr2", 400_000, "-", 22_000),
    ("SETBP1", "chr2", 520_000, "+", 40_000),
    ("MECOM", "chr3", 60_000, "-", 60_000),
    ("PRDM16", "chr3", 320_000, "+", 35_000),
    ("PDCD1", "chr4", 40_000, "-", 9_000),
]


def revcomp(s: str) -> str:
    return s.translate(str.maketrans("ACGTNacgtn", "TGCANtgcan"))[::-1]


def random_seq(rng: np.random.Generator, n: int, gc: float) -> bytearray:
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    return bytearray(BASES[rng.choice(4, size=n, p=p)].tobytes())


def make_genome(rng: np.random.Generator) -> dict[str, bytearray]:
    genome: dict[str, bytearray] = {}
    for name, length in CONTIGS.items():
        seq = bytearray()
        while len(seq) < length:
            block = min(10_000, length - len(seq))
            seq += random_seq(rng, block, float(rng.uniform(0.34, 0.62)))
        genome[name] = seq
    # duplicated segment with ~1 % divergence
    src, s, e, dst, t = DUPLICATION
    copy = bytearray(genome[src][s:e])
    for i in np.sort(rng.choice(len(copy), size=len(copy) // 100, replace=False)):
        copy[i] = _other_base(rng, copy[i])
    genome[dst][t : t + len(copy)] = copy
    # soft-masked stretches: simple repeats and interspersed-repeat-like stretches, lower case
    for name, length in CONTIGS.items():
        for _ in range(length // 40_000):
            start = int(rng.integers(1_000, length - 3_000))
            n = int(rng.integers(150, 2_000))
            if rng.random() < 0.4:
                unit = [b"CA", b"TA", b"GGAA", b"AAT"][int(rng.integers(4))]
                genome[name][start : start + n] = (unit * (n // len(unit) + 1))[:n]
            genome[name][start : start + n] = bytes(genome[name][start : start + n]).lower()
    for name, gaps in N_GAPS.items():
        for s, e in gaps:
            genome[name][s:e] = b"N" * (e - s)
    return genome


def _other_base(rng, b: int) -> int:
    upper = chr(b).upper()
    choices = [c for c in "ACGT" if c != upper]
    c = choices[int(rng.integers(3))]
    return ord(c.lower()) if chr(b).islower() else ord(c)


@dataclass
class Gene:
    name: str
    chrom: str
    start: int
    end: int
    strand: str
    exons: list[tuple[int, int]]
    cds: tuple[int, int]


def make_genes(rng: np.random.Generator) -> list[Gene]:
    genes: list[Gene] = []
    occupied: dict[str, list[tuple[int, int]]] = {c: list(N_GAPS.get(c, [])) for c in CONTIGS}
    specs = list(NAMED_GENES)
    k = 1
    while len(specs) < 45:
        chrom = list(CONTIGS)[int(rng.choice(4, p=[0.42, 0.3, 0.2, 0.08]))]
        length = int(rng.integers(4_000, 30_000))
        start = int(rng.integers(5_000, CONTIGS[chrom] - length - 5_000))
        clash = any(start < e + 3_000 and start + length + 3_000 > s for s, e in occupied[chrom]) or any(
            start < s2 + l2 + 3_000 and start + length + 3_000 > s2 for _, c2, s2, _, l2 in specs if c2 == chrom
        )
        if clash:
            continue
        specs.append((f"GENE{k:03d}", chrom, start, "+" if rng.random() < 0.5 else "-", length))
        k += 1
    for name, chrom, start, strand, length in specs:
        n_ex = int(rng.integers(3, 9))
        end = start + length
        # exon starts spread over the gene, first exon at the start and last at the end
        inner = np.sort(rng.choice(np.arange(start + 400, end - 400, 50), size=n_ex - 2, replace=False))
        ex_starts = [start, *[int(x) for x in inner]]
        exons = []
        for i, s in enumerate(ex_starts):
            ln = int(rng.integers(120, 320))
            exons.append((s, min(s + ln, end)))
        exons.append((end - int(rng.integers(200, 400)), end))
        exons = sorted(set(exons))
        cds = ((exons[0][0] + exons[0][1]) // 2, (exons[-1][0] + exons[-1][1]) // 2)
        genes.append(Gene(name, chrom, start, end, strand, exons, cds))
        occupied[chrom].append((start, end))
    genes.sort(key=lambda g: (list(CONTIGS).index(g.chrom), g.start, g.name))
    return genes


def write_gtf(path: Path, genes: list[Gene]) -> None:
    lines = []
    for g in genes:
        gid, tid = f"G_{g.name}", f"T_{g.name}.1"
        attrs = f'gene_id "{gid}"; gene_name "{g.name}"; gene_biotype "protein_coding";'
        tattrs = f'gene_id "{gid}"; transcript_id "{tid}"; gene_name "{g.name}"; gene_biotype "protein_coding";'
        lines.append(f"{g.chrom}\tcgtsafe_synth\tgene\t{g.start + 1}\t{g.end}\t.\t{g.strand}\t.\t{attrs}")
        lines.append(f"{g.chrom}\tcgtsafe_synth\ttranscript\t{g.start + 1}\t{g.end}\t.\t{g.strand}\t.\t{tattrs}")
        for i, (s, e) in enumerate(g.exons, start=1):
            n = i if g.strand == "+" else len(g.exons) - i + 1
            lines.append(f'{g.chrom}\tcgtsafe_synth\texon\t{s + 1}\t{e}\t.\t{g.strand}\t.\t{tattrs} exon_number "{n}";')
            cs, ce = max(s, g.cds[0]), min(e, g.cds[1])
            if cs < ce:
                lines.append(f'{g.chrom}\tcgtsafe_synth\tCDS\t{cs + 1}\t{ce}\t.\t{g.strand}\t.\t{tattrs} exon_number "{n}";')
    header = "#!genome-build cgtsafe-synthetic-1\n#!note synthetic annotation made by scripts/make_test_data.py\n"
    path.write_text(header + "\n".join(lines) + "\n")


def make_guide(rng) -> str:
    while True:
        g = "".join("ACGT"[i] for i in rng.integers(0, 4, 20))
        gc = (g.count("G") + g.count("C")) / 20
        if 0.45 <= gc <= 0.65 and "TTTT" not in g and "GGGG" not in g and "CCCC" not in g:
            return g


@dataclass
class Plant:
    guide: str
    category: str
    chrom: str
    pos: int  # approximate anchor: 0-based start of the planted site
    strand: str
    mismatches: int
    dna_bulge: int = 0
    rna_bulge: int = 0
    pam: str = "NGG"  # pattern for the planted PAM (N drawn at random)
    wgs_edit_freq: float = 0.0
    amplicon: int = 0
    lower: bool = False
    note: str = ""
    label: str = ""


def build_site(rng, guide: str, p: Plant) -> tuple[str, str, str, list[int]]:
    """Return (genomic protospacer 5'->3' on hit strand, PAM, guide_aln, mismatch guide positions)."""
    g = list(guide)
    bulge_pos = sorted(int(x) for x in rng.choice(np.arange(8, 14), size=p.dna_bulge + p.rna_bulge, replace=False))
    dna_pos = bulge_pos[: p.dna_bulge]
    rna_pos = bulge_pos[p.dna_bulge :]
    forbidden = set()
    for b in bulge_pos:
        forbidden |= {b - 2, b - 1, b, b + 1, b + 2}
    allowed = [i for i in range(20) if i not in forbidden and i not in rna_pos]
    # mismatches: mostly PAM-distal half, as real off-targets are
    weights = np.array([2.0 if i < 12 else 1.0 for i in allowed])
    mm = sorted(int(x) for x in rng.choice(allowed, size=p.mismatches, replace=False, p=weights / weights.sum()))
    proto = []
    for i, base in enumerate(g):
        if i in rna_pos:
            continue  # guide base without a genomic partner (RNA bulge)
        b = base
        if i in mm:
            b = "ACGT".replace(base, "")[int(rng.integers(3))]
        proto.append(b)
        if i in dna_pos:
            # extra genomic base (DNA bulge), different from both neighbours of the guide
            nb = {g[i], g[i + 1] if i + 1 < 20 else g[i]}
            proto.append([c for c in "ACGT" if c not in nb][int(rng.integers(4 - len(nb)))])
    pam = "".join("ACGT"[int(rng.integers(4))] if c == "N" else c for c in p.pam)
    return "".join(proto), pam, "", mm


def plant_sites(rng, genome: dict[str, bytearray], genes: list[Gene], guides: dict[str, str]):
    by_name = {g.name: g for g in genes}
    trac, b2m = by_name["TRAC"], by_name["B2M"]
    lmo2 = by_name["LMO2"]
    intron_gene = next(g for g in genes if g.chrom == "chr2" and g.name.startswith("GENE") and len(g.exons) >= 3)
    ex = trac.exons[1]
    ex_b2m = b2m.exons[1]
    intron_mid = (intron_gene.exons[0][1] + intron_gene.exons[1][0]) // 2
    dup_src, ds, de, dup_dst, dt = DUPLICATION
    plants = [
        Plant("DEMO_g1", "on_target", "chr1", (ex[0] + ex[1]) // 2 - 17, "+", 0, wgs_edit_freq=0.60, amplicon=1,
              label="ON", note="on-target in TRAC exon 2"),
        Plant("DEMO_g1", "mismatch", "chr2", intron_mid, "-", 3, wgs_edit_freq=0.20, amplicon=1, label="OT1",
              note=f"edited off-target, intron of {intron_gene.name}"),
        Plant("DEMO_g1", "mismatch", "chr3", 30_000, "+", 2, wgs_edit_freq=0.03, amplicon=1, label="OT2",
              note="edited off-target at low frequency, intergenic"),
        Plant("DEMO_g1", "mismatch", "chr2", lmo2.start - 20_000, "-", 4, amplicon=1, label="OT3",
              note="unedited 4-mm site 20 kb from LMO2 (gene of concern)"),
        Plant("DEMO_g1", "mismatch", "chr1", 40_000, "+", 1, note="1 mismatch"),
        Plant("DEMO_g1", "mismatch", "chr1", 620_000, "-", 5, note="5 mismatches"),
        Plant("DEMO_g1", "mismatch", "chr2", 300_000, "+", 6, note="6 mismatches"),
        Plant("DEMO_g1", "mismatch", "chr3", 200_000, "-", 6, note="6 mismatches, minus strand"),
        Plant("DEMO_g1", "dna_bulge", "chr1", 660_000, "+", 0, dna_bulge=1, note="1 DNA bulge"),
        Plant("DEMO_g1", "dna_bulge", "chr2", 460_000, "-", 1, dna_bulge=2, note="2 DNA bulges + 1 mismatch"),
        Plant("DEMO_g1", "rna_bulge", "chr3", 100_000 + 40_000, "-", 1, rna_bulge=1, note="1 RNA bulge + 1 mismatch"),
        Plant("DEMO_g1", "rna_bulge", "chr1", 760_000, "+", 0, rna_bulge=2, note="2 RNA bulges"),
        Plant("DEMO_g1", "dna_rna_bulge", "chr2", 585_000, "+", 1, dna_bulge=1, rna_bulge=1,
              note="1 DNA + 1 RNA bulge + 1 mismatch"),
        Plant("DEMO_g1", "contig_start", "chr4", 0, "+", 2, note="site starts at the first base of chr4"),
        Plant("DEMO_g1", "contig_end", "chr3", CONTIGS["chr3"] - 23, "-", 3, note="site ends at the last base of chr3"),
        Plant("DEMO_g1", "n_gap_adjacent", "chr1", N_GAPS["chr1"][0][0] - 23, "+", 2,
              note="site ends right before an N gap"),
        Plant("DEMO_g1", "n_gap_adjacent", "chr2", N_GAPS["chr2"][0][1], "-", 1, note="site starts right after an N gap"),
        Plant("DEMO_g1", "nag_pam", "chr2", 150_000, "+", 1, pam="NAG", note="alternative PAM NAG"),
        Plant("DEMO_g1", "soft_masked", "chr1", 870_000, "-", 2, lower=True, note="soft-masked (lower case)"),
        Plant("DEMO_g1", "duplicated", dup_src, ds + 7_000, "+", 3, note="in a segment duplicated into chr3"),
        Plant("DEMO_g1", "variant_created", "chr2", 250_000, "+", 3, note="reference PAM broken; donor SNV creates NGG"),
        Plant("DEMO_g1", "variant_lowered", "chr3", 370_000, "-", 4,
              note="5 mismatches in the reference; donor SNV removes one"),
        Plant("DEMO_g2", "on_target", "chr2", (ex_b2m[0] + ex_b2m[1]) // 2 - 17, "+", 0, label="ON2", wgs_edit_freq=0.45,
              note="on-target of DEMO_g2 in B2M exon 2"),
        Plant("DEMO_g2", "mismatch", "chr1", 450_000, "-", 2, note="2 mismatches"),
        Plant("DEMO_g2", "mismatch", "chr3", 50_000 + 80_000, "+", 4, note="4 mismatches"),
        Plant("DEMO_g2", "nag_pam", "chr4", 70_000, "-", 3, pam="NAG", note="alternative PAM NAG, 3 mismatches"),
    ]
    rows, vcf = [], []
    for p in plants:
        guide = guides[p.guide]
        proto, pam, _, mm = build_site(rng, guide, p)
        site = proto + pam
        if p.category == "variant_created":
            # reference: PAM position 23 broken (G -> C): "NGC" is neither NGG nor NAG/NGA
            ref_site = site[:-1] + "C"
        elif p.category == "variant_lowered":
            # reference carries one more mismatch at a guide position that matches in the ALT site
            candidates = [i for i in range(20) if i not in mm and i < 17]
            i = candidates[int(rng.integers(len(candidates)))]
            ref_base = "ACGT".replace(guide[i], "")[int(rng.integers(3))]
            ref_site = site[:i] + ref_base + site[i + 1 :]
        else:
            ref_site = site
        length = len(site)
        start = p.pos
        genomic = ref_site if p.strand == "+" else revcomp(ref_site)
        if p.lower:
            genomic = genomic.lower()
        genome[p.chrom][start : start + length] = genomic.encode()
        if p.category == "duplicated":
            off = start - ds
            genome[dup_dst][dt + off : dt + off + length] = genomic.encode()
        L = length - 3
        cut = start + L - 3 if p.strand == "+" else start + 6
        row = {
            "guide": p.guide,
            "chrom": p.chrom,
            "start": start,
            "end": start + length,
            "strand": p.strand,
            "site": site.lower() if p.lower else site,
            "mismatches": p.mismatches,
            "dna_bulge": p.dna_bulge,
            "rna_bulge": p.rna_bulge,
            "pam": pam,
            "category": p.category,
            "cut_start": cut,
            "cut_end": cut,
            "wgs_edit_freq": p.wgs_edit_freq,
            "amplicon": p.amplicon,
            "label": p.label,
            "note": p.note,
        }
        rows.append(row)
        if p.category == "duplicated":
            off = start - ds
            rows.append({**row, "chrom": dup_dst, "start": dt + off, "end": dt + off + length,
                         "cut_start": dt + off + (cut - start), "cut_end": dt + off + (cut - start),
                         "note": "copy of the duplicated site (chr3)"})
        if p.category in ("variant_created", "variant_lowered"):
            diff = [i for i in range(length) if site[i] != ref_site[i]]
            assert len(diff) == 1
            i = diff[0]
            gpos = start + i if p.strand == "+" else start + length - 1 - i
            ref_b = genome[p.chrom][gpos : gpos + 1].decode().upper()
            alt_b = site[i] if p.strand == "+" else revcomp(site[i])
            af = 0.5 if p.category == "variant_created" else 0.12
            vcf.append((p.chrom, gpos + 1, f"rsDEMO{len(vcf) + 1}", ref_b, alt_b, af, p.category))
    return rows, vcf


def make_animal(rng, genome: dict[str, bytearray], rows: list[dict]) -> dict[str, bytearray]:
    """Substitutions only (~4 %), same coordinates; planted sites are restored then altered on purpose."""
    animal = {k: bytearray(v) for k, v in genome.items()}
    for name, seq in animal.items():
        arr = np.frombuffer(bytes(seq), dtype=np.uint8)
        pos = np.flatnonzero((rng.random(len(arr)) < 0.04) & (arr != ord("N")))
        for i in pos:
            seq[i] = _other_base(rng, seq[i])
    for r in rows:
        s, e = r["start"] - 10, r["end"] + 10
        s = max(s, 0)
        animal[r["chrom"]][s:e] = genome[r["chrom"]][s:e]
    labels = {r.get("label"): r for r in rows}
    # OT1: one extra mismatch in the animal (PAM-distal position 5 of the protospacer)
    r = labels["OT1"]
    i = r["start"] + 23 - 1 - 4 if r["strand"] == "-" else r["start"] + 4
    animal[r["chrom"]][i] = _other_base(rng, animal[r["chrom"]][i])
    # OT2: PAM destroyed (GG -> GC at PAM position 3)
    r = labels["OT2"]
    i = r["start"] + 22 if r["strand"] == "+" else r["start"]
    animal[r["chrom"]][i] = ord("C") if r["strand"] == "+" else ord("G")
    return animal


def count_mismatches(seq_hit_strand: str, guide: str) -> int:
    return sum(a != b for a, b in zip(seq_hit_strand[:20].upper(), guide))


def animal_mismatches(animal, row, guide) -> str:
    if row["dna_bulge"] or row["rna_bulge"] or row["category"].startswith("variant"):
        return ""
    s = animal[row["chrom"]][row["start"] : row["end"]].decode()
    site = s if row["strand"] == "+" else revcomp(s)
    pam = site[20:].upper()
    if not (pam[1:] in ("GG", "AG", "GA")):
        return "-1"
    return str(count_mismatches(site, guide))


def write_vcf(path: Path, vcf_rows, contigs) -> None:
    lines = [
        "##fileformat=VCFv4.2",
        "##source=cgtsafe make_test_data.py (synthetic donor)",
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency in the donor population (synthetic)">',
        '##INFO=<ID=NOTE,Number=1,Type=String,Description="Why the variant is here">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tDONOR1")
    for chrom, pos, vid, ref, alt, af, note in sorted(vcf_rows, key=lambda r: (list(contigs).index(r[0]), r[1])):
        lines.append(f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt}\t.\tPASS\tAF={af};NOTE={note}\tGT\t0/1")
    path.write_text("\n".join(lines) + "\n")


def write_fasta(path: Path, genome: dict[str, bytearray], width: int = 60) -> None:
    with open(path, "wb") as out:
        for name, seq in genome.items():
            out.write(f">{name} synthetic cgtsafe test contig\n".encode())
            for i in range(0, len(seq), width):
                out.write(bytes(seq[i : i + width]) + b"\n")


def write_fai(fasta: Path, genome: dict[str, bytearray], width: int = 60) -> None:
    lines, offset = [], 0
    for name, seq in genome.items():
        header = f">{name} synthetic cgtsafe test contig\n".encode()
        offset += len(header)
        lines.append(f"{name}\t{len(seq)}\t{offset}\t{width}\t{width + 1}")
        offset += len(seq) + (len(seq) + width - 1) // width
    Path(str(fasta) + ".fai").write_text("\n".join(lines) + "\n")


PLANTED_COLUMNS = ["site_id", "guide", "chrom", "start", "end", "strand", "site", "mismatches", "dna_bulge",
                   "rna_bulge", "pam", "category", "cut_start", "cut_end", "wgs_edit_freq", "amplicon",
                   "animal_mismatches", "label", "note"]


def generate(outdir: Path, seed: int) -> dict:
    """Write test-data/genome and test-data/offtarget; return the context for the other generators."""
    import pysam

    rng = np.random.default_rng(seed)
    gdir, odir = outdir / "genome", outdir / "offtarget"
    gdir.mkdir(parents=True, exist_ok=True)
    odir.mkdir(parents=True, exist_ok=True)
    genome = make_genome(rng)
    genes = make_genes(rng)
    guides = {name: make_guide(rng) for name in GUIDES}
    rows, vcf = plant_sites(rng, genome, genes, guides)
    for name, length in CONTIGS.items():
        assert len(genome[name]) == length, f"planting changed the length of {name}"
    animal = make_animal(rng, genome, rows)
    for r in rows:
        r["site_id"] = f"{r['guide']}:{r['chrom']}:{r['start']}:{r['strand']}"
        if not r["category"].startswith("variant"):
            s = genome[r["chrom"]][r["start"] : r["end"]].decode()
            r["site"] = s if r["strand"] == "+" else revcomp(s)
        r["animal_mismatches"] = animal_mismatches(animal, r, guides[r["guide"]])
    rows.sort(key=lambda r: (r["guide"], list(CONTIGS).index(r["chrom"]), r["start"], r["strand"]))

    write_fasta(gdir / "ref.fa", genome)
    write_fai(gdir / "ref.fa", genome)
    write_gtf(gdir / "genes.gtf", genes)
    plain = gdir / "animal.fa"
    write_fasta(plain, animal)
    gz = gdir / "animal.fa.gz"
    for p in (gz, Path(str(gz) + ".fai"), Path(str(gz) + ".gzi")):
        if p.exists():
            p.unlink()
    pysam.tabix_compress(str(plain), str(gz), force=True)
    plain.unlink()
    pysam.faidx(str(gz))
    (gdir / "animal.species.txt").write_text("Macaca fascicularis (synthetic)\n")

    (odir / "guides.tsv").write_text("name\tspacer\n" + "".join(f"{n}\t{s}\n" for n, s in guides.items()))
    with open(odir / "planted_sites.tsv", "w") as fh:
        fh.write("\t".join(PLANTED_COLUMNS) + "\n")
        for r in rows:
            fh.write("\t".join(str(r[c]) for c in PLANTED_COLUMNS) + "\n")
    write_vcf(odir / "donor.vcf", vcf, CONTIGS)

    from cgtsafe.io.annotation import read_transcripts

    return {
        "genome": {k: bytes(v).decode() for k, v in genome.items()},
        "genes": read_transcripts(gdir / "genes.gtf"),
        "planted": [{c: str(r[c]) for c in PLANTED_COLUMNS} for r in rows],
        "guides": guides,
        "seed": seed,
    }
