"""Command-line sub-commands of ``cgtsafe nomination`` (thin layer; the science is in the sibling modules).

``cgtsafe nomination call``       reads (treated, control) -> windows.tsv, nominated.tsv, reads.tsv
``cgtsafe nomination summarize``  windows + nominated (+ predicted sites) -> comparison, figure, summary.json
"""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("nomination", help="empirical off-target nomination (GUIDE-seq, CHANGE-seq/CIRCLE-seq reads)")
    s = p.add_subparsers(dest="nomination_command", metavar="STEP")
    s.required = True
    c = s.add_parser("call", help="reads -> tag/cleavage windows -> guide search -> nominated sites",
                     description="Demultiplex, UMI-consolidate, trim the dsODN tag, align (minimap2), cluster "
                                 "break positions into windows, search each window for the guide (mismatches "
                                 "and bulges) and compare with the control. Coordinates: start 0-based, end "
                                 "exclusive; position 1-based.")
    c.add_argument("--genome", required=True, help="reference FASTA (indexed in memory by minimap2)")
    c.add_argument("--guides", required=True, help="guide file (as offtarget: name spacer)")
    c.add_argument("--samples", required=True, help="sample sheet TSV: name role guide r1 r2 [i1] [i2] "
                                                   "[barcode1] [barcode2]")
    c.add_argument("--nuclease", default="SpCas9")
    c.add_argument("--layout", default="guideseq", choices=["guideseq", "invitro"],
                   help="guideseq: dsODN tag in read 2, UMI in index 2, control; invitro: CHANGE-seq/CIRCLE-seq")
    c.add_argument("--method", default="GUIDE-seq", help="method name written into the nominated sites")
    for k in ("r1", "r2", "i1", "i2"):
        c.add_argument(f"--pool-{k}", default=None, help=f"pooled (undemultiplexed) run: {k} FASTQ")
    c.add_argument("--barcode-mismatches", type=int, default=1)
    c.add_argument("--tag-mismatches", type=int, default=2)
    c.add_argument("--umi-min-qual", type=int, default=15)
    c.add_argument("--umi-min-freq", type=float, default=0.9)
    c.add_argument("--min-mapq", type=int, default=10,
                   help="minimap2 MAPQ of the better-mapped read of a pair (default 10: minimap2 gives unique "
                        "20-40 nt fragments MAPQ 10-20)")
    c.add_argument("--max-fragment", type=int, default=10000)
    c.add_argument("--window-gap", type=int, default=10)
    c.add_argument("--flank", type=int, default=25, help="bp searched each side of the window")
    c.add_argument("--max-mismatches", type=int, default=6)
    c.add_argument("--max-dna-bulge", type=int, default=1)
    c.add_argument("--max-rna-bulge", type=int, default=1)
    c.add_argument("--max-bulge-mismatches", type=int, default=4)
    c.add_argument("--threads", type=int, default=1)
    c.add_argument("--outdir", required=True)
    c.set_defaults(func=_call)

    m = s.add_parser("summarize", help="summary.json: nominated vs predicted sites, missed sites and why")
    m.add_argument("--windows", required=True)
    m.add_argument("--nominated", required=True)
    m.add_argument("--reads", required=True)
    m.add_argument("--predicted", default=None, help="offtarget sites table (results/offtarget/sites.tsv)")
    m.add_argument("--method", default="GUIDE-seq")
    m.add_argument("--layout", default="guideseq")
    m.add_argument("--pred-max-mismatches", type=int, default=None)
    m.add_argument("--pred-max-dna-bulge", type=int, default=None)
    m.add_argument("--pred-max-rna-bulge", type=int, default=None)
    m.add_argument("--pred-max-bulge-mismatches", type=int, default=None)
    m.add_argument("--pred-no-alternative-pams", action="store_true")
    m.add_argument("--outdir", required=True)
    m.add_argument("--out", required=True, help="summary.json")
    m.set_defaults(func=_summarize)


def _call(args) -> int:
    from cgtsafe.errors import InputError
    from cgtsafe.nomination.run import CallParams, run_call
    from cgtsafe.nomination.sites import SearchLimits
    from cgtsafe.offtarget.search import check_limits

    check_limits(args.max_mismatches, args.max_dna_bulge, args.max_rna_bulge)
    for k in ("barcode_mismatches", "tag_mismatches", "min_mapq", "window_gap", "flank", "max_bulge_mismatches"):
        if getattr(args, k) < 0:
            raise InputError(f"--{k.replace('_', '-')}: expected >= 0, got {getattr(args, k)}")
    if not 0 < args.umi_min_freq <= 1:
        raise InputError(f"--umi-min-freq: expected a fraction in (0, 1], got {args.umi_min_freq}")
    limits = SearchLimits(args.max_mismatches, args.max_dna_bulge, args.max_rna_bulge, args.max_bulge_mismatches,
                          args.flank)
    params = CallParams(genome=args.genome, guides=args.guides, samples=args.samples, nuclease=args.nuclease,
                        layout=args.layout, method=args.method,
                        pool={k: getattr(args, f"pool_{k}") for k in ("r1", "r2", "i1", "i2")},
                        barcode_mismatches=args.barcode_mismatches, tag_mismatches=args.tag_mismatches,
                        umi_min_qual=args.umi_min_qual, umi_min_freq=args.umi_min_freq, min_mapq=args.min_mapq,
                        max_fragment=args.max_fragment, window_gap=args.window_gap, limits=limits,
                        threads=args.threads)
    run_call(params, args.outdir)
    return 0


def _summarize(args) -> int:
    from cgtsafe.nomination.summarize import PredictionLimits, run_summarize

    lim = PredictionLimits(args.pred_max_mismatches, args.pred_max_dna_bulge, args.pred_max_rna_bulge,
                           args.pred_max_bulge_mismatches, not args.pred_no_alternative_pams)
    run_summarize(args.windows, args.nominated, args.reads, args.predicted, lim, args.method, args.layout,
                  args.outdir, args.out)
    return 0
