"""Reads -> integration-site fragments: demultiplex, trim, screen, align, call (``cgtsafe integration call-sites``).

Outputs (all in ``--out-dir``; column documentation in ``docs/outputs/integration_reads.md``):

``fragments.tsv``  ``sample chrom position strand breakpoint umi reads``. ``position`` is the **1-based**
                   coordinate of the host base at the vector-host junction (the integration site; the
                   first host base of R2); ``strand`` the orientation of the provirus (= strand of the R2
                   alignment); ``breakpoint`` the **1-based** coordinate of the sonic shear end (first
                   host base of R1); ``umi`` the linker UMI/primerID (empty for linkers without N-run);
                   ``reads`` the read pairs with this fragment+UMI. One row per unique
                   (sample, chrom, position, strand, breakpoint, umi); sorted by sample (sheet order),
                   contig (FASTA order), position, strand, breakpoint, umi.
``multihits.tsv``  ``sample reads n_loci loci fragments``: read pairs whose proper-pair alignments pass all filters
                   at more than one junction locus; ``loci`` = ``chrom:position:strand`` (1-based) joined
                   by ``;``; ``fragments`` distinct fragment lengths (unique sonicants). One row per
                   sample and locus set.
``multihit_clusters.tsv``  :func:`multihit_clusters`: read sets sharing a locus form one cluster, with its
                   reads and fragments (abundance), reported apart from the unique sites.
``attrition.tsv``  read pairs surviving each step, per sample (cumulative, left to right):
                   ``reads`` pairs in the input the sample came from (whole run for a multiplexed run,
                   the sample's files otherwise); ``barcode`` pairs assigned to the sample (I1 within the
                   barcode tolerance, or the LTR + LC double barcode each within its tolerance, after which
                   both barcodes are cut off the reads); ``qtrimmed`` both reads keep >= ``min_trimmed_read_length`` bases
                   after quality tail trimming; ``primed`` primer found in R2; ``ltr_verified`` LTR end
                   follows the primer; ``linker_found`` linker (+UMI) found in R1; ``vector_filtered``
                   not vector/plasmid-derived; ``quality_filtered`` both host parts >= ``min_genomic_length``
                   after read-through trimming; ``aligned`` >= 1 alignment of either mate;
                   ``unique_aligned`` exactly one junction locus (junctions within ``max_align_start``
                   bp on one contig and strand count as one); ``multihit`` > 1 junction locus;
                   ``unique_sites`` distinct (chrom, position, strand) of the unique pairs. The row
                   ``undetermined`` counts pairs whose barcode matched no sample (in ``barcode``).
``read_stages.tsv`` per sample, each read side on its own (as intSiteCaller's attrition table):
                   ``barcode r2_qtrimmed r2_primed r2_ltr r1_qtrimmed r1_linker`` -- ``r2_*`` count R2
                   reads after quality trimming / with primer / with primer + LTR end; ``r1_*`` count R1
                   reads after quality trimming / with the linker, independently of the other read.
``undetermined.tsv`` ``reason barcode reads``: read pairs of a multiplexed run assigned to no sample. First one
                   row per reason with ``barcode`` ``*`` (they sum to the ``undetermined`` attrition row), then the
                   100 most frequent observed barcodes (I1 prefix, or ``LTR+LC`` for double barcodes) with their
                   reason (``no sample barcode within tolerance``; double barcodes: ``LTR barcode not matched``,
                   ``LC barcode not matched``, ``neither barcode matched``, ``barcode pair not in the sample
                   sheet``). Sorted by reads (descending), then barcode.
``call_sites_params.json`` the layout parameters and software versions used.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.integration.align import PairAligner
from cgtsafe.integration.demux import BarcodeAssigner, DualBarcodeAssigner, iter_pairs
from cgtsafe.integration.layout import Layout, Sample
from cgtsafe.integration.peer_rules import readthrough_cut, vector_screen
from cgtsafe.integration.trim import find_linker, find_primer_ltr, quality_trim_length

ATTRITION_COLUMNS = ("reads", "barcode", "qtrimmed", "primed", "ltr_verified", "linker_found", "vector_filtered",
                     "quality_filtered", "aligned", "unique_aligned", "multihit", "unique_sites")
STAGE_COLUMNS = ("barcode", "r2_qtrimmed", "r2_primed", "r2_ltr", "r1_qtrimmed", "r1_linker")
FRAGMENT_COLUMNS = ("sample", "chrom", "position", "strand", "breakpoint", "umi", "reads", "replicate")
UNDETERMINED = "undetermined"
CHUNK = 4096


class _Read:
    """A read of the double-barcode path (barcode removed) with the two attributes of a dnaio record used."""

    __slots__ = ("sequence", "qualities")

    def __init__(self, sequence: str, qualities: str):
        self.sequence, self.qualities = sequence, qualities


@dataclass
class Trimmed:
    sample: int
    r2: str
    r1: str
    umi: str


class _Tally:
    def __init__(self, n_samples: int):
        self.attr = [Counter() for _ in range(n_samples)]
        self.stages = [Counter() for _ in range(n_samples)]
        self.fragments: Counter = Counter()
        self.multihits: Counter = Counter()
        self.multihit_lengths: dict = defaultdict(set)
        self.undetermined = 0
        self.unassigned = _Unassigned()


class _Unassigned:
    """Unassigned read pairs by reason (exact) and by observed barcode (the most frequent; bounded memory)."""

    LIMIT = 100_000

    def __init__(self):
        self.by_reason: Counter = Counter()
        self.by_barcode: Counter = Counter()

    def add(self, barcode: str, reason: str) -> None:
        self.by_reason[reason] += 1
        self.by_barcode[(barcode, reason)] += 1
        if len(self.by_barcode) > self.LIMIT:  # keep the frequent ones; rare error variants are dropped
            self.by_barcode = Counter(dict(self.by_barcode.most_common(self.LIMIT // 10)))

    def table(self, top: int = 100) -> pd.DataFrame:
        rows = [(reason, "*", n) for reason, n in sorted(self.by_reason.items())]
        rows += [(reason, bc, n) for (bc, reason), n in
                 sorted(self.by_barcode.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
        return pd.DataFrame(rows, columns=["reason", "barcode", "reads"])


def process_pair(idx: int, s1: str, q1: str, s2: str, q2: str, sample: Sample, layout: Layout,
                 screen, tally: _Tally) -> Trimmed | None:
    """Trim one barcode-assigned pair, count its stages; return the host parts or ``None`` when dropped."""
    at, st = tally.attr[idx], tally.stages[idx]
    at["barcode"] += 1
    st["barcode"] += 1
    lay = layout
    n2 = quality_trim_length(q2, lay.quality_threshold, lay.quality_window, lay.quality_bad_bases)
    n1 = quality_trim_length(q1, lay.quality_threshold, lay.quality_window, lay.quality_bad_bases)
    ok2 = n2 >= lay.min_trimmed_read_length
    ok1 = n1 >= lay.min_trimmed_read_length
    t2, t1 = s2[:n2], s1[:n1]
    pend = lend = -1
    if ok2:
        st["r2_qtrimmed"] += 1
        pend, lend = find_primer_ltr(t2, lay)
        if pend >= 0:
            st["r2_primed"] += 1
        if lend >= 0:
            st["r2_ltr"] += 1
    gstart, umi = -1, ""
    if ok1:
        st["r1_qtrimmed"] += 1
        gstart, umi = find_linker(t1, sample.linker, lay)
        if gstart >= 0:
            st["r1_linker"] += 1
    if not (ok1 and ok2):
        return None
    at["qtrimmed"] += 1
    if pend < 0:
        return None
    at["primed"] += 1
    if lend < 0:
        return None
    at["ltr_verified"] += 1
    if gstart < 0:
        return None
    at["linker_found"] += 1
    g2 = t2[lend:]
    g2 = g2[:readthrough_cut(g2, lay.linker_marker(sample.linker), lay)]
    g1 = t1[gstart:]
    g1 = g1[:readthrough_cut(g1, lay.ltr_marker(), lay)]
    if screen is not None and screen.drop(g2, g1):
        return None
    at["vector_filtered"] += 1
    if len(g2) < lay.min_genomic_length or len(g1) < lay.min_genomic_length:
        return None
    at["quality_filtered"] += 1
    return Trimmed(idx, g2, g1, umi)


def _loci(cands, tolerance: int) -> list[tuple[str, int, str]]:
    """Distinct junction loci of a pair's candidates; junctions within ``tolerance`` bp (same contig and
    strand) are one locus (alignment ambiguity at the read start, not a second genomic copy)."""
    out: list[tuple[str, int, str]] = []
    for chrom, j, strand in sorted({(c.chrom, c.junction, c.strand) for c in cands}):
        if out and out[-1][0] == chrom and out[-1][2] == strand and j - out[-1][1] <= tolerance:
            continue
        out.append((chrom, j, strand))
    return out


class _AlignQueue:
    """Alignment of the kept pairs in background threads while the main thread reads and trims.

    Chunks of kept pairs are aligned by a pool of ``threads`` workers (mappy releases the GIL while it
    maps); a mate sequence is mapped once (``read_cache``) and a pair of host parts paired once
    (``pair_cache``): both are pure functions of the sequences, so the caches never change a result.
    The tally is updated in the calling thread only, in submission order."""

    def __init__(self, aligner: PairAligner, threads: int, tally: _Tally):
        self.aligner, self.tally, self.threads = aligner, tally, max(1, threads)
        self.pool = ThreadPoolExecutor(max_workers=self.threads)
        self.pending: deque = deque()
        self.read_cache: dict = {}
        self.pair_cache: dict = {}
        self.local = threading.local()

    def submit(self, chunk: list[Trimmed]) -> None:
        if len(self.pair_cache) > 200_000 or len(self.read_cache) > 400_000:
            self.pair_cache, self.read_cache = {}, {}  # bounded memory; results do not depend on it
        self.pending.append(self.pool.submit(self._job, chunk))
        while len(self.pending) > self.threads:
            self._apply(*self.pending.popleft().result())

    def finish(self) -> None:
        try:
            while self.pending:
                self._apply(*self.pending.popleft().result())
        finally:
            self.pool.shutdown(cancel_futures=True)

    def _job(self, chunk: list[Trimmed]):
        buf = getattr(self.local, "buf", None)
        if buf is None:
            buf = self.local.buf = self.aligner.thread_buffer()
        al, reads, pairs = self.aligner, self.read_cache, self.pair_cache
        tol = al.max_align_start
        out = []
        for t in chunk:
            key = (t.r2, t.r1)
            res = pairs.get(key)
            if res is None:
                m2 = reads.get(t.r2)
                if m2 is None:
                    m2 = reads[t.r2] = al.map_read(t.r2, buf)
                m1 = reads.get(t.r1)
                if m1 is None:
                    m1 = reads[t.r1] = al.map_read(t.r1, buf)
                res = pairs[key] = _outcome(*al.pair(t.r2, m2, t.r1, m1), tol)
            out.append(res)
        return chunk, out

    def _apply(self, chunk: list[Trimmed], outcomes: list) -> None:
        tally = self.tally
        for t, res in zip(chunk, outcomes):
            if res is None:
                continue
            at = tally.attr[t.sample]
            at["aligned"] += 1
            if res[0] == "u":
                at["unique_aligned"] += 1
                tally.fragments[(t.sample, *res[1:], t.umi)] += 1
            elif res[0] == "m":
                at["multihit"] += 1
                key = (t.sample, res[1])
                tally.multihits[key] += 1
                tally.multihit_lengths[key].add(res[2])


def _outcome(any_hit: bool, cands, tolerance: int):
    """What a pair contributes: ``None`` (no alignment), ``("a",)`` (aligned, no proper locus),
    ``("u", chrom, junction, strand, breakpoint)`` (one locus, 1-based) or ``("m", loci, fragment length)``."""
    if not any_hit:
        return None
    loci = _loci(cands, tolerance)
    if len(loci) == 1:
        best = cands[0]
        return "u", best.chrom, best.junction + 1, best.strand, best.breakpoint + 1
    if len(loci) > 1:
        return "m", ";".join(f"{c}:{j + 1}:{s}" for c, j, s in loci), abs(cands[0].junction - cands[0].breakpoint) + 1
    return ("a",)


def call_sites(samples: list[Sample], layout: Layout, *, genome: str | Path | None, vector: str | Path | None,
               r1: str | Path | None = None, r2: str | Path | None = None, i1: str | Path | None = None,
               threads: int = 1, index_path: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Run reads -> fragments for all samples; returns the output tables (nothing written).

    ``genome=None`` runs the read processing only (up to ``quality_filtered``; the alignment columns
    stay 0). The tests use it to compare the read stages with intSiteCaller's attrition table, whose
    genome (hg18) is not available.
    """
    from cgtsafe.integration.readbatch import BatchTrimmer, iter_pair_batches

    pooled = [i for i, s in enumerate(samples) if not (s.r1 and s.r2)]
    dual = any(samples[i].ltr_barcode for i in pooled)
    if pooled and not (r1 and r2 and (i1 or dual)):
        names = ", ".join(samples[i].name for i in pooled[:3])
        raise InputError(f"samples without per-sample FASTQs ({names}) need --r1, --r2"
                         + (" (double barcodes: LTR barcode in R2, LC barcode in R1)" if dual else
                            " and --i1 (multiplexed run)"))
    for p in [r1, r2, i1, vector] + [x for s in samples for x in (s.r1, s.r2)]:
        if p and not Path(p).exists():
            raise InputError("input file not found", path=p)
    screen = vector_screen(vector, layout) if vector else None
    aligner = None if genome is None else PairAligner(genome, max_align_start=layout.max_align_start, min_identity=layout.min_identity,
                          max_fragment_length=layout.max_fragment_length, index_path=index_path)
    tally = _Tally(len(samples))
    trimmer = BatchTrimmer(layout, samples, screen)
    queue = _AlignQueue(aligner, threads, tally) if aligner is not None else None
    kept: list[Trimmed] = []

    def trim(idx, recs1, recs2):
        nonlocal kept
        trimmer.run(idx, recs1, recs2, tally, kept)
        if len(kept) >= CHUNK:
            if queue is not None:
                queue.submit(kept)
            kept = []

    run_total = 0
    try:
        if pooled and dual:
            # VISPA2-style: the sample is the (LTR barcode at the start of R2, LC barcode at the start of R1) pair;
            # the barcodes are removed before the primer/linker search
            pset = set(pooled)
            dassign = DualBarcodeAssigner([(s.ltr_barcode, s.lc_barcode) if i in pset else ("", "")
                                           for i, s in enumerate(samples)],
                                          layout.ltr_barcode_max_mismatches, layout.lc_barcode_max_mismatches)
            la, lb = dassign.ltr_len, dassign.lc_len
            bidx: list[int] = []
            b1: list[_Read] = []
            b2: list[_Read] = []
            for _name, (s1, q1), (s2, q2), _ in iter_pairs(r1, r2):
                run_total += 1
                idx = dassign.assign(s2, s1)
                if idx < 0:
                    tally.undetermined += 1
                    tally.unassigned.add(f"{s2[:la]}+{s1[:lb]}", dassign.explain(s2, s1))
                    continue
                bidx.append(idx)
                b1.append(_Read(s1[lb:], q1[lb:]))
                b2.append(_Read(s2[la:], q2[la:]))
                if len(bidx) >= 4096:
                    trim(bidx, b1, b2)
                    bidx, b1, b2 = [], [], []
            trim(bidx, b1, b2)
        elif pooled:
            pooled_set = set(pooled)
            assigner = BarcodeAssigner([samples[i].barcode if i in pooled_set else "" for i in range(len(samples))],
                                       layout.barcode_max_mismatches)
            bc_len = len(samples[pooled[0]].barcode)
            assign = assigner.assign
            for recs1, recs2, recsi in iter_pair_batches(r1, r2, i1):
                run_total += len(recs1)
                bcs = [r.sequence[:bc_len].upper() for r in recsi]
                idx = [assign(b) for b in bcs]
                if -1 in idx:
                    sel = [i for i, x in enumerate(idx) if x >= 0]
                    tally.undetermined += len(idx) - len(sel)
                    for i, x in enumerate(idx):
                        if x < 0:
                            tally.unassigned.add(bcs[i], "no sample barcode within tolerance")
                    idx = [idx[i] for i in sel]
                    recs1, recs2 = [recs1[i] for i in sel], [recs2[i] for i in sel]
                trim(idx, recs1, recs2)
        for idx, s in enumerate(samples):
            if idx in pooled:
                tally.attr[idx]["reads"] = run_total
                continue
            n = 0
            for recs1, recs2, _ in iter_pair_batches(s.r1, s.r2):
                n += len(recs1)
                trim([idx] * len(recs1), recs1, recs2)
            tally.attr[idx]["reads"] = n
        if queue is not None:
            if kept:
                queue.submit(kept)
            queue.finish()
    finally:
        if queue is not None:
            queue.pool.shutdown(cancel_futures=True)
    return _tables(samples, tally, run_total, bool(pooled), genome)


def _tables(samples, tally: _Tally, run_total: int, pooled: bool, genome) -> dict[str, pd.DataFrame]:
    from cgtsafe.io.fasta import contig_lengths

    order = {c: i for i, c in enumerate(contig_lengths(genome))} if genome is not None else {}
    sites: dict[int, set] = defaultdict(set)
    rows = []
    for (idx, chrom, pos, strand, bp, umi), n in tally.fragments.items():
        sites[idx].add((chrom, pos, strand))
        rows.append((idx, order.get(chrom, len(order)), samples[idx].fragment_sample, chrom, pos, strand, bp, umi, n,
                     samples[idx].replicate))
    rows.sort()
    frag = pd.DataFrame([r[2:] for r in rows], columns=list(FRAGMENT_COLUMNS))
    mrows = sorted((idx, loci, n) for (idx, loci), n in tally.multihits.items())
    multi = pd.DataFrame([(samples[i].fragment_sample, n, loci.count(";") + 1, loci,
                           len(tally.multihit_lengths[(i, loci)])) for i, loci, n in mrows],
                         columns=["sample", "reads", "n_loci", "loci", "fragments"])
    clusters = multihit_clusters([(samples[i].fragment_sample, loci, n, tally.multihit_lengths[(i, loci)])
                                  for i, loci, n in mrows])
    arows = []
    for idx, s in enumerate(samples):
        at = tally.attr[idx]
        at["unique_sites"] = len(sites[idx])
        arows.append([s.name] + [int(at[c]) for c in ATTRITION_COLUMNS])
    if pooled:
        arows.append([UNDETERMINED, run_total, tally.undetermined] + [0] * (len(ATTRITION_COLUMNS) - 2))
    attrition = pd.DataFrame(arows, columns=["sample", *ATTRITION_COLUMNS])
    stages = pd.DataFrame([[s.name] + [int(tally.stages[i][c]) for c in STAGE_COLUMNS] for i, s in enumerate(samples)],
                          columns=["sample", *STAGE_COLUMNS])
    return {"fragments": frag, "multihits": multi, "multihit_clusters": clusters, "attrition": attrition,
            "read_stages": stages, "undetermined": tally.unassigned.table()}


MULTIHIT_CLUSTER_COLUMNS = ["sample", "cluster", "n_loci", "loci", "read_sets", "reads", "fragments"]


def multihit_clusters(rows) -> pd.DataFrame:
    """Multihit clusters (as intSiteCaller's): per sample, read sets whose candidate loci share a locus are one
    cluster (connected components). ``rows`` = (sample, loci joined by ``;``, read pairs, set of fragment
    lengths). ``fragments`` = distinct fragment lengths in the cluster (the multihit abundance: unique
    sonicants, as intSiteCaller's ``multihitSonicLengths``); ``loci`` = the union of candidate loci (1-based)."""
    out = []
    for sample in dict.fromkeys(r[0] for r in rows):
        sets = [r for r in rows if r[0] == sample]
        parent = list(range(len(sets)))

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        owner: dict[str, int] = {}
        for k, (_s, loci, _n, _l) in enumerate(sets):
            for locus in loci.split(";"):
                if locus in owner:
                    parent[find(k)] = find(owner[locus])
                else:
                    owner[locus] = k
        groups: dict[int, list] = defaultdict(list)
        for k in range(len(sets)):
            groups[find(k)].append(sets[k])
        for cid, g in enumerate(sorted(groups.values(), key=lambda g: sorted({x for m in g for x in m[1].split(";")})), 1):
            loci = sorted({x for m in g for x in m[1].split(";")})
            lengths = set().union(*(m[3] for m in g))
            out.append([sample, cid, len(loci), ";".join(loci), len(g), int(sum(m[2] for m in g)), len(lengths)])
    return pd.DataFrame(out, columns=MULTIHIT_CLUSTER_COLUMNS)


def write_outputs(tables: dict[str, pd.DataFrame], out_dir: str | Path, params: dict) -> None:
    from cgtsafe.io.tables import write_json, write_table

    out_dir = Path(out_dir)
    for name, df in tables.items():
        write_table(df, out_dir / f"{name}.tsv")
    write_json(out_dir / "call_sites_params.json", params)
