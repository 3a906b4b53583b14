"""Command-line sub-commands of ``cgtsafe antigen`` (thin layer; the science is in the sibling modules).

``cgtsafe antigen profile``  target antigens -> normal-tissue expression tables, figure, ``summary.json``
"""

from __future__ import annotations


def register(sub) -> None:
    from cgtsafe.tcr.cli import _str_list
    from cgtsafe.tcr.expression import DEFAULT_VITAL_TISSUES

    p = sub.add_parser("antigen", help="CAR/TCR target antigen expression across normal tissues")
    s = p.add_subparsers(dest="antigen_command", metavar="STEP")
    s.required = True
    pr = s.add_parser("profile", help="normal-tissue expression profile, tier and summary of the target antigens",
                      description="Look up each target antigen in an HPA-layout consensus tissue table (default: the "
                                  "shipped Human Protein Atlas copy), list every vital tissue with detected "
                                  "expression, assign the tier, show published cases and the sponsor's studies.")
    pr.add_argument("--target", action="append", required=True, metavar="NAME=ID",
                    help="target antigen: NAME=gene symbol, Ensembl gene ID or UniProt accession (repeatable)")
    pr.add_argument("--expression", default=None, help="HPA-layout expression TSV (default: shipped HPA copy)")
    pr.add_argument("--proteome", default=None, help="UniProt FASTA (GN= gene names) to resolve UniProt accessions")
    pr.add_argument("--vital-tissues", type=_str_list, default=list(DEFAULT_VITAL_TISSUES),
                    help="comma-separated tissue columns counted as vital")
    pr.add_argument("--detected-ntpm", type=float, default=1.0, help="nTPM for tier 3 (default 1, HPA 'detected')")
    pr.add_argument("--high-ntpm", type=float, default=10.0, help="nTPM for tier 4 (default 10)")
    pr.add_argument("--studies", default=None, help="sponsor's IHC / tissue cross-reactivity study table (TSV)")
    pr.add_argument("--outdir", required=True, help="output folder (tables, figures)")
    pr.add_argument("--out", required=True, help="summary.json")
    pr.set_defaults(func=_profile)


def _profile(args) -> int:
    from cgtsafe.antigen.run import AntigenParams, _parse_targets, run_profile
    from cgtsafe.errors import InputError

    if args.detected_ntpm < 0 or args.high_ntpm < args.detected_ntpm:
        raise InputError("--detected-ntpm must be >= 0 and --high-ntpm >= --detected-ntpm")
    params = AntigenParams(targets=_parse_targets(args.target), expression=args.expression, proteome=args.proteome,
                           vital_tissues=args.vital_tissues, detected_ntpm=args.detected_ntpm,
                           high_ntpm=args.high_ntpm, studies=args.studies)
    run_profile(params, args.outdir, args.out)
    return 0
