"""Turn the loaded inputs (:mod:`cgtsafe.report.load`) into the view model the templates render.

Nothing here writes HTML: strings are plain text (the templates escape them) and bilingual pairs are
``(en, zh)`` tuples. Figures and tables become JSON data blocks collected by :class:`Page`; the HTML
template embeds them in ``<script type="application/json">`` elements, the PDF renderer draws them statically.

Analyses are rendered generically from their summary.json into the ER section named by
:data:`cgtsafe.summary.ANALYSIS_SECTION` (several analyses may share one section).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from cgtsafe.report import i18n
from cgtsafe.report.clauses import clauses as make_clauses, search_text, section_clauses
from cgtsafe.report.display import key_columns
from cgtsafe.report.load import REPORT_DEFAULTS, Figure, ReportInputs, Table
from cgtsafe.report.ltfu import ltfu_tier
from cgtsafe.report.traceability import build_matrix, load_outline, load_requirements, mark_underpowered
from cgtsafe import summary as contract

SPECIES_PREFIXES = ("species", "variant")
FIXED_SECTIONS = ("ER-00", "ER-02", "ER-05", "ER-07", "ER-08", "ER-11", "ER-15", "ER-16")
IMPORT_GROUPS = (("ER-07", ("vcn", "transduction")), ("ER-08", ("rcv",)), ("ER-09", ("allo_hla", "affinity")),
                 ("ER-11", ("biodistribution",)), ("ER-12", ("other",)))
TRACE_COLORS = {"computed": "#0b5cad", "computed_underpowered": "#5b8fc7", "imported": "#6639ba",
                "narrative": "#d4a72c", "not_applicable": "#8c959f", "not_computed": "#bc4c00", "context": "#d0d7de"}


def is_species(analysis: str, item_id: str) -> bool:
    """Tables/figures for the species-and-variants section: id starts with ``species``/``variant``,
    optionally after the ``<analysis>_`` prefix (e.g. ``offtarget_species_cyno``)."""
    i = item_id.lower()
    if i.startswith(analysis + "_"):
        i = i[len(analysis) + 1:]
    return i.startswith(SPECIES_PREFIXES)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def value_text(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return "" if v is None else str(v)


def pair(text) -> tuple[str, str]:
    """(en, zh) of a value shown to the reader: terms, tissue names and "N of M" get their Chinese form."""
    en = value_text(text)
    return en, i18n.term_zh(en)


def level_of(s: dict) -> str:
    return s["verdict_level"] if s["status"] == "computed" else s["status"]


def _is_num(v: str) -> bool:
    try:
        float(v)
        return v.strip() != ""
    except (TypeError, ValueError):
        return False


class Page:
    """Collects JSON data blocks (figures, tables) while the view model is built."""

    def __init__(self, max_rows: int):
        self.max_rows = max_rows
        self.blocks: list[tuple[str, object]] = []
        self.ids: set[str] = set()
        self.tables: list[TableView] = []
        self.figures: list[FigureView] = []

    def block(self, prefix: str, obj) -> str:
        bid, k = prefix, 2
        while bid in self.ids:
            bid, k = f"{prefix}-{k}", k + 1
        self.ids.add(bid)
        self.blocks.append((bid, obj))
        return bid


@dataclass
class TableView:
    bid: str
    stem: str
    title: tuple[str, str]
    description: tuple[str, str]
    file: str
    columns: list[str]        # in display order (key columns first)
    nkey: int
    numeric: list[bool]       # in display order
    rows: list[list[str]]     # all embedded rows, in display order
    n_show: int
    total_rows: int
    table_id: str


@dataclass
class FigureView:
    bid: str
    title: tuple[str, str]
    file: str
    spec: dict
    terms: dict[str, str]


def table_view(page: Page, table: Table, stem: str) -> TableView:
    numeric = [bool(table.rows) and all(_is_num(r[j]) or r[j] == "" for r in table.rows[:200])
               and any(_is_num(r[j]) for r in table.rows[:200]) for j in range(len(table.columns))]
    keys = key_columns(table.id, table.columns)
    order = keys + [j for j in range(len(table.columns)) if j not in keys]
    bid = page.block(f"tbl-{slug(stem)}", {"columns": table.columns, "rows": table.rows, "numeric": numeric,
                                           "order": order, "nkey": len(keys)})
    title = (table.title_en, table.title_zh or table.title_en)
    view = TableView(bid, slug(stem), title, (table.description_en, table.description_zh), table.path.name,
                     [table.columns[j] for j in order], len(keys), [numeric[j] for j in order],
                     [[r[j] for j in order] for r in table.rows], min(page.max_rows, len(table.rows)),
                     table.total_rows, table.id)
    page.tables.append(view)
    return view


def _figure_strings(spec: dict) -> list[str]:
    out = []
    lay = spec.get("layout") or {}
    for key in ("title", "xaxis", "yaxis", "legend"):
        obj = lay.get(key)
        if key in ("xaxis", "yaxis", "legend"):
            obj = (obj or {}).get("title")
        if isinstance(obj, dict):
            obj = obj.get("text")
        if isinstance(obj, str):
            out.append(obj)
    for tr in spec.get("data") or []:
        if isinstance(tr.get("name"), str):
            out.append(tr["name"])
    for an in lay.get("annotations") or []:
        if isinstance(an.get("text"), str):
            out.append(an["text"])
    return out


def figure_terms(spec: dict) -> dict[str, str]:
    """English figure string -> Chinese, for the strings the report knows (titles, axes, legend codes)."""
    terms = {}
    for text in _figure_strings(spec):
        if re.search(r"[\u4e00-\u9fff]", text):  # already carries its Chinese form
            continue
        zh = i18n.term_zh(text)
        if zh != text:
            terms[text] = zh
        else:
            zh = _clone_label_zh(text)
            if zh:
                terms[text] = zh
    return terms


def _clone_label_zh(text: str) -> str:
    out = re.sub(r"\(near ([A-Za-z0-9,._-]+)\)", r"（邻近 \1）", text)
    out = re.sub(r" near ([A-Za-z0-9,._-]+)", r" 邻近 \1", out)
    out = out.replace(" — expanding", " — 扩增").replace(" expanding", " 扩增")
    out = re.sub(r"^tier (\d)", r"\1 级", out)
    out = out.replace("targeted deep sequencing", "靶向深度测序")
    out = re.sub(r"^LOD ", "检测限 ", out)
    return out if out != text else ""


def figure_view(page: Page, fig: Figure, stem: str) -> FigureView:
    terms = figure_terms(fig.spec)
    title = (fig.title_en, fig.title_zh or i18n.term_zh(fig.title_en))
    spec = fig.spec
    lay = spec.get("layout") or {}
    if not lay.get("title"):  # a figure without a title gets the summary's caption title
        spec = dict(spec, layout=dict(lay, title={"text": fig.title_en}))
        terms.setdefault(fig.title_en, title[1])
    bid = page.block(f"fig-{slug(stem)}", {"spec": spec, "zh": terms})
    view = FigureView(bid, title, fig.path.name, spec, terms)
    page.figures.append(view)
    return view


def flatten_params(params: dict, prefix: str = "") -> list[tuple[str, tuple[str, str]]]:
    """Parameters as (key, (en, zh)) rows: nested objects become dotted keys, lists comma-joined, empty
    values "not set" / "未设定"."""
    rows = []
    for k in sorted(params):
        v = params[k]
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            rows.extend(flatten_params(v, key + "."))
        elif v is None or v == "" or v == [] or v == {}:
            rows.append((key, ("not set", "未设定")))
        elif isinstance(v, bool):
            rows.append((key, i18n.UI["yes" if v else "no"]))
        elif isinstance(v, list):
            rows.append((key, (", ".join(value_text(x) for x in v), "、".join(i18n.term_zh(value_text(x)) for x in v))))
        else:
            rows.append((key, pair(v)))
    return rows


@dataclass
class Section:
    sid: str
    er: str
    title: tuple[str, str]
    kind: str
    clauses: list[str] = field(default_factory=list)
    ctx: dict = field(default_factory=dict)


def section_of(a: str) -> str:
    """ER section of an analysis (:data:`cgtsafe.summary.ANALYSIS_SECTION`; unmapped: ER-12, other items)."""
    return contract.ANALYSIS_SECTION.get(a, "ER-12")


def analyses() -> tuple[str, ...]:
    return tuple(contract.ANALYSES)


def analysis_title(a: str, outline: dict) -> tuple[str, str, str]:
    if a in i18n.ANALYSIS_TITLES:
        return i18n.ANALYSIS_TITLES[a]
    er = section_of(a)
    o = outline.get(er, {})
    return o.get("title_en", a), i18n.SECTION_TITLES_ZH.get(er, a), er


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


def analysis_sections() -> list[str]:
    """ER ids that hold analyses, in ER order."""
    return sorted({section_of(a) for a in analyses()})


def anchor_of(er: str) -> str:
    return er.lower()


def imported_anchor(er: str) -> str:
    return f"imported-{er.lower()}" if er in analysis_sections() or er == "ER-12" else er.lower()


def build_view(inp: ReportInputs, generated: str) -> dict:
    from cgtsafe.report import view_sections as vs

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
    trace = mark_underpowered(trace, inp.summaries.get("sitecheck"))
    clause_list = make_clauses(trace)
    ctx = {"inp": inp, "cfg": cfg, "prod": prod, "rep": rep, "page": page, "tier": tier, "trace": trace,
           "outline": outline, "clauses": clause_list, "vector": vector, "modality": modality}
    sections: list[Section] = []

    def add(sid, er, title, kind, **c):
        sections.append(Section(sid, er or "", title, kind, section_clauses(trace, er) if er else [], c))

    add("er-00", "ER-00", ("Cover, scope and applicability", i18n.SECTION_TITLES_ZH["ER-00"]), "cover",
        **vs.cover(ctx, generated))
    add("summary", None, i18n.t("summary"), "summary", **vs.summary(ctx))
    add("clauses", None, i18n.t("clause_index"), "clauses", **vs.clause_index(ctx))
    for er in analysis_sections():
        names = [a for a in analyses() if section_of(a) == er]
        items = [vs.analysis(ctx, a) for a in names]
        title = (analysis_title(names[0], outline)[:2] if len(names) == 1
                 else (outline[er]["title_en"], i18n.SECTION_TITLES_ZH[er]))
        add(anchor_of(er), er, title, "analysis", analyses=items, single=len(names) == 1)
        if er == "ER-04":
            add("er-05", "ER-05", ("Species and variants", i18n.SECTION_TITLES_ZH["ER-05"]), "species",
                **vs.species(ctx))
    add("er-02", "ER-02", ("Method performance", i18n.SECTION_TITLES_ZH["ER-02"]), "performance",
        **vs.performance(ctx))
    add("imported", None, i18n.t("imported"), "imported", **vs.imported(ctx))
    add("er-15", "ER-15", ("Long-term follow-up tier", i18n.SECTION_TITLES_ZH["ER-15"]), "ltfu", **vs.ltfu(ctx))
    add("narrative", None, i18n.t("narrative_sections"), "narrative", **vs.narrative(ctx))
    add("traceability", None, i18n.t("traceability"), "traceability", **vs.traceability(ctx, search_text))
    add("er-16", "ER-16", ("Provenance", i18n.SECTION_TITLES_ZH["ER-16"]), "provenance", **vs.provenance(ctx))
    add("audit", None, i18n.t("audit"), "audit", **vs.audit(ctx))
    title = rep.get("title") or REPORT_DEFAULTS["title"]
    return {"sections": sections, "page": page, "title": title, "product": prod, "lang": rep["default_language"],
            "generated": generated, "trace": trace, "clauses": clause_list}

