"""A SPATZ database for analysts and the dashboard: ``spatz.open(url)``.

Every method opens its own short session (one unit of work); frames are read column-wise in
one query, never row by row through ORM objects. Writes go through :mod:`spatz.services`
with the acting user.

A store acts for one :class:`~spatz.services.common.Actor`: every method checks the actor's
permission (:mod:`spatz.services.auth`) and returns only the organisations in its scope.
Without an actor it acts for the operator (``admin``): whoever holds the database URL can
read everything anyway. The dashboard opens one store per logged-in account.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
from collections.abc import Callable, Iterable
from typing import Concatenate, Literal, ParamSpec, TypeVar

import pandas as pd
from sqlmodel import Session

from spatz import scoring
from spatz.catalog import OVERALL, Catalog
from spatz.config import database_url
from spatz.db import make_engine, schema_is_current, session_scope
from spatz.errors import CatalogGapError, NotFoundError, SpatzError
from spatz.io.land import LAND_COLUMNS, empty_land_frame, typed_land_frame
from spatz.io.reader import Table
from spatz.io.report import report_html
from spatz.io.xlsx import MILESTONES, PROJECTS, WorkbookData, workbook_xlsx
from spatz.land import MIN_GROUP, Grouping, land_summary, position
from spatz.model import (
    MeasureEventCreate,
    MeasureEventPublic,
    MilestonePublic,
    ProjectPublic,
    TargetCreate,
    TargetPublic,
)
from spatz.model.common import BERLIN
from spatz.queries.events import events_frame
from spatz.services.audit import AUDIT_COLUMNS, list_audit
from spatz.services.auth import Permission, authorize
from spatz.services.catalogs import catalog_gaps, get_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.land import catalog_lookup, imported_land_frame
from spatz.services.organisations import import_organisations, list_organisations
from spatz.services.planning import linked_due_dates, with_planned_due_dates
from spatz.services.progress import import_progress, list_events, record_event
from spatz.services.projects import (
    import_milestones,
    import_projects,
    list_milestones,
    list_projects,
)
from spatz.services.states import state_details
from spatz.services.targets import import_targets, set_target, target_in_force, targets_frame
from spatz.services.users import LoginOutcome, LogoutReason
from spatz.services.users import login as login_user
from spatz.services.users import login_single_sign_on as login_sso
from spatz.services.users import logout as end_session
from spatz.services.users import session_problem as account_session_problem

DateLike = str | dt.date | pd.Timestamp

IMPORTERS: dict[str, Callable[..., ImportSummary]] = {
    "organisations": import_organisations,
    "progress": import_progress,
    "targets": import_targets,
    "projects": import_projects,
    "milestones": import_milestones,
}
"""The imports by kind; ``projects`` and ``milestones`` belong to one organisation."""

ORGANISATION_COLUMNS = ["org", "name", "kind", "land", "ags", "parent", "version"]
HISTORY_COLUMNS = [
    "id",
    "measure_id",
    "status",
    "date",
    "due_date",
    "note",
    "evidence",
    "recorded_by",
    "recorded_at",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _catalog_checked(
    method: Callable[Concatenate[Store, _P], _R],
) -> Callable[Concatenate[Store, _P], _R]:
    """Scoring with the catalog in use: when it fails because that version lacks measures
    with recorded events (or dimensions with targets), say so in a
    :class:`~spatz.errors.CatalogGapError`. The check runs only after a failure."""

    @functools.wraps(method)
    def checked(store: Store, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(store, *args, **kwargs)
        except (scoring.EventsError, scoring.TargetsError):
            catalog = store.catalog()
            with Session(store.engine) as session:
                gaps = catalog_gaps(session, catalog)
            if gaps:
                raise CatalogGapError(catalog.key, gaps.measures, gaps.dimensions) from None
            raise

    return checked


class Store:
    """Access to one database for ``actor`` (default: the operator, see the module).
    ``catalog_id`` selects the catalog (default: the version loaded last)."""

    def __init__(
        self, url: str | None = None, *, catalog_id: str | None = None, actor: Actor | None = None
    ) -> None:
        self.url = database_url(url)
        self.engine = make_engine(self.url)
        if not schema_is_current(self.engine):
            raise SpatzError(
                f"Die Datenbank {self.engine.url.render_as_string(hide_password=True)} ist "
                "nicht eingerichtet oder veraltet: bitte zuerst `spatz init` ausführen"
            )
        self.catalog_id = catalog_id
        self.actor = actor or Actor.operator(getpass.getuser())

    def _require(self, permission: Permission, org: str | None = None) -> None:
        authorize(self.actor, permission, org)

    def _in_scope(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` about organisations (column ``org``) in the actor's scope."""
        if self.actor.scope is None:
            return frame
        return frame[frame["org"].isin(self.actor.scope)].reset_index(drop=True)

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def catalog(self, id: str | None = None) -> Catalog:
        """A stored catalog: ``ID`` or ``ID@VERSION``; default the one in use."""
        with Session(self.engine) as session:
            return get_catalog(session=session, ref=id or self.catalog_id)

    def organisations(self) -> pd.DataFrame:
        """The organisations the actor may see: org, name, kind, land, ags, parent (keys),
        version, sorted by org."""
        with Session(self.engine) as session:
            orgs = list_organisations(session=session, actor=self.actor)
        rows = [(o.key, o.name, o.kind.value, o.land, o.ags, o.parent, o.version) for o in orgs]
        return pd.DataFrame(rows, columns=ORGANISATION_COLUMNS)

    def events(self) -> pd.DataFrame:
        """The measure events of the catalog in use, in the format :func:`spatz.score` reads."""
        self._require(Permission.view_detail)
        return self._events()

    def _events(self) -> pd.DataFrame:
        catalog = self.catalog()
        with self.engine.connect() as conn:
            return self._in_scope(events_frame(conn, catalog_key=catalog.id))

    def activity(self) -> pd.DataFrame:
        """Per organisation in scope with recorded events: org, events (count), first and
        last event date; sorted by org. Counts and dates only, no measure detail."""
        self._require(Permission.view_overview)
        events = self._events()
        grouped = events.groupby("org", sort=True)["date"]
        return pd.DataFrame(
            {"events": grouped.size(), "first": grouped.min(), "last": grouped.max()}
        ).reset_index()

    def targets(self) -> pd.DataFrame:
        """The targets in force: org, dimension_id, target_level, target_date."""
        self._require(Permission.view_overview)
        catalog = self.catalog()
        with self.engine.connect() as conn:
            return self._in_scope(targets_frame(conn, catalog_key=catalog.id))

    @_catalog_checked
    def score(self, as_of: DateLike | None = None) -> pd.DataFrame:
        """Levels and scores at the Stichtag ``as_of`` (default today); see :func:`spatz.score`."""
        self._require(Permission.view_overview)
        return scoring.score(self.catalog(), self._events(), as_of)

    @_catalog_checked
    def trend(self, dates: Iterable[DateLike]) -> pd.DataFrame:
        """:meth:`score` for each date, computed in one pass."""
        self._require(Permission.view_overview)
        return scoring.trend(self.catalog(), self._events(), dates)

    @_catalog_checked
    def explain(self, as_of: DateLike | None = None) -> pd.DataFrame:
        """The state of every (organisation, measure) at the Stichtag."""
        return scoring.explain(self.catalog(), self.events(), as_of)

    @_catalog_checked
    def roadmap(self, org: str, dimension_id: str, as_of: DateLike | None = None) -> pd.DataFrame:
        """The open measures between the organisation and its next level (up to its target)."""
        self._require(Permission.view_detail, org)
        targets = self.targets()
        wanted = targets[(targets["org"] == org) & (targets["dimension_id"] == dimension_id)]
        target_level = int(wanted["target_level"].iloc[0]) if len(wanted) else None
        return scoring.roadmap(
            self.catalog(), self._planned_events(), org, dimension_id, as_of, target_level
        )

    @_catalog_checked
    def target_status(self, as_of: DateLike | None = None) -> pd.DataFrame:
        """For every target in force: achieved, overdue, on_track or at_risk at ``as_of``."""
        self._require(Permission.view_overview)
        return scoring.forecast(self.catalog(), self._planned_events(), self.targets(), as_of)

    @_catalog_checked
    def land_export(
        self, as_of: DateLike | None = None, orgs: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Rows of the Land export (:data:`spatz.io.land.LAND_COLUMNS`) at ``as_of``.

        Every organisation (or those named in ``orgs``) gets one row per dimension and one
        for ``overall``; an organisation without recorded measures stands at level 0.
        """
        catalog = self.catalog()
        stichtag = pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()
        organisations = self.organisations()
        if orgs is not None:
            wanted = list(dict.fromkeys(orgs))
            for org in wanted:
                self._require(Permission.view_overview, org)
            unknown = sorted(set(wanted) - set(organisations["org"]))
            if unknown:
                raise NotFoundError(f"Organisation(en) nicht gefunden: {', '.join(unknown)}")
            organisations = organisations[organisations["org"].isin(wanted)]
        scores = scoring.score(catalog, self._events(), stichtag)
        dims = [(d.id, d.name, len(d.measures)) for d in catalog.dimensions]
        dims.append((OVERALL, "Gesamt", sum(len(d.measures) for d in catalog.dimensions)))
        grid = pd.DataFrame(
            [
                (o, pos, dim_id, name, total)
                for o in organisations["org"]
                for pos, (dim_id, name, total) in enumerate(dims)
            ],
            columns=["org", "position", "dimension_id", "dimension", "total"],
        )
        rows = grid.merge(scores, on=["org", "dimension_id"], how="left")
        rows["level"] = rows["level"].fillna(0).astype("int64")
        rows["score"] = rows["score"].fillna(0.0)
        rows["measures_completed"] = rows["measures_completed"].fillna(0).astype("int64")
        rows["measures_total"] = rows["measures_total"].fillna(rows["total"]).astype("int64")
        targets = self.targets()
        rows = rows.merge(targets, on=["org", "dimension_id"], how="left")
        rows["target_level"] = rows["target_level"].astype("Int64")
        rows = rows.merge(
            organisations.rename(columns={"name": "organisation"}), on="org", how="left"
        )
        rows["catalog_id"] = catalog.id
        rows["catalog_version"] = catalog.version
        rows["as_of"] = stichtag
        rows = rows.sort_values(["org", "position"], kind="stable").reset_index(drop=True)
        return rows[LAND_COLUMNS]

    def history(self, org: str, measure_id: str | None = None) -> pd.DataFrame:
        """The events of one organisation (optionally one measure), newest first, with who
        recorded them: id, measure_id, status, date, due_date, note, evidence, recorded_by,
        recorded_at."""
        with Session(self.engine) as session:
            events = list_events(session=session, actor=self.actor, org=org, measure_id=measure_id)
        frame = pd.DataFrame(
            [e.model_dump(exclude={"org", "catalog_key"}) for e in events],
            columns=HISTORY_COLUMNS,
        )
        for column in ("date", "due_date"):
            frame[column] = pd.to_datetime(frame[column])
        return frame

    @_catalog_checked
    def report(self, org: str, as_of: DateLike | None = None) -> str:
        """The printable HTML report of one organisation (levels, targets, roadmap)."""
        self._require(Permission.view_detail, org)
        catalog = self.catalog()
        day = pd.Timestamp(as_of if as_of is not None else dt.date.today()).date()
        names = self.organisations().set_index("org")["name"]
        if org not in names.index:
            raise NotFoundError(f"Organisation {org!r} gibt es nicht")
        events = self._planned_events()
        scores = scoring.score(catalog, events, day)
        targets = scoring.forecast(catalog, events, self.targets(), day)
        levels = scores[scores["org"] == org]
        by_dim = dict(zip(levels["dimension_id"], levels["level"], strict=True))
        goal = targets[targets["org"] == org]
        wanted = dict(zip(goal["dimension_id"], goal["target_level"], strict=True))
        roadmaps = {
            d.id: scoring.roadmap(catalog, events, org, d.id, day, wanted.get(d.id))
            for d in catalog.dimensions
            if by_dim.get(d.id, 0) < catalog.n_levels
        }
        return report_html(
            catalog=catalog,
            org_name=str(names[org]),
            as_of=day,
            scores=levels,
            targets=goal,
            roadmaps=roadmaps,
        )

    def state_details(self, as_of: DateLike | None = None) -> pd.DataFrame:
        """Per organisation and measure the event that sets its state at ``as_of``, with note,
        evidence and who recorded it (:func:`spatz.services.states.state_details`)."""
        self._require(Permission.view_detail)
        day = pd.Timestamp(as_of if as_of is not None else dt.date.today()).date()
        with self.engine.connect() as conn:
            return self._in_scope(state_details(conn, catalog_key=self.catalog().id, as_of=day))

    def record_event(
        self,
        event: MeasureEventCreate,
        *,
        expected_last_id: int | Literal["any"] | None = "any",
    ) -> MeasureEventPublic:
        """Record one status change (see :func:`spatz.services.progress.record_event`)."""
        with session_scope(self.engine) as session:
            return record_event(
                session=session,
                actor=self.actor,
                event_in=event,
                expected_last_id=expected_last_id,
            )

    def import_table(
        self,
        kind: str,
        table: Table,
        *,
        org: str | None = None,
        dry_run: bool = False,
    ) -> ImportSummary:
        """Check (``dry_run``) or import a table of one of the :data:`IMPORTERS` kinds."""
        extra = {"org": org} if kind in ("projects", "milestones") else {}
        with session_scope(self.engine) as session:
            return IMPORTERS[kind](
                session=session, actor=self.actor, table=table, dry_run=dry_run, **extra
            )

    def workbook_bytes(
        self, as_of: DateLike | None = None, orgs: Iterable[str] | None = None
    ) -> bytes:
        """The XLSX export (sheets Übersicht, Maßnahmen, Verlauf, Projekte, Meilensteine)."""
        return workbook_xlsx(self.workbook(as_of, orgs))

    def projects(self, org: str) -> list[ProjectPublic]:
        with Session(self.engine) as session:
            return list_projects(session=session, actor=self.actor, org=org)

    def milestones(self, org: str) -> list[MilestonePublic]:
        with Session(self.engine) as session:
            return list_milestones(session=session, actor=self.actor, org=org)

    def imported_land(self) -> pd.DataFrame:
        """The comparison rows imported from other Land exports (``spatz land import``).

        The columns of the Land export (typed as :func:`spatz.read_land` returns them), then
        position (the dimension's place in its catalog), source (file name), recorded_by,
        recorded_at; sorted by org, catalog, Stichtag and catalog order.
        """
        self._require(Permission.view_land)
        with self.engine.connect() as conn:
            return imported_land_frame(conn)

    def land_comparison(
        self,
        as_of: DateLike | None = None,
        orgs: Iterable[str] | None = None,
        *,
        include_imported: bool = True,
    ) -> pd.DataFrame:
        """The own organisations' Land export rows at ``as_of`` and, with
        ``include_imported``, the imported rows of every organisation that is not one of
        the own ones, as stored (whatever their Stichtag).

        ``orgs`` selects organisations by key, own or imported. Sorted by org, catalog,
        Stichtag and catalog order: the order of the Land export, so that exporting the
        rows reproduces an imported file byte for byte. Columns
        :data:`~spatz.io.land.LAND_COLUMNS`.
        """
        self._require(Permission.view_land)
        own_keys = set(self.organisations()["org"])
        imported = self.imported_land() if include_imported else empty_land_frame()
        imported = imported[~imported["org"].isin(own_keys)]
        wanted: list[str] | None = None
        if orgs is not None:
            wanted = list(dict.fromkeys(orgs))
            unknown = sorted(set(wanted) - own_keys - set(imported["org"]))
            if unknown:
                raise NotFoundError(f"Organisation(en) nicht gefunden: {', '.join(unknown)}")
            imported = imported[imported["org"].isin(wanted)]
        own_wanted = None if wanted is None else [o for o in wanted if o in own_keys]
        parts: list[pd.DataFrame] = []
        if own_keys and own_wanted != []:
            own = typed_land_frame(self.land_export(as_of, own_wanted))
            parts.append(own.assign(position=own.groupby("org").cumcount()))
        if len(imported):
            parts.append(imported)
        if not parts:
            return empty_land_frame()
        rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        rows = rows.sort_values(["org", "catalog_id", "as_of", "position"], kind="stable")
        return typed_land_frame(rows).reset_index(drop=True)

    def land_summary(
        self,
        as_of: DateLike | None = None,
        *,
        by: Grouping | None = None,
        min_group: int = MIN_GROUP,
    ) -> pd.DataFrame:
        """:func:`spatz.land_summary` over the own organisations at ``as_of`` and the
        imported rows with a Stichtag on or before ``as_of`` (each organisation counts with
        its latest). The level columns run up to the highest level of the catalogs."""
        self._require(Permission.view_land)
        stichtag = pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()
        rows = self.land_comparison(stichtag)
        rows = rows[rows["as_of"] <= stichtag]
        pairs = rows[["catalog_id", "catalog_version"]].drop_duplicates()
        with Session(self.engine) as session:
            find = catalog_lookup(session)
            catalogs = [find(c, v) for c, v in pairs.itertuples(index=False)]
        levels = [c.n_levels for c in catalogs if c is not None]
        return land_summary(rows, by, min_group, n_levels=max(levels) if levels else None)

    @_catalog_checked
    def workbook(
        self, as_of: DateLike | None = None, orgs: Iterable[str] | None = None
    ) -> WorkbookData:
        """The data of the XLSX export (:func:`spatz.io.xlsx.workbook_xlsx`) at ``as_of``
        for ``orgs`` (default: every organisation the actor may see)."""
        self._require(Permission.view_detail)
        catalog = self.catalog()
        stichtag = pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()
        overview = self.land_export(stichtag, orgs)
        selected = list(dict.fromkeys(overview["org"]))
        names = dict(zip(overview["org"], overview["organisation"], strict=False))
        status = self.target_status(stichtag)[["org", "dimension_id", "status"]]
        overview = overview.merge(
            status.rename(columns={"status": "target_status"}),
            on=["org", "dimension_id"],
            how="left",
        )
        events = self._events()
        events = events[events["org"].isin(selected)]
        dim_names = {d.id: d.name for d in catalog.dimensions} | {OVERALL: "Gesamt"}
        with self.engine.connect() as conn:
            details = state_details(conn, catalog_key=catalog.id, as_of=stichtag.date())
        return WorkbookData(
            as_of=stichtag.date(),
            overview=overview,
            measures=_measure_states(catalog, events, details, selected, names, stichtag),
            trend=_monthly_trend(catalog, events, selected, names, dim_names, stichtag),
            projects=pd.DataFrame(
                [
                    p.model_dump() | {"organisation": names[o], "measures": " | ".join(p.measures)}
                    for o in selected
                    for p in self.projects(o)
                ],
                columns=[c.key for c in PROJECTS.columns],
            ),
            milestones=pd.DataFrame(
                [
                    m.model_dump() | {"organisation": names[o], "measures": " | ".join(m.measures)}
                    for o in selected
                    for m in self.milestones(o)
                ],
                columns=[c.key for c in MILESTONES.columns],
            ),
        )

    def target(self, org: str, dimension_id: str) -> TargetPublic | None:
        """The target in force for an organisation and dimension; its ``id`` is the
        version to pass to :meth:`set_target`."""
        with Session(self.engine) as session:
            return target_in_force(
                session=session, actor=self.actor, org=org, dimension_id=dimension_id
            )

    def set_target(self, target: TargetCreate, *, expected_id: int | None) -> TargetPublic:
        """Set a target (see :func:`spatz.services.targets.set_target`)."""
        with session_scope(self.engine) as session:
            return set_target(
                session=session, actor=self.actor, target=target, expected_id=expected_id
            )

    def audit(self, limit: int = 1000) -> pd.DataFrame:
        """The newest entries of the audit log the actor may see (``admin``: all,
        ``leitung``: its organisations): at (German time), actor, action, entity,
        entity_key, org, before, after (JSON)."""
        with Session(self.engine) as session:
            entries = list_audit(session=session, actor=self.actor, limit=limit)
        frame = pd.DataFrame([e.model_dump() for e in entries], columns=AUDIT_COLUMNS)
        frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(BERLIN)
        return frame

    def _planned_events(self) -> pd.DataFrame:
        events = self._events()
        with self.engine.connect() as conn:
            return with_planned_due_dates(events, linked_due_dates(conn))

    def position(self, org: str, as_of: DateLike | None = None) -> pd.DataFrame:
        """:func:`spatz.land.position` of ``org`` among all organisations :meth:`land_summary`
        evaluates at ``as_of``. Whoever sees the organisation's overview sees its position:
        the others show only as median and quartiles, suppressed in small groups."""
        self._require(Permission.view_overview, org)
        stichtag = pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()
        everyone = self if self.actor.scope is None else Store(self.url, catalog_id=self.catalog_id)
        rows = everyone.land_comparison(stichtag)
        return position(rows[rows["as_of"] <= stichtag], org)


def _measure_states(
    catalog: Catalog,
    events: pd.DataFrame,
    details: pd.DataFrame,
    orgs: list[str],
    names: dict[str, str],
    stichtag: pd.Timestamp,
) -> pd.DataFrame:
    """Every measure of every organisation: its state at the Stichtag (open where nothing
    was recorded) and what was written down with the event behind it."""
    measures = pd.DataFrame(
        [(d.name, m.level, m.id, m.title, m.mandatory) for d, m in catalog.measures()],
        columns=["dimension", "level", "measure_id", "title", "mandatory"],
    )
    grid = pd.DataFrame({"org": pd.Series(orgs, dtype="str")}).merge(measures, how="cross")
    states = scoring.explain(catalog, events, stichtag)[
        ["org", "measure_id", "status", "date", "done", "expires"]
    ]
    rows = grid.merge(states, on=["org", "measure_id"], how="left")
    rows["status"] = rows["status"].fillna("open")
    rows["done"] = rows["done"].fillna(False).astype(bool)
    rows = rows.merge(details.drop(columns=["date"]), on=["org", "measure_id"], how="left")
    rows["recorded_at"] = rows["recorded_at"].dt.tz_convert(BERLIN)
    rows["organisation"] = rows["org"].map(names)
    return rows


def _monthly_trend(
    catalog: Catalog,
    events: pd.DataFrame,
    orgs: list[str],
    names: dict[str, str],
    dim_names: dict[str, str],
    stichtag: pd.Timestamp,
) -> pd.DataFrame:
    """The score at every month's end from the first event to the Stichtag (and at the
    Stichtag itself), one column per date; organisations without events stand at 0."""
    first = events["date"].min() if len(events) else stichtag
    dates = [d for d in pd.date_range(first, stichtag, freq="ME") if d < stichtag]
    dates.append(stichtag)
    scores = scoring.trend(catalog, events, dates)
    wide = scores.pivot(index=["org", "dimension_id"], columns="as_of", values="score")
    wide.columns = pd.DatetimeIndex(wide.columns).as_unit("us")
    grid = pd.DataFrame(
        [(o, dim) for o in orgs for dim in dim_names], columns=["org", "dimension_id"]
    ).astype("str")
    rows = grid.merge(wide.reset_index(), on=["org", "dimension_id"], how="left")
    date_columns = list(pd.DatetimeIndex(dates).as_unit("us"))
    rows = rows.reindex(columns=["org", "dimension_id", *date_columns]).fillna(
        dict.fromkeys(date_columns, 0.0)
    )
    rows.insert(1, "organisation", rows["org"].map(names))
    rows.insert(2, "dimension", rows["dimension_id"].map(dim_names))
    return rows.drop(columns=["dimension_id"])


def open(
    url: str | None = None, *, catalog_id: str | None = None, actor: Actor | None = None
) -> Store:
    """Open a SPATZ database (``--db`` URL, else ``$SPATZ_DATABASE_URL``, else spatz.db)
    for ``actor`` (default: the operator, who may do everything)."""
    return Store(url, catalog_id=catalog_id, actor=actor)


def login(url: str | None, name: str, password: str) -> LoginOutcome:
    """Check an account's password (:func:`spatz.services.users.login`); failures count
    towards the lockout and are logged."""
    with session_scope(make_engine(database_url(url))) as session:
        return login_user(session=session, name=name, password=password)


def logout(url: str | None, actor: Actor, *, reason: LogoutReason = "user") -> None:
    """Log the end of an account's session (:func:`spatz.services.users.logout`)."""
    with session_scope(make_engine(database_url(url))) as session:
        end_session(session=session, actor=actor, reason=reason)


def session_problem(url: str | None, actor: Actor) -> str | None:
    """Why the session of ``actor`` must end (its account changed), or ``None``
    (:func:`spatz.services.users.session_problem`)."""
    with session_scope(make_engine(database_url(url))) as session:
        return account_session_problem(session=session, actor=actor)


def login_single_sign_on(url: str | None, name: str) -> LoginOutcome:
    """The login of the account single sign-on named
    (:func:`spatz.services.users.login_single_sign_on`)."""
    with session_scope(make_engine(database_url(url))) as session:
        return login_sso(session=session, name=name)
