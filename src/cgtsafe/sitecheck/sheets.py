"""Sample sheets and the amplicon table of the per-site check (read, validated, one-line errors naming the line).

``amplicons.tsv``: ``amplicon site_id chrom start end sequence guide cut_offset`` (``start`` 0-based, ``end``
exclusive, + strand); optional ``editor`` (this amplicon's editor when it differs from ``sitecheck.editor``,
e.g. a base-editor arm of the study: a preset, or an explicit spec such as ``CBE:4-8``, ``C>G:4-8``, ``PE2:rt=13``;
:func:`cgtsafe.sitecheck.editors.parse_editor_spec`), ``expected_sequence`` / ``pegrna_extension``,
``scaffold``. The WGS sheet reader is :func:`cgtsafe.sitecheck.quantify.read_wgs_sheet`.
"""

from __future__ import annotations

from pathlib import Path

from cgtsafe.errors import InputError

AMPLICON_COLUMNS = ("amplicon", "site_id", "chrom", "start", "end", "sequence", "guide", "cut_offset")
AMPLICON_SHEET_COLUMNS = ("sample", "role", "amplicon", "fastq", "control")


def read_amplicons(path: str | Path) -> dict[str, dict]:
    """``amplicons.tsv`` -> ``{amplicon: row}`` with validated integers and sequence."""
    from cgtsafe.io.tables import read_table

    df = read_table(path, required=AMPLICON_COLUMNS, what="amplicon table")
    out: dict[str, dict] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        name = row["amplicon"]
        if name in out:
            raise InputError(f"duplicate amplicon {name!r}", path=path, line=i)
        try:
            row["start"], row["end"], row["cut_offset"] = int(row["start"]), int(row["end"]), int(row["cut_offset"])
        except ValueError:
            raise InputError("columns start/end/cut_offset: expected integers", path=path, line=i) from None
        seq = row["sequence"].strip()
        if not seq or set(seq.upper()) - set("ACGTN"):
            raise InputError(f"amplicon {name}: sequence must contain only A, C, G, T, N", path=path, line=i)
        if not 0 < row["cut_offset"] < len(seq):
            raise InputError(f"amplicon {name}: cut_offset {row['cut_offset']} outside the sequence "
                             f"(length {len(seq)})", path=path, line=i)
        row["sequence"] = seq
        row["expected"] = (row.get("expected_sequence") or "").strip().upper()
        if row["expected"] and set(row["expected"]) - set("ACGTN"):
            raise InputError(f"amplicon {name}: expected_sequence must contain only A, C, G, T, N", path=path, line=i)
        row["editor"] = (row.get("editor") or "").strip()
        if row["editor"]:
            from cgtsafe.sitecheck.editors import parse_editor_spec

            try:
                parse_editor_spec(row["editor"])
            except InputError as exc:
                raise InputError(f"amplicon {name}: column editor: {exc}", path=path, line=i) from None
        row["scaffold"] = (row.get("scaffold") or "").strip()
        if row["scaffold"] and set(row["scaffold"].upper()) - set("ACGTU"):
            raise InputError(f"amplicon {name}: scaffold must contain only A, C, G, T/U", path=path, line=i)
        out[name] = row
    return out


def read_amplicon_sheet(path: str | Path, *, check_files: bool = True):
    """Amplicon sample sheet: ``sample role amplicon fastq [fastq2] control`` (schema
    ``workflow/schemas/samples_amplicon.schema.yaml``); one row per sample and amplicon. Checks roles, (sample, amplicon) uniqueness, FASTQ existence and that each control exists."""
    import pandas as pd

    from cgtsafe.config import SAFE_NAME
    from cgtsafe.io.sheets import check_sheet

    path = Path(path)
    if not path.exists():
        raise InputError("sample sheet not found", path=path)
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in AMPLICON_SHEET_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"sample sheet lacks column(s) {', '.join(missing)}; expected "
                         f"{' '.join(AMPLICON_SHEET_COLUMNS)} [fastq2]", path=path)
    if "fastq2" not in df.columns:
        df["fastq2"] = ""
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        if not SAFE_NAME.match(row["sample"]):
            raise InputError(f"sample {row['sample']!r} is not a safe name (letters, digits, '_', '.', '-')",
                             path=path, line=i)
        if row["role"] not in ("edited", "control"):
            raise InputError(f"column role: expected edited or control, got {row['role']!r}", path=path, line=i)
        key = (row["sample"], row["amplicon"])
        if key in seen:
            raise InputError(f"duplicate sample/amplicon {key} (first on line {seen[key]})", path=path, line=i)
        seen[key] = i
        for col in ("fastq", "fastq2"):
            if check_files and row[col] and not Path(row[col]).exists():
                raise InputError(f"sample {row['sample']}: {col} file {row[col]!r} does not exist", path=path,
                                 line=i)
        if not row["fastq"]:
            raise InputError(f"sample {row['sample']}: column fastq is empty", path=path, line=i)
    check_sheet(df, "amplicon", path)
    samples = {r["sample"]: r["role"] for r in df.to_dict("records")}
    for i, row in enumerate(df.to_dict("records"), start=2):
        if row["role"] == "edited":
            ctl = row["control"]
            if not ctl:
                raise InputError(f"edited sample {row['sample']} has no control", path=path, line=i)
            if (ctl, row["amplicon"]) not in seen:
                raise InputError(f"control {ctl!r} of {row['sample']} has no row for amplicon {row['amplicon']} "
                                 "(control sample does not exist in the sheet)", path=path, line=i)
            if samples.get(ctl) != "control":
                raise InputError(f"control {ctl!r} of {row['sample']} does not have role 'control'", path=path,
                                 line=i)
    return df


INTENDED_EDIT_COLUMNS = ("site_id",)


def read_intended_edits(path: str | Path | None) -> dict:
    """``sitecheck.intended_edits`` TSV -> ``{site_id: IntendedEdit}``: ``site_id`` plus either
    ``pegrna_extension`` (prime editing) or ``edit_start edit_end replacement`` (0-based, end exclusive, +
    strand contig coordinates; ``replacement`` may be empty for a deletion); optional ``scaffold``."""
    from cgtsafe.io.tables import read_table
    from cgtsafe.sitecheck.editors import IntendedEdit

    if not path:
        return {}
    df = read_table(path, required=INTENDED_EDIT_COLUMNS, what="intended edits table")
    out: dict = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        sid = str(row["site_id"]).strip()
        if sid in out:
            raise InputError(f"duplicate site {sid!r}", path=path, line=i)
        ext = str(row.get("pegrna_extension") or "").strip().upper()
        scaffold = str(row.get("scaffold") or "").strip()
        if ext:
            if set(ext) - set("ACGTU"):
                raise InputError("pegrna_extension: expected A, C, G, T/U", path=path, line=i)
            out[sid] = IntendedEdit(sid, pegrna_extension=ext, scaffold=scaffold)
            continue
        try:
            s, e = int(row.get("edit_start", "")), int(row.get("edit_end", ""))
        except (TypeError, ValueError):
            raise InputError(f"site {sid}: give pegrna_extension, or edit_start and edit_end (0-based integers) "
                             "with replacement", path=path, line=i) from None
        rep = str(row.get("replacement") or "").strip().upper()
        if not 0 <= s <= e or set(rep) - set("ACGTN") or (s == e and not rep):
            raise InputError(f"site {sid}: expected 0 <= edit_start <= edit_end and replacement of A, C, G, T, N "
                             "(an insertion needs bases)", path=path, line=i)
        out[sid] = IntendedEdit(sid, edit_start=s, edit_end=e, replacement=rep, scaffold=scaffold)
    return out
