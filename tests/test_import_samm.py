"""``spatz catalog import --from samm``: the OWASP SAMM core model folder as a catalog, field
by field; scored, a stream has SAMM's stream score and a practice the mean of its streams;
what is not taken over is named; bad input is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from spatz import open as spatz_open
from spatz.catalog import load_catalog, parse_catalog
from spatz.cli import app
from spatz.errors import CatalogError, DataImportError
from spatz.interop import samm
from spatz.interop.common import ImportedCatalog
from spatz.interop.samm import parse, read
from spatz.io.limits import FileLimits

ROOT = Path(__file__).parent / "data" / "samm"
MODEL = ROOT / "model"
LICENCE = ("license.txt", "Beispieldaten der SPATZ-Tests, CC0 1.0")
runner = CliRunner()


def spatz(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"SPATZ_USER": "tester"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def files() -> dict[str, str]:
    """The fixture's files by their path inside the model folder."""
    return {
        path.relative_to(MODEL).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(MODEL.glob("*/*.yml"))
    }


def uid(model: dict[str, str], file: str) -> str:
    """The id of the element in ``file``."""
    found = re.search(r"^id: (\S+)$", model[file], re.MULTILINE)
    assert found is not None
    return found.group(1)


def edit(model: dict[str, str], file: str, old: str, new: str) -> dict[str, str]:
    """``model`` with ``old`` replaced by ``new`` in ``file`` (which must contain it)."""
    assert old in model[file], (file, old)
    return {**model, file: model[file].replace(old, new)}


def convert(model: dict[str, str]) -> ImportedCatalog:
    return parse(model, "model", LICENCE)


def test_levels_are_samm_maturity_levels_above_a_level_0_and_the_rule_is_additive() -> None:
    catalog = read(ROOT).catalog
    assert (catalog.id, catalog.name, catalog.rule) == ("owasp-samm", "OWASP SAMM", "additive")
    assert re.fullmatch(r"SAMM20-[0-9a-f]{8}", catalog.version)
    assert catalog.description == "Software Assurance Maturity Model (OWASP SAMM), Kernmodell"
    assert [(lv.level, lv.name, lv.description) for lv in catalog.levels] == [
        (0, "Ausgangslage", "noch keine Tätigkeit des Stroms umgesetzt"),
        (1, "Reifegrad 1", "Die erste Stufe setzt eine Tätigkeit ad hoc um."),
        (2, "Reifegrad 2", "Die zweite Stufe macht sie wiederholbar."),
        (3, "Reifegrad 3", "Die dritte Stufe verbessert sie fortlaufend."),
    ]


def test_functions_and_practices_become_nested_groups_in_samm_order() -> None:
    catalog = read(ROOT).catalog
    # Governance has order 1, Design order 2 (file names sort the other way).
    assert [(g.id, g.name, g.parent, g.weight) for g in catalog.groups] == [
        ("governance", "Governance", None, 1.0),
        ("design", "Design", None, 1.0),
        ("G-SM", "Strategie und Kennzahlen", "governance", 1.0),
        ("G-PC", "Richtlinien und Vorgaben", "governance", 1.0),
        ("D-TA", "Bedrohungsanalyse", "design", 1.0),
    ]
    assert catalog.group("governance").description == (
        "Wie eine Organisation ihre Softwareentwicklung steuert."
    )
    assert catalog.group("G-PC").description == (
        "Kurzbeschreibung Richtlinien und Vorgaben.\n\nLange Beschreibung Richtlinien und Vorgaben."
    )


def test_streams_become_dimensions_of_their_practice() -> None:
    catalog = read(ROOT).catalog
    assert [(d.id, d.name, d.description, d.group) for d in catalog.dimensions] == [
        ("G-SM-A", "Strategie festlegen", "Strom Strategie festlegen.", "G-SM"),
        ("G-SM-B", "Messen und verbessern", "Strom Messen und verbessern.", "G-SM"),
        ("G-PC-A", "Richtlinien", "Strom Richtlinien.", "G-PC"),
        ("G-PC-B", "Vorgaben einhalten", "Strom Vorgaben einhalten.", "G-PC"),
        ("D-TA-A", "Risikoprofil", "Strom Risikoprofil.", "D-TA"),
        ("D-TA-B", "Bedrohungsmodell", "Strom Bedrohungsmodell.", "D-TA"),
    ]


def test_activities_become_measures_on_their_maturity_level_field_by_field() -> None:
    catalog = read(ROOT).catalog
    activity = uid(files(), "activities/G-PC-2-A.yml")
    assert [(m.id, m.level) for m in catalog.dimension("G-PC-A").measures] == [
        ("G-PC-1-A", 1),
        ("G-PC-2-A", 2),
        ("G-PC-3-A", 3),
    ]
    m = catalog.measure("G-PC-2-A")
    assert (m.title, m.description, m.source, m.answers, m.depends_on) == (
        "Tätigkeit G-PC-2-A",
        "Kurz G-PC-2-A.\n\nLang G-PC-2-A.\n\nNutzen: Nutzen von G-PC-2-A",
        f"OWASP SAMM, Tätigkeit {activity}",
        "A",
        ("G-SM-1-A",),  # relatedActivities: the prerequisite's id
    )
    assert (m.weight, m.mandatory, m.valid_for_months, m.references) == (1.0, False, None, ())
    assert sum(1 for _ in catalog.measures()) == 18


def test_the_answer_set_of_the_question_is_the_answer_scale_with_its_values() -> None:
    catalog = read(ROOT).catalog
    assert [s.id for s in catalog.answer_scales] == ["A"]  # B: no question uses it
    assert [(a.key, a.label, a.credit) for a in catalog.answer_scales[0].answers] == [
        ("samm-0", "No", 0.0),  # YAML reads an unquoted No as false
        ("samm-25", "Ja, für einige Anwendungen", 0.25),
        ("samm-50", "Ja, für die Hälfte", 0.5),
        ("samm-100", "Ja, für (fast) alle", 1.0),
    ]
    assert {m.answers for _, m in catalog.measures()} == {"A"}


def test_answers_follow_their_order_and_equal_values_get_distinct_keys() -> None:
    model = files()
    model = edit(model, "answer_sets/A.yml", "value: 0.5\n  weight: 1\n  order: 2", "value: 0.25")
    model = edit(model, "answer_sets/A.yml", "order: 0", "order: 9")
    answers = convert(model).catalog.answer_scales[0].answers
    assert [(a.key, a.credit) for a in answers] == [
        ("samm-25", 0.25),
        ("samm-25-2", 0.25),  # no order: its place in the list
        ("samm-100", 1.0),
        ("samm-0", 0.0),
    ]


def test_the_repository_folder_and_the_model_folder_give_the_same_catalog() -> None:
    assert read(MODEL).catalog == read(ROOT).catalog == convert(files()).catalog


def test_the_version_changes_with_the_content_and_only_with_it() -> None:
    model = files()
    changed = edit(model, "activities/D-TA-1-B.yml", "title: Tätigkeit", "title: Neue Tätigkeit")
    assert convert(model).catalog.version == read(ROOT).catalog.version
    assert convert(changed).catalog.version != read(ROOT).catalog.version


def test_the_file_names_source_model_version_and_licence_and_loads() -> None:
    text = read(ROOT).to_yaml()
    assert text.startswith(
        "# Importiert aus dem Kernmodell von OWASP SAMM (--from samm)\n"
        "# Quelle: OWASP SAMM, Software Assurance Maturity Model (owaspsamm.org), Kernmodell "
        "(github.com/owaspsamm/core), Ordner model\n"
        "# Modellversion: SAMM20\n"
        "# Lizenz (license.txt): Beispieldaten der SPATZ-Tests, CC0 1.0\n"
        "id: owasp-samm\n"
    )
    assert parse_catalog(text) == read(ROOT).catalog


def test_without_a_licence_file_the_header_names_the_project() -> None:
    imported = parse(files(), "model")
    assert imported.header.endswith(
        "# Lizenz: in den Dateien nicht angegeben; es gilt die Lizenz des Projekts OWASP SAMM\n"
    )


def test_the_summary_names_what_is_taken_and_what_is_not() -> None:
    assert read(ROOT).summary() == (
        "übernommen: 3 Stufen (Reifegrade) und Stufe 0, 2 Gruppen (Geschäftsfunktionen), "
        "3 Gruppen (Praktiken), 6 Dimensionen (Ströme), 18 Maßnahmen (Tätigkeiten), "
        "1 Antwortskala (Antwortsätze), 1 Voraussetzung (relatedActivities)",
        "nicht übernommen: 18 Fragen: Fragetext (text) und Qualitätskriterien (quality), weil "
        "der Katalog Maßnahmen mit Antworten statt Fragen kennt; die Antwortsätze der Fragen "
        "sind als Antwortskalen übernommen",
        "nicht übernommen: 1 Antwortsatz ohne Frage (B), weil eine Antwortskala nur für die "
        "Frage einer Tätigkeit entsteht",
        "nicht übernommen: Gewichte der Antworten (weight), weil die Anrechnung einer Antwort "
        "ihr Wert (value) ist",
        "nicht übernommen: 9 Ziele der Praxisstufen (practice_levels: objective), weil ein "
        "Katalog seine Stufen für alle Dimensionen gleich beschreibt",
        "nicht übernommen: Ergebnisse, Kennzahlen, Kosten, Rollen und Notizen (results, "
        "metrics, costs, personnel, notes) bei 1 Tätigkeit, weil der Katalog dafür kein Feld hat",
        "nicht übernommen: Farbe und Logo der Geschäftsfunktionen (color, logo), weil SPATZ "
        "eigene Farben zeigt",
        "nicht übernommen: Bearbeiter und Fortschritt der Praktiken (assignee, progress), weil "
        "sie die Pflege des Modells betreffen",
    )


def test_a_stream_without_activities_and_an_activity_without_question_are_named() -> None:
    model = {
        name: text
        for name, text in files().items()
        if not name.startswith(("activities/D-TA-", "questions/D-TA-")) or name.endswith("-A.yml")
    }
    del model["questions/D-TA-3-A.yml"]
    model["questions/extra.yml"] = (
        model["questions/D-TA-2-A.yml"].replace("id: ", "id: 0ther").replace("order: 1", "order: 2")
    )
    imported = convert(model)
    assert [d.id for d in imported.catalog.dimensions][-1] == "D-TA-A"
    assert imported.catalog.measure("D-TA-3-A").answers is None
    assert (
        "nicht übernommen: 1 Strom ohne Tätigkeit (Bedrohungsmodell), weil eine Dimension "
        "mindestens eine Maßnahme braucht"
    ) in imported.not_taken
    assert (
        "nicht übernommen: 1 weitere Frage zu Tätigkeiten mit einer Frage, weil eine Maßnahme "
        "eine Antwortskala hat (übernommen: die erste nach order)"
    ) in imported.not_taken
    assert imported.notes == (
        "Hinweis: 1 Tätigkeit ohne Frage: nur die festen Status (geplant, in Arbeit, "
        "umgesetzt, nicht anwendbar)",
    )


def test_a_stream_without_an_activity_on_each_level_is_named_as_scored_otherwise() -> None:
    model = {k: v for k, v in files().items() if not k.endswith("G-SM-3-B.yml")}
    assert convert(model).notes == (
        "Hinweis: 1 Strom ohne je eine Tätigkeit auf jedem Reifegrad (G-SM-B): ihr Punktwert "
        "ist nicht die Summe der Antworten wie in SAMM",
    )


def test_without_short_names_the_ids_are_samm_ids() -> None:
    model = edit(files(), "security_practices/G-PC.yml", "shortName: PC\n", "")
    catalog = convert(model).catalog
    practice = uid(model, "security_practices/G-PC.yml")
    stream = uid(model, "streams/G-PC-A.yml")
    activity = uid(model, "activities/G-PC-1-A.yml")
    assert catalog.group(practice).name == "Richtlinien und Vorgaben"
    assert catalog.dimension(stream).group == practice
    assert catalog.measure(activity).level == 1
    assert catalog.measure("G-SM-1-A").level == 1


def test_scores_are_samm_scores(tmp_path: Path, sqlite_url: str) -> None:
    assert spatz("--db", sqlite_url, "init")[0] == 0
    imported = spatz("--db", sqlite_url, "catalog", "import", "--from", "samm", str(ROOT), "--load")
    assert imported[0] == 0
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org,name,kind\nA,Stadt A,Stadt\n", encoding="utf-8")
    answers = {
        "G-SM-1-A": "samm-100",
        "G-SM-2-A": "samm-50",
        "G-SM-3-A": "samm-25",
        "G-SM-1-B": "umgesetzt",
        "G-SM-2-B": "samm-25",
        "G-PC-1-A": "samm-50",
        "D-TA-1-A": "samm-100",
        "D-TA-2-A": "samm-100",
        "D-TA-3-A": "samm-100",
        "D-TA-1-B": "samm-0",
    }
    progress = tmp_path / "progress.csv"
    progress.write_text(
        "org,measure_id,status,date\n"
        + "".join(f"A,{m},{s},2024-05-01\n" for m, s in answers.items()),
        encoding="utf-8",
    )
    for kind, file in (("organisations", orgs), ("progress", progress)):
        assert spatz("--db", sqlite_url, "import", kind, str(file))[0] == 0
    scored = spatz_open(sqlite_url).score("2024-12-31", catalog="owasp-samm")
    score = {
        d: round(float(s), 9) for d, s in zip(scored["dimension_id"], scored["score"], strict=True)
    }
    level = dict(zip(scored["dimension_id"], scored["level"], strict=True))
    # SAMM by hand: a stream's score is the sum of its answers' values, a practice's the
    # mean of its two streams, a function's the mean of its practices.
    assert score == {
        "G-SM-A": 1.75,  # 1 + 0.5 + 0.25
        "G-SM-B": 1.25,  # 1 + 0.25 + 0
        "G-PC-A": 0.5,
        "G-PC-B": 0.0,
        "D-TA-A": 3.0,
        "D-TA-B": 0.0,  # answered "No"
        "governance": 0.875,  # (1.5 + 0.25) / 2
        "design": 1.5,
        "G-SM": 1.5,
        "G-PC": 0.25,
        "D-TA": 1.5,
        "overall": 1.1875,
    }
    assert level == {
        "G-SM-A": 1,
        "G-SM-B": 1,
        "G-PC-A": 0,
        "G-PC-B": 0,
        "D-TA-A": 3,
        "D-TA-B": 0,
        "governance": 0,
        "design": 0,
        "G-SM": 1,
        "G-PC": 0,
        "D-TA": 0,
        "overall": 0,
    }


def test_round_trip_import_load_export(tmp_path: Path, sqlite_url: str) -> None:
    assert spatz("--db", sqlite_url, "init")[0] == 0
    out = tmp_path / "katalog.yaml"
    code, stdout, stderr = spatz(
        "--db", sqlite_url, "catalog", "import", "--from", "samm", str(MODEL), "--out", str(out),
        "--load",
    )  # fmt: skip
    key = read(ROOT).catalog.key
    assert (code, stdout) == (0, "")
    assert stderr.splitlines()[0].startswith("übernommen: 3 Stufen (Reifegrade)")
    assert stderr.splitlines()[-1] == f"Katalog {key}: geladen"
    imported = load_catalog(out)
    code, exported, _ = spatz("--db", sqlite_url, "catalog", "export", key)
    assert code == 0
    assert parse_catalog(exported) == imported == read(ROOT).catalog


def test_without_out_the_catalog_goes_to_stdout() -> None:
    code, stdout, stderr = spatz("catalog", "import", "--from", "samm", str(ROOT))
    assert code == 0
    assert stdout == read(ROOT).to_yaml()
    assert "nicht übernommen: 18 Fragen" in stderr


def _write(folder: Path, model: dict[str, str]) -> None:
    for name, text in model.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


FILES = files()
IDS = {name: uid(FILES, name) for name in FILES}
BAD: list[tuple[str, str, str, str, str]] = [
    (
        "not-yaml",
        "streams/G-SM-A.yml",
        "letter: A",
        "letter: [A",
        "model/streams/G-SM-A.yml:6: kein gültiges YAML (did not find expected ',' or ']')",
    ),
    (
        "a-list",
        "streams/G-SM-A.yml",
        FILES["streams/G-SM-A.yml"],
        "- 1\n",
        "model/streams/G-SM-A.yml: Abschnitt mit Schlüsseln (id, …) erwartet",
    ),
    (
        "no-id",
        "maturity_levels/2.yml",
        f"id: {IDS['maturity_levels/2.yml']}\n",
        "",
        "model/maturity_levels/2.yml: id: Angabe fehlt",
    ),
    (
        "unknown-practice",
        "streams/G-SM-A.yml",
        f"practice: {IDS['security_practices/G-SM.yml']}",
        "practice: feh1t",
        "model/streams/G-SM-A.yml: practice: Praxis 'feh1t' gibt es in security_practices nicht",
    ),
    (
        "unknown-function",
        "security_practices/D-TA.yml",
        "function: ",
        "function: x",
        f"model/security_practices/D-TA.yml: function: Geschäftsfunktion "
        f"'x{IDS['business_functions/Design.yml']}' gibt es in business_functions nicht",
    ),
    (
        "duplicate-id",
        "streams/G-SM-B.yml",
        f"id: {IDS['streams/G-SM-B.yml']}",
        f"id: {IDS['streams/G-SM-A.yml']}",
        f"model/streams/G-SM-B.yml: id: '{IDS['streams/G-SM-A.yml']}' kommt doppelt vor "
        "(auch in streams/G-SM-A.yml)",
    ),
    (
        "unknown-practice-level",
        "activities/G-SM-2-A.yml",
        "level: ",
        "level: x",
        f"model/activities/G-SM-2-A.yml: level: Praxisstufe "
        f"'x{IDS['practice_levels/G-SM-2.yml']}' gibt es in practice_levels nicht",
    ),
    (
        "unknown-maturity-level",
        "practice_levels/G-SM-2.yml",
        "maturityLevel: ",
        "maturityLevel: x",
        f"model/practice_levels/G-SM-2.yml: maturityLevel: Reifegrad "
        f"'x{IDS['maturity_levels/2.yml']}' gibt es in maturity_levels nicht",
    ),
    (
        "practice-level-of-another-practice",
        "activities/G-SM-2-A.yml",
        f"level: {IDS['practice_levels/G-SM-2.yml']}",
        f"level: {IDS['practice_levels/G-PC-2.yml']}",
        f"model/activities/G-SM-2-A.yml: level: die Praxisstufe "
        f"'{IDS['practice_levels/G-PC-2.yml']}' gehört zur Praxis "
        f"'{IDS['security_practices/G-PC.yml']}', der Strom '{IDS['streams/G-SM-A.yml']}' zur "
        f"Praxis '{IDS['security_practices/G-SM.yml']}'",
    ),
    (
        "unknown-model-version",
        "business_functions/Design.yml",
        "model: SAMM20",
        "model: SAMM30",
        "model/business_functions/Design.yml: model: unbekannte Modellversion 'SAMM30'; "
        "bekannt: SAMM20",
    ),
    (
        "unknown-answer-set",
        "questions/G-SM-1-A.yml",
        "answerSet: ",
        "answerSet: x",
        f"model/questions/G-SM-1-A.yml: answerSet: Antwortsatz "
        f"'x{IDS['answer_sets/A.yml']}' gibt es in answer_sets nicht",
    ),
    (
        "unknown-related-activity",
        "activities/G-PC-2-A.yml",
        "relatedActivities:\n- ",
        "relatedActivities:\n- x",
        f"model/activities/G-PC-2-A.yml: relatedActivities[0]: Tätigkeit "
        f"'x{IDS['activities/G-SM-1-A.yml']}' gibt es in activities nicht",
    ),
    (
        "prerequisites-in-a-circle",
        "activities/G-SM-1-A.yml",
        "relatedActivities:",
        f"relatedActivities:\n- {IDS['activities/G-PC-2-A.yml']}",
        "model/activities: ergibt keinen gültigen Katalog (Katalog: Voraussetzungen verweisen "
        "im Kreis aufeinander: G-SM-1-A → G-PC-2-A → G-SM-1-A)",
    ),
    (
        "level-numbers-with-a-gap",
        "maturity_levels/3.yml",
        "number: 3",
        "number: 4",
        "model/maturity_levels: die Reifegrade müssen lückenlos 1..N nummeriert sein, "
        "nicht 1, 2, 4",
    ),
    (
        "level-number-twice",
        "maturity_levels/3.yml",
        "number: 3",
        "number: 2",
        "model/maturity_levels/3.yml: number: Reifegrad 2 kommt doppelt vor "
        "(auch in maturity_levels/2.yml)",
    ),
    (
        "level-number-not-a-number",
        "maturity_levels/3.yml",
        "number: 3",
        "number: drei",
        "model/maturity_levels/3.yml: number: ganze Zahl ab 1 erwartet",
    ),
    (
        "answer-value-above-1",
        "answer_sets/A.yml",
        "value: 0.5",
        "value: 50",
        "model/answer_sets/A.yml: values[2].value: Zahl von 0 bis 1 erwartet",
    ),
    (
        "order-not-a-number",
        "streams/G-SM-A.yml",
        "order: 1",
        "order: erstens",
        "model/streams/G-SM-A.yml: order: ganze Zahl erwartet",
    ),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "message"), [pytest.param(*b[1:], id=b[0]) for b in BAD]
)
def test_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, sqlite_url: str, file: str, old: str, new: str, message: str
) -> None:
    model = edit(files(), file, old, new)
    with pytest.raises(CatalogError) as caught:
        parse(model, "model")
    assert str(caught.value) == message
    assert spatz("--db", sqlite_url, "init")[0] == 0
    folder = tmp_path / "samm" / "model"
    _write(folder, model)
    out = tmp_path / "katalog.yaml"
    code, stdout, stderr = spatz(
        "--db", sqlite_url, "catalog", "import", "--from", "samm", str(folder.parent),
        "--out", str(out), "--load",
    )  # fmt: skip
    assert (code, stdout) == (2, "")
    assert stderr == message.replace("model", str(folder), 1) + "\n"
    assert not out.exists()
    assert "owasp-samm" not in spatz("--db", sqlite_url, "catalog", "list")[1]


def test_a_model_without_activities_is_refused() -> None:
    model = {k: v for k, v in files().items() if not k.startswith(("activities/", "questions/"))}
    with pytest.raises(CatalogError) as caught:
        parse(model, "model")
    assert str(caught.value) == ("model/activities: keine Tätigkeit; ein Katalog braucht Maßnahmen")


def test_a_folder_without_a_subfolder_is_refused(tmp_path: Path) -> None:
    model = {k: v for k, v in files().items() if not k.startswith("practice_levels/")}
    _write(tmp_path / "model", model)
    out = tmp_path / "katalog.yaml"
    code, stdout, stderr = spatz(
        "catalog", "import", "--from", "samm", str(tmp_path), "--out", str(out)
    )
    assert (code, stdout) == (2, "")
    assert stderr == (
        f"{tmp_path}/model/practice_levels: Ordner fehlt; --from samm liest den Ordner model "
        "des SAMM-Kernmodells mit den Unterordnern business_functions, security_practices, "
        "streams, practice_levels, maturity_levels, activities, questions, answer_sets\n"
    )
    assert not out.exists()


def test_a_file_instead_of_a_folder_is_refused() -> None:
    file = MODEL / "streams" / "G-SM-A.yml"
    code, stdout, stderr = spatz("catalog", "import", "--from", "samm", str(file))
    assert (code, stdout) == (2, "")
    assert stderr == (
        f"{file}: kein Ordner; --from samm liest den Ordner model des SAMM-Kernmodells (oder "
        "den Ordner, der ihn enthält)\n"
    )


def test_hidden_files_and_other_files_in_the_folders_are_not_read(tmp_path: Path) -> None:
    _write(tmp_path / "model", files())
    (tmp_path / "model" / "streams" / "._G-SM-A.yml").write_bytes(b"\x00\x05\x16\x07\xff")
    (tmp_path / "model" / "streams" / "README.md").write_text("# Ströme\n", encoding="utf-8")
    assert read(tmp_path).catalog == read(ROOT).catalog


def test_a_file_above_the_size_limit_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "model", files())
    (tmp_path / "model" / "streams" / "big.yml").write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(DataImportError, match=r"big\.yml.*höchstens 1 MB"):
        read(tmp_path, FileLimits(max_file_mb=1))


def test_files_above_the_size_limit_together_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "model", files())
    for i in range(3):
        (tmp_path / "model" / "streams" / f"pad{i}.yml").write_bytes(b"#" * 400_000)
    with pytest.raises(CatalogError) as caught:
        read(tmp_path, FileLimits(max_file_mb=1))
    assert str(caught.value) == (
        f"{tmp_path}/model: die Dateien des Modells sind zusammen größer als 1 MB "
        "(Grenze: SPATZ_MAX_FILE_MB)"
    )


def test_too_many_files_are_refused_before_any_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "model", files())
    (tmp_path / "model" / "questions" / "kaputt.yml").write_text("a: [1\n", encoding="utf-8")
    monkeypatch.setattr(samm, "MAX_FILES", 20)
    with pytest.raises(CatalogError) as caught:
        read(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/model: mehr als 20 YAML-Dateien; das ist kein SAMM-Kernmodell"
    )


def test_the_fixture_is_in_the_published_structure() -> None:
    # One YAML file per element with the keys the published model has.
    keys = {
        "business_functions": {"model", "id", "name", "description", "color", "logo", "order"},
        "security_practices": {
            "function", "id", "name", "shortName", "shortDescription", "longDescription",
            "order", "assignee", "progress",
        },
        "streams": {"practice", "id", "name", "letter", "description", "order"},
        "practice_levels": {"practice", "maturityLevel", "id", "objective"},
        "maturity_levels": {"id", "number", "description"},
        "activities": {
            "stream", "level", "id", "title", "benefit", "shortDescription", "longDescription",
            "results", "metrics", "costs", "personnel", "notes", "relatedActivities",
        },
        "questions": {"activity", "answerSet", "id", "text", "order", "quality"},
        "answer_sets": {"id", "values"},
    }  # fmt: skip
    for name, text in files().items():
        data = yaml.safe_load(text)
        assert set(data) == keys[name.split("/")[0]] | {"type"}, name
