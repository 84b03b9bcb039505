"""Checks of the demo data in ``sample_data/``: keys, references, formats, reproducibility."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import yaml

import spatz
from spatz.catalog import OVERALL, Catalog, default_catalog

ROOT = Path(__file__).resolve().parents[1]


DATA = ROOT / "sample_data"

KINDS = {
    "Land",
    "Landkreis",
    "kreisfreie Stadt",
    "Stadt",
    "Gemeinde",
    "Verbandsgemeinde",
    "Behörde",
    "Organisationseinheit",
}
STATUSES = {"planned", "in_progress", "completed", "not_applicable"}
PROJECT_HEADER = ["GB", "R", "Projektname", "Projektbeschreibung", "Start", "Dauer", "Ende"]
FIRST_DAY = dt.date(2021, 1, 1)
LAST_DAY = dt.date(2024, 12, 31)


def read_csv(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def header(name: str, delimiter: str = ",") -> list[str]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh, delimiter=delimiter))


def iso(text: str) -> dt.date:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", text), text
    return dt.date.fromisoformat(text)


def german(text: str) -> dt.date:
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", text), text
    return dt.datetime.strptime(text, "%d.%m.%Y").date()


def ids(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture(scope="module")
def measure_ids(catalog: Catalog) -> set[str]:
    return {m.id for _, m in catalog.measures()}


@pytest.fixture(scope="module")
def org_keys() -> set[str]:
    return {row["org"] for row in read_csv("organisations.csv")}


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    path = DATA / "generate_progress.py"
    spec = importlib.util.spec_from_file_location("sample_data_generate_progress", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


# -- organisations ----------------------------------------------------------------------


def test_organisations_keys_parents_and_ags() -> None:
    assert header("organisations.csv") == [
        "org",
        "name",
        "kind",
        "land",
        "ags",
        "parent",
        "named",
    ]
    rows = read_csv("organisations.csv")
    keys = [row["org"] for row in rows]
    assert len(keys) == len(set(keys)), "duplicate org keys"
    by_key = {row["org"]: row for row in rows}
    for row in rows:
        assert row["kind"] in KINDS, row
        assert row["land"] == "Sachsen-Anhalt", row
        assert row["name"].strip(), row
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", row["org"]), row
        if row["parent"]:
            assert row["parent"] in by_key, f"unknown parent {row['parent']!r}"
            assert row["parent"] != row["org"]
        if row["kind"] == "Organisationseinheit":
            assert row["ags"] == "", row
            assert row["parent"] and row["org"].startswith(row["parent"] + "-"), row
            continue
        assert re.fullmatch(r"15\d{6}", row["ags"]), row
        assert row["org"] == row["ags"], row
        if row["kind"] == "Landkreis":
            assert row["ags"].endswith("000"), row
        parent = by_key.get(row["parent"])
        if parent is not None and parent["kind"] == "Landkreis":
            assert row["ags"][:5] == parent["ags"][:5], f"{row['name']} not in {parent['name']}"


def test_organisations_hierarchy_has_no_cycles() -> None:
    parents = {row["org"]: row["parent"] for row in read_csv("organisations.csv")}
    for key in parents:
        seen = {key}
        current = parents[key]
        while current:
            assert current not in seen, f"cycle at {key}"
            seen.add(current)
            current = parents[current]


# -- Projektliste -------------------------------------------------------------------------


def test_projects_have_the_fifteen_rows_of_the_list(measure_ids: set[str]) -> None:
    assert header("projekte_halle_2023.tsv", "\t") == [*PROJECT_HEADER, "measures"]
    with (DATA / "projekte_halle_2023.tsv").open(encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines()
    assert len(lines) == 16
    for line in lines[1:]:
        cells = line.split("\t")
        assert len(cells) == 8, line
        start, end = german(cells[4]), german(cells[6])
        assert start <= end, line
        assert re.fullmatch(r"\d+ Jahre, \d+ Monate \d+ Tage", cells[5]), line
        for measure_id in ids(cells[7]):
            assert measure_id in measure_ids, measure_id


def test_projects_match_the_source_list() -> None:
    """The Projektliste is the one of seed 002, row for row and cell for cell: the rows of
    the source document are kept in tests/data exactly as printed there."""
    source = Path(__file__).parent / "data" / "projektliste_halle_2023.tsv"
    expected = source.read_text(encoding="utf-8").splitlines()
    assert expected[0] == "\t".join(PROJECT_HEADER) and len(expected) == 16
    with (DATA / "projekte_halle_2023.tsv").open(encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines()
    assert [line.rsplit("\t", 1)[0] for line in lines] == expected


# -- Meilensteine ---------------------------------------------------------------------------


def test_milestones(measure_ids: set[str]) -> None:
    assert header("meilensteine_gesundheitsamt.csv") == ["title", "due", "done_date", "measures"]
    rows = read_csv("meilensteine_gesundheitsamt.csv")
    assert len(rows) == 9
    assert rows[0]["title"] == "Digitalisierungsstrategie erarbeitet, abgenommen und kommuniziert"
    assert rows[0]["due"] == "Q1 2023" and rows[-1]["due"] == "Q3 2024"
    open_ones = 0
    for row in rows:
        assert re.fullmatch(r"Q[1-4] 20\d\d", row["due"]), row
        if row["done_date"]:
            assert FIRST_DAY <= iso(row["done_date"]) <= LAST_DAY
        else:
            open_ones += 1
        assert ids(row["measures"]), row
        for measure_id in ids(row["measures"]):
            assert measure_id in measure_ids, measure_id
    assert 1 <= open_ones <= 2


# -- Ziele ----------------------------------------------------------------------------------


def test_targets(catalog: Catalog, org_keys: set[str]) -> None:
    assert header("targets.csv") == ["org", "dimension_id", "target_level", "target_date"]
    dimensions = {dim.id for dim in catalog.dimensions} | {OVERALL}
    seen: set[tuple[str, str]] = set()
    for row in read_csv("targets.csv"):
        assert row["org"] in org_keys, row
        assert row["dimension_id"] in dimensions, row
        assert 0 <= int(row["target_level"]) <= catalog.n_levels, row
        iso(row["target_date"])
        key = (row["org"], row["dimension_id"])
        assert key not in seen, f"two targets for {key}"
        seen.add(key)


# -- Fortschritt ---------------------------------------------------------------------------


def test_progress_rows(measure_ids: set[str], org_keys: set[str]) -> None:
    assert header("progress.csv") == [
        "org",
        "measure_id",
        "status",
        "date",
        "due_date",
        "note",
        "evidence",
    ]
    rows = read_csv("progress.csv")
    assert 1500 <= len(rows) <= 4000
    keys: list[tuple[str, dt.date]] = []
    seen: set[tuple[str, str, dt.date]] = set()
    for row in rows:
        assert row["org"] in org_keys, row
        assert row["measure_id"] in measure_ids, row
        assert row["status"] in STATUSES, row
        day = iso(row["date"])
        assert FIRST_DAY <= day <= LAST_DAY, row
        if row["due_date"]:
            iso(row["due_date"])
        if row["status"] == "not_applicable":
            assert row["note"], "not_applicable needs a reason"
        key = (row["org"], row["measure_id"], day)
        assert key not in seen, f"two events on one day: {key}"
        seen.add(key)
        keys.append((row["org"], day))
    assert keys == sorted(keys), "rows must be sorted by org and date"


def test_progress_shows_expiry_and_reopening(catalog: Catalog) -> None:
    rows = read_csv("progress.csv")
    validity = {m.id: m.valid_for_months for _, m in catalog.measures()}
    last: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        last[(row["org"], row["measure_id"])] = row
    expired = [
        key
        for key, row in last.items()
        if row["status"] == "completed"
        and (months := validity[key[1]]) is not None
        and iso(row["date"]) + dt.timedelta(days=31 * months) < LAST_DAY
    ]
    assert expired, "no measure expires by the end of the history"
    assert any("Nachprüfung ergab Lücken" in row["note"] for row in last.values())


def test_generator_reproduces_progress_csv(generator: ModuleType, tmp_path: Path) -> None:
    main: Callable[[Sequence[str]], int] = generator.main
    target = tmp_path / "progress.csv"
    assert main(["--output", str(target)]) == 0
    assert target.read_bytes() == (DATA / "progress.csv").read_bytes()


def test_generator_inputs_name_the_catalog_and_the_organisations(
    catalog: Catalog, measure_ids: set[str], org_keys: set[str]
) -> None:
    """The generator skips what it cannot place, so its inputs are checked here."""
    dimensions = [dim.id for dim in catalog.dimensions]
    assert header("profiles.csv") == ["org", "website", "council", "start", *dimensions]
    for row in read_csv("profiles.csv"):
        assert row["org"] in org_keys, row
        assert all(0 <= int(row[dim]) <= catalog.n_levels for dim in dimensions), row
        iso(row["start"])
    assert header("pinned_events.csv") == header("progress.csv")
    config = yaml.safe_load((DATA / "generator.yaml").read_text(encoding="utf-8"))
    for row in [*read_csv("pinned_events.csv"), *config["completed_once"]]:
        assert row["org"] in org_keys, row
        assert row["measure_id"] in measure_ids, row


def test_generator_checks_the_levels_with_spatz_score(
    generator: ModuleType, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dt.date | None] = []
    real_score = spatz.score

    def spy(catalog: Catalog, events: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
        calls.append(as_of)
        return real_score(catalog, events, as_of)

    monkeypatch.setattr(spatz, "score", spy)
    inputs = generator.Inputs.load()
    reached = generator.check(catalog, inputs, generator.generate(catalog, inputs))
    assert calls == [LAST_DAY]
    assert reached == inputs.expected_levels(catalog)
    assert reached[("15003000", "prozesse")] == 4
    assert reached[("15001000", "informationssicherheit")] == 1  # ISM-2-04 expired


def test_generator_writes_nothing_when_spatz_score_misses_the_profiles(
    generator: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real_score = spatz.score

    def nothing_reached(
        catalog: Catalog, events: pd.DataFrame, as_of: dt.date | None = None
    ) -> pd.DataFrame:
        return real_score(catalog, events, as_of).assign(level=0)

    monkeypatch.setattr(spatz, "score", nothing_reached)
    target = tmp_path / "progress.csv"
    assert generator.main(["--output", str(target)]) == 2
    assert not target.exists()
    err = capsys.readouterr().err
    assert "Profile nicht getroffen (erreicht, erwartet)" in err
    assert "('15003000', 'prozesse'): (0, 4)" in err


def test_generator_refuses_pinned_events_that_contradict_the_profiles(
    generator: ModuleType, catalog: Catalog, tmp_path: Path
) -> None:
    """Magdeburg's profile says Strategie 3; a pinned event that leaves STR-1-01 under way
    contradicts it, and the check says so instead of writing the history."""
    data = tmp_path / "sample_data"
    shutil.copytree(DATA, data)
    with (data / "pinned_events.csv").open("a", encoding="utf-8", newline="") as fh:
        fh.write("15003000,STR-1-01,in_progress,2024-11-04,2025-06-30,Überarbeitung.,\n")
    inputs = generator.Inputs.load(data)
    events = generator.generate(catalog, inputs)
    with pytest.raises(ValueError, match=re.escape("('15003000', 'strategie'): (0, 3)")):
        generator.check(catalog, inputs, events)


def test_the_security_catalog_of_the_demo_uses_the_second_format_generation() -> None:
    """A Kommune's second catalog: Bausteine as dimensions in two groups, Basis/Standard/
    Erhöht as levels 1–3 (some Bausteine without Erhöht), the GS-Check's "teilweise"."""
    catalog = spatz.load_catalog(DATA / "bsi-kompakt.yaml")
    assert [lv.name for lv in catalog.levels] == ["Ohne Absicherung", "Basis", "Standard", "Erhöht"]
    assert {g.id for g in catalog.groups} == {"prozess", "system"}
    assert all(d.group is not None for d in catalog.dimensions)
    sparse = [d.id for d in catalog.dimensions if {m.level for m in d.measures} != {1, 2, 3}]
    assert sparse == ["datensicherung", "schadprogramme"]
    assert catalog.credits(catalog.measure("CON.3.A5"))["teilweise"] == 0.5
    assert sum(len(m.depends_on) for _, m in catalog.measures()) >= 5


def test_the_demo_assesses_three_kommunen_against_the_security_catalog_too(
    demo_url: str,
) -> None:
    store = spatz.open(demo_url)
    assert [c.id for c in store.catalogs()] == ["spatz-kommunal", "bsi-kompakt"]
    assert store.catalog().id == "spatz-kommunal"  # the default catalog stays the default
    events = store.events(catalog="bsi-kompakt")
    assert set(events["org"]) == {"15002000", "15003000", "15085000"}
    assert (events["status"] == "teilweise").sum() >= 3
    assert store.notices(catalog="bsi-kompakt") == []
    levels = store.score("2024-12-31", org="15002000", catalog="bsi-kompakt")
    level = dict(zip(levels["dimension_id"], levels["level"], strict=True))
    # Basis in three process Bausteine, Standard for networks, the top for malware (a
    # Baustein without Erhöht); the half-done Basis requirement of Datensicherung counts
    # as done through the demo's mapping set: Halle's backups are done in spatz-kommunal.
    assert (level["isms"], level["schulung"], level["identitaet"]) == (1, 1, 1)
    assert (level["netz"], level["schadprogramme"], level["datensicherung"]) == (2, 3, 1)
    states = store.explain("2024-12-31", org="15002000", catalog="bsi-kompakt")
    backup = states[states["measure_id"] == "CON.3.A5"].iloc[0]
    assert (backup["status"], backup["covered_by"]) == ("teilweise", "ISM-1-03 (SPATZ Kommunal)")
    [mapping] = store.mappings()
    assert (mapping.source, mapping.target) == ("spatz-kommunal", "bsi-kompakt")
    targets = store.targets(catalog="bsi-kompakt")
    assert set(targets["org"]) == {"15002000", "15003000"}
