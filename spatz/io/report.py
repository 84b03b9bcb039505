"""The Bericht for the Stadtrat: one self-contained HTML document, also rendered as PDF.

The same document serves the screen (:func:`report_html`) and print (:func:`report_pdf`,
A4, tagged PDF/UA-1, page numbers and dates in the footer). Charts are inline SVG drawn from
the numbers, so nothing is loaded from outside; each chart carries a German title and
description, and its numbers also stand in a table. Every user-entered text is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd

from spatz.catalog import OVERALL, Catalog
from spatz.io.catalog_text import EMPTY_LEVEL, empty_levels
from spatz.io.charts import (
    german_number,
    ist_soll_svg,
    trend_svg,
)
from spatz.model import MilestonePublic, ProjectPublic
from spatz.model.common import TARGET_STATUS_LABELS, TargetStatus

_STYLE = """
@page {
  size: A4;
  margin: 20mm 18mm 22mm 18mm;
  @bottom-left {
    content: "Stichtag " string(stichtag) " · erstellt am " string(created);
    font-size: 8.5pt; color: #444;
  }
  @bottom-right {
    content: "Seite " counter(page) " von " counter(pages);
    font-size: 8.5pt; color: #444;
  }
}
@page :first { @bottom-left { content: none; } @bottom-right { content: none; } }
html { font-family: "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; }
body { margin: 1.5em 4%; }
h1 { font-size: 1.6em; margin: 0.2em 0 0.4em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #767676; }
h3 { font-size: 1em; margin: 1.2em 0 0.3em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #999; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.num { text-align: right; }
.meta { color: #444; }
.kicker { font-size: 1.1em; color: #444; margin: 0; }
.cover dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1.2em; }
.cover dt { font-weight: bold; }
.cover dd { margin: 0; }
.stichtag { string-set: stichtag content(); }
.created { string-set: created content(); }
figure { margin: 0.8em 0; break-inside: avoid; }
figure svg { display: block; width: 100%; max-width: 44em; height: auto; }
figcaption { font-size: 0.85em; color: #444; margin-top: 0.3em; }
.small { font-size: 0.85em; }
@media screen { .cover dl { display: none; } }
@media print {
  body { margin: 0; font-size: 10pt; }
  .cover { break-after: page; padding-top: 35%; }
  .cover h1 { font-size: 2.2em; margin-bottom: 1em; }
  .cover .meta { display: none; }
  .cover dl { font-size: 1.2em; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; }
  section.part { break-before: page; }
  table { width: 100%; }
  td { overflow-wrap: break-word; }
  abbr { text-decoration: none; }
}
"""


@dataclass(frozen=True)
class ReportData:
    """What the report of one organisation at the Stichtag shows.

    ``scores`` are the organisation's rows of :func:`spatz.score`, ``targets`` its rows of
    :func:`spatz.forecast`, ``roadmaps`` per dimension id the rows of :func:`spatz.roadmap`,
    ``trend`` its rows of :func:`spatz.trend` (``dimension_id``, ``as_of``, ``score``) from
    the first event to the Stichtag; ``created`` is the day the report is made.
    ``covered`` are the measures a mapping set makes done (clause 12 of the rule): their
    id and the sources, as :func:`spatz.explain`'s ``covered_by``.
    """

    catalog: Catalog
    org_name: str
    as_of: dt.date
    scores: pd.DataFrame
    targets: pd.DataFrame
    roadmaps: dict[str, pd.DataFrame]
    trend: pd.DataFrame
    created: dt.date
    projects: list[ProjectPublic] = field(default_factory=list)
    milestones: list[MilestonePublic] = field(default_factory=list)
    covered: list[tuple[str, str]] = field(default_factory=list)


def _esc(value: object) -> str:
    return html.escape(str(value))


def _date(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return html.escape(str(value))


def _table(
    header: list[str], rows: list[list[str]], numeric: set[int] | None = None, caption: str = ""
) -> str:
    numeric = numeric or set()
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _trend_table(data: ReportData, names: dict[str, str]) -> str:
    trend = data.trend
    if trend.empty:
        return "<p>Noch keine erfassten Maßnahmen.</p>"
    days = sorted(pd.to_datetime(trend["as_of"]).unique())
    first, last = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
    year_ago = last - pd.DateOffset(years=1)
    between = [d for d in map(pd.Timestamp, days) if first < d <= year_ago]
    wanted = list(dict.fromkeys([first, *between[-1:], last]))
    scores = {
        (str(r["dimension_id"]), pd.Timestamp(r["as_of"])): float(r["score"])
        for r in trend.to_dict("records")
    }
    order = [d.id for d in data.catalog.dimensions] + [OVERALL]
    rows = [
        [_esc(names[dim])]
        + [german_number(scores[dim, day]) if (dim, day) in scores else "" for day in wanted]
        for dim in order
    ]
    header = ["Dimension"] + [f"Punktwert am {d:%d.%m.%Y}" for d in wanted]
    return _table(header, rows, numeric=set(range(1, len(wanted) + 1)))


def _projects(data: ReportData, titles: dict[str, str]) -> str:
    """Projects and milestones; the measures they carry by id (the title on hover)."""

    def measures(ids: list[str]) -> str:
        return ", ".join(f'<abbr title="{_esc(titles.get(m, m))}">{_esc(m)}</abbr>' for m in ids)

    if data.projects:
        project_rows = [
            [
                f"<strong>{_esc(p.name)}</strong>"
                + (
                    f'<br><span class="small">{_esc(p.description)}</span>' if p.description else ""
                ),
                _esc(p.business_unit),
                _esc(p.responsible),
                _date(p.start),
                _date(p.end),
                measures(p.measures),
            ]
            for p in sorted(data.projects, key=lambda p: (p.start, p.name))
        ]
        projects = _table(
            ["Projekt", "GB", "verantwortlich", "Beginn", "Ende", "trägt Maßnahmen"], project_rows
        )
    else:
        projects = "<p>Keine Projekte erfasst.</p>"
    if data.milestones:
        milestone_rows = [
            [
                _esc(m.title),
                _esc(m.due_label) if m.due_label else _date(m.due),
                _date(m.done_date) if m.done_date else "offen",
                measures(m.measures),
            ]
            for m in sorted(data.milestones, key=lambda m: (m.due, m.title))
        ]
        milestones = _table(["Meilenstein", "fällig", "erledigt am", "Maßnahmen"], milestone_rows)
    else:
        milestones = "<p>Keine Meilensteine erfasst.</p>"
    return f"<h3>Projekte</h3>{projects}<h3>Meilensteine</h3>{milestones}"


def report_html(data: ReportData) -> str:
    """The report as one self-contained HTML document (German, ``lang="de"``)."""
    catalog = data.catalog
    names = {d.id: d.name for d in catalog.dimensions} | {OVERALL: "Gesamt"}
    levels = {lv.level: lv.name for lv in catalog.levels}
    by_dim = {str(r["dimension_id"]): r for r in data.scores.to_dict("records")}
    goal = {str(r["dimension_id"]): r for r in data.targets.to_dict("records")}
    order = [d.id for d in catalog.dimensions] + [OVERALL]
    titles = {m.id: m.title for _, m in catalog.measures()}

    rows = []
    for dim in order:
        score = by_dim.get(dim, {"level": 0, "score": 0.0, "measures_completed": 0})
        target = goal.get(dim)
        rows.append(
            [
                _esc(names[dim]),
                f"{score['level']} – {_esc(levels.get(int(score['level']), '–'))}",
                german_number(float(score["score"])),
                str(score["measures_completed"]),
                str(target["target_level"]) if target else "",
                _date(target["target_date"]) if target else "",
                TARGET_STATUS_LABELS[TargetStatus(target["status"])] if target else "",
            ]
        )
    levels_table = _table(
        ["Dimension", "Stufe", "Punktwert", "umgesetzt", "Ziel", "bis", "Zielstatus"],
        rows,
        numeric={2, 3},
    )
    target_levels = {dim: int(t["target_level"]) for dim, t in goal.items()}
    ist_soll = ist_soll_svg(
        catalog,
        {dim: float(s["score"]) for dim, s in by_dim.items()},
        target_levels,
    )
    trend = trend_svg(catalog, data.trend, target_levels, names)

    plan_parts = []
    for dimension in catalog.dimensions:
        dim = dimension.id
        plan = data.roadmaps.get(dim)
        if plan is None or plan.empty:
            continue
        plan_rows = [
            (
                int(r["level"]),
                [
                    _esc(f"{r['measure_id']} {r['title']}"),
                    str(r["level"]),
                    "ja" if r["mandatory"] else "",
                    _date(r["due_date"]) if pd.notna(r["due_date"]) else "",
                    german_number(float(r["score_gain"])),
                ],
            )
            for r in plan.to_dict("records")
        ]
        # The levels the roadmap passes on which the dimension has no measure.
        reached = int(by_dim[dim]["level"]) if dim in by_dim else 0
        highest = max(level for level, _ in plan_rows)
        plan_rows += [
            (level, [EMPTY_LEVEL, str(level), "", "", ""])
            for level in empty_levels(catalog, dimension)
            if reached < level < highest
        ]
        plan_parts.append(
            f"<h3>{_esc(names[dim])}</h3>"
            + _table(
                ["Maßnahme", "Stufe", "Pflicht", "fällig", "Punktwert +"],
                [cells for _, cells in sorted(plan_rows, key=lambda row: row[0])],
                {4},
            )
        )
    plans = "".join(plan_parts) or "<p>Keine offenen Maßnahmen bis zur nächsten Stufe.</p>"
    if data.covered:
        plans += "<h3>Über Zuordnungen angerechnet</h3>" + _table(
            ["Maßnahme", "umgesetzt über"],
            [[_esc(f"{m} {titles[m]}"), _esc(via)] for m, via in data.covered],
        )

    title = f"Digitale Reife – {data.org_name}"
    stichtag = f"{data.as_of:%d.%m.%Y}"
    created = f"{data.created:%d.%m.%Y}"
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{_esc(title)}</title>
<meta name="description" content="Bericht für den Stadtrat, Stichtag {stichtag}">
<meta name="generator" content="SPATZ"><meta name="dcterms.created" content="{data.created}">
<style>{_STYLE}</style></head><body>
<header class="cover">
<p class="kicker">Bericht für den Stadtrat</p>
<h1>{_esc(title)}</h1>
<p class="meta">Stichtag {stichtag} · Katalog {_esc(catalog.name)}
{_esc(catalog.version)} · erstellt am {created} mit SPATZ</p>
<dl>
<dt>Organisation</dt><dd>{_esc(data.org_name)}</dd>
<dt>Stichtag</dt><dd class="stichtag">{stichtag}</dd>
<dt>Katalog</dt><dd>{_esc(catalog.name)}, Version {_esc(catalog.version)}</dd>
<dt>erstellt am</dt><dd class="created">{created}</dd>
</dl>
</header>
<main>
<section class="part">
<h2>Reifegrad und Ziele</h2>
{levels_table}
<p class="meta">Die Gesamtstufe ist die niedrigste Stufe aller Dimensionen; der Punktwert
zeigt zusätzlich den Fortschritt auf der nächsten Stufe.</p>
<h2>Ist und Soll</h2>
<figure>{ist_soll}<figcaption>Balken: erreichter Punktwert je Dimension; Raute: Zielstufe.
Die Zahlen stehen in der Tabelle „Reifegrad und Ziele“.</figcaption></figure>
</section>
<section class="part">
<h2>Entwicklung</h2>
<figure>{trend}<figcaption>Punktwert am Ende jedes Monats seit dem ersten erfassten
Ereignis und am Stichtag; gestrichelt die Zielstufe.</figcaption></figure>
{_trend_table(data, names)}
</section>
<section class="part">
<h2>Was fehlt zur nächsten Stufe?</h2>
{plans}
</section>
<section class="part">
<h2>Projekte und Meilensteine</h2>
{_projects(data, titles)}
</section>
</main>
</body></html>
"""


def report_pdf(data: ReportData) -> bytes:
    """The report as an A4 PDF/UA-1 document (tagged, German), rendered without network:
    the document refers to nothing outside itself."""
    # Imported here: loading Pango takes a moment that no other command should pay.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    document = HTML(
        string=report_html(data), url_fetcher=URLFetcher(allowed_protocols=()), media_type="print"
    )
    pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    return pdf
