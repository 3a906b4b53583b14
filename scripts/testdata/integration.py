"""Synthetic LM-PCR integration-site run (INSPIIRED-like layout) with truth tables.

Writes ``test-data/integration/``:

``I1.fastq.gz R1.fastq.gz R2.fastq.gz``  one multiplexed MiSeq-like run (gzip without time stamp).
    I1 = 12-nt sample barcode (10 % of reads carry one substitution; ``undetermined`` reads carry a
    barcode >= 3 substitutions from every sample barcode). R2 (101 nt) = primer (20 nt) + LTR end
    (14 nt) + host from the junction, then the reverse complement of the linker when the fragment is
    shorter than the host part of the read. R1 (151 nt) = linker part 1 (20 nt) + N12 UMI + linker
    part 2 (16 nt) + host from the shear end, then the reverse complement of LTR end + primer (+ more
    LTR) when the fragment is short. Host parts of >= 60 nt may carry one substitution (not in the first 6 bases).
``samples.tsv``  ``sample subject timepoint timepoint_days cell_type barcode`` (one subject PT01, PBMC).
``vector.fa``  the synthetic transfer plasmid (backbone, 5' LTR, internal region, 3' LTR, backbone).
``layout.yaml``  the read layout for ``cgtsafe integration call-sites``.
``truth_clones.tsv``  ``clone_id chrom position strand nearest_gene`` + ``cells_<sample>`` (true clone size
    in cells of the sample's DNA input) + ``fragments_<sample>`` (simulated unique fragments = distinct
    breakpoint+UMI that were sequenced). ``position`` is the 1-based host base at the junction;
    ``strand`` the strand the LTR-side read (R2) maps to.
``truth_attrition.tsv``  per sample: the simulated number of read pairs of each class (``n_*``) and
    the expected cumulative attrition (``reads barcode qtrimmed primed ltr_verified linker_found
    vector_filtered quality_filtered aligned unique_aligned multihit unique_sites``), plus the
    ``undetermined`` row.

Read classes (each fails at exactly one step): ``unique`` (clone fragments), ``multihit`` (fragments in
the duplicated chr1/chr3 segment where both copies are identical over the fragment), ``chimera`` (R2
and R1 from different contigs: aligned, no proper pair), ``vector`` (internal vector after the 5' LTR,
or plasmid backbone), ``short`` (host part < 30 nt), ``no_linker`` (R1 without linker), ``no_ltr``
(primer followed by host: mispriming), ``no_primer`` (PhiX-like random junk), ``low_quality`` (R2
quality collapses at base 40), ``undetermined`` (barcode not in the sheet).

Clones: per time point ~300 background clones (150 persistent across all time points, 150 private to
the time point) with lognormal sizes, and one clone near LMO2 at
1 % -> 5 % -> 20 % of cells, 0.3-3 kb upstream of the LMO2 TSS (minus-strand gene; LMO2 is
its nearest gene). Each cell's provirus becomes a sequenced fragment with probability 0.25.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np

OFFSET = 2000
SAMPLES = [("PT01-M01", "month01", 30, 0.01), ("PT01-M06", "month06", 180, 0.05),
           ("PT01-M12", "month12", 365, 0.20)]
CELLS = 5000
P_FRAGMENT = 0.25
R1_LEN, R2_LEN = 151, 101
N_PERSISTENT, N_PRIVATE = 150, 150
DUP = ("chr1", 500_000, 520_000, "chr3", 250_000)
JUNK = {"multihit": 20, "chimera": 15, "vector": 40, "short": 20, "no_linker": 30, "no_ltr": 30,
        "no_primer": 40, "low_quality": 30}
N_UNDETERMINED = 120
HIGH_Q, LOW_Q = "F", "#"
ADAPTER = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCACAGATCTCGTATGCCGTCTTCTGCTTG"
COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def rc(s: str) -> str:
    return s.translate(COMP)[::-1]


def rand_seq(rng, n: int) -> str:
    return "".join("ACGT"[i] for i in rng.integers(0, 4, n))


def ham(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b))


def min_ham_window(seq: str, pat: str, lo: int, hi: int) -> int:
    return min(ham(seq[o:o + len(pat)], pat) for o in range(lo, hi + 1))


def mutate(rng, s: str, lo: int) -> str:
    """One substitution at a position >= lo (for host parts of reads)."""
    if len(s) <= lo:
        return s
    i = int(rng.integers(lo, len(s)))
    b = "ACGT".replace(s[i], "")[int(rng.integers(3))] if s[i] in "ACGT" else "A"
    return s[:i] + b + s[i + 1:]


class Design:
    def __init__(self, rng, n_samples: int):
        self.rng = rng
        self.ltr = rand_seq(rng, 620) + "CAGT" + rand_seq(rng, 20) + "CA"  # LTR ends with ...CA
        self.internal = rand_seq(rng, 4000)
        self.backbone1 = rand_seq(rng, 1500)
        self.backbone2 = rand_seq(rng, 1500)
        self.primer = self.ltr[-34:-14]
        self.ltr_bit = self.ltr[-14:]
        self.link1 = rand_seq(rng, 20)
        self.link2 = rand_seq(rng, 16)
        self.barcodes = []
        while len(self.barcodes) < n_samples:
            bc = rand_seq(rng, 12)
            if all(ham(bc, b) >= 5 for b in self.barcodes):
                self.barcodes.append(bc)

    @property
    def vector(self) -> str:
        return self.backbone1 + self.ltr + self.internal + self.ltr + self.backbone2

    def r2(self, host: str, umi: str) -> str:
        """R2 = primer + LTR end + host (+ linker read-through + adapter)."""
        s = self.primer + self.ltr_bit + host + rc(self.link1 + umi + self.link2) + ADAPTER
        return s[:R2_LEN]

    def r1(self, host: str, umi: str) -> str:
        s = self.link1 + umi + self.link2 + host + rc(self.ltr) + ADAPTER
        return s[:R1_LEN]


def host_parts(genome: dict, chrom: str, pos1: int, strand: str, length: int) -> tuple[str, str, int]:
    """(R2 host sequence, R1 host sequence, 1-based breakpoint) of a fragment of ``length`` host bases."""
    seq = genome[chrom]
    if strand == "+":
        frag = seq[pos1 - 1:pos1 - 1 + length].upper()
        return frag, rc(frag), pos1 + length - 1
    frag = seq[pos1 - length:pos1].upper()
    return rc(frag), frag, pos1 - length + 1


def clean(genome: dict, chrom: str, pos: int, flank: int = 3000) -> bool:
    seq = genome[chrom]
    if pos - flank < 0 or pos + flank > len(seq):
        return False
    win = seq[pos - flank:pos + flank]
    if "N" in win or any(c.islower() for c in win):
        return False
    dchrom, ds, de, tchrom, ts = DUP
    for c, s, e in ((dchrom, ds, de), (tchrom, ts, ts + de - ds)):
        if chrom == c and s - flank <= pos <= e + flank:
            return False
    return True


def draw_positions(rng, genome: dict, n: int, taken: list) -> list[tuple[str, int]]:
    chroms = sorted(genome)
    sizes = np.array([len(genome[c]) for c in chroms], dtype=float)
    out = []
    while len(out) < n:
        c = chroms[int(rng.choice(len(chroms), p=sizes / sizes.sum()))]
        p = int(rng.integers(3000, len(genome[c]) - 3000))
        if not clean(genome, c, p):
            continue
        if any(c == c2 and abs(p - p2) < 2000 for c2, p2 in taken + out):
            continue
        out.append((c, p))
    return out


def nearest_gene(genes, chrom: str, pos1: int) -> str:
    best = None
    p0 = pos1 - 1
    for t in genes:
        if t.chrom != chrom:
            continue
        d = 0 if t.start <= p0 < t.end else min(abs(p0 - t.start), abs(p0 - (t.end - 1)))
        key = (d, t.gene)
        if best is None or key < best:
            best = key
    return best[1] if best else ""


def frag_length(rng) -> int:
    return int(min(1500, 35 + rng.lognormal(np.log(140), 0.6)))


def fastq_gz(path: Path, records) -> None:
    buf = io.StringIO()
    for name, seq, qual in records:
        buf.write(f"@{name}\n{seq}\n+\n{qual}\n")
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode())


def generate(outdir: Path, ctx: dict) -> None:
    simulate(outdir / "integration", ctx)


def simulate(out: Path, ctx: dict, *, samples=SAMPLES, n_cells: int = CELLS, junk_factor: int = 1,
             n_undetermined: int = N_UNDETERMINED) -> None:
    """Write one run into ``out``; the defaults make test-data/integration (the benchmark scales them)."""
    rng = np.random.default_rng(ctx["seed"] + OFFSET)
    genome = ctx["genome"]
    genes = ctx["genes"]
    out.mkdir(parents=True, exist_ok=True)
    n_junk = {k: v * junk_factor for k, v in JUNK.items()}
    d = Design(rng, len(samples))

    # ---- clones ------------------------------------------------------------------------------------
    lmo2 = next(t for t in genes if t.gene == "LMO2")
    taken: list = []
    while True:  # LMO2 is on the minus strand: upstream (promoter side) = beyond its end
        p = int(rng.integers(lmo2.end + 300, lmo2.end + 3000))
        if clean(genome, lmo2.chrom, p) and nearest_gene(genes, lmo2.chrom, p) == "LMO2":
            break
    taken.append((lmo2.chrom, p))
    clones = [{"chrom": lmo2.chrom, "position": p, "strand": "+" if rng.random() < 0.5 else "-", "kind": "lmo2"}]
    for c, p in draw_positions(rng, genome, N_PERSISTENT + N_PRIVATE * len(samples), taken):
        clones.append({"chrom": c, "position": p, "strand": "+" if rng.random() < 0.5 else "-", "kind": "bg"})
    persistent = clones[1:1 + N_PERSISTENT]
    base_size = {id(c): float(rng.lognormal(0, 1.0)) for c in clones[1:]}
    for si, (name, _tp, _days, lmo2_frac) in enumerate(samples):
        private = clones[1 + N_PERSISTENT + si * N_PRIVATE:1 + N_PERSISTENT + (si + 1) * N_PRIVATE]
        present = persistent + private
        w = np.array([base_size[id(c)] * float(rng.lognormal(0, 0.3)) for c in present])
        bg_cells = n_cells - int(round(n_cells * lmo2_frac))
        cells = rng.multinomial(bg_cells, w / w.sum())
        for c in clones:
            c.setdefault("cells", [0] * len(samples))
            c.setdefault("frags", [0] * len(samples))
        clones[0]["cells"][si] = int(round(n_cells * lmo2_frac))
        for c, n in zip(present, cells):
            c["cells"][si] = int(n)
    for i, c in enumerate(sorted(clones[1:], key=lambda c: (c["chrom"], c["position"])), start=1):
        c["clone_id"] = f"IS{i:04d}"
    clones[0]["clone_id"] = "IS_LMO2"

    # ---- reads ---------------------------------------------------------------------------------------
    pairs = []  # (sample index or -1, class, r1, q1, r2, q2)
    truth = [dict.fromkeys(["unique", *n_junk], 0) for _ in samples]
    sites = [set() for _ in samples]
    used_umis: set = set()

    def new_umi() -> str:
        while True:
            u = rand_seq(rng, 12)
            if u not in used_umis:
                used_umis.add(u)
                return u

    def emit(si, cls, r2host, r1host, umi, *, r1_override=None, low_quality=False, n_reads=1):
        for _ in range(n_reads):
            # one substitution in long host parts only (a 35-nt read with an error may lose its seeds)
            h2 = mutate(rng, r2host[:R2_LEN - 34], 6) if rng.random() < 0.2 and len(r2host) >= 60 else r2host
            h1 = mutate(rng, r1host[:R1_LEN - 48], 6) if rng.random() < 0.2 and len(r1host) >= 60 else r1host
            s2 = d.r2(h2, umi)
            if rng.random() < 0.1:  # one substitution in the primer (tolerated)
                s2 = mutate(rng, s2[:20], 3) + s2[20:]
            s1 = r1_override if r1_override is not None else d.r1(h1, umi)
            q2 = HIGH_Q * len(s2) if not low_quality else HIGH_Q * 40 + LOW_Q * (len(s2) - 40)
            pairs.append((si, cls, s1, HIGH_Q * len(s1), s2, q2))
            truth[si][cls] += 1

    for si in range(len(samples)):
        for c in clones:
            n_frag = int(rng.binomial(c["cells"][si], P_FRAGMENT))
            c["frags"][si] = n_frag
            if n_frag:
                sites[si].add(c["clone_id"])
            for _ in range(n_frag):
                L = frag_length(rng)
                h2, h1, _bp = host_parts(genome, c["chrom"], c["position"], c["strand"], L)
                emit(si, "unique", h2, h1, new_umi(), n_reads=1 + int(rng.poisson(0.6)))
        # multihits: fragments inside the duplicated segment where both copies are identical
        sc, ss, se, tc, ts = DUP
        n = 0
        while n < n_junk["multihit"]:
            p = int(rng.integers(ss + 200, se - 400))
            L = int(rng.integers(60, 160))
            strand = "+" if rng.random() < 0.5 else "-"
            lo, hi = (p - 1, p - 1 + L) if strand == "+" else (p - L, p)
            a, b = genome[sc][lo - 20:hi + 20], genome[tc][lo - 20 - ss + ts:hi + 20 - ss + ts]
            if a.upper() != b.upper() or "N" in a.upper():
                continue
            h2, h1, _ = host_parts(genome, sc, p, strand, L)
            umi = new_umi()
            pairs.append((si, "multihit", d.r1(h1, umi), HIGH_Q * R1_LEN, d.r2(h2, umi), HIGH_Q * R2_LEN))
            truth[si]["multihit"] += 1
            n += 1
        for _ in range(n_junk["chimera"]):
            (c1, p1), (c2, p2) = draw_positions(rng, genome, 2, taken)
            while c2 == c1:
                (c2, p2), = draw_positions(rng, genome, 1, taken)
            h2, _, _ = host_parts(genome, c1, p1, "+", 150)
            _, h1, _ = host_parts(genome, c2, p2, "-", 150)
            emit(si, "chimera", h2, h1, new_umi())
        for k in range(n_junk["vector"]):
            umi = new_umi()
            if k % 2 == 0:  # internal vector: primer extends through the 5' LTR end into the vector
                L = int(rng.integers(80, 400))
                frag = d.internal[:L]
            else:  # plasmid backbone with an LTR-like priming
                s0 = int(rng.integers(0, len(d.backbone2) - 400))
                L = int(rng.integers(80, 400))
                frag = d.backbone2[s0:s0 + L]
            emit(si, "vector", frag, rc(frag), umi)
        for _ in range(n_junk["short"]):
            (c, p), = draw_positions(rng, genome, 1, taken)
            L = int(rng.integers(12, 26))
            h2, h1, _ = host_parts(genome, c, p, "+" if rng.random() < 0.5 else "-", L)
            emit(si, "short", h2, h1, new_umi())
        for _ in range(n_junk["no_linker"]):
            (c, p), = draw_positions(rng, genome, 1, taken)
            h2, h1, _ = host_parts(genome, c, p, "+", 300)
            while True:
                junk = rand_seq(rng, 48)
                if min_ham_window(junk + h1, d.link1, 0, 5) >= 6:
                    break
            emit(si, "no_linker", h2, h1, new_umi(), r1_override=(junk + h1)[:R1_LEN])
        for _ in range(n_junk["no_ltr"]):
            (c, p), = draw_positions(rng, genome, 1, taken)
            h2, h1, _ = host_parts(genome, c, p, "+", 300)
            umi = new_umi()
            s2 = (d.primer + h2)[:R2_LEN]
            if min_ham_window(s2, d.ltr_bit, 20, 25) < 4:
                continue
            pairs.append((si, "no_ltr", d.r1(h1, umi), HIGH_Q * R1_LEN, s2, HIGH_Q * R2_LEN))
            truth[si]["no_ltr"] += 1
        n = 0
        while n < n_junk["no_primer"]:
            s1, s2 = rand_seq(rng, R1_LEN), rand_seq(rng, R2_LEN)
            if min_ham_window(s2, d.primer, 0, 5) < 5:
                continue
            pairs.append((si, "no_primer", s1, HIGH_Q * R1_LEN, s2, HIGH_Q * R2_LEN))
            truth[si]["no_primer"] += 1
            n += 1
        for _ in range(n_junk["low_quality"]):
            (c, p), = draw_positions(rng, genome, 1, taken)
            h2, h1, _ = host_parts(genome, c, p, "-", 300)
            emit(si, "low_quality", h2, h1, new_umi(), low_quality=True)
    for _ in range(n_undetermined):
        s1, s2 = rand_seq(rng, R1_LEN), rand_seq(rng, R2_LEN)
        pairs.append((-1, "undetermined", s1, HIGH_Q * R1_LEN, s2, HIGH_Q * R2_LEN))

    # ---- barcodes, order, files ----------------------------------------------------------------------
    order = rng.permutation(len(pairs))
    i1_recs, r1_recs, r2_recs = [], [], []
    for n, k in enumerate(order, start=1):
        si, _cls, s1, q1, s2, q2 = pairs[int(k)]
        if si < 0:
            while True:
                bc = rand_seq(rng, 12)
                if all(ham(bc, b) >= 3 for b in d.barcodes):
                    break
        else:
            bc = d.barcodes[si]
            if rng.random() < 0.1:
                bc = mutate(rng, bc, 0)
        name = f"SIM:1:FCX:1:{1101 + n // 5000}:{n % 5000}:{n}"
        i1_recs.append((f"{name} 1:N:0:0", bc, HIGH_Q * 12))
        r1_recs.append((f"{name} 1:N:0:0", s1, q1))
        r2_recs.append((f"{name} 2:N:0:0", s2, q2))
    fastq_gz(out / "I1.fastq.gz", i1_recs)
    fastq_gz(out / "R1.fastq.gz", r1_recs)
    fastq_gz(out / "R2.fastq.gz", r2_recs)

    with open(out / "vector.fa", "w") as fh:
        fh.write(">pSIM-LV transfer plasmid (synthetic)\n")
        v = d.vector
        for i in range(0, len(v), 60):
            fh.write(v[i:i + 60] + "\n")
    (out / "samples.tsv").write_text(
        "sample\tsubject\ttimepoint\ttimepoint_days\tcell_type\tbarcode\n"
        + "".join(f"{n}\tPT01\t{tp}\t{days}\tPBMC\t{d.barcodes[i]}\n" for i, (n, tp, days, _) in enumerate(samples)))
    (out / "layout.yaml").write_text(
        "# read layout of the synthetic run (see docs/config/integration_reads.md)\n"
        f"primer: {d.primer}\nltr_bit: {d.ltr_bit}\nlinker: {d.link1}{'N' * 12}{d.link2}\n"
        "preset: tolerant  # the synthetic reads carry planted primer/linker substitutions\n"
        "barcode_max_mismatches: 1\nprimer_max_mismatches: 1\nltr_max_mismatches: 1\n"
        "linker_max_mismatch_rate: 0.1\nmin_genomic_length: 30\n")

    names = [s[0] for s in samples]
    header = ["clone_id", "chrom", "position", "strand", "nearest_gene"] + [f"cells_{n}" for n in names] + \
        [f"fragments_{n}" for n in names]
    chrom_order = {c: i for i, c in enumerate(genome)}
    rows = sorted(clones, key=lambda c: (chrom_order[c["chrom"]], c["position"], c["strand"]))
    with open(out / "truth_clones.tsv", "w") as fh:
        fh.write("\t".join(header) + "\n")
        for c in rows:
            if not any(c["cells"]):
                continue
            fh.write("\t".join([c["clone_id"], c["chrom"], str(c["position"]), c["strand"],
                                nearest_gene(genes, c["chrom"], c["position"])]
                               + [str(x) for x in c["cells"]] + [str(x) for x in c["frags"]]) + "\n")

    classes = ["unique", *n_junk]
    cols = ["sample"] + [f"n_{c}" for c in classes] + ["reads", "barcode", "qtrimmed", "primed", "ltr_verified",
                                                       "linker_found", "vector_filtered", "quality_filtered",
                                                       "aligned", "unique_aligned", "multihit", "unique_sites"]
    total = len(pairs)
    with open(out / "truth_attrition.tsv", "w") as fh:
        fh.write("\t".join(cols) + "\n")
        for si, name in enumerate(names):
            t = truth[si]
            bc = sum(t.values())
            qt = bc - t["low_quality"]
            pr = qt - t["no_primer"]
            lt = pr - t["no_ltr"]
            lk = lt - t["no_linker"]
            vf = lk - t["vector"]
            qf = vf - t["short"]
            aligned = qf  # every remaining pair aligns (unique, multihit or chimeric)
            vals = [t[c] for c in classes] + [total, bc, qt, pr, lt, lk, vf, qf, aligned, t["unique"],
                                              t["multihit"], len(sites[si])]
            fh.write("\t".join([name] + [str(v) for v in vals]) + "\n")
        fh.write("\t".join(["undetermined"] + ["0"] * len(classes) + [str(total), str(n_undetermined)]
                           + ["0"] * 10) + "\n")
