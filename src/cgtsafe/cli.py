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
    "cgtsafe.antigen.cli",
    "cgtsafe.vector.cli",
    "cgtsafe.nomination.cli",
    "cgtsafe.cnv.cli",
    "cgtsafe.report.cli",
    "cgtsafe.provenance",
    "cgtsafe.config",
    "cgtsafe.validation",
)


class OneLineParser(argparse.ArgumentParser):
    """A usage mistake (missing or unknown option, bad value) is one line on stderr and exit status 2,
    like every other input error (argparse would print the whole usage block first)."""

    def error(self, message: str):  # noqa: D102 - argparse API
        self.exit(2, f"cgtsafe: error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``only`` (a module of SUBCOMMAND_MODULES) just that module's commands."""
    parser = OneLineParser(
        prog="cgtsafe",
        description="Genomic safety evidence for cell and gene therapy products (each step of the workflow).",
    )
    parser.add_argument("--version", action="version", version=f"cgtsafe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMAND_MODULES if only is None else (only,):
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def _module_for(argv: list[str]) -> str | None:
    """``cgtsafe <analysis> ...`` needs only ``cgtsafe.<analysis>.cli``: importing the other analyses
    (pandas, plotting, ...) would add about a second to every short step."""
    if argv and not argv[0].startswith("-"):
        name = f"cgtsafe.{argv[0]}.cli"
        if name in SUBCOMMAND_MODULES:
            return name
    return None


class _Terminated(BaseException):
    """SIGTERM (a cluster or Snakemake cancelling the job): unwinds the stack so that the atomic writers
    remove their temporary files, as for Ctrl-C."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised by tests/test_bad_input.py in a subprocess
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    import signal

    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a test runner's worker thread)
        previous = None
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    parser = build_parser(_module_for(list(sys.argv[1:] if argv is None else argv)))
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
    except OSError as exc:
        # a file the step could not open or write (not found, a directory, permission, disk full) that the
        # step's own checks did not catch: still one line naming the file, never a traceback
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"cgtsafe: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cgtsafe: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("cgtsafe: terminated (SIGTERM); no output written by the interrupted step", file=sys.stderr)
        return 143
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
