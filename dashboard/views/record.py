"""Maßnahmen erfassen: record a status change, see the history and the effect on the level."""

from __future__ import annotations

import datetime as dt

import data
import formatting as fmt
import pandas as pd
import streamlit as st
from pydantic import ValidationError

from spatz import MAX_TEXT_LENGTH, MeasureEventCreate, SpatzError

sel = data.selection()
catalog = data.catalog()
st.title(f"Maßnahmen erfassen – {fmt.plain(sel.org_name)}")

dims = {d.id: d.name for d in catalog.dimensions}
# A link may name the measure (?measure=ID), e.g. from "Was fehlt zur nächsten Stufe?".
linked = {m.id: d.id for d, m in catalog.measures()}.get(st.query_params.get("measure", ""))
cols = st.columns([1, 2])
dimension_id = cols[0].selectbox(
    "Dimension",
    list(dims),
    index=list(dims).index(linked) if linked else 0,
    format_func=dims.__getitem__,
)
dimension = catalog.dimension(dimension_id)
titles = {m.id: f"{m.id} (Stufe {m.level}) {m.title}" for m in dimension.measures}
wanted = st.query_params.get("measure", "")
measure_id = cols[1].selectbox(
    "Maßnahme",
    list(titles),
    index=list(titles).index(wanted) if wanted in titles else 0,
    format_func=titles.__getitem__,
)
measure = catalog.measure(measure_id)
st.caption(
    fmt.plain(measure.description)
    + (f" Quelle: {fmt.plain(measure.source)}" if measure.source else "")
)

covering = data.explain(sel.as_of, sel.org).query("measure_id == @measure_id")
if len(covering) and covering["covered_by"].iloc[0]:
    st.info(
        f"Zählt am {fmt.date(sel.as_of)} als umgesetzt über "
        f"{fmt.plain(covering['covered_by'].iloc[0])} (Zuordnung zwischen Katalogen); ein "
        "eigener Eintrag ist dafür nicht nötig."
    )

history = data.history(sel.org)
own = history[history["measure_id"] == measure_id]
# The newest recorded event (the highest id, whatever its date): what the check compares.
last_seen = int(own["id"].max()) if len(own) else None

labels = fmt.answer_choices(catalog, measure)
# One form per organisation and measure: switching to another measure starts with an
# empty form instead of carrying over what was typed (or saved) for the previous one.
form = f"record-{sel.org}-{measure_id}"
with st.form(form, clear_on_submit=False):
    status = st.radio(
        "Neuer Stand",
        list(labels),
        format_func=labels.__getitem__,
        horizontal=True,
        key=f"{form}-status",
    )
    left, right = st.columns(2)
    date = left.date_input(
        "gültig ab", value=dt.date.today(), format="DD.MM.YYYY", key=f"{form}-date"
    )
    due = right.date_input(
        "fällig am (optional)", value=None, format="DD.MM.YYYY", key=f"{form}-due"
    )
    note = st.text_area(
        "Notiz",
        max_chars=MAX_TEXT_LENGTH,
        help="Bei „nicht relevant“ bitte den Grund angeben (Erklärung zur Anwendbarkeit).",
        key=f"{form}-note",
    )
    evidence = st.text_input(
        "Nachweis",
        max_chars=MAX_TEXT_LENGTH,
        placeholder="z. B. Beschluss, Dokument oder Link",
        key=f"{form}-evidence",
    )
    submitted = st.form_submit_button("Speichern", type="primary")

if submitted:
    day = date if isinstance(date, dt.date) else dt.date.today()
    before = data.level_of(sel.org, dimension_id, day)
    try:
        data.record(
            MeasureEventCreate(
                org=sel.org,
                measure_id=measure_id,
                status=status,
                date=day,
                due_date=due if isinstance(due, dt.date) else None,
                note=note,
                evidence=evidence,
            ),
            last_seen,
        )
    except SpatzError as error:
        st.error(fmt.plain(error))
    except ValidationError as error:
        labels = {"note": "Notiz", "evidence": "Nachweis"}
        st.error(
            fmt.plain(
                "; ".join(
                    f"{labels.get(str(e['loc'][0]), str(e['loc'][0]))} "
                    + e["msg"].removeprefix("Value error, ")
                    for e in error.errors()
                )
            )
        )
    else:
        data.after_write()
        after = data.level_of(sel.org, dimension_id, day)
        change = f"Stufe {before} → {after}" if after != before else f"Stufe bleibt {after}"
        st.success(f"Gespeichert. {fmt.plain(dimension.name)} am {fmt.date(day)}: {change}.")
        if day > sel.as_of:
            st.info(
                "Der Stand gilt erst nach dem gewählten Stichtag und ist dort noch nicht zu sehen."
            )
        history = data.history(sel.org)
        own = history[history["measure_id"] == measure_id]

st.header("Verlauf dieser Maßnahme")
if own.empty:
    st.info("Für diese Maßnahme ist noch nichts erfasst.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "gültig ab": own["date"].map(fmt.date),
                "Stand": fmt.state_labels(catalog, own["measure_id"], own["status"]),
                "fällig": own["due_date"].map(fmt.date),
                "Notiz": own["note"],
                "Nachweis": own["evidence"],
                "erfasst von": own["recorded_by"],
                "erfasst am": own["recorded_at"].map(fmt.timestamp),
            }
        ),
        hide_index=True,
        width="stretch",
    )
