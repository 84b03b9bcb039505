"""The reads of the scoring: levels, trend, explanations, roadmap, target status, and the
frames behind them, for an actor.

Every read authorises first (:func:`spatz.services.auth.authorize`) and returns only the
organisations in the actor's scope. A read that combines several frames reads them in one
:class:`Reading`: one session, one snapshot, the catalog loaded once. Without a Stichtag
every read takes the Datenstand (:func:`stichtag`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cached_property

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from spatz import scoring
from spatz.catalog import OVERALL, Catalog
from spatz.db import begin_snapshot
from spatz.errors import NotFoundError
from spatz.mapping import MappingSet, Pair
from spatz.model import MeasureEvent, Organisation
from spatz.queries.events import events_frame, filters_in_database, last_event_date
from spatz.services.auth import Permission, authorize
from spatz.services.catalogs import get_catalog, loaded_catalog_ids
from spatz.services.common import Actor
from spatz.services.mappings import mappings_into
from spatz.services.planning import linked_due_dates, with_planned_due_dates
from spatz.services.progress import list_events
from spatz.services.states import state_details as state_details_frame
from spatz.services.targets import targets_frame

DateLike = str | dt.date | pd.Timestamp

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

MAX_NAMED_ITEMS = 20
"""How many measures or dimensions a notice names before it counts the rest."""


def _named(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_NAMED_ITEMS])
    if len(items) > MAX_NAMED_ITEMS:
        shown += f" und {len(items) - MAX_NAMED_ITEMS} weitere"
    return shown


class Reading:
    """One read for ``actor``: the session's reads are one snapshot
    (:func:`spatz.db.begin_snapshot`), the catalog ``catalog_id`` (``ID`` or
    ``ID@VERSION``; default: the default catalog) is loaded once, and each frame is read
    once (when first needed) and cut to the actor's scope. The caller authorises.

    Events of measures and targets of dimensions that the catalog version does not contain
    (dropped by a newer version, see ``spatz catalog load --accept-dropped``) are left out
    of the frames; :attr:`notices` says so.

    A read about the organisations ``orgs`` (keys) reads only theirs: the frames are
    filtered in the database, so that its work does not grow with the others. The
    Datenstand stays that of the whole scope."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        catalog_id: str | None = None,
        orgs: Iterable[str] | None = None,
    ) -> None:
        begin_snapshot(session)
        self.session = session
        self.actor = actor
        self.catalog_id = catalog_id
        self.orgs = None if orgs is None else frozenset(orgs)

    @cached_property
    def wanted(self) -> frozenset[str] | None:
        """The organisations the frames are read for: those asked about within the scope,
        else the scope; ``None`` for all."""
        if self.orgs is None:
            return self.actor.scope
        if self.actor.scope is None:
            return self.orgs
        return self.orgs & self.actor.scope

    @cached_property
    def catalog(self) -> Catalog:
        return get_catalog(session=self.session, ref=self.catalog_id)

    def in_scope(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` about organisations (column ``org``) in the actor's scope."""
        if self.actor.scope is None:
            return frame
        return frame[frame["org"].isin(self.actor.scope)].reset_index(drop=True)

    def _few(self) -> frozenset[str] | None:
        """:attr:`wanted` where the database filters by it (:func:`filters_in_database`),
        else None (all are read)."""
        return self.wanted if filters_in_database(self.wanted) else None

    @cached_property
    def events(self) -> pd.DataFrame:
        """The catalog's events of :attr:`wanted`, of the measures the version contains."""
        frame = events_frame(self.session, catalog_key=self.catalog.id, orgs=self.wanted)
        known = frame["measure_id"].isin(self._measures)
        if not known.all():
            frame = frame[known].reset_index(drop=True)
        return self.in_scope(frame)

    @cached_property
    def _mapped(self) -> list[tuple[MappingSet, Catalog, list[Pair], list[Pair]]]:
        """The mapping sets in force into the catalog, each with its source catalog (its
        version loaded last), the pairs of measures both versions contain, and those
        that name a measure one of them lacks (left out)."""
        found = []
        target_ids = self._measures
        for mapping in mappings_into(self.session, self.catalog.id):
            source = get_catalog(session=self.session, ref=mapping.source)
            source_ids = {m.id for _, m in source.measures()}
            usable = [p for p in mapping.pairs if p.source in source_ids and p.target in target_ids]
            lacking = [p for p in mapping.pairs if p not in usable]
            found.append((mapping, source, usable, lacking))
        return found

    @cached_property
    def covers(self) -> list[scoring.Cover]:
        """What the mapping sets into the catalog let count (clause 12 of the rule): per
        set, its source catalog with that catalog's events of :attr:`wanted`."""
        covers = []
        for _, source, usable, _ in self._mapped:
            if not usable:
                continue
            events = events_frame(self.session, catalog_key=source.id, orgs=self.wanted)
            covers.append(
                scoring.Cover(
                    catalog=source,
                    events=self.in_scope(events),
                    pairs=[(p.source, p.target) for p in usable if p.counts],
                    hints=[(p.source, p.target) for p in usable if not p.counts],
                )
            )
        return covers

    @cached_property
    def planned_events(self) -> pd.DataFrame:
        """The events with due dates filled from linked projects and milestones."""
        linked = linked_due_dates(self.session.connection(), self._few())
        return with_planned_due_dates(self.events, linked)

    @cached_property
    def targets(self) -> pd.DataFrame:
        """The targets in force, of the dimensions the version contains (and overall)."""
        frame = self._recorded_targets
        return frame[frame["dimension_id"].isin(self._dimensions)].reset_index(drop=True)

    @cached_property
    def _recorded_targets(self) -> pd.DataFrame:
        """The targets in force of the catalog id, of dimensions the version lacks too."""
        conn = self.session.connection()
        return self.in_focus(targets_frame(conn, catalog_key=self.catalog.id, orgs=self._few()))

    @cached_property
    def _measures(self) -> set[str]:
        return {m.id for _, m in self.catalog.measures()}

    @cached_property
    def _dimensions(self) -> set[str]:
        return {d.id for d in self.catalog.dimensions} | {OVERALL}

    @cached_property
    def notices(self) -> list[str]:
        """What the frames leave out: the events (of the organisations in scope) of
        measures and the targets in force of dimensions that the catalog version does not
        contain, each as a German sentence; empty if nothing is left out."""
        stmt = (
            sa.select(col(MeasureEvent.measure_id), sa.func.count())
            .join(Organisation, col(Organisation.id) == col(MeasureEvent.org_id))
            .where(col(MeasureEvent.catalog_key) == self.catalog.id)
            .group_by(col(MeasureEvent.measure_id))
        )
        if self.wanted is not None:
            stmt = stmt.where(col(Organisation.key).in_(sorted(self.wanted)))
        counts = {m: n for m, n in self.session.execute(stmt).all() if m not in self._measures}
        targets = self._recorded_targets
        dropped = targets[~targets["dimension_id"].isin(self._dimensions)]
        found = []
        if counts:
            events, measures = sum(counts.values()), len(counts)
            found.append(
                f"{events} {'Ereignis' if events == 1 else 'Ereignisse'} zu {measures} "
                f"{'Maßnahme' if measures == 1 else 'Maßnahmen'}, die Katalog "
                f"{self.catalog.key} nicht enthält, "
                f"{'bleibt' if events == 1 else 'bleiben'} unberücksichtigt: "
                f"{_named(sorted(counts))}"
            )
        if len(dropped):
            number = len(dropped)
            found.append(
                f"{number} {'Ziel' if number == 1 else 'Ziele'} zu Dimensionen, die Katalog "
                f"{self.catalog.key} nicht enthält, "
                f"{'bleibt' if number == 1 else 'bleiben'} unberücksichtigt: "
                f"{_named(sorted(set(dropped['dimension_id'])))}"
            )
        for mapping, source, _, lacking in self._mapped:
            if lacking:
                number = len(lacking)
                found.append(
                    f"{number} {'Paar' if number == 1 else 'Paare'} der Zuordnung "
                    f"{mapping.key} {'nennt' if number == 1 else 'nennen'} Maßnahmen, die "
                    f"Katalog {source.key} oder {self.catalog.key} nicht enthält, und "
                    f"{'bleibt' if number == 1 else 'bleiben'} unberücksichtigt: "
                    f"{_named([f'{p.source} → {p.target}' for p in lacking])}"
                )
        return found

    @cached_property
    def organisations(self) -> pd.DataFrame:
        """:data:`ORGANISATION_COLUMNS` of the organisations in scope (and asked about),
        sorted by org; read as plain rows, without a model object for each."""
        authorize(self.actor, Permission.view_overview)
        parent = aliased(Organisation)
        stmt = (
            sa.select(
                col(Organisation.key),
                col(Organisation.name),
                col(Organisation.kind),
                col(Organisation.land),
                col(Organisation.ags),
                col(parent.key),
                col(Organisation.version),
            )
            .outerjoin(parent, col(parent.id) == col(Organisation.parent_id))
            .order_by(col(Organisation.key))
        )
        few = self._few()
        if few is not None:
            stmt = stmt.where(col(Organisation.key).in_(sorted(few)))
        rows = [(*row[:2], row[2].value, *row[3:]) for row in self.session.execute(stmt)]
        frame = pd.DataFrame(rows, columns=ORGANISATION_COLUMNS)
        # Typed also without rows (or without any ags or parent), as the columns of rows are.
        frame = frame.astype(dict.fromkeys(ORGANISATION_COLUMNS[:-1], "str") | {"version": "int64"})
        return self.in_focus(frame)

    def in_focus(self, frame: pd.DataFrame) -> pd.DataFrame:
        """:meth:`in_scope`, and of the organisations asked about only."""
        frame = self.in_scope(frame)
        if self.orgs is None:
            return frame
        return frame[frame["org"].isin(self.orgs)].reset_index(drop=True)

    @cached_property
    def datenstand(self) -> dt.date:
        """The date of the last recorded event in scope, not after today; today if none."""
        today = dt.date.today()
        last = last_event_date(
            self.session.connection(), catalog_key=self.catalog.id, orgs=self.actor.scope
        )
        return today if last is None else min(today, last)

    def day(self, as_of: DateLike | None) -> pd.Timestamp:
        """The Stichtag ``as_of``, or the Datenstand without one (today while no catalog
        is loaded: events are recorded against one)."""
        if as_of is not None:
            return pd.Timestamp(as_of).normalize()
        try:
            return pd.Timestamp(self.datenstand)
        except NotFoundError:
            if self.catalog_id is not None:
                raise
            return pd.Timestamp(dt.date.today())


def stichtag(*, session: Session, actor: Actor, catalog_id: str | None = None) -> dt.date:
    """The Stichtag every interface uses when none is given: the Datenstand, that is the
    date of the last recorded event in the actor's scope, not after today; today if there
    is none."""
    authorize(actor, Permission.view_overview)
    return Reading(session, actor, catalog_id).datenstand


def notices(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    orgs: Iterable[str] | None = None,
) -> list[str]:
    """What reads with the catalog ``catalog_id`` (about ``orgs`` only, if given) leave out:
    events of measures and targets of dimensions the version does not contain, e.g. "3
    Ereignisse zu 2 Maßnahmen, die Katalog mini@2 nicht enthält, bleiben
    unberücksichtigt: STR-1-02, STR-2-02" (:attr:`Reading.notices`); empty if nothing."""
    authorize(actor, Permission.view_overview)
    if catalog_id is None and not loaded_catalog_ids(session):
        return []  # nothing is scored, so nothing is left out
    return Reading(session, actor, catalog_id, orgs).notices


def organisations(*, session: Session, actor: Actor) -> pd.DataFrame:
    """The organisations the actor may see: :data:`ORGANISATION_COLUMNS`, sorted by org."""
    authorize(actor, Permission.view_overview)
    return Reading(session, actor).organisations


def events(*, session: Session, actor: Actor, catalog_id: str | None = None) -> pd.DataFrame:
    """The measure events of the catalog, in the format :func:`spatz.score` reads."""
    authorize(actor, Permission.view_detail)
    return Reading(session, actor, catalog_id).events


def _about(org: str | None) -> list[str] | None:
    """The organisations a read with the optional argument ``org`` is about."""
    return None if org is None else [org]


def activity(
    *, session: Session, actor: Actor, catalog_id: str | None = None, org: str | None = None
) -> pd.DataFrame:
    """Per organisation in scope (or ``org`` only) with recorded events: org, events
    (count), first and last event date; sorted by org. Counts and dates only, no measure
    detail."""
    authorize(actor, Permission.view_overview, org)
    reading = Reading(session, actor, catalog_id, _about(org))
    grouped = reading.events.groupby("org", sort=True)["date"]
    return pd.DataFrame(
        {"events": grouped.size(), "first": grouped.min(), "last": grouped.max()}
    ).reset_index()


def targets(*, session: Session, actor: Actor, catalog_id: str | None = None) -> pd.DataFrame:
    """The targets in force: org, dimension_id, target_level, target_date."""
    authorize(actor, Permission.view_overview)
    return Reading(session, actor, catalog_id).targets


def score(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    org: str | None = None,
) -> pd.DataFrame:
    """Levels and scores at the Stichtag ``as_of`` (of ``org`` only, if given); see
    :func:`spatz.score`."""
    authorize(actor, Permission.view_overview, org)
    reading = Reading(session, actor, catalog_id, _about(org))
    return scoring.score(reading.catalog, reading.events, reading.day(as_of), reading.covers)


def trend(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    dates: Iterable[DateLike],
    org: str | None = None,
) -> pd.DataFrame:
    """:func:`score` for each date (of ``org`` only, if given), computed in one pass."""
    authorize(actor, Permission.view_overview, org)
    reading = Reading(session, actor, catalog_id, _about(org))
    return scoring.trend(reading.catalog, reading.events, dates, reading.covers)


def explain(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    org: str | None = None,
) -> pd.DataFrame:
    """The state of every (organisation, measure) at the Stichtag (of ``org`` only, if
    given)."""
    authorize(actor, Permission.view_detail, org)
    reading = Reading(session, actor, catalog_id, _about(org))
    return scoring.explain(reading.catalog, reading.events, reading.day(as_of), reading.covers)


def roadmap_of(reading: Reading, org: str, dimension_id: str, day: pd.Timestamp) -> pd.DataFrame:
    """The open measures between ``org`` and its next level in a dimension (up to its target)."""
    targets = reading.targets
    wanted = targets[(targets["org"] == org) & (targets["dimension_id"] == dimension_id)]
    target_level = int(wanted["target_level"].iloc[0]) if len(wanted) else None
    return scoring.roadmap(
        reading.catalog,
        reading.planned_events,
        org,
        dimension_id,
        day,
        target_level,
        reading.covers,
    )


def roadmap(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    org: str,
    dimension_id: str,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """The open measures between the organisation and its next level (up to its target)."""
    authorize(actor, Permission.view_detail, org)
    reading = Reading(session, actor, catalog_id, [org])
    return roadmap_of(reading, org, dimension_id, reading.day(as_of))


def target_status_of(reading: Reading, day: pd.Timestamp) -> pd.DataFrame:
    return scoring.forecast(
        reading.catalog, reading.planned_events, reading.targets, day, reading.covers
    )


def target_status(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    org: str | None = None,
) -> pd.DataFrame:
    """For every target in force (of ``org`` only, if given): achieved, overdue, on_track
    or at_risk at ``as_of``."""
    authorize(actor, Permission.view_overview, org)
    reading = Reading(session, actor, catalog_id, _about(org))
    return target_status_of(reading, reading.day(as_of))


def state_details_of(reading: Reading, day: pd.Timestamp) -> pd.DataFrame:
    frame = state_details_frame(
        reading.session, catalog_key=reading.catalog.id, as_of=day.date(), orgs=reading.wanted
    )
    return reading.in_scope(frame)


def state_details(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    org: str | None = None,
) -> pd.DataFrame:
    """Per organisation (or ``org`` only) and measure the event that sets its state at
    ``as_of``, with note, evidence and who recorded it
    (:func:`spatz.services.states.state_details`)."""
    authorize(actor, Permission.view_detail, org)
    reading = Reading(session, actor, catalog_id, _about(org))
    return state_details_of(reading, reading.day(as_of))


def history(
    *,
    session: Session,
    actor: Actor,
    org: str,
    measure_id: str | None = None,
    catalog_id: str | None = None,
) -> pd.DataFrame:
    """The events of one organisation (optionally one measure) recorded against the catalog
    ``catalog_id`` (default: the default catalog), newest first, with who recorded them:
    :data:`HISTORY_COLUMNS`."""
    found = list_events(session=session, actor=actor, org=org, measure_id=measure_id)
    key = get_catalog(session=session, ref=catalog_id).id
    frame = pd.DataFrame(
        [e.model_dump(exclude={"org", "catalog_key"}) for e in found if e.catalog_key == key],
        columns=HISTORY_COLUMNS,
    )
    for column in ("date", "due_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame
