"""The dashboard's reads and writes: one store per logged-in account, cached typed reads.

Pages read the sidebar's selection and call these functions; they never open sessions or
write SQL themselves. Every read and write goes through a store acting for the logged-in
account, so the services check its permissions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd
import streamlit as st
from formatting import plain
from session import actor

import spatz
from spatz.catalog import Catalog
from spatz.config import accessibility_contact as configured_contact
from spatz.config import database_url
from spatz.errors import SpatzError
from spatz.io.reader import Table
from spatz.land import Grouping, compared
from spatz.model import (
    MeasureEventCreate,
    MilestonePublic,
    ProjectPublic,
    TargetCreate,
    TargetPublic,
)
from spatz.scoring import month_ends
from spatz.services.catalogs import CatalogInfo
from spatz.services.common import Actor, ImportSummary
from spatz.services.land import LandView

_P = ParamSpec("_P")
_R = TypeVar("_R")
MAX_ENTRIES = 100
"""Results each cached read keeps (the oldest go first): entries of an older data version
are never asked for again, so this bounds the memory."""
VERSION_KEY = "data_version"
"""Where the session state keeps the data version of the current run."""


@st.cache_resource(max_entries=1000)
def _store(url: str, who: Actor, catalog_id: str | None = None) -> spatz.Store:
    return spatz.open(url, catalog_id=catalog_id, actor=who)


def selected_catalog() -> str | None:
    """The id of the catalog the sidebar selected (``None``: the default catalog)."""
    chosen: str | None = st.session_state.get("catalog")
    return chosen


def store() -> spatz.Store:
    """The store of the database named by SPATZ_DATABASE_URL for the logged-in account, in
    the selected catalog."""
    return _store(database_url(), actor(), selected_catalog())


def data_version() -> str:
    """The data version of this run (:meth:`spatz.Store.data_version`), read once per run
    by :func:`read_data_version`: every cached read is keyed by it, so a result is kept as
    long as the data is unchanged and recomputed after any write, also one of another
    process."""
    version: str | None = st.session_state.get(VERSION_KEY)
    return version if version is not None else read_data_version()


def read_data_version() -> str:
    """Read the data version afresh for the rest of the run (the frame calls this at the
    start of every run, :func:`after_write` after a write)."""
    version = _or_message(lambda: _store(database_url(), actor()).data_version())
    st.session_state[VERSION_KEY] = version
    return version


def _or_message(call: Callable[[], _R]) -> _R:
    """``call()``; if SPATZ refuses it (e.g. the catalog version in use lacks measures with
    recorded events), its message ends the page instead of a traceback."""
    try:
        return call()
    except SpatzError as error:
        st.error(plain(error))
        st.stop()


def _shown(
    read: Callable[Concatenate[str, Actor, str, _P], _R], *args: _P.args, **kwargs: _P.kwargs
) -> _R:
    """A cached read for the database URL, the logged-in account and the data version."""
    return _or_message(lambda: read(database_url(), actor(), data_version(), *args, **kwargs))


def _in_catalog(
    read: Callable[Concatenate[str, Actor, str, str | None, _P], _R],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> _R:
    """:func:`_shown` for a read of the selected catalog (cached per catalog)."""
    return _shown(read, selected_catalog(), *args, **kwargs)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _catalog(url: str, who: Actor, version: str, catalog_id: str | None) -> Catalog:
    return _store(url, who, catalog_id).catalog()


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _catalogs(url: str, who: Actor, version: str) -> list[CatalogInfo]:
    return _store(url, who).catalogs()


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _organisations(url: str, who: Actor, version: str) -> pd.DataFrame:
    return _store(url, who).organisations()


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _activity(
    url: str, who: Actor, version: str, catalog_id: str | None, org: str | None = None
) -> pd.DataFrame:
    return _store(url, who, catalog_id).activity(org=org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _stichtag(url: str, who: Actor, version: str, catalog_id: str | None) -> dt.date:
    return _store(url, who, catalog_id).stichtag()


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _score(
    url: str, who: Actor, version: str, catalog_id: str | None, as_of: dt.date, org: str | None
) -> pd.DataFrame:
    return _store(url, who, catalog_id).score(as_of, org=org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _target_status(
    url: str, who: Actor, version: str, catalog_id: str | None, as_of: dt.date, org: str | None
) -> pd.DataFrame:
    return _store(url, who, catalog_id).target_status(as_of, org=org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _trend(
    url: str,
    who: Actor,
    version: str,
    catalog_id: str | None,
    dates: tuple[pd.Timestamp, ...],
    org: str,
) -> pd.DataFrame:
    return _store(url, who, catalog_id).trend(dates, org=org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _explain(
    url: str, who: Actor, version: str, catalog_id: str | None, as_of: dt.date, org: str | None
) -> pd.DataFrame:
    return _store(url, who, catalog_id).explain(as_of, org=org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _roadmap(
    url: str,
    who: Actor,
    version: str,
    catalog_id: str | None,
    org: str,
    dimension_id: str,
    as_of: dt.date,
) -> pd.DataFrame:
    return _store(url, who, catalog_id).roadmap(org, dimension_id, as_of)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _history(url: str, who: Actor, version: str, catalog_id: str | None, org: str) -> pd.DataFrame:
    return _store(url, who, catalog_id).history(org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _notices(url: str, who: Actor, version: str, catalog_id: str | None, org: str) -> list[str]:
    return _store(url, who, catalog_id).notices(org=org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _state_details(
    url: str, who: Actor, version: str, catalog_id: str | None, as_of: dt.date, org: str
) -> pd.DataFrame:
    return _store(url, who, catalog_id).state_details(as_of, org=org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _projects(url: str, who: Actor, version: str, org: str) -> list[ProjectPublic]:
    return _store(url, who).projects(org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _milestones(url: str, who: Actor, version: str, org: str) -> list[MilestonePublic]:
    return _store(url, who).milestones(org)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _land_export(
    url: str, who: Actor, version: str, catalog_id: str | None, as_of: dt.date
) -> pd.DataFrame:
    return _store(url, who, catalog_id).land_export(as_of)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _land_view(
    url: str,
    who: Actor,
    version: str,
    catalog_id: str | None,
    org: str,
    as_of: dt.date,
    by: Grouping | None,
) -> LandView:
    return _store(url, who, catalog_id).land_view(org, as_of, by=by)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _position(
    url: str, who: Actor, version: str, catalog_id: str | None, org: str, as_of: dt.date
) -> pd.DataFrame:
    return _store(url, who, catalog_id).position(org, as_of)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _adopters(
    url: str, who: Actor, version: str, catalog_id: str | None, measure_id: str, as_of: dt.date
) -> pd.DataFrame:
    return _store(url, who, catalog_id).adopters(measure_id, as_of)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _workbook(url: str, who: Actor, version: str, catalog_id: str | None, as_of: dt.date) -> bytes:
    return _store(url, who, catalog_id).workbook_bytes(as_of)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _report(
    url: str, who: Actor, version: str, catalog_id: str | None, org: str, as_of: dt.date
) -> str:
    return _store(url, who, catalog_id).report(org, as_of)


def catalog(catalog_id: str | None = None) -> Catalog:
    """The catalog ``catalog_id`` (newest version), else the selected one."""
    return _shown(_catalog, catalog_id or selected_catalog())


def catalogs() -> list[CatalogInfo]:
    """The loaded catalogs, one per id, in the order first loaded."""
    return _shown(_catalogs)


def default_catalog() -> str:
    """The id of the catalog the library uses when none is named: the preselection."""
    return _shown(_catalog, None).id


def catalog_scores(catalog_id: str, as_of: dt.date, org: str) -> pd.DataFrame:
    """:func:`scores` of ``org`` in the catalog ``catalog_id`` instead of the selected one."""
    return _shown(_score, catalog_id, as_of, org)


def organisations() -> pd.DataFrame:
    return _shown(_organisations)


def first_org() -> str:
    """The account's own organisation, else the one with the most recorded events: the
    natural first view."""
    own = actor().org
    keys = list(organisations()["org"])
    if own in keys:
        return str(own)
    activity = _in_catalog(_activity)
    if activity.empty:
        return str(keys[0])
    return str(activity.sort_values("events", kind="stable")["org"].iloc[-1])


def data_as_of() -> dt.date:
    """The default Stichtag: the Datenstand (:meth:`spatz.Store.stichtag`)."""
    return _in_catalog(_stichtag)


def scores(as_of: dt.date, org: str | None = None) -> pd.DataFrame:
    """Levels and scores at the Stichtag (of ``org`` only, if given: only its events are
    read)."""
    return _in_catalog(_score, as_of, org)


def target_status(as_of: dt.date, org: str | None = None) -> pd.DataFrame:
    return _in_catalog(_target_status, as_of, org)


def monthly_trend(org: str, until: dt.date) -> pd.DataFrame:
    """Month-ends from the organisation's first event up to the Stichtag, plus the Stichtag."""
    own = _in_catalog(_activity, org)
    if own.empty:
        return pd.DataFrame()
    trend = _in_catalog(_trend, tuple(month_ends(own["first"].iloc[0], until)), org)
    return trend.reset_index(drop=True)


@dataclass(frozen=True)
class Selection:
    org: str
    org_name: str
    as_of: dt.date
    actor: Actor


def selection() -> Selection:
    """The organisation, Stichtag and acting user, as the frame (app.py) set them."""
    org = st.session_state["org"]
    orgs = organisations()
    names = dict(zip(orgs["org"], orgs["name"], strict=True))
    return Selection(
        org=org, org_name=names.get(org, org), as_of=st.session_state["as_of"], actor=actor()
    )


def after_write() -> None:
    """Read the data version again, so that the rest of the run and every page show what
    was just written (the cached reads are keyed by the version)."""
    read_data_version()


def rows_by(frame: pd.DataFrame, column: str) -> dict[str, dict[str, Any]]:
    """A frame as plain dicts keyed by one column (for pages that look rows up by id)."""
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    return {str(record[column]): record for record in records}


def explain(as_of: dt.date, org: str | None = None) -> pd.DataFrame:
    return _in_catalog(_explain, as_of, org)


def roadmap(org: str, dimension_id: str, as_of: dt.date) -> pd.DataFrame:
    return _in_catalog(_roadmap, org, dimension_id, as_of)


def history(org: str) -> pd.DataFrame:
    """Every event of the organisation in the selected catalog with who recorded it,
    newest first."""
    return _in_catalog(_history, org)


def notices(org: str) -> list[str]:
    """What the selected catalog's reads about ``org`` leave out (events and targets that
    its version does not contain), as German sentences."""
    return _in_catalog(_notices, org)


def state_details(org: str, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """Per measure the recorded event that is its state at the Stichtag (note, evidence,
    who recorded it)."""
    return rows_by(_in_catalog(_state_details, as_of, org), "measure_id")


def projects(orgs: tuple[str, ...]) -> pd.DataFrame:
    rows = [p.model_dump() for org in orgs for p in _shown(_projects, org)]
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
    rows = [m.model_dump() for org in orgs for m in _shown(_milestones, org)]
    frame = pd.DataFrame(
        rows, columns=["org", "title", "due", "due_label", "done_date", "measures"]
    )
    for column in ("due", "done_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def land_rows(as_of: dt.date) -> pd.DataFrame:
    """Levels of every own organisation in the Land export format."""
    return _in_catalog(_land_export, as_of)


def land_view(org: str, as_of: dt.date, by: Grouping | None = None) -> LandView:
    """What the Landesvergleich shows, from one scoring (:meth:`spatz.Store.land_view`), in
    the catalog in use. Its rows are the compared organisations: own organisations at the
    Stichtag plus imported Land exports of others (their latest Stichtag up to ours), one
    row per organisation and dimension; organisational units are not compared, and a Land
    is the one comparing, not one of the compared Kommunen (it records no measures of its
    own). The summary and the position are of the catalog in use too."""
    view = _in_catalog(_land_view, org, as_of, by)
    rows = view.rows
    rows = rows[(rows["catalog_id"] == catalog().id) & (rows["as_of"] <= pd.Timestamp(as_of))]
    summary = view.summary[view.summary["catalog_id"] == catalog().id]
    position = view.position[view.position["catalog_id"] == catalog().id]
    return LandView(compared(rows).reset_index(drop=True), summary, position)


def position(org: str, as_of: dt.date) -> pd.DataFrame:
    """:meth:`spatz.Store.position`: where the organisation stands per dimension."""
    return _in_catalog(_position, org, as_of)


def adopters(measure_id: str, as_of: dt.date) -> pd.DataFrame:
    """:meth:`spatz.Store.adopters`: who has done the measure and may be named."""
    return _in_catalog(_adopters, measure_id, as_of)


def workbook(as_of: dt.date) -> bytes:
    """The XLSX export of all organisations at the Stichtag."""
    return _in_catalog(_workbook, as_of)


def report(org: str, as_of: dt.date) -> str:
    return _in_catalog(_report, org, as_of)


def report_pdf(org: str, as_of: dt.date) -> bytes:
    """The report for the Stadtrat as an A4 PDF (not cached: made on request only, and a
    PDF is large)."""
    return _or_message(lambda: store().report_pdf(org, as_of))


def import_land(files: list[tuple[str, bytes]], *, dry_run: bool) -> list[ImportSummary]:
    """Check (``dry_run``) or import Land exports of other Kommunen (name and content)."""
    return store().import_land(files, dry_run=dry_run)


def run_import(kind: str, table: Table, org: str, *, dry_run: bool) -> ImportSummary:
    """Check (``dry_run``) or import a table through the same service as the CLI."""
    return store().import_table(kind, table, org=org, dry_run=dry_run)


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
    levels = scores(as_of, org)
    row = levels[levels["dimension_id"] == dimension_id]
    return int(row["level"].iloc[0]) if len(row) else 0


def accessibility_contact() -> str | None:
    """Where people report barriers, as the operator set it (``SPATZ_ACCESSIBILITY_CONTACT``)."""
    return configured_contact()
