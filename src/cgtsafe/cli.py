"""Command-line interface: ``cgtsafe <analysis> <step> [options]``.

The layer is thin: each analysis subpackage provides ``cli.register(subparsers)``, which adds its
sub-commands and sets ``func`` on them. This module only builds the parser, runs the chosen
function, and turns :class:`cgtsafe.errors.InputError` into one line on stderr (exit status 2).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from cgtsafe import __version__
from cgtsafe.errors import InputError

#: analysis subpackages that contribute sub-commands, in the order shown by ``--help``
SUBCOMMAND_MODULES = (
    "cgtsafe.offtarget.cli",
    "cgtsafe.sitecheck.cli",
    "cgtsafe.integration.cli",
    "cgtsafe.tcr.cli",
    "cgtsafe.report.cli",
    "cgtsafe.provenance",
    "cgtsafe.config",
    "cgtsafe.validation",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cgtsafe",
        description="Genomic safety evidence for cell and gene therapy products (each step of the workflow).",
    )
    parser.add_argument("--version", action="version", version=f"cgtsafe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.parse_args([*(argv or sys.argv[1:]), "--help"])
        return 2
    try:
        result = func(args)
    except InputError as exc:
        print(f"cgtsafe: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cgtsafe: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
