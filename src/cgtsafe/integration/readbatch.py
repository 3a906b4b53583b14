"""Batched read processing of ``cgtsafe integration call-sites``: paired FASTQ batches and compiled trimming.

* :func:`iter_pair_batches` reads R1, R2 (and I1) in batches of ``dnaio`` records and checks them as
  :func:`cgtsafe.integration.demux.iter_pairs` does (same one-line errors: read names differ, one file
  ends before the other), without building a tuple per record.
* :class:`BatchTrimmer` trims a batch of barcode-assigned pairs with the compiled kernel
  :func:`cgtsafe.integration._trimkernel.trim_batch` (numba, releases the GIL) and counts the stages into
  the tally; a pair holding a base other than ``A C G T N`` (or a layout the kernel does not cover: vector
  k-mers longer than 31) goes through the per-pair reference :func:`cgtsafe.integration.callsites.process_pair`.
  Both give the same stage counts and host parts (``tests/test_integration_trim_batch.py``).
"""

from __future__ import annotations

from itertools import zip_longest
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.integration._trimkernel import kmer_table
from cgtsafe.io.fastq import read_fastq_chunks, record_name

BATCH = 4096
_ACGTN = b"ACGTN"
_CODE = {"A": 0, "C": 1, "G": 2, "T": 3}


def iter_pair_batches(r1, r2, i1=None, size: int = BATCH):
    """Yield ``(recs1, recs2, recs_i1 | None)``: equally long lists of ``dnaio`` records in file order."""
    files = [Path(r1), Path(r2)] + ([Path(i1)] if i1 else [])
    its = [read_fastq_chunks(p, size) for p in files]
    done = 0
    for chunks in zip_longest(*its, fillvalue=[]):
        lens = [len(c) for c in chunks]
        common = min(lens)
        _check_names(files, chunks, common, done)
        if common < max(lens):
            n = done + common + 1
            ended = next(p for p, x in zip(files, lens) if x == common)
            other = next(p for p, x in zip(files, lens) if x > common)
            raise InputError(f"record {n}: file ends here while {other} continues; R1/R2/I1 files out of sync",
                             path=ended)
        done += common
        yield chunks[0], chunks[1], (chunks[2] if i1 else None)


def _check_names(files, chunks, common, done) -> None:
    """The first record (lowest number, then file order) whose name differs from R1's raises."""
    ids0 = [r.id for r in chunks[0][:common]]
    plain = all(ids0)  # a header starting with white space has an empty id: compare full names then
    names0 = None
    first = None
    for p, c in zip(files[1:], chunks[1:]):
        if plain and [r.id for r in c[:common]] == ids0:
            continue  # equal first words: equal names
        if names0 is None:
            names0 = [record_name(r.name) for r in chunks[0][:common]]
        names = [record_name(r.name) for r in c[:common]]
        if names == names0:
            continue
        k = next(j for j, (a, b) in enumerate(zip(names0, names)) if a != b)
        if first is None or k < first[0]:
            first = (k, p, names[k])
    if first is not None:
        k, p, name = first
        raise InputError(f"record {done + k + 1}: read name {name!r} differs from {names0[k]!r} in {files[0]}; "
                         "R1/R2/I1 files out of sync", path=p)


class BatchTrimmer:
    """Kernel arguments of one layout and sample list; :meth:`run` trims a batch into a tally."""

    def __init__(self, layout, samples, screen):
        lay = layout
        self.layout, self.samples, self.screen = lay, samples, screen
        b = lambda s: np.frombuffer(s.encode("ascii"), dtype=np.uint8).copy()  # noqa: E731
        rt = lay.readthrough_max_mismatch_rate

        def flat(parts):
            off = np.zeros(len(parts) + 1, dtype=np.int64)
            off[1:] = np.cumsum([len(x) for x in parts])
            return b("".join(parts)), off

        links = [s.linker for s in samples]
        rate = lay.linker_max_mismatch_rate
        marks = [lay.linker_marker(lk) for lk in links]
        l1, l1_off = flat([lk.part1 for lk in links])
        l2, l2_off = flat([lk.part2 for lk in links])
        lm, lm_off = flat(marks)
        ltrmark = lay.ltr_marker()
        # the kernel finishes a pair (read-through cut, vector screen, length filter) under cgtsafe's own rules
        # (readthrough_rule hamming, vector_rule kmer); under intSiteCaller's rules (peer_rules) it stops at
        # linker_found and run() applies the very functions of process_pair to those pairs
        from cgtsafe.integration.peer_rules import KmerEitherScreen

        kscreen = screen.screen if isinstance(screen, KmerEitherScreen) else None
        self.finish = getattr(lay, "readthrough_rule", "hamming") == "hamming" and (screen is None or kscreen is not None)
        k = kscreen.k if kscreen is not None else 16
        self.kernel_ok = k <= 31
        kmers = kmer_table(_kmer_codes(kscreen.kmers, k) if kscreen is not None and self.kernel_ok
                           else np.zeros(0, np.uint64))
        self.args = (
            lay.quality_threshold + 33, lay.quality_window // 2, lay.quality_bad_bases, lay.min_trimmed_read_length,
            lay.min_genomic_length,
            b(lay.primer), lay.primer_max_offset, lay.primer_max_mismatches,
            b(lay.ltr_bit), lay.ltr_max_offset, lay.ltr_max_mismatches,
            l1, l1_off, np.array([int(len(lk.part1) * rate + 1e-9) for lk in links], dtype=np.int64),
            l2, l2_off, np.array([int(len(lk.part2) * rate + 1e-9) for lk in links], dtype=np.int64),
            np.array([lk.umi_length for lk in links], dtype=np.int64), lay.umi_length_tolerance,
            -1 if lay.linker_max_offset is None else lay.linker_max_offset,
            lm, lm_off, np.array([int(len(m) * rt + 1e-9) for m in marks], dtype=np.int64),
            b(ltrmark), int(len(ltrmark) * rt + 1e-9), rt, lay.readthrough_min_overlap,
            k, kmers, kscreen.min_fraction if kscreen is not None else 0.0, kscreen is not None, self.finish,
        )
        self.markers = marks
        self.cache: dict = {}

    def run(self, idx: list[int], recs1, recs2, tally, kept: list) -> None:
        """Trim the pairs ``recs1[i], recs2[i]`` of sample ``idx[i]`` (``-1``: undetermined, skipped by the
        caller); count their stages into ``tally`` and append the kept host parts (``Trimmed``) to ``kept``."""
        from cgtsafe.integration._trimkernel import G1E, G1S, G2E, G2S, N_OUT, STAGE, UE, US, trim_batch
        from cgtsafe.integration.callsites import Trimmed, process_pair

        n = len(idx)
        if not n:
            return
        seq1 = [r.sequence for r in recs1]
        seq2 = [r.sequence for r in recs2]
        j1, j2 = "".join(seq1).upper(), "".join(seq2).upper()
        b1, b2 = j1.encode("ascii"), j2.encode("ascii")
        o1 = _offsets(seq1)
        o2 = _offsets(seq2)
        sample = np.asarray(idx, dtype=np.int64)
        slow = np.zeros(n, dtype=bool)
        if not self.kernel_ok:
            slow[:] = True
        else:
            for buf, off in ((b1, o1), (b2, o2)):
                if buf.translate(None, _ACGTN):  # rare: IUPAC codes or '.' in a read
                    odd = ~np.isin(np.frombuffer(buf, dtype=np.uint8), np.frombuffer(_ACGTN, dtype=np.uint8))
                    per = np.add.reduceat(odd.astype(np.int64), off[:-1]) if len(odd) else np.zeros(n, np.int64)
                    per[off[:-1] == off[1:]] = 0  # reduceat of an empty read returns the next element
                    slow |= per > 0
        fast = np.flatnonzero(~slow)
        if len(fast):
            if len(fast) < n:
                sample_f = sample[fast]
                sub1, sub2 = [seq1[i] for i in fast], [seq2[i] for i in fast]
                j1, j2 = "".join(sub1).upper(), "".join(sub2).upper()
                b1, b2 = j1.encode("ascii"), j2.encode("ascii")
                o1, o2 = _offsets(sub1), _offsets(sub2)
                q1 = "".join([recs1[i].qualities for i in fast]).encode("ascii")
                q2 = "".join([recs2[i].qualities for i in fast]).encode("ascii")
            else:
                sample_f = sample
                q1 = "".join([r.qualities for r in recs1]).encode("ascii")
                q2 = "".join([r.qualities for r in recs2]).encode("ascii")
            out = np.empty((len(fast), N_OUT), dtype=np.int32)
            u8 = lambda x: np.frombuffer(x, dtype=np.uint8)  # noqa: E731
            trim_batch(u8(b1), u8(q1), o1, u8(b2), u8(q2), o2, sample_f, out, *self.args)
            self._count(sample_f, out, tally)
            rows = np.flatnonzero(out[:, STAGE] == (6 if self.finish else 4))
            cols = np.column_stack([sample_f[rows], o1[rows], o2[rows], out[rows][:, [G2S, G2E, G1S, G1E, US, UE]]])
            if self.finish:
                for smp, a1, a2, g2s, g2e, g1s, g1e, us, ue in cols.tolist():
                    kept.append(Trimmed(smp, j2[a2 + g2s:a2 + g2e], j1[a1 + g1s:a1 + g1e], j1[a1 + us:a1 + ue]))
            else:
                self._finish(cols.tolist(), j1, j2, tally, kept)
        for i in np.flatnonzero(slow).tolist():
            s = idx[i]
            t = process_pair(s, seq1[i].upper(), recs1[i].qualities, seq2[i].upper(), recs2[i].qualities,
                             self.samples[s], self.layout, self.screen, tally)
            if t is not None:
                kept.append(t)

    def _finish(self, rows, j1: str, j2: str, tally, kept: list) -> None:
        """Read-through cut, vector screen and length filter of pairs at ``linker_found``: the steps of
        ``process_pair`` after the linker, with its functions (intSiteCaller's rules)."""
        from cgtsafe.integration.callsites import Trimmed
        from cgtsafe.integration.peer_rules import readthrough_cut

        lay, screen, ltrmark = self.layout, self.screen, self.layout.ltr_marker()
        cache = self.cache
        if len(cache) > 200_000:
            cache.clear()  # bounded memory; the steps are pure functions of the host parts
        for smp, a1, a2, g2s, g2e, g1s, g1e, us, ue in rows:
            at = tally.attr[smp]
            raw2, raw1 = j2[a2 + g2s:a2 + g2e], j1[a1 + g1s:a1 + g1e]
            key = (self.markers[smp], raw2, raw1)
            done = cache.get(key)
            if done is None:
                g2 = raw2[:readthrough_cut(raw2, key[0], lay)]
                g1 = raw1[:readthrough_cut(raw1, ltrmark, lay)]
                done = cache[key] = (g2, g1, screen is not None and screen.drop(g2, g1))
            g2, g1, dropped = done
            if dropped:
                continue
            at["vector_filtered"] += 1
            if len(g2) < lay.min_genomic_length or len(g1) < lay.min_genomic_length:
                continue
            at["quality_filtered"] += 1
            kept.append(Trimmed(smp, g2, g1, j1[a1 + us:a1 + ue]))

    def _count(self, sample, out, tally) -> None:
        from cgtsafe.integration._trimkernel import R1L, R1Q, R2L, R2P, R2Q, STAGE

        m = len(self.samples)
        stage = out[:, STAGE]
        att_cols = ("barcode", "qtrimmed", "primed", "ltr_verified", "linker_found", "vector_filtered",
                    "quality_filtered")
        per = np.zeros((m, 7), dtype=np.int64)
        for level in range(7):
            per[:, level] = np.bincount(sample[stage >= level], minlength=m)
        flags = {"r2_qtrimmed": R2Q, "r2_primed": R2P, "r2_ltr": R2L, "r1_qtrimmed": R1Q, "r1_linker": R1L}
        fl = {name: np.bincount(sample, weights=out[:, col], minlength=m) for name, col in flags.items()}
        for s in np.unique(sample).tolist():
            at, st = tally.attr[s], tally.stages[s]
            for level, col in enumerate(att_cols):
                at[col] += int(per[s, level])
            st["barcode"] += int(per[s, 0])
            for name in flags:
                st[name] += int(fl[name][s])


def _offsets(seqs: list[str]) -> np.ndarray:
    off = np.zeros(len(seqs) + 1, dtype=np.int64)
    off[1:] = np.cumsum(np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs)))
    return off


def _kmer_codes(kmers, k: int) -> np.ndarray:
    """Sorted 2-bit codes of the k-mers made of A, C, G, T only (others cannot match an A/C/G/T/N read)."""
    codes = []
    for km in kmers:
        c = 0
        for ch in km:
            v = _CODE.get(ch)
            if v is None:
                break
            c = (c << 2) | v
        else:
            codes.append(c)
    return np.unique(np.array(codes, dtype=np.uint64))
