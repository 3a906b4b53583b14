"""Guide tables of the off-target search: reading, column names users bring, validation.

A guide table is a TSV (plain or gzip) or Parquet with a name column and a spacer column. Accepted column
names (case-insensitive, first match wins): :data:`NAME_COLUMNS` and :data:`SPACER_COLUMNS` (e.g.
``name``/``spacer``, ``spacer_20nt``, ``guide_seq20``, ``query``). A spacer written as a Cas-OFFinder query
(the spacer followed by ``N`` x PAM length, e.g. ``...NNN``) is read as the spacer. Anything else: one
line naming the columns found, the accepted names and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.offtarget.nuclease import Nuclease, pam_matches


@dataclass(frozen=True)
class Guide:
    """A guide spacer (upper case A/C/G/T, 5'->3', without PAM)."""

    name: str
    spacer: str



def validate_guides(guides: Sequence[Guide], nuclease: Nuclease, *, path: str | Path | None = None) -> list[Guide]:
    """Check guides (letters, length, PAM attached, duplicate names); return them upper-cased."""
    out: list[Guide] = []
    seen: dict[str, int] = {}
    L = nuclease.spacer_length
    for idx, g in enumerate(guides):
        line = idx + 2 if path is not None else None
        name = str(g.name).strip()
        spacer = str(g.spacer).strip().upper()
        if not name:
            raise InputError("empty guide name", path=path, line=line)
        if name in seen:
            raise InputError(f"guide name {name!r} occurs twice (also line {seen[name]}); names must be unique",
                             path=path, line=line)
        seen[name] = idx + 2
        if not spacer or any(c not in "ACGT" for c in spacer):
            bad = next((c for c in spacer if c not in "ACGT"), "")
            raise InputError(f"guide {name}: spacer {g.spacer!r} has {'no bases' if not spacer else repr(bad)}; "
                             "expected A/C/G/T only", path=path, line=line)
        P = nuclease.pam_length
        if len(spacer) == L + P:
            tail = spacer[L:] if nuclease.pam_side == "3prime" else spacer[:P]
            if any(pam_matches(p, tail) for p in (nuclease.pam, *nuclease.alt_pams)):
                raise InputError(f"guide {name} looks like spacer+PAM ({len(spacer)} nt ending in {tail}); "
                                 f"give the {L}-nt spacer only", path=path, line=line)
        if len(spacer) != L:
            raise InputError(f"guide {name}: spacer has {len(spacer)} nt; {nuclease.name} expects {L} nt",
                             path=path, line=line)
        out.append(Guide(name, spacer))
    if not out:
        raise InputError("no guides given", path=path)
    return out


#: column names accepted for the guide name and the spacer, first match wins (case-insensitive)
NAME_COLUMNS = ("name", "guide", "guide_name", "guide_id", "id")
SPACER_COLUMNS = ("spacer", "spacer_20nt", "spacer_sequence", "guide_seq20", "protospacer", "sequence", "query",
                  "guide_sequence", "sgrna", "seq")


def _pick_columns(header: Sequence[str], path) -> tuple[int, int]:
    """Indexes of the name and spacer columns of a guide table header (see NAME_/SPACER_COLUMNS)."""
    low = [str(h).strip().lower() for h in header]
    i_name = next((low.index(c) for c in NAME_COLUMNS if c in low), None)
    i_spacer = next((low.index(c) for c in SPACER_COLUMNS if c in low), None)
    if i_spacer is None or i_name is None or i_name == i_spacer:
        what = "spacer" if i_spacer is None else "name"
        allowed = SPACER_COLUMNS if i_spacer is None else NAME_COLUMNS
        raise InputError(f"guide table has no {what} column (columns: {', '.join(map(str, header))}); expected a "
                         f"tab-separated header with one of {', '.join(allowed)} (e.g. 'name<TAB>spacer'): rename the "
                         "column", path=path, line=1)
    return i_name, i_spacer


def _strip_query_pam(spacer: str, nuclease: Nuclease) -> str:
    """A Cas-OFFinder-style query (spacer + ``N`` x PAM length on the PAM side, e.g. ``...NNN``) -> spacer."""
    s = str(spacer).strip()
    P = nuclease.pam_length
    if len(s) == nuclease.spacer_length + P:
        tail = s[-P:] if nuclease.pam_side == "3prime" else s[:P]
        if tail.upper() == "N" * P:
            return s[:-P] if nuclease.pam_side == "3prime" else s[P:]
    return s


def read_guides(path: str | Path, nuclease: Nuclease) -> list[Guide]:
    """Read a guide table: TSV (or Parquet) with a name column and a spacer column; accepted names in
    :data:`NAME_COLUMNS` / :data:`SPACER_COLUMNS` (e.g. ``name``/``spacer``, ``spacer_20nt``); a spacer
    written as a Cas-OFFinder query (spacer + ``NNN``) is taken as the spacer. Other columns are ignored."""
    pairs = _read_guides_plain(path)
    if pairs is None:  # anything but a plain, simple TSV: the general (pandas) reader
        from cgtsafe.io.tables import read_table

        df = read_table(path, what="guide table")
        i_name, i_spacer = _pick_columns(list(df.columns), path)
        pairs = list(zip(df.iloc[:, i_name], df.iloc[:, i_spacer]))
    if not pairs:
        raise InputError("guide table has no rows", path=path)
    return validate_guides([Guide(n, _strip_query_pam(s, nuclease)) for n, s in pairs], nuclease, path=path)


def read_guide_names(path: str | Path) -> list[str]:
    """Guide names of a guide table in table order (as :func:`read_guides` finds the name column)."""
    from cgtsafe.io.tables import read_table

    df = read_table(path, what="guide table")
    return [str(x) for x in df.iloc[:, _pick_columns(list(df.columns), path)[0]]]


def _read_guides_plain(path: str | Path) -> list[tuple[str, str]] | None:
    """``(name, spacer)`` pairs of a plain UTF-8 TSV without quotes, CR, BOM or ragged rows, read
    without pandas (start-up time of the CLI); None for anything else (the caller then uses
    :func:`cgtsafe.io.tables.read_table`, which gives the same values for the simple files taken here)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".parquet", ".gz", ".bz2", ".zip", ".xz", ".zst", ".tar", ".csv")) or not path.is_file():
        return None
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text or any(c in text for c in ('"', "\r", "\ufeff", "\x00")):
        return None
    lines = [ln for ln in text.split("\n") if ln != ""]
    if not lines:
        return None
    header = lines[0].split("\t")
    if len(set(header)) != len(header) or "" in header:
        return None
    if any(h != h.strip() or h.startswith("Unnamed") for h in header):
        return None
    i_name, i_spacer = _pick_columns(header, path)
    out = []
    for ln in lines[1:]:
        fields = ln.split("\t")
        if len(fields) != len(header) or not ln.strip():
            return None
        out.append((fields[i_name], fields[i_spacer]))
    return out
