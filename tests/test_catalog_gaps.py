"""A new catalog version without measures that have recorded events (or dimensions that
have targets): every read path says so in one German message, nothing is lost."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import pytest
from rendered import visible
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import spatz
from spatz.cli import app
from spatz.errors import CatalogGapError, SpatzError
from spatz.scoring import EventsError, TargetsError
from spatz.services.common import Actor

DATA = Path(__file__).parent / "data"
APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
runner = CliRunner()

GAP = (
    "Im Katalog mini@2 fehlen Maßnahmen, zu denen Ereignisse erfasst sind: STR-1-02, "
    "STR-2-02. Bitte eine Version des Katalogs laden, die sie enthält (spatz catalog load "
    "DATEI); die erfassten Daten bleiben gespeichert."
)

READ_COMMANDS = [
    ["score"],
    ["score", "--format", "csv"],
    ["score", "--format", "json"],
    ["score", "--org", "A"],
    ["export", "land"],
    ["export", "land", "--dialect", "excel-de"],
    ["export", "xlsx", "{tmp}/out.xlsx"],
    ["export", "report", "{tmp}/out.pdf", "--org", "A"],
    ["land", "summary"],
    ["land", "summary", "--format", "csv"],
    ["land", "summary", "--by", "kind"],
]


def spatz_cli(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", url, *args], env={"SPATZ_USER": "tester"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


EXTRA = "      - {id: STR-2-02, level: 2, title: Ziele veröffentlicht}"


def without(tmp_path: Path, version: str, *measures: str, dimension: str | None = None) -> Path:
    """mini.yaml with a measure STR-2-02 more, as version ``version``, without the given
    measures (or dimension)."""
    lines = (DATA / "mini.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "id: STR-2-01," in line)
    lines.insert(at + 1, EXTRA)
    lines = [line.replace('version: "1"', f'version: "{version}"') for line in lines]
    kept = [line for line in lines if not any(f"id: {m}," in line for m in measures)]
    if dimension is not None:
        start = kept.index(f"  - id: {dimension}")
        end = next(
            (i for i in range(start + 1, len(kept)) if kept[i].startswith("  - id:")), len(kept)
        )
        kept = kept[:start] + kept[end:]
    path = tmp_path / f"mini-{version}.yaml"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def recorded(url: str, tmp_path: Path) -> None:
    """mini@1 with two organisations, events for STR-1-02 and STR-2-02, a target."""
    assert spatz_cli(url, "init")[0] == 0
    assert spatz_cli(url, "catalog", "load", str(without(tmp_path, "1")))[0] == 0
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org,name,kind\nA,Stadt A,Stadt\nB,Stadt B,Stadt\n", encoding="utf-8")
    progress = tmp_path / "progress.csv"
    progress.write_text(
        "org,measure_id,status,date\n"
        "A,STR-1-01,umgesetzt,2023-01-01\n"
        "A,STR-1-02,umgesetzt,2023-02-01\n"
        "B,STR-2-02,geplant,2023-03-01\n"
        "B,ISM-1-01,umgesetzt,2023-03-01\n",
        encoding="utf-8",
    )
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


def test_loading_the_version_warns_and_every_read_path_says_what_is_missing(
    database_url: str, tmp_path: Path
) -> None:
    recorded(database_url, tmp_path)
    events_before = spatz.open(database_url).events()
    code, out, err = spatz_cli(
        database_url, "catalog", "load", str(without(tmp_path, "2", "STR-1-02", "STR-2-02"))
    )
    assert (code, out) == (0, "Katalog mini@2: geladen, 6 Maßnahmen\n")
    assert err == (
        "Warnung: Im Katalog mini@2 fehlen Maßnahmen, zu denen Ereignisse erfasst sind: "
        "STR-1-02, STR-2-02. Solange diese Version die neueste ist, sind keine Auswertungen "
        "möglich (spatz score, Exporte, Dashboard); bitte eine Version laden, die sie "
        "enthält. Die erfassten Daten bleiben gespeichert.\n"
    )
    for command in READ_COMMANDS:
        args = [a.format(tmp=tmp_path) for a in command]
        code, out, err = spatz_cli(database_url, *args)
        assert (code, out, err) == (2, "", GAP + "\n"), command
    assert not (tmp_path / "out.xlsx").exists()
    assert not (tmp_path / "out.pdf").exists()
    store = spatz.open(database_url)
    for read in (
        store.score,
        store.explain,
        store.target_status,
        store.land_export,
        store.workbook_bytes,
        lambda: store.trend(["2024-12-31"]),
        lambda: store.roadmap("A", "strategie"),
        lambda: store.report("A"),
        lambda: store.report_pdf("A"),
    ):
        with pytest.raises(CatalogGapError) as info:
            read()
        assert str(info.value) == GAP
        assert info.value.measures == ("STR-1-02", "STR-2-02")

    # Nothing is lost: the events stay, the old version still scores them, loading it
    # again changes nothing, a version that keeps the measures scores again.
    old = spatz.open(database_url, catalog_id="mini@1")
    assert old.events().equals(events_before)
    assert len(old.score("2024-12-31"))
    code, out, err = spatz_cli(database_url, "catalog", "load", str(without(tmp_path, "1")))
    assert (code, err) == (0, "")
    assert out == "Katalog mini@1: unverändert (bereits geladen), 8 Maßnahmen\n"
    assert spatz_cli(database_url, "catalog", "load", str(without(tmp_path, "3")))[2] == ""
    code, out, _ = spatz_cli(database_url, "score", "--as-of", "31.12.2024", "--format", "csv")
    assert code == 0
    assert out.count("\n") == 1 + 2 * 3


def test_a_version_without_a_dimension_that_has_targets(database_url: str, tmp_path: Path) -> None:
    recorded(database_url, tmp_path)
    code, _, err = spatz_cli(
        database_url, "catalog", "load", str(without(tmp_path, "2", dimension="sicherheit"))
    )
    assert code == 0
    assert "Dimensionen, für die Ziele gesetzt sind: sicherheit" in err
    code, out, err = spatz_cli(database_url, "score")
    assert (code, out) == (2, "")
    assert err == (
        "Im Katalog mini@2 fehlen Maßnahmen, zu denen Ereignisse erfasst sind: ISM-1-01; "
        "Dimensionen, für die Ziele gesetzt sind: sicherheit. Bitte eine Version des "
        "Katalogs laden, die sie enthält (spatz catalog load DATEI); die erfassten Daten "
        "bleiben gespeichert.\n"
    )


def test_a_version_that_keeps_every_recorded_measure_loads_without_warning(
    sqlite_url: str, tmp_path: Path
) -> None:
    recorded(sqlite_url, tmp_path)
    code, _, err = spatz_cli(sqlite_url, "catalog", "load", str(without(tmp_path, "2", "STR-2-01")))
    assert (code, err) == (0, "")
    assert spatz_cli(sqlite_url, "score")[0] == 0


PAGES = [
    "views/overview.py",
    "views/dimension.py",
    "views/record.py",
    "views/projects.py",
    "views/comparison.py",
    "views/catalog.py",
    "views/exchange.py",
    "views/audit.py",
]


@pytest.mark.parametrize("page", PAGES)
def test_dashboard_pages_show_the_message(
    page: str, demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    catalog = spatz.open(url).catalog()
    recorded_measures = sorted(set(spatz.open(url).events()["measure_id"]))[:2]
    dropped = tmp_path / "dropped.yaml"
    text = catalog.to_yaml().replace(f'version: "{catalog.version}"', 'version: "9"')
    text = text.replace(f"version: '{catalog.version}'", "version: '9'")
    dropped.write_text(text, encoding="utf-8")
    smaller = spatz.load_catalog(dropped)
    assert smaller.version == "9"
    kept = tuple(
        d.model_copy(
            update={"measures": tuple(m for m in d.measures if m.id not in recorded_measures)}
        )
        for d in smaller.dimensions
    )
    dropped.write_text(smaller.model_copy(update={"dimensions": kept}).to_yaml(), "utf-8")
    assert spatz_cli(url, "catalog", "load", str(dropped))[0] == 0
    monkeypatch.setenv("SPATZ_DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = "15002000"
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.session_state["actor"] = Actor.operator("tester")
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()
    at.switch_page(page).run()
    assert not at.exception
    shown = [visible(e.value).replace("\u2060", "") for e in at.error]  # word joiners
    if page in ("views/catalog.py", "views/audit.py", "views/record.py"):
        assert shown == []  # these pages do not score (the record page after a change)
        return
    assert len(shown) == 1
    assert shown[0].startswith(
        f"Im Katalog {catalog.id}@9 fehlen Maßnahmen, zu denen Ereignisse erfasst sind: "
        f"{', '.join(recorded_measures)}. Bitte eine Version des Katalogs laden"
    )
