"""Command-line sub-commands of `cgtsafe integration` (thin layer; the science lives in the sibling modules).

Fragments -> evidence (this file's ``add_evidence_parsers``):

``from-fragments``  fragments -> ``sites.tsv`` + ``clonality.tsv``
``from-matrix``     imported ISAnalytics/VISPA2 matrix (no breakpoints) -> the same tables
``enrichment``      sites -> matched random controls + ``enrichment.tsv``
``cis``             sites -> ``cis_regions.tsv`` (window rule) + ``cis_genes.tsv`` (gene outlier test)
``longitudinal``    sites + sample sheet -> trajectories, expansion, ISAnalytics matrix, figures
``summarize``       all of the above -> ``summary.json``

Reads -> fragments (``add_reads_parsers``): ``call-sites`` (layout, demultiplexing, trimming, alignment,
junction calling).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    """Add the ``integration`` parser with its sub-commands."""
    p = sub.add_parser("integration", help="vector integration sites: fragments, clones, clonality, genes of concern")
    s = p.add_subparsers(dest="integration_command", metavar="STEP")
    s.required = True
    add_evidence_parsers(s)
    add_reads_parsers(s)


def _floats(text: str) -> list[float]:
    try:
        vals = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not vals:
        raise argparse.ArgumentTypeError("expected at least one number")
    return vals


def _fractions(text: str) -> list[float]:
    vals = _floats(text)
    if any(not 0 < v <= 1 for v in vals):
        raise argparse.ArgumentTypeError(f"expected fractions in (0, 1], got {text!r}")
    return vals


def _fraction(text: str) -> float:
    return _fractions(text)[0]


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {v}")
        return v

    return parse


def _fold(text: str) -> float:
    v = _floats(text)[0]
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a fold >= 1, got {text!r}")
    return v


def _ints(text: str) -> list[int]:
    return [int(x) for x in _floats(text)]


def _common(p, *, genes: bool = True) -> None:
    if genes:
        p.add_argument("--genes", required=True, help="gene annotation: GTF or UCSC genePred/refGene")
        p.add_argument("--genes-of-concern", default=None,
                       help="TSV with a gene_symbol column (default: list shipped with cgtsafe)")
        p.add_argument("--goc-windows", default=[50000, 100000], type=_ints,
                       help="windows (bp) around genes of concern, comma-separated [50000,100000]")


def add_evidence_parsers(s) -> None:
    p = s.add_parser("from-fragments", help="fragments table -> sites.tsv and clonality.tsv")
    p.add_argument("--fragments", required=True,
                   help="TSV: sample chrom position strand breakpoint [umi reads replicate] (positions 1-based; "
                        "with replicate, fragments collapse per replicate and sonic runs in replicate mode)")
    _common(p)
    p.add_argument("--samples", default=None,
                   help="sample sheet (sample subject timepoint [cell_type timepoint_days specimen replicate]); "
                        "without it all samples are one subject")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--merge-distance", type=_int_at_least(0), default=5, help="merge junctions within this many bp [5]")
    p.add_argument("--abundance", choices=("sonic", "fragments", "umi", "reads"), default="sonic",
                   help="clone size measure [sonic]; reads = read-count mode for restriction-enzyme LAM-PCR "
                        "(PCR-biased, stated as a caveat)")
    p.add_argument("--length-bin", type=_int_at_least(1), default=10, help="fragment-length bin (bp) of the sonic model [10]")
    p.add_argument("--dominance", type=_fractions, default=[0.05, 0.10, 0.20],
                   help="dominance thresholds (fractions), comma-separated [0.05,0.1,0.2]")
    p.add_argument("--collisions", choices=("remove", "flag"), default="remove",
                   help="sites in more than one subject: remove from the losing subject(s) (ISAnalytics rule) or "
                        "only list them in collisions.tsv [remove]")
    p.add_argument("--collision-ratio", type=_fold, default=10.0,
                   help="abundance ratio by which one subject dominates a colliding site [10]")
    p.set_defaults(func=_from_fragments)

    p = s.add_parser("from-matrix", help="ISAnalytics/VISPA2 site matrix (no breakpoints) -> sites.tsv and clonality.tsv")
    p.add_argument("--matrix", required=True,
                   help="ISAnalytics/VISPA2 matrix: long (chr integration_locus strand CompleteAmplificationID + "
                        "quantification columns) or wide (IS columns + one column per sample); locus 1-based")
    p.add_argument("--quantification", default="seqCount",
                   help="column of a long matrix to use, or what a wide matrix holds [seqCount = read-count mode]")
    _common(p)
    p.add_argument("--samples", default=None, help="sample sheet (sample subject timepoint ...); sample = "
                                                   "CompleteAmplificationID / matrix column")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--merge-distance", type=_int_at_least(0), default=5, help="collision window (bp) [5]")
    p.add_argument("--dominance", type=_fractions, default=[0.05, 0.10, 0.20])
    p.add_argument("--collisions", choices=("remove", "flag"), default="remove")
    p.add_argument("--collision-ratio", type=_fold, default=10.0)
    p.set_defaults(func=_from_matrix)

    p = s.add_parser("enrichment", help="sites vs matched random controls: in gene, near TSS, near genes of concern")
    p.add_argument("--sites", required=True)
    p.add_argument("--genome", required=True, help="reference FASTA (controls are drawn from its non-N bases)")
    _common(p)
    p.add_argument("--per-site", type=_int_at_least(1), default=3, help="random controls per site [3]")
    p.add_argument("--seed", type=_int_at_least(0), default=1)
    p.add_argument("--tss-window", type=_int_at_least(0), default=5000, help="near-TSS window (bp) [5000]")
    p.add_argument("--out", required=True, help="enrichment table (TSV)")
    p.add_argument("--controls-out", required=True, help="annotated random controls (TSV)")
    p.set_defaults(func=_enrichment)

    p = s.add_parser("cis", help="common integration sites: window rule and per-gene outlier test")
    p.add_argument("--sites", required=True)
    p.add_argument("--genes", required=True,
                   help="annotation for gene lengths: GTF/genePred, or ISAnalytics refGenes (average_TxLen)")
    p.add_argument("--flank", type=_int_at_least(0), default=100000, help="bp added to both sides of a gene [100000]")
    p.add_argument("--alpha", type=_fraction, default=0.05)
    p.add_argument("--controls", default=None,
                   help="random_controls.tsv of the enrichment step: CIS expected by chance (optional)")
    p.add_argument("--out-regions", required=True)
    p.add_argument("--out-genes", required=True)
    p.add_argument("--out-background", default=None, help="CIS regions in random controls (needs --controls)")
    p.set_defaults(func=_cis)

    p = s.add_parser("longitudinal", help="clone trajectories, expansion flags, ISAnalytics matrix, figures")
    p.add_argument("--sites", required=True)
    p.add_argument("--samples", default=None, help="sample sheet (without it: one time point per sample)")
    p.add_argument("--threshold", type=_fraction, default=0.05, help="expanding: last share >= this [0.05]")
    p.add_argument("--fold", type=_fold, default=2.0, help="expanding: last/first share >= this [2]")
    p.add_argument("--top-n", type=_int_at_least(1), default=10, help="clones drawn in the figures [10]")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=_longitudinal)

    p = s.add_parser("summarize", help="write results/integration/summary.json")
    p.add_argument("--dir", required=True, help="directory with the integration tables")
    p.add_argument("--attrition", default=None, help="attrition.tsv of the read processing (optional)")
    p.add_argument("--multihits", default=None, help="multihits.tsv of the read processing (optional)")
    p.add_argument("--fragments", default=None, help="fragments table (listed as input)")
    p.add_argument("--merge-distance", type=_int_at_least(0), default=5)
    p.add_argument("--abundance", default="sonic")
    p.add_argument("--dominance", type=_fractions, default=[0.05, 0.10, 0.20])
    p.add_argument("--per-site", type=_int_at_least(1), default=3)
    p.add_argument("--seed", type=_int_at_least(0), default=1)
    p.add_argument("--tss-window", type=_int_at_least(0), default=5000)
    p.add_argument("--goc-windows", type=_ints, default=[50000, 100000])
    p.add_argument("--threshold", type=_fraction, default=0.05)
    p.add_argument("--fold", type=_fold, default=2.0)
    p.add_argument("--flank", type=_int_at_least(0), default=100000)
    p.add_argument("--alpha", type=_fraction, default=0.05)
    p.add_argument("--genes-of-concern", default=None, help="genes-of-concern TSV (default: shipped list)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_summarize)


def _site_annotator(args):
    from cgtsafe.integration.annotate import SiteAnnotator, load_gene_annotator
    from cgtsafe.io.annotation import load_genes_of_concern

    return SiteAnnotator(load_gene_annotator(args.genes), load_genes_of_concern(args.genes_of_concern),
                         windows=args.goc_windows)


def _read_sheet(path):
    """The sample sheet, one row per pooled sample (replicate libraries collapse onto their ``specimen``)."""
    from cgtsafe.config import read_sample_sheet
    from cgtsafe.integration.layout import specimen_sheet
    from cgtsafe.io.sheets import check_sheet

    df = read_sample_sheet(path, required=("sample", "subject", "timepoint"))
    check_sheet(df, "integration", path)
    return specimen_sheet(df, path)


def _from_fragments(args) -> int:
    from cgtsafe.integration.steps import run_from_fragments

    sheet = _read_sheet(args.samples) if args.samples else None
    run_from_fragments(
        fragments=args.fragments, annotator=_site_annotator(args), out=Path(args.out), sheet=sheet,
        merge_distance=args.merge_distance, abundance=args.abundance, length_bin=args.length_bin,
        dominance=args.dominance, collisions=args.collisions, collision_ratio=args.collision_ratio,
    )
    return 0


def _from_matrix(args) -> int:
    from cgtsafe.integration.steps import run_from_matrix

    sheet = _read_sheet(args.samples) if args.samples else None
    run_from_matrix(matrix=args.matrix, annotator=_site_annotator(args), out=Path(args.out),
                    quantification=args.quantification, sheet=sheet, merge_distance=args.merge_distance,
                    dominance=args.dominance, collisions=args.collisions, collision_ratio=args.collision_ratio)
    return 0


def _enrichment(args) -> int:
    from cgtsafe.integration.steps import run_enrichment

    run_enrichment(sites=args.sites, genome=args.genome, annotator=_site_annotator(args), out=args.out,
                   controls_out=args.controls_out, per_site=args.per_site, seed=args.seed,
                   tss_window=args.tss_window)
    return 0


def _cis(args) -> int:
    from cgtsafe.integration.steps import run_cis

    from cgtsafe.errors import InputError

    if bool(args.controls) != bool(args.out_background):
        raise InputError("--controls and --out-background go together")
    run_cis(sites=args.sites, genes=args.genes, flank=args.flank, alpha=args.alpha,
            out_regions=args.out_regions, out_genes=args.out_genes, controls=args.controls,
            out_background=args.out_background)
    return 0


def _longitudinal(args) -> int:
    from cgtsafe.integration.steps import run_longitudinal

    sheet = _read_sheet(args.samples) if args.samples else None
    run_longitudinal(sites=args.sites, sheet=sheet, out=Path(args.out), threshold=args.threshold, fold=args.fold,
                     top_n=args.top_n)
    return 0


def _summarize(args) -> int:
    from cgtsafe.integration.steps import run_summarize

    params = {
        "merge_distance": args.merge_distance, "abundance": args.abundance, "dominance_thresholds": args.dominance,
        "random_controls_per_site": args.per_site, "seed": args.seed, "tss_window": args.tss_window,
        "genes_of_concern_windows": args.goc_windows,
        "expansion": {"threshold": args.threshold, "fold": args.fold},
        "cis": {"flank": args.flank, "alpha": args.alpha}, "genes_of_concern": args.genes_of_concern,
    }
    run_summarize(Path(args.dir), out=args.out, params=params, attrition=args.attrition,
                  multihits=args.multihits, fragments=args.fragments)
    return 0


# ---------------------------------------------------------------------------------------------------
# reads -> fragments (layout.py, demux.py, trim.py, align.py, callsites.py)


def add_reads_parsers(s) -> None:
    """``call-sites``: demultiplex, trim, screen and align LM-PCR reads into fragments.tsv."""
    p = s.add_parser("call-sites", help="reads (I1/R1/R2 FASTQ) -> fragments.tsv, multihits.tsv, attrition.tsv")
    p.add_argument("--samples", required=True,
                   help="sample sheet: sample subject timepoint cell_type + barcode (I1) | tag_id or ltr_barcode + "
                        "lc_barcode (VISPA2 double barcode) | r1 r2 [linker ...]")
    p.add_argument("--layout", required=True,
                   help="read layout: YAML file, or an inline JSON mapping {\"primer\": ...} (primer, ltr_bit, "
                        "linker, tolerances; docs/config/integration_reads.md)")
    p.add_argument("--r1", default=None, help="R1 FASTQ(.gz) of a multiplexed run (linker side)")
    p.add_argument("--r2", default=None, help="R2 FASTQ(.gz) of a multiplexed run (LTR side)")
    p.add_argument("--i1", default=None, help="I1 FASTQ(.gz) of a multiplexed run (barcode)")
    p.add_argument("--ltr-barcodes", default=None,
                   help="VISPA2 LTR barcode list (name<TAB>sequence) for double-barcoded sheets that name barcodes")
    p.add_argument("--lc-barcodes", default=None, help="VISPA2 linker-cassette barcode list (name<TAB>sequence)")
    p.add_argument("--genome", required=True, help="host genome FASTA (its minimap2 index: --index, else <genome>.mmi "
                                                   "when present, else built in memory)")
    p.add_argument("--vector", default=None, help="vector/plasmid FASTA for the vector screen (recommended)")
    p.add_argument("--index", default=None, help="minimap2 index (.mmi) of the genome: reused when present (checked "
                                                 "against the genome), else built and written there once")
    p.add_argument("--threads", type=int, default=1, help="alignment threads besides the read-processing one [1]")
    p.add_argument("--out-dir", required=True,
                   help="writes fragments.tsv, multihits.tsv, attrition.tsv, read_stages.tsv, undetermined.tsv, "
                        "call_sites_params.json")
    p.set_defaults(func=_call_sites)


def _call_sites(args) -> int:
    import importlib.metadata

    from cgtsafe import __version__
    from cgtsafe.errors import InputError
    from cgtsafe.integration.callsites import call_sites, write_outputs
    from cgtsafe.integration.layout import read_layout, read_samples

    if args.threads < 1:
        raise InputError(f"--threads: expected >= 1, got {args.threads}")
    layout = read_layout(args.layout)
    samples = read_samples(args.samples, layout, ltr_barcodes=args.ltr_barcodes, lc_barcodes=args.lc_barcodes)
    tables = call_sites(samples, layout, genome=args.genome, vector=args.vector, r1=args.r1, r2=args.r2,
                        i1=args.i1, threads=args.threads, index_path=args.index)
    params = {"layout": layout.as_dict(), "cgtsafe": __version__, "mappy": importlib.metadata.version("mappy"),
              "aligner": "minimap2 (mappy) preset sr, paired", "genome": str(args.genome),
              "vector": str(args.vector or "")}
    write_outputs(tables, args.out_dir, params)
    att = tables["attrition"]
    for row in att.itertuples(index=False):
        print(f"{row.sample}\tpairs={row.barcode}\tunique_aligned={row.unique_aligned}\tmultihit={row.multihit}"
              f"\tunique_sites={row.unique_sites}")
    return 0
