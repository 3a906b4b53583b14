"""The PDF of the evidence report: every column of every table (key columns in the section, the rest in the
appendix), the verdict columns of the per-site table on its section's pages, the clause index with page
references, a bookmark per section, page numbers and embedded Chinese fonts. Text is extracted with pypdf.

Skips when WeasyPrint cannot load pango (install the Debian packages libpango-1.0-0 libpangoft2-1.0-0).
"""

from __future__ import annotations

import re

import pytest

from report_fixtures import SITE_VERDICT_COLUMNS, make_results

pypdf = pytest.importorskip("pypdf", reason="pypdf absent: pip install 'cgtsafe[test]'")
try:
    import weasyprint  # noqa: F401  (pango present?)
except (ImportError, OSError) as exc:  # pragma: no cover - depends on the machine
    pytest.skip(f"WeasyPrint unusable ({exc}); apt-get install libpango-1.0-0 libpangoft2-1.0-0",
                allow_module_level=True)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    from cgtsafe.report.build import build_report_files

    root = tmp_path_factory.mktemp("pdf")
    p = make_results(root, big_rows=80)
    out = root / "report.pdf"
    build_report_files(config=p["config"], results=p["results"], provenance=p["provenance"],
                       performance=p["performance"], out=root / "report.html", pdf=out,
                       generated="2026-11-21T22:00:00+00:00")
    reader = pypdf.PdfReader(str(out))
    pages = [pg.extract_text() or "" for pg in reader.pages]
    return reader, pages


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_column_and_the_verdict_columns(pdf):
    reader, pages = pdf
    allt = _flat("\n".join(pages))
    for col in SITE_VERDICT_COLUMNS:
        assert col in allt, col
    appendix = next(i for i, t in enumerate(pages) if "附录" in t and "Appendix" in t)
    body = _flat("\n".join(pages[:appendix]))
    for col in ("site_id", "edited_freq", "edited_ci_low", "edited_ci_high", "lod", "threshold", "verdict"):
        assert col in body, col
    assert "not_detected" in body


def test_clause_index_pages_bookmarks_fonts(pdf):
    reader, pages = pdf
    allt = "\n".join(pages)
    for clause in ("九（三）", "八（三）", "九（一）", "6.2.3"):
        assert clause in allt, clause
    assert re.search(r"\(p\.\s*\d+\)", allt)  # page references in the clause index
    assert re.search(r"\b1\s*/\s*\d+", pages[0])  # page numbers "1 / N"
    titles = []

    def walk(items):
        for it in items:
            if isinstance(it, list):
                walk(it)
            else:
                titles.append(it.title)
    walk(reader.outline)
    for er in ("ER-03", "ER-04", "ER-05", "ER-06", "ER-09", "ER-15", "ER-16"):
        assert any(t.startswith(er) for t in titles), er
    fonts = set()
    for page in reader.pages:
        for f in (page["/Resources"].get("/Font") or {}).values():
            f = f.get_object()
            desc = f.get("/FontDescriptor") or (f.get("/DescendantFonts") or [{}])[0].get_object().get("/FontDescriptor")
            embedded = bool(desc) and any(k in desc.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.add((str(f["/BaseFont"]), embedded))
    assert fonts and all(e for _, e in fonts), fonts
    assert any("WenQuanYi" in n or "Noto" in n for n, _ in fonts), fonts


def test_figures_are_static_images(pdf):
    reader, _ = pdf
    assert any("/XObject" in pg["/Resources"] for pg in reader.pages)
