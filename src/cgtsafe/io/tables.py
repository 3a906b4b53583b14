"""Deterministic, atomic table writing.

Tables are written to a temporary file next to the target and renamed into place, so a failed
step never leaves a half-written table. TSV floats use a fixed format so that the same inputs
give byte-identical files. ``.tsv``, ``.tsv.gz`` (gzip header without time stamp) and
``.parquet`` are supported.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError

FLOAT_FORMAT = "%.6g"


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
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
