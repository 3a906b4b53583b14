"""Command-line sub-commands of `cgtsafe report` (thin layer; the science lives in the sibling modules)."""


def register(sub) -> None:
    """Add the `report` sub-commands (filled in by the report implementation)."""
