"""Load and validate everything the evidence report shows (no rendering here).

Inputs (all validated before anything is written; mistakes raise :class:`cgtsafe.errors.InputError`):

* the resolved config (``product`` and ``report`` sections; ``report.imported`` lists the sponsor's
  lab results shown as *imported*, each with its file's SHA-256);
* ``<results>/<analysis>/summary.json`` for every analysis of :data:`cgtsafe.summary.ANALYSES` (contract:
  :mod:`cgtsafe.summary`; table/figure paths are relative to the summary's folder). An absent summary
  is reported as ``missing_input``, never silently dropped;
* ``provenance.json`` (:mod:`cgtsafe.provenance`), optional;
* ``method_performance.json`` of the validation step, optional: a list of
  ``{"analysis", "metric", "value", "reference", "n", "source"}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.report import i18n
from cgtsafe.report.traceability import load_requirements
from cgtsafe import summary as contract
from cgtsafe.summary import LEVELS, STATUSES

IMPORT_KINDS = tuple(i18n.IMPORT_KINDS)
REPORT_DEFAULTS = {"title": "Genomic safety evidence report", "max_table_rows": 200, "max_embedded_rows": 50000,
                   "default_language": "both", "imported": [], "performance": None}


@dataclass
class Table:
    id: str
    title_en: str
    title_zh: str
    description_en: str
    description_zh: str
    path: Path
    columns: list[str]
    rows: list[list[str]]
    total_rows: int
    origin: str = ""


@dataclass
class Figure:
    id: str
    title_en: str
    title_zh: str
    path: Path
    spec: dict
    origin: str = ""


@dataclass
class Imported:
    kind: str
    title: str
    file: Path
    sha256: str
    glp: bool | None
    study_id: str
    limit: str
    note: str
    requirements: list[str]
    table: Table | None
    text: str
    limit_check: list[str] = field(default_factory=list)


@dataclass
class ReportInputs:
    config: dict
    summaries: dict[str, dict]
    tables: dict[str, list[Table]]
    figures: dict[str, list[Figure]]
    imported: list[Imported]
    provenance: dict | None
    performance: list[dict]
    provenance_path: str | None
    performance_path: str | None
    #: the real-data validation record shipped with the package (cgtsafe.validation.record), or None
    validation_record: dict | None = None


def load_config(path: str | Path) -> dict:
    from cgtsafe.config import load_yaml

    cfg = load_yaml(path)
    prod = cfg.get("product")
    if not isinstance(prod, dict):
        raise InputError("key 'product' is required but missing (resolved config expected)", path=path)
    for key in ("name", "modality", "track"):
        if key not in prod:
            raise InputError(f"key 'product.{key}' is required but missing", path=path)
    if isinstance(prod["modality"], str):
        prod["modality"] = [prod["modality"]]
    rep = dict(REPORT_DEFAULTS)
    rep.update(cfg.get("report") or {})
    for key in ("max_table_rows", "max_embedded_rows"):
        if not isinstance(rep[key], int) or isinstance(rep[key], bool) or rep[key] < 1:
            raise InputError(f"key 'report.{key}': expected a positive integer, got {rep[key]!r}", path=path)
    if rep["default_language"] not in ("both", "en", "zh"):
        raise InputError(f"key 'report.default_language': expected one of both, en, zh, got "
                         f"{rep['default_language']!r}", path=path)
    if not isinstance(rep["imported"], list):
        raise InputError("key 'report.imported': expected a list of imported results", path=path)
    cfg["report"] = rep
    return cfg


def _read_json(path: Path, what: str):
    if not path.exists():
        raise InputError(f"{what} not found", path=path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} is not valid JSON ({exc.msg})", path=path, line=exc.lineno) from None
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text", path=path) from None


def load_summary(results: Path, analysis: str) -> dict:
    path = results / analysis / "summary.json"
    if not path.exists():
        return {"analysis": analysis, "status": "missing_input", "verdict_level": "inconclusive",
                "reason": f"{path} not found: the analysis did not produce its summary.",
                "verdict_en": f"Input missing: {path} not found (the analysis did not produce its summary).",
                "verdict_zh": f"缺少输入：未找到 {path}（该分析未生成摘要）。", "key_figures": [], "methods_en": "", "methods_zh": "",
                "parameters": {}, "tables": [], "figures": [], "requirements": [], "performance": [],
                "exclusions": [], "inputs": []}
    s = _read_json(path, "summary")
    if not isinstance(s, dict):
        raise InputError("summary must be a JSON object", path=path)
    if s.get("analysis") != analysis:
        raise InputError(f"key 'analysis': expected {analysis!r}, got {s.get('analysis')!r}", path=path)
    if s.get("status") not in STATUSES:
        raise InputError(f"key 'status': expected one of {', '.join(STATUSES)}, got {s.get('status')!r}", path=path)
    if s.get("verdict_level", "info") not in LEVELS:
        raise InputError(f"key 'verdict_level': expected one of {', '.join(LEVELS)}, got {s.get('verdict_level')!r}",
                         path=path)
    for key in ("key_figures", "tables", "figures", "requirements", "performance", "exclusions", "inputs"):
        if not isinstance(s.get(key, []), list):
            raise InputError(f"key '{key}': expected a list", path=path)
        s.setdefault(key, [])
    if not isinstance(s.get("parameters", {}), dict):
        raise InputError("key 'parameters': expected an object", path=path)
    s.setdefault("parameters", {})
    for key in ("reason", "verdict_en", "verdict_zh", "methods_en", "methods_zh"):
        s.setdefault(key, "")
    s.setdefault("verdict_level", "info")
    for i, entry in enumerate(s["tables"] + s["figures"]):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("path"):
            raise InputError(f"tables/figures entry {i}: expected an object with 'id' and 'path'", path=path)
    return s


def _read_any_table(path: Path, what: str, max_rows: int) -> tuple[list[str], list[list[str]], int]:
    """(columns, the first ``max_rows`` rows as strings, number of rows): a genome-scale table (millions of
    candidate sites) is counted by streaming it, never loaded whole; the report embeds only the first rows."""
    import pandas as pd

    from cgtsafe.io.tables import count_rows, read_table

    name = path.name.lower()
    if not path.exists():
        raise InputError(f"{what} not found", path=path)
    if name.endswith(".parquet"):
        df = read_table(path, what=what).astype(str)
        return [str(c) for c in df.columns], df.head(max_rows).values.tolist(), len(df)
    sep = "," if name.endswith((".csv", ".csv.gz")) else "\t"
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, comment=None, nrows=max_rows)
    except Exception as exc:
        kind = "CSV" if sep == "," else "table"
        raise InputError(f"cannot read {what} as {kind} ({str(exc).splitlines()[0]})" if sep == "," else
                         f"cannot read {what}: {exc}".splitlines()[0], path=path) from None
    total = len(df)
    if total == max_rows:
        total = count_rows(path, what=what)
    return [str(c) for c in df.columns], df.values.tolist(), total


def load_table(entry: dict, base: Path, origin: str, max_rows: int) -> Table:
    path = base / entry["path"]
    columns, rows, total = _read_any_table(path, f"table {entry['id']!r}", max_rows)
    return Table(str(entry["id"]), entry.get("title_en", "") or str(entry["id"]), entry.get("title_zh", ""),
                 entry.get("description_en", ""), entry.get("description_zh", ""), path, columns,
                 rows, total, origin)


def load_figure(entry: dict, base: Path, origin: str) -> Figure:
    path = base / entry["path"]
    spec = _read_json(path, f"figure {entry['id']!r}")
    if not isinstance(spec, dict) or not isinstance(spec.get("data", []), list):
        raise InputError("plotly figure JSON must be an object with a 'data' list", path=path)
    return Figure(str(entry["id"]), entry.get("title_en", "") or str(entry["id"]), entry.get("title_zh", ""),
                  path, spec, origin)


_NOT_DETECTED = re.compile(r"^\s*(negative|not detected|nd|none detected|<\s*lod|below lod|阴性|未检出)\s*$", re.I)


def _rcv_check(table: Table, limit) -> list[str]:
    """Per row of an RCV table: 'not detected' / 'within limit' / 'exceeds limit' / 'no limit declared'."""
    col = next((c for c in ("result", "value") if c in table.columns), None)
    if col is None:
        return []
    j = table.columns.index(col)
    try:
        lim = float(limit) if limit not in (None, "") else None
    except (TypeError, ValueError):
        lim = None
    out = []
    for row in table.rows:
        v = row[j]
        if _NOT_DETECTED.match(v or ""):
            out.append("not detected")
            continue
        try:
            x = float(v)
        except ValueError:
            out.append("not numeric: compare manually")
            continue
        if lim is None:
            out.append("no numeric limit declared")
        else:
            out.append("within limit" if x <= lim else "EXCEEDS LIMIT")
    return out


def load_imported(items: list, config_path: str | Path, max_rows: int) -> list[Imported]:
    from cgtsafe.provenance import sha256

    out = []
    known_ids = {r.id for r in load_requirements()}
    for i, item in enumerate(items):
        where = f"report.imported[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"key '{where}': expected a mapping with kind, title, file", path=config_path)
        for key in ("kind", "title", "file"):
            if not item.get(key):
                raise InputError(f"key '{where}.{key}' is required but missing", path=config_path)
        if item["kind"] not in IMPORT_KINDS:
            raise InputError(f"key '{where}.kind': expected one of {', '.join(IMPORT_KINDS)}, got {item['kind']!r}",
                             path=config_path)
        glp = item.get("glp")
        if glp is not None and not isinstance(glp, bool):
            raise InputError(f"key '{where}.glp': expected true, false or null, got {glp!r}", path=config_path)
        reqs = item.get("requirements") or []
        bad = [r for r in reqs if r not in known_ids]
        if bad:
            raise InputError(f"key '{where}.requirements': unknown requirement ID(s) {', '.join(map(str, bad))}",
                             path=config_path)
        path = Path(item["file"])
        if not path.is_file():
            raise InputError(f"key '{where}.file': file {str(path)!r} does not exist", path=config_path)
        name = path.name.lower()
        table, text = None, ""
        if name.endswith((".tsv", ".tsv.gz", ".csv", ".csv.gz", ".parquet")):
            cols, rows, total = _read_any_table(path, f"imported result {item['title']!r}", max_rows)
            table = Table(f"imported-{i + 1}", item["title"], item["title"], "", "", path, cols, rows, total,
                          "imported")
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise InputError(f"key '{where}.file': expected a TSV, CSV or UTF-8 text file", path=path) from None
        imp = Imported(item["kind"], str(item["title"]), path, sha256(path), glp, str(item.get("study_id") or ""),
                       "" if item.get("limit") is None else str(item.get("limit")), str(item.get("note") or ""),
                       list(reqs), table, text)
        if imp.kind == "rcv" and table is not None:
            imp.limit_check = _rcv_check(table, item.get("limit"))
        out.append(imp)
    return out


def load_performance(path: str | Path | None) -> list[dict]:
    if not path:
        return []
    path = Path(path)
    data = _read_json(path, "method performance JSON")
    if not isinstance(data, list):
        raise InputError("method performance JSON: expected a list of {analysis, metric, value, ...}", path=path)
    for i, row in enumerate(data):
        if not isinstance(row, dict) or "metric" not in row or "value" not in row:
            raise InputError(f"entry {i}: expected an object with at least 'metric' and 'value'", path=path)
    return data


def load_inputs(config: str | Path, results: str | Path, provenance: str | Path | None = None,
                performance: str | Path | None = None) -> ReportInputs:
    cfg = load_config(config)
    results = Path(results)
    if not results.is_dir():
        raise InputError("results directory not found", path=results)
    rep = cfg["report"]
    summaries, tables, figures = {}, {}, {}
    for a in contract.ANALYSES:
        s = load_summary(results, a)
        summaries[a] = s
        base = results / a
        tables[a] = [load_table(e, base, a, rep["max_embedded_rows"]) for e in s["tables"]]
        figures[a] = [load_figure(e, base, a) for e in s["figures"]]
    prov = None
    if provenance:
        prov = _read_json(Path(provenance), "provenance JSON")
        if not isinstance(prov, dict):
            raise InputError("provenance JSON must be an object", path=provenance)
    if not performance and rep.get("performance") and not Path(rep["performance"]).exists():
        raise InputError(f"key 'report.performance': file {rep['performance']!r} does not exist", path=config)
    perf_path = performance or rep.get("performance")
    perf = load_performance(perf_path)
    imported = load_imported(rep["imported"], config, rep["max_embedded_rows"])
    from cgtsafe.validation.record import load_reference_record

    return ReportInputs(cfg, summaries, tables, figures, imported, prov, perf,
                        str(provenance) if provenance else None, str(perf_path) if perf else None,
                        load_reference_record())

