"""The exports of one snapshot: the XLSX workbook and the printable report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from spatz import scoring
from spatz.catalog import OVERALL, Catalog
from spatz.errors import ArgumentError, NotFoundError
from spatz.io.catalog_text import (
    EMPTY_LEVEL,
    empty_levels,
    prerequisites_text,
    references_text,
    state_labels,
)
from spatz.io.report import ReportData, report_html, report_pdf
from spatz.io.xlsx import MILESTONES, PROJECTS, WorkbookData, workbook_xlsx
from spatz.model.common import BERLIN, MEASURE_STATUS_LABELS
from spatz.services.auth import Permission, authorize
from spatz.services.common import Actor
from spatz.services.land import checked_orgs, land_rows
from spatz.services.projects import list_milestones, list_projects
from spatz.services.scores import (
    DateLike,
    Reading,
    roadmap_of,
    state_details_of,
    target_status_of,
)


def workbook(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    orgs: Iterable[str] | None = None,
) -> WorkbookData:
    """The data of the XLSX export (:func:`spatz.io.xlsx.workbook_xlsx`) at ``as_of``
    for ``orgs`` (default: every organisation the actor may see); only theirs is read."""
    authorize(actor, Permission.view_detail)
    orgs = None if orgs is None else list(orgs)
    reading = Reading(session, actor, catalog_id, orgs)
    catalog = reading.catalog
    day = reading.day(as_of)
    overview = land_rows(reading, day, checked_orgs(reading, orgs))
    selected = list(dict.fromkeys(overview["org"]))
    names = dict(zip(overview["org"], overview["organisation"], strict=False))
    status = target_status_of(reading, day)[["org", "dimension_id", "status"]]
    overview = overview.merge(
        status.rename(columns={"status": "target_status"}),
        on=["org", "dimension_id"],
        how="left",
    )
    events = reading.events[reading.events["org"].isin(selected)]
    dim_names = {d.id: d.name for d in catalog.dimensions} | {OVERALL: "Gesamt"}
    details = state_details_of(reading, day)
    projects = [
        (o, p) for o in selected for p in list_projects(session=session, actor=actor, org=o)
    ]
    milestones = [
        (o, m) for o in selected for m in list_milestones(session=session, actor=actor, org=o)
    ]
    return WorkbookData(
        as_of=day.date(),
        overview=overview,
        measures=_measure_states(catalog, events, reading.covers, details, selected, names, day),
        trend=_monthly_trend(catalog, events, reading.covers, selected, names, dim_names, day),
        projects=pd.DataFrame(
            [
                p.model_dump() | {"organisation": names[o], "measures": " | ".join(p.measures)}
                for o, p in projects
            ],
            columns=[c.key for c in PROJECTS.columns],
        ),
        milestones=pd.DataFrame(
            [
                m.model_dump() | {"organisation": names[o], "measures": " | ".join(m.measures)}
                for o, m in milestones
            ],
            columns=[c.key for c in MILESTONES.columns],
        ),
    )


def workbook_file(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    as_of: DateLike | None = None,
    orgs: Iterable[str] | None = None,
) -> bytes:
    """The XLSX export (sheets Übersicht, Maßnahmen, Verlauf, Projekte, Meilensteine)."""
    data = workbook(session=session, actor=actor, catalog_id=catalog_id, as_of=as_of, orgs=orgs)
    return workbook_xlsx(data)


def report(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    org: str,
    as_of: DateLike | None = None,
) -> str:
    """The printable HTML report of one organisation (levels, targets, charts, roadmap,
    projects)."""
    return report_html(
        _report_data(session=session, actor=actor, catalog_id=catalog_id, org=org, as_of=as_of)
    )


@dataclass(frozen=True)
class ReportFile:
    """A written report: whose, at which Stichtag, and its bytes."""

    org: str
    as_of: dt.date
    content: bytes


def report_file(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None = None,
    org: str | None = None,
    as_of: DateLike | None = None,
    pdf: bool,
) -> ReportFile:
    """The report as a file: an A4 PDF (tagged, PDF/UA-1) with page numbers and dates, or
    the HTML document in UTF-8. Without ``org`` the report of the only organisation the
    actor sees; with several, the organisation has to be named."""
    if org is None:
        keys = list(Reading(session, actor, catalog_id).organisations["org"])
        if not keys:
            raise NotFoundError(
                "Es gibt noch keine Organisation: bitte zuerst Organisationen importieren"
            )
        if len(keys) > 1:
            shown = ", ".join(keys[:5]) + (" …" if len(keys) > 5 else "")
            raise ArgumentError(
                f"Es gibt {len(keys)} Organisationen: bitte --org angeben ({shown})"
            )
        org = str(keys[0])
    data = _report_data(session=session, actor=actor, catalog_id=catalog_id, org=org, as_of=as_of)
    content = report_pdf(data) if pdf else report_html(data).encode("utf-8")
    return ReportFile(org=org, as_of=data.as_of, content=content)


def _report_data(
    *,
    session: Session,
    actor: Actor,
    catalog_id: str | None,
    org: str,
    as_of: DateLike | None,
) -> ReportData:
    authorize(actor, Permission.view_detail, org)
    reading = Reading(session, actor, catalog_id, [org])
    catalog = reading.catalog
    day = reading.day(as_of)
    names = reading.organisations.set_index("org")["name"]
    if org not in names.index:
        raise NotFoundError(f"Organisation {org!r} gibt es nicht")
    events = reading.planned_events
    scores = scoring.score(catalog, events, day, reading.covers)
    targets = target_status_of(reading, day)
    levels = scores[scores["org"] == org]
    by_dim = dict(zip(levels["dimension_id"], levels["level"], strict=True))
    roadmaps = {
        d.id: roadmap_of(reading, org, d.id, day)
        for d in catalog.dimensions
        if by_dim.get(d.id, 0) < catalog.n_levels
    }
    own = events[events["org"] == org]
    trend = scoring.trend(
        catalog,
        own,
        scoring.month_ends(own["date"].min() if len(own) else day, day),
        reading.covers,
    )
    return ReportData(
        catalog=catalog,
        org_name=str(names[org]),
        as_of=day.date(),
        scores=levels,
        targets=targets[targets["org"] == org],
        roadmaps=roadmaps,
        trend=trend[trend["org"] == org],
        created=dt.datetime.now(BERLIN).date(),
        projects=list_projects(session=session, actor=actor, org=org),
        milestones=list_milestones(session=session, actor=actor, org=org),
        covered=_covered(catalog, own, reading.covers, day),
    )


def _covered(
    catalog: Catalog, events: pd.DataFrame, covers: list[scoring.Cover], day: pd.Timestamp
) -> list[tuple[str, str]]:
    """The measures the mapping sets make done at ``day`` (events of one organisation):
    (measure id, the sources that make it done)."""
    if not covers:
        return []
    states = scoring.explain(catalog, events, day, covers)
    covered = states[states["covered_by"] != ""]
    return list(zip(covered["measure_id"], covered["covered_by"], strict=True))


def _measure_states(
    catalog: Catalog,
    events: pd.DataFrame,
    covers: list[scoring.Cover],
    details: pd.DataFrame,
    orgs: list[str],
    names: dict[str, str],
    stichtag: pd.Timestamp,
) -> pd.DataFrame:
    """Every measure of every organisation: its state at the Stichtag (open where nothing
    was recorded) and what was written down with the event behind it; in between, in the
    order of the levels, each level of a dimension without measures, without a state. A
    measure recorded as done while a prerequisite is open names that prerequisite
    (``open_prerequisites``): shown, never corrected. A measure done via a mapping set
    names the measures that make it done (``covered_by``), one covered in part those
    (``partly_covered_by``)."""
    grid = pd.DataFrame({"org": pd.Series(orgs, dtype="str")}).merge(
        _catalog_lines(catalog), how="cross"
    )
    states = scoring.explain(catalog, events, stichtag, covers)[
        [
            "org",
            "measure_id",
            "status",
            "date",
            "done",
            "expires",
            "open_prerequisites",
            "covered_by",
            "partly_covered_by",
        ]
    ]
    rows = grid.merge(states, on=["org", "measure_id"], how="left")
    measure = rows["measure_id"].notna()
    rows["status"] = rows["status"].fillna("open").where(measure)
    # An answer of the catalog's scale reads as its label; the statuses keep their keys,
    # which the sheet's column labels.
    answered = measure & ~rows["status"].isin(list(MEASURE_STATUS_LABELS))
    if answered.any():
        rows.loc[answered, "status"] = state_labels(
            catalog, list(rows.loc[answered, "measure_id"]), list(rows.loc[answered, "status"])
        )
    done = rows["done"].fillna(False).astype(bool)
    rows["done"] = done if measure.all() else done.where(measure)
    rows = rows.merge(details.drop(columns=["date"]), on=["org", "measure_id"], how="left")
    rows["recorded_at"] = rows["recorded_at"].dt.tz_convert(BERLIN)
    rows["organisation"] = rows["org"].map(names)
    return rows


def _no_measures(dimension: str, level: int) -> dict[str, object]:
    return {"dimension": dimension, "level": level, "measure_id": None, "title": EMPTY_LEVEL}


def _catalog_lines(catalog: Catalog) -> pd.DataFrame:
    """The measures in catalog order with their prerequisites and references, and for each
    level of a dimension without measures a line without a measure, before the first
    measure of a higher level."""
    lines: list[dict[str, object]] = []
    for dim in catalog.dimensions:
        empty = empty_levels(catalog, dim)
        for m in dim.measures:
            while empty and empty[0] < m.level:
                lines.append(_no_measures(dim.name, empty.pop(0)))
            lines.append(
                {
                    "dimension": dim.name,
                    "level": m.level,
                    "measure_id": m.id,
                    "title": m.title,
                    "mandatory": m.mandatory,
                    "depends_on": prerequisites_text(catalog, m),
                    "references": references_text(m),
                }
            )
        lines += [_no_measures(dim.name, level) for level in empty]
    return pd.DataFrame(
        lines,
        columns=[
            "dimension",
            "level",
            "measure_id",
            "title",
            "mandatory",
            "depends_on",
            "references",
        ],
    )


def _monthly_trend(
    catalog: Catalog,
    events: pd.DataFrame,
    covers: list[scoring.Cover],
    orgs: list[str],
    names: dict[str, str],
    dim_names: dict[str, str],
    stichtag: pd.Timestamp,
) -> pd.DataFrame:
    """The score at every month's end from the first event to the Stichtag (and at the
    Stichtag itself), one column per date; organisations without events stand at 0."""
    dates = scoring.month_ends(events["date"].min() if len(events) else stichtag, stichtag)
    scores = scoring.trend(catalog, events, dates, covers)
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
