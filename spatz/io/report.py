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
from spatz.model import MilestonePublic, ProjectPublic
from spatz.model.common import TARGET_STATUS_LABELS, TargetStatus

#: Colours with a contrast of at least 4.5:1 on white (text and graphics alike).
IST_COLOUR = "#0072B2"
SOLL_COLOUR = "#B34700"
GRID_COLOUR = "#767676"
TEXT_COLOUR = "#1a1a1a"

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


def _de(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


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


def _svg(ident: str, width: int, height: int, title: str, desc: str, body: str) -> str:
    """An accessible chart: its title holds the summary sentence too, as the PDF takes the
    figure's alternative text from the title alone."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}-title" '
        'font-family="DejaVu Sans, Arial, sans-serif">'
        f'<title id="{ident}-title">{html.escape(f"{title}. {desc}")}</title>{body}</svg>'
    )


def _diamond(x: float, y: float, r: float) -> str:
    return (
        f'<polygon points="{x:.1f},{y - r:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r:.1f} '
        f'{x - r:.1f},{y:.1f}" fill="{SOLL_COLOUR}" stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )


def ist_soll_svg(
    catalog: Catalog, scores: dict[str, float], targets: dict[str, int], ident: str = "istsoll"
) -> str:
    """Horizontal bars of the score per dimension with the target level as a diamond.

    Each dimension's name stands on its own line above its bar, so no width of the page
    cuts it."""
    width, left, right, top, row = 640, 4, 16, 34, 46
    plot = width - left - right
    n = catalog.n_levels
    height = top + row * len(catalog.dimensions) + 36

    def x(value: float) -> float:
        return left + plot * max(0.0, min(value, n)) / n

    parts = [
        f'<rect x="{left}" y="6" width="12" height="12" fill="{IST_COLOUR}"/>',
        f'<text x="{left + 18}" y="16" font-size="12" fill="{TEXT_COLOUR}">Ist (Punktwert)</text>',
        _diamond(left + 150, 12, 7),
        f'<text x="{left + 162}" y="16" font-size="12" fill="{TEXT_COLOUR}">'
        "Soll (Zielstufe)</text>",
    ]
    bottom = top + row * len(catalog.dimensions)
    for level in range(n + 1):
        gx = x(level)
        parts.extend(
            f'<line x1="{gx:.1f}" y1="{top + row * i + 18}" x2="{gx:.1f}" '
            f'y2="{top + row * i + 38}" stroke="{GRID_COLOUR}" stroke-width="0.6" '
            'stroke-dasharray="2 2"/>'
            for i in range(len(catalog.dimensions))
        )
        anchor = "start" if level == 0 else "end" if level == n else "middle"
        parts.append(
            f'<text x="{gx:.1f}" y="{bottom + 16}" font-size="11" text-anchor="{anchor}" '
            f'fill="{TEXT_COLOUR}">{level}</text>'
        )
    parts.append(
        f'<text x="{width / 2:.0f}" y="{bottom + 29}" font-size="11" text-anchor="middle" '
        f'fill="{TEXT_COLOUR}">Stufe</text>'
    )
    sentences = []
    for i, dim in enumerate(catalog.dimensions):
        y = top + row * i
        score = scores.get(dim.id, 0.0)
        parts.append(
            f'<text x="{left}" y="{y + 14}" font-size="12" fill="{TEXT_COLOUR}">'
            f"{html.escape(dim.name)}</text>"
        )
        parts.append(
            f'<rect x="{left}" y="{y + 20}" width="{x(score) - left:.1f}" height="16" '
            f'fill="{IST_COLOUR}"/>'
        )
        sentence = f"{dim.name} {_de(score)}"
        if dim.id in targets:
            parts.append(_diamond(x(targets[dim.id]), y + 28, 8))
            sentence += f", Ziel Stufe {targets[dim.id]}"
        sentences.append(sentence)
    desc = "Punktwert je Dimension: " + "; ".join(sentences) + "."
    return _svg(ident, width, height, "Ist und Soll je Dimension", desc, "".join(parts))


def trend_svg(
    catalog: Catalog,
    trend: pd.DataFrame,
    targets: dict[str, int],
    names: dict[str, str],
    ident: str = "verlauf",
) -> str:
    """Small multiples: one panel per dimension and Gesamt with the score over time and the
    target level as a dashed line."""
    order = [d.id for d in catalog.dimensions] + [OVERALL]
    columns, panel_w, panel_h, gap = 3, 200, 128, 22
    rows = -(-len(order) // columns)
    width = columns * panel_w + (columns - 1) * gap
    legend = 24
    height = legend + rows * (panel_h + gap)
    n = catalog.n_levels
    dates = sorted(pd.to_datetime(trend["as_of"]).unique()) if len(trend) else []
    first = pd.Timestamp(dates[0]) if dates else None
    last = pd.Timestamp(dates[-1]) if dates else None
    span = max(((last - first).days if first is not None and last is not None else 0), 1)

    parts = [
        f'<line x1="0" y1="12" x2="24" y2="12" stroke="{IST_COLOUR}" stroke-width="2.5"/>',
        f'<text x="30" y="16" font-size="12" fill="{TEXT_COLOUR}">Punktwert</text>',
        f'<line x1="120" y1="12" x2="144" y2="12" stroke="{SOLL_COLOUR}" stroke-width="2" '
        'stroke-dasharray="6 3"/>',
        f'<text x="150" y="16" font-size="12" fill="{TEXT_COLOUR}">Zielstufe</text>',
    ]
    sentences = []
    for index, dim in enumerate(order):
        ox = (index % columns) * (panel_w + gap)
        oy = legend + (index // columns) * (panel_h + gap)
        px, py, pw, ph = ox + 18, oy + 22, panel_w - 24, panel_h - 44

        def sx(day: pd.Timestamp, px: float = px, pw: float = pw) -> float:
            return px + pw * ((day - first).days if first is not None else 0) / span

        def sy(value: float, py: float = py, ph: float = ph) -> float:
            return py + ph * (1 - max(0.0, min(value, n)) / n)

        parts.append(
            f'<text x="{ox}" y="{oy + 13}" font-size="10" font-weight="bold" '
            f'fill="{TEXT_COLOUR}">{html.escape(names[dim])}</text>'
        )
        for level in range(n + 1):
            gy = sy(level)
            parts.append(
                f'<line x1="{px}" y1="{gy:.1f}" x2="{px + pw}" y2="{gy:.1f}" '
                f'stroke="{GRID_COLOUR}" stroke-width="0.4" stroke-dasharray="2 3"/>'
            )
            if level in (0, n):
                parts.append(
                    f'<text x="{px - 4}" y="{gy + 3.5:.1f}" font-size="9" text-anchor="end" '
                    f'fill="{TEXT_COLOUR}">{level}</text>'
                )
        if first is not None and last is not None:
            for day, anchor in ((first, "start"), (last, "end")):
                parts.append(
                    f'<text x="{sx(day):.1f}" y="{py + ph + 13}" font-size="9" '
                    f'text-anchor="{anchor}" fill="{TEXT_COLOUR}">{day:%m.%Y}</text>'
                )
        if dim in targets:
            ty = sy(targets[dim])
            parts.append(
                f'<line x1="{px}" y1="{ty:.1f}" x2="{px + pw}" y2="{ty:.1f}" '
                f'stroke="{SOLL_COLOUR}" stroke-width="1.5" stroke-dasharray="6 3"/>'
            )
        series = trend[trend["dimension_id"] == dim].sort_values("as_of")
        points = [
            (sx(pd.Timestamp(r["as_of"])), sy(float(r["score"]))) for r in series.to_dict("records")
        ]
        if len(points) == 1:
            parts.append(
                f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="2.5" '
                f'fill="{IST_COLOUR}"/>'
            )
        elif points:
            coords = " ".join(f"{px_:.1f},{py_:.1f}" for px_, py_ in points)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{IST_COLOUR}" '
                'stroke-width="2" stroke-linejoin="round"/>'
            )
        if len(series):
            start, end = series.iloc[0], series.iloc[-1]
            sentences.append(
                f"{names[dim]} von {_de(float(start['score']))} auf {_de(float(end['score']))}"
            )
    if first is not None and last is not None:
        desc = (
            f"Punktwert vom {first:%d.%m.%Y} bis zum {last:%d.%m.%Y}: " + "; ".join(sentences) + "."
        )
    else:
        desc = "Noch keine erfassten Maßnahmen."
    return _svg(ident, width, height, "Entwicklung je Dimension", desc, "".join(parts))


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
        + [_de(scores[dim, day]) if (dim, day) in scores else "" for day in wanted]
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
                _de(float(score["score"])),
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
    for dim in [d.id for d in catalog.dimensions]:
        plan = data.roadmaps.get(dim)
        if plan is None or plan.empty:
            continue
        plan_rows = [
            [
                _esc(f"{r['measure_id']} {r['title']}"),
                str(r["level"]),
                "ja" if r["mandatory"] else "",
                _date(r["due_date"]) if pd.notna(r["due_date"]) else "",
                _de(float(r["score_gain"])),
            ]
            for r in plan.to_dict("records")
        ]
        plan_parts.append(
            f"<h3>{_esc(names[dim])}</h3>"
            + _table(["Maßnahme", "Stufe", "Pflicht", "fällig", "Punktwert +"], plan_rows, {4})
        )
    plans = "".join(plan_parts) or "<p>Keine offenen Maßnahmen bis zur nächsten Stufe.</p>"

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
