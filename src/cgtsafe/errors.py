"""User-facing errors.

Any mistake in user input (a file, a config key, a sample sheet line, a command-line value)
raises :class:`InputError` with one line that names the file/line/key and what was expected.
The command-line layer prints it as ``cgtsafe: error: <message>`` and exits with status 2,
never with a traceback.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A mistake in user input, reported as one line."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)
