"""Landesvergleich: every organisation × dimension (a heatmap of a few, a table to search
and page through of many), distributions, the own position, and who has already done what
is still open here."""

from __future__ import annotations

import math

import data
import formatting as fmt
import pandas as pd
import plotly.graph_objects as go
import sections
import session
import streamlit as st

from spatz import MIN_GROUP, OVERALL, Permission

HEATMAP_LIMIT = 40
"""Up to this many organisations the matrix is a heatmap; above, a table to search and page
through (a heatmap of thousands of rows is too tall to read)."""
PAGE_ROWS = 50
"""Rows per page of that table."""

sel = data.selection()
catalog = data.catalog()
st.title("Landesvergleich")
st.caption(
    f"Stichtag {fmt.date(sel.as_of)} · Gruppen mit weniger als {MIN_GROUP} "
    "Organisationen werden nicht ausgewertet."
)

with st.spinner("Vergleich wird berechnet …"):
    view = data.land_view(sel.org, sel.as_of, by="kind")
    rows, summary, own = view.rows, view.summary, view.position
dims = [d.id for d in catalog.dimensions] + [OVERALL]
names = {d.id: d.name for d in catalog.dimensions} | {OVERALL: "Gesamt"}

st.header("Reifegrad je Organisation und Dimension")
matrix = rows.pivot(index="org", columns="dimension_id", values="score")[dims]
matrix.columns = [names[d] for d in dims]
# Alphabetical by name, organisations of the same name by key.
org_names = (
    rows.drop_duplicates("org")
    .set_index("org")["organisation"]
    .sort_index()
    .sort_values(key=lambda name: name.str.casefold(), kind="stable")
)
matrix = matrix.loc[org_names.index]
if len(matrix) <= HEATMAP_LIMIT:
    heatmap = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(matrix.columns),
            y=list(fmt.chart_text(org_names)),
            colorscale="Cividis",
            zmin=0,
            zmax=catalog.n_levels,
            colorbar={"title": "Punktwert"},
            texttemplate="%{z:.2f}",
            hovertemplate="%{y}<br>%{x}: %{z:.2f}<extra></extra>",
        )
    )
    heatmap.update_layout(
        height=120 + 24 * len(matrix),
        margin={"t": 10, "b": 10},
        separators=",.",
        yaxis={"autorange": "reversed"},
    )
    st.plotly_chart(heatmap, width="stretch")
overall = matrix["Gesamt"].dropna()
if len(overall):
    st.caption(
        fmt.plain(
            f"Kurz: {fmt.number(len(matrix), 0)} Organisationen; den höchsten Gesamtpunktwert "
            f"hat {org_names[str(overall.idxmax())]} ({fmt.number(float(overall.max()))}), den "
            f"niedrigsten {org_names[str(overall.idxmin())]} ({fmt.number(float(overall.min()))})."
        )
    )
if len(matrix) <= HEATMAP_LIMIT:
    with st.expander("Daten anzeigen"):
        st.dataframe(
            matrix.set_axis(list(org_names)).rename_axis("Organisation").round(2), width="stretch"
        )
else:
    # Too many rows for a chart: a table to search and page through, formatted page by page.
    query = st.text_input(
        "Suche",
        placeholder="Name oder Schlüssel der Organisation",
        key="comparison_search",
        on_change=lambda: st.session_state.update(comparison_page=1),
    )
    query = query.strip()
    found = org_names.str.contains(query, case=False, regex=False) | matrix.index.str.contains(
        query, case=False, regex=False
    )
    count = int(found.sum())
    pages = max(1, math.ceil(count / PAGE_ROWS))
    if st.session_state.get("comparison_page", 1) > pages:
        st.session_state["comparison_page"] = 1
    page = st.selectbox(
        "Seite",
        range(1, pages + 1),
        format_func=lambda number: f"Seite {number} von {pages}",
        key="comparison_page",
    )
    shown_orgs = matrix.index[found.to_numpy()][(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    st.caption(
        fmt.plain(
            f"{fmt.number(count, 0)} von {fmt.number(len(matrix), 0)} "
            "Organisationen passen zur Suche, sortiert nach Name."
            if query
            else f"{fmt.number(len(matrix), 0)} Organisationen, sortiert nach Name."
        )
    )
    if len(shown_orgs):
        st.dataframe(
            pd.concat(
                [
                    pd.DataFrame(
                        {"Organisation": org_names.loc[shown_orgs], "Schlüssel": shown_orgs}
                    ),
                    matrix.loc[shown_orgs].apply(fmt.numbers),
                ],
                axis="columns",
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info(fmt.plain(f"Keine Organisation passt zu „{query}“."))

st.header("Verteilung nach Art der Organisation")
shown = summary[~summary["suppressed"]]
hidden = summary[summary["suppressed"]].drop_duplicates("group")
if len(shown):
    box = go.Figure()
    for colour, (group, part) in zip(fmt.PALETTE, shown.groupby("group", sort=False), strict=False):
        box.add_trace(
            go.Box(
                name=fmt.chart_text(pd.Series([group])).iloc[0],
                x=[names[d] for d in part["dimension_id"]],
                q1=part["q1"],
                median=part["median"],
                q3=part["q3"],
                lowerfence=part["q1"],
                upperfence=part["q3"],
                marker_color=colour,
                hoverinfo="x+name",
            )
        )
    box.update_layout(
        boxmode="group",
        separators=",.",
        margin={"t": 10, "b": 10},
        yaxis={"title": "Punktwert", "range": [0, catalog.n_levels]},
        legend={"title": "Art"},
        xaxis={"categoryorder": "array", "categoryarray": [names[d] for d in dims]},
    )
    st.plotly_chart(box, width="stretch")
    st.caption(fmt.plain("Kasten: 1. bis 3. Quartil, Strich: Median."))
    medians = shown[shown["dimension_id"] == OVERALL]
    st.caption(
        fmt.plain(
            "Kurz: Median des Gesamtpunktwerts je Art: "
            + ", ".join(
                f"{group} {fmt.number(float(median))}"
                for group, median in zip(medians["group"], medians["median"], strict=True)
            )
            + "."
        )
    )
    with st.expander("Daten anzeigen"):
        st.dataframe(
            pd.DataFrame(
                {
                    "Art": shown["group"],
                    "Dimension": shown["dimension_id"].map(names),
                    "Anzahl": shown["organisations"],
                    "1. Quartil": shown["q1"].round(2),
                    "Median": shown["median"].round(2),
                    "3. Quartil": shown["q3"].round(2),
                }
            ),
            hide_index=True,
            width="stretch",
        )
if len(hidden):
    st.caption(
        "Nicht ausgewertet (zu kleine Gruppe): "
        + fmt.plain(", ".join(f"{g.group} ({g.organisations})" for g in hidden.itertuples()))
    )

st.header(f"Position von {fmt.plain(sel.org_name)}")
if own.empty or sel.org not in set(rows["org"]):
    st.info(
        "Die gewählte Organisation ist nicht im Landesvergleich: Verglichen werden die "
        "Kommunen, nicht das Land und nicht die Organisationseinheiten."
    )
elif own["suppressed"].any():
    st.info("Zu wenige Organisationen für eine Einordnung.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "Dimension": own["dimension_id"].map(names),
                "eigener Punktwert": own["score"].map(fmt.number),
                "Median aller": own["median"].map(fmt.number),
                "Quartil": own["quartile"].map(lambda q: f"{q}. Quartil"),
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        fmt.plain("1. Quartil: unteres Viertel, 4. Quartil: oberes Viertel aller Organisationen.")
    )

# Open measures of the organisation: only for accounts that see its measures.
if session.can(Permission.view_detail, sel.org):
    states = data.explain(sel.as_of, sel.org)
    mine = states[~states["done"] & ~states["excluded"]]
    sections.adopters(
        sel.org,
        sel.as_of,
        mine["measure_id"].tolist(),
        {m.id: f"{m.id} {m.title}" for _, m in catalog.measures()},
    )
