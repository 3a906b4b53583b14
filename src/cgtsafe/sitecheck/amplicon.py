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

import gzip
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.sitecheck.quantify import CLASSES, classify_events

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
# FASTQ


def iter_fastq(path: str | Path):
    """Yield ``(name, seq, qual)`` (bytes); one-line errors for malformed records."""
    path = Path(path)
    if not path.exists():
        raise InputError("FASTQ file not found", path=path)
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            lineno = 0
            while True:
                h = fh.readline()
                if not h:
                    return
                lineno += 1
                if not h.strip():
                    continue
                s = fh.readline().rstrip(b"\r\n")
                p = fh.readline()
                q = fh.readline().rstrip(b"\r\n")
                if not h.startswith(b"@") or not p.startswith(b"+"):
                    raise InputError("not a FASTQ record: expected '@name', sequence, '+', qualities",
                                     path=path, line=lineno)
                if len(s) != len(q):
                    raise InputError(f"sequence and quality lengths differ ({len(s)} vs {len(q)})",
                                     path=path, line=lineno)
                yield h[1:].split()[0], s, q
                lineno += 3
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read FASTQ ({str(exc).splitlines()[0]}); truncated gzip?", path=path) from None


def merge_pair(s1: bytes, q1: bytes, s2: bytes, q2: bytes, min_overlap: int = 10,
               max_mismatch_frac: float = 0.1):
    """Merge mates by their overlap (R2 reverse-complemented); the higher-quality base wins at
    disagreements. Returns ``(seq, qual)`` or ``None`` when no acceptable overlap exists. The longest
    overlap with <= ``max_mismatch_frac`` mismatches is chosen (then the fewest mismatches)."""
    r2 = s2.translate(_COMP)[::-1]
    rq2 = q2[::-1]
    best = None
    n1, n2 = len(s1), len(r2)
    for ov in range(min(n1, n2), min_overlap - 1, -1):
        a = s1[n1 - ov:]
        b = r2[:ov]
        mism = sum(1 for x, y in zip(a, b) if x != y)
        if mism <= max_mismatch_frac * ov:
            best = ov
            break
    if best is None:
        return None
    ov = best
    seq = bytearray(s1[:n1 - ov])
    qual = bytearray(q1[:n1 - ov])
    for k in range(ov):
        x, qx = s1[n1 - ov + k], q1[n1 - ov + k]
        y, qy = r2[k], rq2[k]
        if x == y or qx >= qy:
            seq.append(x)
            qual.append(max(qx, qy) if x == y else qx)
        else:
            seq.append(y)
            qual.append(qy)
    seq += r2[ov:]
    qual += rq2[ov:]
    return bytes(seq), bytes(qual)


# ----------------------------------------------------------------------------------------------
# per amplicon counting


def quantify_amplicon(amplicon_seq: str, cut_offset: int, reads, *, flank: int = 5, min_baseq: int = 20,
                      min_identity: float = 0.6, cut_end_offset: int | None = None) -> dict:
    """Classify reads (iterable of ``(seq, qual)``; ``None`` items count as ``unmerged``) against one
    amplicon. ``cut_end_offset`` (second nick of a staggered cut) defaults to ``cut_offset``."""
    amp = amplicon_seq.upper().encode()
    ce = cut_offset if cut_end_offset is None else cut_end_offset
    ws = max(0, min(cut_offset, ce) - flank)
    we = min(len(amp), max(cut_offset, ce) + flank)
    counts = dict.fromkeys(CLASSES, 0)
    excl = dict.fromkeys(AMPLICON_EXCLUSIONS, 0)
    cache: dict[bytes, dict] = {}
    for item in reads:
        if item is None:
            excl["unmerged"] += 1
            continue
        seq, qual = item
        ev = cache.get(seq)
        if ev is None:
            _, ev = align_read(amp, seq, cut_offset)
            cache[seq] = ev
        if ev["identity"] < min_identity:
            excl["not_aligned"] += 1
            continue
        if ev["cov_start"] > ws or ev["cov_end"] < we:
            excl["not_spanning"] += 1
            continue
        n_subs = sum(1 for a, b in ev["mismatch_pairs"] if ws <= a < we and qual[b] - 33 >= min_baseq)
        cls = classify_events(ev["deletions"], ev["insertions"], n_subs, ws, we, amp)
        counts[CLASSES[cls]] += 1
    out = {"window_start": ws, "window_end": we, "reads": sum(counts.values())}
    out.update(counts)
    out.update({f"excluded_{k}": v for k, v in excl.items()})
    return out


def read_items(fastq: str | Path, fastq2: str | Path | None = None, min_overlap: int = 10):
    """Reads of one sample/amplicon as ``(seq, qual)`` items (merged pairs; ``None`` = unmerged pair)."""
    if not fastq2:
        for _, s, q in iter_fastq(fastq):
            yield s, q
        return
    it2 = iter_fastq(fastq2)
    for name1, s1, q1 in iter_fastq(fastq):
        try:
            name2, s2, q2 = next(it2)
        except StopIteration:
            raise InputError(f"mate file has fewer reads than {Path(fastq).name} (read {name1.decode()!r})",
                             path=fastq2) from None
        n1 = name1.decode().removesuffix("/1")
        n2 = name2.decode().removesuffix("/2")
        if n1 != n2:
            raise InputError(f"mates out of order: {n1!r} in R1 but {n2!r} in R2", path=fastq2)
        yield merge_pair(s1, q1, s2, q2, min_overlap=min_overlap)
    if next(it2, None) is not None:
        raise InputError(f"mate file has more reads than {Path(fastq).name}", path=fastq2)


# ----------------------------------------------------------------------------------------------
# amplicon table and sample sheet

AMPLICON_COLUMNS = ("amplicon", "site_id", "chrom", "start", "end", "sequence", "guide", "cut_offset")
AMPLICON_SHEET_COLUMNS = ("sample", "role", "amplicon", "fastq", "control")


def read_amplicons(path: str | Path) -> dict[str, dict]:
    """``amplicons.tsv`` -> ``{amplicon: row}`` with validated integers and sequence."""
    from cgtsafe.io.tables import read_table

    df = read_table(path, required=AMPLICON_COLUMNS, what="amplicon table")
    out: dict[str, dict] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        name = row["amplicon"]
        if name in out:
            raise InputError(f"duplicate amplicon {name!r}", path=path, line=i)
        try:
            row["start"], row["end"], row["cut_offset"] = int(row["start"]), int(row["end"]), int(row["cut_offset"])
        except ValueError:
            raise InputError("columns start/end/cut_offset: expected integers", path=path, line=i) from None
        seq = row["sequence"].strip()
        if not seq or set(seq.upper()) - set("ACGTN"):
            raise InputError(f"amplicon {name}: sequence must contain only A, C, G, T, N", path=path, line=i)
        if not 0 < row["cut_offset"] < len(seq):
            raise InputError(f"amplicon {name}: cut_offset {row['cut_offset']} outside the sequence "
                             f"(length {len(seq)})", path=path, line=i)
        row["sequence"] = seq
        out[name] = row
    return out


def read_amplicon_sheet(path: str | Path, *, check_files: bool = True):
    """Amplicon sample sheet: ``sample role amplicon fastq [fastq2] control``; one row per sample and
    amplicon. Checks roles, (sample, amplicon) uniqueness, FASTQ existence and that each control exists."""
    import pandas as pd

    from cgtsafe.config import SAFE_NAME

    path = Path(path)
    if not path.exists():
        raise InputError("sample sheet not found", path=path)
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in AMPLICON_SHEET_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"sample sheet lacks column(s) {', '.join(missing)}; expected "
                         f"{' '.join(AMPLICON_SHEET_COLUMNS)} [fastq2]", path=path)
    if "fastq2" not in df.columns:
        df["fastq2"] = ""
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        if not SAFE_NAME.match(row["sample"]):
            raise InputError(f"sample {row['sample']!r} is not a safe name (letters, digits, '_', '.', '-')",
                             path=path, line=i)
        if row["role"] not in ("edited", "control"):
            raise InputError(f"column role: expected edited or control, got {row['role']!r}", path=path, line=i)
        key = (row["sample"], row["amplicon"])
        if key in seen:
            raise InputError(f"duplicate sample/amplicon {key} (first on line {seen[key]})", path=path, line=i)
        seen[key] = i
        for col in ("fastq", "fastq2"):
            if check_files and row[col] and not Path(row[col]).exists():
                raise InputError(f"sample {row['sample']}: {col} file {row[col]!r} does not exist", path=path,
                                 line=i)
        if not row["fastq"]:
            raise InputError(f"sample {row['sample']}: column fastq is empty", path=path, line=i)
    samples = {r["sample"]: r["role"] for r in df.to_dict("records")}
    for i, row in enumerate(df.to_dict("records"), start=2):
        if row["role"] == "edited":
            ctl = row["control"]
            if not ctl:
                raise InputError(f"edited sample {row['sample']} has no control", path=path, line=i)
            if (ctl, row["amplicon"]) not in seen:
                raise InputError(f"control {ctl!r} of {row['sample']} has no row for amplicon {row['amplicon']} "
                                 "(control sample does not exist in the sheet)", path=path, line=i)
            if samples.get(ctl) != "control":
                raise InputError(f"control {ctl!r} of {row['sample']} does not have role 'control'", path=path,
                                 line=i)
    return df
