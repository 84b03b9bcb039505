"""The command line: exact messages and exit codes, never a traceback for a user mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import spatz_cli as spatz
from dbutil import fingerprint
from typer.testing import CliRunner

from spatz.catalog import parse_catalog
from spatz.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


@pytest.fixture
def url(sqlite_url: str) -> str:
    code, out, _ = spatz(sqlite_url, "init")
    assert code == 0
    assert out == f"Datenbank bereit: {sqlite_url}\n"
    return sqlite_url


def test_commands_refuse_an_uninitialised_database(sqlite_url: str) -> None:
    code, out, err = spatz(sqlite_url, "catalog", "list")
    assert code == 2
    assert out == ""
    assert "ist nicht eingerichtet oder veraltet: bitte zuerst `spatz init` ausführen" in err


def test_init_is_safe_to_repeat(url: str) -> None:
    assert spatz(url, "init")[0] == 0


def test_catalog_load_list_export(url: str) -> None:
    code, out, _ = spatz(url, "catalog", "load", str(DATA / "mini.yaml"))
    assert (code, out) == (0, "Katalog mini@1: geladen, 7 Maßnahmen\n")
    code, out, _ = spatz(url, "catalog", "load", str(DATA / "mini.yaml"))
    assert out == "Katalog mini@1: unverändert (bereits geladen), 7 Maßnahmen\n"
    code, out, _ = spatz(url, "catalog", "list")
    assert code == 0
    assert "mini" in out
    assert "tester" in out
    code, out, _ = spatz(url, "catalog", "export", "mini@1")
    assert code == 0
    assert parse_catalog(out) == parse_catalog((DATA / "mini.yaml").read_text(encoding="utf-8"))


def test_catalog_in_use_cannot_change_without_new_version(url: str, tmp_path: Path) -> None:
    spatz(url, "catalog", "load", str(DATA / "mini.yaml"))
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org,name,kind\nA,Stadt A,Stadt\n", encoding="utf-8")
    progress = tmp_path / "p.csv"
    progress.write_text("org,measure_id,status,date\nA,STR-1-01,umgesetzt,2023-01-01\n")
    assert spatz(url, "import", "organisations", str(orgs))[0] == 0
    assert spatz(url, "import", "progress", str(progress))[0] == 0
    changed = tmp_path / "mini.yaml"
    changed.write_text(
        (DATA / "mini.yaml").read_text(encoding="utf-8").replace("Mini-Katalog", "Geändert"),
        encoding="utf-8",
    )
    before = fingerprint(url)
    code, _, err = spatz(url, "catalog", "load", str(changed))
    assert code == 2
    assert "Katalog mini@1 ist bereits in Gebrauch" in err
    assert fingerprint(url) == before
    new_version = tmp_path / "mini2.yaml"
    new_version.write_text(changed.read_text().replace('version: "1"', 'version: "2"'))
    assert spatz(url, "catalog", "load", str(new_version))[1] == (
        "Katalog mini@2: geladen, 7 Maßnahmen\n"
    )


def test_invalid_catalog_file(url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: '1'\nname: X\nlevels: []\ndimensions: []\n")
    code, out, err = spatz(url, "catalog", "load", str(bad))
    assert code == 2
    assert err.startswith(f"{bad}: ungültiger Katalog: levels: ")
    assert "Traceback" not in out + err


def test_import_errors_name_file_line_and_column(url: str, tmp_path: Path) -> None:
    bad = tmp_path / "orgs.csv"
    bad.write_text("org;name;kind\nA;Stadt A;Stadt\nB;;Stadt\n", encoding="utf-8")
    before = fingerprint(url)
    code, out, err = spatz(url, "import", "organisations", str(bad))
    assert (code, out) == (2, "")
    assert err == f"{bad}:3: Spalte name: Wert fehlt\n"
    assert fingerprint(url) == before


def test_import_dry_run(url: str, tmp_path: Path) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org,name,kind\nA,Stadt A,Stadt\n", encoding="utf-8")
    before = fingerprint(url)
    code, out, _ = spatz(url, "import", "organisations", str(orgs), "--dry-run")
    assert code == 0
    assert out == (
        f"{orgs}: 1 Zeilen geprüft, 1 würden neu importiert, 0 bereits vorhanden "
        "(Probelauf, nichts geschrieben)\n"
    )
    assert fingerprint(url) == before


def test_import_needs_a_catalog(url: str, tmp_path: Path) -> None:
    progress = tmp_path / "p.csv"
    progress.write_text("org,measure_id,status,date\nA,X,geplant,2023-01-01\n")
    code, _, err = spatz(url, "import", "progress", str(progress))
    assert code == 2
    assert err == "Es ist noch kein Katalog geladen (spatz catalog load DATEI)\n"


def test_unreachable_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing-dir/x.db"
    code, _, err = spatz(url, "init")
    assert code == 2
    assert err.startswith("Datenbank nicht erreichbar: ")


def test_demo_loads_everything_and_is_safe_to_repeat(sqlite_url: str) -> None:
    code, out, _ = spatz(sqlite_url, "demo")
    assert code == 0
    assert "organisations.csv: 24 Zeilen geprüft, 24 neu importiert" in out
    assert "projekte_halle_2023.tsv: 15 Zeilen geprüft, 15 neu importiert" in out
    assert "meilensteine_gesundheitsamt.csv: 9 Zeilen geprüft, 9 neu importiert" in out
    before = fingerprint(sqlite_url)
    code, out, _ = spatz(sqlite_url, "demo")
    assert code == 0
    assert " 0 neu importiert" in out
    assert fingerprint(sqlite_url) == before


def test_score_formats(demo_url: str) -> None:
    code, out, _ = spatz(demo_url, "score", "--org", "15002000", "--as-of", "31.12.2024")
    assert code == 0
    assert "Digitalisierungs" in out
    code, out, _ = spatz(
        demo_url, "score", "--org", "15002000", "--as-of", "2024-12-31", "--format", "csv"
    )
    lines = out.splitlines()
    assert lines[0].startswith("org,ags,organisation,kind,land,catalog_id")
    assert len(lines) == 1 + 9
    assert all(line.startswith("15002000,") for line in lines[1:])
    code, out, _ = spatz(demo_url, "score", "--org", "15002000", "--format", "json")
    records = json.loads(out)
    assert [r["dimension_id"] for r in records][-1] == "overall"


def test_score_rejects_bad_input(demo_url: str) -> None:
    code, _, err = spatz(demo_url, "score", "--org", "XX")
    assert (code, err) == (2, "Organisation(en) nicht gefunden: XX\n")
    code, _, err = spatz(demo_url, "score", "--as-of", "31.13.2024")
    assert code == 2
    assert "diesen Tag gibt es nicht: '31.13.2024'" in err


def test_dashboard_execs_streamlit_with_the_upload_limit(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, list[str], dict[str, str]]] = []

    def execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        calls.append((path, argv, env))

    monkeypatch.setattr("spatz.cli.main.os.execve", execve)
    result = runner.invoke(app, ["--db", url, "dashboard"], env={"SPATZ_MAX_FILE_MB": "7"})
    assert result.exit_code == 0, result.output
    [(path, argv, env)] = calls
    assert path == argv[0]
    assert argv[1:4] == ["-m", "streamlit", "run"]
    assert argv[argv.index("--server.maxUploadSize") + 1] == "7"
    assert env["SPATZ_DATABASE_URL"] == url
    calls.clear()
    result = runner.invoke(app, ["--db", url, "dashboard"], env={"SPATZ_MAX_FILE_MB": "viel"})
    assert (result.exit_code, calls) == (2, [])
    assert result.stderr == (
        "SPATZ_MAX_FILE_MB='viel' ist ungültig: erwartet eine ganze Zahl ab 1 (Standard 50)\n"
    )
    runner.invoke(app, ["--db", url, "dashboard"], env={"SPATZ_MAX_FILE_MB": None})
    assert calls[0][1][calls[0][1].index("--server.maxUploadSize") + 1] == "50"


def test_export_xlsx_refuses_a_name_that_is_no_workbook(url: str, tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    code, out, err = spatz(url, "export", "xlsx", str(target))
    assert (code, out) == (2, "")
    assert err == (
        f"{target}: eine Arbeitsmappe wird als .xlsx geschrieben, nicht als .csv "
        f"(z. B. {tmp_path / 'x.xlsx'})\n"
    )
    assert not target.exists()


def test_a_sheet_named_for_a_csv_file_is_refused(url: str, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("org,name,kind,land,ags,parent\nA,Stadt A,Stadt,,,\n", encoding="utf-8")
    before = fingerprint(url)
    code, out, err = spatz(url, "import", "organisations", str(path), "--sheet", "Tabelle1")
    assert (code, out) == (2, "")
    assert err == (
        f"{path}: ein Tabellenblatt ('Tabelle1') gibt es nur in XLSX-Dateien, dies ist eine "
        "CSV-Datei (ohne --sheet einlesen)\n"
    )
    assert fingerprint(url) == before
