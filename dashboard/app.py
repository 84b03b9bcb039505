"""SPATZ dashboard: the frame around every page (sidebar selection, navigation)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
import ui

from spatz.services.common import Actor

PAGES = Path(__file__).parent / "pages"

st.set_page_config(
    page_title="SPATZ – Digitale Reife", page_icon=":material/monitoring:", layout="wide"
)

orgs = ui.organisations()
if orgs.empty:
    st.title("SPATZ")
    st.info("Noch keine Organisationen erfasst. Beispieldaten laden: `spatz demo`.")
    st.stop()

labels = {row.org: f"{row.name} ({row.org})" for row in orgs.itertuples()}
options = list(labels)
# A link may name the organisation (?org=KEY); otherwise the most active one is shown.
chosen = st.session_state.get("org") or st.query_params.get("org")
if chosen not in labels:
    chosen = ui.most_active_org()
st.session_state.setdefault("actor", Actor(os.environ.get("SPATZ_USER") or "dashboard"))
with st.sidebar:
    st.markdown("### SPATZ")
    st.session_state["org"] = st.selectbox(
        "Organisation",
        options=options,
        index=options.index(chosen),
        format_func=labels.__getitem__,
    )
    st.session_state["as_of"] = st.date_input(
        "Stichtag",
        value=st.session_state.get("as_of", ui.data_as_of()),
        format="DD.MM.YYYY",
        help="Zeigt die Verwaltung, wie sie an diesem Tag stand. Voreingestellt ist der "
        "Datenstand (das letzte erfasste Ereignis, höchstens heute).",
    )

page = st.navigation(
    [
        st.Page(
            PAGES / "overview.py", title="Überblick", icon=":material/dashboard:", default=True
        ),
        st.Page(PAGES / "dimension.py", title="Dimension", icon=":material/stairs:"),
        st.Page(PAGES / "record.py", title="Maßnahmen erfassen", icon=":material/edit_note:"),
        st.Page(PAGES / "projects.py", title="Projekte & Meilensteine", icon=":material/timeline:"),
        st.Page(PAGES / "comparison.py", title="Landesvergleich", icon=":material/leaderboard:"),
        st.Page(PAGES / "catalog.py", title="Katalog", icon=":material/menu_book:"),
        st.Page(PAGES / "exchange.py", title="Import & Export", icon=":material/swap_vert:"),
    ]
)
page.run()
