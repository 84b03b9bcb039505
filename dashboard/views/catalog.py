"""Katalog: browse and search the measures by dimension and level."""

from __future__ import annotations

import data
import formatting as fmt
import pandas as pd
import streamlit as st

catalog = data.catalog()
st.title("Katalog")
st.caption(
    f"{fmt.plain(catalog.name)} · Version {fmt.plain(catalog.version)} · "
    f"{fmt.plain(catalog.description)}"
)

levels = {lv.level: lv for lv in catalog.levels}
with st.expander("Die Stufen"):
    for lv in catalog.levels:
        st.markdown(f"**{lv.level} – {fmt.plain(lv.name)}**: {fmt.plain(lv.description)}")

cols = st.columns([2, 2, 3])
dimension_ids = [d.id for d in catalog.dimensions]
names = {d.id: d.name for d in catalog.dimensions}
chosen = cols[0].multiselect("Dimension", dimension_ids, format_func=names.__getitem__)
chosen_levels = cols[1].multiselect(
    "Stufe", list(levels), format_func=lambda n: f"{n} – {levels[n].name}"
)
query = cols[2].text_input("Suche", placeholder="z. B. Notfall, Schulung, OZG")

rows = [
    {
        "ID": m.id,
        "Dimension": dim.name,
        "Stufe": m.level,
        "Maßnahme": m.title,
        "Beschreibung": m.description,
        "Gewicht": m.weight,
        "Pflicht": "ja" if m.mandatory else "",
        "gültig (Monate)": m.valid_for_months,
        "Quelle": m.source,
        "_dim": dim.id,
    }
    for dim, m in catalog.measures()
]
table = pd.DataFrame(rows)
if chosen:
    table = table[table["_dim"].isin(chosen)]
if chosen_levels:
    table = table[table["Stufe"].isin(chosen_levels)]
if query:
    text = table["Maßnahme"] + " " + table["Beschreibung"] + " " + table["Quelle"]
    table = table[text.str.contains(query, case=False, regex=False)]
st.caption(f"{len(table)} von {len(rows)} Maßnahmen")
st.dataframe(table.drop(columns=["_dim"]), hide_index=True, width="stretch")
