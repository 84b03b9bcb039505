"""A SPATZ database for analysts and the dashboard: ``spatz.open(url)``.

Every method opens its own short session; frames are read column-wise in one query, never
row by row through ORM objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlmodel import Session

from spatz import scoring
from spatz.catalog import OVERALL, Catalog
from spatz.config import database_url
from spatz.db import make_engine, schema_is_current
from spatz.errors import NotFoundError, SpatzError
from spatz.io.land import LAND_COLUMNS
from spatz.io.report import report_html
from spatz.model import MilestonePublic, ProjectPublic
from spatz.services.catalogs import get_catalog
from spatz.services.organisations import list_organisations
from spatz.services.planning import linked_due_dates, with_planned_due_dates
from spatz.services.progress import events_frame, list_events
from spatz.services.projects import list_milestones, list_projects
from spatz.services.targets import targets_frame

DateLike = str | dt.date | pd.Timestamp

ORGANISATION_COLUMNS = ["org", "name", "kind", "land", "ags", "parent"]
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


class Store:
    """Read access to one database. ``catalog_id`` selects the catalog (default: the
    version loaded last)."""

    def __init__(self, url: str | None = None, *, catalog_id: str | None = None) -> None:
        self.url = database_url(url)
        self.engine = make_engine(self.url)
        if not schema_is_current(self.engine):
            raise SpatzError(
                f"Die Datenbank {self.engine.url.render_as_string(hide_password=True)} ist "
                "nicht eingerichtet oder veraltet: bitte zuerst `spatz init` ausführen"
            )
        self.catalog_id = catalog_id

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def catalog(self, id: str | None = None) -> Catalog:
        """A stored catalog: ``ID`` or ``ID@VERSION``; default the one in use."""
        with Session(self.engine) as session:
            return get_catalog(session=session, ref=id or self.catalog_id)

    def organisations(self) -> pd.DataFrame:
        """All organisations: org, name, kind, land, ags, parent (keys), sorted by org."""
        with Session(self.engine) as session:
            orgs = list_organisations(session=session)
        rows = [(o.key, o.name, o.kind.value, o.land, o.ags, o.parent) for o in orgs]
        return pd.DataFrame(rows, columns=ORGANISATION_COLUMNS)

    def events(self) -> pd.DataFrame:
        """The measure events of the catalog in use, in the format :func:`spatz.score` reads."""
        catalog = self.catalog()
        with self.engine.connect() as conn:
            return events_frame(conn, catalog_key=catalog.id)

    def targets(self) -> pd.DataFrame:
        """The targets in force: org, dimension_id, target_level, target_date."""
        catalog = self.catalog()
        with self.engine.connect() as conn:
            return targets_frame(conn, catalog_key=catalog.id)

    def score(self, as_of: DateLike | None = None) -> pd.DataFrame:
        """Levels and scores at the Stichtag ``as_of`` (default today); see :func:`spatz.score`."""
        return scoring.score(self.catalog(), self.events(), as_of)

    def trend(self, dates: Iterable[DateLike]) -> pd.DataFrame:
        """:meth:`score` for each date, computed in one pass."""
        return scoring.trend(self.catalog(), self.events(), dates)

    def explain(self, as_of: DateLike | None = None) -> pd.DataFrame:
        """The state of every (organisation, measure) at the Stichtag."""
        return scoring.explain(self.catalog(), self.events(), as_of)

    def roadmap(self, org: str, dimension_id: str, as_of: DateLike | None = None) -> pd.DataFrame:
        """The open measures between the organisation and its next level (up to its target)."""
        targets = self.targets()
        wanted = targets[(targets["org"] == org) & (targets["dimension_id"] == dimension_id)]
        target_level = int(wanted["target_level"].iloc[0]) if len(wanted) else None
        return scoring.roadmap(
            self.catalog(), self._planned_events(), org, dimension_id, as_of, target_level
        )

    def target_status(self, as_of: DateLike | None = None) -> pd.DataFrame:
        """For every target in force: achieved, overdue, on_track or at_risk at ``as_of``."""
        return scoring.forecast(self.catalog(), self._planned_events(), self.targets(), as_of)

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
            unknown = sorted(set(wanted) - set(organisations["org"]))
            if unknown:
                raise NotFoundError(f"Organisation(en) nicht gefunden: {', '.join(unknown)}")
            organisations = organisations[organisations["org"].isin(wanted)]
        scores = scoring.score(catalog, self.events(), stichtag)
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
            events = list_events(session=session, org=org, measure_id=measure_id)
        frame = pd.DataFrame(
            [e.model_dump(exclude={"org", "catalog_key"}) for e in events],
            columns=HISTORY_COLUMNS,
        )
        for column in ("date", "due_date"):
            frame[column] = pd.to_datetime(frame[column])
        return frame

    def report(self, org: str, as_of: DateLike | None = None) -> str:
        """The printable HTML report of one organisation (levels, targets, roadmap)."""
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

    def projects(self, org: str) -> list[ProjectPublic]:
        with Session(self.engine) as session:
            return list_projects(session=session, org=org)

    def milestones(self, org: str) -> list[MilestonePublic]:
        with Session(self.engine) as session:
            return list_milestones(session=session, org=org)

    def _planned_events(self) -> pd.DataFrame:
        events = self.events()
        with self.engine.connect() as conn:
            return with_planned_due_dates(events, linked_due_dates(conn))


def open(url: str | None = None, *, catalog_id: str | None = None) -> Store:
    """Open a SPATZ database (``--db`` URL, else ``$SPATZ_DATABASE_URL``, else spatz.db)."""
    return Store(url, catalog_id=catalog_id)
