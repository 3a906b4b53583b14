"""Static (SVG) drawings of the report's plotly figures for the PDF, with matplotlib.

plotly's own static export needs kaleido and a Chrome build, which a machine without network cannot fetch,
so the PDF draws each figure again from its JSON with matplotlib: scatter (lines/markers, error bars),
bar (grouped, stacked), histogram, box traces; titles, axis titles (in the language pair the report shows),
log axes, legend and annotations. A trace type not drawn here is listed under the figure as a data table, so
no figure content is silently lost. Text is rendered as paths (``svg.fonttype = path``), so the SVG needs no
font (figures of many points are a 150-dpi PNG instead); Chinese text uses an installed CJK font (WenQuanYi Micro Hei / Noto CJK) when there is one.
"""

from __future__ import annotations

import base64
import io

SUPPORTED = ("scatter", "scattergl", "bar", "histogram", "box")
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")


def arr(v) -> list:
    """A plotly data array as a list: plain lists, or typed arrays ``{"dtype", "bdata"[, "shape"]}``."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v.get("dtype", "f8")))
        return a.tolist()
    if isinstance(v, (list, tuple)):
        return list(v)
    return []


def _num(v):
    return float("nan") if v is None else v


def _decode(t: dict) -> dict:
    t = dict(t)
    for k in ("x", "y", "z", "text"):
        if k in t and not isinstance(t[k], str):
            t[k] = arr(t[k])
            if t[k] and all(isinstance(v, list) for v in t[k]):  # multi-category axis: levels -> "a · b"
                t[k] = [" · ".join(str(p) for p in parts) for parts in zip(*t[k])]
    if isinstance(t.get("error_y"), dict):
        e = dict(t["error_y"])
        for k in ("array", "arrayminus"):
            if k in e:
                e[k] = arr(e[k])
        t["error_y"] = e
    return t


def _text(t) -> str:
    if isinstance(t, dict):
        t = t.get("text")
    return t if isinstance(t, str) else ""


def _loc(text: str, zh: dict) -> str:
    return f"{zh[text]} / {text}" if text in zh else text


def _fonts():
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in names] + ["DejaVu Sans"]


#: above this many points a figure is drawn as PNG (150 dpi): a vector drawing of 200,000 points would take
#: WeasyPrint minutes and gigabytes to lay out
MAX_VECTOR_POINTS = 5000


def draw(spec: dict, zh: dict | None = None) -> tuple[str, list[dict]]:
    """(data URI of an SVG, or of a PNG for figures of more than :data:`MAX_VECTOR_POINTS` points; traces not
    drawn). Deterministic for the same figure (no date, fixed hash salt, no software tag)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    zh = zh or {}
    lay = spec.get("layout") or {}
    traces = [_decode(t) for t in spec.get("data") or []]
    skipped = [t for t in traces if (t.get("type") or "scatter") not in SUPPORTED]
    with plt.rc_context({"svg.fonttype": "path", "svg.hashsalt": "cgtsafe", "font.family": _fonts(),
                         "font.size": 9, "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(10, 4.6))
        bars = [t for t in traces if (t.get("type") or "scatter") == "bar"]
        stacked = lay.get("barmode") in ("stack", "relative")
        cats: list = []
        for t in bars:
            for x in t.get("x") or []:
                if x not in cats:
                    cats.append(x)
        width = 0.8 / (1 if stacked or not bars else len(bars))
        bottoms = {c: 0.0 for c in cats}
        for i, t in enumerate(traces):
            kind = t.get("type") or "scatter"
            name = _loc(t.get("name") or "", zh)
            show = t.get("showlegend", True) is not False and bool(name)
            label = name if show else "_nolegend_"
            colour = (t.get("marker") or {}).get("color") if isinstance((t.get("marker") or {}).get("color"), str) \
                else (t.get("line") or {}).get("color")
            if kind in ("scatter", "scattergl"):
                x, y = t.get("x") or [], t.get("y") or []
                if not x and y:
                    x = list(range(len(y)))
                mode = t.get("mode") or "lines+markers"
                sym = (t.get("marker") or {}).get("symbol")
                sym = SYMBOLS.get(sym, "o") if isinstance(sym, str) else "o"
                style = ("-" if "lines" in mode else "") + (sym if "markers" in mode else "")
                err = (t.get("error_y") or {})
                lw = (t.get("line") or {}).get("width", 1.5)
                if err.get("array") and len(err["array"]) == len(y) and err.get("visible", True) is not False:
                    lo = err.get("arrayminus") if err.get("arrayminus") is not None else err["array"]
                    ax.errorbar(range(len(x)) if _categorical(x) else x, [_num(v) for v in y],
                                yerr=[[_num(v) for v in lo], [_num(v) for v in err["array"]]],
                                fmt=style or "o", color=colour, label=label, lw=lw, ms=4, capsize=2)
                else:
                    ax.plot(range(len(x)) if _categorical(x) else x, [_num(v) for v in y], style or "-", color=colour, label=label,
                            lw=lw, ms=4)
                if _categorical(x):
                    _ticks(ax, x, True)
            elif kind == "bar":
                x, y = t.get("x") or [], t.get("y") or []
                pos = [cats.index(v) for v in x]
                yv = [float(v or 0) for v in y]
                if stacked:
                    ax.bar(pos, yv, 0.8, bottom=[bottoms[c] for c in x], color=colour, label=label)
                    for c, v in zip(x, yv):
                        bottoms[c] += v
                else:
                    j = bars.index(t)
                    ax.bar([p - 0.4 + width * (j + 0.5) for p in pos], yv, width, color=colour, label=label)
                _ticks(ax, cats, len(cats) > 6)
            elif kind == "histogram":
                ax.hist([v for v in t.get("x") or [] if v is not None], bins=20, alpha=.6, color=colour, label=label)
            elif kind == "box":
                ax.boxplot([v for v in t.get("y") or [] if v is not None], positions=[i], labels=[name])
        for axis, setter in (("xaxis", ax.set_xlabel), ("yaxis", ax.set_ylabel)):
            a = lay.get(axis) or {}
            setter(_loc(_text(a.get("title")), zh))
            if a.get("type") == "log":
                (ax.set_xscale if axis == "xaxis" else ax.set_yscale)("log")
        ax.set_title(_loc(_text(lay.get("title")), zh), fontsize=10)
        for an in lay.get("annotations") or []:
            if an.get("xref", "x") == "x" and an.get("x") is not None and an.get("y") is not None:
                x = an["x"]
                if isinstance(x, str):
                    xs = [v for t in traces for v in (t.get("x") or [])]
                    uniq = list(dict.fromkeys(xs))
                    x = uniq.index(x) if x in uniq else None
                if x is not None:
                    ax.annotate(_loc(_text(an.get("text")), zh), (x, an["y"]), xytext=(-12, -14), ha="right",
                                textcoords="offset points", fontsize=8,
                                color=(an.get("font") or {}).get("color", "black"),
                                arrowprops={"arrowstyle": "-", "lw": .6})
        handles, labels = ax.get_legend_handles_labels()
        if labels:
            ncol = 1 if max(len(x) for x in labels) > 45 else 3
            ax.legend(loc="upper left", bbox_to_anchor=(0, -0.18), ncol=ncol, fontsize=7, frameon=False)
        ax.grid(alpha=.3)
        n_points = sum(len(t.get("x") or t.get("y") or []) for t in traces)
        if n_points > MAX_VECTOR_POINTS:
            raw = io.BytesIO()
            fig.savefig(raw, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
            uri = "data:image/png;base64," + base64.b64encode(raw.getvalue()).decode("ascii")
        else:
            buf = io.StringIO()
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
            uri = "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode("utf-8")).decode("ascii")
        plt.close(fig)
    return uri, skipped


SYMBOLS = {"circle": "o", "square": "s", "diamond": "D", "x": "x", "cross": "P", "triangle-up": "^",
           "triangle-down": "v", "star": "*", "circle-open": "o", "square-open": "s", "diamond-open": "D"}


def _ticks(ax, labels, rotate: bool) -> None:
    """Categorical tick labels; beyond 30 categories every k-th label only, so labels never overprint."""
    step = max(1, -(-len(labels) // 30))
    pos = list(range(0, len(labels), step))
    ax.set_xticks(pos, [str(labels[i]) for i in pos], rotation=30 if rotate else 0, ha="right" if rotate else "center",
                  fontsize=7 if len(pos) > 12 else 8)


def _categorical(x) -> bool:
    return any(isinstance(v, str) for v in x)
