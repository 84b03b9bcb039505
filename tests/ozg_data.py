"""A catalog the size of the OZG: one dimension per service, 300 of them, in 15 Themenfelder.

Generated here (never shipped): a group per Themenfeld, 20 services each, the OZG's
levels 0–4 with a named level 0 and one measure per service and level."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from pathlib import Path

import yaml
from dbutil import demo_copy

import spatz
from spatz.catalog import Catalog, parse_catalog
from spatz.db import make_engine, session_scope
from spatz.io.reader import read_table_bytes
from spatz.services.catalogs import store_catalog
from spatz.services.common import Actor
from spatz.services.progress import import_progress

OZG_ID = "ozg"
THEMENFELDER = [
    "Arbeit & Ruhestand",
    "Bauen & Wohnen",
    "Bildung",
    "Ein- & Auswanderung",
    "Engagement & Hobby",
    "Familie & Kind",
    "Forschung & Förderung",
    "Gesundheit",
    "Mobilität & Reisen",
    "Querschnitt",
    "Recht & Ordnung",
    "Steuern & Zoll",
    "Umwelt",
    "Unternehmensführung",
    "Arbeitgeber & Beschäftigte",
]
SERVICES_PER_FIELD = 20
LEVELS = ["Offline", "Information", "Formular-Assistent", "Online-Leistung", "Online-Transaktion"]
ACTOR = Actor.operator("tester")


def group_id(field: int) -> str:
    return f"tf{field + 1:02d}"


def dimension_id(field: int, service: int) -> str:
    return f"{group_id(field)}-l{service + 1:02d}"


def ozg_catalog_text() -> str:
    """The catalog as YAML."""
    document = {
        "id": OZG_ID,
        "version": "1",
        "name": "OZG-Reifegrad",
        "description": "Reifegrade der Onlinedienste nach dem Onlinezugangsgesetz (Test)",
        "levels": [
            {"level": level, "name": name, "description": f"Reifegrad {level}"}
            for level, name in enumerate(LEVELS)
        ],
        "groups": [
            {"id": group_id(field), "name": name} for field, name in enumerate(THEMENFELDER)
        ],
        "dimensions": [
            {
                "id": dimension_id(field, service),
                "name": f"Leistung {field + 1}.{service + 1}",
                "group": group_id(field),
                "measures": [
                    {
                        "id": f"{dimension_id(field, service)}-{level}",
                        "level": level,
                        "title": f"Leistung {service + 1} auf Reifegrad {level} ({LEVELS[level]})",
                    }
                    for level in range(1, len(LEVELS))
                ],
            }
            for field, name in enumerate(THEMENFELDER)
            for service in range(SERVICES_PER_FIELD)
        ],
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def ozg_catalog() -> Catalog:
    return parse_catalog(ozg_catalog_text(), source="ozg.yaml")


def add_ozg_catalog(url: str, orgs: Iterable[str], seed: int = 2024) -> None:
    """Load the OZG catalog into the migrated database ``url`` (it becomes the catalog
    loaded last) and give every organisation of ``orgs`` a random reached level per
    service, each level's measure completed on a day of 2024."""
    rng = random.Random(seed)
    catalog = ozg_catalog()
    rows = ["org,measure_id,status,date"]
    for org in orgs:
        reach = rng.random()
        for dimension in catalog.dimensions:
            reached = sum(rng.random() < reach for _ in range(len(LEVELS) - 1))
            for measure in dimension.measures[:reached]:
                day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(300))
                rows.append(f"{org},{measure.id},completed,{day}")
    with session_scope(make_engine(url)) as session:
        store_catalog(session=session, actor=ACTOR, catalog=catalog)
        table = read_table_bytes("\n".join(rows).encode(), "ozg-progress.csv")
        import_progress(session=session, actor=ACTOR, table=table, catalog=catalog)


def demo_with_ozg(demo_url: str, folder: Path) -> str:
    """A private copy of the demo database with the OZG catalog loaded as well (loaded last)
    and events of every demo organisation in it."""
    url = demo_copy(demo_url, folder)
    add_ozg_catalog(url, spatz.open(url).organisations()["org"])
    return url
