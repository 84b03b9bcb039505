"""A SPATZ database for analysts and the dashboard: ``spatz.open(url)``.

Every method is one call of a service (:mod:`spatz.services`) in its own session: the
service checks the permission of the store's :class:`~spatz.services.common.Actor`, keeps to
its scope and reads one snapshot. Without an actor a store acts for the operator (``admin``,
named by ``$SPATZ_USER`` or the login name), without a Stichtag at the Datenstand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar

import pandas as pd
from sqlmodel import Session

from spatz.catalog import Catalog
from spatz.config import database_url
from spatz.db import make_engine, require_current_schema, session_scope
from spatz.io.reader import Table
from spatz.io.xlsx import WorkbookData
from spatz.land import MIN_GROUP, Grouping
from spatz.model import (
    MeasureEventCreate,
    MeasureEventPublic,
    MilestonePublic,
    ProjectPublic,
    TargetCreate,
    TargetPublic,
)
from spatz.services import audit, exports, imports, land, progress, scores, users, versions
from spatz.services import projects as planning
from spatz.services import targets as goals
from spatz.services.catalogs import CatalogInfo, get_catalog, list_catalogs
from spatz.services.common import Actor, ImportSummary
from spatz.services.mappings import MappingInfo, list_mappings
from spatz.services.scores import DateLike

_R = TypeVar("_R")


class Store:
    """Access to one database for ``actor`` (default: the operator, see the module).
    ``catalog_id`` (``ID`` or ``ID@VERSION``) selects the catalog of every read and write
    without one; default the default catalog (``spatz catalog default ID``), else the only
    one loaded. Each method that scores, exports or records takes ``catalog=`` (``ID`` or
    ``ID@VERSION``) for that call."""

    def __init__(
        self, url: str | None = None, *, catalog_id: str | None = None, actor: Actor | None = None
    ) -> None:
        self.url = database_url(url)
        self.engine = make_engine(self.url)
        require_current_schema(self.engine)
        self.catalog_id = catalog_id
        self.actor = actor or Actor.from_environment()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def _read(self, service: Callable[..., _R], /, **kwargs: Any) -> _R:
        with Session(self.engine) as session:
            return service(session=session, actor=self.actor, **kwargs)

    def _ref(self, catalog: str | None) -> str | None:
        """The catalog of a call: ``catalog``, else the store's, else None (the default)."""
        return catalog or self.catalog_id

    def _scored(self, service: Callable[..., _R], catalog: str | None, /, **kwargs: Any) -> _R:
        return self._read(service, catalog_id=self._ref(catalog), **kwargs)

    def _write(self, service: Callable[..., _R], /, **kwargs: Any) -> _R:
        with session_scope(self.engine) as session:
            return service(session=session, actor=self.actor, **kwargs)

    def catalog(self, id: str | None = None) -> Catalog:
        """A stored catalog: ``ID`` or ``ID@VERSION``; default the one in use."""
        with Session(self.engine) as session:
            return get_catalog(session=session, ref=self._ref(id))

    def catalogs(self) -> list[CatalogInfo]:
        """The loaded catalogs, one per id (its newest version), in the order first loaded."""
        with Session(self.engine) as session:
            newest = {info.id: info for info in list_catalogs(session=session)}
        return list(newest.values())

    def mappings(self) -> list[MappingInfo]:
        """The loaded versions of the mapping sets between catalogs, in loading order
        (``in_force``: the version loaded last of its id)."""
        with Session(self.engine) as session:
            return list_mappings(session=session)

    def data_version(self) -> str:
        """A token that changes with every write to the data the reads show, made by any
        process, and with the day; a login leaves it alone
        (:func:`spatz.services.versions.data_version`). Cheap: a few index lookups."""
        return self._read(versions.data_version)

    def notices(self, *, org: str | None = None, catalog: str | None = None) -> list[str]:
        """What the reads with ``catalog`` (about ``org``, if given) leave out: events and
        targets the catalog version does not contain, as German sentences
        (:func:`spatz.services.scores.notices`); empty if nothing."""
        orgs = None if org is None else [org]
        return self._scored(scores.notices, catalog, orgs=orgs)

    def stichtag(self, *, catalog: str | None = None) -> dt.date:
        """The Stichtag of every read without one (:func:`spatz.services.scores.stichtag`)."""
        return self._scored(scores.stichtag, catalog)

    def organisations(self) -> pd.DataFrame:
        """The organisations the actor may see (:data:`scores.ORGANISATION_COLUMNS`)."""
        return self._read(scores.organisations)

    def events(self, *, catalog: str | None = None) -> pd.DataFrame:
        """The measure events of the catalog (of the measures its version contains), in the
        format :func:`spatz.score` reads."""
        return self._scored(scores.events, catalog)

    def activity(self, *, org: str | None = None, catalog: str | None = None) -> pd.DataFrame:
        """Per organisation in scope (or ``org``) with recorded events: org, events, first,
        last."""
        return self._scored(scores.activity, catalog, org=org)

    def targets(self, *, catalog: str | None = None) -> pd.DataFrame:
        """The targets in force: org, dimension_id, target_level, target_date."""
        return self._scored(scores.targets, catalog)

    def score(
        self, as_of: DateLike | None = None, *, org: str | None = None, catalog: str | None = None
    ) -> pd.DataFrame:
        """Levels and scores at the Stichtag ``as_of``; see :func:`spatz.score`. With
        ``org``, of that organisation only (and only its events are read); with ``catalog``
        (``ID`` or ``ID@VERSION``), against that catalog."""
        return self._scored(scores.score, catalog, as_of=as_of, org=org)

    def trend(
        self, dates: Iterable[DateLike], *, org: str | None = None, catalog: str | None = None
    ) -> pd.DataFrame:
        """:meth:`score` for each date, computed in one pass."""
        return self._scored(scores.trend, catalog, dates=dates, org=org)

    def explain(
        self, as_of: DateLike | None = None, *, org: str | None = None, catalog: str | None = None
    ) -> pd.DataFrame:
        """The state of every (organisation, measure) at the Stichtag."""
        return self._scored(scores.explain, catalog, as_of=as_of, org=org)

    def roadmap(
        self,
        org: str,
        dimension_id: str,
        as_of: DateLike | None = None,
        *,
        catalog: str | None = None,
    ) -> pd.DataFrame:
        """The open measures between the organisation and its next level (up to its target)."""
        return self._scored(
            scores.roadmap, catalog, org=org, dimension_id=dimension_id, as_of=as_of
        )

    def target_status(
        self, as_of: DateLike | None = None, *, org: str | None = None, catalog: str | None = None
    ) -> pd.DataFrame:
        """For every target in force: achieved, overdue, on_track or at_risk at ``as_of``."""
        return self._scored(scores.target_status, catalog, as_of=as_of, org=org)

    def state_details(
        self, as_of: DateLike | None = None, *, org: str | None = None, catalog: str | None = None
    ) -> pd.DataFrame:
        """Per organisation and measure the event that sets its state at ``as_of``."""
        return self._scored(scores.state_details, catalog, as_of=as_of, org=org)

    def history(
        self, org: str, measure_id: str | None = None, *, catalog: str | None = None
    ) -> pd.DataFrame:
        """The events of one organisation (optionally one measure) of the catalog, newest
        first."""
        return self._scored(scores.history, catalog, org=org, measure_id=measure_id)

    def land_export(
        self,
        as_of: DateLike | None = None,
        orgs: Iterable[str] | None = None,
        *,
        catalog: str | None = None,
    ) -> pd.DataFrame:
        """Rows of the Land export at ``as_of`` (:func:`spatz.services.land.land_export`)."""
        return self._scored(land.land_export, catalog, as_of=as_of, orgs=orgs)

    def imported_land(self) -> pd.DataFrame:
        """The comparison rows imported from other Land exports (``spatz land import``)."""
        return self._read(land.imported_land)

    def land_comparison(
        self,
        as_of: DateLike | None = None,
        orgs: Iterable[str] | None = None,
        *,
        include_imported: bool = True,
        catalog: str | None = None,
    ) -> pd.DataFrame:
        """Own and imported Land export rows (:func:`spatz.services.land.land_comparison`)."""
        return self._scored(
            land.land_comparison,
            catalog,
            as_of=as_of,
            orgs=orgs,
            include_imported=include_imported,
        )

    def land_summary(
        self,
        as_of: DateLike | None = None,
        *,
        by: Grouping | None = None,
        min_group: int = MIN_GROUP,
        catalog: str | None = None,
    ) -> pd.DataFrame:
        """The Landesvergleich's distribution (:func:`spatz.services.land.land_summary`)."""
        return self._scored(land.land_summary, catalog, as_of=as_of, by=by, min_group=min_group)

    def land_view(
        self,
        org: str,
        as_of: DateLike | None = None,
        *,
        by: Grouping | None = None,
        min_group: int = MIN_GROUP,
        catalog: str | None = None,
    ) -> land.LandView:
        """:meth:`land_comparison`, :meth:`land_summary` and :meth:`position` from one
        scoring (:func:`spatz.services.land.land_view`)."""
        return self._scored(
            land.land_view, catalog, org=org, as_of=as_of, by=by, min_group=min_group
        )

    def workbook(
        self,
        as_of: DateLike | None = None,
        orgs: Iterable[str] | None = None,
        *,
        catalog: str | None = None,
    ) -> WorkbookData:
        """The data of the XLSX export (:func:`spatz.services.exports.workbook`)."""
        return self._scored(exports.workbook, catalog, as_of=as_of, orgs=orgs)

    def workbook_bytes(
        self,
        as_of: DateLike | None = None,
        orgs: Iterable[str] | None = None,
        *,
        catalog: str | None = None,
    ) -> bytes:
        """The XLSX export (sheets Übersicht, Maßnahmen, Verlauf, Projekte, Meilensteine)."""
        return self._scored(exports.workbook_file, catalog, as_of=as_of, orgs=orgs)

    def report(self, org: str, as_of: DateLike | None = None, *, catalog: str | None = None) -> str:
        """The printable HTML report of one organisation (:func:`spatz.services.exports.report`)."""
        return self._scored(exports.report, catalog, org=org, as_of=as_of)

    def report_pdf(
        self, org: str, as_of: DateLike | None = None, *, catalog: str | None = None
    ) -> bytes:
        """:meth:`report` as an A4 PDF (tagged, PDF/UA-1) with page numbers and dates."""
        return self._scored(exports.report_file, catalog, org=org, as_of=as_of, pdf=True).content

    def projects(self, org: str) -> list[ProjectPublic]:
        """The projects of one organisation."""
        return self._read(planning.list_projects, org=org)

    def milestones(self, org: str) -> list[MilestonePublic]:
        """The milestones of one organisation."""
        return self._read(planning.list_milestones, org=org)

    def target(
        self, org: str, dimension_id: str, *, catalog: str | None = None
    ) -> TargetPublic | None:
        """The target in force; its ``id`` is the version :meth:`set_target` expects."""
        return self._scored(goals.target_in_force, catalog, org=org, dimension_id=dimension_id)

    def audit(self, limit: int = 1000) -> pd.DataFrame:
        """The newest entries of the audit log the actor may see (:func:`audit.audit_frame`)."""
        return self._read(audit.audit_frame, limit=limit)

    def record_event(
        self,
        event: MeasureEventCreate,
        *,
        expected_last_id: int | Literal["any"] | None = "any",
        catalog: str | None = None,
    ) -> MeasureEventPublic:
        """Record one status change against the catalog (see
        :func:`spatz.services.progress.record_event`)."""
        ref = self._ref(catalog)
        with session_scope(self.engine) as session:
            return progress.record_event(
                session=session,
                actor=self.actor,
                event_in=event,
                catalog=None if ref is None else get_catalog(session=session, ref=ref),
                expected_last_id=expected_last_id,
            )

    def set_target(
        self, target: TargetCreate, *, expected_id: int | None, catalog: str | None = None
    ) -> TargetPublic:
        """Set a target of the catalog (see :func:`spatz.services.targets.set_target`)."""
        return self._write(
            goals.set_target, target=target, expected_id=expected_id, catalog_id=self._ref(catalog)
        )

    def import_table(
        self,
        kind: str,
        table: Table,
        *,
        org: str | None = None,
        dry_run: bool = False,
        catalog: str | None = None,
    ) -> ImportSummary:
        """Check (``dry_run``) or import a table (:func:`spatz.services.imports.import_table`),
        progress and targets against the catalog."""
        return self._write(
            imports.import_table,
            kind=kind,
            table=table,
            org=org,
            dry_run=dry_run,
            catalog=self._ref(catalog),
        )

    def import_land(
        self, files: Sequence[tuple[str, bytes]], *, dry_run: bool = False
    ) -> list[ImportSummary]:
        """Import Land exports (name, content) (:func:`spatz.services.land.import_land_files`)."""
        return self._write(land.import_land_files, files=files, dry_run=dry_run)

    def position(
        self, org: str, as_of: DateLike | None = None, *, catalog: str | None = None
    ) -> pd.DataFrame:
        """Where ``org`` stands in the Land (:func:`spatz.services.land.position`)."""
        return self._scored(land.position, catalog, org=org, as_of=as_of)

    def adopters(
        self, measure_id: str, as_of: DateLike | None = None, *, catalog: str | None = None
    ) -> pd.DataFrame:
        """Who has done the measure and may be named (:func:`spatz.services.land.adopters`)."""
        return self._scored(land.adopters, catalog, measure_id=measure_id, as_of=as_of)


def open(
    url: str | None = None, *, catalog_id: str | None = None, actor: Actor | None = None
) -> Store:
    """Open a SPATZ database (``url``, else ``$SPATZ_DATABASE_URL``, else spatz.db);
    ``catalog_id`` (``ID`` or ``ID@VERSION``) as for :class:`Store`."""
    return Store(url, catalog_id=catalog_id, actor=actor)


def login(url: str | None, name: str, password: str) -> users.LoginOutcome:
    """Check an account's password (:func:`spatz.services.users.login`); failures count."""
    with session_scope(make_engine(database_url(url))) as session:
        return users.login(session=session, name=name, password=password)


def logout(url: str | None, actor: Actor, *, reason: users.LogoutReason = "user") -> None:
    """Log the end of an account's session (:func:`spatz.services.users.logout`)."""
    with session_scope(make_engine(database_url(url))) as session:
        users.logout(session=session, actor=actor, reason=reason)


def session_problem(url: str | None, actor: Actor) -> str | None:
    """Why the session of ``actor`` must end (:func:`spatz.services.users.session_problem`)."""
    with session_scope(make_engine(database_url(url))) as session:
        return users.session_problem(session=session, actor=actor)


def login_single_sign_on(url: str | None, name: str) -> users.LoginOutcome:
    """The login single sign-on gave (:func:`spatz.services.users.login_single_sign_on`)."""
    with session_scope(make_engine(database_url(url))) as session:
        return users.login_single_sign_on(session=session, name=name)
