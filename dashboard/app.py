"""SPATZ dashboard: the frame around every page (login, sidebar selection, navigation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import data
import formatting as fmt
import session
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from spatz.model import ROLE_LABELS
from spatz.model.user import MAX_NAME_LENGTH
from spatz.services.auth import Permission
from spatz.services.users import MAX_PASSWORD_LENGTH

PAGES = Path(__file__).parent / "views"
"""The pages. Not in a folder named ``pages``: Streamlit takes that for its old multipage
layout and, in the first run of a fresh server, runs a linked page without this frame."""
ACCESSIBILITY = "accessibility.py"
"""The Erklärung zur Barrierefreiheit: open to everybody, before the login too."""

st.set_page_config(
    page_title="SPATZ – Digitale Reife", page_icon=":material/monitoring:", layout="wide"
)
# Streamlit's page declares English; screen readers must read this one as German.
st.html(fmt.LANGUAGE_SCRIPT, unsafe_allow_javascript=True)


def login_page() -> None:
    st.title("SPATZ – Anmeldung")
    notice = session.login_notice()
    if notice:
        st.info(notice)
    with st.form("login"):
        name = st.text_input("Anmeldename", max_chars=MAX_NAME_LENGTH, autocomplete="username")
        password = st.text_input(
            "Passwort",
            type="password",
            max_chars=MAX_PASSWORD_LENGTH,
            autocomplete="current-password",
        )
        submitted = st.form_submit_button("Anmelden", type="primary")
    if submitted:
        message = session.sign_in(name, password)
        if message is None:
            st.rerun()
        st.error(fmt.plain(message))
    if session.single_sign_on_configured():
        st.divider()
        if st.user.is_logged_in:
            message = session.sign_in_sso(session.single_sign_on_name())
            if message is None:
                st.rerun()
            st.error(fmt.plain(message))
            st.button("Abmelden (Single Sign-on)", on_click=st.logout)
        else:
            st.button("Mit Single Sign-on anmelden", on_click=st.login)
    st.page_link(PAGES / ACCESSIBILITY, label="Erklärung zur Barrierefreiheit")


PAGES_AND_PERMISSIONS = [
    ("overview.py", "Überblick", ":material/dashboard:", Permission.view_overview),
    ("dimension.py", "Dimension", ":material/stairs:", Permission.view_detail),
    ("record.py", "Maßnahmen erfassen", ":material/edit_note:", Permission.record_measures),
    ("projects.py", "Projekte & Meilensteine", ":material/timeline:", Permission.view_detail),
    ("comparison.py", "Landesvergleich", ":material/leaderboard:", Permission.view_land),
    ("catalog.py", "Katalog", ":material/menu_book:", None),
    ("exchange.py", "Import & Export", ":material/swap_vert:", Permission.view_overview),
    ("audit.py", "Protokoll", ":material/history:", Permission.view_audit),
    (ACCESSIBILITY, "Barrierefreiheit", ":material/accessibility:", None),
]
"""Every page with the permission it needs (for the selected organisation, if it is about
one); an account sees only the pages it may use."""
ABOUT_AN_ORG = {Permission.view_overview, Permission.view_detail, Permission.record_measures}


def pages(allowed: Callable[[Permission | None], bool]) -> list[StreamlitPage]:
    return [
        st.Page(PAGES / file, title=title, icon=icon, default=i == 0)
        for i, (file, title, icon, permission) in enumerate(PAGES_AND_PERMISSIONS)
        if allowed(permission)
    ]


if session.current_actor() is None:
    # All pages are known (hidden), so that the page and the links' parameters asked for
    # are shown after the login.
    wanted = st.navigation(pages(lambda _: True), position="hidden")
    if wanted.url_path == Path(ACCESSIBILITY).stem:
        wanted.run()
        st.stop()
    login_page()
    st.stop()

actor = session.actor()
data.read_data_version()
orgs = data.organisations()
if orgs.empty:
    st.title("SPATZ")
    st.info("Noch keine Organisationen erfasst. Beispieldaten laden: `spatz demo`.")
    st.stop()

labels = {row.org: f"{row.name} ({row.org})" for row in orgs.itertuples()}
catalog_labels = {c.id: f"{c.name} ({c.id})" for c in data.catalogs()}
# The selection lives in the session state ("org", "catalog", "as_of"; pages read it
# there). A link may name the organisation (?org=KEY) and the catalog (?catalog=ID);
# otherwise the account's own or the most active organisation and the default catalog are
# shown. The sidebar's widgets have keys of their own, take their value from the selection
# and hand every change back to it, so that each change holds.
if st.session_state.get("org") not in labels:
    linked = st.query_params.get("org")
    st.session_state["org"] = linked if linked in labels else data.first_org()
if catalog_labels and st.session_state.get("catalog") not in catalog_labels:
    linked = st.query_params.get("catalog")
    st.session_state["catalog"] = linked if linked in catalog_labels else data.default_catalog()
if len(catalog_labels) > 1:
    # The catalog shown is part of the address, so that a link shows the same view.
    st.query_params["catalog"] = st.session_state["catalog"]
if not isinstance(st.session_state.get("as_of"), dt.date):
    st.session_state["as_of"] = data.data_as_of()
SIDEBAR_KEYS = {"org": "sidebar_org", "catalog": "sidebar_catalog", "as_of": "sidebar_as_of"}
for key, widget_key in SIDEBAR_KEYS.items():
    st.session_state[widget_key] = st.session_state.get(key)


def keep(key: str) -> None:
    """Take the sidebar widget's new value into the selection."""
    st.session_state[key] = st.session_state[SIDEBAR_KEYS[key]]


with st.sidebar:
    st.markdown("### SPATZ")
    st.selectbox(
        "Organisation",
        options=list(labels),
        format_func=labels.__getitem__,
        key=SIDEBAR_KEYS["org"],
        on_change=keep,
        args=("org",),
    )
    if len(catalog_labels) > 1:
        st.selectbox(
            "Katalog",
            options=list(catalog_labels),
            format_func=catalog_labels.__getitem__,
            help="Der Katalog, nach dem die Seiten die Reife zeigen.",
            key=SIDEBAR_KEYS["catalog"],
            on_change=keep,
            args=("catalog",),
        )
    st.date_input(
        "Stichtag",
        format="DD.MM.YYYY",
        help="Zeigt die Verwaltung, wie sie an diesem Tag stand. Voreingestellt ist der "
        "Datenstand (das letzte erfasste Ereignis, höchstens heute).",
        key=SIDEBAR_KEYS["as_of"],
        on_change=keep,
        args=("as_of",),
    )
    st.caption(f"Angemeldet: {fmt.plain(actor.name)} ({ROLE_LABELS[actor.role]})")
    if st.button("Abmelden", icon=":material/logout:"):
        session.sign_out()
        st.rerun()

org = st.session_state["org"]


def allowed(permission: Permission | None) -> bool:
    if permission is None:
        return True
    return session.can(permission, org if permission in ABOUT_AN_ORG else None)


page = st.navigation(pages(allowed))
for notice in data.notices(org):
    st.info(notice, icon=":material/info:")
page.run()
