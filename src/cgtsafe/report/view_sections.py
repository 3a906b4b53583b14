"""The content of each report section as plain data for its template (``templates/sections/<kind>.html.j2``).

Each function takes the build context of :func:`cgtsafe.report.model.build_view` and returns the template
variables of one section; none of them writes HTML.
"""

from __future__ import annotations

from pathlib import Path

from cgtsafe.report import i18n
from cgtsafe.report.clauses import clause_number, clause_title, search_key
from cgtsafe.report.display import uncertainty
from cgtsafe.report.load import Table
from cgtsafe.report.model import (
    IMPORT_GROUPS, TRACE_COLORS, analyses, analysis_sections, section_of, analysis_title, anchor_of, applicable_guidance,
    figure_view, flatten_params, imported_anchor, is_species, level_of, pair, table_view, value_text,
)


def kf_value(k: dict) -> tuple[str, str]:
    """(en, zh) of a key figure's value: its ``value_zh`` when the summary gives one, else the report's terms."""
    en, zh = pair(k.get("value"))
    return en, (value_text(k["value_zh"]) if k.get("value_zh") not in (None, "") else zh)


def tier_text(tier) -> tuple[str, str]:
    if tier.years is None:
        return i18n.t("unknown")
    return f"≥ {tier.years} year{'s' if tier.years > 1 else ''}", f"不少于 {tier.years} 年"


def cover(ctx, generated) -> dict:
    prod, prov = ctx["prod"], ctx["inp"].provenance or {}
    mods = ctx["modality"]
    track = i18n.TRACK_LABELS.get(prod.get("track"), (prod.get("track"), prod.get("track")))
    facts = [
        (i18n.t("product"), (value_text(prod.get("name")),) * 2, ""),
        (i18n.t("sponsor"), (value_text(prod.get("sponsor", "")),) * 2, ""),
        (i18n.t("modality"), (", ".join(i18n.MODALITY_LABELS.get(m, (m, m))[0] for m in mods),
                              "、".join(i18n.MODALITY_LABELS.get(m, (m, m))[1] for m in mods)), ""),
        (i18n.t("track"), track, ""),
        (i18n.t("vector"), (ctx["vector"],) * 2, ""),
        (i18n.t("run_id"), (value_text(prod.get("run_id", "")),) * 2, "mono"),
        (i18n.t("commit"), (prov.get("pipeline_commit", "not recorded"), prov.get("pipeline_commit", "未记录")), "mono"),
        (("Run started / finished", "运行开始/结束"),
         (f'{prov.get("started", "") or "—"} / {prov.get("finished", "") or "—"}',) * 2, "mono"),
    ]
    trace = ctx["trace"]
    counts = {k: sum(1 for r in trace if r.status == k) for k in i18n.TRACE_LABELS}
    bar = [(k, n, 100 * n / len(trace), TRACE_COLORS[k]) for k, n in counts.items() if n]
    guidance = [(seed, i18n.SEEDS[seed], en, zh) for seed, en, zh in applicable_guidance(prod)]
    return {"facts": facts, "guidance": guidance, "counts": counts, "bar": bar, "n_trace": len(trace),
            "generated": generated, "doc_title": ctx["rep"].get("title")}


def summary(ctx) -> dict:
    rows = []
    for a in analyses():
        s = ctx["inp"].summaries[a]
        ten, tzh, er = analysis_title(a, ctx["outline"])
        kf = [k for k in s["key_figures"][:1] if isinstance(k, dict)]
        rows.append({"analysis": a, "er": er, "title": (ten, tzh), "level": level_of(s),
                     "verdict": (s.get("verdict_en") or s.get("reason") or "",
                                 i18n.term_zh(s.get("verdict_zh") or s.get("reason") or "")),
                     "key": [((k.get("label_en", ""), i18n.term_zh(k.get("label_zh", ""))), kf_value(k))
                             for k in kf]})
    return {"rows": rows, "tier": tier_text(ctx["tier"])}


def clause_index(ctx) -> dict:
    present = {"ER-00", "ER-02", "ER-05", "ER-15", "ER-16"} | set(analysis_sections())
    present |= {er for er, _ in IMPORT_GROUPS}
    out = []
    for c in ctx["clauses"]:
        secs = [(s, section_anchor(s, present)) for s in c.sections]
        out.append({"key": c.key, "seed": c.seed, "number": c.number, "label": c.label,
                    "title": (c.title_en or c.title_zh, c.title_zh), "sections": secs,
                    "rows": [(r.req.id, r.status) for r in c.rows], "answered": len(c.answered),
                    "search": search_key(" ".join([c.seed, c.number, c.title_zh, c.title_en]))})
    return {"clauses": out}


def section_anchor(er: str, present: set[str]) -> str:
    if er in present:
        return anchor_of(er) if er not in ("ER-07", "ER-08", "ER-11") else er.lower()
    return er.lower()  # narrative sections carry their ER id as anchor too


def analysis(ctx, a: str) -> dict:
    inp, page = ctx["inp"], ctx["page"]
    s = inp.summaries[a]
    ten, tzh, er = analysis_title(a, ctx["outline"])
    figs = [figure_view(page, f, f"{a}-{f.id}") for f in inp.figures[a] if not is_species(a, f.id)]
    tabs = [table_view(page, x, f"{a}-{x.id}") for x in inp.tables[a] if not is_species(a, x.id)]
    status = None
    if s["status"] != "computed":
        status = {"status": s["status"], "label": i18n.STATUS_LABELS[s["status"]], "reason": s.get("reason") or "—"}
    return {"analysis": a, "er": er, "title": (ten, tzh), "level": level_of(s),
            "verdict": (s.get("verdict_en", ""), i18n.term_zh(s.get("verdict_zh", ""))),
            "uncertainty": uncertainty(a, s), "status": status,
            "cards": [(kf_value(k), (k.get("label_en", ""), i18n.term_zh(k.get("label_zh", ""))))
                      for k in s["key_figures"] if isinstance(k, dict)],
            "methods": (s.get("methods_en", ""), i18n.term_zh(s.get("methods_zh", ""))),
            "params": flatten_params(s["parameters"]), "figures": figs, "tables": tabs,
            "requirements": list(s["requirements"])}


def species(ctx) -> dict:
    inp, page = ctx["inp"], ctx["page"]
    parts = []
    for a in analyses():
        er = section_of(a)
        src = (f"From the {a} analysis ({er})", f"来自 {a} 分析（{er}）")
        for f in inp.figures[a]:
            if is_species(a, f.id):
                parts.append(("figure", src, figure_view(page, f, f"{a}-{f.id}")))
        for x in inp.tables[a]:
            if is_species(a, x.id):
                parts.append(("table", src, table_view(page, x, f"{a}-{x.id}")))
    return {"parts": parts}


def performance(ctx) -> dict:
    inp, page = ctx["inp"], ctx["page"]
    rows = []
    for a in analyses():
        for p in inp.summaries[a]["performance"]:
            if isinstance(p, dict):
                rows.append([a] + [value_text(p.get(k)) for k in ("metric", "value", "reference", "n", "source")]
                            + ["summary"])
    for p in inp.performance:
        rows.append([value_text(p.get(k)) for k in ("analysis", "metric", "value", "reference", "n", "source")]
                    + ["validation"])
    record = record_note(inp.validation_record)
    for p in (inp.validation_record or {}).get("records", []):
        rows.append([value_text(p.get(k)) for k in ("analysis", "metric", "value", "reference", "n", "source")]
                    + ["validation record"])
    table = None
    if rows:
        table = table_view(page, Table("method_performance", "Method performance", "方法性能", "", "",
                                       Path(inp.performance_path or "method_performance.json"),
                                       ["analysis", "metric", "value", "reference", "n", "source", "from"],
                                       rows, len(rows), "performance"), "method_performance")
    src = inp.performance_path or "not supplied"
    return {"table": table, "source": (src, inp.performance_path or "未提供"), "record": record}


def record_note(rec: dict | None) -> tuple[str, str]:
    """One sentence (en, zh) citing the shipped real-data validation record, labelled when it is another
    version's than the running cgtsafe (it then does not qualify this version)."""
    from cgtsafe import __version__

    if not rec:
        return ("No real-data validation record ships with this installation: run `cgtsafe validate-reference` "
                "and keep its record with the dossier.",
                "本安装未附带真实数据方法验证记录：请运行 `cgtsafe validate-reference` 并将记录随申报资料保存。")
    s = rec.get("summary", {})
    n_files = len(rec.get("reference_data", {}).get("files", []))
    ver, date = rec.get("cgtsafe_version", "?"), rec.get("date", "?")
    en = (f"Rows marked 'validation record' come from the real-data validation record shipped with cgtsafe "
          f"(cgtsafe {ver}, {date}; {s.get('passed', '?')} of {s.get('records', '?')} checks passed on {n_files} "
          f"reference files, each with its SHA-256 in src/cgtsafe/data/validation_record.json).")
    zh = (f"标注“validation record”的行来自 cgtsafe 随附的真实数据方法验证记录（cgtsafe {ver}，{date}；"
          f"{n_files} 个参考文件上 {s.get('records', '?')} 项检查中 {s.get('passed', '?')} 项通过，"
          f"各文件的 SHA-256 见 src/cgtsafe/data/validation_record.json）。")
    if ver != __version__:
        en += f" This record is of version {ver}, not of the running version {__version__}: it does not qualify this run."
        zh += f" 该记录属于 {ver} 版本，而非当前运行的 {__version__} 版本：不能作为本次运行的验证依据。"
    return en, zh


def imported(ctx) -> dict:
    inp, page = ctx["inp"], ctx["page"]
    groups = []
    kinds_of = dict(IMPORT_GROUPS)
    for a in analyses():  # sections whose analysis imported tables itself get a group too
        if any("imported" in x.id.lower() for x in inp.tables[a]):
            kinds_of.setdefault(section_of(a), ())
    for er, kinds in sorted(kinds_of.items()):
        items = []
        for n, imp in enumerate([i for i in inp.imported if i.kind in kinds]):
            tab = None
            if imp.table is not None:
                t = imp.table
                if imp.limit_check:
                    t = Table(t.id, t.title_en, t.title_zh, "", "", t.path, t.columns + ["vs_declared_limit"],
                              [r + [c] for r, c in zip(t.rows, imp.limit_check)], t.total_rows, t.origin)
                tab = table_view(page, t, f"imported-{imp.kind}-{n + 1}")
            glp = {True: ("GLP", "GLP", "pass"), False: ("non-GLP", "非GLP", "attention"),
                   None: ("GLP status not stated", "GLP状态未说明", "inconclusive")}[imp.glp]
            items.append({"imp": imp, "glp": glp, "kind": i18n.IMPORT_KINDS[imp.kind][:2], "table": tab})
        # tables an analysis imported itself (id contains "imported"), shown in that analysis's section
        by_analysis = []
        for a in analyses():
            if section_of(a) == er:
                for x in inp.tables[a]:
                    if "imported" in x.id.lower():
                        by_analysis.append((a, x.title_en, x.title_zh or x.title_en, x.path.name))
        groups.append({"anchor": imported_anchor(er), "er": er,
                       "title": (ctx["outline"][er]["title_en"], i18n.SECTION_TITLES_ZH[er]),
                       "entries": items, "by_analysis": by_analysis, "analysis_anchor": anchor_of(er)})
    return {"groups": groups}


def ltfu(ctx) -> dict:
    tier = ctx["tier"]
    answers = ctx["prod"].get("ltfu") or {}
    qs = [("exogenous_gene_expressed", "Exogenous gene expressed?", "是否有外源基因表达？"),
          ("integration_or_recombination_risk", "Integration or recombination risk?", "是否存在基因整合或重组风险？"),
          ("dna_altered_ex_vivo", "DNA altered by the ex vivo manipulation?", "体外操作是否改变DNA？")]
    rows = [((en, zh), k, i18n.t({True: "yes", False: "no", None: "unknown"}[answers.get(k)])) for k, en, zh in qs]
    cite = {r.id: r for r in load_requirements_cached(ctx)}
    cites = [cite[r] for r in ("R001-16", "R001-17", "R001-18", "R002-62", "R002-63", "R002-64")]
    return {"tier": tier_text(tier), "basis": (tier.basis_en, tier.basis_zh), "questions": rows, "notes": tier.notes,
            "cites": cites}


def load_requirements_cached(ctx):
    return [r.req for r in ctx["trace"]]


def narrative(ctx) -> dict:
    produced = {"ER-00", "ER-02", "ER-05", "ER-07", "ER-08", "ER-11", "ER-15", "ER-16"} | set(analysis_sections())
    items = []
    for er, o in ctx["outline"].items():
        if er in produced:
            continue
        ids = [r for r in o["requirements"].split(",") if r]
        other = er == "ER-12" and any(i.kind == "other" for i in ctx["inp"].imported)
        items.append({"er": er, "anchor": er.lower(), "title": (o["title_en"], i18n.SECTION_TITLES_ZH[er]),
                      "content": (o["content_en"], i18n.OUTLINE_CONTENT_ZH.get(er, o["content_en"])),
                      "kind": (o["kind"], i18n.OUTLINE_KIND_ZH.get(o["kind"], o["kind"])),
                      "ids": ids, "other": other})
    return {"entries": items}


def traceability(ctx, search_text) -> dict:
    trace = ctx["trace"]
    present = {"ER-00", "ER-02", "ER-05", "ER-15", "ER-16"} | set(analysis_sections()) | {e for e, _ in IMPORT_GROUPS}
    rows = []
    for r in trace:
        links = [(s, section_anchor(s, present)) for s in r.req.report_sections if s]
        zh, en = clause_title(r.req.section)
        num = clause_number(r.req.section)
        rows.append({"r": r, "links": links, "search": search_text(r.req, r),
                     "section": (f"{num} {en}".strip() if en else r.req.section, f"{num} {zh}".strip())})
    data = {"columns": ["id", "seed_file", "section", "quote_zh", "text_en", "report_sections", "status", "note_en",
                        "note_zh"],
            "rows": [[r.req.id, r.req.seed_file, r.req.section, r.req.quote_zh, r.req.text_en,
                      ",".join(r.req.report_sections), r.status, r.note_en, r.note_zh] for r in trace]}
    bid = ctx["page"].block("tbl-traceability", data)
    return {"rows": rows, "bid": bid, "n": len(trace), "docs": ("004", "002", "001", "000", "003")}


def provenance(ctx) -> dict:
    import yaml

    inp, page = ctx["inp"], ctx["page"]
    prov = inp.provenance or {}
    files = []
    if inp.provenance:
        for key, en, zh in (("inputs", "Input files", "输入文件"), ("outputs", "Output files", "输出文件")):
            recs = prov.get(key) or []
            t = Table(f"prov-{key}", en, zh, "", "", Path(inp.provenance_path or "provenance.json"),
                      ["path", "bytes", "sha256"],
                      [[value_text(r.get("path")), value_text(r.get("bytes")),
                        "MISSING" if r.get("missing") else value_text(r.get("sha256"))]
                       for r in recs if isinstance(r, dict)], len(recs), "provenance")
            files.append(((en, zh), table_view(page, t, f"provenance-{key}")))
    imp_rows = [[i.title, i.kind, str(i.file), i.sha256, {True: "GLP", False: "non-GLP", None: "not stated"}[i.glp],
                 i.study_id] for i in inp.imported]
    imp_table = None
    if imp_rows:
        imp_table = table_view(page, Table("prov-imported", "Imported files", "导入文件", "", "", Path("config"),
                                           ["title", "kind", "file", "sha256", "glp", "study_id"], imp_rows,
                                           len(imp_rows), "provenance"), "provenance-imported")
    shown = prov.get("config") if prov.get("config") is not None else ctx["cfg"]
    return {"has": bool(inp.provenance), "prov": prov, "software": sorted((prov.get("software") or {}).items()),
            "build": (ctx["cfg"].get("reference") or {}).get("build", ""), "files": files,
            "imported": imp_table, "config": yaml.safe_dump(shown, sort_keys=True, allow_unicode=True)}


def audit(ctx) -> dict:
    rows = []
    for a in analyses():
        for e in ctx["inp"].summaries[a]["exclusions"]:
            if isinstance(e, dict):
                rows.append([a, value_text(e.get("what")), value_text(e.get("count")), value_text(e.get("reason"))])
    table = None
    if rows:
        table = table_view(ctx["page"], Table("exclusions", "Exclusions", "排除项", "", "", Path("summary.json"),
                                              ["analysis", "what", "count", "reason"], rows, len(rows), "audit"),
                           "audit-exclusions")
    return {"table": table}
