"""The PDF of the evidence report (``evidence_report.pdf``), printed with WeasyPrint.

Why WeasyPrint: it is a PyPI package that needs only pango (Debian ``libpango-1.0-0 libpangoft2-1.0-0``,
present on the Debian Python images and installed by ``.ci/run``), runs without a browser or network, and
implements the CSS paged-media features a dossier PDF needs: page counters, ``target-counter()`` page
references (clause index), PDF bookmarks from headings (``bookmark-level``), and embedded, subsetted fonts
(the Chinese text uses fonts-wqy-microhei or Noto CJK from Debian). Headless Chromium prints neither
bookmarks nor page references. Figures are drawn statically by :mod:`cgtsafe.report.staticfig`.

The PDF shows each table's key columns in its section and the other columns in an appendix keyed by the
first key column (no column is lost), at most ``render.PDF_ROWS`` rows per table (the HTML has them all).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from cgtsafe.errors import InputError


def _static_figure(view):
    from cgtsafe.report.staticfig import draw

    def render(f) -> Markup:
        src, skipped = draw(f.spec, f.terms)
        out = Markup('<img alt="{}" src="{}">').format(f.title[0], src)
        for t in skipped:
            from cgtsafe.report.staticfig import arr

            t = {k: arr(t.get(k)) if k in ("x", "y", "z") else t.get(k) for k in t}
            cols = [k for k in ("x", "y", "z") if t.get(k)]
            rows = list(zip(*[t[k] for k in cols]))[:40]
            out += Markup('<p class="small muted">{} ({}: {})</p>').format(
                "Figure data / 图数据", escape(t.get("type")), escape(t.get("name") or ""))
            out += Markup("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(
                Markup("").join(Markup("<th>{}</th>").format(c) for c in cols),
                Markup("").join(Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(v)
                                                                            for v in r)) for r in rows))
        return out

    return render


def render_pdf(view: dict) -> bytes:
    from cgtsafe.report.render import render_html

    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango missing
        raise InputError(f"cannot make the PDF: WeasyPrint is not usable here ({str(exc).splitlines()[0]}); "
                         "install the Debian packages libpango-1.0-0 libpangoft2-1.0-0") from None
    html = render_html(view, pdf=True, static_figure=_static_figure(view))
    doc = weasyprint.HTML(string=html, base_url=".")
    return doc.write_pdf(metadata={"title": view["title"]}) if _accepts_metadata() else doc.write_pdf()


def _accepts_metadata() -> bool:
    return False
