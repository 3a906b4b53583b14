"""Config and sample-sheet validation with one-line errors.

The top-level schema is ``workflow/schemas/config.schema.yaml``; each analysis section has its own
``workflow/schemas/<section>.schema.yaml`` that is inserted under ``properties.<section>``. Defaults
declared in the schemas are filled in (nothing else: no key inherits a demo value). Every problem
is collected and reported, one line each, naming the config file and the dotted key (or the file
and line of a sample sheet) and what was expected.

Checks, in order: the YAML itself (file and line of a syntax error, duplicate keys), the schemas
(types, ranges, enumerations, unknown keys), then what can be checked without running
(:func:`semantic_problems`): keys an enabled analysis needs, files that must exist, their format
(FASTA header, gene annotation, TSV columns, UTF-8 text), sample sheets (columns, safe and unique
names, duplicate rows, files named in them), nuclease and PAM, and fractions given as percentages.

``cgtsafe config check --config FILE [--schemas DIR]`` runs the same checks from the shell.
``cgtsafe init DIR`` writes a commented config and empty sample-sheet templates (:mod:`cgtsafe.init`).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

from cgtsafe.errors import InputError

SECTIONS = ("offtarget", "sitecheck", "integration", "tcr", "antigen", "vector", "nomination", "cnv", "report")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
#: a declared off-target frequency threshold above this is almost surely a percentage (1 = 100 %)
MAX_PLAUSIBLE_THRESHOLD = 0.1


class ConfigProblems(InputError):
    """Several problems at once; ``str()`` puts each on its own ``cgtsafe: error:`` line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        Exception.__init__(self, "\ncgtsafe: error: ".join(self.problems))


def default_schema_dir() -> Path:
    """``workflow/schemas`` of the checkout this package runs from (editable install or source tree)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "workflow" / "schemas"
        if cand.is_dir():
            return cand
    raise InputError("cannot find workflow/schemas; pass --schemas DIR")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML silently keeps the last)."""


def _construct_mapping(loader, node, deep=False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} given twice (first on line {seen[key]})", key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: str | Path) -> dict:
    """Read a config file; a syntax error or a duplicate key names the file and line."""
    path = Path(path)
    if not path.exists():
        raise InputError("config file not found", path=path)
    if path.is_dir():
        raise InputError("config file is a directory; expected a YAML file", path=path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text (save the file as UTF-8)", path=path, line=line) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"not valid YAML ({problem})", path=path, line=line) from None
    if data is None:
        raise InputError("config file is empty; expected a YAML mapping of config keys (cgtsafe init DIR writes one)",
                         path=path)
    if not isinstance(data, dict):
        raise InputError("expected a YAML mapping of config keys at the top level", path=path)
    return data


def composed_schema(schema_dir: str | Path | None = None) -> dict:
    schema_dir = Path(schema_dir) if schema_dir else default_schema_dir()
    top = yaml.safe_load((schema_dir / "config.schema.yaml").read_text(encoding="utf-8"))
    props = top.setdefault("properties", {})
    for section in SECTIONS:
        p = schema_dir / f"{section}.schema.yaml"
        if p.exists():
            props[section] = yaml.safe_load(p.read_text(encoding="utf-8"))
    # sub-sections owned by separate steps: <section>.<sub>.schema.yaml -> properties.<section>.properties.<sub>
    for p in sorted(schema_dir.glob("*.*.schema.yaml")):
        section, sub = p.name.split(".")[:2]
        if section in SECTIONS:
            node = props.setdefault(section, {"type": "object"})
            node.setdefault("properties", {})[sub] = yaml.safe_load(p.read_text(encoding="utf-8"))
    return top


def _fill_defaults(schema: dict, data):
    """Fill ``default`` values of object properties recursively (as snakemake's ``validate(set_default=True)``),
    including the items of arrays of objects."""
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        return [_fill_defaults(schema["items"], x) for x in data]
    if not isinstance(data, dict) or schema.get("type") != "object":
        return data
    for key, sub in schema.get("properties", {}).items():
        if key not in data and "default" in sub:
            data[key] = copy.deepcopy(sub["default"])
        if key in data:
            data[key] = _fill_defaults(sub, data[key])
    return data


def _describe(error) -> str:
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    validator = error.validator
    if validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        key = f"{key}.{name}" if error.absolute_path else name
        return f"key '{key}' is required but missing"
    if validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        return f"key '{key}' has unknown key(s) {', '.join(extra)} (typo?)"
    if validator == "type" and error.instance is None:
        return f"key '{key}' is required but empty (null): write a value ({error.validator_value} expected)"
    if validator == "type":
        return f"key '{key}': expected {error.validator_value}, got {error.instance!r}"
    if validator == "enum":
        return f"key '{key}': expected one of {', '.join(map(str, error.validator_value))}, got {error.instance!r}"
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"key '{key}': {error.instance!r} is outside the allowed range ({validator} {error.validator_value})"
    if validator == "pattern":
        return f"key '{key}': {error.instance!r} does not match the expected pattern {error.validator_value}"
    return f"key '{key}': {error.message}"


def schema_problems(config: dict, *, schema_dir: str | Path | None = None) -> list[str]:
    """Fill the schema defaults into ``config`` (in place) and return every schema violation, one line each."""
    import jsonschema

    schema = composed_schema(schema_dir)
    _fill_defaults(schema, config)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out: list[str] = []
    keys: set[tuple] = set()
    for e in errors:
        where = tuple(map(str, e.absolute_path))
        if e.validator != "required" and where in keys:
            continue  # one line per key (a null value also fails its enum, ...)
        keys.add(where)
        out.append(_describe(e))
    return out


def config_problems(config: dict, *, path: str | Path = "config", schema_dir: str | Path | None = None,
                    check_inputs: bool = True) -> list[str]:
    """Every problem of ``config`` (defaults filled in place), each a line naming ``path`` and the key."""
    if not config:
        return [f"{path}: no configuration given: pass --configfile FILE (`cgtsafe init DIR` writes a commented "
                "one; the demo runs with --configfile test-data/demo/config.yaml)"]
    problems = [f"{path}: {m}" for m in schema_problems(config, schema_dir=schema_dir)]
    if check_inputs:
        named = {m.group(1) for m in map(_KEY.search, problems) if m}
        # a key the schema already reported is not reported again (e.g. required -> required when enabled)
        problems += [p for p in semantic_problems(config, path=path, schema_ok=not problems)
                     if not ((m := _KEY.search(p)) and m.group(1) in named)]
    return problems


_KEY = re.compile(r"key '([^']+)'")


def validate_config(config: dict, *, path: str | Path = "config", schema_dir: str | Path | None = None,
                    check_inputs: bool = True) -> dict:
    """Validate ``config`` in place (schema defaults filled) and return it; raise :class:`ConfigProblems`
    listing every problem (one line each)."""
    problems = []
    if Path(str(path)).is_file():  # what snakemake's loader lets pass: duplicate keys, non-UTF-8
        try:
            load_yaml(path)
        except InputError as exc:
            problems.append(str(exc))
    problems += config_problems(config, path=path, schema_dir=schema_dir, check_inputs=check_inputs)
    if problems:
        raise ConfigProblems(problems)
    return config


def check_files(config: dict, keys: list[str], *, path: str | Path = "config") -> None:
    """Every dotted key in ``keys`` that is set must name an existing file."""
    for dotted in keys:
        node = config
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, ""):
            continue
        for value in node if isinstance(node, list) else [node]:
            if not Path(value).exists():
                raise InputError(f"key '{dotted}': file {value!r} does not exist", path=path)


# ---------------------------------------------------------------- sample sheets


def read_tsv_lines(path: str | Path, *, what: str = "sample sheet") -> tuple[list[str], list[tuple[int, list[str]]]]:
    """``(header, [(line number, cells)])`` of a UTF-8 TSV; blank lines and ``#`` comment lines are skipped.

    Errors (one line, with the file's line number): not found, a directory, not UTF-8, empty, a row with
    more cells than the header, duplicate column names."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} not found", path=path)
    if path.is_dir():
        raise InputError(f"{what} is a directory; expected a tab-separated file", path=path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raise InputError(f"{what} is gzip-compressed; expected a plain tab-separated text file", path=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{what} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8 TSV",
                         path=path, line=line) from None
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if header is None:
            header = cells
            if len(header) == 1 and "," in line:
                raise InputError(f"{what} looks comma-separated; expected tab-separated columns", path=path,
                                 line=lineno)
            dup = sorted({c for c in header if header.count(c) > 1})
            if dup:
                raise InputError(f"{what} has duplicate column(s) {', '.join(dup)}", path=path, line=lineno)
            continue
        if len(cells) > len(header):
            raise InputError(f"{len(cells)} cells but the header has {len(header)} columns", path=path, line=lineno)
        rows.append((lineno, cells + [""] * (len(header) - len(cells))))
    if header is None:
        raise InputError(f"{what} is empty; expected a header line", path=path)
    if not rows:
        raise InputError(f"{what} has a header but no rows", path=path)
    return header, rows


def read_sample_sheet(path: str | Path, *, required: tuple[str, ...], name_column: str = "sample",
                      allowed: dict[str, tuple[str, ...]] | None = None, unique: bool = True):
    """Read a TSV sample sheet; check columns, safe (and, with ``unique``, unique) names, duplicate rows and
    enumerated values. Names may only contain ``[A-Za-z0-9_.-]`` (they become file names). Errors name the
    file's line (comment and blank lines counted)."""
    import pandas as pd

    path = Path(path)
    header, rows = read_tsv_lines(path)
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"sample sheet lacks column(s) {', '.join(missing)}; expected {', '.join(required)}",
                         path=path)
    i_name = header.index(name_column)
    seen: dict[str, int] = {}
    seen_rows: dict[tuple, int] = {}
    for lineno, cells in rows:
        name = cells[i_name]
        if not SAFE_NAME.match(name):
            raise InputError(f"{name_column} {name!r} is not a safe name: use only letters, digits, '_', '.', '-'",
                             path=path, line=lineno)
        key = tuple(cells)
        if key in seen_rows:
            raise InputError(f"duplicate row (same as line {seen_rows[key]})", path=path, line=lineno)
        seen_rows[key] = lineno
        if unique and name in seen:
            raise InputError(f"duplicate {name_column} {name!r} (first on line {seen[name]})", path=path, line=lineno)
        seen.setdefault(name, lineno)
    for col, values in (allowed or {}).items():
        i = header.index(col)
        for lineno, cells in rows:
            if cells[i] not in values:
                raise InputError(f"column {col}: expected one of {', '.join(values)}, got {cells[i]!r}", path=path,
                                 line=lineno)
    return pd.DataFrame([c for _, c in rows], columns=header, dtype=str) if rows else pd.DataFrame(
        columns=header, dtype=str)


# ---------------------------------------------------------------- checks without running


def _get(config: dict, dotted: str):
    node = config
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _file_problem(key: str, value, *, kind: str | None = None) -> str | None:
    """Existence and format of the file a key names (None when fine)."""
    p = Path(str(value))
    if not p.exists():
        return f"key '{key}': file {str(value)!r} does not exist"
    if p.is_dir():
        return f"key '{key}': {str(value)!r} is a directory; expected a file"
    if kind is None:
        return None
    try:
        with open(p, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        return f"key '{key}': cannot read {str(value)!r} ({exc.strerror})"
    if head[:2] == b"\x1f\x8b":
        if kind in ("fasta", "genes", "fastq"):
            import gzip

            try:
                with gzip.open(p, "rb") as fh:
                    head = fh.read(4096)
            except (OSError, EOFError) as exc:
                return f"key '{key}': {str(value)!r} is not a readable gzip file ({exc})"
        else:
            return f"key '{key}': {str(value)!r} is gzip-compressed; expected plain text"
    if not head:
        return f"key '{key}': {str(value)!r} is empty"
    first = next((ln for ln in head.splitlines() if ln.strip() and not ln.startswith(b"#")), b"")
    if kind == "fasta" and not head.lstrip().startswith(b">"):
        return f"key '{key}': {str(value)!r} is not a FASTA file (expected a '>' header on line 1)"
    if kind == "fastq" and not head.startswith(b"@"):
        return f"key '{key}': {str(value)!r} is not a FASTQ file (expected '@' on line 1)"
    if kind == "genes":
        cells = first.split(b"\t")
        if len(cells) < 9:
            return (f"key '{key}': {str(value)!r} is not a GTF or genePred file (expected >= 9 tab-separated "
                    f"columns, found {len(cells)})")
    if kind in ("text", "tsv"):
        try:
            p.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raw = p.read_bytes()
            line = raw[: exc.start].count(b"\n") + 1
            return f"key '{key}': {str(value)!r} line {line} is not UTF-8 text; save it as UTF-8"
    if kind == "vcf" and not (head.startswith(b"##fileformat=VCF") or head.startswith(b"BCF")):
        return f"key '{key}': {str(value)!r} is not a VCF file (expected '##fileformat=VCF' on line 1)"
    return None


def _catch(problems: list[str], path, fn, *args, **kw):
    """Run a domain reader; an InputError becomes one problem line (the reader names its file and line)."""
    try:
        fn(*args, **kw)
    except InputError as exc:
        msg = str(exc)
        named = msg.split(": ", 1)[0].split(", line ")[0]
        problems.append(msg if named and Path(named).exists() else f"{path}: {msg}")
    except Exception as exc:  # noqa: BLE001 - a reader that fails another way is still one line, not a traceback
        problems.append(f"{path}: {fn.__name__}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")


def _fragments_on_genome(fragments, genome) -> None:
    from cgtsafe.integration.fragments import check_on_genome, read_fragments
    from cgtsafe.io.fasta import contig_lengths

    df = read_fragments(fragments)
    if genome and Path(genome).is_file():
        check_on_genome(df, contig_lengths(genome), path=fragments, genome=genome)


def semantic_problems(config: dict, *, path: str | Path = "config", schema_ok: bool = True) -> list[str]:
    """Checks the schemas cannot express; run after :func:`schema_problems` (defaults filled)."""
    out: list[str] = []

    def add(msg: str | None):
        if msg:
            out.append(f"{path}: {msg}")

    def need(key: str, why: str) -> bool:
        if _get(config, key) in (None, "", []):
            add(f"key '{key}' is required {why}")
            return False
        return True

    def file(key: str, kind: str | None = None, *, value=None) -> bool:
        v = _get(config, key) if value is None else value
        if v in (None, ""):
            return False
        msg = _file_problem(key, v, kind=kind)
        add(msg)
        return msg is None

    ref = config.get("reference") or {}
    if isinstance(ref, dict):
        file("reference.genome", "fasta")
        file("reference.genes", "genes")
        if file("reference.genes_of_concern", "tsv"):
            from cgtsafe.io.annotation import load_genes_of_concern

            _catch(out, path, load_genes_of_concern, ref["genes_of_concern"])

    def on(section):
        sec = config.get(section)
        return isinstance(sec, dict) and sec.get("enabled") is True

    # off-target prediction
    if on("offtarget"):
        ot = config["offtarget"]
        from cgtsafe.offtarget.nuclease import custom_nuclease, get_nuclease, validate_pam

        nuclease = None
        try:
            nuclease = get_nuclease(ot.get("nuclease", "SpCas9"))
        except InputError as exc:
            add(f"key 'offtarget.nuclease': {exc}")
        if ot.get("pam"):
            try:
                validate_pam(ot["pam"])
                nuclease = custom_nuclease(ot["pam"], base=nuclease) if nuclease else None
            except InputError as exc:
                add(f"key 'offtarget.pam': {exc}")
                nuclease = None
        if need("offtarget.guides", "when offtarget.enabled is true (TSV with columns name spacer)") and \
                file("offtarget.guides", "tsv") and nuclease is not None:
            from cgtsafe.offtarget.search import read_guides

            _catch(out, path, read_guides, ot["guides"], nuclease)
        for key, pkey, kind in (("species", "genome", "fasta"), ("variants", "vcf", "vcf")):
            for i, item in enumerate(ot.get(key) or []):
                if isinstance(item, dict) and item.get(pkey):
                    file(f"offtarget.{key}[{i}].{pkey}", kind, value=item[pkey])

    # edited-vs-control sequencing
    if on("sitecheck"):
        sc = config["sitecheck"]
        if need("sitecheck.threshold", "when sitecheck.enabled is true (declared off-target frequency, a fraction)"):
            t = sc["threshold"]
            if isinstance(t, (int, float)) and not isinstance(t, bool) and MAX_PLAUSIBLE_THRESHOLD < t <= 1:
                add(f"key 'sitecheck.threshold': {t!r} is a fraction of reads ({t * 100:g} %); a value above "
                    f"{MAX_PLAUSIBLE_THRESHOLD} looks like a percentage: write 0.001 for 0.1 %")
        need("sitecheck.threshold_justification", "when sitecheck.enabled is true (why the threshold is adequate)")
        if not sc.get("wgs_samples") and not sc.get("amplicon_samples"):
            add("key 'sitecheck': set wgs_samples and/or amplicon_samples when sitecheck.enabled is true")
        if sc.get("wgs_samples") and file("sitecheck.wgs_samples", "tsv"):
            from cgtsafe.sitecheck.quantify import read_wgs_sheet

            _catch(out, path, read_wgs_sheet, sc["wgs_samples"])
        if sc.get("amplicon_samples"):
            need("sitecheck.amplicons", "with sitecheck.amplicon_samples (amplicon table)")
            if sc.get("amplicons") and file("sitecheck.amplicons", "tsv"):
                from cgtsafe.sitecheck.amplicon import read_amplicons

                _catch(out, path, read_amplicons, sc["amplicons"])
            if file("sitecheck.amplicon_samples", "tsv"):
                from cgtsafe.sitecheck.amplicon import read_amplicon_sheet

                _catch(out, path, read_amplicon_sheet, sc["amplicon_samples"])
        default_sites = sc.get("sites") == "results/offtarget/sites.tsv"
        if default_sites and not on("offtarget") and not Path(sc["sites"]).exists():
            add("key 'sitecheck.sites': results/offtarget/sites.tsv is made by the off-target step, which is "
                "switched off: enable offtarget or name your candidate-site table")
        elif not (default_sites and on("offtarget")):
            file("sitecheck.sites", "tsv")
        for i, n in enumerate(sc.get("nominated") or []):
            file(f"sitecheck.nominated[{i}]", "tsv", value=str(n).rpartition("=")[2])
        if isinstance(sc.get("genomewide"), dict) and sc["genomewide"].get("regions"):
            file("sitecheck.genomewide.regions", "tsv")

    # integration sites
    if on("integration"):
        it = config["integration"]
        reads = it.get("reads") or {}
        if it.get("matrix"):
            if it.get("fragments"):
                out.append(f"{path}: keys 'integration.fragments' and 'integration.matrix' exclude each other (give "
                           "the fragment table or the imported matrix)")
            if file("integration.matrix", "tsv"):
                from cgtsafe.integration.isanalytics import read_isa_matrix

                _catch(out, path, read_isa_matrix, it["matrix"],
                       quantification=it.get("matrix_quantification") or "seqCount")
        elif it.get("fragments") and file("integration.fragments", "tsv"):
            _catch(out, path, _fragments_on_genome, it["fragments"], ref.get("genome"))
        elif need("integration.samples", "when integration.enabled is true and integration.fragments is empty "
                                         "(sample sheet with barcodes)"):
            pass
        if it.get("samples") and file("integration.samples", "tsv"):
            if it.get("fragments") or it.get("matrix"):
                _catch(out, path, read_sample_sheet, it["samples"], required=("sample", "subject", "timepoint"))
            else:
                try:
                    from cgtsafe.integration.layout import layout_from_mapping, read_samples

                    layout = layout_from_mapping(reads.get("layout") or {}, path=f"{path}: integration.reads.layout")
                except InputError as exc:
                    out.append(str(exc))
                else:
                    _catch(out, path, read_samples, it["samples"], layout,
                           ltr_barcodes=reads.get("ltr_barcodes") or None, lc_barcodes=reads.get("lc_barcodes") or None)
        if not it.get("fragments") and not it.get("matrix"):
            for k in ("r1", "r2", "i1"):
                if reads.get(k):
                    file(f"integration.reads.{k}", "fastq")
            if reads.get("vector"):
                file("integration.reads.vector", "fasta")
            for k in ("ltr_barcodes", "lc_barcodes"):
                if reads.get(k):
                    file(f"integration.reads.{k}")

    # TCR cross-reactivity
    if on("tcr"):
        tc = config["tcr"]
        if need("tcr.proteome", "when tcr.enabled is true (protein FASTA, e.g. UniProt UP000005640)"):
            file("tcr.proteome", "fasta")
        if need("tcr.peptides", "when tcr.enabled is true (at least one target peptide)"):
            names = [p.get("name") for p in tc["peptides"] if isinstance(p, dict)]
            dup = sorted({n for n in names if names.count(n) > 1 and n})
            if dup:
                add(f"key 'tcr.peptides': duplicate target names {', '.join(dup)}")
            for i, p in enumerate(tc["peptides"]):
                if isinstance(p, dict) and p.get("xscan"):
                    file(f"tcr.peptides[{i}].xscan", "tsv", value=p["xscan"])
        for key in ("xscan", "expression", "hla_predictions"):
            if tc.get(key):
                file(f"tcr.{key}", "tsv")
        for key, v in (tc.get("imported") or {}).items():
            if v:
                file(f"tcr.imported.{key}", "text")

    # report: imported lab results, truth, performance
    rep = config.get("report") or {}
    if isinstance(rep, dict):
        for i, item in enumerate(rep.get("imported") or []):
            if isinstance(item, dict) and item.get("file"):
                file(f"report.imported[{i}].file", "text", value=item["file"])
        if rep.get("truth") and not Path(rep["truth"]).is_dir():
            add(f"key 'report.truth': folder {rep['truth']!r} does not exist")
        if rep.get("reference_data") and not Path(rep["reference_data"]).is_dir():
            add(f"key 'report.reference_data': folder {rep['reference_data']!r} does not exist")
        perf = rep.get("performance")
        if perf and not (rep.get("truth") and str(perf).startswith("results/")):
            file("report.performance", "text")

    # fractions written as percentages
    it = config.get("integration") if isinstance(config.get("integration"), dict) else {}
    for key, values in (("integration.dominance_thresholds", it.get("dominance_thresholds")),
                        ("integration.expansion.threshold", (it.get("expansion") or {}).get("threshold"))):
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == 1:
                add(f"key '{key}': 1 means 100 % (a fraction is expected); write 0.05 for 5 %")
    return out


# ---------------------------------------------------------------- command line


def register(sub) -> None:
    p = sub.add_parser("config", help="configuration utilities")
    s = p.add_subparsers(dest="config_command", metavar="STEP")
    s.required = True
    c = s.add_parser("check", help="check a config without running anything (every problem, one line each)")
    c.add_argument("--config", required=True)
    c.add_argument("--schemas", default=None, help="schema directory (default: workflow/schemas of the checkout)")
    c.add_argument("--schema-only", action="store_true", help="only the schemas (no file checks)")
    c.set_defaults(func=_check)
    i = sub.add_parser("init", help="write a commented config and empty sample-sheet templates for a new product")
    i.add_argument("dir", help="folder to create (must not hold a config.yaml yet)")
    i.add_argument("--schemas", default=None, help="schema directory (default: workflow/schemas of the checkout)")
    i.set_defaults(func=_init)


def _check(args) -> int:
    config = load_yaml(args.config)
    problems = config_problems(config, path=args.config, schema_dir=args.schemas, check_inputs=not args.schema_only)
    if problems:
        raise ConfigProblems(problems)
    print(f"{args.config}: valid")
    return 0


def _init(args) -> int:
    from cgtsafe.init import write_template

    written = write_template(args.dir, schema_dir=args.schemas)
    for p in written:
        print(p)
    return 0
