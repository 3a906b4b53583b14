"""Deterministic, atomic table writing.

Tables are written to a temporary file next to the target and renamed into place, so a failed
step never leaves a half-written table; result files get the mode of any new file (the umask applies). TSV floats use a fixed format so that the same inputs
give byte-identical files. ``.tsv``, ``.tsv.gz`` (gzip header without time stamp) and
``.parquet`` are supported.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import gzip
import io
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError

FLOAT_FORMAT = "%.6g"


_TMP_SUFFIX = ".tmp"


def _tmp_name(path: Path) -> Path:
    """``.<name>.<pid>.<random>.tmp`` next to the target (not created here: the writer creates it, so it gets
    the mode of any new file, i.e. honours the umask, unlike ``tempfile.mkstemp``'s 0600)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}")


def _remove_stale_temps(path: Path) -> None:
    """Remove temporary files of this target left by a writer process that no longer runs (killed with
    SIGKILL, so its clean-up never ran)."""
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*{_TMP_SUFFIX}"))
    except OSError:
        return
    for tmp in candidates:
        parts = tmp.name[len(path.name) + 2: -len(_TMP_SUFFIX)].split(".")
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        if pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_error(path: Path, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    hint = {errno.ENOSPC: " (disk full)", errno.EDQUOT: " (disk quota exceeded)",
            errno.EROFS: " (read-only file system)", errno.EACCES: " (no write permission)"}.get(exc.errno, "")
    return InputError(f"cannot write output: {reason}{hint}; nothing was written", path=path)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it into place on success.

    The temporary file is removed on any error (and on SIGTERM/SIGINT via the CLI's signal handler); one left
    by a killed process is removed by the next write of the same target. A full disk, a read-only or
    unwritable folder become one :class:`InputError` line naming the target, with nothing written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(path, exc) from None
    _remove_stale_temps(path)
    tmp_path = _tmp_name(path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        raise _write_error(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            if tmp_path.exists():
                tmp_path.unlink()


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, obj) -> None:
    """Pretty, key-sorted JSON (deterministic)."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(obj):
    import numpy as np

    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj)}")


def write_table(df: pd.DataFrame, path: str | Path, *, float_format: str = FLOAT_FORMAT) -> None:
    """Write ``df`` as TSV (optionally gzipped) or Parquet, atomically and deterministically."""
    path = Path(path)
    name = path.name.lower()
    with atomic_path(path) as tmp:
        if name.endswith(".parquet"):
            df.to_parquet(tmp, index=False)
        elif name.endswith(".tsv.gz"):
            buf = io.StringIO()
            df.to_csv(buf, sep="\t", index=False, float_format=float_format, lineterminator="\n")
            with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                gz.write(buf.getvalue().encode())
        elif name.endswith((".tsv", ".txt", ".bed")):
            df.to_csv(tmp, sep="\t", index=False, float_format=float_format, lineterminator="\n")
        else:
            raise InputError("unsupported table extension; expected .tsv, .tsv.gz or .parquet", path=path)


def read_table(path: str | Path, *, required: tuple[str, ...] = (), what: str = "table") -> pd.DataFrame:
    """Read a TSV/TSV.gz/Parquet table and check that ``required`` columns are present."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} not found", path=path)
    try:
        if path.name.lower().endswith(".parquet"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, sep="\t", comment=None, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises many types for malformed files
        raise InputError(f"cannot read {what}: {exc}".splitlines()[0], path=path) from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns)) or 'none'}",
            path=path,
        )
    return df


def count_rows(path: str | Path, *, what: str = "table") -> int:
    """Data rows of a table without loading it: TSV/CSV (plain or gzip) streamed, counting non-blank lines
    after the header (the reader skips blank lines); Parquet from its metadata."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} not found", path=path)
    if path.name.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    n = 0
    with (gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")) as fh:
        for line in fh:
            if line.strip():
                n += 1
    return max(0, n - 1)
