"""Build the bilingual, offline HTML evidence report from the analysis summaries.

Inputs (all validated before anything is written; mistakes raise :class:`cgtsafe.errors.InputError`):

* the resolved config (``product`` and ``report`` sections; ``report.imported`` lists the sponsor's
  lab results shown as *imported*, each with its file's SHA-256);
* ``<results>/<analysis>/summary.json`` for offtarget, sitecheck, integration, tcr (contract:
  :mod:`cgtsafe.summary`; table/figure paths are relative to the summary's folder). An absent summary
  is reported as ``missing_input``, never silently dropped;
* ``provenance.json`` (:mod:`cgtsafe.provenance`), optional;
* ``method_performance.json`` of the validation step, optional: a list of
  ``{"analysis", "metric", "value", "reference", "n", "source"}``.

Output: one HTML file. plotly.js is embedded once (``plotly.offline.get_plotlyjs()``); figures and
tables are embedded as JSON in ``<script type="application/json">`` blocks (``</`` escaped) and drawn by
``assets/report.js``. A Content-Security-Policy meta tag forbids every network request. All user
strings are HTML-escaped. The only run-dependent text is the ``generated`` time stamp, which sits on
one line (element ``#generated``): same inputs -> same bytes otherwise.

Tables keep the exact text of the source files (no re-formatting of numbers); coordinate bases are the
ones documented by each analysis (``docs/outputs/<analysis>.md``). The page shows the first
``report.max_table_rows`` rows of each table (sortable over all embedded rows); the CSV download holds
all embedded rows, at most ``report.max_embedded_rows`` (a note says when a table was cut; the full
file is listed with its SHA-256 in the provenance section).
"""

from __future__ import annotations

import datetime
import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cgtsafe.errors import InputError
from cgtsafe.report import i18n
from cgtsafe.report.i18n import t
from cgtsafe.report.ltfu import LtfuTier, ltfu_tier
from cgtsafe.report.traceability import TraceRow, build_matrix, load_outline, load_requirements
from cgtsafe.summary import ANALYSES, LEVELS, STATUSES

ASSETS = Path(__file__).resolve().parent / "assets"
IMPORT_KINDS = tuple(i18n.IMPORT_KINDS)
REPORT_DEFAULTS = {"title": "Genomic safety evidence report", "max_table_rows": 200, "max_embedded_rows": 50000,
                   "default_language": "both", "imported": [], "performance": None}
SPECIES_PREFIXES = ("species", "variant")
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; connect-src 'none'; frame-src 'none'; object-src 'none'")


# --------------------------------------------------------------------------------------------- escaping
def is_species(analysis: str, item_id: str) -> bool:
    """Tables/figures for the species-and-variants section: id starts with ``species``/``variant``,
    optionally after the ``<analysis>_`` prefix (e.g. ``offtarget_species_cyno``)."""
    i = item_id.lower()
    if i.startswith(analysis + "_"):
        i = i[len(analysis) + 1:]
    return i.startswith(SPECIES_PREFIXES)


def esc(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def bi(en: str, zh: str) -> str:
    """Inline bilingual pair (escaped)."""
    return f'<span class="bi"><span class="zh" lang="zh-CN">{esc(zh)}</span><span class="en" lang="en">{esc(en)}</span></span>'


def bt(key: str) -> str:
    en, zh = t(key)
    return bi(en, zh)


def bi_block(en: str, zh: str, tag: str = "p", cls: str = "") -> str:
    extra = f" {cls}" if cls else ""
    out = []
    if zh:
        out.append(f'<{tag} class="zh{extra}" lang="zh-CN">{esc(zh)}</{tag}>')
    if en:
        out.append(f'<{tag} class="en{extra}" lang="en">{esc(en)}</{tag}>')
    return "".join(out)


def _clean_json(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_json(v) for v in obj]
    return obj


def script_json(obj) -> str:
    """JSON safe inside a <script> element: ``</`` and ``<!--`` cannot close or confuse it."""
    text = json.dumps(_clean_json(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


# --------------------------------------------------------------------------------------------- loading
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
                "verdict_en": "", "verdict_zh": "", "key_figures": [], "methods_en": "", "methods_zh": "",
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


def _read_any_table(path: Path, what: str) -> tuple[list[str], list[list[str]]]:
    import pandas as pd

    from cgtsafe.io.tables import read_table

    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        if not path.exists():
            raise InputError(f"{what} not found", path=path)
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except Exception as exc:
            raise InputError(f"cannot read {what} as CSV ({str(exc).splitlines()[0]})", path=path) from None
    else:
        df = read_table(path, what=what)
        df = df.astype(str) if name.endswith(".parquet") else df
    return [str(c) for c in df.columns], df.values.tolist()


def load_table(entry: dict, base: Path, origin: str, max_rows: int) -> Table:
    path = base / entry["path"]
    columns, rows = _read_any_table(path, f"table {entry['id']!r}")
    return Table(str(entry["id"]), entry.get("title_en", "") or str(entry["id"]), entry.get("title_zh", ""),
                 entry.get("description_en", ""), entry.get("description_zh", ""), path, columns,
                 rows[:max_rows], len(rows), origin)


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
            cols, rows = _read_any_table(path, f"imported result {item['title']!r}")
            table = Table(f"imported-{i + 1}", item["title"], item["title"], "", "", path, cols, rows[:max_rows],
                          len(rows), "imported")
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
    for a in ANALYSES:
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
    return ReportInputs(cfg, summaries, tables, figures, imported, prov, perf,
                        str(provenance) if provenance else None, str(perf_path) if perf else None)


# --------------------------------------------------------------------------------------------- rendering
class Page:
    """Collects JSON data blocks (figures, tables) while sections are rendered."""

    def __init__(self, max_rows: int):
        self.max_rows = max_rows
        self.blocks: list[tuple[str, object]] = []
        self.ids: set[str] = set()

    def block(self, prefix: str, obj) -> str:
        base = f"{prefix}"
        bid, k = base, 2
        while bid in self.ids:
            bid, k = f"{base}-{k}", k + 1
        self.ids.add(bid)
        self.blocks.append((bid, obj))
        return bid


def _is_num(v: str) -> bool:
    try:
        float(v)
        return v.strip() != ""
    except (TypeError, ValueError):
        return False


def render_table(page: Page, table: Table, file_stem: str) -> str:
    numeric = [bool(table.rows) and all(_is_num(r[j]) or r[j] == "" for r in table.rows[:200])
               and any(_is_num(r[j]) for r in table.rows[:200]) for j in range(len(table.columns))]
    bid = page.block(f"tbl-{slug(file_stem)}", {"columns": table.columns, "rows": table.rows, "numeric": numeric})
    n_show = min(page.max_rows, len(table.rows))
    head = "".join(f"<th scope=\"col\">{esc(c)}</th>" for c in table.columns)
    body = []
    for r in table.rows[:n_show]:
        body.append("<tr>" + "".join(f'<td class="num">{esc(v)}</td>' if numeric[j] else f"<td>{esc(v)}</td>"
                                     for j, v in enumerate(r)) + "</tr>")
    notes = []
    if n_show < len(table.rows):
        notes.append(f'<span class="small muted">{n_show:,} / {len(table.rows):,} {bt("rows_shown")}</span>')
    if len(table.rows) < table.total_rows:
        notes.append(f'<span class="small lv-attention badge">{bi(f"Embedded: first {len(table.rows):,} of {table.total_rows:,} rows; full file: {table.path.name} (SHA-256 in Provenance)", f"仅嵌入前 {len(table.rows):,} 行（共 {table.total_rows:,} 行）；完整文件：{table.path.name}（SHA-256见数据来源章节）")}</span>')
    if table.title_zh and table.title_zh != table.title_en:
        title = bi(table.title_en, table.title_zh)
    else:
        title = esc(table.title_en)
    desc = bi_block(table.description_en, table.description_zh, "p", "small muted")
    return (f'<div class="table-block" id="{esc(bid)}-block"><div class="table-tools"><span class="t">{title}</span>'
            f'<span class="small muted">{len(table.rows):,} rows · {esc(table.path.name)}</span>'
            f'<button class="dl" type="button" data-src="{esc(bid)}" data-name="{esc(slug(file_stem))}.csv">'
            f'{bt("download_csv")}</button>{"".join(notes)}</div>{desc}'
            f'<div class="table-wrap"><table class="data sortable" data-src="{esc(bid)}" data-limit="{page.max_rows}">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div></div>')


def render_figure(page: Page, fig: Figure, stem: str) -> str:
    bid = page.block(f"fig-{slug(stem)}", fig.spec)
    return (f'<figure class="figure"><figcaption><strong>{bi(fig.title_en, fig.title_zh or fig.title_en)}</strong>'
            f' <span class="small muted">{esc(fig.path.name)}</span></figcaption>'
            f'<div class="plot" id="{esc(bid)}-plot" data-fig="{esc(bid)}"></div></figure>')


def level_of(s: dict) -> str:
    return s["verdict_level"] if s["status"] == "computed" else s["status"]


def badge(level: str) -> str:
    en, zh = i18n.LEVEL_LABELS[level]
    return f'<span class="badge lv-{esc(level)}">{bi(en, zh)}</span>'


def trace_badge(status: str) -> str:
    en, zh = i18n.TRACE_LABELS[status]
    return f'<span class="badge st-{esc(status)}">{bi(en, zh)}</span>'


def _value(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return "" if v is None else str(v)


def section(sid: str, er: str | None, title_en: str, title_zh: str, body: str) -> str:
    tag = f'<span class="er-id">{esc(er)}</span>' if er else ""
    if sid == "er-00":  # the cover: the document title is the heading
        return (f'<section class="report-section cover" id="{esc(sid)}" data-section="{esc(sid)}">'
                f'<p class="small muted">{tag}{bi(title_en, title_zh)}</p>{body}</section>')
    return (f'<section class="report-section" id="{esc(sid)}" data-section="{esc(sid)}">'
            f'<h2>{tag}{bi(title_en, title_zh)}</h2>{body}</section>')


def applicable_guidance(product: dict) -> list[tuple[str, str, str]]:
    """(seed, en, zh) applicability statements for the cover."""
    mods = set(product.get("modality") or [])
    cells = mods & {"ex_vivo_gene_modified_cells", "gene_edited_cells", "car_t", "tcr_t", "ips_derived"}
    out = []
    if cells:
        out.append(("004", "Applies: nonclinical guideline for gene-modified cell products (governing for this IND).",
                    "适用：基因修饰细胞治疗产品非临床研究指导原则（本申请的主要依据）。"))
    else:
        out.append(("004", "Not the governing guideline (no gene-modified cells); used as a technical reference.",
                    "非主要依据（不含基因修饰细胞）；作为技术参考。"))
    if "in_vivo_gene_therapy" in mods or product.get("track") == "clinical_research_filing":
        out.append(("002", "Applies: in vivo gene therapy / clinical-research filing track.",
                    "适用：体内基因治疗/临床研究备案路径。"))
    else:
        out.append(("002", "Technical benchmark only: 002 governs non-registration research on in vivo gene therapy; "
                    "its WGS off-target, RCV and LTFU provisions are applied as a benchmark.",
                    "仅作技术参照：002 适用于非注册目的的体内基因治疗临床研究；其全基因组测序脱靶、RCV及长期随访条款作为参照。"))
    if mods & {"car_t", "tcr_t"}:
        out.append(("001", "Clinical context: immune-cell products (LTFU tiers, RCL stopping rule, VCN in dose).",
                    "临床背景：免疫细胞治疗产品（长期随访分级、RCL停止规则、剂量中的VCN）。"))
    else:
        out.append(("001", "Clinical context: LTFU tiers (immune-cell guideline).", "临床背景：长期随访分级。"))
    out.append(("000", "Clinical context: communication with CDE (pre-IND nonclinical overview, LTFU plan).",
                "临床背景：与药审中心的沟通交流（IND前非临床概述、长期随访计划）。"))
    out.append(("003", "Context only: review article, imposes no requirements.", "仅供参考：综述文章，不构成要求。"))
    return out


def render(inp: ReportInputs, generated: str) -> str:
    cfg = inp.config
    prod = cfg["product"]
    rep = cfg["report"]
    page = Page(rep["max_table_rows"])
    modality = list(prod.get("modality") or [])
    vector = prod.get("vector", "none") or "none"
    tier = ltfu_tier(prod.get("ltfu") or {}, vector)
    reqs = load_requirements()
    outline = {o["section_id"]: o for o in load_outline()}
    imported_dicts = [{"kind": i.kind, "title": i.title, "requirements": i.requirements} for i in inp.imported]
    trace = build_matrix(reqs, inp.summaries, imported_dicts, modality, vector, tier.determined)
    prov = inp.provenance or {}
    sections: list[tuple[str, str, str, str]] = []  # (anchor, er, title_en, title_zh) for the TOC
    html_parts: list[str] = []

    def add(sid, er, ten, tzh, body):
        sections.append((sid, er or "", ten, tzh))
        html_parts.append(section(sid, er, ten, tzh, body))

    # ---- cover
    mods = ", ".join(i18n.MODALITY_LABELS.get(m, (m, m))[0] for m in modality)
    mods_zh = "、".join(i18n.MODALITY_LABELS.get(m, (m, m))[1] for m in modality)
    track = i18n.TRACK_LABELS.get(prod.get("track"), (prod.get("track"), prod.get("track")))
    facts = [
        (bt("product"), esc(prod.get("name"))),
        (bt("sponsor"), esc(prod.get("sponsor", ""))),
        (bt("modality"), bi(mods, mods_zh)),
        (bt("track"), bi(*track)),
        (bt("vector"), esc(vector)),
        (bt("run_id"), f'<span class="mono">{esc(prod.get("run_id", ""))}</span>'),
        (bt("commit"), f'<span class="mono">{esc(prov.get("pipeline_commit", "not recorded"))}</span>'),
        (bi("Run started / finished", "运行开始/结束"),
         f'<span class="mono">{esc(prov.get("started", "") or "—")} / {esc(prov.get("finished", "") or "—")}</span>'),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    guid = "".join(
        f'<tr><td class="mono">{esc(seed)}</td><td>{bi(i18n.SEEDS[seed]["en"], i18n.SEEDS[seed]["zh"])}'
        f'<div class="small muted mono">{esc(i18n.SEEDS[seed]["file"])}</div></td><td>{bi(en, zh)}</td></tr>'
        for seed, en, zh in applicable_guidance(prod))
    counts = {k: sum(1 for r in trace if r.status == k) for k in i18n.TRACE_LABELS}
    colors = {"computed": "#0b5cad", "imported": "#6639ba", "narrative": "#d4a72c", "not_applicable": "#8c959f",
              "not_computed": "#bc4c00", "context": "#d0d7de"}
    bar = "".join(f'<span style="width:{100 * n / len(trace):.3f}%;background:{colors[k]}" title="{esc(k)}: {n}"></span>'
                  for k, n in counts.items() if n)
    legend = "".join(f'<span><span class="badge st-{k}">{bi(*i18n.TRACE_LABELS[k])}</span> {n}</span>'
                     for k, n in counts.items())
    cover = (f'<h1>{esc(rep.get("title") or REPORT_DEFAULTS["title"])}</h1>'
             f'<p class="muted">{bt("title")}</p><dl class="facts">{dl}</dl>'
             f'<p class="small muted" id="generated-line">{bt("generated")}: \n<span id="generated">{esc(generated)}</span>\n</p>'
             f'<h3>{bt("guidance")}</h3><table><thead><tr><th>Seed</th><th>{bi("Document", "文件")}</th>'
             f'<th>{bi("Applicability", "适用性")}</th></tr></thead><tbody>{guid}</tbody></table>'
             f'<h3>{bi("Requirement coverage", "要求覆盖情况")}</h3>'
             f'<p class="small">{bi(f"{len(trace)} requirement rows of seeds 000-004; see the traceability matrix.", f"共 {len(trace)} 条要求（000-004）；详见可追溯性矩阵。")}</p>'
             f'<div class="stackbar">{bar}</div><div class="legend">{legend}</div>')
    add("er-00", "ER-00", "Cover, scope and applicability", i18n.SECTION_TITLES_ZH["ER-00"], cover)

    # ---- summary
    rows = []
    for a in ANALYSES:
        s = inp.summaries[a]
        ten, tzh, er = i18n.ANALYSIS_TITLES[a]
        lvl = level_of(s)
        kf = s["key_figures"][:1]
        kf_html = "".join(f'<div class="small">{bi(k.get("label_en", ""), k.get("label_zh", ""))}: '
                          f'<strong>{esc(_value(k.get("value")))}</strong></div>' for k in kf if isinstance(k, dict))
        verdict = bi(s.get("verdict_en") or s.get("reason") or "", s.get("verdict_zh") or s.get("reason") or "")
        rows.append(f'<tr data-analysis="{a}"><td><a href="#{er.lower()}">{esc(er)}</a> {bi(ten, tzh)}</td>'
                    f'<td>{badge(lvl)}</td><td>{verdict}</td><td>{kf_html}</td></tr>')
    summ = (f'<table class="summary"><thead><tr><th>{bt("analysis")}</th><th>{bt("status")}</th>'
            f'<th>{bt("verdict")}</th><th>{bt("key_figures")}</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<p class="small">{bt("ltfu")}: <strong>{_tier_text(tier)}</strong> (<a href="#er-15">ER-15</a>)</p>')
    add("summary", None, *t("summary"), summ)

    # ---- analyses (+ the species section ER-05 collecting species_/variant_ tables and figures)
    species_parts = []
    for a in ANALYSES:
        for f in inp.figures[a]:
            if is_species(a, f.id):
                species_parts.append(f'<p class="small muted">{bi("From the " + a + " analysis (" + i18n.ANALYSIS_TITLES[a][2] + ")", "来自 " + a + " 分析（" + i18n.ANALYSIS_TITLES[a][2] + "）")}</p>' + render_figure(page, f, f"{a}-{f.id}"))
        for x in inp.tables[a]:
            if is_species(a, x.id):
                species_parts.append(f'<p class="small muted">{bi("From the " + a + " analysis (" + i18n.ANALYSIS_TITLES[a][2] + ")", "来自 " + a + " 分析（" + i18n.ANALYSIS_TITLES[a][2] + "）")}</p>' + render_table(page, x, f"{a}-{x.id}"))
    for a in ANALYSES:
        s = inp.summaries[a]
        ten, tzh, er = i18n.ANALYSIS_TITLES[a]
        body = [f'<div class="verdict">{badge(level_of(s))} {bi(s.get("verdict_en", ""), s.get("verdict_zh", ""))}</div>']
        if s["status"] != "computed":
            en, zh = i18n.STATUS_LABELS[s["status"]]
            reason = s.get("reason") or "—"
            body.append(f'<div class="callout lv-{esc(s["status"])}"><strong>{bi(en, zh)}</strong> — '
                        f'{bt("reason")}: {esc(reason)}</div>')
        if s["key_figures"]:
            cards = "".join(f'<div class="card"><div class="v">{esc(_value(k.get("value")))}</div>'
                            f'<div class="l">{bi(k.get("label_en", ""), k.get("label_zh", ""))}</div></div>'
                            for k in s["key_figures"] if isinstance(k, dict))
            body.append(f'<div class="cards">{cards}</div>')
        if s.get("methods_en") or s.get("methods_zh"):
            body.append(f'<h3>{bt("methods")}</h3>' + bi_block(s.get("methods_en", ""), s.get("methods_zh", "")))
        if s["parameters"]:
            prow = "".join(f'<tr><td class="mono">{esc(k)}</td><td class="mono">{esc(_value(v))}</td></tr>'
                           for k, v in sorted(s["parameters"].items()))
            body.append(f'<h3>{bt("parameters")}</h3><table class="params"><tbody>{prow}</tbody></table>')
        figs = [f for f in inp.figures[a] if not is_species(a, f.id)]
        tabs = [x for x in inp.tables[a] if not is_species(a, x.id)]
        if figs:
            body.append(f'<h3>{bt("figures")}</h3>' + "".join(render_figure(page, f, f"{a}-{f.id}") for f in figs))
        if tabs:
            body.append(f'<h3>{bt("tables")}</h3><p class="small muted">{bt("sort_hint")}</p>'
                        + "".join(render_table(page, x, f"{a}-{x.id}") for x in tabs))
        if s["requirements"]:
            links = ", ".join(f'<a href="#req-{esc(r)}">{esc(r)}</a>' for r in s["requirements"])
            body.append(f'<p class="small">{bt("requirements_answered")}: {links}</p>')
        add(er.lower() if er.lower() not in {x[0] for x in sections} else f"{er.lower()}-{a}", er, ten, tzh,
            "".join(body))
        if a == "sitecheck":
            no_sp = bi("No species or variant comparison is included in the analysis summaries (tables/figures "
                       "whose id starts with species_ or variant_). Sponsor narrative needed.",
                       "分析摘要中未包含种属或变异比较（id以species_或variant_开头的表格/图）。需申请人提供论述。")
            sp = "".join(species_parts) or f'<div class="callout lv-attention">{no_sp}</div>'
            add("er-05", "ER-05", "Species and variants", i18n.SECTION_TITLES_ZH["ER-05"], sp)

    # ---- method performance
    perf_rows = []
    for a in ANALYSES:
        for p in inp.summaries[a]["performance"]:
            if isinstance(p, dict):
                perf_rows.append([a, _value(p.get("metric")), _value(p.get("value")), _value(p.get("reference")),
                                  _value(p.get("n")), _value(p.get("source")), "summary"])
    for p in inp.performance:
        perf_rows.append([_value(p.get("analysis")), _value(p.get("metric")), _value(p.get("value")),
                          _value(p.get("reference")), _value(p.get("n")), _value(p.get("source")),
                          "validation"])
    if perf_rows:
        ptab = Table("method_performance", "Method performance", "方法性能", "", "", Path(inp.performance_path or
                     "method_performance.json"), ["analysis", "metric", "value", "reference", "n", "source", "from"],
                     perf_rows, len(perf_rows), "performance")
        pbody = render_table(page, ptab, "method_performance")
    else:
        pbody = f'<div class="callout lv-attention">{bi("No method-performance evidence (sensitivity, LOD, agreement) was supplied.", "未提供方法性能证据（灵敏度、检测限、一致性）。")}</div>'
    pnote = bi("Rows marked 'validation' come from the demo-truth/validation check "
               f"({inp.performance_path or 'not supplied'}); 'summary' rows from each analysis summary.",
               f"标注“validation”的行来自验证步骤（{inp.performance_path or '未提供'}）；“summary”行来自各分析摘要。")
    add("er-02", "ER-02", "Method performance", i18n.SECTION_TITLES_ZH["ER-02"],
        f'<p class="small muted">{pnote}</p>{pbody}')

    # ---- imported results
    ib = [f'<p class="small muted">{bi("Results declared by the sponsor in report.imported; shown as imported, not re-computed. Each file is identified by its SHA-256.", "申请人在 report.imported 中申报的结果；按导入展示，未重新计算。每个文件以其SHA-256标识。")}</p>']
    groups = [("er-07", "ER-07", ("vcn", "transduction")), ("er-08", "ER-08", ("rcv",)),
              ("imported-er-09", "ER-09", ("allo_hla", "affinity")), ("er-11", "ER-11", ("biodistribution",)),
              ("imported-other", "ER-12", ("other",))]
    for anchor, er, kinds in groups:
        items = [i for i in inp.imported if i.kind in kinds]
        title_zh = i18n.SECTION_TITLES_ZH[er]
        title_en = outline[er]["title_en"]
        parts = [f'<h3 id="{anchor}"><span class="er-id">{er}</span>{bi(title_en, title_zh)}</h3>']
        if not items:
            parts.append(f'<p class="muted small">{bt("none_declared")} '
                         f'{bi("Sponsor to supply if applicable.", "如适用，需申请人提供。")}</p>')
        for n, imp in enumerate(items):
            glp = {True: ("GLP", "GLP"), False: ("non-GLP", "非GLP"), None: ("GLP status not stated", "GLP状态未说明")}[imp.glp]
            glp_cls = {True: "pass", False: "attention", None: "inconclusive"}[imp.glp]
            kind_en, kind_zh, _ = i18n.IMPORT_KINDS[imp.kind]
            parts.append(f'<div class="imported" data-kind="{esc(imp.kind)}"><p><strong>{esc(imp.title)}</strong> '
                         f'<span class="badge lv-{glp_cls}">{bi(*glp)}</span> '
                         f'<span class="small muted">{bi(kind_en, kind_zh)}</span></p>'
                         f'<dl class="facts small"><dt>{bt("study")}</dt><dd>{esc(imp.study_id or "—")}</dd>'
                         f'<dt>{bt("file")}</dt><dd class="mono">{esc(imp.file.name)}</dd>'
                         f'<dt>SHA-256</dt><dd class="hash">{esc(imp.sha256)}</dd>'
                         + (f'<dt>{bt("limit")}</dt><dd>{esc(imp.limit or "not declared")}</dd>' if imp.kind == "rcv" else "")
                         + (f'<dt>{bt("note")}</dt><dd>{esc(imp.note)}</dd>' if imp.note else "") + "</dl>")
            if imp.kind == "rcv" and not imp.limit:
                parts.append(f'<div class="callout lv-attention">{bi("No RCV risk-control limit declared (002 5.4, R002-10 requires one).", "未申报RCV风险控制限值（002 5.4，R002-10要求设定）。")}</div>')
            if imp.table is not None:
                tab = imp.table
                if imp.limit_check:
                    tab = Table(tab.id, tab.title_en, tab.title_zh, "", "", tab.path, tab.columns + ["vs_declared_limit"],
                                [r + [c] for r, c in zip(tab.rows, imp.limit_check)], tab.total_rows, tab.origin)
                parts.append(render_table(page, tab, f"imported-{imp.kind}-{n + 1}"))
            else:
                parts.append(f"<pre>{esc(imp.text)}</pre>")
            parts.append("</div>")
        ib.append("".join(parts))
    add("imported", None, *t("imported"), "".join(ib))

    # ---- LTFU
    lt = [f'<div class="tier" id="ltfu-tier">{_tier_text(tier)}</div>',
          f'<p>{bi(tier.basis_en, tier.basis_zh)}</p>']
    answers = prod.get("ltfu") or {}
    qs = [("exogenous_gene_expressed", "Exogenous gene expressed?", "是否有外源基因表达？"),
          ("integration_or_recombination_risk", "Integration or recombination risk?", "是否存在基因整合或重组风险？"),
          ("dna_altered_ex_vivo", "DNA altered by the ex vivo manipulation?", "体外操作是否改变DNA？")]
    qrows = "".join(f'<tr><td>{bi(en, zh)}</td><td class="mono">{esc(k)}</td><td>'
                    f'{bt({True: "yes", False: "no", None: "unknown"}[answers.get(k)])}</td></tr>' for k, en, zh in qs)
    lt.append(f'<table><thead><tr><th>{bi("Question", "问题")}</th><th>{bi("config key (product.ltfu)", "配置项")}</th>'
              f'<th>{bi("Answer", "回答")}</th></tr></thead><tbody>{qrows}</tbody></table>')
    for en, zh in tier.notes:
        lt.append(f'<div class="callout lv-attention">{bi(en, zh)}</div>')
    cite = {r.id: r for r in reqs}
    crow = "".join(f'<tr id="ltfu-{rid}"><td class="mono"><a href="#req-{rid}">{rid}</a></td>'
                   f'<td class="quote-zh" lang="zh-CN">{esc(cite[rid].quote_zh)}</td><td lang="en">{esc(cite[rid].text_en)}</td></tr>'
                   for rid in ("R001-16", "R001-17", "R001-18", "R002-62", "R002-63", "R002-64"))
    lt.append(f'<h3>{bi("Basis: 001 三（一） and 002 7.5", "依据：001 三（一）与 002 7.5")}</h3>'
              f'<table><tbody>{crow}</tbody></table>')
    add("er-15", "ER-15", "Long-term follow-up tier", i18n.SECTION_TITLES_ZH["ER-15"], "".join(lt))

    # ---- narrative sections (outline sections the pipeline does not produce)
    produced = {"ER-00", "ER-02", "ER-03", "ER-04", "ER-05", "ER-06", "ER-07", "ER-08", "ER-09", "ER-10", "ER-11",
                "ER-15", "ER-16"}
    nb = [f'<p class="small muted">{bi("Report sections of the guidance outline that need the sponsor narrative or wet-lab evidence; each lists the requirements it must answer.", "指导原则提纲中需要申请人论述或湿实验证据的章节；列出各章节需回应的要求。")}</p>']
    for er, o in outline.items():
        if er in produced:
            continue
        ids = [r for r in o["requirements"].split(",") if r]
        links = ", ".join(f'<a href="#req-{esc(r)}">{esc(r)}</a>' for r in ids)
        extra = ""
        if er == "ER-12" and any(i.kind == "other" for i in inp.imported):
            extra = f' <a href="#imported-other">{bi("imported results", "导入结果")}</a>'
        nb.append(f'<h3 id="{er.lower()}"><span class="er-id">{er}</span>{bi(o["title_en"], i18n.SECTION_TITLES_ZH[er])}</h3>'
                  f'<p class="small">{esc(o["content_en"])}</p><p class="small muted">{esc(o["kind"])}{extra}</p>'
                  f'<p class="small">{links}</p>')
    add("narrative", None, *t("narrative_sections"), "".join(nb))

    # ---- traceability
    anchors = {"ER-00": "er-00", "ER-02": "er-02", "ER-03": "er-03", "ER-04": "er-04", "ER-05": "er-05",
               "ER-06": "er-06", "ER-07": "er-07", "ER-08": "er-08", "ER-09": "er-09", "ER-10": "er-10", "ER-11": "er-11",
               "ER-15": "er-15", "ER-16": "er-16"}
    trows = []
    for r in trace:
        q = r.req
        links = " ".join(f'<a href="#{anchors.get(s, s.lower())}">{esc(s)}</a>' for s in q.report_sections)
        trows.append(f'<tr id="req-{esc(q.id)}" class="req-target" data-status="{esc(r.status)}" data-doc="{esc(q.seed_doc)}">'
                     f'<td class="mono">{esc(q.id)}</td><td class="small">{esc(q.seed_doc)} · {esc(q.section)}</td>'
                     f'<td class="quote-zh" lang="zh-CN">{esc(q.quote_zh)}</td><td lang="en">{esc(q.text_en)}</td>'
                     f'<td class="small">{links}</td><td>{trace_badge(r.status)}<div class="small">{bi(r.note_en, r.note_zh)}</div></td></tr>')
    tdata = {"columns": ["id", "seed_file", "section", "quote_zh", "text_en", "report_sections", "status", "note_en",
                         "note_zh"],
             "rows": [[r.req.id, r.req.seed_file, r.req.section, r.req.quote_zh, r.req.text_en,
                       ",".join(r.req.report_sections), r.status, r.note_en, r.note_zh] for r in trace]}
    tid = page.block("tbl-traceability", tdata)
    opts = "".join(f'<option value="{k}">{esc(en)} / {esc(zh)}</option>' for k, (en, zh) in i18n.TRACE_LABELS.items())
    docs = "".join(f'<option value="{d}">{d}</option>' for d in ("004", "002", "001", "000", "003"))
    tb = (f'<p class="small muted">{bi("Every requirement row of seeds 000-004 (requirements.tsv). Status derives from which analyses ran, what was imported and the product modality.", "000-004 的全部要求条目。状态由已运行的分析、导入结果及产品类型得出。")}</p>'
          f'<div class="filters"><label>{bt("filter")} <input id="trace-filter" type="search" placeholder="R004-41 / 全基因组 / WGS"></label>'
          f'<label>{bt("status")} <select id="trace-status"><option value="">{esc(t("all")[0])} / {esc(t("all")[1])}</option>{opts}</select></label>'
          f'<label>Seed <select id="trace-doc"><option value="">{esc(t("all")[0])}</option>{docs}</select></label>'
          f'<span class="small"><span id="trace-shown">{len(trace)}</span> / {len(trace)}</span>'
          f'<button class="dl" type="button" data-src="{tid}" data-name="traceability_matrix.csv">{bt("download_csv")}</button></div>'
          f'<div class="table-wrap" style="max-height:48rem"><table id="trace-table"><thead><tr><th>ID</th><th>{bi("Seed · section", "来源 · 章节")}</th>'
          f'<th>{bi("Original (zh)", "原文")}</th><th>{bi("English translation", "英文翻译")}</th><th>{bi("Report section", "报告章节")}</th>'
          f'<th>{bt("status")}</th></tr></thead><tbody>{"".join(trows)}</tbody></table></div>')
    add("traceability", None, *t("traceability"), tb)

    # ---- provenance
    pv = []
    if not inp.provenance:
        pv.append(f'<div class="callout lv-attention">{bi("No provenance record was supplied.", "未提供数据来源记录。")}</div>')
    else:
        sw = prov.get("software") or {}
        swrows = "".join(f'<tr><td class="mono">{esc(k)}</td><td class="mono">{esc(v)}</td></tr>' for k, v in sorted(sw.items()))
        ref = (cfg.get("reference") or {})
        pv.append(f'<dl class="facts"><dt>{bt("commit")}</dt><dd class="mono">{esc(prov.get("pipeline_commit", ""))}</dd>'
                  f'<dt>{bi("Command line", "命令行")}</dt><dd class="mono">{esc(prov.get("command_line", ""))}</dd>'
                  f'<dt>{bi("Started", "开始")}</dt><dd class="mono">{esc(prov.get("started", ""))}</dd>'
                  f'<dt>{bi("Finished", "结束")}</dt><dd class="mono">{esc(prov.get("finished", ""))}</dd>'
                  f'<dt>{bi("Reference build", "参考基因组版本")}</dt><dd class="mono">{esc(ref.get("build", ""))}</dd></dl>'
                  f'<h3>{bi("Software versions", "软件版本")}</h3><table><tbody>{swrows}</tbody></table>')
        for key, en, zh in (("inputs", "Input files", "输入文件"), ("outputs", "Output files", "输出文件")):
            recs = prov.get(key) or []
            ftab = Table(f"prov-{key}", en, zh, "", "", Path(inp.provenance_path or "provenance.json"),
                         ["path", "bytes", "sha256"],
                         [[_value(r.get("path")), _value(r.get("bytes")),
                           "MISSING" if r.get("missing") else _value(r.get("sha256"))] for r in recs if isinstance(r, dict)],
                         len(recs), "provenance")
            pv.append(f"<h3>{bi(en, zh)}</h3>" + render_table(page, ftab, f"provenance-{key}"))
    imp_rows = [[i.title, i.kind, str(i.file), i.sha256, {True: "GLP", False: "non-GLP", None: "not stated"}[i.glp],
                 i.study_id] for i in inp.imported]
    if imp_rows:
        itab = Table("prov-imported", "Imported files", "导入文件", "", "", Path("config"),
                     ["title", "kind", "file", "sha256", "glp", "study_id"], imp_rows, len(imp_rows), "provenance")
        pv.append(f'<h3>{bi("Imported files", "导入文件")}</h3>' + render_table(page, itab, "provenance-imported"))
    import yaml

    shown_cfg = prov.get("config") if prov.get("config") is not None else cfg
    pv.append(f'<h3>{bi("Resolved configuration", "解析后的配置")}</h3>'
              f'<pre class="config">{esc(yaml.safe_dump(shown_cfg, sort_keys=True, allow_unicode=True))}</pre>')
    add("er-16", "ER-16", "Provenance", i18n.SECTION_TITLES_ZH["ER-16"], "".join(pv))

    # ---- audit
    ex_rows = []
    for a in ANALYSES:
        for e in inp.summaries[a]["exclusions"]:
            if isinstance(e, dict):
                ex_rows.append([a, _value(e.get("what")), _value(e.get("count")), _value(e.get("reason"))])
    if ex_rows:
        etab = Table("exclusions", "Exclusions", "排除项", "", "", Path("summary.json"),
                     ["analysis", "what", "count", "reason"], ex_rows, len(ex_rows), "audit")
        ab = render_table(page, etab, "audit-exclusions")
    else:
        ab = f'<p class="muted">{bi("No exclusions reported by any analysis.", "各分析均未报告排除项。")}</p>'
    add("audit", None, *t("audit"), ab)

    # ---- assemble
    toc = "".join(f'<li><a href="#{esc(sid)}">{f"<span class=er>{esc(er)}</span>" if er else ""}{bi(ten, tzh)}</a></li>'
                  for sid, er, ten, tzh in sections)
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    js = (ASSETS / "report.js").read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs

    plotly_js = get_plotlyjs()
    if "</script" in plotly_js.lower():  # pragma: no cover - guards against a future plotly build
        plotly_js = re.sub(r"</(script)", r"<\\/\1", plotly_js, flags=re.I)
    data_blocks = "\n".join(f'<script type="application/json" id="{esc(bid)}">{script_json(obj)}</script>'
                            for bid, obj in page.blocks)
    title = esc(rep.get("title") or REPORT_DEFAULTS["title"])
    lang = rep["default_language"]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"en" if lang == "en" else "zh-CN"}" data-lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="cgtsafe report">\n<title>{title} — {esc(prod.get("name"))}</title>\n'
        f"<style>\n{css}</style>\n</head>\n<body>\n"
        f'<header class="topbar"><span class="doc-title">{title}</span>'
        f'<span class="doc-meta">{esc(prod.get("name"))} · <span class="mono">{esc(prod.get("run_id", ""))}</span></span>'
        f'<button id="lang-toggle" type="button" title="中文 / English"><span class="cur">中文 + English</span></button></header>\n'
        f'<div class="layout"><nav class="toc" aria-label="contents"><h2>{bt("contents")}</h2><ol>{toc}</ol></nav>\n'
        f'<main>\n' + "\n".join(html_parts) + "\n</main></div>\n"
        f"<script>\n{plotly_js}\n</script>\n{data_blocks}\n<script>\n{js}</script>\n</body>\n</html>\n"
    )


def _tier_text(tier: LtfuTier) -> str:
    if tier.years is None:
        return bt("unknown")
    return bi(f"≥ {tier.years} year{'s' if tier.years > 1 else ''}", f"不少于 {tier.years} 年")


def build_report_files(*, config, results, provenance=None, performance=None, out, generated=None) -> Path:
    """Validate all inputs, render, write ``out`` atomically. Returns the output path."""
    from cgtsafe.io.tables import write_text

    inp = load_inputs(config, results, provenance, performance)
    if generated is None:
        generated = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    text = render(inp, generated)
    write_text(out, text)
    out = Path(out)
    umask = os.umask(0)
    os.umask(umask)
    out.chmod(0o666 & ~umask)  # a report is meant to be shared: ordinary file mode, not the temp file's 0600
    return out
