"""The additions of the second catalog format generation: each rule with its message."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import spatz
from spatz.catalog import Catalog, default_catalog, parse_catalog

DATA = Path(__file__).parent / "data"


def _model2() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / "model2.yaml").read_text(encoding="utf-8"))
    return data


def test_every_addition_is_read() -> None:
    catalog = spatz.load_catalog(DATA / "model2.yaml")
    assert catalog.n_levels == 3
    assert [lv.level for lv in catalog.levels] == [0, 1, 2, 3]
    assert catalog.rule == "gated"
    assert catalog.group("netz").parent == "technik"
    assert catalog.dimension("ops").group is None
    a9 = catalog.measure("ISMS.1.A9")
    assert catalog.credits(a9)["meiste"] == 1.0
    assert catalog.credits(a9)["not_applicable"] is None
    assert "teilweise" not in catalog.credits(a9)
    assert catalog.credits(catalog.measure("ORP.1.A1"))["teilweise"] == 0.5
    assert catalog.measure("ISMS.1.A2").depends_on == ("ISMS.1.A1",)
    refs = catalog.measure("ISMS.1.A15").references
    assert refs[1] == "BSI-Standard 200-2"
    assert not isinstance(refs[0], str) and refs[0].catalog == "bsi-grundschutz"


def test_a_catalog_with_every_addition_reads_back_from_its_own_text() -> None:
    catalog = spatz.load_catalog(DATA / "model2.yaml")
    again = parse_catalog(catalog.to_yaml())
    assert again == catalog
    assert again.content_hash() == catalog.content_hash()
    assert "answer_scales:\n  samm:" in catalog.to_yaml()


@pytest.mark.parametrize("catalog", [spatz.load_catalog(DATA / "mini.yaml"), default_catalog()])
def test_a_catalog_without_additions_keeps_its_text(catalog: Catalog) -> None:
    text = catalog.to_yaml()
    for key in ("rule", "groups", "answers", "answer_scales", "group", "depends_on", "references"):
        assert f"{key}:" not in text


def test_a_catalog_without_additions_keeps_its_hash() -> None:
    catalog = spatz.load_catalog(DATA / "mini.yaml")
    # The hash the catalog had before the additions existed: loading it again changes nothing.
    assert catalog.content_hash() == (
        "8c13dced5e7c23c966125a94e85af73981c7768de6585372109adeefbfb3ce57"
    )


def test_levels_without_measures_are_allowed() -> None:
    data = _model2()
    catalog = parse_catalog(yaml.safe_dump(data))
    isms_levels = {m.level for m in catalog.dimension("ops").measures}
    assert isms_levels == {2}


def _with(change: str) -> dict[str, Any]:
    data = copy.deepcopy(_model2())
    dims = data["dimensions"]
    match change:
        case "measure on level 0":
            dims[0]["measures"][0]["level"] = 0
        case "level 0 not first":
            data["levels"] = [*data["levels"][1:], {"level": 0, "name": "X"}]
        case "only level 0":
            data["levels"] = [{"level": 0, "name": "A"}, {"level": 0, "name": "B"}]
        case "unknown group":
            dims[0]["group"] = "recht"
        case "unknown parent":
            data["groups"][2]["parent"] = "recht"
        case "group cycle":
            data["groups"][1]["parent"] = "netz"
        case "empty group":
            data["groups"].append({"id": "leer", "name": "Leer"})
        case "group id of a dimension":
            data["groups"][0]["id"] = "isms"
            dims[0]["group"] = "isms"
        case "reserved group id":
            data["groups"].append({"id": "overall", "name": "X", "parent": "org"})
        case "builtin answer":
            data["answers"].append({"key": "completed", "label": "fertig", "credit": 1})
        case "duplicate answer":
            data["answer_scales"]["samm"].append({"key": "einige", "label": "x", "credit": 0})
        case "credit above one":
            data["answers"][0]["credit"] = 1.5
        case "unknown scale":
            dims[0]["measures"][0]["answers"] = "dsomm"
        case "unknown prerequisite":
            dims[0]["measures"][0]["depends_on"] = ["ISMS.9"]
        case "self prerequisite":
            dims[0]["measures"][0]["depends_on"] = ["ISMS.1.A1"]
        case "prerequisite cycle":
            dims[0]["measures"][0]["depends_on"] = ["ISMS.1.A9"]
            dims[0]["measures"][2]["depends_on"] = ["ISMS.1.A2"]
        case "unknown rule":
            data["rule"] = "summe"
        case "answer key with space":
            data["answers"][0]["key"] = "zum Teil"
    return data


INVALID = [
    ("measure on level 0", "measures['ISMS.1.A1'].level: muss mindestens 1 sein"),
    ("level 0 not first", "Stufe 0 nur als erste"),
    ("only level 0", "nummeriert"),
    ("unknown group", "Dimension 'isms': Gruppe 'recht' gibt es nicht"),
    ("unknown parent", "Gruppe 'netz': übergeordnete Gruppe 'recht' gibt es nicht"),
    ("group cycle", "Gruppen verweisen im Kreis aufeinander: technik → netz → technik"),
    ("empty group", "Gruppe 'leer' hat weder Dimensionen noch Untergruppen"),
    ("group id of a dimension", "Gruppen-ID 'isms' kommt doppelt vor"),
    ("reserved group id", "die Gruppen-ID 'overall' ist reserviert"),
    ("builtin answer", "answers: 'completed' ist ein fester Status"),
    ("duplicate answer", "Antwortskala 'samm': Antwort 'einige' kommt doppelt vor"),
    ("credit above one", "answers['teilweise'].credit: darf höchstens 1 sein"),
    (
        "unknown scale",
        "Maßnahme 'ISMS.1.A1': Antwortskala 'dsomm' gibt es nicht (answer_scales: samm)",
    ),
    (
        "unknown prerequisite",
        "Maßnahme 'ISMS.1.A1': Voraussetzung 'ISMS.9' gibt es im Katalog nicht",
    ),
    ("self prerequisite", "Maßnahme 'ISMS.1.A1' setzt sich selbst voraus"),
    (
        "prerequisite cycle",
        "Voraussetzungen verweisen im Kreis aufeinander: "
        "ISMS.1.A1 → ISMS.1.A9 → ISMS.1.A2 → ISMS.1.A1",
    ),
    ("unknown rule", "rule: "),
    ("answer key with space", "answers['zum Teil'].key"),
]


@pytest.mark.parametrize(("change", "message"), INVALID, ids=[c for c, _ in INVALID])
def test_invalid_additions_are_refused_naming_the_item(change: str, message: str) -> None:
    with pytest.raises(spatz.CatalogError) as info:
        parse_catalog(yaml.safe_dump(_with(change), allow_unicode=True), source="katalog.yaml")
    assert str(info.value).startswith("katalog.yaml: ")
    assert message in str(info.value)
