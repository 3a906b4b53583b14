"""Command-line sub-commands of `cgtsafe offtarget` (thin layer; the science lives in the sibling modules)."""


def register(sub) -> None:
    """Add the `offtarget` sub-commands (filled in by the offtarget implementation)."""
