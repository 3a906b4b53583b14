"""Command-line sub-commands of `cgtsafe sitecheck` (thin layer; the science lives in the sibling modules)."""


def register(sub) -> None:
    """Add the `sitecheck` sub-commands (filled in by the sitecheck implementation)."""
