"""Dimension: the levels as a ladder with every measure's state, and what is missing."""

from __future__ import annotations

import datetime as dt

import data
import formatting as fmt
import pandas as pd
import sections
import session
import streamlit as st

from spatz import (
    OPEN,
    TARGET_STATUS_LABELS,
    Permission,
    SpatzError,
    TargetCreate,
    TargetStatus,
)

sel = data.selection()
catalog = data.catalog()
# In a catalog with groups an option names the dimension's groups too (Gruppe › Dimension).
names = {d.id: fmt.dimension_path_text(catalog, d) for d in catalog.dimensions}
if st.session_state.get("dimension") not in names:  # none chosen yet, or of another catalog
    st.session_state["dimension"] = catalog.dimensions[0].id
# The title names the chosen dimension but stands above its selector, below the groups
# the dimension belongs to.
path = st.empty()
heading = st.empty()
dimension_id = st.selectbox(
    "Dimension", list(names), format_func=names.__getitem__, key="dimension"
)
dimension = catalog.dimension(dimension_id)
level_names = {lv.level: lv.name for lv in catalog.levels}

scores = data.rows_by(data.scores(sel.as_of, sel.org), "dimension_id")
current = scores.get(dimension_id, {"level": 0, "score": 0.0})
level = int(current["level"])

if dimension.group is not None:
    path.caption(fmt.plain(fmt.group_path_text(catalog, dimension)))
    group = catalog.group(dimension.group)
    count = fmt.dimensions_count(len(fmt.dimensions_below(catalog, group.id)))
    with st.expander(f"Gruppe {fmt.plain(group.name)}: {count}"):
        st.markdown(fmt.bullets(fmt.member_items(catalog, group.id, scores, dimension_id)))
heading.title(f"{fmt.plain(dimension.name)} – {fmt.plain(sel.org_name)}")
st.caption(f"Stichtag {fmt.date(sel.as_of)} · {fmt.plain(dimension.description)}")
cols = st.columns(3)
cols[0].metric("Stufe", f"{level} – {level_names.get(level, 'noch keine Stufe')}")
cols[1].metric("Punktwert", fmt.number(float(current["score"])))
targets = data.rows_by(data.target_status(sel.as_of, sel.org), "dimension_id")
if dimension_id in targets:
    target = targets[dimension_id]
    cols[2].metric(
        f"Ziel bis {fmt.date(target['target_date'])}",
        f"Stufe {target['target_level']}",
        TARGET_STATUS_LABELS[TargetStatus(target["status"])],
        delta_color="off",
        delta_arrow="off",
    )

if session.can(Permission.set_targets, sel.org):
    saved = st.session_state.pop("target_saved", None)
    if saved:
        goal, due = saved
        st.success(f"Ziel gespeichert: Stufe {goal} bis {fmt.date(due)}.")
    with st.expander("Ziel setzen"):
        in_force = data.target(sel.org, dimension_id)
        # The version the edit is checked against: what this form showed.
        seen_key = f"target_seen_{sel.org}_{dimension_id}"
        shown = st.session_state.setdefault(seen_key, in_force.id if in_force else None)
        with st.form("target"):
            goal = st.number_input(
                "Zielstufe",
                min_value=1,
                max_value=catalog.n_levels,
                value=in_force.target_level if in_force else min(level + 1, catalog.n_levels),
            )
            due = st.date_input(
                "bis",
                value=in_force.target_date if in_force else dt.date(sel.as_of.year + 1, 12, 31),
                format="DD.MM.YYYY",
            )
            if st.form_submit_button("Ziel speichern", type="primary"):
                try:
                    data.set_target(
                        TargetCreate(
                            org=sel.org,
                            dimension_id=dimension_id,
                            target_level=int(goal),
                            target_date=due if isinstance(due, dt.date) else sel.as_of,
                        ),
                        shown,
                    )
                except SpatzError as error:
                    st.error(fmt.plain(error))
                else:
                    data.after_write()
                    # Shown after the rerun, in which the figures above show the new target.
                    st.session_state["target_saved"] = (int(goal), due)
                    del st.session_state[seen_key]
                    st.rerun()
                del st.session_state[seen_key]

st.header("Was fehlt zur nächsten Stufe?")
plan = data.roadmap(sel.org, dimension_id, sel.as_of)
if level == catalog.n_levels:
    st.success("Die höchste Stufe ist erreicht.")
elif plan.empty:
    st.info("Keine offenen Maßnahmen.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "Maßnahme": plan["measure_id"] + " " + plan["title"],
                "Stufe": plan["level"],
                "Pflicht": plan["mandatory"].map({True: "ja", False: ""}),
                "Stand": fmt.state_labels(catalog, plan["measure_id"], plan["status"]),
                "fällig": plan["due_date"].map(fmt.date),
                "Erfüllung der Stufe +": (plan["f_gain"] * 100).round(0).astype(int).astype(str)
                + " %",
                "Punktwert +": plan["score_gain"].map(fmt.number),
                "Grund": plan["reason"],
            }
        ).drop(columns=[] if plan["reason"].any() else ["Grund"]),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "Reihenfolge: Pflichtmaßnahmen zuerst, dann nach Gewicht und Fälligkeit; eine offene "
        "Voraussetzung steht vor der Maßnahme, die sie braucht. „Punktwert +“ zeigt, wie sehr "
        "die Umsetzung allein den Punktwert heute hebt."
    )
    sections.adopters(
        sel.org,
        sel.as_of,
        plan["measure_id"].tolist(),
        dict(zip(plan["measure_id"], plan["measure_id"] + " " + plan["title"], strict=True)),
    )

st.header("Die Stufen")
states = data.explain(sel.as_of, sel.org).query("dimension_id == @dimension_id")
state_by_measure = data.rows_by(states, "measure_id")
# A measure recorded as done while a prerequisite is open: shown, never corrected.
for m_id, missing in zip(states["measure_id"], states["open_prerequisites"], strict=True):
    if missing:
        st.warning(
            f"Plausibilität: {fmt.plain(m_id)} ist als umgesetzt erfasst, die Voraussetzung "
            f"{fmt.plain(missing)} aber noch nicht."
        )
details = data.state_details(sel.org, sel.as_of)
# Level 0 is what an organisation is before level 1: it has no measures.
for lv in reversed([lv for lv in catalog.levels if lv.level >= 1]):
    measures = [m for m in dimension.measures if m.level == lv.level]
    if not measures:
        with st.expander(f"Stufe {lv.level} – {fmt.plain(lv.name)}: {fmt.EMPTY_LEVEL}"):
            if lv.description:
                st.caption(fmt.plain(lv.description))
            st.markdown(f"Diese Dimension hat {fmt.EMPTY_LEVEL}.")
        continue
    rows = []
    for m in measures:
        state = state_by_measure.get(m.id, {"status": OPEN, "date": pd.NaT, "expires": pd.NaT})
        detail = details.get(m.id, {})
        rows.append(
            {
                "ID": m.id,
                "Maßnahme": m.title + (" (Pflicht)" if m.mandatory else ""),
                "Stand": fmt.covered_state(
                    fmt.answer_label(catalog, m, str(state["status"])),
                    str(state.get("covered_by", "")),
                    str(state.get("partly_covered_by", "")),
                ),
                "seit": fmt.date(state["date"]),
                "gültig bis": fmt.date(state["expires"]),
                "Nachweis": detail.get("evidence", ""),
                "Notiz": detail.get("note", ""),
                "erfasst von": detail.get("recorded_by", ""),
                "Voraussetzung": fmt.prerequisites_text(catalog, m),
                "Bezüge": fmt.references_text(m),
            }
        )
    done = sum(1 for m in measures if state_by_measure.get(m.id, {}).get("done", False))
    reached = "erreicht" if lv.level <= level else "noch nicht erreicht"
    with st.expander(
        f"Stufe {lv.level} – {fmt.plain(lv.name)}: {reached} · {done} von {len(rows)} umgesetzt",
        expanded=lv.level == level + 1,
    ):
        st.caption(fmt.plain(lv.description))
        ladder = pd.DataFrame(rows)
        # Prerequisites and references only where the level's measures have some.
        unused = [c for c in ("Voraussetzung", "Bezüge") if not ladder[c].any()]
        st.dataframe(ladder.drop(columns=unused), hide_index=True, width="stretch")
