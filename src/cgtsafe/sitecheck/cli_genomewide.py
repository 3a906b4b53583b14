"""Sub-commands of ``cgtsafe sitecheck`` for the genome-wide and structural comparisons (thin layer).

``genomewide``          edited-only small variants of one edited/control pair -> TSV + stats JSON
                        (``--chunk i/n``: one region job -> tested candidates before BH + stats JSON)
``genomewide-merge``    the region jobs of one pair -> the same TSV + stats JSON as an unsplit run
``genomewide-summary``  merge pairs -> genomewide_variants.tsv, genomewide_sensitivity.tsv,
                        fig_genomewide_sensitivity.json, genomewide_summary.json
``structural``          large deletions / translocations at the cut sites of one pair -> TSV + stats JSON
``structural-summary``  merge pairs -> structural_events.tsv, fig_structural_events.json, structural_summary.json

``add_genomewide_parsers(sub)`` is called by :func:`cgtsafe.sitecheck.cli.register` with the
``sitecheck`` sub-parser collection.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
from pathlib import Path

from cgtsafe.errors import InputError


def _nonneg(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return v


def _fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number within 0..1, got {text!r}") from None
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"expected a number within 0..1, got {text!r}")
    return v


def _pair_args(p) -> None:
    p.add_argument("--edited", required=True, help="BAM/CRAM of the edited sample (indexed)")
    p.add_argument("--control", required=True, help="BAM/CRAM of its matched unedited control (indexed)")
    p.add_argument("--sample", required=True, help="name of the edited sample (written into the table)")
    p.add_argument("--control-name", required=True, help="name of the control sample")
    p.add_argument("--reference", required=True, help="reference FASTA used for the alignments (needed for CRAM)")
    p.add_argument("--out", required=True, help="per-pair TSV")
    p.add_argument("--stats", required=True, help="per-pair stats JSON (input of the *-summary step)")


def _scan_args(g, d) -> None:
    """Options shared by ``genomewide`` and ``genomewide-merge`` (``d``: the default Params)."""
    _pair_args(g)
    g.add_argument("--regions", default=None, help="BED of regions to scan (0-based); default: whole genome")
    g.add_argument("--guides", default=None, help="guide table (name spacer) for the guide-similarity check")
    g.add_argument("--nuclease", default="SpCas9")
    g.add_argument("--genes", default=None, help="gene annotation (GTF or genePred)")
    g.add_argument("--genes-of-concern", default=None, help="genes-of-concern TSV (default: shipped list)")
    g.add_argument("--windows", type=_nonneg, nargs="+", default=[50000, 100000],
                   help="gene-of-concern distance windows (bp)")
    for name, typ, help_ in (
        ("min_mapq", _nonneg, "minimum read MAPQ"), ("min_baseq", _nonneg, "minimum base quality for allele counts"),
        ("min_depth", _nonneg, "minimum edited depth"), ("min_control_depth", _nonneg, "minimum control depth"),
        ("min_alt_reads", _nonneg, "minimum SNV alt reads in the edited sample"),
        ("min_indel_reads", _nonneg, "minimum reads with an indel at an indel locus in the edited sample"),
        ("min_vaf", _fraction, "minimum VAF in the edited sample"),
        ("max_control_alt", _nonneg, "more alt reads than this in the control = shared (germline) variant"),
        ("cluster_distance", _nonneg, "indel alleles closer than this (bp) form one locus"),
        ("alpha", _fraction, "BH q-value threshold for a call"),
        ("chunk_size", _nonneg, "region chunk (bp) per task"),
        ("guide_window", _nonneg, "bp around a variant searched for guide-like sites"),
        ("guide_max_mismatches", _nonneg, "mismatches allowed in the guide-similarity search"),
        ("guide_max_bulges", _nonneg, "DNA and RNA bulges allowed in the guide-similarity search"),
    ):
        g.add_argument("--" + name.replace("_", "-"), type=typ, default=getattr(d, name),
                       help=f"{help_} (default {getattr(d, name)})")


# OpenBLAS starts a thread pool per library when numpy and scipy load (two pools on this machine's wheels),
# whose threads spin for a while: about 0.08 CPU-s per process (benchmarks/bench_genomewide.py, fixed
# cost). No sitecheck step does BLAS work worth threads, and a workflow job runs on the cores it declares, so
# one thread unless the user set it (read when numpy first loads: `cgtsafe sitecheck` imports this module
# first).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@contextlib.contextmanager
def _loading_libraries():
    """Start-up: the libraries' objects are long-lived; collecting them again and again while they load cost
    about 0.1 CPU-s (of about 1.2 s of fixed cost, benchmarks/bench_genomewide.py), so the collector waits
    until they are loaded and then leaves them out of its full passes (``gc.freeze``)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


def add_genomewide_parsers(sub) -> None:
    with _loading_libraries():  # numpy / pandas load here
        from cgtsafe.sitecheck.genomewide_count import Params
        from cgtsafe.sitecheck.structural import SVParams

    d = Params()
    g = sub.add_parser("genomewide", help="genome-wide edited-only small variants (edited vs matched control)")
    _scan_args(g, d)
    g.add_argument("--threads", type=_nonneg, default=1)
    g.add_argument("--chunk", default=None,
                   help="i/n: run the i-th of n region jobs (contiguous near-equal shares of the chunks); writes the "
                        "tested candidates before BH and annotation, merged by `genomewide-merge`")
    g.set_defaults(func=_genomewide)

    m = sub.add_parser("genomewide-merge", help="merge the region jobs of one pair (= the unsplit `genomewide`)")
    _scan_args(m, d)
    m.add_argument("--parts", nargs="+", required=True, help="region-job tables (`genomewide --chunk i/n --out`)")
    m.add_argument("--part-stats", nargs="+", required=True, help="region-job stats JSONs, same order")
    m.set_defaults(func=_genomewide_merge)

    gs = sub.add_parser("genomewide-summary", help="merge genome-wide results of all pairs + summary fragment")
    gs.add_argument("--tables", nargs="+", required=True)
    gs.add_argument("--stats", nargs="+", required=True)
    gs.add_argument("--out-table", required=True, help="genomewide_variants.tsv")
    gs.add_argument("--out-sensitivity", required=True, help="genomewide_sensitivity.tsv")
    gs.add_argument("--out-figure", required=True, help="plotly JSON: expected sensitivity vs VAF")
    gs.add_argument("--out", required=True, help="genomewide_summary.json (paths relative to its folder)")
    gs.add_argument("--out-spectrum", default=None,
                    help="private SNVs per trinucleotide channel (default: genomewide_spectrum.tsv next to --out)")
    gs.add_argument("--out-editor-test", default=None,
                    help="editor-aware excess test (default: genomewide_editor_test.tsv next to --out)")
    gs.add_argument("--editor", default="nuclease",
                    help="editor preset of the WGS pairs (sitecheck.editor): base editors get the substitution-class "
                         "test, others the indel balance")
    gs.add_argument("--power", type=_fraction, default=0.8, help="power of the detectable excess (sitecheck.power)")
    gs.add_argument("--detectable-excess-per-mb", type=float, default=None,
                    help="largest detectable excess (clonal variants per callable Mb) that still allows 'no excess "
                         "detected' (default 0.1: BE3 in Zuo et al. 2019)")
    gs.set_defaults(func=_genomewide_summary)

    sd = SVParams()
    s = sub.add_parser("structural", help="large deletions and translocations at the cut sites (edited vs control)")
    _pair_args(s)
    s.add_argument("--sites", required=True, help="candidate sites TSV (site_id chrom cut_start ...)")
    for name, typ, help_ in (
        ("min_mapq", _nonneg, "minimum MAPQ of reads and supplementary pieces"),
        ("max_distance", _nonneg, "breakpoints farther than this (bp) from every cut site are ignored"),
        ("max_insert", _nonneg, "pairs with a longer insert are discordant"),
        ("tolerance", _nonneg, "split-read junctions within this many bp are one event"),
        ("reciprocal_tolerance", _nonneg, "bp tolerance to pair the two junctions of a reciprocal translocation"),
        ("ref_margin", _nonneg, "a reference fragment must cover the breakpoint +- this many bp"),
        ("min_support", _nonneg, "supporting fragments needed for 'detected'/'call'"),
        ("alpha", _fraction, "BH q-value threshold for a call"),
    ):
        s.add_argument("--" + name.replace("_", "-"), type=typ, default=getattr(sd, name),
                       help=f"{help_} (default {getattr(sd, name)})")
    s.set_defaults(func=_structural)

    ss = sub.add_parser("structural-summary", help="merge structural results of all pairs + summary fragment")
    ss.add_argument("--tables", nargs="+", required=True)
    ss.add_argument("--stats", nargs="+", required=True)
    ss.add_argument("--out-table", required=True, help="structural_events.tsv")
    ss.add_argument("--out-figure", required=True, help="plotly JSON: event frequencies with 95 % intervals")
    ss.add_argument("--out", required=True, help="structural_summary.json")
    ss.set_defaults(func=_structural_summary)


def _annotation_kw(args) -> dict:
    return {"sample": args.sample, "control_name": args.control_name, "regions": args.regions,
            "guides": args.guides, "nuclease": args.nuclease, "genes": args.genes,
            "genes_of_concern": args.genes_of_concern, "windows": tuple(args.windows)}


def _genomewide(args) -> int:
    with _loading_libraries():
        from cgtsafe.io.tables import write_json, write_table
        from cgtsafe.sitecheck.genomewide import Params, parse_chunk, run_pair, scan_raw
        from cgtsafe.sitecheck.genomewide_kernel import NIB_CODE  # noqa: F401  (numba and the kernels' module)

    params = Params(**{k: getattr(args, k) for k in Params.__dataclass_fields__})
    if args.chunk:
        raw, stats = scan_raw(args.edited, args.control, args.reference, regions=args.regions, params=params,
                              threads=max(1, args.threads), chunk=parse_chunk(args.chunk))
        write_table(raw, args.out)
        write_json(args.stats, stats)
        print(f"{args.sample} vs {args.control_name} region job {args.chunk}: {stats['tasks']} chunks, "
              f"{stats['scanned_bp'] / 1e6:.3f} Mb scanned, {len(raw)} tested candidates")
        return 0
    df, stats = run_pair(args.edited, args.control, args.reference, params=params, threads=max(1, args.threads),
                         **_annotation_kw(args))
    write_table(df, args.out)
    write_json(args.stats, stats)
    print(f"{args.sample} vs {args.control_name}: {int(df['call'].sum()) if len(df) else 0} edited-only calls "
          f"of {len(df)} tested candidates; {stats['callable_bp'] / 1e6:.3f} Mb callable")
    return 0


def _genomewide_merge(args) -> int:
    from cgtsafe.io.tables import write_json, write_table
    from cgtsafe.sitecheck.genomewide import RAW_COLUMNS, Params, complete_pair, job_key, parse_chunk

    params = Params(**{k: getattr(args, k) for k in Params.__dataclass_fields__})
    frames, stats = _read_pairs(args.parts, args.part_stats, tuple(RAW_COLUMNS))
    seen = sorted(parse_chunk(s.get("chunk", "")) for s in stats)
    n = seen[0][1] if seen else 0
    if seen != [(i, n) for i in range(1, n + 1)]:
        raise InputError(f"--parts must be the region jobs 1/n..n/n of one run, got {[f'{i}/{k}' for i, k in seen]}")
    want = job_key(args.edited, args.control, args.regions, params)
    for f, s in zip(args.part_stats, stats):
        if s.get("parameters_counting") != want:
            raise InputError("region job was run with other inputs, regions or parameters than this merge", path=f)
    frames = [_typed(f, ints=("start", "end", "pos", "n_alleles", "edited_alt", "edited_depth", "control_alt",
                              "control_depth"), floats=("edited_vaf", "control_vaf", "p_value")) for f in frames]
    df, st = complete_pair(frames, stats, args.edited, args.control, args.reference, params=params,
                           **_annotation_kw(args))
    write_table(df, args.out)
    write_json(args.stats, st)
    print(f"{args.sample} vs {args.control_name}: merged {n} region jobs; {int(df['call'].sum()) if len(df) else 0} "
          f"edited-only calls of {len(df)} tested candidates")
    return 0


def _read_pairs(tables, stats, read_table_required):
    from cgtsafe.io.tables import read_table

    if len(tables) != len(stats):
        raise InputError(f"--tables ({len(tables)}) and --stats ({len(stats)}) must list the same pairs")
    frames, st = [], []
    for t, s in zip(tables, stats):
        frames.append(read_table(t, required=read_table_required, what="per-pair table"))
        p = Path(s)
        if not p.exists():
            raise InputError("stats JSON not found", path=p)
        try:
            st.append(json.loads(p.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg})", path=p, line=exc.lineno) from None
    return frames, st


def _typed(df, ints=(), floats=()):
    for c in ints:
        df[c] = df[c].astype(int)
    for c in floats:
        df[c] = df[c].astype(float)
    return df


def _genomewide_summary(args) -> int:
    from cgtsafe.io.tables import write_json, write_table, write_text
    from cgtsafe.sitecheck import genomewide as gw

    from cgtsafe.sitecheck.editors import get_editor
    from cgtsafe.sitecheck.genomewide_editor import DETECTABLE_EXCESS_PER_MB

    editor = get_editor(args.editor)
    per_mb = DETECTABLE_EXCESS_PER_MB if args.detectable_excess_per_mb is None else args.detectable_excess_per_mb
    if not per_mb > 0:
        raise InputError(f"--detectable-excess-per-mb: expected a positive number, got {per_mb}")
    frames, stats = _read_pairs(args.tables, args.stats, ("sample", "control", *gw.COLUMNS))
    frames = [_typed(f, ints=("start", "end", "pos", "n_alleles", "edited_alt", "edited_depth", "control_alt",
                              "control_depth", "call", "guide_like", "gene_of_concern"),
                     floats=("edited_vaf", "control_vaf", "p_value", "q_value")) for f in frames]
    out_table, out_sens = Path(args.out_table), Path(args.out_sensitivity)
    base = Path(args.out).parent
    df, sens, summary = gw.build_summary(frames, stats, table_name=_rel(out_table, base), sens_name=_rel(out_sens, base))
    fig = Path(args.out_figure)
    called = df[df["call"].astype(int) == 1] if len(df) else df
    summary["figures"] = [{"id": "sitecheck_genomewide_sensitivity", "title_en": "Genome-wide scan: expected sensitivity",
                           "title_zh": "全基因组扫描：预期灵敏度", "path": _rel(fig, base)}]
    out_spec = Path(args.out_spectrum or base / "genomewide_spectrum.tsv")
    out_test = Path(args.out_editor_test or base / "genomewide_editor_test.tsv")
    spec, tests = gw.add_editor_test(summary, stats, editor, power=args.power, per_mb=per_mb,
                                     spectrum_name=_rel(out_spec, base), test_name=_rel(out_test, base), table=df)
    write_table(df, out_table)
    write_table(sens, out_sens)
    write_table(spec, out_spec)
    write_table(tests, out_test)
    write_text(fig, gw.sensitivity_figure(sens, called))
    write_json(args.out, summary)
    return 0


def _structural(args) -> int:
    from cgtsafe.io.tables import write_json, write_table
    from cgtsafe.sitecheck.structural import SVParams, detect

    params = SVParams(**{k: getattr(args, k) for k in SVParams.__dataclass_fields__})
    df, stats = detect(args.edited, args.control, args.reference, args.sites, params=params)
    df.insert(0, "control", args.control_name)
    df.insert(0, "sample", args.sample)
    from dataclasses import asdict

    stats.update({"sample": args.sample, "control": args.control_name, "parameters": asdict(params),
                  "inputs": [args.edited, args.control, args.sites]})
    write_table(df, args.out)
    write_json(args.stats, stats)
    print(f"{args.sample} vs {args.control_name}: {int(df['detected'].sum()) if len(df) else 0} structural events "
          f"detected, {int(df['call'].sum()) if len(df) else 0} significant")
    return 0


def _structural_summary(args) -> int:
    from cgtsafe.io.tables import write_json, write_table, write_text
    from cgtsafe.sitecheck import structural as sv

    frames, stats = _read_pairs(args.tables, args.stats, ("sample", "control", *sv.COLUMNS))
    frames = [_typed(f, ints=("pos1", "pos2", "precise", "n_junctions", "edited_support", "control_support",
                              "detected", "call"),
                     floats=("edited_frequency", "edited_freq_low", "edited_freq_high", "control_frequency",
                             "p_value", "q_value")) for f in frames]
    params = stats[0]["parameters"] if stats else {}
    base = Path(args.out).parent
    df, summary = sv.build_summary(frames, stats, params, table_name=_rel(Path(args.out_table), base))
    fig = Path(args.out_figure)
    summary["figures"] = [{"id": "sitecheck_structural_events", "title_en": "Structural events at the cut sites",
                           "title_zh": "切割位点处的结构变异", "path": _rel(fig, base)}]
    write_table(df, args.out_table)
    write_text(fig, sv.events_figure(df))
    write_json(args.out, summary)
    return 0


def _rel(path: Path, base: Path) -> str:
    import os

    return os.path.relpath(path.resolve(), base.resolve())
