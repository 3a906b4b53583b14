"""Plotly figures (figure JSON written with :func:`cgtsafe.io.tables.write_json`, deterministic).

``trajectory_figure``  clone share over time per (subject, cell type): the ``top_n`` largest clones
                       (by maximal share) plus every clone near a gene of concern; those near genes
                       of concern are drawn with thick lines and named with the gene.
``stacked_figure``     stacked bars: share of the ``top_n`` largest clones per sample, rest as "other".
"""

from __future__ import annotations

import json

import numpy as np

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio


def _as_json(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, validate=True, remove_uids=True))


def trajectory_figure(traj: pd.DataFrame, expansion: pd.DataFrame, *, top_n: int = 10) -> dict:
    fig = go.Figure()
    if not traj.empty:
        info = {(r.subject, r.cell_type, r.clone_id): (r.gene_of_concern, r.nearest_gene)
                for r in expansion.itertuples(index=False)}
        for (subj, ct), grp in traj.groupby(["subject", "cell_type"], sort=True):
            best = grp.groupby("clone_id")["share"].max()
            best = best.iloc[np.lexsort((best.index.to_numpy(), -best.to_numpy()))]
            keep = list(best.index[:top_n])
            keep += [cid for cid in best.index[top_n:] if info.get((subj, ct, cid), ("", ""))[0]]
            for cid in sorted(keep):
                g = grp[grp["clone_id"] == cid].sort_values("tp_rank")
                goc, gene = info.get((subj, ct, cid), ("", ""))
                name = f"{subj}/{ct} {cid} ({gene})" + (f" near {goc}" if goc else "")
                fig.add_trace(go.Scatter(x=list(g["timepoint"]), y=[round(float(v) * 100, 4) for v in g["share"]],
                                         mode="lines+markers", name=name,
                                         line={"width": 4 if goc else 1.5}))
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
                                 name=f"{cid} ({gene})"))
        rest = s[~s["clone_id"].isin(top)].groupby("sample")["relative_abundance"].sum()
        fig.add_trace(go.Bar(x=list(samples), y=[round(float(rest.get(x, 0.0)) * 100, 4) for x in samples],
                             name="other clones", marker={"color": "lightgrey"}))
    fig.update_layout(barmode="stack", title="Clone shares per sample", xaxis_title="sample",
                      yaxis_title="share (%)", template="plotly_white")
    return _as_json(fig)
