"""Read layout of an LM-PCR / LAM-PCR integration-site library and the sample sheet of a run.

The layout describes what the reads look like (INSPIIRED/intSiteCaller-like paired-end design):

``I1``  index read: the sample barcode (e.g. 12-nt Golay barcode).
``R2``  read from the vector side: ``primer`` + ``ltr_bit`` (the LTR end), then host genome starting
        at the vector-host junction; a short fragment runs into the reverse complement of the linker.
``R1``  read from the linker side: ``linker`` with an N-run (the UMI / primerID), then host genome
        starting at the sonic shear end; a short fragment runs into the reverse complement of the LTR
        end (``ltr_readthrough``).

Every sequence is given 5'->3' as it appears in the read. Matching tolerances (all documented in
``docs/config/integration_reads.md``):

* barcode: Hamming distance <= ``barcode_max_mismatches`` (default 1) to exactly one barcode of the
  sheet; the sheet is rejected when two barcodes are closer than ``2 * barcode_max_mismatches + 1``
  (a read could then be assigned to two samples).
* primer: <= ``primer_max_mismatches`` substitutions, starting within the first ``primer_max_offset``
  bases of R2; LTR end: <= ``ltr_max_mismatches`` substitutions, starting within ``ltr_max_offset`` bases
  after the primer.
* linker: each constant part (before and after the N-run) with <= ``linker_max_mismatch_rate`` x its
  length substitutions (10 % by default), the first part starting within ``linker_max_offset`` bases
  of R1 (``null``: anywhere), the UMI length = N-run +- ``umi_length_tolerance``.
* read-through markers: full or partial (>= ``readthrough_min_overlap`` nt at the 3' end) with
  <= ``readthrough_max_mismatch_rate`` substitutions.

Presets (key ``preset``): the tolerances of the matching steps come from a named preset; keys given
explicitly override it.

* ``intsitecaller`` (the default): INSPIIRED/intSiteCaller's rules - exact primer, LTR end and
  linker parts, linker anywhere in R1, host parts longer than 30 nt, intSiteCaller's read-through rule
  (``readthrough_rule: overlap``: ends-free alignment scored as Biostrings, a hit at 0.55 x marker length) and
  vector rule (``vector_rule: align``: a pair is vector-derived when both reads align to the vector over > 75 %
  of their bases), see :mod:`cgtsafe.integration.peer_rules` (``primer_max_mismatches: 0,
  ltr_max_mismatches: 0, linker_max_mismatch_rate: 0, linker_max_offset: null, min_genomic_length: 31``). With
  it every read stage and the curated pairs agree with intSiteCaller's attrition table of its validation run
  within 5 % on every sample (curated: worst -3.8 %, total -0.09 %).
* ``tolerant``: one substitution in primer and LTR end, 10 % per linker part, linker within 5 bases
  of the start of R1, ``min_genomic_length: 30``, cgtsafe's own read-through rule (``hamming``: full marker
  with <= 15 % substitutions anywhere, or a >= 3-nt marker prefix ending the read) and vector rule (``kmer``:
  the pair is dropped when either read has >= 50 % of its 16-mers in the vector). Keeps more reads with sequencing errors in the
  primer/linker (more fragments per clone), at the price of accepting mispriming products that a peer
  would reject; attrition then differs from INSPIIRED's (about +4 % LTRed, +16 % linkered, +25 %
  curated on its validation run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import revcomp

_DNA = re.compile(r"^[ACGT]+$")
_LINKER = re.compile(r"^([ACGT]+)(N+)([ACGT]+)$")

#: tolerance presets (see module doc); the first is the default
PRESETS = {
    "intsitecaller": {"primer_max_mismatches": 0, "ltr_max_mismatches": 0, "linker_max_mismatch_rate": 0.0,
                      "linker_max_offset": None, "min_genomic_length": 31, "vector_min_kmer_fraction": 0.3,
                      "readthrough_rule": "overlap", "vector_rule": "align"},
    "tolerant": {"primer_max_mismatches": 1, "ltr_max_mismatches": 1, "linker_max_mismatch_rate": 0.1,
                 "linker_max_offset": 5, "min_genomic_length": 30, "vector_min_kmer_fraction": 0.5,
                 "readthrough_rule": "hamming", "vector_rule": "kmer"},
}
#: keys whose value is one of a few names (lower case)
CHOICES = {"readthrough_rule": ("overlap", "hamming"), "vector_rule": ("align", "kmer")}
DEFAULT_PRESET = "intsitecaller"

#: keys of the layout with their types and defaults; ``None`` default = required
_DEFAULTS = {
    "preset": DEFAULT_PRESET,
    "primer": None,
    "ltr_bit": None,
    "linker": None,
    "ltr_readthrough": "",
    "linker_readthrough": "",
    "barcode_max_mismatches": 1,
    "ltr_barcode_max_mismatches": 1,
    "lc_barcode_max_mismatches": 1,
    "primer_max_mismatches": 0,
    "primer_max_offset": 5,
    "ltr_max_mismatches": 0,
    "ltr_max_offset": 5,
    "linker_max_mismatch_rate": 0.0,
    "linker_max_offset": None,
    "umi_length_tolerance": 2,
    "readthrough_max_mismatch_rate": 0.15,
    "readthrough_min_overlap": 3,
    "readthrough_rule": "overlap",
    "readthrough_min_score_fraction": 0.55,
    "quality_threshold": 30,
    "quality_window": 11,
    "quality_bad_bases": 5,
    "min_trimmed_read_length": 66,
    "min_genomic_length": 31,
    "vector_kmer": 16,
    "vector_min_kmer_fraction": 0.3,
    "vector_rule": "align",
    "vector_min_aligned_fraction": 0.75,
    "max_align_start": 5,
    "min_identity": 0.95,
    "max_fragment_length": 2500,
}
_INT_KEYS = {k for k, v in _DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)} | {"linker_max_offset"}
_FLOAT_KEYS = {"linker_max_mismatch_rate", "readthrough_max_mismatch_rate", "vector_min_kmer_fraction",
               "min_identity", "readthrough_min_score_fraction", "vector_min_aligned_fraction"}
_NULLABLE = {"linker_max_offset"}


@dataclass(frozen=True)
class Linker:
    """A linker split around its N-run (the UMI)."""

    seq: str
    part1: str
    umi_length: int
    part2: str

    @classmethod
    def parse(cls, seq: str, *, where: str = "linker", path=None, line=None) -> "Linker":
        seq = str(seq).strip().upper()
        m = _LINKER.match(seq)
        if m:
            return cls(seq, m.group(1), len(m.group(2)), m.group(3))
        if _DNA.match(seq):  # linker without UMI
            return cls(seq, seq, 0, "")
        raise InputError(f"{where}: expected A/C/G/T with at most one N-run (the UMI), got {seq!r}",
                         path=path, line=line)


@dataclass(frozen=True)
class Layout:
    primer: str
    ltr_bit: str
    linker: str
    ltr_readthrough: str = ""
    linker_readthrough: str = ""
    barcode_max_mismatches: int = 1
    ltr_barcode_max_mismatches: int = 1
    lc_barcode_max_mismatches: int = 1
    primer_max_mismatches: int = 0
    primer_max_offset: int = 5
    ltr_max_mismatches: int = 0
    ltr_max_offset: int = 5
    linker_max_mismatch_rate: float = 0.0
    linker_max_offset: int | None = None
    umi_length_tolerance: int = 2
    readthrough_max_mismatch_rate: float = 0.15
    readthrough_min_overlap: int = 3
    readthrough_rule: str = "overlap"
    readthrough_min_score_fraction: float = 0.55
    quality_threshold: int = 30
    quality_window: int = 11
    quality_bad_bases: int = 5
    min_trimmed_read_length: int = 66
    min_genomic_length: int = 31
    vector_kmer: int = 16
    vector_min_kmer_fraction: float = 0.3
    vector_rule: str = "align"
    vector_min_aligned_fraction: float = 0.75
    max_align_start: int = 5
    min_identity: float = 0.95
    max_fragment_length: int = 2500
    preset: str = DEFAULT_PRESET
    source: str = field(default="", compare=False)

    def linker_for(self, sample_linker: str = "") -> Linker:
        return Linker.parse(sample_linker or self.linker)

    def ltr_marker(self) -> str:
        """What R1 shows when it runs past the junction into the LTR (5'->3' in R1)."""
        return self.ltr_readthrough or revcomp(self.primer + self.ltr_bit)

    def linker_marker(self, linker: Linker) -> str:
        """What R2 shows when it runs past the shear end into the linker (5'->3' in R2)."""
        if self.linker_readthrough:
            return self.linker_readthrough
        common = linker.part2 if linker.umi_length else linker.part1
        return revcomp(common)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "source"}


def layout_from_mapping(data: dict, *, path: str | Path = "layout") -> Layout:
    """Validate a mapping of layout keys (from YAML or the config section) into a :class:`Layout`."""
    if not isinstance(data, dict):
        raise InputError("expected a mapping of layout keys", path=path)
    unknown = sorted(set(data) - set(_DEFAULTS))
    if unknown:
        raise InputError(f"unknown layout key(s) {', '.join(unknown)}; expected some of {', '.join(_DEFAULTS)}",
                         path=path)
    preset = data.get("preset") or DEFAULT_PRESET
    if not isinstance(preset, str) or preset not in PRESETS:
        raise InputError(f"layout key 'preset': expected one of {', '.join(PRESETS)}, got {preset!r}", path=path)
    data = {**PRESETS[preset], **{k: v for k, v in data.items()
                                  if k != "preset" and (v is not None or k in _NULLABLE)}}
    values = {"preset": preset}
    for key, default in _DEFAULTS.items():
        if key == "preset":
            continue
        if key not in data or data[key] is None and key not in _NULLABLE or data[key] == "" and default is None:
            if default is None:
                raise InputError(f"layout key '{key}' is required but missing", path=path)
            values[key] = default
            continue
        v = data[key]
        if v is None:
            values[key] = None
        elif key in CHOICES:
            if str(v).strip().lower() not in CHOICES[key]:
                raise InputError(f"layout key '{key}': expected one of {', '.join(CHOICES[key])}, got {v!r}", path=path)
            values[key] = str(v).strip().lower()
        elif key in _INT_KEYS:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError(f"layout key '{key}': expected a non-negative integer, got {v!r}", path=path)
            values[key] = v
        elif key in _FLOAT_KEYS:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise InputError(f"layout key '{key}': expected a number between 0 and 1, got {v!r}", path=path)
            values[key] = float(v)
        else:
            values[key] = str(v).strip().upper()
    for key in ("primer", "ltr_bit"):
        if not _DNA.match(values[key]):
            raise InputError(f"layout key '{key}': expected A/C/G/T only, got {values[key]!r}", path=path)
    for key in ("ltr_readthrough", "linker_readthrough"):
        if values[key] and not _DNA.match(values[key]):
            raise InputError(f"layout key '{key}': expected A/C/G/T only, got {values[key]!r}", path=path)
    Linker.parse(values["linker"], where="layout key 'linker'", path=path)
    if values["quality_bad_bases"] > values["quality_window"]:
        raise InputError("layout key 'quality_bad_bases' must not exceed 'quality_window'", path=path)
    if values["vector_kmer"] < 8:
        raise InputError("layout key 'vector_kmer': expected >= 8", path=path)
    return Layout(**values, source=str(path))


def read_layout(path: str | Path) -> Layout:
    """Layout from a YAML file, or from an inline JSON/YAML mapping (``{"primer": ..., ...}``)."""
    text = str(path)
    if text.lstrip().startswith("{"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"--layout: not a valid inline mapping ({str(exc).splitlines()[0]})") from None
        return layout_from_mapping(data, path="--layout")
    from cgtsafe.config import load_yaml

    return layout_from_mapping(load_yaml(path), path=path)


# --------------------------------------------------------------------------------------------------
# sample sheet

SAMPLE_COLUMNS = ("sample", "subject", "timepoint", "cell_type")
#: one of these column sets names how a row is demultiplexed (I1 barcode, VISPA2 double barcode, own FASTQs)
DEMUX_COLUMNS = (("barcode",), ("tag_id",), ("ltr_barcode", "lc_barcode"), ("r1", "r2"))


@dataclass(frozen=True)
class Sample:
    name: str
    barcode: str
    linker: Linker
    r1: str = ""
    r2: str = ""
    i1: str = ""
    replicate: str = ""
    specimen: str = ""
    #: VISPA2-style double barcode: LTR barcode at the start of R2, linker-cassette barcode at the start of R1
    ltr_barcode: str = ""
    lc_barcode: str = ""

    @property
    def fragment_sample(self) -> str:
        """Name of the pooled sample the library's fragments belong to (``specimen`` or the library name)."""
        return self.specimen or self.name


def read_barcode_list(path: str | Path) -> dict[str, str]:
    """VISPA2 barcode list (``elements/barcode/barcode.LTR.48.list``): one ``name<TAB>sequence`` per line."""
    from cgtsafe.io.compressed import open_input

    out: dict[str, str] = {}
    with open_input(path, "rt", what="barcode list") as fh:
        for i, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not _DNA.match(parts[1].strip().upper()) or not parts[0].strip():
                raise InputError("expected 'name<TAB>barcode sequence (A/C/G/T)'", path=path, line=i)
            name = parts[0].strip()
            if name in out:
                raise InputError(f"barcode name {name} appears twice", path=path, line=i)
            out[name] = parts[1].strip().upper()
    if not out:
        raise InputError("barcode list is empty", path=path)
    return out


def read_samples(path: str | Path, layout: Layout, *, ltr_barcodes: str | Path | None = None,
                 lc_barcodes: str | Path | None = None) -> list[Sample]:
    """Read the integration sample sheet.

    Required columns: ``sample subject timepoint cell_type`` and, per row, one way to find its reads:
    ``barcode`` (I1 index of a multiplexed run), a VISPA2-style double barcode (``ltr_barcode`` + ``lc_barcode``,
    or VISPA2's association-file ``TagID`` as column ``tag_id``, e.g. ``LTR51.LC26``; each a sequence or a name
    from the VISPA2 barcode lists ``ltr_barcodes`` / ``lc_barcodes``), or per-sample ``r1``/``r2`` FASTQs (no
    demultiplexing). Optional: ``linker`` (per-sample linker, overrides the layout's), ``i1``, ``replicate`` and
    ``specimen`` (replicate libraries: rows with the same ``specimen`` are independent PCR/shearing replicates of
    that pooled sample; each row keeps its own unique ``sample`` = library name). A run uses one
    demultiplexing mode (I1 or double barcode). I1 barcodes must be unique and far enough apart for the barcode
    tolerance; double-barcode pairs must not collide (:func:`check_dual_barcodes`).
    """
    from cgtsafe.config import read_sample_sheet
    from cgtsafe.io.sheets import check_sheet

    path = Path(path)
    df = read_sample_sheet(path, required=SAMPLE_COLUMNS)
    if not any(all(c in df.columns for c in cols) for cols in DEMUX_COLUMNS):
        raise InputError("sample sheet needs column barcode (I1), tag_id or ltr_barcode + lc_barcode (VISPA2 double "
                         "barcode), or r1 + r2 (per-sample FASTQs)", path=path)
    check_sheet(df, "integration", path)
    lists = {"ltr": read_barcode_list(ltr_barcodes) if ltr_barcodes else {},
             "lc": read_barcode_list(lc_barcodes) if lc_barcodes else {}}
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    lines: dict[str, int] = {}
    for i, row in enumerate(df.to_dict("records"), start=2):
        bc = str(row.get("barcode", "") or "").strip().upper()
        r1, r2 = str(row.get("r1", "") or "").strip(), str(row.get("r2", "") or "").strip()
        ltr, lc = _dual_barcodes(row, lists, path, i)
        if bc and not _DNA.match(bc):
            raise InputError(f"barcode {bc!r}: expected A/C/G/T only", path=path, line=i)
        if not bc and not ltr and not (r1 and r2):
            raise InputError("sample has neither a barcode (I1 or LTR + LC) nor per-sample r1/r2 FASTQs", path=path,
                             line=i)
        if ltr and (bc or r1 or r2):
            raise InputError("a double-barcoded sample (ltr_barcode/lc_barcode/tag_id) has no I1 barcode or own "
                             "r1/r2 FASTQs", path=path, line=i)
        if bc:
            if bc in seen:
                raise InputError(f"barcode {bc} is duplicated (first on line {seen[bc]})", path=path, line=i)
            seen[bc] = i
        linker = Linker.parse(str(row.get("linker", "") or layout.linker), where="column linker", path=path,
                              line=i)
        rep, spec = str(row.get("replicate", "") or "").strip(), str(row.get("specimen", "") or "").strip()
        if spec and not rep:
            raise InputError("column specimen is set but replicate is empty (a replicate library needs both)",
                             path=path, line=i)
        samples.append(Sample(row["sample"], bc, linker, r1, r2, str(row.get("i1", "") or "").strip(), rep, spec,
                              ltr, lc))
        lines[row["sample"]] = i
    check_replicates([(s.name, s.fragment_sample, s.replicate) for s in samples], path)
    if any(s.barcode for s in samples) and any(s.ltr_barcode for s in samples):
        raise InputError("the sheet mixes I1 barcodes (column barcode) and double barcodes (LTR + LC); a run is "
                         "demultiplexed one way", path=path)
    bcs = [(s.barcode, seen[s.barcode]) for s in samples if s.barcode]
    lengths = {len(b) for b, _ in bcs}
    if len(lengths) > 1:
        raise InputError(f"barcodes have different lengths ({', '.join(map(str, sorted(lengths)))}); "
                         "expected one length", path=path)
    k = layout.barcode_max_mismatches
    for a in range(len(bcs)):
        for b in range(a + 1, len(bcs)):
            d = sum(x != y for x, y in zip(bcs[a][0], bcs[b][0]))
            if d <= 2 * k:
                raise InputError(
                    f"barcodes {bcs[a][0]} (line {bcs[a][1]}) and {bcs[b][0]} differ at only {d} position(s); "
                    f"with barcode_max_mismatches={k} they must differ at >= {2 * k + 1}",
                    path=path, line=bcs[b][1])
    check_dual_barcodes([(s.name, s.ltr_barcode, s.lc_barcode, lines[s.name]) for s in samples if s.ltr_barcode],
                        layout.ltr_barcode_max_mismatches, layout.lc_barcode_max_mismatches, path)
    if not samples:
        raise InputError("sample sheet has no samples", path=path)
    return samples


def _dual_barcodes(row: dict, lists: dict, path, line) -> tuple[str, str]:
    """(LTR barcode, LC barcode) sequences of a row (``("", "")`` when the row is not double-barcoded)."""
    tag = str(row.get("tag_id", "") or "").strip()
    ltr, lc = str(row.get("ltr_barcode", "") or "").strip(), str(row.get("lc_barcode", "") or "").strip()
    if tag:
        parts = tag.split(".")
        if len(parts) != 2 or not all(parts):
            raise InputError(f"column tag_id: expected VISPA2's TagID '<LTR barcode>.<LC barcode>' (e.g. LTR51.LC26), "
                             f"got {tag!r}", path=path, line=line)
        if (ltr and ltr != parts[0]) or (lc and lc != parts[1]):
            raise InputError(f"column tag_id {tag!r} disagrees with columns ltr_barcode/lc_barcode", path=path,
                             line=line)
        ltr, lc = parts
    if bool(ltr) != bool(lc):
        raise InputError("a double barcode needs both ltr_barcode and lc_barcode", path=path, line=line)
    out = []
    for kind, value in (("ltr", ltr), ("lc", lc)):
        if not value:
            out.append("")
        elif _DNA.match(value.upper()):
            out.append(value.upper())
        elif value in lists[kind]:
            out.append(lists[kind][value])
        else:
            where = f"--{kind}-barcodes / integration.reads.{kind}_barcodes"
            raise InputError(f"{kind.upper()} barcode {value!r} is neither a DNA sequence nor a name in the "
                             f"{kind.upper()} barcode list ({where}{'' if lists[kind] else ': none given'})",
                             path=path, line=line)
    return out[0], out[1]


def check_dual_barcodes(rows, k_ltr: int, k_lc: int, path) -> None:
    """``rows`` = (sample, LTR barcode, LC barcode, line). One length per barcode kind; no two samples whose LTR
    barcodes are within ``2 k_ltr`` **and** LC barcodes within ``2 k_lc`` substitutions (a read within tolerance of
    both could not be assigned): the error names both samples."""
    for kind, col in (("LTR", 1), ("LC", 2)):
        lengths = sorted({len(r[col]) for r in rows})
        if len(lengths) > 1:
            raise InputError(f"{kind} barcodes have different lengths ({', '.join(map(str, lengths))}); expected one "
                             "length", path=path)
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            da = sum(x != y for x, y in zip(rows[a][1], rows[b][1]))
            db = sum(x != y for x, y in zip(rows[a][2], rows[b][2]))
            if da <= 2 * k_ltr and db <= 2 * k_lc:
                raise InputError(
                    f"samples {rows[a][0]} (line {rows[a][3]}) and {rows[b][0]} collide: their LTR barcodes differ at "
                    f"{da} and their LC barcodes at {db} position(s); with ltr_barcode_max_mismatches={k_ltr} and "
                    f"lc_barcode_max_mismatches={k_lc} a read pair could match both (need LTR > {2 * k_ltr} or LC > "
                    f"{2 * k_lc} differences)", path=path, line=rows[b][3])


def check_replicates(rows, path) -> None:
    """``rows`` = (library, pooled sample, replicate): pooled names must be safe and not clash with another
    library's name, and (pooled sample, replicate) must be unique."""
    from cgtsafe.config import SAFE_NAME

    names = {lib for lib, _, _ in rows}
    first: dict[tuple, int] = {}
    for i, (lib, pooled, rep) in enumerate(rows, start=2):
        if not SAFE_NAME.match(pooled):
            raise InputError(f"column specimen: {pooled!r} is not a safe name (letters, digits, '_', '.', '-')",
                             path=path, line=i)
        if pooled != lib and pooled in names:
            raise InputError(f"column specimen: {pooled!r} is also the sample name of another row", path=path,
                             line=i)
        if rep and (pooled, rep) in first:
            raise InputError(f"specimen {pooled} replicate {rep} appears twice (first on line {first[(pooled, rep)]})",
                             path=path, line=i)
        first[(pooled, rep)] = i


def specimen_sheet(sheet, path="sample sheet"):
    """Collapse a sample sheet with ``specimen``/``replicate`` columns (one row per replicate library) to one
    row per pooled sample (``sample`` = specimen), checking that its libraries agree on subject, time point
    (and cell type / timepoint_days when present). A sheet without ``specimen`` is returned unchanged."""
    if "specimen" not in sheet.columns:
        return sheet
    df = sheet.copy()
    df["replicate"] = df["replicate"].astype(str).str.strip() if "replicate" in df.columns else ""
    df["specimen"] = df["specimen"].astype(str).str.strip()
    check_replicates([(lib, spec or lib, rep) for lib, spec, rep in zip(df["sample"], df["specimen"], df["replicate"])],
                     path)
    df["sample"] = [spec or lib for lib, spec in zip(df["sample"], df["specimen"])]
    for col in [c for c in ("subject", "timepoint", "cell_type", "timepoint_days") if c in df.columns]:
        n = df.groupby("sample", sort=False)[col].nunique()
        if (n > 1).any():
            bad = n[n > 1].index[0]
            raise InputError(f"the replicate libraries of specimen {bad} differ in column {col}", path=path)
    return df.drop_duplicates("sample").drop(columns=["specimen", "replicate"]).reset_index(drop=True)
