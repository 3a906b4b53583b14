"""Synthetic sequencing data: WGS-like alignments (edited vs control) and amplicon deep-sequencing reads.

Written to ``test-data/sequencing/`` by ``scripts/make_test_data.py`` (``generate(outdir, ctx)``,
``outdir`` = the test-data root) or stand-alone (``python scripts/testdata/sequencing.py``, which
reads ``test-data/genome`` and ``test-data/offtarget``). Everything is drawn from
``numpy.random.default_rng(seed + 1000)``; re-running gives byte-identical files.

Alignments are simulated, not aligned: every simulated base knows its reference origin, so CIGARs,
split (supplementary, ``SA`` tag) alignments, discordant mates, duplicates (0x400) and secondary
records (0x100, in the duplicated segment) follow from the molecule. MD/NM are not stored (NM only
inside ``SA``). Files are CRAM 3.0 against ``test-data/genome/ref.fa`` (a 2 Mb genome at 30x does
not fit the 8 MB budget as BAM); open them with ``reference_filename=ref.fa``.

Outputs (coordinates: ``start``/``cut``/``pos1``/``pos2`` 0-based, ``pos`` of VCF-like tables 1-based):

* ``wgs_edited.cram`` / ``wgs_control.cram`` (+ ``.crai``): samples ``EDITED_D1`` / ``CONTROL_D1``,
  2x150, insert 350 +- 50, ~30x, MAPQ 60 (low in repeated 31-mers, 0.3 % random low MAPQ),
  ~0.18 %/base substitution errors (higher at read ends), NovaSeq-binned qualities, 3 % duplicates.
  Both carry the same germline variants (``truth_germline.tsv``; the donor.vcf variants included).
  The edited sample carries at each site with ``wgs_edit_freq > 0`` a spectrum of 1-bp insertions
  and 1-20 bp deletions centred on the cut (``truth_edited_variants.tsv``), a ~3 kb deletion at
  the top on-target in 5 % of alleles and a reciprocal translocation between that on-target and
  the top off-target (OT1) in 2 % (``truth_sv.tsv``).
* ``amplicons.tsv``: ``amplicon site_id chrom start end sequence guide cut_offset`` (start 0-based,
  end exclusive, + strand; ``guide`` = guide name; ``cut_offset`` = 0-based index in ``sequence``
  of the base right of the cut).
* ``amplicon/<sample>.<amplicon>.fastq.gz``: 2,000 single-end full-length reads per sample and
  amplicon; edited sample at the planted frequency, both with 0.1 % reads carrying a random
  sequencing-error 1-bp indel.
* ``truth_sites.tsv``: per planted site the planted frequencies and the simulated read counts:
  ``wgs_<S>_edited/unedited/sv`` count primary non-duplicate reads that contain the reference
  bases ``cut-15`` and ``cut+14`` (edited = carrying a planted small indel; sv = reads of a
  large-deletion/translocation allele containing one of the two anchors), ``amplicon_<S>_edited``
  / ``_unedited`` / ``_error_indel`` count amplicon reads (``_error_indel``: reads with a
  simulated sequencing-error indel anywhere; they are counted as unedited).
* ``truth_germline.tsv``: ``chrom pos ref alt genotype source near_site`` (VCF-style, 1-based,
  left-normalised indels with an anchor base).
* ``truth_edited_variants.tsv``: every planted indel outcome, VCF-style, with ``expected_vaf`` and
  the simulated alt-read count in the edited sample.
* ``truth_sv.tsv``: ``type chrom1 pos1 chrom2 pos2 size frequency ...``: DEL: ``pos1`` first
  deleted base, ``pos2`` first base after the deletion; TRA: ``chrom1`` left of ``pos1`` is joined
  to ``chrom2`` from ``pos2`` on (and reciprocally ``chrom2`` left of ``pos2`` to ``chrom1`` from
  ``pos1``); ``frequency`` = fraction of alleles at the breakpoint.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT / "src", ROOT / "scripts"):  # stand-alone run (benchmarks) without an installed package
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from testdata import cnv as cnv_truth  # noqa: E402
from testdata.simulate import (  # noqa: E402
    LETTERS,
    Event,
    EventIndex,
    add_errors,
    align_read,
    build_molecule,
    cigar_string,
    decode,
    encode,
    kmer_repeats,
    segment_nm,
)

SEED_OFFSET = 1000
READ_LEN = 150
INSERT_MEAN, INSERT_SD, INSERT_MIN, INSERT_MAX = 350, 50, 200, 600
COVERAGE = 30.0
DUP_RATE = 0.03
RANDOM_LOW_MAPQ = 0.003
PROPER_MAX_TLEN = 1000
SV_DEL_FREQ = 0.05
SV_TRA_FREQ = 0.02
AMP_READS = 2000
AMP_ERROR_INDEL = 0.001
ANCHOR = 15  # a read "spans" a site when it contains reference bases cut-15 and cut+14
SNV_PER_BP = 1 / 1000
INDEL_PER_BP = 1 / 10000
SAMPLES = (("EDITED_D1", "edited", "wgs_edited"), ("CONTROL_D1", "control", "wgs_control"))
LOW_MAPQS = (0, 0, 0, 0, 1, 3, 6, 12, 23, 27)


# --------------------------------------------------------------------------------------------
# planted edits


def _left_norm_del(seq: np.ndarray, p: int, d: int) -> int:
    while p > 0 and seq[p - 1] == seq[p + d - 1]:
        p -= 1
    return p


def _left_norm_ins(seq: np.ndarray, p: int, ins: np.ndarray) -> tuple[int, np.ndarray]:
    ins = ins.copy()
    while p > 0 and seq[p - 1] == ins[-1]:
        ins = np.r_[ins[-1:], ins[:-1]]
        p -= 1
    return p, ins


def edit_outcomes(rng, ref: np.ndarray, contig: str, cut: int, strand: str) -> list[tuple[Event, float]]:
    """Indel spectrum at a cut: a templated 1-bp insertion and 1-20 bp deletions spanning the cut."""
    out: dict[Event, float] = {}
    base = ref[cut - 1] if strand == "+" else ref[cut]
    p, ins = _left_norm_ins(ref, cut, np.array([base], dtype=np.uint8))
    out[Event(contig, p, "ins", alt=decode(ins))] = 0.35
    lengths = [1] + sorted(int(x) for x in rng.choice(np.arange(2, 21), size=5, replace=False))
    weights = [0.15, 0.14, 0.12, 0.10, 0.08, 0.06]
    for d, w in zip(lengths, weights):
        a = int(rng.integers(0, d + 1))
        p = _left_norm_del(ref, cut - a, d)
        e = Event(contig, p, "del", length=d)
        out[e] = out.get(e, 0.0) + w
    total = sum(out.values())
    return sorted(((e, w / total) for e, w in out.items()), key=lambda x: (-x[1], x[0]))


def vcf_of(ref_seqs: dict[str, np.ndarray], e: Event) -> tuple[int, str, str]:
    """1-based VCF position, REF, ALT of an event (anchor base before indels)."""
    s = ref_seqs[e.contig]
    if e.kind == "snv":
        return e.pos + 1, decode(s[e.pos:e.pos + 1]), e.alt
    anchor = decode(s[e.pos - 1:e.pos])
    if e.kind == "del":
        return e.pos, anchor + decode(s[e.pos:e.pos + e.length]), anchor
    return e.pos, anchor, anchor + e.alt


class Locus:
    """An edited site: allele probabilities and their events (for the edited sample)."""

    def __init__(self, site: dict, outcomes: list[tuple[Event, float]], freq: float):
        self.site = site
        self.chrom = site["chrom"]
        self.cut = int(site["cut_start"])
        self.freq = freq
        self.outcomes = outcomes
        self.alleles: list[tuple[str, float, list[Event]]] = [
            (f"indel{i}", freq * w, [e]) for i, (e, w) in enumerate(outcomes)
        ]
        self.zone = (self.cut - 40, self.cut + 40)
        self.drop: dict[str, tuple[int, int]] = {}  # allele -> reference interval with no molecule

    def add_sv(self, label: str, prob: float, events: list[Event], zone: tuple[int, int],
               drop: tuple[int, int] | None = None) -> None:
        self.alleles.append((label, prob, events))
        self.zone = (min(self.zone[0], zone[0]), max(self.zone[1], zone[1]))
        if drop:
            self.drop[label] = drop

    def draw(self, u: float) -> tuple[str, list[Event]]:
        acc = 0.0
        for label, p, events in self.alleles:
            acc += p
            if u < acc:
                return label, events
        return "wt", []


# --------------------------------------------------------------------------------------------
# germline variants


def make_germline(rng, ref: dict[str, np.ndarray], planted: list[dict], avoid: list[tuple[str, int, int]],
                  donor: list[tuple[str, int, str, str]]):
    """Germline SNVs and small indels (het/hom) shared by both samples; some close to planted sites."""
    variants = []  # (Event, genotype, source, near_site)
    taken: dict[str, list[tuple[int, int]]] = {c: [] for c in ref}

    def free(c, a, b):
        return all(b + 40 <= x or y + 40 <= a for x, y in taken[c])

    def clean(c, a, b):
        s = ref[c]
        return a >= 500 and b <= len(s) - 500 and not (s[a - 50:b + 50] == 4).any()

    for c, p, r, a in donor:  # the donor.vcf variants (het), as found in the donor's cells
        e = Event(c, p - 1, "snv", alt=a)
        variants.append((e, "0/1", "donor_vcf", ""))
        taken[c].append((p - 1, p))
    for c, a, b in avoid:
        taken[c].append((a, b))
    cuts = [(s["chrom"], int(s["cut_start"]), s["site_id"]) for s in planted]
    # near-site SNVs (25-35 bp from the cut, outside planted deletions) and small deletions (50-70 bp)
    near = [s for s in planted if s["category"] in ("on_target", "mismatch")]
    for i, s in enumerate(near):
        c, cut = s["chrom"], int(s["cut_start"])
        side = 1 if i % 2 == 0 else -1
        if i % 3 == 2:
            d = 2
            p = cut + side * int(rng.integers(50, 71))
            p = _left_norm_del(ref[c], p, d)
            if clean(c, p, p + d) and free(c, p, p + d):
                variants.append((Event(c, p, "del", length=d), "0/1", "simulated", s["site_id"]))
                taken[c].append((p, p + d))
        else:
            p = cut + side * int(rng.integers(25, 36))
            if clean(c, p, p + 1) and free(c, p, p + 1):
                alt = "ACGT"[(int(ref[c][p]) + int(rng.integers(1, 4))) % 4]
                gt = "1/1" if i % 4 == 0 else "0/1"
                variants.append((Event(c, p, "snv", alt=alt), gt, "simulated", s["site_id"]))
                taken[c].append((p, p + 1))
    for c in cuts:  # elsewhere keep 60 bp from every cut
        taken[c[0]].append((c[1] - 60, c[1] + 60))
    for c, s in ref.items():
        n_snv = int(round(len(s) * SNV_PER_BP))
        n_indel = int(round(len(s) * INDEL_PER_BP))
        kinds = ["snv"] * n_snv + ["indel"] * n_indel
        positions = rng.integers(500, len(s) - 500, size=len(kinds))
        for kind, p in zip(kinds, positions):
            p = int(p)
            gt = "1/1" if rng.random() < 0.35 else "0/1"
            if kind == "snv":
                if s[p] == 4 or not clean(c, p, p + 1) or not free(c, p, p + 1):
                    continue
                alt = "ACGT"[(int(s[p]) + int(rng.integers(1, 4))) % 4]
                e = Event(c, p, "snv", alt=alt)
                span = (p, p + 1)
            else:
                d = int(min(8, rng.geometric(0.45)))
                if rng.random() < 0.5:
                    p2 = _left_norm_del(s, p, d)
                    e = Event(c, p2, "del", length=d)
                    span = (p2, p2 + d)
                else:
                    ins = rng.integers(0, 4, size=d).astype(np.uint8)
                    p2, ins = _left_norm_ins(s, p, ins)
                    e = Event(c, p2, "ins", alt=decode(ins))
                    span = (p2, p2 + 1)
                if not clean(c, *span) or not free(c, span[0] - 5, span[1] + 5):
                    continue
            variants.append((e, gt, "simulated", ""))
            taken[c].append(span)
    variants.sort(key=lambda v: (list(ref).index(v[0].contig), v[0].pos, v[0].kind))
    return variants


# --------------------------------------------------------------------------------------------
# WGS simulation


class Genome:
    def __init__(self, genome: dict[str, str]):
        self.names = list(genome)
        self.tid = {c: i for i, c in enumerate(self.names)}
        self.ref = {c: encode(s) for c, s in genome.items()}
        self.lengths = {c: len(s) for c, s in self.ref.items()}
        self.md5 = {c: hashlib.md5(s.upper().encode()).hexdigest() for c, s in genome.items()}
        rep = kmer_repeats(self.ref)
        self.rep_cum = {}
        self.other = {}
        for c, (r, ot, op) in rep.items():
            self.rep_cum[c] = np.r_[0, np.cumsum(r)]
            self.other[c] = (ot, op)

    def repeat_fraction(self, c: str, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        cum = self.rep_cum[c]
        m = len(cum) - 1
        a = np.clip(start, 0, m)
        b = np.clip(end - 30, 0, m)
        n = np.maximum(b - a, 1)
        return (cum[b] - cum[a]) / n


def mapq_for(rng, frac: np.ndarray) -> np.ndarray:
    q = np.full(len(frac), 60, dtype=np.int64)
    rep = frac >= 0.5
    q[rep] = np.asarray(LOW_MAPQS)[rng.integers(0, len(LOW_MAPQS), size=int(rep.sum()))]
    rnd = rng.random(len(frac)) < RANDOM_LOW_MAPQ
    q[rnd & ~rep] = rng.integers(1, 20, size=int((rnd & ~rep).sum()))
    return q


class Records:
    """Alignment records of one sample, sorted at the end by (tid, pos, name, flag)."""

    def __init__(self):
        self.rows: list[tuple] = []  # (tid, pos, name_id, flag, mapq, cigar, mtid, mpos, tlen, seq, qual, tags)

    def add(self, *row):
        self.rows.append(row)


def _fragment_lengths(rng, n):
    return np.clip(np.round(rng.normal(INSERT_MEAN, INSERT_SD, size=n)), INSERT_MIN, INSERT_MAX).astype(np.int64)


def simulate_wgs(rng, g: Genome, germ_events_by_hap: list[list[Event]], loci: list[Locus], edited: bool,
                 planted: list[dict], coverage: float = COVERAGE, cnv_events=(), cnv_rng=None):
    """Return (records, per-site counts, per-outcome alt counts, sv support counts). ``cnv_events``: planted
    copy-number events (``scripts/testdata/cnv.py``), drawn from ``cnv_rng``."""
    recs = Records()
    site_cuts = [(s["chrom"], int(s["cut_start"])) for s in planted]
    counts = {i: {"edited": 0, "unedited": 0, "sv": 0} for i in range(len(planted))}
    outcome_reads: dict[Event, int] = {}
    sv_support = {"DEL": [0, 0, 0], "TRA": [0, 0, 0]}  # fragments, split reads, discordant pairs
    name_id = 0
    cnv_name_id = 1 << 36  # read names of the fragments of gained copies (scripts/testdata/cnv.py)
    site_by_tid: dict[int, list[int]] = {}
    locus_at: dict[int, Locus] = {}
    for i, (cc, cut) in enumerate(site_cuts):
        site_by_tid.setdefault(g.tid[cc], []).append(i)
        for lc in loci:
            if lc.chrom == cc and lc.cut == cut:
                locus_at[i] = lc
    for h in (0, 1):
        hap_ref = {c: s.copy() for c, s in g.ref.items()}
        indels = []
        for e in germ_events_by_hap[h]:
            if e.kind == "snv":
                hap_ref[e.contig][e.pos] = encode(e.alt)[0]
            else:
                indels.append(e)
        germ_index_events = indels
        for c in g.names:
            L = g.lengths[c]
            hs = hap_ref[c]
            ncum = np.r_[0, np.cumsum(hs == 4)]
            n = int(round(L * coverage / 2 / (2 * READ_LEN)))
            fl = _fragment_lengths(rng, n)
            st = (rng.random(n) * np.maximum(L - fl + 1, 1)).astype(np.int64)
            orient = rng.random(n) < 0.5  # True: R1 is the left (forward) read
            dup = rng.random(n) < DUP_RATE
            lost = np.zeros(n, dtype=bool)
            extra = None
            batches = [(rng, fl, st, orient, dup, lost)]
            if cnv_events:  # copy-number events: their own generator, so the main stream is unchanged
                lost, extra = cnv_truth.plan(cnv_rng, cnv_events, c, h, L, coverage, READ_LEN, _fragment_lengths,
                                             st, DUP_RATE)
                batches = [(rng, fl, st, orient, dup, lost)]
                if extra is not None:
                    batches.append((cnv_rng, *extra, np.zeros(extra[0].size, dtype=bool)))
            for rng_b, fl, st, orient, dup, lost in batches:
                if rng_b is not rng:  # gained copies: names from their own range (the others keep theirs)
                    main_name_id, name_id = name_id, cnv_name_id
                n = st.size
                ok = (st + fl <= L) & (ncum[np.minimum(st + fl, L)] - ncum[st] == 0)
                # zones needing the slow path
                zones = [(e.pos - 2, e.pos + e.length + 2) for e in germ_index_events if e.contig == c]
                zones += [lc.zone for lc in loci if lc.chrom == c]
                slow = np.zeros(n, dtype=bool)
                if zones:
                    zs = np.array(sorted(zones))
                    merged = [list(zs[0])]
                    for a, b in zs[1:]:
                        if a <= merged[-1][1]:
                            merged[-1][1] = max(merged[-1][1], b)
                        else:
                            merged.append([a, b])
                    mz = np.array(merged)
                    j = np.searchsorted(mz[:, 0], st + fl, side="left") - 1
                    slow = (j >= 0) & (mz[np.maximum(j, 0), 1] > st)
                fast = ok & ~slow
                # ---------- fast path: contiguous 150M reads
                fidx = np.nonzero(fast)[0]
                reps = np.where(dup[fidx], 2, 1)
                fidx = np.repeat(fidx, reps)
                isdup = np.zeros(len(fidx), bool)
                isdup[1:] = fidx[1:] == fidx[:-1]
                s0 = st[fidx]
                e0 = s0 + fl[fidx]
                ids = name_id + np.arange(len(fidx))  # a duplicate is another molecule: its own name
                name_id += len(fidx)
                ar = np.arange(READ_LEN)
                left = hs[s0[:, None] + ar[None, :]]
                right = hs[(e0 - READ_LEN)[:, None] + ar[None, :]]
                o = orient[fidx]
                # errors in cycle order: the reverse read's cycles run right-to-left
                lq_codes, lq = add_errors(rng_b, left)
                rc_codes, rq = add_errors(rng_b, right[:, ::-1])
                rc_codes, rq = rc_codes[:, ::-1], rq[:, ::-1]
                fr_l = g.repeat_fraction(c, s0, s0 + READ_LEN)
                fr_r = g.repeat_fraction(c, e0 - READ_LEN, e0)
                mq_l = mapq_for(rng_b, fr_l)
                mq_r = mapq_for(rng_b, fr_r)
                tid = g.tid[c]
                tlen = e0 - s0
                ot, op = g.other[c]
                for k in range(len(fidx)):
                    if lost[fidx[k]]:  # a fragment of a lost homolog (its random draws were made above)
                        continue
                    r1_left = bool(o[k])
                    base_l = 0x1 | 0x2 | 0x20 | (0x40 if r1_left else 0x80)
                    base_r = 0x1 | 0x2 | 0x10 | (0x80 if r1_left else 0x40)
                    if isdup[k]:
                        base_l |= 0x400
                        base_r |= 0x400
                    sl, sr = int(s0[k]), int(e0[k]) - READ_LEN
                    t = int(tlen[k])
                    recs.add(tid, sl, int(ids[k]), base_l, int(mq_l[k]), f"{READ_LEN}M", tid, sr, t,
                             lq_codes[k], lq[k], None)
                    recs.add(tid, sr, int(ids[k]), base_r, int(mq_r[k]), f"{READ_LEN}M", tid, sl, -t,
                             rc_codes[k], rq[k], None)
                    for flag, mq, pos in ((base_l, mq_l[k], sl), (base_r, mq_r[k], sr)):
                        if mq == 0 and ot[pos] >= 0:
                            oc = g.names[int(ot[pos])]
                            opos = int(op[pos])
                            if opos + READ_LEN <= g.lengths[oc]:
                                recs.add(int(ot[pos]), opos, int(ids[k]), (flag | 0x100) & ~0x2, 0, f"{READ_LEN}M",
                                         tid, sr if pos == sl else sl, 0, None, None, None)
                # counts at planted sites for fast reads (never overlaps an edited locus zone)
                for i, (cc, cut) in enumerate(site_cuts):
                    if cc != c:
                        continue
                    keep = ~isdup & ~lost[fidx]
                    a, b = cut - ANCHOR, cut + ANCHOR - 1
                    span_l = (s0 <= a) & (s0 + READ_LEN > b)
                    span_r = (e0 - READ_LEN <= a) & (e0 > b)
                    counts[i]["unedited"] += int((keep & span_l).sum() + (keep & span_r).sum())
                # ---------- slow path: molecules through the event index
                sidx = np.nonzero(ok & slow)[0]
                my_loci = [lc for lc in loci if lc.chrom == c]
                for k in sidx:
                    s, f = int(st[k]), int(fl[k])
                    chosen: dict[int, str] = {}
                    evs = list(germ_index_events)
                    dropped = False
                    for li, lc in enumerate(my_loci):
                        if lc.zone[1] <= s or lc.zone[0] >= s + f:
                            continue
                        if not edited:
                            chosen[id(lc)] = "wt"
                            continue
                        label, aevs = lc.draw(rng_b.random())
                        chosen[id(lc)] = label
                        if label in lc.drop and lc.drop[label][0] <= s < lc.drop[label][1]:
                            dropped = True
                        for e in aevs:
                            if e.kind == "del" and e.pos <= s < e.pos + e.length:
                                dropped = True
                        evs += aevs
                    if dropped:
                        continue
                    mol = build_molecule(hap_ref, g.tid, EventIndex(evs), c, s, length=f)
                    if mol is None or len(mol.codes) < f:
                        continue
                    copies = 2 if dup[k] else 1
                    sink = bool(lost[k])  # lost homolog: draws as usual, records and counts discarded
                    for copy in range(copies):
                        fid = name_id
                        name_id += 1
                        _emit_slow_pair(rng_b, Records() if sink else recs, g, mol, bool(orient[k]), copy == 1, fid,
                                        {"DEL": [0, 0, 0], "TRA": [0, 0, 0]} if sink else sv_support)
                        if copy == 1 or sink:
                            continue
                        # truth counts at planted sites (primary reads of the original molecule)
                        for part in (slice(0, READ_LEN), slice(f - READ_LEN, f)):
                            tids, poss = mol.tids[part], mol.poss[part]
                            aligned = poss >= 0
                            junction = bool((tids != tids[0]).any()) or bool((np.diff(poss[aligned]) > 50).any())
                            for t in np.unique(tids).tolist():
                                on_t = aligned & (tids == t)
                                lo, hi = int(poss[on_t].min()), int(poss[on_t].max())
                                for i in site_by_tid.get(t, ()):
                                    cut = site_cuts[i][1]
                                    if cut + ANCHOR - 1 < lo or cut - ANCHOR > hi:
                                        continue
                                    has_a = bool((on_t & (poss == cut - ANCHOR)).any())
                                    has_b = bool((on_t & (poss == cut + ANCHOR - 1)).any())
                                    if not (has_a or has_b):
                                        continue
                                    lc = locus_at.get(i)
                                    label = chosen.get(id(lc), "wt") if lc is not None else "wt"
                                    if has_a and has_b:
                                        if label.startswith("indel"):
                                            counts[i]["edited"] += 1
                                            ev = lc.outcomes[int(label[5:])][0]
                                            outcome_reads[ev] = outcome_reads.get(ev, 0) + 1
                                        else:
                                            counts[i]["unedited"] += 1
                                    elif junction:
                                        counts[i]["sv"] += 1
            if extra is not None:
                cnv_name_id, name_id = name_id, main_name_id
    return recs, counts, outcome_reads, sv_support


def _emit_slow_pair(rng, recs: Records, g: Genome, mol, r1_left: bool, is_dup: bool, fid: int, sv_support):
    f = len(mol.codes)
    parts = [(slice(0, READ_LEN), False), (slice(f - READ_LEN, f), True)]
    reads = []
    for part, reverse in parts:
        codes = mol.codes[part]
        if reverse:
            cc, qq = add_errors(rng, codes[::-1])
            cc, qq = cc[::-1], qq[::-1]
        else:
            cc, qq = add_errors(rng, codes)
        segs = align_read(mol.tids[part], mol.poss[part])
        reads.append((cc, qq, segs, reverse))
    # support of structural junctions (original molecules only)
    if not is_dup:
        tset = set(np.unique(mol.tids).tolist())
        big_gap = bool(((np.diff(mol.poss[mol.poss >= 0]) > 50)).any())
        if len(tset) > 1 or big_gap:
            kind = "TRA" if len(tset) > 1 else "DEL"
            sv_support[kind][0] += 1
            sv_support[kind][1] += sum(1 for r in reads if len(r[2]) > 1)
            prim = [max(r[2], key=lambda s: s.aligned) if r[2] else None for r in reads]
            if prim[0] and prim[1] and (prim[0].tid != prim[1].tid or prim[1].ref_end - prim[0].ref_start > PROPER_MAX_TLEN):
                sv_support[kind][2] += 1
    prims = []
    for cc, qq, segs, reverse in reads:
        if not segs:
            prims.append(None)
            continue
        order = sorted(range(len(segs)), key=lambda i: (-segs[i].aligned, i))
        prims.append(segs[order[0]])
    p_l, p_r = prims
    # mapping qualities per segment
    for idx, (cc, qq, segs, reverse) in enumerate(reads):
        mate = prims[1 - idx]
        me = prims[idx]
        base = 0x1 | (0x10 if reverse else 0) | (0x20 if not reverse else 0)
        base |= 0x40 if (idx == 0) == r1_left else 0x80
        if is_dup:
            base |= 0x400
        if me is None:  # unmapped read placed at its mate
            if mate is None:
                continue
            recs.add(mate.tid, mate.ref_start, fid, base | 0x4, 0, None, mate.tid, mate.ref_start, 0, cc, qq, None)
            continue
        if mate is None:
            base |= 0x8
        proper = (mate is not None and me.tid == mate.tid and p_l.ref_start <= p_r.ref_start
                  and p_r.ref_end - p_l.ref_start <= PROPER_MAX_TLEN)
        if proper:
            base |= 0x2
        tlen = 0
        if mate is not None and me.tid == mate.tid:
            lo = min(me.ref_start, mate.ref_start)
            hi = max(me.ref_end, mate.ref_end)
            tlen = hi - lo
            if not (me.ref_start < mate.ref_start or (me.ref_start == mate.ref_start and idx == 0)):
                tlen = -tlen
        mtid = mate.tid if mate is not None else me.tid
        mpos = mate.ref_start if mate is not None else me.ref_start
        mqs = []
        for s in segs:
            frac = g.repeat_fraction(g.names[s.tid], np.array([s.ref_start]), np.array([s.ref_end]))
            mqs.append(int(mapq_for(rng, frac)[0]))
        sa_entries = []
        for s, mq in zip(segs, mqs):
            nm = segment_nm(s, cc, g.ref[g.names[s.tid]])
            sa_entries.append(f"{g.names[s.tid]},{s.ref_start + 1},{'-' if reverse else '+'},"
                              f"{cigar_string(s, len(cc), 'S')},{mq},{nm};")
        for j, (s, mq) in enumerate(zip(segs, mqs)):
            is_prim = s is me
            tags = None
            if len(segs) > 1:
                tags = "".join(e for i2, e in enumerate(sa_entries) if i2 != j)
            if is_prim:
                recs.add(s.tid, s.ref_start, fid, base, mq, cigar_string(s, len(cc), "S"), mtid, mpos, tlen, cc, qq, tags)
            else:
                recs.add(s.tid, s.ref_start, fid, (base | 0x800) & ~0x2, mq, cigar_string(s, len(cc), "H"), mtid, mpos,
                         tlen, cc[s.q_start:s.q_end], qq[s.q_start:s.q_end], tags)


def write_cram(path: Path, ref_fa: Path, g: Genome, sample: str, recs: Records) -> None:
    import pysam

    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        # M5 = MD5 of the upper-cased sequence (SAM spec); UR relative to the repository root so
        # that the file does not depend on where it was generated
        "SQ": [{"SN": c, "LN": g.lengths[c], "M5": g.md5[c], "UR": "test-data/genome/ref.fa"} for c in g.names],
        "RG": [{"ID": sample, "SM": sample, "LB": f"{sample}_lib1", "PL": "ILLUMINA", "PU": f"{sample}.L001"}],
        "PG": [{"ID": "cgtsafe-testdata", "PN": "scripts/testdata/sequencing.py",
                "DS": "simulated alignments (origin-derived CIGARs; no aligner)"}],
    }
    rows = recs.rows
    order = sorted(range(len(rows)), key=lambda i: (rows[i][0], rows[i][1], rows[i][2], rows[i][3]))
    tmp = path.with_name(path.name + ".tmp")
    # The reference is given to htslib through REF_PATH (files named by M5), not as a file name:
    # with a file name htslib writes its absolute path into @SQ UR, and the bytes would depend on
    # where the data were generated.
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as refdir:
        for c in g.names:
            Path(refdir, g.md5[c]).write_bytes(LETTERS[g.ref[c]].tobytes())
        saved = {k: os.environ.get(k) for k in ("REF_PATH", "REF_CACHE")}
        os.environ["REF_PATH"] = os.path.join(refdir, "%s")
        os.environ.pop("REF_CACHE", None)
        try:
            with pysam.AlignmentFile(str(tmp), "wc", header=header) as out:
                h = out.header
                for i in order:
                    tid, pos, nid, flag, mq, cigar, mtid, mpos, tlen, seq, qual, tags = rows[i]
                    a = pysam.AlignedSegment(h)
                    a.query_name = f"r{nid:x}"
                    a.flag = flag
                    a.reference_id = tid
                    a.reference_start = pos
                    a.mapping_quality = mq
                    if cigar is not None:
                        a.cigarstring = cigar
                    a.next_reference_id = mtid
                    a.next_reference_start = mpos
                    a.template_length = tlen
                    if seq is not None:
                        a.query_sequence = LETTERS[seq].tobytes().decode()
                        a.query_qualities_str = (qual + 33).astype(np.uint8).tobytes().decode()
                    a.set_tag("RG", sample)
                    if tags:
                        a.set_tag("SA", tags)
                    out.write(a)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    # the CRAM file definition (bytes 6-25) holds a file id that htslib fills with the path written
    # to; replace it by the final file name so that the bytes do not depend on the output directory
    with open(tmp, "r+b") as fh:
        assert fh.read(4) == b"CRAM"
        fh.seek(6)
        fh.write(path.name.encode()[:20].ljust(20, b"\0"))
    tmp.replace(path)
    idx = Path(str(path) + ".crai")
    if idx.exists():
        idx.unlink()
    pysam.index(str(path))


# --------------------------------------------------------------------------------------------
# amplicons


def make_amplicons(rng, g: Genome, planted: list[dict]):
    amps = []
    for s in planted:
        if str(s.get("amplicon", "0")) != "1":
            continue
        c, cut = s["chrom"], int(s["cut_start"])
        ref = g.ref[c]
        for _ in range(100):
            left = int(rng.integers(100, 141))
            length = int(rng.integers(240, 261))
            a, b = cut - left, cut - left + length
            if a >= 0 and b <= len(ref) and not (ref[a:b] == 4).any():
                break
        else:  # pragma: no cover - planted sites are not next to gaps
            raise RuntimeError(f"no amplicon fits around {s['site_id']}")
        name = f"AMP_{s['site_id'].split(':')[0]}_{c}_{cut}"
        amps.append({"amplicon": name, "site_id": s["site_id"], "chrom": c, "start": a, "end": b,
                     "sequence": decode(ref[a:b]), "guide": s["guide"], "cut_offset": cut - a})
    return amps


def simulate_amplicon(rng, g: Genome, amp: dict, hap_events: list[list[Event]], locus: Locus | None,
                      freq: float, edited: bool):
    c, a, b = amp["chrom"], amp["start"], amp["end"]
    haps = []
    for h in (0, 1):
        seqs = {c: g.ref[c].copy()}
        evs = []
        for e in hap_events[h]:
            if e.contig != c or not (a <= e.pos < b):
                continue
            if e.kind == "snv":
                seqs[c][e.pos] = encode(e.alt)[0]
            else:
                evs.append(e)
        haps.append((seqs, evs))
    buf = io.BytesIO()
    n_edit = n_err = 0
    for i in range(AMP_READS):
        h = int(rng.integers(0, 2))
        seqs, evs = haps[h]
        evs = list(evs)
        is_edit = edited and locus is not None and rng.random() < freq
        if is_edit:
            w = np.array([x[1] for x in locus.outcomes])
            j = int(rng.choice(len(w), p=w / w.sum()))
            evs.append(locus.outcomes[j][0])
            n_edit += 1
        mol = build_molecule(seqs, {c: 0}, EventIndex(evs), c, a, stop=b)
        codes = mol.codes
        if rng.random() < AMP_ERROR_INDEL:
            n_err += 1
            p = int(rng.integers(10, len(codes) - 10))
            if rng.random() < 0.5:
                codes = np.r_[codes[:p], codes[p + 1:]]
            else:
                codes = np.r_[codes[:p], rng.integers(0, 4, size=1).astype(np.uint8), codes[p:]]
        cc, qq = add_errors(rng, codes)
        name = f"{amp['sample']}.{amp['amplicon']}.{i + 1:05d}"
        buf.write(f"@{name}\n".encode() + LETTERS[cc].tobytes() + b"\n+\n" + (qq + 33).astype(np.uint8).tobytes() + b"\n")
    return buf.getvalue(), n_edit, n_err


def _write_gz(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=9) as gz:
        gz.write(data)
    tmp.replace(path)


def _write_tsv(path: Path, header: list[str], rows: list[list]) -> None:
    def fmt(x):
        if x is None:
            return ""
        if isinstance(x, float):
            return f"{x:.6g}"
        return str(x)

    path.write_text("\t".join(header) + "\n" + "".join("\t".join(fmt(x) for x in r) + "\n" for r in rows))


def _read_donor(path: Path):
    out = []
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        f = line.split("\t")
        if len(f[3]) == 1 and len(f[4]) == 1:
            out.append((f[0], int(f[1]), f[3], f[4]))
    return out


# --------------------------------------------------------------------------------------------


def generate(outdir: Path, ctx: dict) -> None:
    """Write ``outdir/sequencing`` (see the module docstring). Optional ctx keys for tests and
    benchmarks: ``coverage`` (WGS depth, default 30), ``amplicons`` (default True)."""
    outdir = Path(outdir)
    sdir = outdir / "sequencing"
    (sdir / "amplicon").mkdir(parents=True, exist_ok=True)
    ref_fa = outdir / "genome" / "ref.fa"
    rng = np.random.default_rng(int(ctx["seed"]) + SEED_OFFSET)
    g = Genome(ctx["genome"])
    planted = list(ctx["planted"])

    # edited loci and their allele spectra
    loci: list[Locus] = []
    for s in planted:
        f = float(s["wgs_edit_freq"] or 0)
        if f > 0:
            c, cut = s["chrom"], int(s["cut_start"])
            loci.append(Locus(s, edit_outcomes(rng, g.ref[c], c, cut, s["strand"]), f))
    on = max((lc for lc in loci if lc.site["category"] == "on_target"), key=lambda x: (x.freq, x.site["site_id"]))
    ot1 = max((lc for lc in loci if lc.site["category"] != "on_target"), key=lambda x: (x.freq, x.site["site_id"]))
    left = int(rng.integers(1000, 1601))
    dlen = int(rng.integers(2800, 3301))
    dstart = on.cut - left
    if (g.ref[on.chrom][dstart - 500:dstart + dlen + 500] == 4).any():  # pragma: no cover
        raise RuntimeError("large deletion overlaps an N gap")
    on.add_sv("del", SV_DEL_FREQ, [Event(on.chrom, dstart, "del", length=dlen)],
              (dstart - INSERT_MAX, dstart + dlen + 10), drop=(dstart, dstart + dlen))
    on.add_sv("tra", SV_TRA_FREQ, [Event(on.chrom, on.cut, "jump", to_contig=ot1.chrom, to_pos=ot1.cut)],
              (on.cut - INSERT_MAX, on.cut + 10))
    ot1.add_sv("tra", SV_TRA_FREQ, [Event(ot1.chrom, ot1.cut, "jump", to_contig=on.chrom, to_pos=on.cut)],
               (ot1.cut - INSERT_MAX, ot1.cut + 10))
    sv_truth = [
        ["DEL", on.chrom, dstart, on.chrom, dstart + dlen, dlen, SV_DEL_FREQ, on.site["site_id"], on.site["site_id"]],
        ["TRA", on.chrom, on.cut, ot1.chrom, ot1.cut, None, SV_TRA_FREQ, on.site["site_id"], ot1.site["site_id"]],
    ]

    # germline variants
    avoid = [(on.chrom, dstart - 1000, dstart + dlen + 1000)]
    germ = make_germline(rng, g.ref, planted, avoid, _read_donor(outdir / "offtarget" / "donor.vcf"))
    hap_events: list[list[Event]] = [[], []]
    for e, gt, _src, _near in germ:
        if gt == "1/1":
            hap_events[0].append(e)
            hap_events[1].append(e)
        else:
            hap_events[int(rng.integers(0, 2))].append(e)

    # WGS (copy-number events of the edited sample: scripts/testdata/cnv.py)
    cnv_events = cnv_truth.events(on.chrom, on.cut, g.lengths[on.chrom]) if ctx.get("cnv", True) else []
    site_counts = {}
    outcome_reads = {}
    sv_support = {}
    for sample, role, stem in SAMPLES:
        cnv_rng = np.random.default_rng(int(ctx["seed"]) + cnv_truth.SEED_OFFSET)
        recs, counts, oreads, svs = simulate_wgs(rng, g, hap_events, loci, role == "edited", planted,
                                                 float(ctx.get("coverage", COVERAGE)),
                                                 cnv_events if role == "edited" else (), cnv_rng)
        write_cram(sdir / f"{stem}.cram", ref_fa, g, sample, recs)
        site_counts[sample] = counts
        if role == "edited":
            outcome_reads, sv_support = oreads, svs

    # amplicons (ctx["amplicons"] = False skips them: used by tests that only need alignments)
    amps = make_amplicons(rng, g, planted) if ctx.get("amplicons", True) else []
    amp_counts = {}
    for amp in amps:
        locus = next((lc for lc in loci if lc.site["site_id"] == amp["site_id"]), None)
        freq = locus.freq if locus else 0.0
        for sample, role, _stem in SAMPLES:
            amp["sample"] = sample
            data, n_edit, n_err = simulate_amplicon(rng, g, amp, hap_events, locus, freq, role == "edited")
            _write_gz(sdir / "amplicon" / f"{sample}.{amp['amplicon']}.fastq.gz", data)
            amp_counts[(amp["site_id"], sample)] = (n_edit, AMP_READS - n_edit, n_err)
        del amp["sample"]
    cols = ["amplicon", "site_id", "chrom", "start", "end", "sequence", "guide", "cut_offset"]
    all_amps = amps
    if amps:  # base-editor and prime-editor arms (own random stream: editor_amplicons.py)
        from testdata import editor_amplicons as ea

        genome = ctx["genome"]
        e_amps, fastqs, _sheet, e_reads, e_summary = ea.make(int(ctx["seed"]), genome, planted)
        for name, data in fastqs.items():
            _write_gz(sdir / "amplicon" / name, data)
        cols += ["editor", "pegrna_extension", "scaffold"]
        all_amps = [{"editor": "", "pegrna_extension": "", "scaffold": "", **a} for a in amps] + e_amps
        _write_tsv(sdir / "truth_editors.tsv", ea.SUMMARY_COLUMNS, e_summary)
        buf = "\t".join(ea.READ_COLUMNS) + "\n" + "".join("\t".join(str(x) for x in r) + "\n" for r in e_reads)
        _write_gz(sdir / "truth_editor_reads.tsv.gz", buf.encode())
    _write_tsv(sdir / "amplicons.tsv", cols, [[a[c] for c in cols] for a in all_amps])

    # truth tables
    amp_sites = {a["site_id"] for a in amps}
    header = ["site_id", "chrom", "cut", "wgs_edit_freq", "amplicon_edit_freq"]
    for sample, _, _ in SAMPLES:
        header += [f"wgs_{sample}_edited", f"wgs_{sample}_unedited", f"wgs_{sample}_sv"]
    for sample, _, _ in SAMPLES:
        header += [f"amplicon_{sample}_edited", f"amplicon_{sample}_unedited", f"amplicon_{sample}_error_indel"]
    rows = []
    for i, s in enumerate(planted):
        f = float(s["wgs_edit_freq"] or 0)
        row = [s["site_id"], s["chrom"], int(s["cut_start"]), f, f if s["site_id"] in amp_sites else None]
        for sample, _, _ in SAMPLES:
            cnt = site_counts[sample][i]
            row += [cnt["edited"], cnt["unedited"], cnt["sv"]]
        for sample, _, _ in SAMPLES:
            row += list(amp_counts.get((s["site_id"], sample), (None, None, None)))
        rows.append(row)
    _write_tsv(sdir / "truth_sites.tsv", header, rows)

    grows = []
    for e, gt, src, near in germ:
        pos, r, a = vcf_of(g.ref, e)
        grows.append([e.contig, pos, r, a, gt, src, near])
    _write_tsv(sdir / "truth_germline.tsv", ["chrom", "pos", "ref", "alt", "genotype", "source", "near_site"], grows)

    erows = []
    for lc in loci:
        for e, w in lc.outcomes:
            pos, r, a = vcf_of(g.ref, e)
            erows.append([e.contig, pos, r, a, "DEL" if e.kind == "del" else "INS",
                          e.length if e.kind == "del" else len(e.alt), lc.site["site_id"], lc.cut,
                          lc.freq * w, outcome_reads.get(e, 0)])
    erows.sort(key=lambda r: (g.names.index(r[0]), r[1], r[2], r[3]))
    _write_tsv(sdir / "truth_edited_variants.tsv",
               ["chrom", "pos", "ref", "alt", "type", "length", "site_id", "cut", "expected_vaf",
                "n_alt_reads_EDITED_D1"], erows)

    for r in sv_truth:
        r += sv_support[r[0]]
    if cnv_events:
        cnv_truth.write(outdir, cnv_events, {"CUT_DISTAL_LOSS": on.site["site_id"]})
    _write_tsv(sdir / "truth_sv.tsv", ["type", "chrom1", "pos1", "chrom2", "pos2", "size", "frequency", "site_id1",
                                       "site_id2", "n_fragments_EDITED_D1", "n_split_reads_EDITED_D1",
                                       "n_discordant_pairs_EDITED_D1"], sv_truth)


def _load_ctx(root: Path, seed: int) -> dict:
    from cgtsafe.io.annotation import read_transcripts
    from cgtsafe.io.fasta import read_fasta

    planted_path = root / "offtarget" / "planted_sites.tsv"
    lines = planted_path.read_text().splitlines()
    cols = lines[0].split("\t")
    planted = [dict(zip(cols, ln.split("\t"))) for ln in lines[1:] if ln.strip()]
    return {
        "genome": {k: v.decode() for k, v in read_fasta(root / "genome" / "ref.fa").items()},
        "genes": read_transcripts(root / "genome" / "genes.gtf"),
        "planted": planted,
        "seed": seed,
    }


if __name__ == "__main__":
    import argparse
    import time

    ap = argparse.ArgumentParser(description="(re)generate test-data/sequencing from test-data/genome + offtarget")
    ap.add_argument("--out", default=str(ROOT / "test-data"))
    ap.add_argument("--seed", type=int, default=20261121)
    args = ap.parse_args()
    t0 = time.time()
    generate(Path(args.out), _load_ctx(Path(args.out), args.seed))
    print(f"sequencing: {time.time() - t0:.1f}s", file=sys.stderr)
