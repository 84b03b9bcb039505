"""Loading catalogs: every rule of the file format, each with its message."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import spatz
from spatz.catalog import parse_catalog

DATA = Path(__file__).parent / "data"


def _mini() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))
    return data


def _with(change: str) -> dict[str, Any]:
    data = copy.deepcopy(_mini())
    dims = data["dimensions"]
    match change:
        case "duplicate measure id":
            dims[1]["measures"][0]["id"] = "STR-1-01"
        case "duplicate dimension id":
            dims[1]["id"] = "strategie"
        case "reserved id":
            dims[0]["id"] = "overall"
        case "dimension without measures":
            dims[1]["measures"] = []
        case "levels with gap":
            data["levels"][1]["level"] = 4
        case "single level":
            data["levels"] = data["levels"][:1]
        case "measure weight zero":
            dims[0]["measures"][1]["weight"] = 0
        case "dimension weight negative":
            dims[0]["weight"] = -1
        case "threshold zero":
            data["threshold"] = 0
        case "threshold above one":
            data["threshold"] = 1.5
        case "unknown key":
            dims[0]["measures"][0]["owner"] = "FB 11"
        case "unknown top-level key":
            data["author"] = "x"
        case "measure level beyond catalog":
            dims[0]["measures"][0]["level"] = 7
    return data


INVALID = [
    ("duplicate measure id", "Maßnahmen-ID 'STR-1-01' kommt doppelt vor"),
    ("duplicate dimension id", "Dimensions-ID 'strategie' kommt doppelt vor"),
    ("reserved id", "die Dimensions-ID 'overall' ist reserviert"),
    ("dimension without measures", "dimensions['sicherheit'].measures: mindestens 1 Einträge"),
    ("levels with gap", "die Stufen müssen lückenlos der Reihe nach 1..3 nummeriert"),
    ("single level", "levels: mindestens 2 Einträge nötig, nicht 1"),
    ("measure weight zero", "dimensions['strategie'].measures['STR-1-02'].weight"),
    ("dimension weight negative", "dimensions['strategie'].weight"),
    ("threshold zero", "threshold: muss größer als 0 sein"),
    ("threshold above one", "threshold: darf höchstens 1 sein"),
    ("unknown key", "dimensions['strategie'].measures['STR-1-01'].owner: unbekannter Schlüssel"),
    ("unknown top-level key", "author: unbekannter Schlüssel"),
    ("measure level beyond catalog", "Maßnahme 'STR-1-01' hat die Stufe 7"),
]


@pytest.mark.parametrize(("change", "message"), INVALID, ids=[c for c, _ in INVALID])
def test_invalid_catalog_is_rejected_naming_the_item(change: str, message: str) -> None:
    with pytest.raises(spatz.CatalogError) as info:
        parse_catalog(yaml.safe_dump(_with(change)), source="katalog.yaml")
    assert str(info.value).startswith("katalog.yaml: ")
    assert message in str(info.value)


def test_catalog_error_is_a_value_error() -> None:
    assert issubclass(spatz.CatalogError, ValueError)


def test_yaml_and_json_give_the_same_catalog(tmp_path: Path) -> None:
    as_json = tmp_path / "mini.json"
    as_json.write_text(json.dumps(_mini()), encoding="utf-8")
    from_yaml = spatz.load_catalog(DATA / "mini.yaml")
    assert spatz.load_catalog(as_json) == from_yaml
    assert from_yaml.n_levels == 3
    assert [d.id for d in from_yaml.dimensions] == ["strategie", "sicherheit"]


def test_defaults_are_applied() -> None:
    catalog = spatz.load_catalog(DATA / "mini.yaml")
    measure = catalog.measure("STR-1-02")
    assert (measure.weight, measure.mandatory, measure.valid_for_months) == (1.0, False, None)
    assert catalog.dimension("strategie").weight == 1.0


def test_export_parses_back_to_the_same_catalog() -> None:
    catalog = spatz.load_catalog(DATA / "mini.yaml")
    again = parse_catalog(catalog.to_yaml())
    assert again == catalog
    assert again.content_hash() == catalog.content_hash()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed", "x.yaml:1: kein gültiges YAML/JSON"),
        ("- a list", "ein Katalog ist ein Abschnitt mit den Schlüsseln"),
        ("", "ein Katalog ist ein Abschnitt mit den Schlüsseln"),
    ],
)
def test_unreadable_text_is_a_catalog_error(text: str, message: str) -> None:
    with pytest.raises(spatz.CatalogError, match=message):
        parse_catalog(text, source="x.yaml")


def test_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(spatz.CatalogError, match="Katalogdatei nicht gefunden"):
        spatz.load_catalog(tmp_path / "fehlt.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": ""}, "id: mindestens 1 Zeichen nötig"),
        ({"id": "x" * 101}, "id: höchstens 100 Zeichen, nicht 101"),
        ({"id": None}, "id: Text erwartet"),
        ({"threshold": "hoch"}, "threshold: Zahl erwartet, nicht 'hoch'"),
        ({"threshold": float("nan")}, "threshold: endliche Zahl erwartet"),
        ({"levels": "drei"}, "levels: Liste erwartet, nicht 'drei'"),
        ({"levels": [{"level": "eins", "name": "A"}, {"level": 2, "name": "B"}]}, "ganze Zahl"),
        ({"dimensions": ["strategie"]}, "dimensions[0]: Abschnitt mit Schlüsseln erwartet"),
        ({"name": None, "version": None}, "version: Text erwartet; name: Text erwartet"),
    ],
)
def test_messages_are_german_naming_the_item(change: dict[str, Any], message: str) -> None:
    data = {**_mini(), **change}
    with pytest.raises(spatz.CatalogError) as info:
        parse_catalog(json.dumps(data, allow_nan=True), source="katalog.json")
    text = str(info.value)
    assert text.startswith("katalog.json: ungültiger Katalog: ")
    assert message in text
    assert not any(english in text for english in ("should", "Input", "required", "valid"))


def test_a_missing_key_and_a_wrong_flag_are_named() -> None:
    data = _mini()
    del data["name"]
    data["dimensions"][0]["measures"][0]["mandatory"] = "vielleicht"
    with pytest.raises(spatz.CatalogError) as info:
        parse_catalog(yaml.safe_dump(data), source="k.yaml")
    assert str(info.value) == (
        "k.yaml: ungültiger Katalog: name: Angabe fehlt; "
        "dimensions['strategie'].measures['STR-1-01'].mandatory: "
        "Wahrheitswert (true oder false) erwartet, nicht 'vielleicht'"
    )
