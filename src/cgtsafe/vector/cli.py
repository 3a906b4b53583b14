"""Command-line sub-commands of ``cgtsafe vector`` (thin layer; the science is in the sibling modules).

``cgtsafe vector features``  transfer-vector sequence (+ imported VCN) -> feature tables, map, ``summary.json``
"""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("vector", help="transfer-vector design: splice sites, polyA signals, elements, LTRs, ORFs, VCN")
    s = p.add_subparsers(dest="vector_command", metavar="STEP")
    s.required = True
    f = s.add_parser("features", help="insertional-risk features of the transfer-vector sequence",
                     description="Scan a transfer-vector sequence (FASTA or GenBank) on both strands for cryptic "
                                 "splice sites, polyA signals, construct elements, LTR self-inactivation, WPRE X, "
                                 "ORFs and read-through; show the imported VCN next to the declared limit. "
                                 "Coordinates: start 0-based, end exclusive; site 1-based.")
    f.add_argument("--sequence", required=True, help="transfer vector: FASTA (one record) or GenBank (.gb)")
    f.add_argument("--donor-min", type=float, default=None,
                   help="listing threshold for donors, Ri bits (default: 5th percentile of the matrix, 2.14)")
    f.add_argument("--acceptor-min", type=float, default=None,
                   help="listing threshold for acceptors, Ri bits (default: 5th percentile of the matrix, 3.09)")
    f.add_argument("--min-orf-aa", type=int, default=100, help="minimum ORF length in codons (default 100)")
    f.add_argument("--ltr-distance", type=int, default=1000,
                   help="flag viral enhancers within this many nt of an LTR (default 1000)")
    f.add_argument("--expected-orf", action="append", default=[], metavar="START-END[:+|-]",
                   help="declared coding sequence (1-based, inclusive; repeatable): ORFs overlapping it are expected")
    f.add_argument("--vcn", default=None, help="imported VCN table (TSV)")
    f.add_argument("--vcn-column", default="vcn_per_transduced_cell", help="VCN column (copies per cell)")
    f.add_argument("--vcn-id-column", default="lot", help="lot/sample column of the VCN table")
    f.add_argument("--vcn-limit", type=float, default=None, help="sponsor's declared VCN limit (copies per cell)")
    f.add_argument("--outdir", required=True, help="output folder")
    f.add_argument("--out", required=True, help="summary.json")
    f.set_defaults(func=_features)


def _features(args) -> int:
    from cgtsafe.vector.run import VectorParams, run_features

    run_features(VectorParams(sequence=args.sequence, donor_min=args.donor_min, acceptor_min=args.acceptor_min,
                              min_orf_aa=args.min_orf_aa, ltr_distance=args.ltr_distance, vcn=args.vcn,
                              vcn_column=args.vcn_column, vcn_id_column=args.vcn_id_column,
                              vcn_limit=args.vcn_limit, expected_orfs=args.expected_orf), args.outdir,
                 args.out)
    return 0
