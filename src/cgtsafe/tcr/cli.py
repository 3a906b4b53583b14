"""Command-line sub-commands of `cgtsafe tcr` (thin layer; the science lives in the sibling modules)."""


def register(sub) -> None:
    """Add the `tcr` sub-commands (filled in by the tcr implementation)."""
