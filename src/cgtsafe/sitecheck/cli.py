"""Command-line sub-commands of ``cgtsafe sitecheck`` (thin layer; the science lives in the sibling modules).

``check``              validate sample sheets, files, indexes, contigs and sites (writes nothing)
``quantify-wgs``       per-site read classes of one BAM/CRAM sample -> counts TSV
``quantify-amplicon``  per-site read classes of one sample's amplicon FASTQs -> counts TSV
``compare``            edited vs matched control for every pair and assay -> site_verdicts.tsv
``summarize``          summary.json (+ figures, tables) for the evidence report
"""

from __future__ import annotations

from cgtsafe.errors import InputError
from cgtsafe.sitecheck.cli_genomewide import add_genomewide_parsers


def _add_window_args(p, *, mapq: bool = True) -> None:
    p.add_argument("--window", type=int, default=5,
                   help="bases on each side of the cut interval in the quantification window (default 5)")
    p.add_argument("--min-baseq", type=int, default=20,
                   help="substitutions with base quality below this are ignored (default 20)")
    if mapq:
        p.add_argument("--min-mapq", type=int, default=20, help="reads with MAPQ below this are excluded (default 20)")
    p.add_argument("--editor", default="nuclease",
                   help="editor preset: nuclease (default), CBE, ABE, ABE8e, PE, HDR or an alias (BE4max, ABE7.10, "
                        "PE2, ...); decides what counts as editing (docs/outputs/sitecheck.md)")
    p.add_argument("--editor-window", type=int, nargs=2, metavar=("FIRST", "LAST"),
                   help="base editor activity window, protospacer positions (1 = PAM-distal); default: the preset's")
    p.add_argument("--rt-template-length", type=int, default=None,
                   help="prime editors: bases 3' of the nick a reverse transcript can write (substitutions there "
                        "count at sites without an intended edit); default 20")


def _add_stat_args(p) -> None:
    p.add_argument("--threshold", type=float, required=True,
                   help="declared off-target frequency threshold (fraction, e.g. 0.001)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (BH q and per-site LOD)")
    p.add_argument("--power", type=float, default=0.8, help="power that defines the limit of detection")
    p.add_argument("--min-depth", type=int, default=10,
                   help="fewer counted reads than this in either sample -> no_coverage")


def _add_site_args(p) -> None:
    p.add_argument("--sites", required=True, help="candidate sites TSV (off-target step output)")
    p.add_argument("--nominated", nargs="*", default=[],
                   help="empirically nominated sites, BED or TSV, as PATH or METHOD=PATH (e.g. GUIDE-seq=x.bed)")
    p.add_argument("--variant-sites", nargs="*", default=[],
                   help="`offtarget variants` tables: sites created or strengthened by the donor's alleles join the "
                        "candidates, the allele named")


def register(sub) -> None:
    p = sub.add_parser("sitecheck", help="edited-vs-control sequencing at candidate off-target sites")
    s = p.add_subparsers(dest="sitecheck_command", metavar="STEP")
    s.required = True

    c = s.add_parser("check", help="validate sample sheets, alignments, indexes, contigs and sites")
    _add_site_args(c)
    c.add_argument("--reference", required=True, help="reference FASTA (as used for the alignments)")
    c.add_argument("--wgs-sheet", help="WGS sample sheet (sample role file control)")
    c.add_argument("--amplicon-sheet", help="amplicon sample sheet (sample role amplicon fastq fastq2 control)")
    c.add_argument("--amplicons", help="amplicons.tsv (required with --amplicon-sheet)")
    c.add_argument("--window", type=int, default=5)
    c.set_defaults(func=_check)

    q = s.add_parser("quantify-wgs", help="classify reads at every site for one BAM/CRAM sample")
    q.add_argument("--sheet", required=True, help="WGS sample sheet")
    q.add_argument("--sample", required=True)
    _add_site_args(q)
    q.add_argument("--reference", required=True)
    _add_window_args(q)
    q.add_argument("--threads", type=int, default=1)
    q.add_argument("--intended-edits",
                   help="prime editing / HDR: TSV of intended edits per site (site_id + pegrna_extension, or "
                        "edit_start edit_end replacement); reads there are classified against the edited sequence")
    q.add_argument("--out", required=True, help="counts TSV")
    q.set_defaults(func=_quantify_wgs)

    a = s.add_parser("quantify-amplicon", help="align and classify one sample's amplicon reads")
    a.add_argument("--sheet", required=True, help="amplicon sample sheet")
    a.add_argument("--sample", required=True)
    a.add_argument("--amplicons", required=True, help="amplicons.tsv")
    _add_site_args(a)
    _add_window_args(a, mapq=False)
    a.add_argument("--min-identity", type=float, default=0.6,
                   help="minimum alignment identity (matches / all columns, end gaps included) (default 0.6)")
    a.add_argument("--min-overlap", type=int, default=10, help="minimum mate overlap for merging pairs")
    a.add_argument("--adapters", nargs="+", default=["truseq"], metavar="ADAPTER",
                   help="3' adapters cut before merging/alignment: truseq (default), nextera, none, or one sequence "
                        "(both reads) or two (read 1, read 2)")
    a.add_argument("--out", required=True, help="counts TSV")
    a.set_defaults(func=_quantify_amplicon)

    m = s.add_parser("compare", help="edited vs matched control: statistics and per-site verdicts")
    _add_site_args(m)
    m.add_argument("--window", type=int, default=5)
    m.add_argument("--wgs-sheet", help="WGS sample sheet (pairs)")
    m.add_argument("--amplicon-sheet", help="amplicon sample sheet (pairs)")
    m.add_argument("--counts", nargs="+", required=True, help="counts TSVs from quantify-wgs/quantify-amplicon")
    _add_stat_args(m)
    m.add_argument("--out", required=True, help="site_verdicts.tsv")
    m.set_defaults(func=_compare)

    z = s.add_parser("summarize", help="summary.json, figures and tables for the report")
    z.add_argument("--verdicts", required=True)
    z.add_argument("--counts", nargs="*", default=[], help="counts TSVs (for the exclusion audit)")
    _add_stat_args(z)
    z.add_argument("--justification", required=True, help="threshold justification (free text)")
    _add_window_args(z)
    z.add_argument("--min-identity", type=float, default=0.6)
    z.add_argument("--inputs", nargs="*", default=[], help="input files to list for provenance")
    z.add_argument("--out", required=True, help="summary.json (figures are written next to it)")
    z.set_defaults(func=_summarize)

    # genome-wide and structural sub-commands (their summary fragments are merged by ``summarize``,
    # cgtsafe.sitecheck.summarize.FRAGMENTS)
    add_genomewide_parsers(s)


def _sites(args):
    from cgtsafe.sitecheck.sites import load_sites

    return load_sites(args.sites, args.nominated, flank=args.window, variants=args.variant_sites)


def _check(args) -> int:
    from cgtsafe.sitecheck.sheets import read_amplicon_sheet, read_amplicons
    from cgtsafe.io.alignment import open_checked
    from cgtsafe.io.reference import ReferenceGenome
    from cgtsafe.sitecheck.quantify import check_sites_on_contigs, read_wgs_sheet

    sites = _sites(args)
    ref = ReferenceGenome(args.reference)
    if args.wgs_sheet:
        df = read_wgs_sheet(args.wgs_sheet)
        for row in df.to_dict("records"):
            af, _ = open_checked(row["file"], ref, contigs=sorted({s.chrom for s in sites}))
            lengths = dict(zip(af.references, af.lengths))
            af.close()
            check_sites_on_contigs(sites, lengths, bam=row["file"])
    if args.amplicon_sheet:
        if not args.amplicons:
            raise InputError("--amplicons is required with --amplicon-sheet")
        amps = read_amplicons(args.amplicons)
        df = read_amplicon_sheet(args.amplicon_sheet)
        _check_amplicons(df, amps, sites, args.amplicon_sheet, args.amplicons)
    print(f"sitecheck inputs valid: {len(sites)} sites")
    return 0


def _check_amplicons(df, amps, sites, sheet, amplicons_path) -> None:
    """Every sheet amplicon is in amplicons.tsv and targets a candidate site; within one sample each site is
    read through one amplicon (two arms of a study may sequence the same site with their own amplicons)."""
    ids = {s.site_id for s in sites}
    for i, row in enumerate(df.to_dict("records"), start=2):
        if row["amplicon"] not in amps:
            raise InputError(f"amplicon {row['amplicon']!r} is not in {amplicons_path}", path=sheet, line=i)
    seen: dict[tuple[str, str], str] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        sid = amps[row["amplicon"]]["site_id"]
        key = (row["sample"], sid)
        if key in seen and seen[key] != row["amplicon"]:
            raise InputError(f"sample {row['sample']}: amplicons {seen[key]} and {row['amplicon']} target the same "
                             f"site {sid!r}; use one amplicon per site and sample", path=sheet, line=i)
        seen[key] = row["amplicon"]
    for name, a in amps.items():
        if a["site_id"] not in ids:
            raise InputError(f"amplicon {name} targets site_id {a['site_id']!r}, which is not a candidate site",
                             path=amplicons_path)


def _sheet_row(df, sample, sheet):
    rows = df[df["sample"] == sample]
    if rows.empty:
        raise InputError(f"sample {sample!r} is not in the sample sheet", path=sheet)
    return rows


def _quantify_wgs(args) -> int:
    from cgtsafe.io.tables import write_table
    from cgtsafe.sitecheck.quantify import quantify_bam, read_wgs_sheet

    df = read_wgs_sheet(args.sheet)
    row = _sheet_row(df, args.sample, args.sheet).iloc[0]
    from cgtsafe.sitecheck.sheets import read_intended_edits

    sites = _sites(args)
    intended = read_intended_edits(args.intended_edits)
    ids = {s.site_id for s in sites}
    for sid in intended:
        if sid not in ids:
            raise InputError(f"intended edit for site {sid!r}, which is not a candidate site", path=args.intended_edits)
    editor = _editor(args)
    if intended and editor.kind not in ("prime", "hdr"):
        raise InputError(f"intended edits apply to prime editing or HDR (editor PE or HDR), not {editor.name}",
                         path=args.intended_edits)
    counts = quantify_bam(row["file"], args.reference, sites, sample=args.sample, flank=args.window,
                          min_mapq=args.min_mapq, min_baseq=args.min_baseq, threads=args.threads,
                          editor=editor, intended=intended)
    write_table(counts, args.out)
    return 0


def _editor(args):
    from cgtsafe.sitecheck.editors import get_editor

    return get_editor(args.editor, args.editor_window, getattr(args, "rt_template_length", None))


def _quantify_amplicon(args) -> int:
    import pandas as pd

    from cgtsafe.io.tables import write_table
    from cgtsafe.sitecheck.amplicon import (prime_edited_amplicon, quantify_sample, read_amplicon_sheet,
                                            read_amplicons)

    amps = read_amplicons(args.amplicons)
    df = read_amplicon_sheet(args.sheet)
    sites = _sites(args)
    _check_amplicons(df, amps, sites, args.sheet, args.amplicons)
    by_id = {s.site_id: s for s in sites}
    for name, a in amps.items():
        ext = (a.get("pegrna_extension") or "").strip()
        if ext:
            try:
                exp, flap_end = prime_edited_amplicon(a["sequence"], a["cut_offset"], by_id[a["site_id"]].strand, ext)
            except InputError as exc:
                raise InputError(f"amplicon {name}: {exc}", path=args.amplicons) from None
            if a["expected"] and a["expected"] != exp:
                raise InputError(f"amplicon {name}: expected_sequence differs from the amplicon built from "
                                 "pegrna_extension; give one of them", path=args.amplicons)
            a["expected"], a["flap_end"] = exp, flap_end
    rows = quantify_sample(_sheet_row(df, args.sample, args.sheet).to_dict("records"), amps, by_id,
                           sample=args.sample, flank=args.window, min_baseq=args.min_baseq,
                           min_identity=args.min_identity, min_overlap=args.min_overlap, editor=_editor(args),
                           adapters=args.adapters[0] if len(args.adapters) == 1 else args.adapters)
    for r in rows:
        kept = ", ".join(f"{k} {r[k]} ({100 * r[k] / max(1, r['input_reads']):.1f} %)"
                         for k in ("merged_reads", "assigned_reads", "aligned_reads", "reads"))
        kept += (f"; adapter cut from {r['adapter_trimmed_reads']} "
                 f"({100 * r['adapter_trimmed_reads'] / max(1, r['input_reads']):.1f} %)")
        print(f"{args.sample} {r['amplicon']}: input {r['input_reads']}; kept: {kept}")
    write_table(pd.DataFrame(rows), args.out)
    return 0


def _compare(args) -> int:
    from cgtsafe.io.tables import read_table, write_table
    from cgtsafe.sitecheck.sheets import read_amplicon_sheet
    from cgtsafe.sitecheck.quantify import read_wgs_sheet
    from cgtsafe.sitecheck.verdict import compare_pairs

    sites = _sites(args)
    tables = {}
    for path in args.counts:
        t = read_table(path, required=("sample", "assay", "site_id", "reads", "indel"), what="counts table")
        for (sample, assay), part in t.groupby(["sample", "assay"], sort=True):
            tables[(assay, sample)] = part
    pairs, expected = [], {}
    if args.wgs_sheet:
        w = read_wgs_sheet(args.wgs_sheet, check_files=False)
        pairs += [("wgs", r["sample"], r["control"]) for r in w.to_dict("records") if r["role"] == "edited"]
        all_ids = {s.site_id for s in sites}
        expected.update({("wgs", r["sample"]): ("site_id", all_ids) for r in w.to_dict("records")})
    if args.amplicon_sheet:
        a = read_amplicon_sheet(args.amplicon_sheet, check_files=False)
        recs = a.to_dict("records")
        pairs += sorted({("amplicon", r["sample"], r["control"]) for r in recs if r["role"] == "edited"})
        for r in recs:
            expected.setdefault(("amplicon", r["sample"]), ("amplicon", set()))[1].add(r["amplicon"])
    out = compare_pairs(tables, pairs, sites, expected, threshold=args.threshold, alpha=args.alpha,
                        target_power=args.power, min_depth=args.min_depth)
    write_table(out, args.out)
    return 0


def _summarize(args) -> int:
    from cgtsafe.sitecheck.summarize import build_summary

    build_summary(verdicts=args.verdicts, out=args.out, threshold=args.threshold, justification=args.justification,
                  alpha=args.alpha, power=args.power, window=args.window, min_mapq=args.min_mapq,
                  min_baseq=args.min_baseq, min_depth=args.min_depth, min_identity=args.min_identity,
                  counts=args.counts, inputs=args.inputs)
    return 0
