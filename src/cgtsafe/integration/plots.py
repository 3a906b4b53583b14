"""Plotly figures (figure JSON written with :func:`cgtsafe.io.tables.write_json`, deterministic).

``trajectory_figure``  clone share over time per (subject, cell type): the ``top_n`` largest clones
                       (by maximal share) plus every clone near a gene of concern. Flagged clones
                       (``expanding`` in the expansion table) get their own colour (never reused in the
                       figure), a thick line and a direct label at their last point; every other clone is
                       a thin grey line under one legend entry, so no colour can be read as another gene.
``stacked_figure``     stacked bars: share of the ``top_n`` largest clones per sample (one distinct colour
                       each), rest as "other" in grey.
"""

from __future__ import annotations

import json

import numpy as np

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio


#: distinct colours (Okabe-Ito colour-blind-safe set, then Tableau 10 extras); grey is kept for "other"
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B", "#9467BD",
           "#BCBD22", "#F0E442", "#17BECF")
OTHER_GREY = "#BBBBBB"


def _flag(v) -> bool:
    return str(v).strip().lower() in ("1", "true", "yes")


def _as_json(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, validate=True, remove_uids=True))


def trajectory_figure(traj: pd.DataFrame, expansion: pd.DataFrame, *, top_n: int = 10) -> dict:
    fig = go.Figure()
    if not traj.empty:
        info = {(r.subject, r.cell_type, r.clone_id): (r.gene_of_concern, r.nearest_gene,
                                                       _flag(getattr(r, "expanding", 0)))
                for r in expansion.itertuples(index=False)}
        n_colour = 0
        grey_legend = False
        labels = []
        for (subj, ct), grp in traj.groupby(["subject", "cell_type"], sort=True):
            best = grp.groupby("clone_id")["share"].max()
            best = best.iloc[np.lexsort((best.index.to_numpy(), -best.to_numpy()))]
            keep = list(best.index[:top_n])
            keep += [cid for cid in best.index[top_n:] if info.get((subj, ct, cid), ("", "", False))[0]]
            for cid in sorted(keep):
                g = grp[grp["clone_id"] == cid].sort_values("tp_rank")
                goc, gene, expanding = info.get((subj, ct, cid), ("", "", False))
                name = f"{subj}/{ct} {cid} ({gene})" + (f" near {goc}" if goc else "")
                y = [round(float(v) * 100, 4) for v in g["share"]]
                if expanding and n_colour < len(PALETTE):
                    colour = PALETTE[n_colour]
                    n_colour += 1
                    label = f"{gene or cid} expanding" + (f" (near {goc})" if goc else "")
                    fig.add_trace(go.Scatter(x=list(g["timepoint"]), y=y, mode="lines+markers",
                                             name=f"{name} — expanding", line={"width": 4, "color": colour},
                                             marker={"color": colour}))
                    labels.append((list(g["timepoint"])[-1], y[-1], label, colour))
                else:
                    fig.add_trace(go.Scatter(x=list(g["timepoint"]), y=y, mode="lines",
                                             name="other clones (grey)", legendgroup="other",
                                             showlegend=not grey_legend, hovertext=name, hoverinfo="text+y",
                                             line={"width": 1, "color": OTHER_GREY}))
                    grey_legend = True
        for x, y, text, colour in labels:
            fig.add_annotation(x=x, y=y, text=text, showarrow=True, arrowhead=0, ax=-30, ay=20, xanchor="right",
                               font={"color": colour, "size": 12})
    fig.update_layout(title="Clone share over time", xaxis_title="time point", yaxis_title="share of clones (%)",
                      template="plotly_white")
    return _as_json(fig)


def stacked_figure(sites: pd.DataFrame, samples: list[str], *, top_n: int = 10) -> dict:
    fig = go.Figure()
    if not sites.empty:
        s = sites.copy()
        s["clone_id"] = s["chrom"].astype(str) + ":" + s["position"].astype(str) + ":" + s["strand"].astype(str)
        ranked = s.groupby("clone_id")["relative_abundance"].max()
        ranked = ranked.iloc[np.lexsort((ranked.index.to_numpy(), -ranked.to_numpy()))]
        top = list(ranked.index[:top_n])
        for cid in top:
            sub = s[s["clone_id"] == cid].set_index("sample")["relative_abundance"]
            gene = s.loc[s["clone_id"] == cid, "nearest_gene"].iloc[0]
            fig.add_trace(go.Bar(x=list(samples), y=[round(float(sub.get(x, 0.0)) * 100, 4) for x in samples],
                                 name=f"{cid} ({gene})",
                                 marker={"color": PALETTE[top.index(cid) % len(PALETTE)]}))
        rest = s[~s["clone_id"].isin(top)].groupby("sample")["relative_abundance"].sum()
        fig.add_trace(go.Bar(x=list(samples), y=[round(float(rest.get(x, 0.0)) * 100, 4) for x in samples],
                             name="other clones", marker={"color": OTHER_GREY}))
    fig.update_layout(barmode="stack", title="Clone shares per sample", xaxis_title="sample",
                      yaxis_title="share (%)", template="plotly_white")
    return _as_json(fig)
