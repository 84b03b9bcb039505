"""Several catalogs in one database: the default catalog, a catalog per call (``catalog=``,
``--catalog``), and a new version that drops or moves measures with recorded events."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from clirun import spatz_cli

import spatz
from spatz.db import alembic_config, make_engine
from spatz.errors import NotFoundError, SpatzError
from spatz.scoring import EventsError, TargetsError

DATA = Path(__file__).parent / "data"


EXTRA = "      - {id: STR-2-02, level: 2, title: Ziele veröffentlicht}"


def mini(
    tmp_path: Path,
    version: str,
    *measures: str,
    dimension: str | None = None,
    key: str = "mini",
    replace: tuple[str, str] | None = None,
) -> Path:
    """mini.yaml with a measure STR-2-02 more, as catalog ``key`` version ``version``,
    without the given measures (or dimension), with one line's text replaced."""
    lines = (DATA / "mini.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "id: STR-2-01," in line)
    lines.insert(at + 1, EXTRA)
    lines = [line.replace('version: "1"', f'version: "{version}"') for line in lines]
    lines = [f"id: {key}" if line == "id: mini" else line for line in lines]
    if replace is not None:
        lines = [line.replace(*replace) for line in lines]
    kept = [line for line in lines if not any(f"id: {m}," in line for m in measures)]
    if dimension is not None:
        start = kept.index(f"  - id: {dimension}")
        end = next(
            (i for i in range(start + 1, len(kept)) if kept[i].startswith("  - id:")), len(kept)
        )
        kept = kept[:start] + kept[end:]
    path = tmp_path / f"{key}-{version}.yaml"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


PROGRESS = (
    "org,measure_id,status,date\n"
    "A,STR-1-01,umgesetzt,2023-01-01\n"
    "A,STR-1-02,umgesetzt,2023-02-01\n"
    "B,STR-2-02,geplant,2023-03-01\n"
    "B,ISM-1-01,umgesetzt,2023-03-01\n"
)


def recorded(url: str, tmp_path: Path) -> None:
    """mini@1 with two organisations, events for STR-1-02 and STR-2-02, a target."""
    assert spatz_cli(url, "init")[0] == 0
    assert spatz_cli(url, "catalog", "load", str(mini(tmp_path, "1")))[0] == 0
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org,name,kind\nA,Stadt A,Stadt\nB,Stadt B,Stadt\n", encoding="utf-8")
    progress = tmp_path / "progress.csv"
    progress.write_text(PROGRESS, encoding="utf-8")
    targets = tmp_path / "targets.csv"
    targets.write_text(
        "org,dimension_id,target_level,target_date\nA,sicherheit,2,2026-12-31\n",
        encoding="utf-8",
    )
    for kind, file in (("organisations", orgs), ("progress", progress), ("targets", targets)):
        code, _, err = spatz_cli(url, "import", kind, str(file))
        assert code == 0, err


def test_scoring_errors_are_spatz_errors_and_value_errors() -> None:
    for error in (EventsError, TargetsError):
        assert issubclass(error, SpatzError)
        assert issubclass(error, ValueError)


DROPPED = (
    "Katalog mini@2 entfernt oder verschiebt Maßnahmen, zu denen Ereignisse erfasst sind "
    "(oder Dimensionen mit Zielen):\n"
    "  STR-1-02: 1 Ereignis (entfällt)\n"
    "  STR-2-02: 1 Ereignis (entfällt)\n"
)
NOTICE = (
    "Hinweis: 2 Ereignisse zu 2 Maßnahmen, die Katalog mini@2 nicht enthält, bleiben "
    "unberücksichtigt: STR-1-02, STR-2-02\n"
)
NOTICE_A = (
    "Hinweis: 1 Ereignis zu 1 Maßnahme, die Katalog mini@2 nicht enthält, bleibt "
    "unberücksichtigt: STR-1-02\n"
)

READ_COMMANDS = [
    (["score"], NOTICE),
    (["score", "--format", "csv"], NOTICE),
    (["score", "--format", "json"], NOTICE),
    (["score", "--org", "A"], NOTICE_A),
    (["export", "land"], NOTICE),
    (["export", "land", "--dialect", "excel-de"], NOTICE),
    (["export", "xlsx", "{tmp}/out.xlsx"], NOTICE),
    (["export", "report", "{tmp}/out.html", "--org", "A"], NOTICE_A),
    (["land", "summary"], NOTICE),
    (["land", "summary", "--format", "csv"], NOTICE),
]


def test_a_version_that_drops_measures_with_events_is_refused_unless_accepted(
    database_url: str, tmp_path: Path
) -> None:
    recorded(database_url, tmp_path)
    events_before = spatz.open(database_url).events()
    smaller = str(mini(tmp_path, "2", "STR-1-02", "STR-2-02"))
    code, out, err = spatz_cli(database_url, "catalog", "load", smaller)
    assert (code, out) == (2, "")
    assert err == (
        f"{DROPPED}Nichts geladen. Mit --accept-dropped laden: die Daten bleiben gespeichert, "
        "Ereignisse und Ziele, die diese Version nicht enthält, bleiben bei ihren "
        "Auswertungen unberücksichtigt.\n"
    )
    assert [(c.id, c.version) for c in spatz.open(database_url).catalogs()] == [("mini", "1")]

    code, out, err = spatz_cli(database_url, "catalog", "load", smaller, "--accept-dropped")
    assert (code, out) == (0, "Katalog mini@2: geladen, 6 Maßnahmen\n")
    assert err == (
        "Warnung: Katalog mini@2 entfernt oder verschiebt Maßnahmen, zu denen Ereignisse "
        "erfasst sind (oder Dimensionen mit Zielen); was diese Version nicht enthält, bleibt "
        "bei ihren Auswertungen unberücksichtigt:\n"
        "  STR-1-02: 1 Ereignis (entfällt)\n"
        "  STR-2-02: 1 Ereignis (entfällt)\n"
    )
    for command_line, notice in READ_COMMANDS:
        args = [a.format(tmp=tmp_path) for a in command_line]
        code, out, err = spatz_cli(database_url, *args)
        assert code == 0, (command_line, err)
        assert err.endswith(notice) or err == notice, (command_line, err)
    assert (tmp_path / "out.xlsx").stat().st_size > 0

    store = spatz.open(database_url)
    assert store.notices() == [NOTICE.removeprefix("Hinweis: ").removesuffix("\n")]
    assert store.notices(org="B") == [
        "1 Ereignis zu 1 Maßnahme, die Katalog mini@2 nicht enthält, bleibt "
        "unberücksichtigt: STR-2-02"
    ]
    kept = events_before[~events_before["measure_id"].isin(["STR-1-02", "STR-2-02"])]
    assert store.events().reset_index(drop=True).equals(kept.reset_index(drop=True))
    expected = spatz.score(store.catalog(), kept, as_of="2024-12-31")
    pd.testing.assert_frame_equal(store.score("2024-12-31"), expected)
    for read in (
        store.explain,
        store.target_status,
        store.land_export,
        store.workbook_bytes,
        lambda: store.trend(["2023-12-31", "2024-12-31"]),
        lambda: store.roadmap("A", "strategie"),
        lambda: store.report("A"),
        lambda: store.history("A"),
    ):
        assert len(read())

    # Nothing is lost: the old version still scores the events, loading it again changes
    # nothing, and a version that has the measures again scores them without a notice.
    old = spatz.open(database_url, catalog_id="mini@1")
    assert old.events().equals(events_before)
    assert old.notices() == []
    code, out, err = spatz_cli(database_url, "catalog", "load", str(mini(tmp_path, "1")))
    assert (code, err) == (0, "")
    assert out == "Katalog mini@1: unverändert (bereits geladen), 8 Maßnahmen\n"
    code, _, err = spatz_cli(database_url, "catalog", "load", str(mini(tmp_path, "3")))
    assert (code, err) == (0, "")
    code, out, err = spatz_cli(database_url, "score", "--as-of", "31.12.2024", "--format", "csv")
    assert (code, err) == (0, "")
    assert out.count("\n") == 1 + 2 * 3


def test_a_moved_measure_and_a_dropped_dimension_with_targets_are_named(
    sqlite_url: str, tmp_path: Path
) -> None:
    recorded(sqlite_url, tmp_path)
    moved = mini(tmp_path, "2", replace=("id: STR-1-02, level: 1", "id: STR-1-02, level: 2"))
    code, _, err = spatz_cli(sqlite_url, "catalog", "load", str(moved))
    assert code == 2
    assert "\n  STR-1-02: 1 Ereignis (jetzt Stufe 2 statt 1)\nNichts geladen." in err

    code, _, err = spatz_cli(
        sqlite_url, "catalog", "load", str(mini(tmp_path, "3", dimension="sicherheit"))
    )
    assert code == 2
    assert "\n  ISM-1-01: 1 Ereignis (entfällt)\n  Dimension sicherheit: 1 Ziel (entfällt)\n" in err
    code, _, _ = spatz_cli(
        sqlite_url,
        "catalog",
        "load",
        str(mini(tmp_path, "3", dimension="sicherheit")),
        "--accept-dropped",
    )
    assert code == 0
    code, out, err = spatz_cli(sqlite_url, "score")
    assert code == 0
    assert "sicherheit" not in out
    assert err == (
        "Hinweis: 1 Ereignis zu 1 Maßnahme, die Katalog mini@3 nicht enthält, bleibt "
        "unberücksichtigt: ISM-1-01\n"
        "Hinweis: 1 Ziel zu Dimensionen, die Katalog mini@3 nicht enthält, bleibt "
        "unberücksichtigt: sicherheit\n"
    )


def test_a_version_that_keeps_every_recorded_measure_loads_without_a_word(
    sqlite_url: str, tmp_path: Path
) -> None:
    recorded(sqlite_url, tmp_path)
    code, _, err = spatz_cli(sqlite_url, "catalog", "load", str(mini(tmp_path, "2", "STR-2-01")))
    assert (code, err) == (0, "")
    assert spatz_cli(sqlite_url, "score") == (0, spatz_cli(sqlite_url, "score")[1], "")


def test_the_first_catalog_is_the_default_until_another_is_chosen(
    database_url: str, tmp_path: Path
) -> None:
    recorded(database_url, tmp_path)
    code, _, err = spatz_cli(database_url, "catalog", "load", str(mini(tmp_path, "1", key="sec")))
    assert (code, err) == (0, "")
    code, out, _ = spatz_cli(database_url, "catalog", "list")
    assert code == 0
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert rows["mini"].rstrip(" │").endswith("ja")
    assert not rows["sec"].rstrip(" │").endswith("ja")

    # Without --catalog every command works in the default catalog, mini.
    progress = tmp_path / "sec.csv"
    progress.write_text("org,measure_id,status,date\nB,STR-1-01,umgesetzt,2024-05-01\n", "utf-8")
    code, _, err = spatz_cli(database_url, "import", "progress", str(progress), "--catalog", "sec")
    assert code == 0, err
    store = spatz.open(database_url)
    assert len(store.events()) == 4
    assert list(store.events(catalog="sec")["org"]) == ["B"]
    assert len(spatz.open(database_url, catalog_id="sec").events()) == 1

    def scored_catalogs(*options: str) -> set[str]:
        code, out, err = spatz_cli(database_url, "score", "--format", "csv", *options)
        assert code == 0, err
        return set(pd.read_csv(io.StringIO(out))["catalog_id"])

    assert scored_catalogs("--catalog", "sec") == {"sec"}
    assert scored_catalogs() == {"mini"}

    code, out, err = spatz_cli(database_url, "catalog", "default", "sec")
    assert (code, out, err) == (0, "Standardkatalog: sec (Version 1, Mini-Katalog)\n", "")
    assert list(spatz.open(database_url).events()["org"]) == ["B"]
    assert scored_catalogs() == {"sec"}
    assert scored_catalogs("--catalog", "mini@1") == {"mini"}
    assert len(spatz.open(database_url).score(catalog="mini@1", org="A")) == 3
    audit = spatz.open(database_url).audit()
    chosen = audit[audit["action"] == "default"]
    assert len(chosen) == 1
    assert chosen.iloc[0]["entity_key"] == "sec"

    code, out, err = spatz_cli(database_url, "catalog", "default", "nope")
    assert (code, out) == (2, "")
    assert err == (
        "Katalog 'nope' ist nicht geladen (geladen: mini, sec); Standard kann nur ein "
        "geladener Katalog sein (ID ohne @VERSION)\n"
    )
    code, _, err = spatz_cli(database_url, "score", "--catalog", "nope")
    assert (code, err) == (2, "Katalog 'nope' ist nicht geladen (spatz catalog list)\n")


def test_without_a_default_several_catalogs_are_named(sqlite_url: str, tmp_path: Path) -> None:
    recorded(sqlite_url, tmp_path)
    assert spatz_cli(sqlite_url, "catalog", "load", str(mini(tmp_path, "1", key="sec")))[0] == 0
    with make_engine(sqlite_url).begin() as connection:
        connection.execute(sa.text("DELETE FROM setting"))
    code, out, err = spatz_cli(sqlite_url, "score")
    assert (code, out) == (2, "")
    assert err == (
        "Es sind mehrere Kataloge geladen (mini, sec) und keiner ist der Standardkatalog: "
        "bitte einen wählen (--catalog ID) oder zum Standard machen (spatz catalog default "
        "ID)\n"
    )
    with pytest.raises(NotFoundError):
        spatz.open(sqlite_url).score()
    assert spatz_cli(sqlite_url, "score", "--catalog", "sec")[0] == 0


def test_the_migration_makes_the_catalog_loaded_last_the_default(
    database_url: str, tmp_path: Path
) -> None:
    recorded(database_url, tmp_path)
    assert spatz_cli(database_url, "catalog", "load", str(mini(tmp_path, "1", key="sec")))[0] == 0
    config = alembic_config(database_url)
    command.downgrade(config, "0009")
    command.upgrade(config, "head")
    assert spatz.open(database_url).catalog().key == "sec@1"
