"""Projekte & Meilensteine: the Projektliste as a timeline, milestones, maturity links."""

from __future__ import annotations

import data
import formatting as fmt
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from spatz import OPEN

sel = data.selection()
catalog = data.catalog()
st.title(f"Projekte & Meilensteine – {fmt.plain(sel.org_name)}")
orgs = data.organisations()
units = orgs[orgs["parent"] == sel.org]
scope = [sel.org, *units["org"]]
names = dict(zip(orgs["org"], orgs["name"], strict=True))
st.caption(
    "Eigene Projekte und die der Organisationseinheiten"
    + (f" ({fmt.plain(', '.join(names[u] for u in units['org']))})" if len(units) else "")
)

projects = data.projects(tuple(scope))
milestones = data.milestones(tuple(scope))
if projects.empty and milestones.empty:
    st.info(
        "Keine Projekte oder Meilensteine erfasst. Die Projektliste und die Meilensteine lädt "
        "die Digitalisierungskoordination unter „Import & Export“ hoch (CSV oder XLSX)."
    )
    st.stop()

measure_titles = {m.id: m.title for _, m in catalog.measures()}
dimension_of = {m.id: d.name for d, m in catalog.measures()}

if not projects.empty:
    st.header("Projektliste")
    timeline = projects.assign(
        Projekt=fmt.chart_text(projects["name"]),
        Geschäftsbereich=fmt.chart_text(projects["business_unit"].replace("", "ohne GB")),
        responsible=fmt.chart_text(projects["responsible"]),
        description=fmt.chart_text(projects["description"]),
        Ende=projects["end"] + pd.Timedelta(days=1),
        von=projects["start"].map(fmt.date),
        bis=projects["end"].map(fmt.date),
    ).sort_values(["Geschäftsbereich", "start"])
    figure = px.timeline(
        timeline,
        x_start="start",
        x_end="Ende",
        y="Projekt",
        color="Geschäftsbereich",
        color_discrete_sequence=fmt.PALETTE,
        custom_data=["Geschäftsbereich", "von", "bis", "responsible", "description"],
    )
    figure.update_traces(
        hovertemplate="<b>%{y}</b><br>Geschäftsbereich %{customdata[0]}<br>"
        "%{customdata[1]} bis %{customdata[2]}<br>Verantwortlich: %{customdata[3]}<br>"
        "%{customdata[4]}<extra></extra>"
    )
    if not milestones.empty:
        # The milestones on a row of their own, not on one of the projects' rows.
        figure.add_trace(
            go.Scatter(
                x=milestones["due"],
                y=["Meilensteine"] * len(milestones),
                mode="markers",
                marker={"symbol": "diamond", "size": 12, "color": "#000000"},
                name="Meilensteine (Fälligkeit)",
                text=fmt.chart_text(milestones["title"]),
                hovertemplate="%{text}: fällig %{x|%d.%m.%Y}<extra></extra>",
            )
        )
    figure.update_yaxes(autorange="reversed", title=None)
    figure.update_xaxes(tickformat="%m.%Y")
    figure.update_layout(height=150 + 28 * len(timeline), margin={"t": 10, "b": 10})
    st.plotly_chart(figure, width="stretch")
    st.caption(
        fmt.plain(
            f"Kurz: {len(projects)} Projekte in "
            f"{projects['business_unit'].replace('', 'ohne GB').nunique()} Geschäftsbereichen, "
            f"vom {fmt.date(projects['start'].min())} bis {fmt.date(projects['end'].max())}; "
            f"{len(milestones)} Meilensteine."
        )
    )
    with st.expander("Daten anzeigen"):
        st.dataframe(
            pd.DataFrame(
                {
                    "GB": projects["business_unit"],
                    "R": projects["responsible"],
                    "Projekt": projects["name"],
                    "Beschreibung": projects["description"],
                    "Start": projects["start"].map(fmt.date),
                    "Ende": projects["end"].map(fmt.date),
                    "Organisation": projects["org"].map(names),
                }
            ),
            hide_index=True,
            width="stretch",
        )

if not milestones.empty:
    st.header("Meilensteine")
    today = pd.Timestamp(sel.as_of)
    state = milestones.apply(
        lambda m: (
            "erledigt"
            if pd.notna(m["done_date"]) and m["done_date"] <= today
            else ("überfällig" if m["due"] < today else "offen")
        ),
        axis=1,
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Meilenstein": milestones["title"],
                "fällig": milestones["due_label"].where(
                    milestones["due_label"] != "", milestones["due"].map(fmt.date)
                ),
                "erledigt am": milestones["done_date"].map(fmt.date),
                "Stand": state,
                "Maßnahmen": milestones["measures"].map(", ".join),
                "Organisation": milestones["org"].map(names),
            }
        ),
        hide_index=True,
        width="stretch",
    )

st.header("Welche Projekte tragen zu welchen Stufen bei?")
links = pd.concat(
    [
        projects[["org", "name", "measures"]].rename(columns={"name": "Vorhaben"}),
        milestones[["org", "title", "measures"]].rename(columns={"title": "Vorhaben"}),
    ]
).explode("measures")
links = links.dropna(subset=["measures"])
if links.empty:
    st.info("Noch keine Verknüpfung von Projekten oder Meilensteinen mit Maßnahmen.")
else:
    states = data.explain(sel.as_of).query("org in @scope")
    state_of = {
        (o, m): s
        for o, m, s in zip(states["org"], states["measure_id"], states["status"], strict=True)
    }
    level_of = {m.id: m.level for _, m in catalog.measures()}
    st.dataframe(
        pd.DataFrame(
            {
                "Vorhaben": links["Vorhaben"],
                "Maßnahme": links["measures"] + " " + links["measures"].map(measure_titles),
                "Dimension": links["measures"].map(dimension_of),
                "Stufe": links["measures"].map(level_of),
                "Stand": fmt.state_labels(
                    catalog,
                    links["measures"],
                    [
                        state_of.get((o, m), OPEN)
                        for o, m in zip(links["org"], links["measures"], strict=True)
                    ],
                ),
                "Organisation": links["org"].map(names),
            }
        ),
        hide_index=True,
        width="stretch",
    )
