"""Katalog: the groups as a tree, and the measures to browse and search by dimension and
level, each with its answers, prerequisites and references."""

from __future__ import annotations

import data
import formatting as fmt
import pandas as pd
import streamlit as st

from spatz import Catalog

catalog = data.catalog()
st.title("Katalog")
st.caption(
    f"{fmt.plain(catalog.name)} · Version {fmt.plain(catalog.version)} · "
    f"{fmt.plain(catalog.description)}"
)

levels = {lv.level: lv for lv in catalog.levels}
with st.expander("Die Stufen"):
    for lv in catalog.levels:
        st.markdown(
            f"**Stufe {lv.level} – {fmt.plain(lv.name)}**"
            + (f": {fmt.plain(lv.description)}" if lv.description else "")
        )


def _dimension_item(name: str, count: int, depth: int) -> tuple[int, str]:
    return depth, f"{name} ({count} {'Maßnahme' if count == 1 else 'Maßnahmen'})"


def _tree(catalog: Catalog, group_id: str, depth: int = 0) -> list[tuple[int, str]]:
    """The members of a group as list items: its dimensions, then its groups with theirs."""
    items = [
        _dimension_item(d.name, len(d.measures), depth) for d in fmt.members(catalog, group_id)
    ]
    for sub in fmt.subgroups(catalog, group_id):
        items.append((depth, f"Gruppe {sub.name}"))
        items += _tree(catalog, sub.id, depth + 1)
    return items


if catalog.groups:
    st.header("Gliederung")
    for group in fmt.subgroups(catalog, None):
        with st.expander(f"Gruppe {fmt.plain(group.name)}"):
            if group.description:
                st.caption(fmt.plain(group.description))
            st.markdown(fmt.bullets(_tree(catalog, group.id)))
    ungrouped = fmt.members(catalog, None)
    if ungrouped:
        st.markdown("**ohne Gruppe**")
        st.markdown(fmt.bullets([_dimension_item(d.name, len(d.measures), 0) for d in ungrouped]))
    st.header("Maßnahmen")

cols = st.columns([2, 2, 3])
dimension_ids = [d.id for d in catalog.dimensions]
names = {d.id: d.name for d in catalog.dimensions}
chosen = cols[0].multiselect("Dimension", dimension_ids, format_func=names.__getitem__)
chosen_levels = cols[1].multiselect(
    "Stufe", [n for n in levels if n >= 1], format_func=lambda n: f"{n} – {levels[n].name}"
)
query = cols[2].text_input("Suche", placeholder="z. B. Notfall, Schulung, OZG")

rows = [
    {
        "ID": m.id,
        "Gruppe": fmt.group_path_text(catalog, dim),
        "Dimension": dim.name,
        "Stufe": m.level,
        "Maßnahme": m.title,
        "Beschreibung": m.description,
        "Gewicht": m.weight,
        "Pflicht": "ja" if m.mandatory else "",
        "gültig (Monate)": m.valid_for_months,
        "Antworten": fmt.answers_text(catalog, m),
        "Voraussetzung": fmt.prerequisites_text(catalog, m),
        "Bezüge": fmt.references_text(m),
        "Quelle": m.source,
        "_dim": dim.id,
    }
    for dim, m in catalog.measures()
]
table = pd.DataFrame(rows)
# What the catalog does not use stays out of the table.
unused = [c for c in ("Gruppe", "Antworten", "Voraussetzung", "Bezüge") if not table[c].any()]
table = table.drop(columns=unused)
if chosen:
    table = table[table["_dim"].isin(chosen)]
if chosen_levels:
    table = table[table["Stufe"].isin(chosen_levels)]
if query:
    text = table["Maßnahme"] + " " + table["Beschreibung"] + " " + table["Quelle"]
    if "Bezüge" in table:
        text = text + " " + table["Bezüge"]
    table = table[text.str.contains(query, case=False, regex=False)]
st.caption(f"{len(table)} von {len(rows)} Maßnahmen")
st.dataframe(table.drop(columns=["_dim"]), hide_index=True, width="stretch")
