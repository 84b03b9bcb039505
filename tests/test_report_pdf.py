"""The report for the Stadtrat as PDF: the engine's numbers, German, A4, tagged, page numbers;
and ``spatz export report`` choosing the format by the file's suffix."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import time
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject, StreamObject
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import spatz
from spatz.catalog import OVERALL
from spatz.cli import app
from spatz.model.common import TARGET_STATUS_LABELS, TargetStatus
from spatz.services.common import Actor

HALLE = "15002000"
AS_OF = "2024-12-31"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
A4 = (595.28, 841.89)
runner = CliRunner()


@pytest.fixture(scope="module")
def pdf(demo_url: str) -> bytes:
    return spatz.open(demo_url).report_pdf(HALLE, AS_OF)


@pytest.fixture(scope="module")
def pages(pdf: bytes) -> list[str]:
    """The text of each page, runs of white space as one blank."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_levels_scores_and_targets_are_the_engines(demo_url: str, pages: list[str]) -> None:
    store = spatz.open(demo_url)
    catalog = store.catalog()
    scores = store.score(AS_OF).query(f"org == '{HALLE}'")
    targets = store.target_status(AS_OF).query(f"org == '{HALLE}'")
    text = " ".join(pages)
    table = text.split("Reifegrad und Ziele", 1)[1].split("Die Gesamtstufe", 1)[0]
    names = {d.id: d.name for d in catalog.dimensions} | {OVERALL: "Gesamt"}
    levels = {lv.level: lv.name for lv in catalog.levels}
    goal = {str(r["dimension_id"]): r for r in targets.to_dict("records")}
    assert len(scores) == len(names)
    for row in scores.to_dict("records"):
        dim = str(row["dimension_id"])
        expected = (
            f"{names[dim]} {row['level']} – {levels[int(row['level'])]} {row['score']:.2f}".replace(
                ".", ","
            )
            + f" {row['measures_completed']}"
        )
        if dim in goal:
            target = goal[dim]
            expected += (
                f" {target['target_level']} {target['target_date']:%d.%m.%Y} "
                f"{TARGET_STATUS_LABELS[TargetStatus(target['status'])]}"
            )
        assert expected in table


def test_the_pdf_is_german_a4_tagged_and_numbered(pdf: bytes, pages: list[str]) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.root_object
    assert str(root["/Lang"]) == "de"
    mark_info = root["/MarkInfo"].get_object()
    assert isinstance(mark_info, DictionaryObject)
    assert mark_info["/Marked"]
    assert "/StructTreeRoot" in root
    metadata = root["/Metadata"].get_object()
    assert isinstance(metadata, StreamObject)
    assert b"pdfuaid:part" in metadata.get_data()
    assert reader.metadata is not None
    assert reader.metadata.title == "Digitale Reife – Stadt Halle (Saale)"
    assert len(pages) >= 2
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            A4, abs=0.5
        )
    cover = pages[0]
    assert "Bericht für den Stadtrat" in cover
    assert "Digitale Reife – Stadt Halle (Saale)" in cover
    assert "Stichtag 31.12.2024" in cover
    assert "Katalog SPATZ Kommunal, Version 1.0" in cover
    assert "Seite" not in cover
    for number, text in enumerate(pages[1:], start=2):
        assert f"Seite {number} von {len(pages)}" in text
        assert re.search(r"Stichtag 31\.12\.2024 · erstellt am \d\d\.\d\d\.\d{4}", text)
    text = " ".join(pages)
    for heading in (
        "Ist und Soll",
        "Entwicklung",
        "Was fehlt zur nächsten Stufe?",
        "Projekte und Meilensteine",
    ):
        assert heading in text


def _figures(node: object) -> list[str]:
    """The alternative texts of the Figure elements in a structure tree."""
    node = node.get_object() if isinstance(node, PdfObject) else node
    if isinstance(node, ArrayObject):
        return [alt for child in node for alt in _figures(child)]
    if not isinstance(node, DictionaryObject):
        return []
    own = [str(node["/Alt"])] if node.get("/S") == "/Figure" else []
    return own + (_figures(node["/K"]) if "/K" in node else [])


def test_the_charts_are_vector_graphics_with_text(
    demo_url: str, pdf: bytes, pages: list[str]
) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    assert all(not page.images for page in reader.pages)
    text = " ".join(pages)
    assert "Ist (Punktwert) Soll (Zielstufe)" in text
    assert "Punktwert Zielstufe" in text
    ist_soll, trend = _figures(reader.root_object["/StructTreeRoot"])
    store = spatz.open(demo_url)
    first = store.catalog().dimensions[0]
    score = store.score(AS_OF).query(f"org == '{HALLE}' and dimension_id == '{first.id}'")
    expected = f"{first.name} {score['score'].iloc[0]:.2f}".replace(".", ",")
    assert ist_soll.startswith("Ist und Soll je Dimension. Punktwert je Dimension: ")
    targets = store.target_status(AS_OF).query(f"org == '{HALLE}' and dimension_id == '{first.id}'")
    assert f"{expected}, Ziel Stufe {targets['target_level'].iloc[0]};" in ist_soll
    assert trend.startswith("Entwicklung je Dimension. Punktwert vom ")
    assert " bis zum 31.12.2024: " in trend
    assert f"auf {expected.removeprefix(first.name + ' ')}" in trend


def test_projects_are_listed(demo_url: str, pages: list[str]) -> None:
    projects = spatz.open(demo_url).projects(HALLE)
    assert projects
    text = "".join("".join(pages).split("Projekte und Meilensteine", 1)[1].split())
    for project in projects:
        assert "".join(project.name.split()) in text


def test_first_page_as_png(pdf: bytes) -> None:
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=150 / 72).to_pil()
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "bericht-seite-1.png"
    image.save(target)
    width, height = image.size
    assert height / width == pytest.approx(A4[1] / A4[0], rel=0.01)
    darkest, _ = image.convert("L").getextrema()
    assert darkest < 64, "page 1 shows text"
    assert target.read_bytes().startswith(b"\x89PNG")


def export(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", url, "export", "report", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_export_report_writes_pdf_or_html_by_suffix(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "bericht.PDF"
    code, out, err = export(demo_url, str(target), "--org", HALLE, "--as-of", "31.12.2024")
    assert (code, err) == (0, "")
    assert out == f"{target}: Bericht für {HALLE}, Stichtag 31.12.2024\n"
    assert target.read_bytes().startswith(b"%PDF-")
    assert len(PdfReader(target).pages) >= 2
    page = tmp_path / "bericht.html"
    code, out, err = export(demo_url, str(page), "--org", HALLE, "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert page.read_text(encoding="utf-8") == spatz.open(demo_url).report(HALLE, AS_OF)


def test_export_report_refuses_another_suffix(demo_url: str, tmp_path: Path) -> None:
    for name in ("bericht.docx", "bericht"):
        target = tmp_path / name
        code, out, err = export(demo_url, str(target), "--org", HALLE)
        assert (code, out) == (2, "")
        assert err == (
            f"{target}: ein Bericht wird als .pdf oder .html geschrieben, nicht als "
            f"{target.suffix or 'Datei ohne Endung'} (z. B. {tmp_path / 'bericht.pdf'})\n"
        )
        assert not target.exists()


def test_export_report_asks_for_the_organisation(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "bericht.pdf"
    code, out, err = export(demo_url, str(target))
    assert (code, out) == (2, "")
    count = len(spatz.open(demo_url).organisations())
    assert err.startswith(f"Es gibt {count} Organisationen: bitte --org angeben (")
    assert not target.exists()
    code, out, err = export(demo_url, str(target), "--org", "XX")
    assert (code, out, err) == (2, "", "Organisation 'XX' gibt es nicht\n")
    assert not target.exists()


def test_exchange_page_offers_the_pdf(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPATZ_DATABASE_URL", demo_url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["org"] = HALLE
    at.session_state["as_of"] = dt.date(2024, 12, 31)
    at.session_state["actor"] = Actor.operator("tester")
    at.session_state["login_since"] = at.session_state["login_seen"] = time.time()
    at.switch_page("views/exchange.py").run()
    assert not at.exception
    create = next(b for b in at.button if b.label == "Bericht für den Stadtrat (PDF) erstellen")
    create.click().run()
    assert not at.exception
    labels = [getattr(b, "label", "") for b in at.get("download_button")]
    assert "Bericht (PDF) herunterladen" in labels
    assert "Bericht für den Stadtrat (HTML)" in labels


@pytest.fixture
def one_organisation(sqlite_url: str) -> str:
    """A database with the default catalog and one organisation ``X`` without any data."""
    from spatz.catalog import default_catalog
    from spatz.db import make_engine, migrate, session_scope
    from spatz.io.reader import read_table_bytes
    from spatz.services.catalogs import store_catalog
    from spatz.services.organisations import import_organisations

    migrate(sqlite_url)
    actor = Actor.operator("test")
    with session_scope(make_engine(sqlite_url)) as session:
        store_catalog(session=session, actor=actor, catalog=default_catalog())
        table = read_table_bytes(b"org,name,kind\nX,Gemeinde X,Gemeinde\n", "o.csv")
        import_organisations(session=session, actor=actor, table=table)
    return sqlite_url


def test_export_report_takes_the_only_organisation(one_organisation: str, tmp_path: Path) -> None:
    target = tmp_path / "bericht.html"
    code, out, err = export(one_organisation, str(target), "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert out == f"{target}: Bericht für X, Stichtag 31.12.2024\n"
    assert "<h1>Digitale Reife – Gemeinde X</h1>" in target.read_text(encoding="utf-8")


def test_an_organisation_without_data_gets_a_report(one_organisation: str) -> None:
    reader = PdfReader(io.BytesIO(spatz.open(one_organisation).report_pdf("X", AS_OF)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Digitale Reife – Gemeinde X" in text
    assert "Gesamt 0 – " in text
    assert "Noch keine erfassten Maßnahmen." in text
    assert "Keine Projekte erfasst." in text
    assert "Keine Meilensteine erfasst." in text


def test_rendering_warns_about_nothing(demo_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """No style WeasyPrint ignores, no resource it would have to fetch, no figure without
    alternative text."""
    with caplog.at_level(logging.INFO, logger="weasyprint"):
        spatz.open(demo_url).report_pdf(HALLE, AS_OF)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
