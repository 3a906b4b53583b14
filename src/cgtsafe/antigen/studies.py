"""The sponsor's own target-expression studies (IHC, tissue cross-reactivity, ISH ...), imported.

TSV (tab-separated, header line), one row per target x tissue x method:

``target``     name of a target in ``antigen.targets`` (its ``name``), required
``tissue``     tissue as named in the study (e.g. ``lung``, ``cerebellum``), required
``method``     assay, e.g. ``IHC``, ``TCR`` (tissue cross-reactivity), ``ISH``, ``RNAscope``, required
``result``     ``positive`` | ``negative`` | ``equivocal`` | ``not_evaluable``, required
``vital``      optional ``yes`` | ``no``; when absent or empty the tissue is vital if its name matches a
               vital tissue column (case-insensitive) or contains brain, heart, lung, liver, kidney,
               pancreas, adrenal, spinal, cerebr, cerebell, caudate, putamen, nigra, hippocamp,
               hypothalam, amygdala, accumbens, basal ganglia
``cell_type``, ``intensity``, ``study_id``, ``note``   optional free text

A ``positive`` row in a vital tissue raises the target's tier to at least 3 (``vital_expressed``).
The rows are copied to the report unchanged (imported, not computed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cgtsafe.errors import InputError

REQUIRED = ("target", "tissue", "method", "result")
OPTIONAL = ("vital", "cell_type", "intensity", "study_id", "note")
RESULTS = ("positive", "negative", "equivocal", "not_evaluable")
VITAL_WORDS = ("brain", "heart", "lung", "liver", "kidney", "pancreas", "adrenal", "spinal", "cerebr", "cerebell",
               "caudate", "putamen", "nigra", "hippocamp", "hypothalam", "amygdala", "accumbens", "basal ganglia")


def is_vital(tissue: str, vital_flag: str, vital_tissues: list[str]) -> bool:
    if vital_flag:
        return vital_flag == "yes"
    t = tissue.strip().lower()
    if t in {v.lower() for v in vital_tissues}:
        return True
    return any(w in t for w in VITAL_WORDS)


def read_studies(path: str | Path, target_names: list[str], vital_tissues: list[str]) -> pd.DataFrame:
    """Validated study table with a derived ``vital_tissue`` column (yes/no); one-line errors."""
    from cgtsafe.io.tables import read_table

    path = Path(path)
    df = read_table(path, what="sponsor target-expression study table (antigen.studies)")
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(f"study table lacks column(s) {', '.join(missing)}; expected "
                         f"{', '.join(REQUIRED)} [+ {', '.join(OPTIONAL)}]", path=path, line=1)
    unknown = [c for c in df.columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise InputError(f"study table has unknown column(s) {', '.join(unknown)}; allowed "
                         f"{', '.join(REQUIRED + OPTIONAL)}", path=path, line=1)
    for c in OPTIONAL:
        if c not in df.columns:
            df[c] = ""
    # line numbers: the header is line 1
    for i, row in enumerate(df.itertuples(index=False), start=2):
        r = row._asdict()
        for c in REQUIRED:
            if not str(r[c]).strip():
                raise InputError(f"column {c!r} is empty", path=path, line=i)
        if r["target"] not in target_names:
            raise InputError(f"target {r['target']!r} is not one of the configured targets "
                             f"({', '.join(target_names)})", path=path, line=i)
        if r["result"] not in RESULTS:
            raise InputError(f"result {r['result']!r}: expected one of {', '.join(RESULTS)}", path=path, line=i)
        if r["vital"] not in ("", "yes", "no"):
            raise InputError(f"vital {r['vital']!r}: expected yes, no or empty", path=path, line=i)
    df = df[list(REQUIRED + OPTIONAL)].copy()
    df["vital_tissue"] = ["yes" if is_vital(t, v, vital_tissues) else "no" for t, v in zip(df["tissue"], df["vital"])]
    return df


def positive_vital(df: pd.DataFrame | None, target: str) -> list[str]:
    if df is None or df.empty:
        return []
    sub = df[(df["target"] == target) & (df["result"] == "positive") & (df["vital_tissue"] == "yes")]
    return sorted(set(sub["tissue"]))
