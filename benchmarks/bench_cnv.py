#!/usr/bin/env python3
"""Benchmark: copy-number analysis at 30x human-genome scale (measured parts + a labelled projection).

    .venv/bin/python benchmarks/bench_cnv.py [--region-mb 10] [--permutations 200]

Simulating 600 M reads per sample is not feasible here, so the benchmark measures the two parts separately, each as
a whole child process (wall and peak RSS via benchmarks/_child.py):

1. Read counting (``cgtsafe.cnv.depth.bin_counts``) on a coordinate-sorted BAM of one ``--region-mb`` Mb contig at
   real 30x density (150-nt reads, MAPQ 60, reads are reference substrings), with two peers on the same file in the
   same run: a plain pysam loop (same filters, no binning) and htslib's own iteration (``AlignmentFile.count``, C
   code, no MAPQ filter: the ceiling of any pysam-based counter). Also B-allele het-site discovery
   (``cgtsafe.cnv.baf.discover_hets``; peer: pysam ``count_coverage``) on the same region.
2. GC correction + segmentation + calls + arm table on a full GRCh38-sized genome's worth of bins: 24 contigs with
   the GRCh38 chromosome lengths, 5-kb bins (the bin size ``cnv call`` chooses for 1,000 reads per bin at 30x 2x150:
   ~620,000 bins), Poisson counts with a GC bias, a planted 20 % loss over half of chromosome 14's long arm and a
   clonal 1 Mb gain.

The projection for one 30x human pair = measured in-process counting rate (imports excluded: they are a fixed cost)
x 2 x 620 M reads + measured segmentation run; it is printed labelled PROJECTION, never as a measurement. BAF discovery over the whole genome is projected the same way
(positions/s x 3.1 Gb); with a population SNP VCF (``cnv.snps``) only the listed sites' neighbourhoods are read.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _child import measure  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

REPO = Path(__file__).resolve().parents[1]
READ_LEN = 150
GRCH38 = [248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636, 138394717,
          133797422, 135086622, 133275309, 114364328, 107043718, 101991189, 90338345, 83257441, 80373285, 58617616,
          64444167, 46709983, 50818468, 156040895, 57227415]
NAMES = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"]
HUMAN_READS_30X = 620_000_000  # 30x x 3.1 Gb / 150 nt (both mates)


def _region_bam(tmp: Path, mb: float, seed: int = 1) -> tuple[Path, Path, int]:
    import pysam

    rng = np.random.default_rng(seed)
    length = int(mb * 1e6)
    ref = rng.choice(np.frombuffer(b"ACGT", dtype=np.uint8), size=length)
    fa = tmp / "region.fa"
    with open(fa, "wb") as fh:
        fh.write(b">bench\n")
        for i in range(0, length, 60):
            fh.write(ref[i:i + 60].tobytes() + b"\n")
    pysam.faidx(str(fa))
    n = int(30 * length / READ_LEN)
    pos = np.sort(rng.integers(0, length - READ_LEN, n))
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "bench", "LN": length}]}
    qual = pysam.qualitystring_to_array("F" * READ_LEN)
    bam = tmp / "region.bam"
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        for i, p in enumerate(pos.tolist()):
            a = pysam.AlignedSegment()
            a.query_name = f"r{i}"
            a.flag = 0 if i % 2 else 16
            a.reference_id, a.reference_start, a.mapping_quality = 0, p, 60
            a.cigarstring = "150M"
            a.query_sequence = ref[p:p + READ_LEN].tobytes().decode()
            a.query_qualities = qual
            out.write(a)
    pysam.index(str(bam))
    return bam, fa, n


def _stage(argv: list[str]) -> int:
    """Child-process stages (one measured process each)."""
    stage = argv[0]
    t0 = time.perf_counter()
    if stage == "count":
        from cgtsafe.cnv.depth import bin_counts

        bam, fa, length = argv[1], argv[2], int(argv[3])
        c = bin_counts(bam, fa, {"bench": length}, 1000)
        print(int(c["bench"].sum()))
    elif stage == "peer_loop":
        import pysam

        with pysam.AlignmentFile(argv[1]) as af:
            print(sum(1 for r in af.fetch("bench") if not (r.flag & 0xF04) and r.mapping_quality >= 20))
    elif stage == "peer_htslib":
        import pysam

        with pysam.AlignmentFile(argv[1]) as af:
            print(af.count("bench", read_callback="all"))
    elif stage == "baf":
        from cgtsafe.cnv.baf import discover_hets

        hets, examined = discover_hets(argv[1], argv[2], {"bench": int(argv[3])})
        print(examined)
    elif stage == "peer_baf":
        import pysam

        with pysam.AlignmentFile(argv[1]) as af:
            for s in range(0, int(argv[2]), 2_000_000):
                af.count_coverage("bench", s, min(int(argv[2]), s + 2_000_000), quality_threshold=20,
                                  read_callback=lambda r: not (r.flag & 0xF04) and r.mapping_quality >= 20)
    elif stage == "segment":
        Path(argv[2]).write_text(_segment_genome(int(argv[1])))
    if stage != "segment":  # in-process seconds (imports excluded), for the per-read rate of the projection
        Path(argv[-1]).write_text(f"{time.perf_counter() - t0:.4f}")
    return 0


def _segment_genome(n_perm: int) -> str:
    from cgtsafe.cnv.regions import arm_table
    from cgtsafe.cnv.segment import call_genome, gc_correct, log_ratio, noise_sigma

    rng = np.random.default_rng(7)
    bin_size = 5000
    nb = [-(-n // bin_size) for n in GRCH38]
    tot = sum(nb)
    gc = np.clip(rng.normal(0.41, 0.05, tot), 0.25, 0.65)
    cn = np.full(tot, 2.0)
    off = np.cumsum([0] + nb)
    i14 = NAMES.index("chr14")
    cn[off[i14] + nb[i14] // 2:off[i14 + 1]] = 1.8  # 20 % loss, cut to telomere
    i20 = NAMES.index("chr20")
    cn[off[i20] + 6000:off[i20] + 6200] = 3.0  # clonal 1 Mb gain
    ctl = rng.poisson(500 * (1 + 1.2 * (gc - 0.41)) * 2.0).astype(float)
    ed = rng.poisson(500 * (1 - 1.0 * (gc - 0.41)) * cn).astype(float)
    mask = np.ones(tot, bool)
    t0 = time.perf_counter()
    x = log_ratio(gc_correct(ed, gc, mask), gc_correct(ctl, gc, mask))
    sigma = noise_sigma(x)
    xs = {c: x[off[k]:off[k + 1]] for k, c in enumerate(NAMES)}
    st = {c: np.arange(nb[k]) * bin_size for k, c in enumerate(NAMES)}
    en = {c: np.minimum(st[c] + bin_size, GRCH38[k]) for k, c in enumerate(NAMES)}
    calls, offset = call_genome(xs, st, en, sigma, n_perm=n_perm)
    from cgtsafe.cnv.regions import centromeres_for

    cen, _ = centromeres_for("GRCh37", None)  # arm boundaries for the timing only (GRCh37 table on GRCh38 sizes)
    chroms = np.concatenate([[c] * nb[k] for k, c in enumerate(NAMES)]).astype(object)
    arm_table(chroms, np.concatenate(list(st.values())), np.concatenate(list(en.values())), x - offset,
              dict(zip(NAMES, GRCH38)), cen, calls, sigma, 4.0)
    called = [c for c in calls if c.call != "neutral"]
    return (f"{tot} bins, {len(calls)} segments, called: "
            + "; ".join(f"{c.chrom}:{c.start}-{c.end} {c.call} f={c.fraction:.3f}" for c in called)
            + f" (planted: chr14 second half loss f=0.2, chr20:30,000,000-31,000,000 gain f=1.0; in-process "
            f"{time.perf_counter() - t0:.1f} s)")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--stage":
        return _stage(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region-mb", type=float, default=10.0)
    ap.add_argument("--permutations", type=int, default=200)
    args = ap.parse_args(argv)
    me = [sys.executable, str(Path(__file__).resolve()), "--stage"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # first, so that its peak RSS is its own (ru_maxrss of the children is a running maximum)
        wall_s, rss_s = measure(me + ["segment", str(args.permutations), str(tmp / "seg.txt")])
        print(f"segmentation + calls + arms on a GRCh38-sized genome (5-kb bins, {args.permutations} permutations): "
              f"wall {wall_s:.1f} s, peak RSS {rss_s:.0f} MB")
        print("  " + (tmp / "seg.txt").read_text())
        t0 = time.perf_counter()
        bam, fa, n = _region_bam(tmp, args.region_mb)
        length = int(args.region_mb * 1e6)
        print(f"region BAM: {args.region_mb:g} Mb at 30x = {n:,} reads (written in {time.perf_counter() - t0:.0f} s)")
        rates = {}
        tf = str(tmp / "t.txt")
        for name, cmd in (("cgtsafe bin_counts", me + ["count", str(bam), str(fa), str(length), tf]),
                          ("peer: plain pysam loop (same filters, no bins)", me + ["peer_loop", str(bam), tf]),
                          ("peer: htslib iteration (AlignmentFile.count)", me + ["peer_htslib", str(bam), tf])):
            wall, rss = measure(cmd)
            inproc = float(Path(tf).read_text())
            rates[name] = n / inproc
            print(f"  {name}: whole-process wall {wall:.2f} s (counting {inproc:.2f} s: {n / inproc:,.0f} reads/s, "
                  f"{args.region_mb / inproc:.2f} Mb per s), peak RSS (largest child so far) {rss:.0f} MB")
        ours = rates["cgtsafe bin_counts"]
        print(f"  ratio cgtsafe / plain pysam loop: {ours / rates['peer: plain pysam loop (same filters, no bins)']:.2f}"
              f"; cgtsafe / htslib iteration: {ours / rates['peer: htslib iteration (AlignmentFile.count)']:.2f}")
        wall_b, rss_b = measure(me + ["baf", str(bam), str(fa), str(length), tf])
        in_b = float(Path(tf).read_text())
        baf_rate = length / in_b
        print(f"  BAF het-site discovery (cgtsafe bulk base counter): whole-process wall {wall_b:.2f} s (counting "
              f"{in_b:.2f} s: {baf_rate / 1e6:.2f} Mb/s), peak RSS (largest child so far) {rss_b:.0f} MB")
        wall_p, _ = measure(me + ["peer_baf", str(bam), str(length), tf])
        in_p = float(Path(tf).read_text())
        print(f"  peer: pysam count_coverage (same filters): whole-process wall {wall_p:.2f} s (counting {in_p:.2f} s: "
              f"{length / in_p / 1e6:.2f} Mb/s); ratio of counting times pysam / cgtsafe {in_p / in_b:.2f}")
    count_s = 2 * HUMAN_READS_30X / ours
    baf_s = 2 * 3.1e9 / baf_rate
    print("\nPROJECTION (not measured; = measured rate x size) for one 30x human edited/control pair:")
    print(f"  counting 2 x {HUMAN_READS_30X / 1e6:.0f} M reads at {ours:,.0f} reads/s: {count_s / 60:.0f} min "
          f"(one process; the two samples can run in parallel)")
    print(f"  BAF discovery over 2 x 3.1 Gb at {baf_rate / 1e6:.2f} Mb/s: {baf_s / 60:.0f} min (less with cnv.snps)")
    print(f"  segmentation/calls (measured above): {wall_s / 60:.1f} min")
    print(f"  total: {(count_s + baf_s + wall_s) / 3600:.1f} h on one core; memory: counting holds 1-kb bin arrays "
          f"(3.1 M floats per sample, ~25 MB), segmentation peak as measured")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
