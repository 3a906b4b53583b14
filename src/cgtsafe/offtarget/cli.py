"""Command-line sub-commands of `cgtsafe offtarget` (thin layer; the science lives in the sibling modules).

``cgtsafe offtarget search`` — genome-wide candidate off-target search (see cgtsafe.offtarget.search).
"""

from __future__ import annotations

import argparse


def _nonneg_int(text: str) -> int:
    try:
        val = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    return val


_BULGE_HELP = {
    "max_dna_bulge": "0..2 (default 0; with --max-bulges N: min(N, 2))",
    "max_rna_bulge": "0..2 (default 0; with --max-bulges N: min(N, 2))",
    "max_bulges": "0..4: at most this many bulges of either kind in one alignment (DNA + RNA; default: the sum of "
                  "the per-kind limits). --max-bulges 1 is Cas-OFFinder 3 / CRISPRitz / CRISPRme's 'one bulge'",
    "end_bulges": "also allow a DNA bulge next to the PAM and an RNA bulge at the PAM-distal guide base "
                  "(Cas-OFFinder 3's rule; default: bulges are internal)",
}


def add_bulge_args(p: argparse.ArgumentParser) -> None:
    """Bulge limits shared by every step that searches (search, species, variants, summarize)."""
    p.add_argument("--max-dna-bulge", type=_nonneg_int, default=None, help=_BULGE_HELP["max_dna_bulge"])
    p.add_argument("--max-rna-bulge", type=_nonneg_int, default=None, help=_BULGE_HELP["max_rna_bulge"])
    p.add_argument("--max-bulges", type=_nonneg_int, default=None, help=_BULGE_HELP["max_bulges"])
    p.add_argument("--end-bulges", action="store_true", help=_BULGE_HELP["end_bulges"])


def bulge_limits(args) -> dict:
    """``max_dna_bulge``, ``max_rna_bulge``, ``max_bulges``, ``end_bulges`` of parsed arguments (checked)."""
    from cgtsafe.offtarget.search import check_limits

    total = args.max_bulges
    per_kind = 0 if total is None else min(total, 2)
    d = per_kind if args.max_dna_bulge is None else args.max_dna_bulge
    r = per_kind if args.max_rna_bulge is None else args.max_rna_bulge
    check_limits(0, d, r, total)
    return {"max_dna_bulge": d, "max_rna_bulge": r, "max_bulges": total, "end_bulges": bool(args.end_bulges)}



def add_search_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``search`` to the ``offtarget`` sub-parsers."""
    p = subparsers.add_parser(
        "search",
        help="exhaustive genome-wide search for candidate off-target sites (mismatches + DNA/RNA bulges)",
        description=(
            "Search every PAM position of the genome (both strands) for sites within the mismatch/bulge "
            "limits of each guide; one row per locus (guide, contig, strand, PAM position). Coordinates: "
            "start 0-based leftmost + strand coordinate of protospacer+PAM, end exclusive."
        ),
    )
    p.add_argument("--genome", required=True, help="genome FASTA (plain, gzip or bgzip; .fai optional)")
    p.add_argument("--guides", required=True, help="guide table (TSV with columns name, spacer)")
    p.add_argument("--nuclease", default="SpCas9",
                   help="preset: SpCas9 (default), SpCas9-NRG, SpCas9-NG, SpRY, SaCas9, AsCas12a, or an alias "
                        "such as ABE8e, BE4max, PE2")
    p.add_argument("--pam", default=None,
                   help="custom PAM as an IUPAC pattern (replaces the preset's PAM and its alternative PAMs)")
    p.add_argument("--pam-side", choices=("3prime", "5prime"), default=None,
                   help="side of the custom PAM (default: the preset's side)")
    p.add_argument("--no-alternative-pams", action="store_true",
                   help="search the canonical PAM only (SpCas9 otherwise also reports NAG and NGA sites)")
    p.add_argument("--max-mismatches", type=_nonneg_int, required=True, help="0..6")
    add_bulge_args(p)
    p.add_argument("--max-bulge-mismatches", type=_nonneg_int, default=None,
                   help="at most this many mismatches in alignments with a bulge (default: --max-mismatches)")
    grp = p.add_mutually_exclusive_group()
    grp.add_argument("--contigs", default=None, help="comma-separated contigs to search (default: all)")
    grp.add_argument("--chunk", default=None,
                     help="i/n: search only the i-th of n equal parts of the genome (PAM positions; no site lost or "
                          "doubled at borders; the union of all chunks equals the whole search)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    p.add_argument("--out", required=True, help="hit table (.tsv, .tsv.gz or .parquet)")
    p.add_argument("--bed", default=None, help="optional BED6 of the hits for genome browsers")
    p.set_defaults(func=run_search)
    return p


def register(sub) -> None:
    """Add the ``offtarget`` parser and its sub-commands."""
    parser = sub.add_parser("offtarget", help="gRNA off-target prediction (search, annotation, summary)")
    offsub = parser.add_subparsers(dest="offtarget_command", metavar="STEP")
    offsub.required = True
    add_search_parser(offsub)
    register_downstream(offsub)


def _prefetch_genome(path):
    """Stream the genome's contigs from a background thread (queue of at most 2 contigs), so that
    reading and decompressing (which release the GIL) overlap the numba/pandas imports and the search
    of the previous contig. Returns a generator of (name, bytes); reader errors are re-raised in it."""
    import queue
    import threading

    from cgtsafe.io.fasta import RawFastaRecord, iter_fasta_raw

    q: queue.Queue = queue.Queue(maxsize=2)
    done = object()

    def work():
        try:
            # small files: decompressed in one GIL-free call; the records' lines are joined and checked
            # by a numba kernel in the search (cgtsafe.offtarget._kernels.pack_record), not here
            for rec in iter_fasta_raw(path):
                if isinstance(rec[1], RawFastaRecord):
                    rec[1].buffer()  # fault in the output pages here, not in the search's thread
                q.put(rec)
            q.put(done)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)

    threading.Thread(target=work, name="genome-prefetch", daemon=True).start()

    def records():
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    return records()


def run_search(args) -> int:
    import gc
    import time

    t0 = time.perf_counter()
    # the cyclic garbage collector only costs time here: imports create ~10^5 long-lived objects (numba)
    # and the search makes no cycles; re-enabled at the end, and everything alive then is frozen so that
    # the interpreter's final collections skip it (about 0.1 s at exit)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_search(args, t0)
    finally:
        if gc_was_enabled:
            gc.enable()
        gc.freeze()


def _run_search(args, t0) -> int:
    import time

    from pathlib import Path

    from cgtsafe.errors import InputError

    if not Path(args.genome).is_file():  # before the prefetch thread and the kernels' cold-cache notice
        raise InputError("file not found" if not Path(args.genome).exists() else "is not a file", path=args.genome)
    # chunked jobs need the contig lengths first (search_genome reads the .fai or the genome itself)
    genome = args.genome if args.chunk else _prefetch_genome(args.genome)

    # no pandas on this path (about 0.4 s of start-up): rows are written directly (same bytes)
    from cgtsafe.offtarget.nuclease import custom_nuclease, get_nuclease
    from cgtsafe.offtarget.search import check_limits, parse_chunk, read_guides, search_batches, write_search

    out = str(args.out)
    if not out.lower().endswith((".tsv", ".tsv.gz", ".parquet")):
        raise InputError(f"--out {out}: expected a .tsv, .tsv.gz or .parquet file name")
    if args.bed is not None and not str(args.bed).lower().endswith(".bed"):
        raise InputError(f"--bed {args.bed}: expected a .bed file name")
    bulges = bulge_limits(args)
    check_limits(args.max_mismatches, bulges["max_dna_bulge"], bulges["max_rna_bulge"], bulges["max_bulges"])
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads must be >= 1, got {args.threads}")
    nuclease = get_nuclease(args.nuclease)
    pam = None
    if args.pam is not None:
        side = args.pam_side or nuclease.pam_side
        if side != nuclease.pam_side:
            nuclease = custom_nuclease(args.pam, pam_side=side, spacer_length=nuclease.spacer_length, base=nuclease)
        pam = args.pam
    elif args.pam_side is not None and args.pam_side != nuclease.pam_side:
        raise InputError(f"--pam-side {args.pam_side} needs --pam (the {nuclease.name} PAM is {nuclease.pam_side})")
    chunk = parse_chunk(args.chunk) if args.chunk else None
    contigs = [c.strip() for c in args.contigs.split(",") if c.strip()] if args.contigs else None
    guides = read_guides(args.guides, nuclease)
    batches = search_batches(
        genome, guides, nuclease, max_mismatches=args.max_mismatches, **bulges, pam=pam, contigs=contigs,
        threads=args.threads, chunk=chunk, alternative_pams=not args.no_alternative_pams,
        max_bulge_mismatches=args.max_bulge_mismatches)
    try:
        n = write_search(batches, guides, out, bed=args.bed)  # streamed: nothing is written before the end
    except InputError as exc:
        if str(exc).endswith("not in the genome genome"):
            raise InputError(str(exc).replace("genome genome", f"genome {args.genome}")) from None
        raise
    print(f"offtarget search: {n} sites for {len(guides)} guide(s) in {time.perf_counter() - t0:.1f} s -> {out}")
    return 0


# ==================================================================================================
# merge, annotate, species, variants, summarize
#   merge      merge chunk tables (one hit per locus, total order)
#   annotate   bulge filter, overlapping loci collapsed, gene/feature/gene-of-concern annotation,
#              priority and rank -> sites.tsv + sites.bed (the candidate-site table of sitecheck)
#   species    orthologous sites in an animal genome -> species_<label>.tsv (+ .guides.tsv, .animal_hits.tsv)
#   variants   sites created / strengthened by VCF variants -> variants_<label>.tsv
#   summarize  summary.json + guides_summary.tsv + plotly figures for the evidence report
# ==================================================================================================


def _search_args(p: argparse.ArgumentParser, *, guides: bool = True) -> None:
    """Options shared with the genome search (nuclease, PAM, limits)."""
    if guides:
        p.add_argument("--guides", required=True, help="guides table (name, spacer)")
    p.add_argument("--nuclease", default="SpCas9", help="nuclease preset (default SpCas9)")
    p.add_argument("--pam", default=None, help="PAM pattern overriding the preset (IUPAC; no alternative PAMs)")
    p.add_argument("--no-alternative-pams", action="store_true", help="canonical PAM only (as in `search`)")
    p.add_argument("--max-mismatches", type=int, default=6)
    add_bulge_args(p)
    p.add_argument("--threads", type=int, default=1)
    _bulge_filter_arg(p)


def _bulge_filter_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-bulge-mismatches", type=int, default=None,
                   help="keep bulged sites only with at most this many mismatches (default: all within the limits)")


def register_downstream(s) -> None:
    m = s.add_parser("merge", help="merge chunk tables of `offtarget search` (one hit per locus)")
    m.add_argument("--inputs", nargs="+", required=True, help="chunk tables")
    m.add_argument("--genome", default=None, help="reference FASTA (contig order of the sort; default: by name)")
    m.add_argument("--guides", default=None, help="guides table (guide order of the sort; default: by name)")
    m.add_argument("--out", required=True, help="merged hit table (TSV)")
    m.set_defaults(func=_merge)

    a = s.add_parser("annotate", help="annotate and rank sites -> candidate-site table (sites.tsv, sites.bed)")
    a.add_argument("--hits", required=True, help="merged hit table")
    a.add_argument("--genes", default=None, help="gene annotation (GTF or genePred)")
    a.add_argument("--genes-of-concern", default=None, help="genes-of-concern TSV (default: shipped list)")
    a.add_argument("--windows", type=int, nargs="+", default=[50000, 100000],
                   help="gene-of-concern windows in bp (default 50000 100000)")
    a.add_argument("--promoter-upstream", type=int, default=2000, help="promoter = this many bp upstream of a TSS")
    _bulge_filter_arg(a)
    a.add_argument("--out", required=True, help="sites.tsv")
    a.add_argument("--bed", default=None, help="sites.bed (BED6)")
    a.add_argument("--threads", type=int, default=1,
                   help="worker processes annotating (guide, contig) parts in parallel (default 1; same output)")
    a.set_defaults(func=_annotate)

    sp = s.add_parser("species", help="orthologous off-target sites in an animal genome")
    sp.add_argument("--sites", required=True, help="sites.tsv (human candidate sites)")
    sp.add_argument("--genome", required=True, help="human reference FASTA")
    sp.add_argument("--animal-genome", required=True,
                    help="animal genome FASTA (plain/gzip/bgzip; a minimap2 index <genome>.mmi next to it is used)")
    sp.add_argument("--label", required=True, help="species label, e.g. 'Macaca fascicularis'")
    sp.add_argument("--flank", type=int, default=100, help="flank length mapped on each side (bp, default 100)")
    _search_args(sp)
    sp.add_argument("--out", required=True, help="species_<label>.tsv (also writes .guides.tsv, .animal_hits.tsv)")
    sp.set_defaults(func=_species)

    v = s.add_parser("variants", help="sites created or strengthened by VCF variants")
    v.add_argument("--vcf", required=True, help="VCF (plain, gzip or bgzip) or BCF")
    v.add_argument("--label", required=True, help="name of the variant set (donor, cell line, population)")
    v.add_argument("--genome", required=True, help="reference FASTA")
    v.add_argument("--genes", default=None, help="gene annotation for the site annotation")
    v.add_argument("--genes-of-concern", default=None)
    v.add_argument("--windows", type=int, nargs="+", default=[50000, 100000])
    _search_args(v)
    v.add_argument("--out", required=True, help="variants_<label>.tsv")
    v.set_defaults(func=_variants)

    su = s.add_parser("summarize", help="summary.json, guide table and figures for the evidence report")
    su.add_argument("--sites", required=True, help="sites.tsv")
    su.add_argument("--hits", default=None, help="merged hit table (counts loci removed by the bulge filter)")
    _search_args(su)
    su.add_argument("--genome", required=True, help="reference FASTA (for the methods text)")
    su.add_argument("--build", default="unspecified", help="genome build name")
    su.add_argument("--genes", default=None)
    su.add_argument("--genes-of-concern", default=None)
    su.add_argument("--windows", type=int, nargs="+", default=[50000, 100000])
    su.add_argument("--species", nargs="*", default=[], help="species_<label>.tsv tables")
    su.add_argument("--species-labels", nargs="*", default=[], help="labels, same order as --species")
    su.add_argument("--variants", nargs="*", default=[], help="variants_<label>.tsv tables")
    su.add_argument("--vcfs", nargs="*", default=[], help="the VCFs (exclusion counts), same order as --variants")
    su.add_argument("--chunks", type=int, default=1, help="number of search chunks (methods text)")
    su.add_argument("--out", required=True, help="summary.json")
    su.set_defaults(func=_summarize)


def _nuclease(args):
    from cgtsafe.offtarget.nuclease import get_nuclease, validate_pam

    nuc = get_nuclease(args.nuclease)
    if args.no_alternative_pams:
        import dataclasses

        nuc = dataclasses.replace(nuc, alt_pams=())
    pam = validate_pam(args.pam, what="--pam") if args.pam else None
    return nuc, pam


def _limits(args) -> dict:
    from cgtsafe.errors import InputError
    from cgtsafe.offtarget.search import check_limits

    bulges = bulge_limits(args)
    check_limits(args.max_mismatches, bulges["max_dna_bulge"], bulges["max_rna_bulge"], bulges["max_bulges"])
    if args.max_bulge_mismatches is not None and args.max_bulge_mismatches < 0:
        raise InputError(f"--max-bulge-mismatches must be >= 0, got {args.max_bulge_mismatches}")
    if args.threads < 1:
        raise InputError(f"--threads must be >= 1, got {args.threads}")
    return {"max_mismatches": args.max_mismatches, **bulges}


def _merge(args) -> int:
    from cgtsafe.io.tables import write_table
    from cgtsafe.offtarget.merge import genome_lengths, merge_hit_files, merge_hits

    contigs = list(genome_lengths(args.genome)) if args.genome else None
    from cgtsafe.offtarget.search import read_guide_names

    guides = read_guide_names(args.guides) if args.guides else None
    if str(args.out).lower().endswith(".tsv") and all(not str(p).lower().endswith(".parquet") for p in args.inputs):
        merge_hit_files(args.inputs, args.out, contig_order=contigs, guide_order=guides)  # streamed
    else:
        write_table(merge_hits(args.inputs, contig_order=contigs, guide_order=guides), args.out)
    return 0


def _annotate(args) -> int:
    from cgtsafe.io.tables import read_table, write_table
    from cgtsafe.offtarget.annotate import annotate_hit_file, annotate_sites, sites_bed
    from cgtsafe.offtarget.merge import HIT_COLUMNS, coerce_hits

    if args.threads < 1:
        from cgtsafe.errors import InputError

        raise InputError(f"--threads must be >= 1, got {args.threads}")
    if str(args.hits).lower().endswith(".tsv") and str(args.out).lower().endswith(".tsv") and \
            (args.bed is None or str(args.bed).lower().endswith(".bed")):  # streamed: memory bounded by the keys
        annotate_hit_file(args.hits, args.out, bed=args.bed, genes=args.genes, genes_of_concern=args.genes_of_concern,
                          windows=args.windows, promoter_upstream=args.promoter_upstream,
                          max_bulge_mismatches=args.max_bulge_mismatches, threads=args.threads)
        return 0
    hits = coerce_hits(read_table(args.hits, required=HIT_COLUMNS, what="off-target hit table"), path=args.hits)
    sites = annotate_sites(hits, genes=args.genes, genes_of_concern=args.genes_of_concern, windows=args.windows,
                           promoter_upstream=args.promoter_upstream,
                           max_bulge_mismatches=args.max_bulge_mismatches)
    bed = sites_bed(sites) if args.bed else None
    if bed is not None:
        write_table(bed, args.bed)
    write_table(sites, args.out)
    return 0


def _species(args) -> int:
    from cgtsafe.offtarget.species import run_species

    nuc, pam = _nuclease(args)
    run_species(sites_path=args.sites, genome=args.genome, animal_genome=args.animal_genome, label=args.label,
                guides_path=args.guides, nuclease=nuc, pam=pam, limits=_limits(args), flank=args.flank,
                threads=args.threads, out=args.out, max_bulge_mismatches=args.max_bulge_mismatches)
    return 0


def _variants(args) -> int:
    from cgtsafe.offtarget.variants import run_variants

    nuc, pam = _nuclease(args)
    run_variants(vcf=args.vcf, label=args.label, genome=args.genome, guides_path=args.guides, nuclease=nuc, pam=pam,
                 limits=_limits(args), genes=args.genes, genes_of_concern=args.genes_of_concern,
                 windows=args.windows, threads=args.threads, out=args.out,
                 max_bulge_mismatches=args.max_bulge_mismatches)
    return 0


def _summarize(args) -> int:
    from cgtsafe.errors import InputError
    from cgtsafe.offtarget.summarize import run_summarize

    if args.species_labels and len(args.species_labels) != len(args.species):
        raise InputError("--species-labels must give one label per --species table")
    nuc, pam = _nuclease(args)
    run_summarize(args=args, nuclease=nuc, pam=pam, limits=_limits(args))
    return 0
