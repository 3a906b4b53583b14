"""Targeted deep sequencing (amplicon) reads: merge, align to the amplicon, classify.

Reads (FASTQ, plain or gzip; single-end, or paired and merged by overlap) are aligned to the amplicon
sequence with an embedded affine-gap aligner (Gotoh, compiled with numba): match +5, mismatch -4,
``N`` 0, gap of length L costs ``20 + 2 * (L - 1)`` (CRISPResso2's default scores, EDNAFULL / -20 / -2),
end gaps (read overhangs, amplicon ends the read does not reach) cost 2 per base and are not indels; a gap
opening at the cut (deletion starting at, or insertion before, the base right of the cut) earns +1, which
breaks ties between equally scoring placements in favour of the cut (CRISPResso2's gap incentive). A read is *aligned*
when the identity over the aligned amplicon span (matches / columns between its first and last aligned
amplicon bases) is >= ``min_identity`` (default 0.6, like CRISPResso2's 60 % homology); otherwise it is
excluded as ``not_aligned``. Indel placement does not matter for the class: events are classified with
their equivalence span (:func:`cgtsafe.sitecheck.quantify.classify_events`), as for BAM input.

Coordinates: amplicon positions are 0-based indexes into ``sequence``; ``cut_offset`` is the 0-based
index of the base right of the cut; the window is ``[cut_offset - flank, cut_offset + flank)`` and a read
must cover all of it (else ``not_spanning``). ``amplicons.tsv``: ``amplicon site_id chrom start end sequence
guide cut_offset`` with ``start`` 0-based, ``end`` exclusive (+ strand).
"""

from __future__ import annotations

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import revcomp
from cgtsafe.sitecheck.quantify import CLASSES, classify_events
from cgtsafe.sitecheck.reads import (  # noqa: F401
    ADAPTER,
    ADAPTER_PRESETS,
    AdapterTrimmer,
    adapter_pair,
    iter_fastq,
    merge_pair,
    read_items,
    trim_adapter,
)

# read preparation (reads.py) and the amplicon table/sheet readers (sheets.py), re-exported for callers of this API
from cgtsafe.sitecheck.sheets import (  # noqa: F401
    AMPLICON_COLUMNS,
    AMPLICON_SHEET_COLUMNS,
    read_amplicon_sheet,
    read_amplicons,
)

MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND, END_GAP, GAP_INCENTIVE = 5, -4, -20, -2, -2, 1
AMPLICON_EXCLUSIONS = ("unmerged", "not_aligned", "not_spanning")
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _c in enumerate(b"ACGT"):
    _CODE[_c] = _i
    _CODE[_c + 32] = _i
_COMP = bytes.maketrans(b"ACGTNacgtn", b"TGCANtgcan")


def _encode(seq: bytes) -> np.ndarray:
    return _CODE[np.frombuffer(seq, dtype=np.uint8)]


_NUMBA_ALIGN = None


def _get_aligner():
    global _NUMBA_ALIGN
    if _NUMBA_ALIGN is not None:
        return _NUMBA_ALIGN
    import numba

    @numba.njit(cache=True, nogil=True)
    def align(a, b, match, mismatch, go, ge, eg, cut, bonus):
        n = a.shape[0]
        m = b.shape[0]
        neg = -(1 << 28)
        M = np.full((n + 1, m + 1), neg, np.int32)
        D = np.full((n + 1, m + 1), neg, np.int32)
        I = np.full((n + 1, m + 1), neg, np.int32)
        tM = np.zeros((n + 1, m + 1), np.int8)
        tD = np.zeros((n + 1, m + 1), np.int8)
        tI = np.zeros((n + 1, m + 1), np.int8)
        M[0, 0] = 0
        for i in range(1, n + 1):
            D[i, 0] = eg * i  # leading amplicon bases not covered by the read
            tD[i, 0] = 3
        for j in range(1, m + 1):
            I[0, j] = eg * j  # leading read overhang
            tI[0, j] = 3
        for i in range(1, n + 1):
            ai = a[i - 1]
            for j in range(1, m + 1):
                bj = b[j - 1]
                if ai == 4 or bj == 4:
                    s = 0
                elif ai == bj:
                    s = match
                else:
                    s = mismatch
                best = M[i - 1, j - 1]
                k = 0
                if D[i - 1, j - 1] > best:
                    best = D[i - 1, j - 1]
                    k = 1
                if I[i - 1, j - 1] > best:
                    best = I[i - 1, j - 1]
                    k = 2
                if i == 1 and j == 1:
                    best = 0
                    k = 3
                M[i, j] = best + s
                tM[i, j] = k
                # deletion (gap in read) of amplicon base i-1; opening at the cut earns the incentive
                gb = go + bonus if i - 1 == cut else go
                best = M[i - 1, j] + gb
                k = 0
                if D[i - 1, j] + ge > best:
                    best = D[i - 1, j] + ge
                    k = 1
                if I[i - 1, j] + gb > best:
                    best = I[i - 1, j] + gb
                    k = 2
                D[i, j] = best
                tD[i, j] = k
                # insertion (gap in amplicon) before amplicon base i; at the cut it earns the incentive
                gb = go + bonus if i == cut else go
                best = M[i, j - 1] + gb
                k = 0
                if I[i, j - 1] + ge > best:
                    best = I[i, j - 1] + ge
                    k = 2
                if D[i, j - 1] + gb > best:
                    best = D[i, j - 1] + gb
                    k = 1
                I[i, j] = best
                tI[i, j] = k
        # best end cell: last row (trailing read overhang free) or last column (uncovered amplicon end free)
        bi = n
        bj = m
        bs = M[n, m]
        for j in range(1, m + 1):
            if M[n, j] + eg * (m - j) > bs:
                bs = M[n, j] + eg * (m - j)
                bi = n
                bj = j
        for i in range(1, n + 1):
            if M[i, m] + eg * (n - i) > bs:
                bs = M[i, m] + eg * (n - i)
                bi = i
                bj = m
        # traceback -> ops: 0 match/mismatch, 1 deletion, 2 insertion (in amplicon index terms)
        ops = np.empty(n + m, np.int8)
        ai_ = np.empty(n + m, np.int32)
        bi_ = np.empty(n + m, np.int32)
        L = 0
        i = bi
        j = bj
        state = 0
        while i > 0 and j > 0:
            if state == 0:
                k = tM[i, j]
                ops[L] = 0
                ai_[L] = i - 1
                bi_[L] = j - 1
                L += 1
                i -= 1
                j -= 1
                if k == 3:
                    break
                state = k
            elif state == 1:
                k = tD[i, j]
                ops[L] = 1
                ai_[L] = i - 1
                bi_[L] = j
                L += 1
                i -= 1
                if k == 3:
                    break
                state = k
            else:
                k = tI[i, j]
                ops[L] = 2
                ai_[L] = i
                bi_[L] = j - 1
                L += 1
                j -= 1
                if k == 3:
                    break
                state = k
        return bs, ops[:L][::-1].copy(), ai_[:L][::-1].copy(), bi_[:L][::-1].copy()

    _NUMBA_ALIGN = align
    return align


def align_read(amplicon: bytes, read: bytes, cut: int = -1):
    """Align ``read`` to ``amplicon``; return ``(score, events)`` where events is a dict with
    ``cov_start``/``cov_end`` (0-based half-open amplicon span), ``matches``, ``columns``,
    ``deletions`` ``[(s, e)]``, ``insertions`` ``[(p, bases)]``, ``mismatch_pairs`` ``[(amp_pos, read_pos)]``."""
    align = _get_aligner()
    score, ops, ai, bi = align(_encode(amplicon), _encode(read), MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND, END_GAP,
                               cut, GAP_INCENTIVE if cut >= 0 else 0)
    ev = _events(amplicon, read, ops, ai, bi)
    if len(ops):
        read_aligned = [int(b) for b, o in zip(bi, ops) if o != 1]
        overhang = (min(read_aligned) + len(read) - 1 - max(read_aligned)) if read_aligned else len(read)
    else:
        overhang = len(read)
    # CRISPResso2-style alignment score: matches / all alignment columns, end gaps included
    total = len(ops) + overhang + ev["cov_start"] + (len(amplicon) - ev["cov_end"])
    ev["identity"] = ev["matches"] / total if total else 0.0
    return int(score), ev


def _events(amplicon: bytes, read: bytes, ops, ai, bi) -> dict:
    amp = amplicon.upper()
    rd = read.upper()
    dels, ins, mm = [], [], []
    matches = 0
    amp_pos = [int(a) for a, o in zip(ai, ops) if o != 2]
    cov_start = min(amp_pos) if amp_pos else 0
    cov_end = max(amp_pos) + 1 if amp_pos else 0
    k = 0
    L = len(ops)
    while k < L:
        o = ops[k]
        if o == 0:
            a, b = int(ai[k]), int(bi[k])
            if amp[a] == rd[b]:
                matches += 1
            elif amp[a] != 78 and rd[b] != 78:
                mm.append((a, b))
            k += 1
        elif o == 1:
            s = int(ai[k])
            while k < L and ops[k] == 1:
                k += 1
            dels.append((s, int(ai[k - 1]) + 1))
        else:
            p = int(ai[k])
            b0 = int(bi[k])
            while k < L and ops[k] == 2:
                k += 1
            ins.append((p, rd[b0:int(bi[k - 1]) + 1]))
    columns = (cov_end - cov_start) + sum(len(x) for _, x in ins)
    return {"cov_start": cov_start, "cov_end": cov_end, "matches": matches, "columns": columns,
            "deletions": dels, "insertions": ins, "mismatch_pairs": mm}


# ----------------------------------------------------------------------------------------------
# per amplicon counting


from cgtsafe.sitecheck.editors import OUTCOMES  # noqa: E402  (CRISPResso2's per-read classes)


def _orient(amp: bytes, seq: bytes, qual: bytes, cut: int, min_identity: float):
    """Align ``seq`` as given and, when that fails, reverse-complemented (amplicon given in the other
    orientation than the reads). Returns ``(score, events, seq, qual, flipped)``."""
    score, ev = align_read(amp, seq, cut)
    if ev["identity"] >= min_identity:
        return score, ev, seq, qual, False
    rseq = seq.translate(_COMP)[::-1]
    rscore, rev = align_read(amp, rseq, cut)
    if rev["identity"] > ev["identity"]:
        return rscore, rev, rseq, qual[::-1], True
    return score, ev, seq, qual, False


def common_flanks(a: bytes, b: bytes) -> tuple[int, int]:
    """Lengths of the common prefix and (non-overlapping) common suffix of two sequences."""
    n = min(len(a), len(b))
    pre = 0
    while pre < n and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < n - pre and a[len(a) - 1 - suf] == b[len(b) - 1 - suf]:
        suf += 1
    return pre, suf


def prime_edited_amplicon(amplicon: str, cut_offset: int, strand: str, extension: str) -> tuple[str, int]:
    """Expected prime-edited amplicon from the pegRNA 3' extension (5'->3', RT template then PBS, RNA or
    DNA letters), as CRISPResso2 builds it: the PBS pairs with the protospacer strand just 5' of the nick;
    the reverse transcript of the RT template replaces the reference from the nick on, up to where its 3'
    homology arm realigns. Returns ``(expected amplicon, flap end)`` with the flap end a 0-based point in
    + strand coordinates of the expected amplicon. One-line error when the PBS does not match."""
    amp = amplicon.upper()
    ext = extension.upper().replace("U", "T")
    if not ext or set(ext) - set("ACGT"):
        raise InputError(f"pegRNA extension {extension!r}: expected A, C, G, T/U")
    proto = amp if strand == "+" else revcomp(amp)
    nick = cut_offset if strand == "+" else len(amp) - cut_offset
    flap = revcomp(ext)
    k = next((k for k in range(min(len(flap) - 1, nick), 4, -1) if flap[:k] == proto[nick - k:nick]), 0)
    if not k:
        raise InputError("pegRNA extension: its primer-binding site (3' end) does not match the protospacer strand "
                         "left of the nick")
    rt = flap[k:]
    seg = proto[nick:nick + len(rt) + 30].encode()
    _, ev = align_read(seg, rt.encode())
    edited = proto[:nick] + rt + proto[nick + ev["cov_end"]:]
    end = nick + len(rt)
    if strand == "+":
        return edited, end
    return revcomp(edited), len(edited) - end


def quantify_amplicon(amplicon_seq: str, cut_offset: int, reads, *, flank: int = 5, min_baseq: int = 20,
                      min_identity: float = 0.6, cut_end_offset: int | None = None, editor=None,
                      strand: str = "+", expected_seq: str | None = None, flap_end: int | None = None,
                      scaffold: str | None = None, scaffold_min_match: int = 1) -> dict:
    """Classify reads (iterable of ``(seq, qual)``; ``None`` items count as ``unmerged``) against one
    amplicon. ``cut_end_offset`` (second nick of a staggered cut) defaults to ``cut_offset``.

    ``editor`` (:class:`cgtsafe.sitecheck.editors.Editor`, default nuclease) and the site ``strand`` decide
    what counts as an event (see :mod:`cgtsafe.sitecheck.editors`). ``expected_seq``: expected edited
    amplicon (prime editing or HDR); each read is then also aligned to it (:data:`OUTCOMES`). ``flap_end``
    (point in the expected amplicon) and ``scaffold`` enable the scaffold-incorporated class."""
    from cgtsafe.sitecheck.editors import format_conversions, get_editor, site_context

    editor = editor or get_editor()
    amp = amplicon_seq.upper().encode()
    ce = cut_offset if cut_end_offset is None else cut_end_offset
    ctx = site_context(editor, strand, cut_offset, ce, flank, len(amp), intended=bool(expected_seq))
    exp = expected_seq.upper().encode() if expected_seq else None
    if exp is not None:
        pre, suf = common_flanks(amp, exp)
        ctx.ws = max(0, min(ctx.ws, pre))
        ctx.we = min(len(amp), max(ctx.we, len(amp) - suf))
        delta = len(exp) - len(amp)
        ews = min(ctx.ws, pre)
        ewe = min(len(exp), max(ctx.we + delta if ctx.we >= len(amp) - suf else ctx.we, len(exp) - suf))
        sc_rc = b""
        if scaffold and flap_end is not None:
            sc = revcomp(scaffold.upper().replace("U", "T"))
            sc_rc = sc.encode()
            proto_exp = exp if strand == "+" else exp.translate(_COMP)[::-1]
            fe = flap_end if strand == "+" else len(exp) - flap_end
            # CRISPResso2's disambiguation: require more scaffold bases while they equal the reference
            m = max(1, scaffold_min_match)
            while m < len(sc_rc) and sc_rc[:m] == proto_exp[fe:fe + m]:
                m += 1
            scaffold_min_match = m
    ws, we = ctx.ws, ctx.we
    counts = dict.fromkeys(CLASSES, 0)
    excl = dict.fromkeys(AMPLICON_EXCLUSIONS, 0)
    outcomes = dict.fromkeys(OUTCOMES, 0)
    events = ed_sub = 0
    conv: dict[int, int] = {}
    cache: dict[bytes, tuple] = {}
    for item in reads:
        if item is None:
            excl["unmerged"] += 1
            continue
        seq, qual = item
        hit = cache.get(seq)
        if hit is None:
            score, ev, oseq, _, flipped = _orient(amp, seq, b"", cut_offset, min_identity)
            eres = None
            if exp is not None and ev["identity"] >= min_identity:
                escore, eev = align_read(exp, oseq, -1)
                eres = (escore, eev)
            hit = (score, ev, flipped, eres)
            cache[seq] = hit
        score, ev, flipped, eres = hit
        if flipped:
            qual = qual[::-1]
        if ev["identity"] < min_identity:
            excl["not_aligned"] += 1
            continue
        if ev["cov_start"] > ws or ev["cov_end"] < we:
            excl["not_spanning"] += 1
            continue
        oseq = seq.translate(_COMP)[::-1] if flipped else seq
        subs = [(a, oseq[b], amp[a]) for a, b in ev["mismatch_pairs"] if ws <= a < we and qual[b] - 33 >= min_baseq]
        cls = classify_events(ev["deletions"], ev["insertions"], len(subs), ws, we, amp)
        counts[CLASSES[cls]] += 1
        is_event, positions = ctx.classify(cls, subs)
        ed_sub += bool(positions) and cls != 1
        for p in positions:
            conv[p] = conv.get(p, 0) + 1
        if exp is not None:
            is_event = _expected_outcome(outcomes, cls, score, eres, exp, ews, ewe, qual, oseq, min_baseq,
                                         flap_end, strand, sc_rc, scaffold_min_match)
        events += is_event
    out = {"window_start": ws, "window_end": we, "reads": sum(counts.values())}
    out.update(counts)
    out.update({f"excluded_{k}": v for k, v in excl.items()})
    out.update({"events": events, "editor_substitution": ed_sub,
                "counted_event": "any change from the reference-unmodified read" if exp is not None
                else editor.counted_event, "conversions": format_conversions(conv, ctx.label)})
    out.update(outcomes)
    return out


def _expected_outcome(outcomes, cls, score, eres, exp, ews, ewe, qual, oseq, min_baseq, flap_end, strand, sc_rc,
                      min_match) -> bool:
    """Assign one read to Reference / intended (expected amplicon) / ambiguous, like CRISPResso2; returns
    whether it counts as an event (anything but reference-unmodified)."""
    from cgtsafe.sitecheck.quantify import UNMODIFIED, insertion_span

    escore, eev = eres
    if score > escore:
        key = "reference_unmodified" if cls == UNMODIFIED else "reference_modified"
        outcomes[key] += 1
        return key != "reference_unmodified"
    if score == escore:
        outcomes["ambiguous"] += 1
        return True
    if sc_rc and flap_end is not None:
        for p, ins in eev["insertions"]:
            lp, rp = insertion_span(exp, p, ins)
            if lp <= flap_end <= rp:
                k = (flap_end - p) % len(ins)  # the same insertion placed at the flap end
                bases = ins[k:] + ins[:k]
                bases = bases if strand == "+" else bases.translate(_COMP)[::-1]
                if bases.startswith(sc_rc[:min_match]):
                    outcomes["scaffold_incorporated"] += 1
                    return True
    n_subs = sum(1 for a, b in eev["mismatch_pairs"] if ews <= a < ewe and qual[b] - 33 >= min_baseq)
    ecls = classify_events(eev["deletions"], eev["insertions"], n_subs, ews, ewe, exp)
    outcomes["intended_unmodified" if ecls == 0 else "intended_modified"] += 1
    return True


#: reads kept at every step of one amplicon row (the share kept per step is each over ``input_reads``);
#: ``adapter_trimmed_reads``: reads (pairs) from which a 3' adapter was cut (kept, shortened)
STEP_COLUMNS = ("input_reads", "adapter_trimmed_reads", "merged_reads", "assigned_reads", "aligned_reads")


#: k-mer length of the pooled-amplicon prefilter
POOL_K = 12


def _pool_candidates(seq: bytes, index: dict, n: int) -> list[tuple[int, bool]]:
    """``(amplicon index, reverse-complemented)`` pairs sharing the most k-mers with the read: every pair
    with at least half the best count; every amplicon in both orientations when no k-mer is shared."""
    hits: dict[tuple[int, bool], int] = {}
    for j in range(len(seq) - POOL_K + 1):
        for key in index.get(seq[j:j + POOL_K], ()):
            hits[key] = hits.get(key, 0) + 1
    if not hits:
        return [(i, f) for i in range(n) for f in (False, True)]
    top = max(hits.values())
    return sorted(k for k, v in hits.items() if 2 * v >= top)


def assign_pooled(items: list, amplicons: dict[str, bytes], min_identity: float):
    """Pooled amplicon sequencing: each read (merged item) goes to the one amplicon it aligns to best
    (identity, either orientation); reads aligning to none are ``unassigned``, reads with equal best
    identity to two amplicons ``ambiguous``: each read counts for one amplicon only. A 12-mer prefilter
    chooses the amplicons and the orientation to align in (pairs sharing at least half as many 12-mers
    with the read as the best one; all of them when none is shared). Assigned reads are returned in the
    amplicon's orientation (sequence reverse-complemented, qualities reversed where needed).
    Returns ``({amplicon: [items]}, n_unassigned, n_ambiguous)``."""
    out: dict[str, list] = {a: [] for a in amplicons}
    unassigned = ambiguous = 0
    memo: dict[bytes, tuple[str | None, bool]] = {}
    names = list(amplicons)
    index: dict[bytes, set[tuple[int, bool]]] = {}
    for i, a in enumerate(names):
        # a k-mer of the amplicon matches forward reads; one of its reverse complement matches flipped reads
        for flipped, s in ((False, amplicons[a]), (True, amplicons[a].translate(_COMP)[::-1])):
            for j in range(len(s) - POOL_K + 1):
                index.setdefault(s[j:j + POOL_K], set()).add((i, flipped))
    for item in items:
        if item is None:
            continue
        seq = item[0]
        if seq not in memo:
            best, name, tie, flip = -1.0, None, False, False
            for i, flipped in _pool_candidates(seq.upper(), index, len(names)):
                read = seq.translate(_COMP)[::-1] if flipped else seq
                _, ev = align_read(amplicons[names[i]], read)
                if ev["identity"] > best + 1e-12:
                    best, name, tie, flip = ev["identity"], names[i], False, flipped
                elif abs(ev["identity"] - best) <= 1e-12 and names[i] != name:
                    tie = True
            memo[seq] = ("" if tie and best >= min_identity else (name if best >= min_identity else None), flip)
        a, flip = memo[seq]
        if a is None:
            unassigned += 1
        elif a == "":
            ambiguous += 1
        else:
            out[a].append((seq.translate(_COMP)[::-1], item[1][::-1]) if flip else item)
    return out, unassigned, ambiguous


def quantify_sample(rows: list[dict], amplicons: dict[str, dict], sites: dict, *, sample: str, flank: int,
                    min_baseq: int, min_identity: float, min_overlap: int, editor=None, adapters=None
                    ) -> list[dict]:
    """Count rows (:data:`cgtsafe.sitecheck.quantify.COUNT_COLUMNS` + ``amplicon`` + :data:`STEP_COLUMNS` +
    :data:`OUTCOMES`) for one sample's sheet ``rows``. Rows sharing the same FASTQ file(s) with different
    amplicon sequences are a pool (:func:`assign_pooled`); rows with the same sequence (several sites on one
    amplicon) share its reads. ``sites``: ``{site_id: Site}``."""
    from cgtsafe.sitecheck.editors import parse_editor_spec
    from cgtsafe.sitecheck.quantify import CLASSES, EDITOR_COLUMNS

    groups: dict[tuple[str, str], list[dict]] = {}
    for r in sorted(rows, key=lambda r: r["amplicon"]):
        groups.setdefault((r["fastq"], r["fastq2"] or ""), []).append(r)
    out = []
    for (fq1, fq2), members in sorted(groups.items()):
        rstats: dict = {}
        items = list(read_items(fq1, fq2 or None, min_overlap, adapters=adapters, stats=rstats))
        n_in = len(items)
        merged = [x for x in items if x is not None]
        # amplicons with the same sequence (several sites on one amplicon) share their reads
        seqs = sorted({amplicons[m["amplicon"]]["sequence"].upper() for m in members})
        if len(seqs) > 1:
            per, _, _ = assign_pooled(merged, {q: q.encode() for q in seqs}, min_identity)
        else:
            per = {seqs[0]: merged}
        for m in members:
            amp = amplicons[m["amplicon"]]
            site = sites[amp["site_id"]]
            stagger = site.cut_end - site.cut_start
            mine = per[amp["sequence"].upper()]
            res = quantify_amplicon(amp["sequence"], amp["cut_offset"], mine, flank=flank, min_baseq=min_baseq,
                                    min_identity=min_identity, cut_end_offset=amp["cut_offset"] + stagger,
                                    editor=parse_editor_spec(amp["editor"]) if amp.get("editor") else editor,
                                    strand=site.strand, expected_seq=amp.get("expected") or None,
                                    flap_end=amp.get("flap_end"), scaffold=amp.get("scaffold") or None)
            res["excluded_unmerged"] = n_in - len(merged)
            steps = {"input_reads": n_in, "adapter_trimmed_reads": rstats["adapter_trimmed"], "merged_reads": len(merged), "assigned_reads": len(mine),
                     "aligned_reads": len(mine) - res["excluded_not_aligned"]}
            out.append({"sample": sample, "assay": "amplicon", "site_id": amp["site_id"], "chrom": amp["chrom"],
                        "window_start": amp["start"] + res["window_start"],
                        "window_end": amp["start"] + res["window_end"], "reads": res["reads"],
                        **{k: res[k] for k in CLASSES},
                        **{f"excluded_{k}": res[f"excluded_{k}"] for k in AMPLICON_EXCLUSIONS},
                        **{k: res[k] for k in EDITOR_COLUMNS}, "amplicon": m["amplicon"], **steps,
                        **{k: res[k] for k in OUTCOMES}})
    return sorted(out, key=lambda r: r["amplicon"])
