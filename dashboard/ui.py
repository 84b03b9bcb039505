"""Shared pieces of the dashboard: login, the store, cached reads, German formats, colours.

Pages import this module, read the sidebar's selection and render; they never open
sessions or write SQL themselves. Every read and write goes through a store acting for the
logged-in account, so the services check its permissions.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

import spatz
from spatz.catalog import Catalog
from spatz.config import database_url
from spatz.errors import SpatzError
from spatz.io.reader import Table
from spatz.model import MeasureEventCreate, TargetCreate, TargetPublic
from spatz.model.common import local_time
from spatz.services.auth import Permission, allows
from spatz.services.common import Actor, ImportSummary
from spatz.services.users import LogoutReason
from spatz.store import login, login_single_sign_on, logout, session_problem

# Okabe–Ito: distinguishable with every common form of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
IST_COLOUR = "#0072B2"
SOLL_COLOUR = "#E69F00"

TARGET_STATUS_LABELS = {
    "achieved": "erreicht",
    "on_track": "im Plan",
    "at_risk": "gefährdet",
    "overdue": "überfällig",
}


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")
WORD_JOINER = "\u2060"
"""An invisible character that keeps bare URLs and e-mail addresses from becoming links."""
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=w)(?=ww\.)|(?=@)", re.IGNORECASE)
"""Where a word joiner breaks GitHub Flavored Markdown's autolink literals: after the colon
of ``scheme://``, inside ``www.``, before the ``@`` of an e-mail address. Backslash escapes
cannot: autolink literals are found in the text after the escapes are resolved."""


def plain(text: object) -> str:
    """Text for an element that renders Markdown (titles, captions, messages), with every
    character escaped that Markdown or Streamlit's colour and emoji syntax would interpret,
    and bare URLs and e-mail addresses kept from becoming links: user-entered names and
    values show exactly as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


def chart_text(values: pd.Series) -> pd.Series:
    """User text for chart labels and hover texts: Plotly reads a few HTML tags there
    (``<b>``, ``<a href>`` …); escaped, the text shows as typed."""
    return values.astype("str").map(lambda text: html.escape(text, quote=False))


SESSION_IDLE = 30 * 60
"""Seconds without any interaction after which a login expires."""
SESSION_MAX = 10 * 60 * 60
"""Seconds after which a login expires in any case (a working day)."""


def current_actor() -> Actor | None:
    """The logged-in account, or ``None`` (also when its session has expired: then
    :func:`login_notice` says so)."""
    actor: Actor | None = st.session_state.get("actor")
    if actor is None:
        return None
    now = time.time()
    since = st.session_state.get("login_since", 0.0)
    seen = st.session_state.get("login_seen", 0.0)
    if now - seen > SESSION_IDLE or now - since > SESSION_MAX:
        sign_out(reason="expired")
        st.session_state["login_notice"] = "Die Sitzung ist abgelaufen; bitte neu anmelden."
        return None
    problem = session_problem(database_url(), actor)
    if problem is not None:
        sign_out(reason="account_changed")
        st.session_state["login_notice"] = problem
        return None
    st.session_state["login_seen"] = now
    return actor


def _start_session(actor: Actor) -> None:
    st.session_state["actor"] = actor
    st.session_state["login_since"] = st.session_state["login_seen"] = time.time()
    st.session_state.pop("login_notice", None)


def sign_in(name: str, password: str) -> str | None:
    """Log in with a local account; the message if that failed (failures count towards the
    account's lockout and are in the audit log)."""
    outcome = login(database_url(), name.strip(), password)
    if outcome.actor is None:
        return outcome.message
    _start_session(outcome.actor)
    return None


def sign_in_sso(name: str) -> str | None:
    """Log in the account that single sign-on named; the message if there is none."""
    outcome = login_single_sign_on(database_url(), name)
    if outcome.actor is None:
        return outcome.message
    _start_session(outcome.actor)
    return None


def single_sign_on_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` configures an OpenID Connect provider ([auth])."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def single_sign_on_name() -> str:
    """The account name single sign-on stands for: the e-mail address the provider gives."""
    return str(st.user.get("email") or "")


def sign_out(*, reason: LogoutReason = "user") -> None:
    """End the session (logged with ``reason``); a session the user ends, or whose account
    changed, ends at the single sign-on provider too."""
    actor: Actor | None = st.session_state.get("actor")
    for key in ("actor", "login_since", "login_seen", "org"):
        st.session_state.pop(key, None)
    if actor is not None:
        logout(database_url(), actor, reason=reason)
    if reason != "expired" and single_sign_on_configured() and st.user.is_logged_in:
        st.logout()


def login_notice() -> str | None:
    notice: str | None = st.session_state.get("login_notice")
    return notice


def actor() -> Actor:
    """The logged-in account (the frame has checked that there is one)."""
    result: Actor = st.session_state["actor"]
    return result


def can(permission: Permission, org: str | None = None) -> bool:
    """Whether the logged-in account holds ``permission`` (for ``org``)."""
    return allows(actor(), permission, org)


@st.cache_data(ttl=60, show_spinner=False)
def _cached(url: str, who: Actor, method: str, *args: Any) -> Any:
    return getattr(_store(url, who), method)(*args)


def _read(method: str, *args: Any) -> Any:
    """A cached call of a Store method, keyed by the database URL, the account, the method
    and its arguments; :func:`after_write` forgets all of them.

    A read that SPATZ refuses (e.g. the catalog version in use lacks measures with recorded
    events) shows its message and ends the page, instead of a traceback."""
    try:
        return _cached(database_url(), actor(), method, *args)
    except SpatzError as error:
        st.error(plain(error))
        st.stop()


def _frame(method: str, *args: Any) -> pd.DataFrame:
    result: pd.DataFrame = _read(method, *args)
    return result


def store() -> spatz.Store:
    """The store of the database named by SPATZ_DATABASE_URL for the logged-in account."""
    return _store(database_url(), actor())


@st.cache_resource(max_entries=1000)
def _store(url: str, who: Actor) -> spatz.Store:
    return spatz.open(url, actor=who)


def catalog() -> Catalog:
    result: Catalog = _read("catalog")
    return result


def organisations() -> pd.DataFrame:
    return _frame("organisations")


def first_org() -> str:
    """The account's own organisation, else the one with the most recorded events: the
    natural first view."""
    own = actor().org
    keys = list(organisations()["org"])
    if own in keys:
        return str(own)
    activity = _frame("activity")
    if activity.empty:
        return str(keys[0])
    return str(activity.sort_values("events", kind="stable")["org"].iloc[-1])


def data_as_of() -> dt.date:
    """The default Stichtag: the Datenstand (:meth:`spatz.Store.stichtag`)."""
    result: dt.date = _read("stichtag")
    return result


def scores(as_of: dt.date) -> pd.DataFrame:
    return _frame("score", as_of)


def target_status(as_of: dt.date) -> pd.DataFrame:
    return _frame("target_status", as_of)


def monthly_trend(org: str, until: dt.date) -> pd.DataFrame:
    """Month-ends from the organisation's first event up to the Stichtag, plus the Stichtag."""
    activity = _frame("activity")
    own = activity[activity["org"] == org]
    if own.empty:
        return pd.DataFrame()
    start = own["first"].iloc[0]
    dates = [*pd.date_range(start, pd.Timestamp(until), freq="ME"), pd.Timestamp(until)]
    trend = _frame("trend", tuple(sorted(set(dates))))
    return trend[trend["org"] == org].reset_index(drop=True)


@dataclass(frozen=True)
class Selection:
    org: str
    org_name: str
    as_of: dt.date
    actor: Actor


def selection() -> Selection:
    """The organisation, Stichtag and acting user, as the frame (app.py) set them."""
    org = st.session_state["org"]
    names = dict(zip(organisations()["org"], organisations()["name"], strict=True))
    return Selection(
        org=org, org_name=names.get(org, org), as_of=st.session_state["as_of"], actor=actor()
    )


def after_write() -> None:
    """Forget every cached read, so that all pages show what was just written."""
    st.cache_data.clear()


def rows_by(frame: pd.DataFrame, column: str) -> dict[str, dict[str, Any]]:
    """A frame as plain dicts keyed by one column (for pages that look rows up by id)."""
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    return {str(record[column]): record for record in records}


def fmt_date(value: dt.date | pd.Timestamp | None) -> str:
    if value is None or pd.isna(value):
        return ""
    return value.strftime("%d.%m.%Y")


def fmt_number(value: float, decimals: int = 2) -> str:
    """German number format: decimal comma, dot for thousands."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


STATUS_LABELS = {
    "open": "offen",
    "planned": "geplant",
    "in_progress": "in Umsetzung",
    "completed": "umgesetzt",
    "not_applicable": "nicht relevant",
}


def explain(as_of: dt.date) -> pd.DataFrame:
    return _frame("explain", as_of)


def roadmap(org: str, dimension_id: str, as_of: dt.date) -> pd.DataFrame:
    return _frame("roadmap", org, dimension_id, as_of)


def history(org: str) -> pd.DataFrame:
    """Every event of the organisation with who recorded it, newest first."""
    return _frame("history", org)


def state_details(org: str, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """Per measure the recorded event that is its state at the Stichtag (note, evidence,
    who recorded it)."""
    details = _frame("state_details", as_of)
    return rows_by(details[details["org"] == org], "measure_id")


def projects(orgs: tuple[str, ...]) -> pd.DataFrame:
    rows = [p.model_dump() for org in orgs for p in _read("projects", org)]
    frame = pd.DataFrame(
        rows,
        columns=[
            "org",
            "business_unit",
            "responsible",
            "name",
            "description",
            "start",
            "end",
            "measures",
        ],
    )
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def milestones(orgs: tuple[str, ...]) -> pd.DataFrame:
    rows = [m.model_dump() for org in orgs for m in _read("milestones", org)]
    frame = pd.DataFrame(
        rows, columns=["org", "title", "due", "due_label", "done_date", "measures"]
    )
    for column in ("due", "done_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def land_rows(as_of: dt.date) -> pd.DataFrame:
    """Levels of every own organisation in the Land export format."""
    return _frame("land_export", as_of)


def comparison_rows(as_of: dt.date) -> pd.DataFrame:
    """Own organisations at the Stichtag plus imported Land exports of other organisations
    (their latest Stichtag up to ours, same catalog): one row per organisation and
    dimension."""
    rows = _frame("land_comparison", as_of)
    rows = rows[(rows["catalog_id"] == catalog().id) & (rows["as_of"] <= pd.Timestamp(as_of))]
    rows = rows.sort_values("as_of", kind="stable")
    return rows.drop_duplicates(["org", "dimension_id"], keep="last").reset_index(drop=True)


def workbook(as_of: dt.date) -> bytes:
    """The XLSX export of all organisations at the Stichtag."""
    result: bytes = _read("workbook_bytes", as_of)
    return result


def run_import(kind: str, table: Table, org: str, *, dry_run: bool) -> ImportSummary:
    """Check (``dry_run``) or import a table through the same service as the CLI."""
    return store().import_table(kind, table, org=org, dry_run=dry_run)


def report(org: str, as_of: dt.date) -> str:
    result: str = _read("report", org, as_of)
    return result


def report_pdf(org: str, as_of: dt.date) -> bytes:
    """The report for the Stadtrat as an A4 PDF."""
    result: bytes = _read("report_pdf", org, as_of)
    return result


def record(event: MeasureEventCreate, expected_last_id: int | None) -> None:
    """Record a status change through the service; refuses if somebody else was faster."""
    store().record_event(event, expected_last_id=expected_last_id)


def target(org: str, dimension_id: str) -> TargetPublic | None:
    """The target in force, read fresh: its id is the version the edit is checked against."""
    return store().target(org, dimension_id)


def set_target(target: TargetCreate, expected_id: int | None) -> None:
    """Set a target through the service; refuses if somebody else changed it meanwhile."""
    store().set_target(target, expected_id=expected_id)


def audit_log() -> pd.DataFrame:
    """The newest entries of the audit log the account may see."""
    return store().audit()


def level_of(org: str, dimension_id: str, as_of: dt.date) -> int:
    levels = scores(as_of)
    row = levels[(levels["org"] == org) & (levels["dimension_id"] == dimension_id)]
    return int(row["level"].iloc[0]) if len(row) else 0


def fmt_timestamp(value: pd.Timestamp) -> str:
    """A stored (UTC) timestamp in German local time."""
    return local_time(value.to_pydatetime()).strftime("%d.%m.%Y %H:%M")
