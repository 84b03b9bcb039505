"""Landesvergleich: every organisation × dimension, distributions, the own position, and
who has already done what is still open here."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
import ui

from spatz.catalog import OVERALL
from spatz.land import MIN_GROUP
from spatz.services.auth import Permission

sel = ui.selection()
catalog = ui.catalog()
st.title("Landesvergleich")
st.caption(
    f"Stichtag {ui.fmt_date(sel.as_of)} · Gruppen mit weniger als {MIN_GROUP} "
    "Organisationen werden nicht ausgewertet."
)

with st.spinner("Vergleich wird berechnet …"):
    rows = ui.comparison_rows(sel.as_of)
rows = rows[rows["kind"] != "Organisationseinheit"]
dims = [d.id for d in catalog.dimensions] + [OVERALL]
names = {d.id: d.name for d in catalog.dimensions} | {OVERALL: "Gesamt"}

st.header("Reifegrad je Organisation und Dimension")
matrix = rows.pivot(index="organisation", columns="dimension_id", values="score")[dims]
matrix.columns = [names[d] for d in dims]
heatmap = go.Figure(
    go.Heatmap(
        z=matrix.to_numpy(),
        x=list(matrix.columns),
        y=list(ui.chart_text(matrix.index.to_series())),
        colorscale="Cividis",
        zmin=0,
        zmax=catalog.n_levels,
        colorbar={"title": "Punktwert"},
        hovertemplate="%{y}<br>%{x}: %{z:.2f}<extra></extra>",
    )
)
heatmap.update_layout(height=120 + 24 * len(matrix), margin={"t": 10, "b": 10}, separators=",.")
st.plotly_chart(heatmap, width="stretch")
with st.expander("Daten anzeigen"):
    st.dataframe(matrix.round(2), width="stretch")

st.header("Verteilung nach Art der Organisation")
sizes = rows.groupby("kind")["org"].nunique()
shown = sizes[sizes >= MIN_GROUP].index.tolist()
hidden = sizes[sizes < MIN_GROUP]
if shown:
    data = rows[rows["kind"].isin(shown)].assign(Dimension=lambda f: f["dimension_id"].map(names))
    box = px.box(
        data,
        x="Dimension",
        y="score",
        color="kind",
        color_discrete_sequence=ui.PALETTE,
        labels={"score": "Punktwert", "kind": "Art"},
        category_orders={"Dimension": [names[d] for d in dims]},
    )
    box.update_layout(separators=",.", margin={"t": 10, "b": 10})
    st.plotly_chart(box, width="stretch")
    with st.expander("Daten anzeigen"):
        stats = (
            data.groupby(["kind", "Dimension"])["score"]
            .describe()[["count", "25%", "50%", "75%"]]
            .rename(
                columns={
                    "count": "Anzahl",
                    "25%": "1. Quartil",
                    "50%": "Median",
                    "75%": "3. Quartil",
                }
            )
            .round(2)
        )
        st.dataframe(stats, width="stretch")
if len(hidden):
    st.caption(
        "Nicht ausgewertet (zu kleine Gruppe): "
        + ui.plain(", ".join(f"{kind} ({n})" for kind, n in hidden.items()))
    )

st.header(f"Position von {ui.plain(sel.org_name)}")
own = rows[rows["org"] == sel.org]
if own.empty:
    st.info("Die gewählte Organisation ist eine Organisationseinheit und nicht im Landesvergleich.")
elif rows["org"].nunique() < MIN_GROUP:
    st.info("Zu wenige Organisationen für eine Einordnung.")
else:
    position = []
    for dim in dims:
        scores = rows.loc[rows["dimension_id"] == dim, "score"]
        own_score = float(own.loc[own["dimension_id"] == dim, "score"].iloc[0])
        share_below = float((scores < own_score).mean())
        position.append(
            {
                "Dimension": names[dim],
                "eigener Punktwert": ui.fmt_number(own_score),
                "Median aller": ui.fmt_number(float(scores.median())),
                "Quartil": f"{min(4, int(share_below * 4) + 1)}. Quartil",
            }
        )
    st.dataframe(pd.DataFrame(position), hide_index=True, width="stretch")
    st.caption("1. Quartil: unteres Viertel, 4. Quartil: oberes Viertel aller Organisationen.")

# Measure detail of other organisations: only for accounts that see measure detail.
if ui.can(Permission.view_detail, sel.org):
    st.header("Wer hat es schon umgesetzt?")
    states = ui.explain(sel.as_of)
    mine = states[(states["org"] == sel.org) & ~states["done"] & ~states["excluded"]]
    if mine.empty:
        st.success("Alle Maßnahmen sind umgesetzt oder nicht relevant.")
    else:
        titles = {m.id: f"{m.id} {m.title}" for _, m in catalog.measures()}
        measure = st.selectbox(
            "Offene Maßnahme", mine["measure_id"].tolist(), format_func=titles.__getitem__
        )
        org_names = dict(zip(rows["org"], rows["organisation"], strict=False))
        others = states[
            (states["measure_id"] == measure) & states["done"] & (states["org"] != sel.org)
        ]
        others = others[others["org"].isin(org_names)]
        if others.empty:
            st.info("Noch keine andere Organisation hat diese Maßnahme umgesetzt.")
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        "Organisation": others["org"].map(org_names),
                        "umgesetzt am": others["date"].map(ui.fmt_date),
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            st.caption("Ansprechpartner für Erfahrungen und Nachnutzung.")
