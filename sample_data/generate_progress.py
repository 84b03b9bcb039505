"""Erzeugt ``sample_data/progress.csv``: fiktive, aber plausible Maßnahmen-Historien.

Aufruf aus dem Wurzelverzeichnis des Repositorys::

    python sample_data/generate_progress.py            # schreibt progress.csv neu
    python sample_data/generate_progress.py --summary  # zusätzlich: erreichte Stufen

Grundlage sind der mitgelieferte Katalog ``spatz-kommunal`` und je Organisation ein
Reifegradprofil (die Stufe, die jede Dimension bis Ende 2024 erreicht). Für eine Stufe L
müssen alle Maßnahmen der Stufen 1..L umgesetzt sein; die Stufe L+1 ist teilweise in Arbeit.
Der Zufallsgenerator hat einen festen Startwert: gleicher Katalog, gleiche Datei.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spatz.catalog import Catalog, Dimension, Measure, default_catalog

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


OUTPUT = HERE / "progress.csv"
ORGANISATIONS = HERE / "organisations.csv"
MILESTONES = HERE / "meilensteine_gesundheitsamt.csv"
PROJECTS = HERE / "projekte_halle_2023.tsv"

SEED = 2023_05_25
"""Fester Startwert (Tag des VA-Beschlusses zu den Rahmenverträgen, Projektliste 2023)."""

FIRST_DAY = dt.date(2021, 1, 1)
STICHTAG = dt.date(2024, 12, 31)
"""Ende der Historie: kein Ereignis liegt danach (Fälligkeiten dürfen später liegen)."""

VALID_UNTIL = dt.date(2025, 9, 30)
"""Befristete Maßnahmen (außer den bewusst verfallenen) gelten mindestens bis hierhin."""

COLUMNS = ("org", "measure_id", "status", "date", "due_date", "note", "evidence")

HALLE = "15002000"
GESUNDHEITSAMT = "15002000-GA"


# ---------------------------------------------------------------------------
# Profile
# ---------------------------------------------------------------------------

Window = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Profile:
    """Reifegrad je Dimension Ende 2024 und der Zeitraum, in dem er erarbeitet wurde."""

    name: str
    website: str
    council: str
    """Beschlussgremium: ``Stadtrat``, ``Kreistag``, ``Gemeinderat`` oder ``Amtsleitung``."""
    levels: dict[str, int]
    start: dt.date
    end: dt.date = dt.date(2024, 10, 31)
    windows: dict[str, tuple[Window, ...]] = field(default_factory=dict)
    """Je Dimension ein Zeitfenster pro Stufe (überschreibt die gleichmäßige Aufteilung)."""


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year = day.year + month0 // 12
    month = month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


HOLIDAYS = frozenset(
    {(1, 1), (1, 6), (5, 1), (10, 3), (10, 31), (12, 24), (12, 25), (12, 26), (12, 31)}
)
"""Feste Feier- und Schließtage in Sachsen-Anhalt (ohne die beweglichen)."""


def workday(day: dt.date) -> dt.date:
    """Der nächste Werktag ab ``day`` (kein Wochenende, kein fester Feiertag)."""
    while day.weekday() >= 5 or (day.month, day.day) in HOLIDAYS:
        day += dt.timedelta(days=1)
    return day


def quarter_end(day: dt.date) -> dt.date:
    month = ((day.month - 1) // 3 + 1) * 3
    return dt.date(day.year, month, calendar.monthrange(day.year, month)[1])


def german(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def levels(
    strategie: int,
    governance: int,
    projektmanagement: int,
    informationssicherheit: int,
    personal: int,
    prozesse: int,
    infrastruktur: int,
    zusammenarbeit: int,
) -> dict[str, int]:
    return {
        "strategie": strategie,
        "governance": governance,
        "projektmanagement": projektmanagement,
        "informationssicherheit": informationssicherheit,
        "personal": personal,
        "prozesse": prozesse,
        "infrastruktur": infrastruktur,
        "zusammenarbeit": zusammenarbeit,
    }


PROFILES: dict[str, Profile] = {
    "15001000": Profile(
        "Dessau-Roßlau",
        "https://verwaltung.dessau-rosslau.de",
        "Stadtrat",
        levels(2, 2, 1, 2, 1, 2, 2, 2),
        start=d("2021-02-01"),
    ),
    HALLE: Profile(
        "Halle (Saale)",
        "https://www.halle.de",
        "Stadtrat",
        levels(2, 2, 1, 2, 2, 3, 2, 2),
        start=d("2021-01-15"),
        windows={
            # Digitalisierungsstrategie: Bestandsaufnahme und Vision 2021/22, Beschluss durch
            # die Verwaltungsführung 2023 (fest vorgegeben), danach Ziele in alle Ebenen tragen,
            # konkretisieren und Ressourcen priorisieren.
            "strategie": (
                (d("2021-04-01"), d("2022-11-30")),
                (d("2023-07-03"), d("2024-09-30")),
            ),
            # IT-Governance: Start Juni 2023.
            "governance": (
                (d("2023-06-01"), d("2023-12-15")),
                (d("2024-01-15"), d("2024-10-31")),
            ),
            # Projektmanagement: Start Juni 2023.
            "projektmanagement": ((d("2023-06-01"), d("2024-03-28")),),
        },
    ),
    GESUNDHEITSAMT: Profile(
        "Gesundheitsamt Halle (Saale)",
        "https://www.halle.de",
        "Amtsleitung",
        levels(2, 1, 1, 1, 1, 2, 1, 1),
        start=d("2022-10-04"),
        windows={
            # Modellprojekt „Digitales Gesundheitsamt“: Bestandsaufnahme vor dem Start,
            # Strategie mit Meilenstein 1 (März 2023), danach Ziele und Umsetzungsplan.
            "strategie": (
                (d("2022-10-04"), d("2023-03-03")),
                (d("2023-03-20"), d("2024-06-28")),
            ),
        },
    ),
    "15002000-IKT": Profile(
        "FB Informations- und Kommunikationstechnik Halle (Saale)",
        "https://www.halle.de",
        "Amtsleitung",
        levels(2, 2, 2, 3, 2, 1, 3, 2),
        start=d("2021-01-15"),
    ),
    "15002000-FB37": Profile(
        "Feuerwehr Halle (Saale)",
        "https://www.halle.de",
        "Amtsleitung",
        levels(1, 1, 1, 2, 1, 1, 2, 1),
        start=d("2021-06-01"),
    ),
    "15002000-FB11": Profile(
        "FB Personal Halle (Saale)",
        "https://www.halle.de",
        "Amtsleitung",
        levels(1, 1, 1, 1, 3, 1, 1, 1),
        start=d("2021-09-01"),
    ),
    "15003000": Profile(
        "Magdeburg",
        "https://www.magdeburg.de",
        "Stadtrat",
        levels(3, 3, 3, 3, 2, 4, 3, 3),
        start=d("2021-01-11"),
    ),
    "15081000": Profile(
        "Altmarkkreis Salzwedel",
        "https://www.altmarkkreis-salzwedel.de",
        "Kreistag",
        levels(1, 1, 1, 1, 1, 1, 2, 1),
        start=d("2021-05-01"),
    ),
    "15083000": Profile(
        "Landkreis Börde",
        "https://www.boerdekreis.de",
        "Kreistag",
        levels(2, 1, 1, 2, 1, 2, 2, 1),
        start=d("2021-03-01"),
    ),
    "15083270": Profile(
        "Haldensleben",
        "https://www.haldensleben.de",
        "Stadtrat",
        levels(2, 1, 1, 1, 1, 2, 2, 2),
        start=d("2021-04-01"),
    ),
    "15083298": Profile(
        "Hohe Börde",
        "https://www.hoheboerde.de",
        "Gemeinderat",
        levels(1, 1, 0, 1, 1, 2, 1, 1),
        start=d("2021-06-01"),
    ),
    "15084000": Profile(
        "Burgenlandkreis",
        "https://www.burgenlandkreis.de",
        "Kreistag",
        levels(2, 1, 1, 2, 1, 1, 2, 1),
        start=d("2021-04-01"),
    ),
    "15085000": Profile(
        "Landkreis Harz",
        "https://www.kreis-hz.de",
        "Kreistag",
        levels(2, 2, 1, 1, 1, 2, 2, 1),
        start=d("2021-02-15"),
    ),
    "15085135": Profile(
        "Halberstadt",
        "https://www.halberstadt.de",
        "Stadtrat",
        levels(2, 1, 1, 1, 1, 2, 2, 1),
        start=d("2021-03-15"),
    ),
    "15087000": Profile(
        "Landkreis Mansfeld-Südharz",
        "https://www.mansfeldsuedharz.de",
        "Kreistag",
        levels(1, 1, 1, 1, 1, 1, 1, 1),
        start=d("2021-06-01"),
    ),
    "15088000": Profile(
        "Saalekreis",
        "https://www.saalekreis.de",
        "Kreistag",
        levels(2, 2, 1, 2, 2, 2, 2, 3),
        start=d("2021-02-01"),
    ),
    "15088195": Profile(
        "Landsberg",
        "https://www.stadt-landsberg.de",
        "Stadtrat",
        levels(1, 1, 0, 1, 1, 1, 1, 1),
        start=d("2021-09-01"),
    ),
    "15088220": Profile(
        "Merseburg",
        "https://www.merseburg.de",
        "Stadtrat",
        levels(1, 1, 1, 1, 1, 2, 1, 2),
        start=d("2021-02-04"),
    ),
    "15088295": Profile(
        "Petersberg",
        "https://www.gemeinde-petersberg.de",
        "Gemeinderat",
        levels(0, 0, 0, 1, 0, 1, 1, 0),
        start=d("2021-10-01"),
    ),
    "15088330": Profile(
        "Schkopau",
        "https://www.schkopau.de",
        "Gemeinderat",
        levels(1, 0, 0, 1, 0, 1, 1, 1),
        start=d("2021-04-15"),
    ),
    "15089000": Profile(
        "Salzlandkreis",
        "https://www.salzlandkreis.de",
        "Kreistag",
        levels(2, 2, 1, 2, 1, 2, 3, 1),
        start=d("2021-02-01"),
    ),
    "15090000": Profile(
        "Landkreis Stendal",
        "https://www.landkreis-stendal.de",
        "Kreistag",
        levels(1, 1, 1, 2, 1, 1, 2, 1),
        start=d("2021-05-01"),
    ),
    "15090070": Profile(
        "Bismark (Altmark)",
        "https://www.stadt-bismark.de",
        "Stadtrat",
        levels(0, 0, 0, 1, 0, 1, 1, 0),
        start=d("2022-03-01"),
    ),
}


# ---------------------------------------------------------------------------
# Sonderfälle (abhängig vom Katalog, siehe unten SPECIAL_*)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NotApplicable:
    org: str
    measure_id: str
    date: dt.date
    reason: str


@dataclass(frozen=True)
class Reopening:
    org: str
    measure_id: str
    completed: dt.date
    reopened: dt.date
    due: dt.date


@dataclass(frozen=True)
class Expiry:
    """Eine befristet gültige Maßnahme, die früh umgesetzt und nie erneuert wurde."""

    org: str
    measure_id: str
    completed: dt.date


@dataclass(frozen=True)
class Pin:
    """Ein fest vorgegebenes Ereignis (Meilenstein, Projekt, Beschluss)."""

    org: str
    measure_id: str
    status: str
    date: dt.date
    due_date: dt.date | None = None
    note: str = ""
    evidence: str = ""


def done(
    org: str, measure_id: str, day: str, note: str, evidence: str, *, lead: int = 0
) -> tuple[Pin, ...]:
    """Eine umgesetzte Maßnahme; mit ``lead`` Tagen Umsetzung davor."""
    when = d(day)
    pins: tuple[Pin, ...] = ()
    if lead:
        pins = (
            Pin(
                org,
                measure_id,
                "in_progress",
                workday(when - dt.timedelta(days=lead)),
                due_date=quarter_end(when),
                note="Umsetzung begonnen.",
            ),
        )
    return (*pins, Pin(org, measure_id, "completed", when, note=note, evidence=evidence))


def ongoing(org: str, measure_id: str, day: str, due: str, note: str) -> tuple[Pin, ...]:
    return (Pin(org, measure_id, "in_progress", d(day), due_date=d(due), note=note),)


CENTRAL_DSB = (
    "Nicht relevant: Datenschutzbeauftragte/r ist zentral für die Stadtverwaltung bestellt."
)

NOT_APPLICABLE: tuple[NotApplicable, ...] = (
    NotApplicable(GESUNDHEITSAMT, "GOV-1-04", d("2022-11-07"), CENTRAL_DSB),
    NotApplicable("15002000-FB37", "GOV-1-04", d("2021-07-12"), CENTRAL_DSB),
    NotApplicable("15002000-FB11", "GOV-1-04", d("2021-10-04"), CENTRAL_DSB),
    NotApplicable(
        "15002000-FB11",
        "OZG-1-02",
        d("2022-02-14"),
        "Nicht relevant: Die OZG-Koordinierung liegt zentral beim Fachbereich "
        "Informations- und Kommunikationstechnik.",
    ),
    NotApplicable(
        "15002000-IKT",
        "PER-3-04",
        d("2022-05-16"),
        "Nicht relevant: Bewerbungs- und Onboardingverfahren verantwortet der Fachbereich "
        "Personal (FB 11).",
    ),
    NotApplicable(
        "15002000-FB37",
        "OZG-4-03",
        d("2022-09-05"),
        "Keine eigene Bürgerhotline – Anliegen laufen über die Leitstelle bzw. die 115 "
        "der Stadtverwaltung.",
    ),
    NotApplicable(
        "15088295",
        "OZG-4-03",
        d("2023-03-13"),
        "Keine eigene 115-Anbindung – Aufgabe liegt beim Landkreis (Saalekreis).",
    ),
    NotApplicable(
        "15083298",
        "PM-3-03",
        d("2023-08-21"),
        "Für eine Gemeinde dieser Größe nicht vorgesehen – Vorhaben werden mit dem "
        "Landkreis Börde abgestimmt.",
    ),
)

REOPENINGS: tuple[Reopening, ...] = (
    # Basis-Absicherung im Burgenlandkreis: die Revision 2024 findet Lücken.
    Reopening(
        "15084000",
        "ISM-2-03",
        completed=d("2022-08-23"),
        reopened=d("2024-06-18"),
        due=d("2025-06-30"),
    ),
)

EXPIRIES: tuple[Expiry, ...] = (
    # Jährliche Sensibilisierung zuletzt 2022: seit Ende 2023 ungültig.
    Expiry("15001000", "ISM-2-04", d("2022-11-15")),
    # Datensicherung mit getrennter Kopie 2021 nachgewiesen, danach nicht erneut geprüft.
    Expiry("15087000", "ISM-1-03", d("2021-09-14")),
    # Fortbildungsprogramm 2022 aufgelegt, 2023 und 2024 nicht fortgeschrieben.
    Expiry("15088000", "PER-2-02", d("2022-03-08")),
)

HALLE_PINS: tuple[Pin, ...] = (
    # Die nächsten Schritte (Stand Mai 2023): Strategie-Beschluss, IT-Governance und
    # Projektmanagement ab Juni 2023.
    Pin(
        HALLE,
        "STR-1-01",
        "planned",
        d("2022-09-15"),
        due_date=d("2023-03-31"),
        note="Digitalisierungsstrategie wird erarbeitet.",
    ),
    Pin(
        HALLE,
        "STR-1-01",
        "in_progress",
        d("2023-01-16"),
        due_date=d("2023-06-30"),
        note="Entwurf liegt vor; Beschluss durch die Verwaltungsführung in der nächsten "
        "Sitzung vorgesehen.",
    ),
    Pin(
        HALLE,
        "STR-1-01",
        "completed",
        d("2023-06-22"),
        note="Digitalisierungsstrategie „NaCl-ar! – #digitales Halle 2030“ durch die "
        "Verwaltungsführung beschlossen.",
        evidence="Beschluss der Verwaltungsführung vom 22.06.2023; Information an den "
        "Stadtrat VII/2023/05123",
    ),
    Pin(
        HALLE,
        "PM-1-02",
        "in_progress",
        d("2023-01-09"),
        due_date=d("2023-05-31"),
        note="Anmeldung der Projekte 2023 läuft.",
    ),
    Pin(
        HALLE,
        "PM-1-02",
        "completed",
        d("2023-05-15"),
        note="Zentrale Projektliste 2023 geführt (Stand 05/2023 rd. 80 Projekte).",
        evidence="Projektliste 2023, Stand 05/2023",
    ),
    Pin(
        HALLE,
        "PM-1-01",
        "in_progress",
        d("2023-06-05"),
        due_date=d("2023-12-31"),
        note="Start Projektmanagement: Analyse der derzeitigen Projekte hinsichtlich "
        "verwendeter Standards.",
    ),
    Pin(
        HALLE,
        "PM-1-01",
        "completed",
        d("2023-10-27"),
        note="Analyse der Projekte abgeschlossen.",
        evidence="https://www.halle.de/dokumente/2023/analyse-projektstandards.pdf",
    ),
    Pin(
        HALLE,
        "PM-2-01",
        "in_progress",
        d("2023-06-01"),
        due_date=d("2023-09-30"),
        note="Rahmenverträge zur Unterstützung mit Consultingleistungen im VA am "
        "25.05.2023 beschlossen.",
    ),
    Pin(
        HALLE,
        "PM-2-01",
        "completed",
        d("2023-09-29"),
        note="Externer Fachexperte PMO über Rahmenvertrag gebunden.",
        evidence="Rahmenvertrag Consultingleistungen (VA-Beschluss vom 25.05.2023)",
    ),
    Pin(
        HALLE,
        "PM-2-02",
        "planned",
        d("2023-11-06"),
        due_date=d("2024-06-30"),
        note="Workshops zur Auswahl standardisierter und agiler Methoden geplant.",
    ),
    Pin(
        HALLE,
        "PM-2-02",
        "in_progress",
        d("2024-02-12"),
        due_date=d("2025-03-31"),
        note="Workshops laufen; Auswahl der Methoden verzögert sich.",
    ),
    Pin(
        HALLE,
        "PM-3-01",
        "planned",
        d("2024-04-15"),
        due_date=d("2025-09-30"),
        note="Praktisches Projektmanagement-Handbuch („PM-Koffer“) digital bereitstellen.",
    ),
    Pin(
        HALLE,
        "GOV-1-02",
        "in_progress",
        d("2023-06-05"),
        due_date=d("2023-12-31"),
        note="Start IT-Governance: Rollenverteilung, Kompetenzen und Verantwortung.",
    ),
    Pin(
        HALLE,
        "GOV-1-02",
        "completed",
        d("2023-11-30"),
        note="Rollenmodell IT-Governance festgelegt.",
        evidence="Dienstanweisung Digitalisierung und IT-Steuerung vom 30.11.2023",
    ),
    Pin(
        HALLE,
        "GOV-3-01",
        "in_progress",
        d("2024-09-02"),
        due_date=d("2025-06-30"),
        note="Definition, Dokumentation und Aufbau der notwendigen Prozesse begonnen.",
    ),
)

UNFINISHED_PROJECTS = frozenset(
    {"Einführung Kanzlei-SW", "AI-Vergabemanager - Archivierungsschnittstelle"}
)
"""Projekte der Liste, die laut Beschreibung noch nicht umgesetzt waren."""

OGL_WORKSHOP = (
    "Teilnahme Open Government Labor 2021, Workshop „Digitale Verwaltung/Serviceportale“ "
    "am 04.02.2021"
)

SEED_PINS: tuple[Pin, ...] = (
    # Vorzeige- und Planungsprojekte der Kommunen (OZG-Sommerakademie) und der Austausch
    # zwischen Land und Kommunen (Open Government Labor 2021, CIO-Projekt 2022/23).
    *done(
        "15003000",
        "OZG-2-03",
        "2021-03-15",
        "Kita-Portal im Produktivbetrieb (Vorzeigeprojekt).",
        "https://www.magdeburg.de/dokumente/2021/kita-portal-inbetriebnahme.pdf",
    ),
    *done(
        HALLE,
        "INF-2-02",
        "2021-02-26",
        "Elektronischer Rechnungsworkflow in allen Fachbereichen (Vorzeigeprojekt).",
        "Abnahmeprotokoll eRechnungs-Workflow vom 26.02.2021",
    ),
    *done(
        HALLE,
        "KOM-1-02",
        "2022-09-01",
        "Teilnahme am Workshop zur Zusammenarbeit zwischen Land und Kommunen.",
        "Workshop Zusammenarbeit Land–Kommunen, Magdeburg 01.09.2022 (Nachbereitung)",
    ),
    *done(
        HALLE,
        "KOM-2-03",
        "2023-07-04",
        "Mitarbeit in den Arbeitsgruppen des CIO-Projekts; Ergebnisse im 3. Plenum vorgestellt.",
        "CIO-Projekt des MID, 3. Plenarsitzung am 04.07.2023",
        lead=150,
    ),
    *done(
        "15085000",
        "INF-2-02",
        "2021-04-19",
        "eRechnung mit Workflow für den Rechnungseingang (Vorzeigeprojekt).",
        "Abnahmeprotokoll eRechnung/Rechnungseingangsworkflow vom 19.04.2021",
    ),
    *ongoing(
        "15085000",
        "INF-3-01",
        "2023-04-03",
        "2025-12-31",
        "DMS/eAkte: Einführung in den ersten Ämtern, Rollout bis 2025.",
    ),
    *ongoing(
        "15085135",
        "INF-3-01",
        "2022-06-01",
        "2025-06-30",
        "eAkte in rund einem Drittel des Hauses umgesetzt; Rollout läuft.",
    ),
    *done(
        "15083298",
        "KOM-3-02",
        "2021-05-27",
        "Elektronische Gremienarbeit für Gemeinderat und Ortschaftsräte (Vorzeigeprojekt).",
        "https://www.hoheboerde.de/dokumente/2021/elektronische-gremienarbeit.pdf",
    ),
    *ongoing(
        "15083270",
        "INF-3-04",
        "2023-03-01",
        "2025-03-31",
        "Flächendeckendes WLAN in den Verwaltungsstandorten in Arbeit.",
    ),
    *done(
        "15089000",
        "INF-1-03",
        "2021-11-30",
        "Breitbandanbindung aller Verwaltungsstandorte abgeschlossen.",
        "Abnahmeprotokoll Breitbandausbau Verwaltungsstandorte vom 30.11.2021",
        lead=200,
    ),
    *done(
        "15089000",
        "INF-3-01",
        "2024-09-26",
        "Behördenweite eAkte im Produktivbetrieb.",
        "https://www.salzlandkreis.de/dokumente/2024/einfuehrung-behoerdenweite-eakte.pdf",
        lead=420,
    ),
    *done(
        "15081000",
        "INF-2-01",
        "2023-10-16",
        "DMS auf SharePoint-Basis eingeführt.",
        "Abnahmeprotokoll DMS (SharePoint) vom 16.10.2023",
        lead=240,
    ),
    *done(
        "15090070",
        "INF-1-03",
        "2024-05-21",
        "Breitbandanschluss (Funknetz) für Rathaus und Außenstellen in Betrieb.",
        "Abnahmeprotokoll Breitbandanschluss vom 21.05.2024",
        lead=300,
    ),
    *ongoing("15088195", "INF-2-01", "2024-02-05", "2025-12-31", "DMS/eAkte: Ausschreibung läuft."),
    *ongoing(
        "15088220", "INF-2-01", "2023-09-11", "2025-06-30", "DMS-Einführung in der Pilotphase."
    ),
    *done(
        "15088330",
        "KOM-1-02",
        "2021-02-04",
        "Erfahrungen im OGL-Workshop geschildert.",
        OGL_WORKSHOP,
    ),
    *done("15088295", "KOM-1-02", "2021-02-04", "Teilnahme am OGL-Workshop.", OGL_WORKSHOP),
    *done("15088220", "KOM-1-02", "2021-02-04", "Teilnahme am OGL-Workshop.", OGL_WORKSHOP),
)

EARLY_MEASURES = frozenset({"GOV-1-04"})
"""Seit der DSGVO (2018) vorgeschrieben: überall zu Beginn der Historie nachgewiesen."""


# ---------------------------------------------------------------------------
# Ereignisse
# ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Event:
    org: str
    date: dt.date
    measure_id: str
    seq: int
    status: str
    due_date: dt.date | None = None
    note: str = ""
    evidence: str = ""

    def row(self) -> tuple[str, ...]:
        return (
            self.org,
            self.measure_id,
            self.status,
            self.date.isoformat(),
            self.due_date.isoformat() if self.due_date else "",
            self.note,
            self.evidence,
        )


class Builder:
    """Sammelt die Ereignisse; je (Organisation, Maßnahme) streng aufsteigende Daten."""

    def __init__(self, catalog: Catalog, rng: random.Random) -> None:
        self.catalog = catalog
        self.rng = rng
        self.events: list[Event] = []
        self._seq = 0
        self._last: dict[tuple[str, str], dt.date] = {}

    # -- primitives ---------------------------------------------------------

    def add(
        self,
        org: str,
        measure_id: str,
        status: str,
        date: dt.date,
        due_date: dt.date | None = None,
        note: str = "",
        evidence: str = "",
    ) -> None:
        if not FIRST_DAY <= date <= STICHTAG:
            raise ValueError(f"{org} {measure_id}: Datum {date} außerhalb der Historie")
        last = self._last.get((org, measure_id))
        if last is not None and date <= last:
            raise ValueError(f"{org} {measure_id}: {date} liegt nicht nach {last}")
        self._last[(org, measure_id)] = date
        self._seq += 1
        self.events.append(
            Event(org, date, measure_id, self._seq, status, due_date, note, evidence)
        )

    def between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return workday(start)
        return workday(start + dt.timedelta(days=self.rng.randint(0, (end - start).days)))

    # -- building blocks ----------------------------------------------------

    def history_then_complete(
        self, org: str, profile: Profile, dim: Dimension, m: Measure, done: dt.date
    ) -> None:
        """planned → in_progress → completed (Vorgeschichte nicht immer erfasst)."""
        roll = self.rng.random()
        steps: list[tuple[str, dt.date]] = []
        if roll < 0.45:
            started = done - dt.timedelta(days=self.rng.randint(30, 150))
            planned = started - dt.timedelta(days=self.rng.randint(20, 120))
            steps = [("planned", planned), ("in_progress", started)]
        elif roll < 0.7:
            steps = [("in_progress", done - dt.timedelta(days=self.rng.randint(20, 120)))]
        due = quarter_end(done + dt.timedelta(days=self.rng.randint(-40, 20)))
        for status, when in steps:
            when = workday(when)
            if when < FIRST_DAY or when >= done:
                continue
            if status == "planned":
                note = planned_note(m, when, self.rng)
            else:
                note = progress_note(m, self.rng)
            self.add(org, m.id, status, when, due_date=max(due, quarter_end(when)), note=note)
        self.add(
            org,
            m.id,
            "completed",
            done,
            note=completed_note(m, self.rng),
            evidence=evidence_for(org, profile, dim, m, done, self.rng),
        )

    def renew(self, org: str, profile: Profile, dim: Dimension, m: Measure, done: dt.date) -> None:
        """Befristete Maßnahmen rechtzeitig erneuern: am Stichtag und bis ``VALID_UNTIL``
        gültig. Fiele die nächste Erneuerung nach dem Stichtag, wird sie im vierten Quartal
        2024 vorgezogen (Jahresprüfung)."""
        months = m.valid_for_months
        if months is None:
            return
        current = done
        while add_months(current, months) <= VALID_UNTIL:
            nxt = workday(add_months(current, months) - dt.timedelta(days=self.rng.randint(7, 45)))
            note = f"Turnusmäßig erneuert (gültig {months} Monate)."
            if nxt > STICHTAG - dt.timedelta(days=14):
                nxt = self.between(
                    max(current + dt.timedelta(days=90), d("2024-10-01")), d("2024-12-13")
                )
                note = f"Jahresprüfung {nxt.year}: erneut nachgewiesen (gültig {months} Monate)."
            self.add(
                org,
                m.id,
                "completed",
                nxt,
                note=note,
                evidence=evidence_for(org, profile, dim, m, nxt, self.rng),
            )
            current = nxt

    def partial(
        self,
        org: str,
        profile: Profile,
        dim: Dimension,
        measures: Sequence[Measure],
        window: Window,
        already_done: int,
        total: int,
    ) -> None:
        """Die nächste Stufe: einiges umgesetzt, der Rest in Arbeit oder geplant."""
        if not measures:
            if already_done >= total:
                raise ValueError(f"{org} {dim.id}: nächste Stufe wäre vollständig umgesetzt")
            return
        ordered = list(measures)
        self.rng.shuffle(ordered)
        max_done = len(ordered) - 1 if already_done + len(ordered) >= total else len(ordered)
        n_done = self.rng.randint(0, max(0, min(max_done, len(ordered) // 2 + 1)))
        start, end = window
        for i, m in enumerate(ordered):
            if i < n_done:
                done = self.between(max(start, end - dt.timedelta(days=300)), end)
                self.history_then_complete(org, profile, dim, m, done)
                self.renew(org, profile, dim, m, done)
                continue
            if self.rng.random() < 0.55:
                planned = self.between(max(start, d("2023-09-01")), d("2024-06-30"))
                due = quarter_end(self.between(d("2025-01-15"), d("2025-12-15")))
                note = planned_note(m, planned, self.rng)
                self.add(org, m.id, "planned", planned, due_date=due, note=note)
                if self.rng.random() < 0.6:
                    started = self.between(planned + dt.timedelta(days=20), d("2024-12-13"))
                    self.add(
                        org,
                        m.id,
                        "in_progress",
                        started,
                        due_date=due,
                        note=progress_note(m, self.rng),
                    )
            else:
                started = self.between(d("2024-02-01"), d("2024-11-29"))
                due = quarter_end(self.between(d("2025-02-01"), d("2025-11-30")))
                self.add(
                    org, m.id, "in_progress", started, due_date=due, note=progress_note(m, self.rng)
                )

    def later(self, org: str, m: Measure) -> None:
        """Eine Maßnahme zwei Stufen höher: nur vorgemerkt."""
        planned = self.between(d("2024-03-01"), d("2024-12-13"))
        due = quarter_end(self.between(d("2025-07-01"), d("2026-11-30")))
        self.add(
            org, m.id, "planned", planned, due_date=due, note="Für die Haushaltsplanung vorgemerkt."
        )


# ---------------------------------------------------------------------------
# Texte
# ---------------------------------------------------------------------------

PROGRESS_NOTES = (
    "Umsetzung begonnen.",
    "In Umsetzung, Abstimmung mit den Fachbereichen läuft.",
    "Entwurf liegt vor, Mitzeichnung läuft.",
    "Beauftragung erfolgt, Umsetzung läuft.",
    "Arbeitsgruppe eingerichtet.",
    "In Umsetzung; Personalengpass verzögert den Abschluss.",
)

COMPLETED_NOTES = (
    "Umgesetzt.",
    "Umgesetzt und dokumentiert.",
    "Abgeschlossen, Nachweis abgelegt.",
    "Umgesetzt; Ergebnis in der Dienstberatung vorgestellt.",
    "Abnahme erfolgt.",
)


def planned_note(m: Measure, day: dt.date, rng: random.Random) -> str:
    return rng.choice(
        (
            f"Geplant: {m.title}",
            f"In die Maßnahmenplanung {day.year} aufgenommen.",
            "Vorgesehen laut Umsetzungsplan.",
            "Haushaltsmittel angemeldet.",
        )
    )


def progress_note(m: Measure, rng: random.Random) -> str:
    return rng.choice(PROGRESS_NOTES)


def completed_note(m: Measure, rng: random.Random) -> str:
    return rng.choice(COMPLETED_NOTES)


def council_decision(org: str, profile: Profile, day: dt.date, rng: random.Random) -> str:
    number = rng.randint(10, 999)
    if org == HALLE:
        period = "VII" if day < d("2024-07-01") else "VIII"
        return f"Stadtratsbeschluss {period}/{day.year}/{rng.randint(1000, 9999):05d}"
    if org == "15003000":
        return f"Stadtratsbeschluss DS{rng.randint(1, 999):04d}/{day.year % 100:02d}"
    if profile.council == "Kreistag":
        return f"Kreistagsbeschluss KT/{day.year}/{number:03d}"
    if profile.council == "Gemeinderat":
        return f"Gemeinderatsbeschluss GR/{day.year}/{number:03d}"
    if profile.council == "Amtsleitung":
        return f"Verfügung der Amtsleitung vom {german(day)}"
    return f"Stadtratsbeschluss {day.year}/{number:03d}"


def slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    out = []
    for ch in text.lower().translate(table):
        out.append(ch if ch.isascii() and ch.isalnum() else "-")
    words = [w for w in "".join(out).split("-") if w]
    return "-".join(words[:5])


DECISIONS = frozenset({"STR-1-01", "STR-2-02", "STR-3-03", "STR-5-01", "GOV-5-01", "KOM-4-03"})
"""Maßnahmen, die ein Beschluss der Vertretung (oder der Amtsleitung) belegt."""

MEASURE_EVIDENCE: dict[str, str] = {
    "GOV-1-01": "Organisationsverfügung Nr. {nr}/{year}: Ansprechperson Digitalisierung",
    "GOV-1-04": "Bestellung der/des Datenschutzbeauftragten vom {date}",
    "GOV-2-02": "Geschäftsordnung des Lenkungskreises Digitalisierung vom {date}",
    "GOV-2-03": "Dienstanweisung IT vom {date}",
    "GOV-4-03": "Überprüfungsvermerk Governance-Regeln vom {date}",
    "PM-1-02": "Projektliste {year} (Stand {month})",
    "ISM-1-01": "Bestellungsschreiben ISB vom {date}",
    "ISM-1-02": "Bearbeitete WiBA-Checklisten, Stand {date}",
    "ISM-1-03": "Prüfprotokoll Datensicherung und Wiederherstellungstest vom {date}",
    "ISM-2-01": "Leitlinie zur Informationssicherheit, in Kraft seit {date}",
    "ISM-2-04": "Teilnahmenachweise Sensibilisierung Informationssicherheit {year}",
    "ISM-3-03": "Risikobehandlungsplan, Version vom {date}",
    "ISM-4-02": "Protokoll der Notfallübung vom {date}",
    "ISM-4-03": "Managementbericht Informationssicherheit {year}",
    "PER-2-02": "Fortbildungsprogramm Digitale Kompetenzen {year}",
    "STR-4-02": "Umsetzungsbericht Digitalisierung {year}",
    "INF-4-02": "Lebenszyklus- und Erneuerungsplanung IT {year}",
}

DIMENSION_EVIDENCE: dict[str, tuple[str, ...]] = {
    "strategie": (
        "{site}/dokumente/{year}/{slug}.pdf",
        "Protokoll der Dienstberatung der Verwaltungsführung vom {date}",
    ),
    "governance": (
        "Dienstanweisung Digitalisierung und IT-Steuerung vom {date}",
        "Organisationsverfügung Nr. {nr}/{year}",
        "{site}/dokumente/{year}/{slug}.pdf",
    ),
    "projektmanagement": (
        "{site}/dokumente/{year}/{slug}.pdf",
        "Protokoll des Projektlenkungskreises vom {date}",
    ),
    "informationssicherheit": (
        "Dienstanweisung IT-Sicherheit vom {date}",
        "Bericht der/des Informationssicherheitsbeauftragten vom {date}",
        "Sicherheitskonzept, Version vom {date}",
    ),
    "personal": (
        "Schulungsnachweise {year}",
        "{site}/dokumente/{year}/{slug}.pdf",
        "Vermerk Personalentwicklung vom {date}",
    ),
    "prozesse": (
        "{site}/dokumente/{year}/{slug}.pdf",
        "Freigabevermerk vom {date}",
        "Prozessdokumentation, Stand {date}",
    ),
    "infrastruktur": (
        "Abnahmeprotokoll vom {date}",
        "Inbetriebnahmeprotokoll vom {date}",
        "{site}/dokumente/{year}/{slug}.pdf",
    ),
    "zusammenarbeit": (
        "Protokoll vom {date}",
        "{site}/dokumente/{year}/{slug}.pdf",
        "Teilnahmebestätigung vom {date}",
    ),
}


def evidence_for(
    org: str, profile: Profile, dim: Dimension, m: Measure, day: dt.date, rng: random.Random
) -> str:
    if m.id in DECISIONS:
        return council_decision(org, profile, day, rng)
    template = MEASURE_EVIDENCE.get(m.id) or rng.choice(
        DIMENSION_EVIDENCE.get(dim.id, ("Vermerk vom {date}",))
    )
    return template.format(
        site=profile.website,
        year=day.year,
        date=german(day),
        month=f"{day.month:02d}/{day.year}",
        nr=rng.randint(1, 40),
        slug=slug(m.title),
    )


# ---------------------------------------------------------------------------
# Eingaben
# ---------------------------------------------------------------------------


def read_organisations(path: Path = ORGANISATIONS) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["org"] for row in csv.DictReader(fh)]


def parse_id_list(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


def quarter_label_end(label: str) -> dt.date:
    quarter, year = label.removeprefix("Q").split()
    month = int(quarter) * 3
    return dt.date(int(year), month, calendar.monthrange(int(year), month)[1])


def milestone_pins(path: Path = MILESTONES) -> list[Pin]:
    """Erledigte Meilensteine: verknüpfte Maßnahmen um das Erledigungsdatum umgesetzt;
    offene Meilensteine: verknüpfte Maßnahmen in Umsetzung, Fälligkeit überschritten."""
    pins: list[Pin] = []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for number, row in enumerate(rows, start=1):
        due = quarter_label_end(row["due"])
        label = f"Meilenstein {number} „{row['title']}“"
        for offset, measure_id in enumerate(parse_id_list(row["measures"])):
            if row["done_date"]:
                done = d(row["done_date"]) - dt.timedelta(days=2 * offset)
                pins.append(
                    Pin(
                        GESUNDHEITSAMT,
                        measure_id,
                        "in_progress",
                        workday(done - dt.timedelta(days=75 + 9 * offset)),
                        due_date=due,
                        note=f"Teil von {label}.",
                    )
                )
                pins.append(
                    Pin(
                        GESUNDHEITSAMT,
                        measure_id,
                        "completed",
                        workday(done),
                        note=f"{label} erreicht.",
                        evidence=f"Meilensteinbericht Modellprojekt Digitales Gesundheitsamt "
                        f"vom {german(d(row['done_date']))}",
                    )
                )
            else:
                started = workday(due - dt.timedelta(days=150 - 11 * offset))
                pins.append(
                    Pin(
                        GESUNDHEITSAMT,
                        measure_id,
                        "in_progress",
                        started,
                        due_date=due,
                        note=f"Teil von {label}.",
                    )
                )
                pins.append(
                    Pin(
                        GESUNDHEITSAMT,
                        measure_id,
                        "in_progress",
                        workday(due + dt.timedelta(days=21 + 5 * offset)),
                        due_date=dt.date(2025, 6, 30),
                        note=f"{label} verzögert; neuer Termin Q2 2025.",
                    )
                )
    return pins


def project_pins(path: Path = PROJECTS) -> list[Pin]:
    """Abgeschlossene Projekte der Projektliste 2023: verknüpfte Maßnahmen zum Projektende."""
    pins: list[Pin] = []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for row in rows:
        ids = parse_id_list(row.get("measures") or "")
        if not ids:
            continue
        start = dt.datetime.strptime(row["Start"], "%d.%m.%Y").date()
        end = dt.datetime.strptime(row["Ende"], "%d.%m.%Y").date()
        for offset, measure_id in enumerate(ids):
            pins.append(
                Pin(
                    HALLE,
                    measure_id,
                    "in_progress",
                    workday(max(start, FIRST_DAY) + dt.timedelta(days=3 * offset)),
                    due_date=end,
                    note=f"Projekt „{row['Projektname']}“ ({row['Projektbeschreibung']}).",
                )
            )
            if row["Projektname"] in UNFINISHED_PROJECTS:
                pins.append(
                    Pin(
                        HALLE,
                        measure_id,
                        "in_progress",
                        workday(end + dt.timedelta(days=10 + 3 * offset)),
                        due_date=dt.date(2025, 9, 30),
                        note=f"Projekt „{row['Projektname']}“ verlängert.",
                    )
                )
                continue
            pins.append(
                Pin(
                    HALLE,
                    measure_id,
                    "completed",
                    workday(end - dt.timedelta(days=4 + 3 * offset)),
                    note=f"Projekt „{row['Projektname']}“ abgeschlossen.",
                    evidence=f"Projektabschlussbericht „{row['Projektname']}“, "
                    f"Projektliste 2023 ({row['GB']}/{row['R']})",
                )
            )
    return pins


# ---------------------------------------------------------------------------
# Erzeugung
# ---------------------------------------------------------------------------


def windows_for(profile: Profile, dim_id: str, top: int, offset: int) -> list[Window]:
    """Ein Zeitfenster je Stufe 1..top, aufsteigend und ohne Überlappung."""
    given = profile.windows.get(dim_id, ())
    if len(given) >= top:
        return list(given[:top])
    start = profile.start + dt.timedelta(days=offset)
    if given:
        start = given[-1][1] + dt.timedelta(days=14)
    rest = top - len(given)
    span = (profile.end - start).days
    out = list(given)
    for i in range(rest):
        a = start + dt.timedelta(days=span * i // rest)
        b = start + dt.timedelta(days=span * (i + 1) // rest - 10)
        out.append((a, b))
    return out


def build(catalog: Catalog, seed: int = SEED) -> list[Event]:
    rng = random.Random(seed)
    builder = Builder(catalog, rng)
    orgs = read_organisations()
    unknown = sorted(set(PROFILES) - set(orgs))
    if unknown:
        raise ValueError(f"Profile für unbekannte Organisationen: {unknown}")
    measure_ids = {m.id for _, m in catalog.measures()}

    pins: dict[tuple[str, str], list[Pin]] = {}
    for pin in (*milestone_pins(), *project_pins(), *HALLE_PINS, *SEED_PINS):
        if pin.measure_id not in measure_ids:
            raise ValueError(f"Maßnahme {pin.measure_id} nicht im Katalog")
        pins.setdefault((pin.org, pin.measure_id), []).append(pin)
    not_applicable = {(n.org, n.measure_id): n for n in NOT_APPLICABLE}
    reopenings = {(r.org, r.measure_id): r for r in REOPENINGS}
    expiries = {(e.org, e.measure_id): e for e in EXPIRIES}
    for key in (*not_applicable, *reopenings, *expiries):
        if key[1] not in measure_ids:
            raise ValueError(f"Maßnahme {key[1]} nicht im Katalog")

    for org in sorted(PROFILES):
        profile = PROFILES[org]
        for dim_index, dim in enumerate(catalog.dimensions):
            top = profile.levels.get(dim.id, 0)
            wins = windows_for(profile, dim.id, max(top, 1), offset=17 * dim_index % 90)
            by_level: dict[int, list[Measure]] = {}
            for m in dim.measures:
                by_level.setdefault(m.level, []).append(m)
            for level in sorted(by_level):
                generic: list[Measure] = []
                done_here = 0
                for m in by_level[level]:
                    key = (org, m.id)
                    if key in pins:
                        for pin in sorted(pins[key], key=lambda p: p.date):
                            builder.add(
                                org,
                                m.id,
                                pin.status,
                                pin.date,
                                pin.due_date,
                                pin.note,
                                pin.evidence,
                            )
                        last = max(pins[key], key=lambda p: p.date)
                        if last.status == "completed":
                            done_here += 1
                            builder.renew(org, profile, dim, m, last.date)
                    elif m.id in EARLY_MEASURES and key not in not_applicable:
                        early = builder.between(FIRST_DAY, FIRST_DAY + dt.timedelta(days=100))
                        builder.add(
                            org,
                            m.id,
                            "completed",
                            early,
                            note="Bestellung besteht seit 2018 (Art. 37 DSGVO); Nachweis erfasst.",
                            evidence=evidence_for(org, profile, dim, m, early, rng),
                        )
                        done_here += 1
                    elif key in not_applicable:
                        na = not_applicable[key]
                        builder.add(org, m.id, "not_applicable", na.date, note=na.reason)
                        done_here += 1
                    elif key in expiries:
                        exp = expiries[key]
                        builder.history_then_complete(org, profile, dim, m, exp.completed)
                    elif key in reopenings:
                        ro = reopenings[key]
                        builder.history_then_complete(org, profile, dim, m, ro.completed)
                        builder.add(
                            org,
                            m.id,
                            "planned",
                            ro.reopened,
                            due_date=ro.due,
                            note="Nachprüfung ergab Lücken; Maßnahme wird erneut umgesetzt.",
                        )
                    else:
                        generic.append(m)
                if level <= top:
                    start, end = wins[level - 1]
                    for m in generic:
                        done = builder.between(start, end)
                        builder.history_then_complete(org, profile, dim, m, done)
                        builder.renew(org, profile, dim, m, done)
                elif level == top + 1:
                    last_start = wins[-1][0] if top else profile.start
                    builder.partial(
                        org,
                        profile,
                        dim,
                        generic,
                        (last_start, profile.end),
                        done_here,
                        len(by_level[level]),
                    )
                elif level == top + 2:
                    for m in generic:
                        if rng.random() < 0.3:
                            builder.later(org, m)
    return sorted(builder.events)


def render(events: Iterable[Event]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow(event.row())
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Auswertung (zur Kontrolle der Profile)
# ---------------------------------------------------------------------------


def reached_levels(
    catalog: Catalog, events: Iterable[Event], on: dt.date = STICHTAG
) -> dict[tuple[str, str], int]:
    """Stufe je (Organisation, Dimension) am Stichtag: letzter Status je Maßnahme zählt,
    ``not_applicable`` zählt nicht mit, befristete Maßnahmen verfallen."""
    last: dict[tuple[str, str], Event] = {}
    for event in sorted(events):
        if event.date <= on:
            last[(event.org, event.measure_id)] = event
    last_completed: dict[tuple[str, str], dt.date] = {}
    for event in sorted(events):
        if event.date <= on and event.status == "completed":
            last_completed[(event.org, event.measure_id)] = event.date
    orgs = sorted({org for org, _ in last})
    out: dict[tuple[str, str], int] = {}
    for org in orgs:
        for dim in catalog.dimensions:
            reached = 0
            for level in range(1, catalog.n_levels + 1):
                ok = True
                for m in dim.measures:
                    if m.level != level:
                        continue
                    ev = last.get((org, m.id))
                    if ev is None:
                        ok = False
                        break
                    if ev.status == "not_applicable":
                        continue
                    if ev.status != "completed":
                        ok = False
                        break
                    if m.valid_for_months is not None:
                        since = last_completed[(org, m.id)]
                        if add_months(since, m.valid_for_months) <= on:
                            ok = False
                            break
                if not ok:
                    break
                reached = level
            out[(org, dim.id)] = reached
    return out


def expected_levels(catalog: Catalog) -> dict[tuple[str, str], int]:
    """Die Profile, vermindert um die bewusst verfallenen und wiedereröffneten Maßnahmen."""
    out: dict[tuple[str, str], int] = {}
    for org, profile in PROFILES.items():
        for dim in catalog.dimensions:
            out[(org, dim.id)] = profile.levels.get(dim.id, 0)
    for org, measure_id in [
        *((e.org, e.measure_id) for e in EXPIRIES),
        *((r.org, r.measure_id) for r in REOPENINGS),
    ]:
        for dim in catalog.dimensions:
            for m in dim.measures:
                if m.id == measure_id and m.level <= out[(org, dim.id)]:
                    out[(org, dim.id)] = m.level - 1
    return out


def main(argv: Sequence[str] | None = None, output: Path = OUTPUT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=output, help="Zieldatei (progress.csv)")
    parser.add_argument("--summary", action="store_true", help="erreichte Stufen ausgeben")
    args = parser.parse_args(argv)
    catalog = default_catalog()
    events = build(catalog)
    reached = reached_levels(catalog, events)
    expected = expected_levels(catalog)
    wrong = {k: (reached.get(k, 0), v) for k, v in expected.items() if reached.get(k, 0) != v}
    if wrong:
        raise SystemExit(f"Profile nicht getroffen (erreicht, erwartet): {wrong}")
    target: Path = args.output
    target.write_text(render(events), encoding="utf-8", newline="")
    if args.summary:
        dims = [dim.id for dim in catalog.dimensions]
        sys.stdout.write("org".ljust(14) + " ".join(x[:4] for x in dims) + "\n")
        for org in sorted(PROFILES):
            cells = " ".join(str(reached.get((org, x), 0)).rjust(4) for x in dims)
            sys.stdout.write(f"{org.ljust(14)}{cells}\n")
        sys.stdout.write(f"{len(events)} Zeilen -> {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
