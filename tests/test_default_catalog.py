"""The shipped default catalog ``spatz-kommunal``: structure, content rules and round trip."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from spatz.catalog import Catalog, default_catalog, parse_catalog

DIMENSIONS = [
    ("strategie", "Digitalisierungsstrategie", "STR"),
    ("governance", "IT-Governance", "GOV"),
    ("projektmanagement", "Projektmanagement", "PM"),
    ("informationssicherheit", "Informationssicherheit", "ISM"),
    ("personal", "Personal & Kompetenzen", "PER"),
    ("prozesse", "Prozesse & Onlinedienste (OZG)", "OZG"),
    ("infrastruktur", "IT-Infrastruktur & Basisdienste", "INF"),
    ("zusammenarbeit", "Kommunikation & Zusammenarbeit", "KOM"),
]

LEVEL_NAMES = ["Initial", "Wiederholbar", "Definiert", "Gesteuert", "Optimierend"]

NEXT_STEPS_SOURCE = "Halle (Saale): Die nächsten Schritte (SPATZ, 2023)"

# The twelve items of "Die nächsten Schritte" in Halle's SPATZ presentation, with a key word
# each title must contain.
NEXT_STEPS = {
    "STR-1-01": "Beschluss der Digitalisierungsstrategie",
    "STR-2-01": "Zieldiskussion",
    "STR-2-02": "Ziele",
    "STR-2-03": "Ressourcen",
    "GOV-1-02": "Rollenverteilung",
    "GOV-2-01": "organisatorischem Aufbau",
    "GOV-2-02": "Gremien",
    "GOV-3-01": "Prozesse",
    "PM-1-01": "Analyse der derzeitigen Projekte",
    "PM-2-01": "externer Expertise",
    "PM-2-02": "Workshops",
    "PM-3-01": "Projektmanagement-Handbuch",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def test_loads_with_identity(catalog: Catalog) -> None:
    assert catalog.id == "spatz-kommunal"
    assert catalog.key == "spatz-kommunal@1.0"
    assert catalog.threshold == 1.0
    assert catalog.description


def test_five_named_levels(catalog: Catalog) -> None:
    assert [lv.level for lv in catalog.levels] == [1, 2, 3, 4, 5]
    assert [lv.name for lv in catalog.levels] == LEVEL_NAMES
    assert all(lv.description for lv in catalog.levels)


def test_dimensions_in_order(catalog: Catalog) -> None:
    assert [(d.id, d.name) for d in catalog.dimensions] == [(i, n) for i, n, _ in DIMENSIONS]
    assert all(d.weight == 1.0 and d.description for d in catalog.dimensions)


@pytest.mark.parametrize(("dim_id", "prefix"), [(i, p) for i, _, p in DIMENSIONS])
def test_measure_ids_and_counts(catalog: Catalog, dim_id: str, prefix: str) -> None:
    dim = catalog.dimension(dim_id)
    per_level = Counter(m.level for m in dim.measures)
    assert sorted(per_level) == [1, 2, 3, 4, 5]
    for level in range(1, 6):
        assert 3 <= per_level[level] <= 4, (dim_id, level, per_level[level])
        ids = [m.id for m in dim.measures if m.level == level]
        expected = [f"{prefix}-{level}-{n:02d}" for n in range(1, len(ids) + 1)]
        assert ids == expected


def test_every_measure_is_described_and_sourced(catalog: Catalog) -> None:
    pattern = re.compile(r"^(STR|GOV|PM|ISM|PER|OZG|INF|KOM)-[1-5]-\d{2}$")
    for _, m in catalog.measures():
        assert pattern.match(m.id), m.id
        assert m.source, m.id
        assert m.description, m.id
        assert len(m.title) <= 90, m.id
        assert m.weight in (1.0, 2.0), m.id


def test_recurring_measures_expire(catalog: Catalog) -> None:
    expiring = [m for _, m in catalog.measures() if m.valid_for_months is not None]
    assert len(expiring) >= 10


def test_mandatory_measures_are_few(catalog: Catalog) -> None:
    for dim in catalog.dimensions:
        per_level = Counter(m.level for m in dim.measures if m.mandatory)
        assert all(n <= 1 for n in per_level.values()), dim.id
    for key in ("STR-1-01", "GOV-1-01", "ISM-1-01", "ISM-2-01"):
        assert catalog.measure(key).mandatory, key


def test_halle_next_steps_present(catalog: Catalog) -> None:
    for measure_id, keyword in NEXT_STEPS.items():
        measure = catalog.measure(measure_id)
        assert keyword in measure.title, measure_id
        assert measure.source == NEXT_STEPS_SOURCE, measure_id
    cited = {m.id for _, m in catalog.measures() if m.source == NEXT_STEPS_SOURCE}
    assert cited == set(NEXT_STEPS)


def test_yaml_round_trip(catalog: Catalog) -> None:
    again = parse_catalog(catalog.to_yaml())
    assert again == catalog
    assert again.content_hash() == catalog.content_hash()
