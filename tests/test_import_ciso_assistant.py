"""``spatz catalog import --from ciso-assistant``: a CISO Assistant framework library as a
catalog, field by field; what is not taken over is named; bad input is refused."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from spatz import open as spatz_open
from spatz.catalog import load_catalog, parse_catalog
from spatz.cli import app
from spatz.errors import CatalogError, DataImportError
from spatz.interop.ciso_assistant import parse, read
from spatz.interop.common import ImportedCatalog
from spatz.io.limits import FileLimits

FIXTURE = Path(__file__).parent / "data" / "ciso" / "framework.yaml"
NODE = "urn:spatz:risk:req_node:mini-grundschutz:"
runner = CliRunner()


def spatz(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"SPATZ_USER": "tester"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def library() -> dict[str, Any]:
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = data["objects"]["framework"]["requirement_nodes"]
    assert isinstance(found, list)
    return found


def convert(data: dict[str, Any]) -> ImportedCatalog:
    return parse(yaml.safe_dump(data, allow_unicode=True), "lib.yaml")


def test_levels_come_from_the_implementation_groups_in_their_order() -> None:
    catalog = read(FIXTURE).catalog
    assert (catalog.id, catalog.version, catalog.name) == (
        "mini-grundschutz",
        "3",
        "Mini-Grundschutz",
    )
    assert catalog.description == "Zwei Bausteine in zwei Schichten."
    assert [(lv.level, lv.name, lv.description) for lv in catalog.levels] == [
        (1, "Basis", "Basis-Anforderungen"),
        (2, "Standard", "Standard-Anforderungen"),
    ]
    assert catalog.rule == "gated"


def test_top_nodes_become_groups_and_their_children_dimensions() -> None:
    catalog = read(FIXTURE).catalog
    assert [(g.id, g.name, g.parent) for g in catalog.groups] == [
        ("ISMS", "Sicherheitsmanagement", None),
        ("ORP", "Organisation und Personal", None),
    ]
    assert [(d.id, d.name, d.description, d.group) for d in catalog.dimensions] == [
        ("ISMS.1", "Sicherheitsmanagement", "Baustein ISMS.1", "ISMS"),
        ("ORP.1", "Organisation", "", "ORP"),
    ]


def test_assessable_nodes_become_measures_field_by_field() -> None:
    catalog = read(FIXTURE).catalog
    a1, a9, orp = (m for _, m in catalog.measures())
    assert (a1.id, a1.level, a1.title, a1.description, a1.source) == (
        "ISMS.1.A1",
        1,  # in Basis and Standard: on the lowest
        "Übernahme der Gesamtverantwortung",
        "Die Institutionsleitung übernimmt die Gesamtverantwortung.\n\nAuch bei Auslagerung.",
        NODE + "isms.1.a1",
    )
    assert (a9.id, a9.level, a9.title, a9.description) == (
        "ISMS.1.A9",
        2,
        "Integration der Sicherheit in Prozesse",
        "",
    )
    # no ref_id: the urn's end; no name: the description; no group: level 1
    assert (orp.id, orp.level, orp.title, orp.description) == (
        "orp.1.a1",
        1,
        "Zuständigkeiten sind festgelegt.",
        "Zuständigkeiten sind festgelegt.",
    )
    assert (a1.weight, a1.mandatory, a1.valid_for_months, a1.depends_on) == (1.0, False, None, ())


def test_the_file_names_source_version_provider_and_licence_and_loads() -> None:
    text = read(FIXTURE).to_yaml()
    assert text.startswith(
        "# Importiert aus einer Bibliothek von CISO Assistant (--from ciso-assistant)\n"
        "# Quelle: urn:spatz:risk:library:mini-grundschutz\n"
        "# Framework: urn:spatz:risk:framework:mini-grundschutz\n"
        "# Version: 3\n"
        "# Anbieter: SPATZ-Tests\n"
        "# Urheberrecht und Lizenz:\n"
        "# Beispieltext der SPATZ-Tests.\n"
        "# Lizenz: CC0 1.0\n"
        "id: mini-grundschutz\n"
    )
    assert parse_catalog(text) == read(FIXTURE).catalog


def test_a_licence_text_with_odd_characters_stays_a_comment() -> None:
    data = library()
    data["copyright"] = "Zeile\x85zwei\u2028drei\tvier\x01fünf\ufeff\r\nid: nicht-ich"
    imported = convert(data)
    assert imported.header.endswith(
        "# Urheberrecht und Lizenz:\n# Zeile\n# zwei\n# drei vier fünf\n# id: nicht-ich\n"
    )
    assert parse_catalog(imported.to_yaml()).id == "mini-grundschutz"


def test_the_summary_names_what_is_taken_and_what_is_not() -> None:
    assert read(FIXTURE).summary() == (
        "übernommen: 2 Stufen (Umsetzungsgruppen), 2 Gruppen, 2 Dimensionen, "
        "3 Maßnahmen (bewertbare Anforderungen)",
        "nicht übernommen: 1 Knoten ohne bewertbare Anforderung (Hinweise zum Baustein), "
        "weil eine Dimension mindestens eine Maßnahme braucht",
        "nicht übernommen: 1 Frage (questions), weil der Katalog Antworten mit Anrechnung "
        "statt Fragen mit Auswahl kennt",
        "nicht übernommen: typische Nachweise (typical_evidence) bei 1 Anforderung, weil der "
        "Katalog dafür kein Feld hat",
        "Hinweis: 1 Anforderung ohne Umsetzungsgruppe auf Stufe 1 (Basis) gelegt",
    )


def test_mapping_sets_and_other_objects_are_named_as_not_taken() -> None:
    data = library()
    data["objects"]["reference_controls"] = [{"urn": "urn:x:rc:1", "ref_id": "RC1"}]
    nodes(data)[2]["reference_controls"] = ["urn:x:rc:1"]
    lines = convert(data).not_taken
    assert (
        "nicht übernommen: objects.reference_controls, weil der Katalog nur das Framework aufnimmt"
        in lines
    )
    assert (
        "nicht übernommen: Verweise auf Maßnahmenvorlagen (reference_controls) bei "
        "1 Anforderung, weil der Katalog nur Maßnahmen kennt"
    ) in lines


def test_an_undefined_implementation_group_is_named_and_gives_no_level() -> None:
    data = library()
    nodes(data)[3]["implementation_groups"] = ["X", "S"]
    nodes(data)[6]["implementation_groups"] = ["Y"]
    imported = convert(data)
    assert [(m.id, m.level) for _, m in imported.catalog.measures()] == [
        ("ISMS.1.A1", 1),
        ("ISMS.1.A9", 2),
        ("orp.1.a1", 1),
    ]
    assert (
        "nicht übernommen: 2 Verweise auf Umsetzungsgruppen, die "
        "implementation_groups_definition nicht nennt ('X', 'Y'), weil sich daraus keine "
        "Stufe ergibt"
    ) in imported.not_taken
    assert imported.notes == (
        "Hinweis: 1 Anforderung ohne Umsetzungsgruppe auf Stufe 1 (Basis) gelegt",
    )


def test_a_duplicated_ref_id_gives_both_nodes_their_urn_ids() -> None:
    data = library()
    nodes(data)[3]["ref_id"] = "ISMS.1.A1"
    ids = [m.id for _, m in convert(data).catalog.measures()]
    assert ids == ["isms.1.a1", "isms.1.a9", "orp.1.a1"]


def test_one_implementation_group_gets_a_level_0() -> None:
    data = library()
    data["objects"]["framework"]["implementation_groups_definition"] = [
        {"ref_id": "B", "name": "Basis"}
    ]
    for node in nodes(data):
        node.pop("implementation_groups", None)
    catalog = convert(data).catalog
    assert [(lv.level, lv.name) for lv in catalog.levels] == [(0, "Ausgangslage"), (1, "Basis")]
    assert {m.level for _, m in catalog.measures()} == {1}


def test_without_implementation_groups_every_measure_is_on_level_1() -> None:
    data = library()
    del data["objects"]["framework"]["implementation_groups_definition"]
    data["objects"]["framework"]["min_score"] = 0
    for node in nodes(data):
        node.pop("implementation_groups", None)
    imported = convert(data)
    assert [(lv.level, lv.name) for lv in imported.catalog.levels] == [
        (0, "Ausgangslage"),
        (1, "Anforderungen erfüllt"),
    ]
    assert {m.level for _, m in imported.catalog.measures()} == {1}
    assert imported.notes == (
        "Hinweis: 3 Anforderungen ohne Umsetzungsgruppe auf Stufe 1 (Anforderungen erfüllt) gelegt",
    )
    assert (
        "nicht übernommen: objects.framework.min_score, weil SPATZ Stufen statt Punktskalen "
        "bewertet"
    ) in imported.not_taken


def test_shallow_and_deep_trees() -> None:
    data = library()
    items = nodes(data)
    # an assessable node at the top: held by no section
    items.append(
        {"urn": NODE + "top", "assessable": True, "depth": 1, "ref_id": "TOP", "name": "Oben"}
    )
    # ISMS holds a measure itself and the section ISMS.1: a group and a dimension
    items.append(
        {
            "urn": NODE + "isms.a0",
            "assessable": True,
            "depth": 2,
            "parent_urn": NODE + "isms",
            "ref_id": "ISMS.A0",
            "name": "Leitlinie",
            "implementation_groups": ["S"],
        }
    )
    catalog = convert(data).catalog
    assert [(d.id, d.name, d.group) for d in catalog.dimensions] == [
        ("ISMS-anforderungen", "Sicherheitsmanagement", "ISMS"),
        ("ISMS.1", "Sicherheitsmanagement", "ISMS"),
        ("ORP.1", "Organisation", "ORP"),
        ("ohne-abschnitt", "Anforderungen ohne Abschnitt", None),
    ]
    assert [m.id for m in catalog.dimension("ISMS-anforderungen").measures] == ["ISMS.A0"]
    assert [m.id for m in catalog.dimension("ohne-abschnitt").measures] == ["TOP"]


def test_a_requirement_below_a_requirement_is_in_the_section_above_both() -> None:
    data = library()
    below = {"assessable": True, "depth": 5, "implementation_groups": ["S"]}
    nodes(data)[3:3] = [
        {**below, "urn": NODE + "a1.2", "parent_urn": NODE + "a1.1", "name": "Enkel"},
        {**below, "urn": NODE + "a1.1", "parent_urn": NODE + "isms.1.a1", "name": "Kind"},
        {**below, "urn": NODE + "a1.3", "parent_urn": NODE + "a1.1", "name": "Enkelin"},
    ]
    catalog = convert(data).catalog
    assert [(m.id, m.title, m.level) for m in catalog.dimension("ISMS.1").measures] == [
        ("ISMS.1.A1", "Übernahme der Gesamtverantwortung", 1),
        ("a1.2", "Enkel", 2),
        ("a1.1", "Kind", 2),
        ("a1.3", "Enkelin", 2),
        ("ISMS.1.A9", "Integration der Sicherheit in Prozesse", 2),
    ]


def test_a_long_chain_of_requirements_is_read_in_linear_time() -> None:
    data = library()
    parent = NODE + "isms.1.a1"
    for i in range(20_000):
        nodes(data).append({"urn": f"{NODE}k{i}", "assessable": True, "parent_urn": parent})
        parent = f"{NODE}k{i}"
    text = yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))
    started = time.perf_counter()
    catalog = parse(text, "lib.yaml").catalog
    assert time.perf_counter() - started < 10  # walking up the chain per node: minutes
    assert len(catalog.dimension("ISMS.1").measures) == 20_002


def test_round_trip_import_load_export(tmp_path: Path, sqlite_url: str) -> None:
    assert spatz("--db", sqlite_url, "init")[0] == 0
    out = tmp_path / "katalog.yaml"
    code, stdout, stderr = spatz(
        "--db",
        sqlite_url,
        "catalog",
        "import",
        "--from",
        "ciso-assistant",
        str(FIXTURE),
        "--out",
        str(out),
        "--load",
    )
    assert (code, stdout) == (0, "")
    assert stderr.splitlines()[0].startswith("übernommen: 2 Stufen")
    assert stderr.splitlines()[-1] == "Katalog mini-grundschutz@3: geladen"
    imported = load_catalog(out)
    code, exported, _ = spatz("--db", sqlite_url, "catalog", "export", "mini-grundschutz@3")
    assert code == 0
    assert parse_catalog(exported) == imported == read(FIXTURE).catalog
    # Loaded, it is scored like any catalog: Basis of ISMS.1 done, the rest open.
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org,name,kind\nA,Stadt A,Stadt\n", encoding="utf-8")
    progress = tmp_path / "progress.csv"
    progress.write_text(
        "org,measure_id,status,date\nA,ISMS.1.A1,umgesetzt,2024-05-01\n", encoding="utf-8"
    )
    for kind, file in (("organisations", orgs), ("progress", progress)):
        assert spatz("--db", sqlite_url, "import", kind, str(file))[0] == 0
    levels = spatz_open(sqlite_url).score("2024-12-31", catalog="mini-grundschutz")
    level = dict(zip(levels["dimension_id"], levels["level"], strict=True))
    assert level == {"ISMS.1": 1, "ORP.1": 0, "ISMS": 1, "ORP": 0, "overall": 0}


def test_without_out_the_catalog_goes_to_stdout() -> None:
    code, stdout, stderr = spatz("catalog", "import", "--from", "ciso-assistant", str(FIXTURE))
    assert code == 0
    assert stdout == read(FIXTURE).to_yaml()
    assert "nicht übernommen: 1 Frage (questions)" in stderr


def test_an_unknown_format_is_refused_with_the_allowed_ones() -> None:
    code, stdout, stderr = spatz("catalog", "import", "--from", "xyz", str(FIXTURE))
    assert (code, stdout, stderr) == (
        2,
        "",
        "--from xyz: unbekanntes Format; möglich: ciso-assistant, dsomm, samm\n",
    )


def _bad(data: dict[str, Any], key: str, value: Any, index: int = 3) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    changed["objects"]["framework"]["requirement_nodes"][index][key] = value
    return changed


def _no_assessable() -> dict[str, Any]:
    data = library()
    for node in nodes(data):
        node["assessable"] = False
    return data


def _mapping_library() -> dict[str, Any]:
    data = library()
    data["objects"] = {"requirement_mapping_set": {"urn": "urn:x:mapping"}}
    return data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "a: [1\n",
            "lib.yaml:2: kein gültiges YAML (did not find expected ',' or ']')",
            id="not-yaml",
        ),
        pytest.param(
            "- 1\n",
            "lib.yaml: Bibliothek: Abschnitt mit urn, objects … erwartet",
            id="a-list",
        ),
        pytest.param(
            yaml.safe_dump({"urn": "urn:x", "objects": {"risk_matrix": []}}),
            "lib.yaml: objects.framework: fehlt; die Datei ist keine Framework-Bibliothek von "
            "CISO Assistant",
            id="no-framework",
        ),
        pytest.param(
            yaml.safe_dump(_mapping_library()),
            "lib.yaml: objects.framework: fehlt; eine Mapping-Bibliothek wird (noch) nicht "
            "übernommen",
            id="mapping-library",
        ),
        pytest.param(
            yaml.safe_dump(_bad(library(), "parent_urn", "urn:x:unbekannt")),
            "lib.yaml: objects.framework.requirement_nodes[3].parent_urn: übergeordneter Knoten "
            "'urn:x:unbekannt' kommt in requirement_nodes nicht vor",
            id="unknown-parent",
        ),
        pytest.param(
            yaml.safe_dump(_bad(library(), "assessable", "ja")),
            "lib.yaml: objects.framework.requirement_nodes[3].assessable: true oder false erwartet",
            id="assessable-not-bool",
        ),
        pytest.param(
            yaml.safe_dump(_bad(library(), "urn", NODE + "isms")),
            f"lib.yaml: objects.framework.requirement_nodes[3].urn: '{NODE}isms' kommt doppelt vor",
            id="duplicate-urn",
        ),
        pytest.param(
            yaml.safe_dump(_bad(library(), "parent_urn", NODE + "isms.1.a9")),
            "lib.yaml: objects.framework.requirement_nodes[3].parent_urn: Knoten verweisen im "
            "Kreis aufeinander",
            id="cycle",
        ),
        pytest.param(
            yaml.safe_dump(_no_assessable()),
            "lib.yaml: objects.framework.requirement_nodes: keine bewertbare Anforderung "
            "(assessable: true)",
            id="no-assessable-node",
        ),
        pytest.param(
            yaml.safe_dump(_bad(library(), "ref_id", "overall", index=1)),
            "lib.yaml: objects.framework.requirement_nodes: ergibt keinen gültigen Katalog "
            "(Katalog: die Dimensions-ID 'overall' ist reserviert)",
            id="reserved-id",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, sqlite_url: str, text: str, message: str
) -> None:
    with pytest.raises(CatalogError) as caught:
        parse(text, "lib.yaml")
    assert str(caught.value) == message
    assert spatz("--db", sqlite_url, "init")[0] == 0
    source = tmp_path / "lib.yaml"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "katalog.yaml"
    code, stdout, stderr = spatz(
        "--db",
        sqlite_url,
        "catalog",
        "import",
        "--from",
        "ciso-assistant",
        str(source),
        "--out",
        str(out),
        "--load",
    )
    assert (code, stdout) == (2, "")
    assert stderr == message.replace("lib.yaml", str(source), 1) + "\n"
    assert not out.exists()
    assert spatz("--db", sqlite_url, "catalog", "list")[1].count("mini-grundschutz") == 0


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(DataImportError, match="höchstens 1 MB"):
        read(big, FileLimits(max_file_mb=1))
