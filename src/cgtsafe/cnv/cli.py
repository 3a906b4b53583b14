"""Command-line sub-commands of ``cgtsafe cnv`` (thin layer; the science is in the sibling modules).

``cgtsafe cnv call``  edited + control WGS -> bins, segments (calls, cell fractions), cut-distal tests, LOD tables
"""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("cnv", help="copy-number changes between edited and control WGS")
    s = p.add_subparsers(dest="cnv_command", metavar="STEP")
    s.required = True
    c = s.add_parser("call", help="binned depth, GC correction, segmentation, calls, cut-distal tests, LOD",
                     description="Coordinates: start 0-based, end exclusive; cut = 0-based base right of the break.")
    c.add_argument("--edited", required=True, help="edited-cell WGS BAM/CRAM (indexed)")
    c.add_argument("--control", required=True, help="control WGS BAM/CRAM (indexed)")
    c.add_argument("--reference", required=True, help="reference FASTA")
    c.add_argument("--cut", action="append", default=[], metavar="NAME=CHROM:POS", help="on-target cut (repeatable)")
    c.add_argument("--sites", default=None, help="prediction table (offtarget sites.tsv): its on-target rows "
                                                  "(0 mismatches, no bulge) add their cuts")
    c.add_argument("--genes", default=None, help="gene annotation (GTF/refGene): locates the 20q11.21 amplicon")
    c.add_argument("--bin-size", type=int, default=None, help="bp (multiple of 1000); default from coverage")
    c.add_argument("--target-reads", type=int, default=1000, help="reads per bin when choosing the bin size")
    c.add_argument("--min-mapq", type=int, default=20)
    c.add_argument("--alpha", type=float, default=0.01)
    c.add_argument("--permutations", type=int, default=200)
    c.add_argument("--mappability", default=None, help="mappability bedGraph/BED (mappable fraction per region)")
    c.add_argument("--min-mappability", type=float, default=0.5, help="bins below this mean mappability are excluded")
    c.add_argument("--centromeres", default=None, help="UCSC cytoBand (acen bands) or chrom/start/end centromere table")
    c.add_argument("--build", default=None, help="genome build name (GRCh37/hg19 uses the shipped centromere table)")
    c.add_argument("--regions", default=None, help="named recurrent regions: name chrom start end kind")
    c.add_argument("--no-baf", dest="baf", action="store_false", help="skip B-allele frequencies")
    c.add_argument("--snps", default=None, help="population SNP VCF: BAF only at these sites (default: discover "
                                                "het sites in the control)")
    c.add_argument("--het-min-depth", type=int, default=20, help="control depth to call a het site")
    c.add_argument("--baf-min-depth", type=int, default=10, help="edited depth at a het site to use it")
    c.add_argument("--baf-min-sites", type=int, default=20, help="het sites a region needs for a BAF estimate")
    c.add_argument("--outdir", required=True)
    c.set_defaults(func=_call)

    m = s.add_parser("summarize", help="summary.json and the genome-wide ratio figure over the edited samples")
    m.add_argument("--sample", action="append", required=True, metavar="NAME=DIR", help="a cnv call output folder")
    m.add_argument("--outdir", required=True)
    m.add_argument("--out", required=True)
    m.set_defaults(func=_summarize)


def _summarize(args) -> int:
    from cgtsafe.cnv.summarize import run_summarize

    run_summarize([s.partition("=")[::2] for s in args.sample], args.outdir, args.out)
    return 0


def _call(args) -> int:
    from cgtsafe.cnv.run import parse_cut, run_call
    from cgtsafe.errors import InputError

    if args.bin_size is not None and (args.bin_size < 1000 or args.bin_size % 1000):
        raise InputError(f"--bin-size: expected a multiple of 1000 bp, got {args.bin_size}")
    if not 0 <= args.min_mappability <= 1:
        raise InputError(f"--min-mappability: expected a fraction in 0..1, got {args.min_mappability}")
    if not 0 < args.alpha < 1:
        raise InputError(f"--alpha: expected a probability in (0, 1), got {args.alpha}")
    cuts = [parse_cut(c) for c in args.cut]
    if args.sites:
        from cgtsafe.cnv.run import on_target_cuts

        cuts += on_target_cuts(args.sites)
    run_call(args.edited, args.control, args.reference, args.outdir, cuts=cuts,
             bin_size=args.bin_size, target_reads=args.target_reads, min_mapq=args.min_mapq, alpha=args.alpha,
             n_perm=args.permutations, genes=args.genes, mappability=args.mappability,
             min_mappability=args.min_mappability, centromeres=args.centromeres, build=args.build,
             regions=args.regions, baf=args.baf, snps=args.snps, het_min_depth=args.het_min_depth,
             baf_min_depth=args.baf_min_depth, baf_min_sites=args.baf_min_sites)
    return 0
