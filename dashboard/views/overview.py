"""Überblick: the state of the administration in ten seconds – levels, Ist/Soll, trend."""

from __future__ import annotations

from collections import Counter

import data
import formatting as fmt
import pandas as pd
import plotly.graph_objects as go
import session
import streamlit as st

from spatz import OVERALL, TARGET_STATUS_LABELS, Permission, TargetStatus

sel = data.selection()
catalog = data.catalog()
level_names = {lv.level: lv.name for lv in catalog.levels}
groups = {g.id: g for g in catalog.groups}
dimension_names = (
    {d.id: d.name for d in catalog.dimensions}
    | {g.id: g.name for g in catalog.groups}
    | {OVERALL: "Gesamt"}
)
# What overall combines and the page shows: the dimensions without a group, then the
# top-level groups (a catalog without groups: its dimensions).
shown = [d.id for d in fmt.members(catalog, None)] + [g.id for g in fmt.subgroups(catalog, None)]

st.title(f"Digitale Reife – {fmt.plain(sel.org_name)}")
st.caption(
    f"Stichtag {fmt.date(sel.as_of)} · Katalog {fmt.plain(catalog.name)} "
    f"{fmt.plain(catalog.version)}"
)


choices = data.catalogs()
if len(choices) > 1:
    # Each catalog's overall level for the organisation, the selected one marked.
    st.header("Kataloge")
    catalog_cards = st.columns(min(len(choices), 4))
    for index, choice in enumerate(choices):
        levels = {lv.level: lv.name for lv in data.catalog(choice.id).levels}
        overall_rows = data.rows_by(
            data.catalog_scores(choice.id, sel.as_of, sel.org), "dimension_id"
        )
        row = overall_rows.get(OVERALL, {"level": 0, "score": 0.0})
        chosen = choice.id == catalog.id
        with catalog_cards[index % 4], st.container(border=True):
            st.metric(fmt.plain(choice.name), f"Stufe {row['level']}")
            st.caption(
                fmt.plain(fmt.level_text(row, levels)) + (" · **ausgewählt**" if chosen else "")
            )

with st.spinner("Reifegrad wird berechnet …"):
    own_scores = data.scores(sel.as_of, sel.org)
    statuses = data.target_status(sel.as_of, sel.org)

own = data.rows_by(own_scores, "dimension_id")
if not own:
    st.info("Für diese Organisation sind noch keine Maßnahmen erfasst: alle Stufen sind 0.")
    zero = {"level": 0, "score": 0.0, "measures_completed": 0}
    own = {d.id: {**zero, "measures_total": len(d.measures)} for d in catalog.dimensions}
    for group in catalog.groups:
        below = fmt.dimensions_below(catalog, group.id)
        own[group.id] = {**zero, "measures_total": sum(len(d.measures) for d in below)}
    own[OVERALL] = {**zero, "measures_total": sum(len(d.measures) for d in catalog.dimensions)}
targets = data.rows_by(statuses, "dimension_id")


def target_line(dimension_id: str) -> str:
    if dimension_id not in targets:
        return "kein Ziel gesetzt"
    row = targets[dimension_id]
    label = TARGET_STATUS_LABELS[TargetStatus(row["status"])]
    return f"Ziel Stufe {row['target_level']} bis {fmt.date(row['target_date'])}: **{label}**"


overall = own[OVERALL]
top = st.columns([1, 3])
with top[0]:
    st.metric(
        "Gesamtreifegrad",
        f"Stufe {overall['level']}",
        help="Die Gesamtstufe ist die niedrigste Stufe aller Dimensionen.",
    )
    st.caption(
        fmt.plain(
            f"{fmt.level_text(overall, level_names)} · {overall['measures_completed']} von "
            f"{overall['measures_total']} Maßnahmen umgesetzt"
        )
    )
    st.markdown(target_line(OVERALL))
with top[1]:
    counts = Counter(str(t["status"]) for t in targets.values())
    cols = st.columns(4)
    for col, (status, label) in zip(cols, TARGET_STATUS_LABELS.items(), strict=True):
        col.metric(f"Ziele {label}", counts[status])


if not catalog.groups:
    st.header("Dimensionen")
elif fmt.members(catalog, None):
    st.header("Gruppen und Dimensionen")
else:
    st.header("Gruppen")
cards = st.columns(4)
for index, member_id in enumerate(shown):
    row = own[member_id]
    with cards[index % 4], st.container(border=True):
        st.metric(fmt.plain(dimension_names[member_id]), f"Stufe {row['level']}")
        st.caption(
            fmt.plain(
                f"{fmt.level_text(row, level_names)} · {row['measures_completed']}/"
                f"{row['measures_total']} Maßnahmen"
            )
        )
        if member_id in groups:
            count = fmt.dimensions_count(len(fmt.dimensions_below(catalog, member_id)))
            with st.expander(f"{count} der Gruppe {fmt.plain(groups[member_id].name)}"):
                st.markdown(fmt.bullets(fmt.member_items(catalog, member_id, own)))
        else:
            st.markdown(target_line(member_id))

st.header("Ist und Soll")
names = [dimension_names[m] for m in shown]
ist = [float(own[m]["score"]) for m in shown]
soll = [targets[m]["target_level"] if m in targets else None for m in shown]
figure = go.Figure()
figure.add_bar(
    y=names,
    x=ist,
    orientation="h",
    name="Ist (Punktwert)",
    marker_color=fmt.IST_COLOUR,
    hovertemplate="%{y}: Ist %{x:.2f}<extra></extra>",
)
figure.add_scatter(
    y=names,
    x=soll,
    mode="markers",
    name="Soll (Zielstufe)",
    marker={"color": fmt.SOLL_COLOUR, "symbol": "diamond", "size": 14},
    hovertemplate="%{y}: Ziel Stufe %{x}<extra></extra>",
)
figure.update_layout(
    xaxis={"range": [0, catalog.n_levels], "dtick": 1, "title": "Stufe"},
    yaxis={"autorange": "reversed"},
    height=60 + 45 * len(names),
    margin={"l": 10, "r": 10, "t": 10, "b": 10},
    separators=",.",
    legend={"orientation": "h"},
)
st.plotly_chart(figure, width="stretch")
best = max(shown, key=lambda m: float(own[m]["score"]))
worst = min(shown, key=lambda m: float(own[m]["score"]))
with_goal = [d for d in catalog.dimensions if d.id in targets]
short = [d for d in with_goal if int(own[d.id]["level"]) < int(targets[d.id]["target_level"])]
st.caption(
    fmt.plain(
        f"Kurz: Den höchsten Punktwert hat {dimension_names[best]} "
        f"({fmt.number(float(own[best]['score']))}), den niedrigsten {dimension_names[worst]} "
        f"({fmt.number(float(own[worst]['score']))}); {len(with_goal)} von "
        f"{len(catalog.dimensions)} Dimensionen haben eine Zielstufe, noch nicht erreicht ist "
        f"sie in {len(short)}."
    )
)
with st.expander("Daten anzeigen"):
    table = pd.DataFrame(
        [
            {
                "Dimension": dimension_names[d],
                "Stufe": row["level"],
                "Punktwert": round(float(row["score"]), 2),
                "umgesetzt": row["measures_completed"],
                "Maßnahmen": row["measures_total"],
                "Zielstufe": targets[d]["target_level"] if d in targets else None,
                "Zieldatum": fmt.date(targets[d]["target_date"]) if d in targets else "",
                "Zielstatus": (
                    TARGET_STATUS_LABELS[TargetStatus(targets[d]["status"])] if d in targets else ""
                ),
            }
            for d, row in own.items()
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")

st.header("Entwicklung")
with st.spinner("Verlauf wird berechnet …"):
    trend = data.monthly_trend(sel.org, sel.as_of)
if trend.empty:
    st.info("Noch kein Verlauf: es sind keine Maßnahmen erfasst.")
else:
    # Eight lines are hard to tell apart: one can be brought forward, the others step back.
    highlight = st.selectbox(
        "Hervorheben",
        [None, *shown, OVERALL],
        format_func=lambda d: "alle gleich" if d is None else dimension_names[d],
        key="trend_highlight",
    )
    line = go.Figure()
    for index, member_id in enumerate(shown):
        series = trend[trend["dimension_id"] == member_id]
        forward = highlight in (None, member_id)
        line.add_scatter(
            x=series["as_of"],
            y=series["score"],
            mode="lines+markers",
            name=dimension_names[member_id],
            opacity=1.0 if forward else 0.25,
            line={
                "color": fmt.PALETTE[index % len(fmt.PALETTE)],
                "dash": fmt.DASHES[index % len(fmt.DASHES)],
                "width": 4 if highlight == member_id else 2,
            },
            marker={"symbol": fmt.MARKERS[index % len(fmt.MARKERS)], "size": 7, "maxdisplayed": 12},
            hovertemplate="%{x|%d.%m.%Y}: %{y:.2f}<extra>"
            + dimension_names[member_id]
            + "</extra>",
        )
    overall_series = trend[trend["dimension_id"] == OVERALL]
    line.add_scatter(
        x=overall_series["as_of"],
        y=overall_series["score"],
        mode="lines",
        name="Gesamt",
        opacity=1.0 if highlight in (None, OVERALL) else 0.25,
        line={"color": fmt.OVERALL_COLOUR, "width": 4},
        hovertemplate="%{x|%d.%m.%Y}: %{y:.2f}<extra>Gesamt</extra>",
    )
    # Targets with the same date and level share one marker that names all of them.
    goals: dict[tuple[object, object], list[str]] = {}
    for dimension_id, target in targets.items():
        key = (target["target_date"], target["target_level"])
        goals.setdefault(key, []).append(dimension_names[dimension_id])
    if goals:
        line.add_scatter(
            x=[day for day, _ in goals],
            y=[level for _, level in goals],
            text=[", ".join(names) for names in goals.values()],
            mode="markers",
            marker={"color": fmt.SOLL_COLOUR, "symbol": "diamond", "size": 13},
            name="Ziele",
            hovertemplate="Ziel Stufe %{y} bis %{x|%d.%m.%Y}: %{text}<extra></extra>",
        )
    line.update_layout(
        yaxis={"range": [0, catalog.n_levels], "dtick": 1, "title": "Punktwert"},
        xaxis={"tickformat": "%m.%Y"},
        height=420,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        separators=",.",
    )
    st.plotly_chart(line, width="stretch")
    start, end = overall_series.iloc[0], overall_series.iloc[-1]
    before, after = float(start["score"]), float(end["score"])
    change = "stieg" if after > before else ("fiel" if after < before else "blieb")
    st.caption(
        fmt.plain(
            f"Kurz: Der Gesamtpunktwert {change} vom {fmt.date(start['as_of'])} bis "
            f"{fmt.date(end['as_of'])} "
            + (
                f"von {fmt.number(before)} auf {fmt.number(after)}."
                if change != "blieb"
                else f"bei {fmt.number(after)}."
            )
        )
    )
    with st.expander("Daten anzeigen"):
        wide = trend.pivot(index="as_of", columns="dimension_id", values="score")
        wide = wide[[*shown, OVERALL]]
        wide.columns = [dimension_names[c] for c in wide.columns]
        wide.index = [fmt.date(d) for d in wide.index]
        st.dataframe(wide.round(2), width="stretch")

# Accounts without the Landesvergleich see where their organisation stands among all
# Kommunen: only their own score, the others as median and quartiles.
if not session.can(Permission.view_land):
    st.header("Einordnung im Land")
    position = data.position(sel.org, sel.as_of)
    position = position[position["catalog_id"] == catalog.id]
    if position.empty:
        st.info(
            "Die gewählte Organisation ist eine Organisationseinheit und nicht im Landesvergleich."
        )
    elif position["suppressed"].any():
        st.info("Zu wenige Organisationen für eine Einordnung.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Dimension": position["dimension_id"].map(dimension_names),
                    "eigener Punktwert": position["score"].map(fmt.number),
                    "1. Quartil": position["q1"].map(fmt.number),
                    "Median": position["median"].map(fmt.number),
                    "3. Quartil": position["q3"].map(fmt.number),
                    "Quartil": position["quartile"].map(lambda q: f"{q}. Quartil"),
                }
            ),
            hide_index=True,
            width="stretch",
        )
        compared = int(position["organisations"].max())
        st.caption(
            fmt.plain(
                f"Verglichen mit {compared} Organisationen im Land, ohne Namen. 1. Quartil: "
                "unteres Viertel, 4. Quartil: oberes Viertel."
            )
        )
