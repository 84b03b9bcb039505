"""``spatz catalog import --from dsomm``: DSOMM's model file as a catalog, field by field;
what is not taken over is named; bad input is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from spatz import open as spatz_open
from spatz.catalog import Reference, load_catalog, parse_catalog
from spatz.cli import app
from spatz.errors import CatalogError, DataImportError
from spatz.interop.common import ImportedCatalog
from spatz.interop.dsomm import parse, read
from spatz.io.limits import FileLimits

FIXTURE = Path(__file__).parent / "data" / "dsomm" / "model.yaml"
UUID = "0b0e8a52-1d11-4c43-9a10-00000000000"
"""The uuids of the fixture's activities end in 1..5."""
BUILD = ("Build and Deployment", "Build")
runner = CliRunner()


def spatz(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"SPATZ_USER": "tester"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def documents() -> list[dict[str, Any]]:
    """The fixture's two documents: ``{"meta": …}`` and the dimensions."""
    found = list(yaml.safe_load_all(FIXTURE.read_text(encoding="utf-8")))
    assert len(found) == 2
    return found


def activity(data: dict[str, Any], dimension: str, sub: str, name: str) -> dict[str, Any]:
    found = data[dimension][sub][name]
    assert isinstance(found, dict)
    return found


def dump(*docs: Any) -> str:
    return yaml.safe_dump_all(docs, allow_unicode=True, explicit_start=True, sort_keys=False)


def convert(meta: dict[str, Any], data: dict[str, Any]) -> ImportedCatalog:
    return parse(dump(meta, data), "model.yaml")


def test_levels_are_dsomms_levels_up_to_the_highest_used_and_the_rule_is_additive() -> None:
    catalog = read(FIXTURE).catalog
    assert (catalog.id, catalog.version, catalog.name, catalog.rule) == (
        "dsomm",
        "4.3.1",
        "DevSecOps Maturity Model (DSOMM)",
        "additive",
    )
    assert [(lv.level, lv.name) for lv in catalog.levels] == [
        (1, "Basic understanding of security practices"),
        (2, "Adoption of basic security practices"),
        (3, "High adoption of security practices"),
        (4, "Very high adoption of security practices"),
    ]
    # the default statuses only: the file carries no implementation steps
    assert (catalog.answers, catalog.answer_scales) == ((), ())


def test_dimensions_become_groups_and_sub_dimensions_dimensions() -> None:
    catalog = read(FIXTURE).catalog
    assert [(g.id, g.name, g.parent) for g in catalog.groups] == [
        ("build-and-deployment", "Build and Deployment", None),
        ("culture-and-organization", "Culture and Organization", None),
    ]
    assert [(d.id, d.name, d.group) for d in catalog.dimensions] == [
        ("build", "Build", "build-and-deployment"),
        ("deployment", "Deployment", "build-and-deployment"),
        ("education-and-guidance", "Education and Guidance", "culture-and-organization"),
    ]
    # sparse: Deployment has only level 4, Education and Guidance levels 1 and 3
    assert [m.level for m in catalog.dimension("deployment").measures] == [4]
    assert [m.level for m in catalog.dimension("education-and-guidance").measures] == [1, 3]


def test_activities_become_measures_field_by_field() -> None:
    catalog = read(FIXTURE).catalog
    build, pinned, signed, champions, ctf = (m for _, m in catalog.measures())
    assert (build.id, build.level, build.title, build.description, build.source) == (
        UUID + "1",
        1,
        "Defined build process",
        "The build runs the same steps every time.\n\n"
        "Risiko: Builds that depend on memory miss steps.\n\n"
        "Maßnahme: Write the build steps down and run them with a tool.\n\n"
        "Nachweis: - Show the pipeline configuration.",
        "DSOMM: Build and Deployment / Build / Defined build process",
    )
    # 5.10 stays the ISO control 5.10; a web address is a reference as text
    assert build.references == (
        Reference(catalog="samm2", id="I-SB-A-1"),
        Reference(catalog="iso27001-2022", id="5.10"),
        Reference(catalog="iso27001-2022", id="8.32"),
        "https://www.opencre.org/node/standard/Example/section/Build",
    )
    assert (build.weight, build.mandatory, build.valid_for_months, build.answers) == (
        1.0,
        False,
        None,
        None,
    )
    assert pinned.description == (
        "Risiko: Unpinned images change without notice.\n\n"
        "Maßnahme: Pin images and dependencies to a digest.\n\n"
        "Umsetzungshinweis: Use a digest instead of the latest tag."
    )
    # a risk that repeats the description is written once
    assert signed.description == (
        "Releases carry a signature.\n\n"
        "Maßnahme: Sign every release and check the signature before deployment."
    )
    assert champions.description.endswith("Anmerkung: Works best with a budget for training.")
    assert champions.references == (Reference(catalog="iso27001-2017", id="7.2.2"),)
    assert (ctf.title, ctf.description, ctf.references) == (
        "Capture the flag",
        "Maßnahme: Hold a capture-the-flag event once a year.",
        (),
    )


def test_references_that_fit_no_catalog_reference_stay_text() -> None:
    meta, data = documents()
    long_id = "x" * 201
    activity(data, *BUILD, "Pinned artifacts")["references"] = {
        "samm2": "I-SB-B-1",  # one entry without a list
        "": ["ohne Art"],
        "bsi": [long_id, None],
    }
    measure = convert(meta, data).catalog.measure(UUID + "2")
    assert measure.references == (
        Reference(catalog="samm2", id="I-SB-B-1"),
        "ohne Art",
        f"bsi: {long_id}",
    )


def test_depends_on_names_the_activity_by_uuid_or_by_name() -> None:
    catalog = read(FIXTURE).catalog
    assert {m.title: m.depends_on for _, m in catalog.measures()} == {
        "Defined build process": (),
        "Pinned artifacts": (UUID + "1",),  # by uuid
        "Signed releases": (UUID + "2",),  # by name
        "Security champions": (),
        "Capture the flag": (UUID + "4",),  # the unknown second one is not taken
    }


def test_the_file_names_source_version_release_and_loads() -> None:
    text = read(FIXTURE).to_yaml()
    assert text.startswith(
        "# Importiert aus einem DSOMM-Modell (--from dsomm)\n"
        "# Quelle: DevSecOps Maturity Model (DSOMM), "
        "https://github.com/devsecopsmaturitymodel/DevSecOps-MaturityModel-data\n"
        "# Version: 4.3.1\n"
        "# Veröffentlicht: 19.05.2026\n"
        "# Lizenz: nennt die Datei nicht; es gilt die Lizenz des Quellprojekts\n"
        "id: dsomm\n"
    )
    assert parse_catalog(text) == read(FIXTURE).catalog


def test_the_summary_names_what_is_taken_and_what_is_not() -> None:
    assert read(FIXTURE).summary() == (
        "übernommen: 4 Stufen, 2 Gruppen (Dimensionen), 3 Dimensionen (Unterdimensionen), "
        "5 Maßnahmen (Aktivitäten), 3 Voraussetzungen (dependsOn), 6 Bezüge (references)",
        "nicht übernommen: Werkzeuge (implementation) bei 1 Aktivität, weil der Katalog keine "
        "Werkzeuge kennt",
        "nicht übernommen: Aufwand (difficultyOfImplementation) bei 1 Aktivität, weil SPATZ "
        "nach Stufen bewertet, nicht nach Aufwand",
        "nicht übernommen: Nutzen (usefulness) bei 2 Aktivitäten, weil alle Maßnahmen das "
        "gleiche Gewicht erhalten",
        "nicht übernommen: Schlagwörter (tags) bei 1 Aktivität, weil der Katalog keine "
        "Schlagwörter hat",
        "nicht übernommen: Danksagungen (credits) bei 1 Aktivität, weil der Katalog dafür kein "
        "Feld hat",
        "nicht übernommen: Umsetzungsstand (isImplemented, evidence, comments, "
        "teamsImplemented, teamsEvidence) bei 1 Aktivität, weil SPATZ den Stand als Ereignisse "
        "je Organisation erfasst",
        "nicht übernommen: 1 Voraussetzung (dependsOn), die keine Aktivität der Datei nennt "
        "('Threat modelling workshop'), weil eine Voraussetzung im selben Katalog liegen muss",
        "Hinweis: die Datei nennt keine Umsetzungsschritte mit Prozentwerten (DSOMM führt sie "
        "als progressDefinition in der meta.yaml seiner Anwendung); es gelten die festen "
        "Status planned, in_progress, completed, not_applicable",
    )


def test_unknown_keys_and_empty_sections_are_named_as_not_taken() -> None:
    meta, data = documents()
    meta["meta"]["licenseNote"] = "siehe Projekt"
    build = activity(data, *BUILD, "Defined build process")
    build["teamsImplemented"] = {"Team A": True}
    build["ignore"] = False
    activity(data, *BUILD, "Pinned artifacts")["meta"]["owner"] = "A"
    data["Build and Deployment"]["Patch Management"] = {}
    data["Information Gathering"] = None
    imported = convert(meta, data)
    assert [d.id for d in imported.catalog.dimensions] == [
        "build",
        "deployment",
        "education-and-guidance",
    ]
    assert [g.id for g in imported.catalog.groups] == [
        "build-and-deployment",
        "culture-and-organization",
    ]
    lines = imported.not_taken
    assert (
        "nicht übernommen: Umsetzungsstand (isImplemented, evidence, comments, "
        "teamsImplemented, teamsEvidence) bei 2 Aktivitäten, weil SPATZ den Stand als "
        "Ereignisse je Organisation erfasst"
    ) in lines
    assert lines[-4:] == (
        "nicht übernommen: Angabe ignore bei 1 Aktivität, weil das DSOMM-Modell sie nicht "
        "beschreibt",
        "nicht übernommen: Angabe meta.owner bei 1 Aktivität, weil das DSOMM-Modell sie nicht "
        "beschreibt",
        "nicht übernommen: 2 Abschnitte ohne Aktivität (Information Gathering, "
        "Build and Deployment.Patch Management), weil eine Dimension mindestens eine "
        "Maßnahme braucht",
        "nicht übernommen: meta.licenseNote, weil der Katalog dafür kein Feld hat",
    )


def test_a_file_without_meta_and_only_level_1_gets_version_1_and_a_level_0() -> None:
    _, data = documents()
    for subs in data.values():
        for acts in subs.values():
            for item in acts.values():
                item["level"] = 1
    imported = parse(yaml.safe_dump(data), "model.yaml")
    assert imported.catalog.version == "1"
    assert [(lv.level, lv.name) for lv in imported.catalog.levels] == [
        (0, "Ausgangslage"),
        (1, "Basic understanding of security practices"),
    ]
    assert imported.header == (
        "# Importiert aus einem DSOMM-Modell (--from dsomm)\n"
        "# Quelle: DevSecOps Maturity Model (DSOMM), "
        "https://github.com/devsecopsmaturitymodel/DevSecOps-MaturityModel-data\n"
        "# Lizenz: nennt die Datei nicht; es gilt die Lizenz des Quellprojekts\n"
    )


def test_levels_above_dsomms_five_are_numbered() -> None:
    meta, data = documents()
    activity(data, *BUILD, "Pinned artifacts")["level"] = 6
    names = [lv.name for lv in convert(meta, data).catalog.levels]
    assert names[4:] == ["Advanced deployment of security practices at scale", "Stufe 6"]


def test_ids_of_groups_and_dimensions_stay_unique() -> None:
    meta, data = documents()
    # a sub-dimension named like a dimension, and two names with the same slug
    data["Culture and Organization"]["Build and Deployment"] = {
        "Threat modelling workshop": {"uuid": "u-6", "level": 2},
    }
    data["Culture and Organization"]["Build-and-Deployment"] = {
        "Design review": {"uuid": "u-7", "level": 2},
    }
    catalog = convert(meta, data).catalog
    assert [d.id for d in catalog.dimensions][-2:] == [
        "culture-and-organization-build-and-deployment",
        "culture-and-organization-build-and-deployment-2",
    ]
    # the name that was unknown before now resolves
    assert catalog.measure(UUID + "5").depends_on == (UUID + "4", "u-6")


def test_round_trip_import_load_export_and_scoring(tmp_path: Path, sqlite_url: str) -> None:
    assert spatz("--db", sqlite_url, "init")[0] == 0
    out = tmp_path / "katalog.yaml"
    code, stdout, stderr = spatz(
        "--db",
        sqlite_url,
        "catalog",
        "import",
        "--from",
        "dsomm",
        str(FIXTURE),
        "--out",
        str(out),
        "--load",
    )
    assert (code, stdout) == (0, "")
    assert stderr.splitlines()[0].startswith("übernommen: 4 Stufen, 2 Gruppen")
    assert stderr.splitlines()[-1] == "Katalog dsomm@4.3.1: geladen"
    imported = load_catalog(out)
    code, exported, _ = spatz("--db", sqlite_url, "catalog", "export", "dsomm@4.3.1")
    assert code == 0
    assert parse_catalog(exported) == imported == read(FIXTURE).catalog
    # Loaded, it is scored additively: Build has measures on levels 1 and 2, one of them
    # done, so its score is 4 · (1 + 0) / 2 = 2.
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org,name,kind\nA,Stadt A,Stadt\n", encoding="utf-8")
    progress = tmp_path / "progress.csv"
    progress.write_text(
        f"org,measure_id,status,date\nA,{UUID}1,umgesetzt,2024-05-01\n", encoding="utf-8"
    )
    for kind, file in (("organisations", orgs), ("progress", progress)):
        assert spatz("--db", sqlite_url, "import", kind, str(file))[0] == 0
    results = spatz_open(sqlite_url).score("2024-12-31", catalog="dsomm")
    rows = {
        d: (lv, round(sc, 6))
        for d, lv, sc in zip(
            results["dimension_id"], results["level"], results["score"], strict=True
        )
    }
    assert rows == {
        "build": (2, 2.0),
        "deployment": (0, 0.0),
        "education-and-guidance": (0, 0.0),
        "build-and-deployment": (0, 1.0),
        "culture-and-organization": (0, 0.0),
        "overall": (0, 0.5),
    }


def test_without_out_the_catalog_goes_to_stdout() -> None:
    code, stdout, stderr = spatz("catalog", "import", "--from", "dsomm", str(FIXTURE))
    assert code == 0
    assert stdout == read(FIXTURE).to_yaml()
    assert "nicht übernommen: Werkzeuge (implementation)" in stderr


def _changed(name: str, key: str, value: Any, where: tuple[str, str] = BUILD) -> str:
    meta, data = documents()
    activity(data, *where, name)[key] = value
    return dump(meta, data)


def _without(name: str, key: str) -> str:
    meta, data = documents()
    del activity(data, *BUILD, name)[key]
    return dump(meta, data)


def _version(version: str) -> str:
    meta, data = documents()
    meta["meta"]["version"] = version
    return dump(meta, data)


PINNED = "Build and Deployment.Build.Pinned artifacts"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "a: [1\n",
            "model.yaml:2: kein gültiges YAML (did not find expected ',' or ']')",
            id="not-yaml",
        ),
        pytest.param(
            dump({"meta": {"version": "4.3.1"}}),
            "model.yaml: Modell: keine Dimensionen; erwartet wird generated/model.yaml des "
            "DSOMM-Datenprojekts (Dimension → Unterdimension → Aktivität)",
            id="only-meta",
        ),
        pytest.param(
            "- 1\n",
            "model.yaml: Modell: keine Dimensionen; erwartet wird generated/model.yaml des "
            "DSOMM-Datenprojekts (Dimension → Unterdimension → Aktivität)",
            id="a-list",
        ),
        pytest.param(
            dump({"Build and Deployment": {"Build": {}}}),
            "model.yaml: Modell: keine Aktivität",
            id="no-activity",
        ),
        pytest.param(
            dump({"Build and Deployment": ["Build"]}),
            "model.yaml: Build and Deployment: Abschnitt mit Unterdimensionen erwartet",
            id="dimension-a-list",
        ),
        pytest.param(
            dump({"meta": {}}, {"A": {"B": {}}}, {"C": {}}),
            "model.yaml: Modell: höchstens zwei YAML-Dokumente erwartet (meta, dann Dimensionen)",
            id="three-documents",
        ),
        pytest.param(
            dump({"A": {"B": {}}}, {"C": {}}),
            "model.yaml: Modell: das erste von zwei YAML-Dokumenten muss nur meta enthalten",
            id="first-document-not-meta",
        ),
        pytest.param(
            dump({"Build and Deployment": {"Build": {"Defined build process": "level 1"}}}),
            "model.yaml: Build and Deployment.Build.Defined build process: Abschnitt mit "
            "uuid, level … erwartet",
            id="activity-not-a-mapping",
        ),
        pytest.param(
            dump({"A": {"B": {" ": {"uuid": "u-1", "level": 1}}}}),
            "model.yaml: A.B: eine Aktivität ohne Namen",
            id="activity-without-name",
        ),
        pytest.param(
            _changed("Pinned artifacts", "references", ["samm2"]),
            f"model.yaml: {PINNED}.references: Abschnitt mit Verweisarten erwartet",
            id="references-not-a-mapping",
        ),
        pytest.param(
            _without("Pinned artifacts", "level"),
            f"model.yaml: {PINNED}.level: Angabe fehlt",
            id="no-level",
        ),
        pytest.param(
            _changed("Pinned artifacts", "level", "1.5"),
            f"model.yaml: {PINNED}.level: ganze Zahl ab 1 erwartet, nicht '1.5'",
            id="level-not-an-integer",
        ),
        pytest.param(
            _changed("Pinned artifacts", "level", 0),
            f"model.yaml: {PINNED}.level: ganze Zahl ab 1 erwartet, nicht 0",
            id="level-0",
        ),
        pytest.param(
            _without("Pinned artifacts", "uuid"),
            f"model.yaml: {PINNED}.uuid: Angabe fehlt (sie wird die ID der Maßnahme)",
            id="no-uuid",
        ),
        pytest.param(
            _changed("Signed releases", "uuid", UUID + "1", ("Build and Deployment", "Deployment")),
            "model.yaml: Build and Deployment.Deployment.Signed releases.uuid: "
            f"'{UUID}1' kommt doppelt vor (auch bei Build and Deployment.Build.Defined build "
            "process)",
            id="duplicate-uuid",
        ),
        pytest.param(
            _changed("Defined build process", "dependsOn", ["Signed releases"]),
            "model.yaml: Build and Deployment.Build.Defined build process.dependsOn: "
            "Voraussetzungen verweisen im Kreis aufeinander: Defined build process → "
            "Signed releases → Pinned artifacts → Defined build process",
            id="cycle",
        ),
        pytest.param(
            _changed("Pinned artifacts", "dependsOn", [UUID + "2"]),
            f"model.yaml: {PINNED}.dependsOn[0]: die Aktivität setzt sich selbst voraus",
            id="depends-on-itself",
        ),
        pytest.param(
            _changed("Pinned artifacts", "dependsOn", "Defined build process"),
            f"model.yaml: {PINNED}.dependsOn: Liste erwartet",
            id="depends-on-not-a-list",
        ),
        pytest.param(
            _version("5.0.0"),
            "model.yaml: meta.version: DSOMM-Version '5.0.0' ist unbekannt (gelesen werden "
            "1.x bis 4.x)",
            id="unknown-version",
        ),
        pytest.param(
            _version("neu"),
            "model.yaml: meta.version: DSOMM-Version 'neu' ist unbekannt (gelesen werden "
            "1.x bis 4.x)",
            id="version-not-a-number",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, sqlite_url: str, text: str, message: str
) -> None:
    with pytest.raises(CatalogError) as caught:
        parse(text, "model.yaml")
    assert str(caught.value) == message
    assert spatz("--db", sqlite_url, "init")[0] == 0
    source = tmp_path / "model.yaml"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "katalog.yaml"
    code, stdout, stderr = spatz(
        "--db",
        sqlite_url,
        "catalog",
        "import",
        "--from",
        "dsomm",
        str(source),
        "--out",
        str(out),
        "--load",
    )
    assert (code, stdout) == (2, "")
    assert stderr == message.replace("model.yaml", str(source), 1) + "\n"
    assert not out.exists()
    assert spatz("--db", sqlite_url, "catalog", "list")[1].count("dsomm") == 0


def test_a_cycle_is_named_from_its_first_activity_in_the_file() -> None:
    # Defined build process → Signed releases → Pinned artifacts → Signed releases: the
    # search starts outside the circle and meets Signed releases first; the circle's first
    # activity in the file is Pinned artifacts.
    meta, data = documents()
    activity(data, *BUILD, "Defined build process")["dependsOn"] = ["Signed releases"]
    activity(data, *BUILD, "Pinned artifacts")["dependsOn"] = [UUID + "3"]
    with pytest.raises(CatalogError) as caught:
        convert(meta, data)
    assert str(caught.value) == (
        "model.yaml: Build and Deployment.Build.Pinned artifacts.dependsOn: Voraussetzungen "
        "verweisen im Kreis aufeinander: Pinned artifacts → Signed releases → Pinned artifacts"
    )


def test_an_ambiguous_name_in_depends_on_is_refused() -> None:
    meta, data = documents()
    data["Culture and Organization"]["Education and Guidance"]["Pinned artifacts"] = {
        "uuid": "u-6",
        "level": 1,
    }
    with pytest.raises(CatalogError) as caught:
        convert(meta, data)
    assert str(caught.value) == (
        "model.yaml: Build and Deployment.Deployment.Signed releases.dependsOn[0]: der Name "
        "'Pinned artifacts' ist nicht eindeutig (Build and Deployment.Build.Pinned artifacts, "
        "Culture and Organization.Education and Guidance.Pinned artifacts)"
    )


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(DataImportError, match="höchstens 1 MB"):
        read(big, FileLimits(max_file_mb=1))
