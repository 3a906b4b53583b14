"""Command-line sub-commands of ``cgtsafe tcr`` (thin layer; the science lives in the sibling modules).

``cgtsafe tcr scan``       one target peptide against a proteome -> hits, candidates, HLA panel, stats JSON
``cgtsafe tcr summarize``  all targets + imported evidence -> ``summary.json`` (+ combined tables, figures)
"""

from __future__ import annotations

import argparse

from cgtsafe.errors import InputError


def _int_list(text: str) -> list[int]:
    if not text:
        return []
    try:
        return [int(x) for x in text.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _str_list(text: str) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def register(sub) -> None:
    from cgtsafe.tcr.expression import DEFAULT_VITAL_TISSUES
    from cgtsafe.tcr.hla import CHINESE_PANEL, PREDICTORS

    p = sub.add_parser("tcr", help="TCR cross-reactivity: proteome scan for the target peptide, motif and X-scan")
    s = p.add_subparsers(dest="tcr_command", metavar="STEP")
    s.required = True

    sc = s.add_parser("scan", help="scan a proteome for one target peptide (exact, motif, X-scan, similarity ranking)",
                      description="Scan a protein FASTA for the target peptide, its recognition motif, X-scan "
                                  "predicted activity, Hamming neighbours and the most similar k-mers of the whole "
                                  "proteome (BLOSUM62); annotate HLA binding (built-in SMMPMBEC or a table) and "
                                  "tissue expression; rank candidates for in vitro testing. Positions are 1-based.")
    sc.add_argument("--proteome", required=True, help="protein FASTA (UniProt headers; plain or gzip)")
    sc.add_argument("--peptide", required=True, help="target peptide (8-11 standard amino acids)")
    sc.add_argument("--hla", required=True, help="restricting HLA allele, e.g. HLA-A*01:01")
    sc.add_argument("--name", default="", help="target name (default: the peptide)")
    sc.add_argument("--source", default="", help="source gene symbol or UniProt accession of the target peptide")
    sc.add_argument("--source-accession", type=_str_list, default=[],
                    help="accession(s) of the source protein record(s) (first header word for non-UniProt FASTA)")
    sc.add_argument("--motif", default=None, help="recognition motif, e.g. x-x-D-P-I-x-x-x-Y or XXDPIXXXY")
    sc.add_argument("--xscan", default=None, help="X-scan matrix TSV (position x 20 amino acids)")
    sc.add_argument("--xscan-threshold", type=float, default=0.1, help="minimum X-scan score (default 0.1)")
    sc.add_argument("--xscan-scoring", choices=("product", "mean"), default="product")
    sc.add_argument("--max-hamming", type=int, default=3, help="k-mers within this Hamming distance are always kept "
                    "(default 3)")
    sc.add_argument("--top-n", type=int, default=500, help="keep the N most similar distinct k-mers of the whole "
                    "proteome by contact-weighted BLOSUM62, whatever their Hamming distance (default 500; 0 = off)")
    sc.add_argument("--contact-positions", type=_int_list, default=[],
                    help="1-based TCR contact positions, e.g. 4,5,6,7,8")
    sc.add_argument("--contact-weight", type=float, default=2.0, help="BLOSUM62 weight of contact positions")
    sc.add_argument("--expression", default=None, help="HPA-format expression TSV (default: shipped HPA copy)")
    sc.add_argument("--vital-tissues", type=_str_list, default=list(DEFAULT_VITAL_TISSUES),
                    help="comma-separated tissue columns counted as vital")
    sc.add_argument("--min-ntpm", type=float, default=1.0, help="nTPM at which a gene counts as expressed")
    sc.add_argument("--hla-predictions", default=None, help="HLA binding predictions (TSV or NetMHCpan output)")
    sc.add_argument("--hla-panel", type=_str_list, default=list(CHINESE_PANEL),
                    help="comma-separated further HLA alleles (default: common alleles of the Chinese population, "
                         "Zhou et al. 2015)")
    sc.add_argument("--hla-predictor", choices=PREDICTORS, default="smmpmbec",
                    help="built-in offline binding predictor (default smmpmbec; a --hla-predictions table takes "
                         "precedence for the pairs it lists)")
    sc.add_argument("--out", required=True, help="hit table TSV (one row per protein position)")
    sc.add_argument("--candidates", default=None, help="ranked candidate TSV (one row per distinct k-mer)")
    sc.add_argument("--panel-out", default=None, help="HLA panel TSV (candidate x allele)")
    sc.add_argument("--stats", default=None, help="scan statistics JSON (read by `cgtsafe tcr summarize`)")
    sc.set_defaults(func=_scan)

    sm = s.add_parser("summarize", help="summary.json for the report from one or more scans")
    sm.add_argument("--stats", nargs="+", required=True, help="stats JSON files written by `cgtsafe tcr scan`")
    sm.add_argument("--allo-hla", default=None, help="imported allo-HLA screening results (TSV)")
    sm.add_argument("--affinity", default=None, help="imported measured affinities (TSV)")
    sm.add_argument("--mispairing-statement", default=None, help="imported TCR mispairing-mitigation statement (text)")
    sm.add_argument("--candidates-out", default=None, help="combined candidate TSV (default: next to --out)")
    sm.add_argument("--out", required=True, help="summary.json")
    sm.set_defaults(func=_summarize)


def _scan(args) -> int:
    from cgtsafe.io.tables import write_json, write_table
    from cgtsafe.tcr.run import ScanParams, run_scan

    params = ScanParams(
        proteome=args.proteome, peptide=args.peptide, hla=args.hla, name=args.name, source=args.source,
        motif=args.motif, xscan=args.xscan, xscan_threshold=args.xscan_threshold, xscan_scoring=args.xscan_scoring,
        max_hamming=args.max_hamming, contact_positions=args.contact_positions, contact_weight=args.contact_weight,
        expression=args.expression, vital_tissues=args.vital_tissues, min_ntpm=args.min_ntpm,
        hla_predictions=args.hla_predictions, hla_panel=args.hla_panel, hla_predictor=args.hla_predictor,
        top_n=args.top_n, source_accession=args.source_accession,
    )
    for out in (args.out, args.candidates, args.panel_out):
        if out and not out.lower().endswith((".tsv", ".tsv.gz", ".parquet")):
            raise InputError(f"output {out!r}: expected a .tsv, .tsv.gz or .parquet file name")
    hits, cands, panel, stats = run_scan(params)
    import os

    base = os.path.dirname(os.path.abspath(args.stats)) if args.stats else os.getcwd()
    stats["tables"] = {key: (os.path.relpath(os.path.abspath(val), base) if val else None)
                       for key, val in (("hits", args.out), ("candidates", args.candidates), ("panel", args.panel_out))}
    write_table(hits, args.out)
    if args.candidates:
        write_table(cands, args.candidates)
    if args.panel_out:
        write_table(panel, args.panel_out)
    if args.stats:
        write_json(args.stats, stats)
    import sys

    for w in stats.get("warnings", []):
        print(f"cgtsafe: warning: {w}", file=sys.stderr)
    c = stats["counts"]
    print(f"tcr scan {stats['target']}: {c['hits']} hits (exact {c['exact']}, motif {c['motif']}, xscan {c['xscan']}, "
          f"similarity {c['similarity']}, ranked {c['ranked']}); {c['candidates']} candidates")
    return 0


def _summarize(args) -> int:
    from cgtsafe.tcr.summarize import summarize

    summarize(args.stats, out=args.out, candidates_out=args.candidates_out, allo_hla=args.allo_hla,
              affinity=args.affinity, mispairing_statement=args.mispairing_statement)
    return 0
