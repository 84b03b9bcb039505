"""Imports through the services: all or nothing, precise messages, idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dbutil import fingerprint, row_counts
from sqlmodel import Session

from spatz.catalog import load_catalog
from spatz.db import make_engine, migrate, session_scope
from spatz.errors import DataImportError
from spatz.io.reader import Row, Table, read_table_bytes
from spatz.queries.events import events_frame
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor, ImportSummary
from spatz.services.organisations import import_organisations, list_organisations
from spatz.services.progress import import_progress, list_events
from spatz.services.projects import (
    check_duration,
    import_milestones,
    import_projects,
    list_milestones,
    list_projects,
)
from spatz.services.targets import import_targets, targets_frame

DATA = Path(__file__).parent / "data"
ACTOR = Actor.operator("test")

ORGS = """org,name,kind,land,ags,parent
15002000,Halle (Saale),kreisfreie Stadt,Sachsen-Anhalt,15002000,
15002000-GA,Gesundheitsamt,Organisationseinheit,Sachsen-Anhalt,,15002000
15003000,Magdeburg,kreisfreie Stadt,Sachsen-Anhalt,15003000,
"""

PROGRESS = """org;measure_id;status;date;due_date;note;evidence
15002000;STR-1-01;umgesetzt;15.06.2023;;Stadtratsbeschluss;VI/2023/05123
15002000;STR-1-02;in Umsetzung;2023-07-01;2024-03-31;;
15003000;ISM-1-01;completed;2022-01-10;;;
"""


@pytest.fixture
def url(database_url: str) -> str:
    """A migrated database with the mini catalog loaded."""
    migrate(database_url)
    with session_scope(make_engine(database_url)) as session:
        store_catalog(session=session, actor=ACTOR, catalog=load_catalog(DATA / "mini.yaml"))
    return database_url


def run(url: str, importer: object, text: str, name: str, **extra: object) -> ImportSummary:
    table = read_table_bytes(text.encode(), name)
    assert callable(importer)
    with session_scope(make_engine(url)) as session:
        summary = importer(session=session, actor=ACTOR, table=table, **extra)
    assert isinstance(summary, ImportSummary)
    return summary


def rejected(url: str, importer: object, text: str, name: str, **extra: object) -> list[str]:
    """Run an import that must fail; assert nothing changed; return the messages."""
    before = fingerprint(url)
    with pytest.raises(DataImportError) as info:
        run(url, importer, text, name, **extra)
    assert fingerprint(url) == before
    return [str(p) for p in info.value.problems]


def test_organisations_import_and_reimport(url: str) -> None:
    first = run(url, import_organisations, ORGS, "orgs.csv")
    assert (first.rows, first.new, first.existing) == (3, 3, 0)
    again = run(url, import_organisations, ORGS, "orgs.csv")
    assert (again.new, again.existing, again.updated) == (0, 3, 0)
    changed = ORGS.replace("Magdeburg,", "Landeshauptstadt Magdeburg,")
    assert run(url, import_organisations, changed, "orgs.csv").updated == 1
    with Session(make_engine(url)) as session:
        orgs = {o.key: o for o in list_organisations(session=session, actor=ACTOR)}
    assert orgs["15002000-GA"].parent == "15002000"
    assert orgs["15003000"].name == "Landeshauptstadt Magdeburg"


def test_organisation_parent_may_come_later_in_the_file(url: str) -> None:
    text = "org,name,kind,parent\nA-1,Amt,Organisationseinheit,A\nA,Stadt A,Stadt,\n"
    assert run(url, import_organisations, text, "o.csv").new == 2


BAD_ORGS = [
    ("org,name\n1,x\n", ["o.csv:1: Spalte kind: Spalte fehlt (vorhanden: org, name)"]),
    ("org,name,kind\n", ["o.csv: die Datei enthält keine Datenzeilen"]),
    (
        "org,name,kind,ags\n1 2,X,Stadt,\nB,,Dorf,123\n",
        [
            "o.csv:2: Spalte org: ungültiger Schlüssel '1 2' (Buchstaben, Ziffern, . _ -)",
            "o.csv:3: Spalte name: Wert fehlt",
            "o.csv:3: Spalte kind: unbekannte Art 'Dorf' (erlaubt: Land, Landkreis, "
            "kreisfreie Stadt, Stadt, Gemeinde, Verbandsgemeinde, Behörde, Organisationseinheit)",
            "o.csv:3: Spalte ags: ein AGS hat 8 Ziffern, nicht '123'",
        ],
    ),
    (
        "org,name,kind\nA,X,Stadt\nA,Y,Stadt\n",
        ["o.csv:3: Spalte org: 'A' kommt doppelt vor (zuerst in Zeile 2)"],
    ),
    (
        "org,name,kind,parent\nA,X,Stadt,Z\n",
        ["o.csv:2: Spalte parent: übergeordnete Organisation 'Z' fehlt"],
    ),
    (
        "org,name,kind,parent\nA,X,Stadt,B\nB,Y,Stadt,A\n",
        ["o.csv:2: Spalte parent: Zyklus über 'A'", "o.csv:3: Spalte parent: Zyklus über 'B'"],
    ),
]


@pytest.mark.parametrize(("text", "messages"), BAD_ORGS)
def test_bad_organisations_are_rejected_whole(url: str, text: str, messages: list[str]) -> None:
    run(url, import_organisations, ORGS, "orgs.csv")
    assert rejected(url, import_organisations, text, "o.csv") == messages


def test_progress_import_is_idempotent_and_readable(url: str) -> None:
    run(url, import_organisations, ORGS, "orgs.csv")
    first = run(url, import_progress, PROGRESS, "p.csv")
    assert (first.new, first.existing) == (3, 0)
    again = run(url, import_progress, PROGRESS, "p.csv")
    assert (again.new, again.existing) == (0, 3)
    with Session(make_engine(url)) as session:
        frame = events_frame(session, catalog_key="mini")
        history = list_events(session=session, actor=ACTOR, org="15002000")
    assert list(frame.columns[:4]) == ["org", "measure_id", "status", "date"]
    assert len(frame) == 3
    first_row = frame.iloc[0]
    assert (first_row["org"], first_row["status"], first_row["note"]) == (
        "15002000",
        "completed",
        "Stadtratsbeschluss",
    )
    assert [e.measure_id for e in history] == ["STR-1-02", "STR-1-01"]
    assert history[0].due_date == dt.date(2024, 3, 31)
    assert history[0].recorded_by == "test"


def test_dry_run_writes_nothing(url: str) -> None:
    run(url, import_organisations, ORGS, "orgs.csv")
    before = row_counts(url)
    summary = run(url, import_progress, PROGRESS, "p.csv", dry_run=True)
    assert (summary.new, summary.dry_run) == (3, True)
    assert row_counts(url) == before


def test_bad_progress_lists_every_problem(url: str) -> None:
    run(url, import_organisations, ORGS, "orgs.csv")
    text = (
        "org,measure_id,status,date\n"
        "15002000,STR-9-99,umgesetzt,2023-01-01\n"
        "99999999,STR-1-01,erledigt,31.02.2023\n"
        "15002000,STR-1-01,geplant,\n"
    )
    assert rejected(url, import_progress, text, "p.csv") == [
        "p.csv:2: Spalte measure_id: unbekannte Maßnahme 'STR-9-99' (Katalog mini@1)",
        "p.csv:3: Spalte org: unbekannte Organisation '99999999'",
        "p.csv:3: Spalte status: unbekannter Status 'erledigt' (erlaubt: planned, in_progress, "
        "completed, not_applicable, geplant, in Umsetzung, umgesetzt, nicht relevant)",
        "p.csv:3: Spalte date: diesen Tag gibt es nicht: '31.02.2023'",
        "p.csv:4: Spalte date: Wert fehlt",
    ]


def test_progress_with_nul_in_a_text_is_refused_with_its_row_and_column(url: str) -> None:
    # CSV files with NUL are refused whole by the reader; a table from elsewhere (an XLSX
    # escape) reaches the import, which refuses it as the event schema does.
    run(url, import_organisations, ORGS, "orgs.csv")
    values = {"org": "15002000", "measure_id": "STR-1-01", "status": "geplant"}
    table = Table(
        "p.xlsx",
        ["org", "measure_id", "status", "date", "note", "evidence"],
        [
            Row(2, {**values, "date": "2023-01-01", "note": "a\x00b", "evidence": ""}),
            Row(3, {**values, "date": "2023-02-01", "note": "", "evidence": "\x00"}),
        ],
    )
    before = fingerprint(url)
    with pytest.raises(DataImportError) as info, session_scope(make_engine(url)) as session:
        import_progress(session=session, actor=ACTOR, table=table)
    assert fingerprint(url) == before
    assert [str(p) for p in info.value.problems] == [
        "p.xlsx:2: Spalte note: darf kein NUL-Zeichen enthalten",
        "p.xlsx:3: Spalte evidence: darf kein NUL-Zeichen enthalten",
    ]


def test_at_most_fifty_problems_are_reported(url: str) -> None:
    text = "org,measure_id,status,date\n" + "x,y,z,w\n" * 30
    with pytest.raises(DataImportError) as info:
        run(url, import_progress, text, "p.csv")
    assert len(info.value.problems) == 50
    assert info.value.truncated
    assert "nur die ersten 50" in str(info.value)


def test_targets_keep_history_and_skip_repeats(url: str) -> None:
    run(url, import_organisations, ORGS, "orgs.csv")
    text = "org,dimension_id,target_level,target_date\n15002000,strategie,2,31.12.2025\n"
    assert run(url, import_targets, text, "t.csv").new == 1
    assert run(url, import_targets, text, "t.csv").new == 0
    raised = text.replace(",2,", ",3,") + "15002000,overall,2,2026-12-31\n"
    assert run(url, import_targets, raised, "t.csv").new == 2
    with Session(make_engine(url)) as session:
        frame = targets_frame(session.connection(), catalog_key="mini")
    assert frame.to_dict("records") == [
        {
            "org": "15002000",
            "dimension_id": "overall",
            "target_level": 2,
            "target_date": dt.datetime(2026, 12, 31),
        },
        {
            "org": "15002000",
            "dimension_id": "strategie",
            "target_level": 3,
            "target_date": dt.datetime(2025, 12, 31),
        },
    ]
    bad = "org,dimension_id,target_level,target_date\n15002000,personal,4,2025-12-31\n"
    assert rejected(url, import_targets, bad, "t.csv") == [
        "t.csv:2: Spalte dimension_id: unbekannte Dimension 'personal' "
        "(erlaubt: overall, sicherheit, strategie)",
        "t.csv:2: Spalte target_level: der Katalog hat nur die Stufen 1..3",
    ]


PROJECTS = (
    "GB\tR\tProjektname\tProjektbeschreibung\tStart\tDauer\tEnde\tmeasures\n"
    "ALL\tQuer\tWLAN in städtischen Gebäuden\tUmsetzungsprojekt\t01.04.2023\t"
    "0 Jahre, 8 Monate 0 Tage\t31.12.2023\tSTR-2-01\n"
    "OB\t37\tNeubau 3. Feuerwache - Teilprojekt IT\tUmsetzungsprojekt\t01.06.2022\t"
    "0 Jahre, 8 Monate 1 Tage\t01.02.2023\t\n"
)


def test_projects_in_the_projektliste_format(url: str) -> None:
    run(url, import_organisations, ORGS, "orgs.csv")
    summary = run(url, import_projects, PROJECTS, "p.tsv", org="15002000")
    assert (summary.new, summary.existing) == (2, 0)
    assert run(url, import_projects, PROJECTS, "p.tsv", org="15002000").existing == 2
    moved = PROJECTS.replace("Umsetzungsprojekt\t01.04.2023", "Ausbau\t01.04.2023")
    assert run(url, import_projects, moved, "p.tsv", org="15002000").updated == 1
    with Session(make_engine(url)) as session:
        projects = list_projects(session=session, actor=ACTOR, org="15002000")
    assert [(p.name, p.start, p.end, p.measures) for p in projects] == [
        ("Neubau 3. Feuerwache - Teilprojekt IT", dt.date(2022, 6, 1), dt.date(2023, 2, 1), []),
        ("WLAN in städtischen Gebäuden", dt.date(2023, 4, 1), dt.date(2023, 12, 31), ["STR-2-01"]),
    ]
    assert projects[1].description == "Ausbau"


@pytest.mark.parametrize(
    ("start", "end", "duration", "ok"),
    [
        (dt.date(2023, 4, 1), dt.date(2023, 12, 31), "0 Jahre, 8 Monate 0 Tage", True),
        (dt.date(2022, 7, 1), dt.date(2023, 12, 31), "1 Jahre, 5 Monate 0 Tage", True),
        (dt.date(2020, 1, 1), dt.date(2023, 6, 1), "3 Jahre, 5 Monate 1 Tage", True),
        (dt.date(2023, 4, 1), dt.date(2023, 12, 31), "0 Jahre, 9 Monate 0 Tage", False),
        (dt.date(2023, 4, 1), dt.date(2023, 12, 31), "acht Monate", False),
    ],
)
def test_duration_is_checked_not_trusted(
    start: dt.date, end: dt.date, duration: str, ok: bool
) -> None:
    assert (check_duration(duration, start, end) is None) == ok


def test_bad_projects(url: str) -> None:
    run(url, import_organisations, ORGS, "orgs.csv")
    text = (
        "GB\tR\tProjektname\tProjektbeschreibung\tStart\tDauer\tEnde\tmeasures\n"
        "ALL\tQuer\tPayment\tPayPal\t01.02.2023\t0 Jahre, 5 Monate 0 Tage\t30.04.2023\t\n"
        "ALL\tQuer\tDruck\t\t01.02.2023\t\t01.01.2023\tXYZ\n"
    )
    assert rejected(url, import_projects, text, "p.tsv", org="15002000") == [
        "p.tsv:2: Spalte dauer: Dauer '0 Jahre, 5 Monate 0 Tage' passt nicht zu Start und "
        "Ende (0 Jahre, 2 Monate)",
        "p.tsv:3: Spalte ende: Ende 01.01.2023 liegt vor dem Start 01.02.2023",
        "p.tsv:3: Spalte measures: unbekannte Maßnahme(n): 'XYZ'",
    ]


def test_milestones_with_quarters(url: str) -> None:
    run(url, import_organisations, ORGS, "orgs.csv")
    text = (
        "title,due,done_date,measures\n"
        "Digitalisierungsstrategie erarbeitet,Q1 2023,2023-03-20,STR-1-01|STR-1-02\n"
        "eAkte produktiv,III. Quartal 2024,,\n"
    )
    assert run(url, import_milestones, text, "m.csv", org="15002000-GA").new == 2
    assert run(url, import_milestones, text, "m.csv", org="15002000-GA").existing == 2
    with Session(make_engine(url)) as session:
        milestones = list_milestones(session=session, actor=ACTOR, org="15002000-GA")
    assert [(m.title, m.due, m.due_label, m.done_date, m.measures) for m in milestones] == [
        (
            "Digitalisierungsstrategie erarbeitet",
            dt.date(2023, 3, 31),
            "Q1 2023",
            dt.date(2023, 3, 20),
            ["STR-1-01", "STR-1-02"],
        ),
        ("eAkte produktiv", dt.date(2024, 9, 30), "Q3 2024", None, []),
    ]
    bad = "title,due\nX,Q5 2024\n"
    assert rejected(url, import_milestones, bad, "m.csv", org="15002000-GA") == [
        "m.csv:2: Spalte due: weder Datum noch Quartal: 'Q5 2024' "
        "(erwartet TT.MM.JJJJ, JJJJ-MM-TT oder Q3 2024)"
    ]
