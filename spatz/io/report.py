"""The Bericht for the Stadtrat: one printable, self-contained HTML page.

Every user-entered text is escaped; charts are embedded as plotly HTML with their numbers
in a table next to them.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import plotly.graph_objects as go

from spatz.catalog import OVERALL, Catalog
from spatz.model.common import TARGET_STATUS_LABELS, TargetStatus

IST_COLOUR = "#0072B2"
SOLL_COLOUR = "#E69F00"

_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #1a1a1a; }
h1 { font-size: 1.6em; margin-bottom: 0; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; }
.meta { color: #555; }
@media print { .chart { page-break-inside: avoid; } }
"""


def _de(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _date(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(
    *,
    catalog: Catalog,
    org_name: str,
    as_of: dt.date,
    scores: pd.DataFrame,
    targets: pd.DataFrame,
    roadmaps: dict[str, pd.DataFrame],
) -> str:
    """The report of one organisation at the Stichtag.

    ``scores`` are the organisation's rows of :func:`spatz.score`, ``targets`` its rows of
    :func:`spatz.forecast`, ``roadmaps`` per dimension id the rows of :func:`spatz.roadmap`.
    """
    names = {d.id: d.name for d in catalog.dimensions} | {OVERALL: "Gesamt"}
    levels = {lv.level: lv.name for lv in catalog.levels}
    by_dim = {str(r["dimension_id"]): r for r in scores.to_dict("records")}
    goal = {str(r["dimension_id"]): r for r in targets.to_dict("records")}
    order = [d.id for d in catalog.dimensions] + [OVERALL]

    rows = []
    for dim in order:
        score = by_dim.get(dim, {"level": 0, "score": 0.0, "measures_completed": 0})
        target = goal.get(dim)
        rows.append(
            [
                html.escape(names[dim]),
                f"{score['level']} – {html.escape(levels.get(int(score['level']), '–'))}",
                _de(float(score["score"])),
                str(score["measures_completed"]),
                str(target["target_level"]) if target else "",
                _date(target["target_date"].date()) if target else "",
                TARGET_STATUS_LABELS[TargetStatus(target["status"])] if target else "",
            ]
        )
    levels_table = _table(
        ["Dimension", "Stufe", "Punktwert", "umgesetzt", "Ziel", "bis", "Zielstatus"],
        rows,
        numeric={2, 3},
    )

    figure = go.Figure()
    dims = [d.id for d in catalog.dimensions]
    figure.add_bar(
        y=[names[d] for d in dims],
        x=[float(by_dim[d]["score"]) if d in by_dim else 0.0 for d in dims],
        orientation="h",
        name="Ist (Punktwert)",
        marker_color=IST_COLOUR,
    )
    figure.add_scatter(
        y=[names[d] for d in dims],
        x=[goal[d]["target_level"] if d in goal else None for d in dims],
        mode="markers",
        name="Soll (Zielstufe)",
        marker={"color": SOLL_COLOUR, "symbol": "diamond", "size": 14},
    )
    figure.update_layout(
        xaxis={"range": [0, catalog.n_levels], "dtick": 1},
        yaxis={"autorange": "reversed"},
        height=80 + 40 * len(dims),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        separators=",.",
        legend={"orientation": "h", "y": -0.15},
    )
    chart = figure.to_html(full_html=False, include_plotlyjs=True, config={"displayModeBar": False})

    plan_parts = []
    for dim in dims:
        plan = roadmaps.get(dim)
        if plan is None or plan.empty:
            continue
        plan_rows = [
            [
                html.escape(f"{r['measure_id']} {r['title']}"),
                str(r["level"]),
                "ja" if r["mandatory"] else "",
                _date(r["due_date"].date()) if pd.notna(r["due_date"]) else "",
                _de(float(r["score_gain"])),
            ]
            for r in plan.to_dict("records")
        ]
        plan_parts.append(
            f"<h3>{html.escape(names[dim])}</h3>"
            + _table(["Maßnahme", "Stufe", "Pflicht", "fällig", "Punktwert +"], plan_rows, {4})
        )
    plans = "".join(plan_parts) or "<p>Keine offenen Maßnahmen bis zur nächsten Stufe.</p>"

    title = f"Digitale Reife – {org_name}"
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="meta">Stichtag {as_of:%d.%m.%Y} · Katalog {html.escape(catalog.name)}
{html.escape(catalog.version)} · erstellt mit SPATZ</p>
<h2>Reifegrad und Ziele</h2>
{levels_table}
<p class="meta">Die Gesamtstufe ist die niedrigste Stufe aller Dimensionen; der Punktwert
zeigt zusätzlich den Fortschritt auf der nächsten Stufe.</p>
<h2>Ist und Soll</h2>
<div class="chart">{chart}</div>
<h2>Was fehlt zur nächsten Stufe?</h2>
{plans}
</body></html>
"""
