"""Command-line sub-commands of `cgtsafe integration` (thin layer; the science lives in the sibling modules)."""


def register(sub) -> None:
    """Add the `integration` sub-commands (filled in by the integration implementation)."""
