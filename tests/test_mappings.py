"""Mapping sets between catalogs: ``spatz catalog map``, listed with ``catalog list``, and a
measure recorded once counting in the other catalog (score, explain, the XLSX, the report,
the roadmap)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from apptest import dashboard_as
from clirun import spatz_cli
from openpyxl import load_workbook
from rendered import visible

import spatz
from spatz.cli import common as cli_common
from spatz.errors import CatalogError
from spatz.mapping import parse_mapping
from spatz.services.common import Actor

DATA = Path(__file__).parent / "data"

SECURITY = """\
id: sec
version: "1"
name: Sicherheitskatalog
levels:
  - {level: 1, name: Basis}
  - {level: 2, name: Standard}
dimensions:
  - id: isms
    name: Sicherheitsmanagement
    measures:
      - {id: SEC-1, level: 1, title: Verantwortung festgelegt}
      - {id: SEC-2, level: 1, title: Leitlinie erstellt}
      - {id: SEC-3, level: 2, title: Schulungen, valid_for_months: 12}
"""

MAPPING = """\
id: mini-sec
version: "1"
name: Mini zu Sicherheit
source: mini
target: sec
pairs:
  - {source: ISM-1-01, target: SEC-1, relation: equal}
  - {source: ISM-2-01, target: SEC-2, relation: superset, note: Die Leitlinie umfasst mehr}
  - {source: ISM-3-01, target: SEC-3, relation: subset}
"""

PROGRESS = (
    "org,measure_id,status,date\n"
    "A,ISM-1-01,umgesetzt,2023-01-01\n"
    "A,ISM-2-01,umgesetzt,2023-02-01\n"
    "A,ISM-3-01,umgesetzt,2024-02-01\n"
    "B,ISM-1-01,umgesetzt,2023-03-01\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def prepared(url: str, tmp_path: Path) -> None:
    """Catalogs mini (default) and sec, organisations A and B with mini events only."""
    assert spatz_cli(url, "init")[0] == 0
    assert spatz_cli(url, "catalog", "load", str(DATA / "mini.yaml"))[0] == 0
    assert spatz_cli(url, "catalog", "load", str(write(tmp_path, "sec.yaml", SECURITY)))[0] == 0
    orgs = write(tmp_path, "orgs.csv", "org,name,kind\nA,Stadt A,Stadt\nB,Stadt B,Stadt\n")
    assert spatz_cli(url, "import", "organisations", str(orgs))[0] == 0
    progress = write(tmp_path, "progress.csv", PROGRESS)
    code, _, err = spatz_cli(url, "import", "progress", str(progress))
    assert code == 0, err


def mapped(url: str, tmp_path: Path) -> None:
    prepared(url, tmp_path)
    code, out, err = spatz_cli(url, "catalog", "map", str(write(tmp_path, "m.yaml", MAPPING)))
    assert (code, err) == (0, ""), err
    assert out == "Zuordnung mini-sec@1 (mini → sec): geladen, 3 Paare\n"


def levels(url: str, catalog: str) -> dict[tuple[str, str], int]:
    frame = spatz.open(url).score("2024-06-30", catalog=catalog)
    return {
        (str(o), str(d)): int(level)
        for o, d, level in zip(frame["org"], frame["dimension_id"], frame["level"], strict=True)
    }


def test_a_measure_done_in_one_catalog_counts_in_the_other(
    database_url: str, tmp_path: Path
) -> None:
    prepared(database_url, tmp_path)
    # Without the mapping, sec has no events at all.
    assert spatz.open(database_url).score("2024-06-30", catalog="sec").empty
    before = levels(database_url, "mini")
    code, _, err = spatz_cli(
        database_url, "catalog", "map", str(write(tmp_path, "m.yaml", MAPPING))
    )
    assert code == 0, err
    assert levels(database_url, "sec") == {
        ("A", "isms"): 1,
        ("A", "overall"): 1,
        ("B", "isms"): 0,
        ("B", "overall"): 0,
    }
    # The source catalog's results do not change.
    assert levels(database_url, "mini") == before


def test_explain_names_the_measure_a_state_comes_from(database_url: str, tmp_path: Path) -> None:
    mapped(database_url, tmp_path)
    states = spatz.open(database_url).explain("2024-06-30", org="A", catalog="sec")
    rows = states.set_index("measure_id")
    assert rows.loc["SEC-1", "covered_by"] == "ISM-1-01 (Mini-Katalog)"
    assert rows.loc["SEC-2", "covered_by"] == "ISM-2-01 (Mini-Katalog)"
    assert rows.loc["SEC-3", "covered_by"] == ""
    assert rows.loc["SEC-3", "partly_covered_by"] == "ISM-3-01 (Mini-Katalog)"
    assert rows["done"].tolist() == [True, True, False]


def test_the_command_line_scores_with_the_mapping(database_url: str, tmp_path: Path) -> None:
    mapped(database_url, tmp_path)
    code, out, err = spatz_cli(
        database_url, "score", "--catalog", "sec", "--as-of", "2024-06-30", "--format", "json"
    )
    assert code == 0, err
    rows = {(r["org"], r["dimension_id"]): r["level"] for r in json.loads(out)}
    assert rows[("A", "isms")] == 1


def test_the_roadmap_does_not_ask_for_what_the_mapping_covers(
    database_url: str, tmp_path: Path
) -> None:
    mapped(database_url, tmp_path)
    plan = spatz.open(database_url).roadmap("A", "isms", "2024-06-30", catalog="sec")
    assert plan["measure_id"].tolist() == ["SEC-3"]


def test_catalog_list_shows_the_mapping_sets(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common.out, "width", 200)
    mapped(sqlite_url, tmp_path)
    code, out, _ = spatz_cli(sqlite_url, "catalog", "list")
    assert code == 0
    assert "Zuordnung" in out
    assert "mini-sec" in out
    assert "Mini zu Sicherheit" in out
    assert "mini → sec" in out


def test_loading_the_same_set_again_changes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    mapped(sqlite_url, tmp_path)
    code, out, _ = spatz_cli(sqlite_url, "catalog", "map", str(tmp_path / "m.yaml"))
    assert code == 0
    assert out == "Zuordnung mini-sec@1 (mini → sec): unverändert (bereits geladen), 3 Paare\n"


def test_a_new_version_replaces_the_pairs_in_force(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common.out, "width", 200)
    mapped(sqlite_url, tmp_path)
    second = MAPPING.replace('version: "1"', 'version: "2"').replace(
        "target: SEC-1, relation: equal", "target: SEC-1, relation: intersect"
    )
    code, _, err = spatz_cli(sqlite_url, "catalog", "map", str(write(tmp_path, "m2.yaml", second)))
    assert code == 0, err
    assert levels(sqlite_url, "sec")[("A", "isms")] == 0
    code, out, _ = spatz_cli(sqlite_url, "catalog", "list")
    assert out.count("mini-sec") == 2


def test_loading_is_audited(sqlite_url: str, tmp_path: Path) -> None:
    mapped(sqlite_url, tmp_path)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT actor, action, entity, entity_key FROM audit_entry WHERE entity = 'mapping'"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("tester", "load", "mapping", "mini-sec@1")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            MAPPING.replace("target: sec", "target: nope"),
            "Zuordnung mini-sec@1: Zielkatalog 'nope' ist nicht geladen (geladen: mini, sec); "
            "bitte zuerst den Katalog laden",
            id="catalog-not-loaded",
        ),
        pytest.param(
            MAPPING.replace("target: SEC-2,", "target: SEC-9,").replace(
                "source: ISM-3-01", "source: ISM-9-09"
            ),
            "Zuordnung mini-sec@1: 2 Paare nennen Maßnahmen, die die Kataloge nicht "
            "enthalten:\n"
            "  pairs[1] (ISM-2-01 → SEC-9): 'SEC-9' ist keine Maßnahme von sec@1\n"
            "  pairs[2] (ISM-9-09 → SEC-3): 'ISM-9-09' ist keine Maßnahme von mini@1",
            id="unknown-measures",
        ),
        pytest.param(
            MAPPING.replace("relation: subset", "relation: similar"),
            "m.yaml: ungültige Zuordnung: pairs[2].relation: ungültiger Wert",
            id="unknown-relation",
        ),
        pytest.param(
            MAPPING.replace("target: sec", "target: mini"),
            "m.yaml: ungültige Zuordnung: Zuordnung: Quelle und Ziel sind derselbe Katalog "
            "'mini'; eine Zuordnung verbindet zwei Kataloge",
            id="same-catalog",
        ),
        pytest.param(
            MAPPING + "  - {source: ISM-1-01, target: SEC-1, relation: subset}\n",
            "m.yaml: ungültige Zuordnung: Zuordnung: das Paar ISM-1-01 → SEC-1 kommt mehrfach vor",
            id="duplicate-pair",
        ),
        pytest.param(
            "pairs: [\n",
            "m.yaml:2: kein gültiges YAML/JSON",
            id="not-yaml",
        ),
    ],
)
def test_a_bad_mapping_set_is_refused_and_nothing_is_loaded(
    sqlite_url: str, tmp_path: Path, text: str, message: str
) -> None:
    prepared(sqlite_url, tmp_path)
    file = write(tmp_path, "m.yaml", text)
    code, out, err = spatz_cli(sqlite_url, "catalog", "map", str(file))
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert message.replace("m.yaml", str(file)) in err
    _, listing, _ = spatz_cli(sqlite_url, "catalog", "list")
    assert "mini-sec" not in listing


def test_other_content_under_a_loaded_version_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    mapped(sqlite_url, tmp_path)
    changed = write(tmp_path, "m2.yaml", MAPPING.replace("Mini zu Sicherheit", "Anders"))
    code, _, err = spatz_cli(sqlite_url, "catalog", "map", str(changed))
    assert code == 2
    assert (
        "Zuordnung mini-sec@1 ist bereits geladen und unterscheidet sich von der Datei; "
        "Änderungen bitte als neue Version (Feld version) laden"
    ) in err


def test_a_mapping_set_round_trips_through_its_file_format() -> None:
    mapping = parse_mapping(MAPPING)
    assert parse_mapping(mapping.to_yaml()) == mapping
    assert mapping.pairs[1].note == "Die Leitlinie umfasst mehr"
    assert [p.counts for p in mapping.pairs] == [True, True, False]


def test_a_mapping_set_needs_pairs() -> None:
    with pytest.raises(CatalogError, match="pairs: Angabe fehlt"):
        parse_mapping("id: a\nversion: '1'\nname: A\nsource: x\ntarget: y\n", "m.yaml")


def test_the_workbook_says_where_a_state_comes_from(sqlite_url: str, tmp_path: Path) -> None:
    mapped(sqlite_url, tmp_path)
    path = tmp_path / "sec.xlsx"
    code, _, err = spatz_cli(
        sqlite_url, "export", "xlsx", str(path), "--catalog", "sec", "--as-of", "30.06.2024"
    )
    assert code == 0, err
    sheet = load_workbook(path)["Maßnahmen"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    a = {r["Maßnahme"]: r for r in rows if r["Schlüssel"] == "A"}
    assert a["SEC-1"]["umgesetzt über"] == "ISM-1-01 (Mini-Katalog)"
    assert a["SEC-1"]["zählt als umgesetzt"] == "ja"
    assert a["SEC-3"]["umgesetzt über"] is None
    assert a["SEC-3"]["teilweise abgedeckt durch"] == "ISM-3-01 (Mini-Katalog)"


def test_a_workbook_without_mappings_has_no_mapping_columns(
    sqlite_url: str, tmp_path: Path
) -> None:
    prepared(sqlite_url, tmp_path)
    path = tmp_path / "mini.xlsx"
    assert spatz_cli(sqlite_url, "export", "xlsx", str(path))[0] == 0
    header = [c.value for c in load_workbook(path)["Maßnahmen"][1]]
    assert "umgesetzt über" not in header
    assert "teilweise abgedeckt durch" not in header


def test_the_report_lists_what_mappings_count(sqlite_url: str, tmp_path: Path) -> None:
    mapped(sqlite_url, tmp_path)
    path = tmp_path / "a.html"
    code, _, err = spatz_cli(
        sqlite_url,
        "export",
        "report",
        str(path),
        "--org",
        "A",
        "--catalog",
        "sec",
        "--as-of",
        "30.06.2024",
    )
    assert code == 0, err
    text = path.read_text(encoding="utf-8")
    assert "<h3>Über Zuordnungen angerechnet</h3>" in text
    assert "SEC-1 Verantwortung festgelegt</td><td>ISM-1-01 (Mini-Katalog)" in text


def test_the_dimension_page_says_where_a_state_comes_from(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapped(sqlite_url, tmp_path)
    at = dashboard_as(
        sqlite_url,
        monkeypatch,
        Actor.operator("tester"),
        "A",
        dt.date(2024, 6, 30),
        catalog="sec",
        dimension="isms",
    )
    at.switch_page("views/dimension.py").run()
    assert not at.exception
    shown = {
        row["ID"]: row["Stand"]
        for frame in at.dataframe
        if "Stand" in frame.value.columns and "ID" in frame.value.columns
        for row in frame.value.to_dict("records")
    }
    assert shown == {
        "SEC-1": "umgesetzt über ISM-1-01 (Mini-Katalog)",
        "SEC-2": "umgesetzt über ISM-2-01 (Mini-Katalog)",
        "SEC-3": "offen (teilweise abgedeckt durch ISM-3-01 (Mini-Katalog))",
    }
    labels = [visible(e.label) for e in at.expander if visible(e.label).startswith("Stufe 1")]
    assert labels == ["Stufe 1 – Basis: erreicht · 2 von 2 umgesetzt"]


def test_the_store_lists_the_mapping_sets(sqlite_url: str, tmp_path: Path) -> None:
    mapped(sqlite_url, tmp_path)
    [info] = spatz.open(sqlite_url).mappings()
    assert (info.id, info.version, info.source, info.target, info.pairs, info.in_force) == (
        "mini-sec",
        "1",
        "mini",
        "sec",
        3,
        True,
    )
    assert spatz.load_mapping(tmp_path / "m.yaml") == parse_mapping(MAPPING)


def test_the_record_page_says_when_a_mapping_covers_the_measure(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapped(sqlite_url, tmp_path)
    at = dashboard_as(
        sqlite_url, monkeypatch, Actor.operator("tester"), "A", dt.date(2024, 6, 30), catalog="sec"
    )
    at.switch_page("views/record.py").run()
    assert not at.exception
    assert next(visible(i.value) for i in at.info) == (
        "Zählt am 30.06.2024 als umgesetzt über ISM-1-01 (Mini-Katalog) (Zuordnung zwischen "
        "Katalogen); ein eigener Eintrag ist dafür nicht nötig."
    )
    at.selectbox[1].select("SEC-3").run()
    assert not any("Zählt am" in visible(i.value) for i in at.info)
