"""The report's charts as inline SVG drawn from the numbers: accessible (a German title with
the summary sentence, ``role="img"``), vector in print, nothing loaded from outside."""

from __future__ import annotations

import html

import pandas as pd

from spatz.catalog import OVERALL, Catalog

#: Colours with a contrast of at least 4.5:1 on white (text and graphics alike).
IST_COLOUR = "#0072B2"
SOLL_COLOUR = "#B34700"
GRID_COLOUR = "#767676"
TEXT_COLOUR = "#1a1a1a"


def german_number(value: float) -> str:
    """A score with two decimals and a decimal comma: ``2,67``."""
    return f"{value:.2f}".replace(".", ",")


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
        sentence = f"{dim.name} {german_number(score)}"
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
            before, after = float(start["score"]), float(end["score"])
            sentences.append(f"{names[dim]} von {german_number(before)} auf {german_number(after)}")
    if first is not None and last is not None:
        desc = (
            f"Punktwert vom {first:%d.%m.%Y} bis zum {last:%d.%m.%Y}: " + "; ".join(sentences) + "."
        )
    else:
        desc = "Noch keine erfassten Maßnahmen."
    return _svg(ident, width, height, "Entwicklung je Dimension", desc, "".join(parts))
