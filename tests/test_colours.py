"""The dashboard's and the report's colours meet WCAG 2.1 AA contrast on a white page:
at least 3:1 for lines, bars and markers (1.4.11), at least 4.5:1 for text (1.4.3), also for
the faded text Streamlit derives from the theme's text colour (captions, hints)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from rendered import dashboard_formatting

from spatz.io import charts

ROOT = Path(__file__).resolve().parents[1]
WHITE = "#ffffff"
SIDEBAR = "#f0f2f6"
"""Streamlit's sidebar background in its light theme."""
CAPTION_OPACITY = 0.6
"""Streamlit shows captions and hints in the text colour at 60 % opacity."""


def _rgb(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return red, green, blue


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(c) for c in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: str, background: str = WHITE, opacity: float = 1.0) -> float:
    """WCAG's contrast ratio of ``foreground`` (drawn with ``opacity``) on ``background``."""
    back = _rgb(background)
    fore = tuple(
        opacity * f + (1 - opacity) * b for f, b in zip(_rgb(foreground), back, strict=True)
    )
    light, dark = sorted((_luminance(fore), _luminance(back)), reverse=True)  # type: ignore[arg-type]
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula() -> None:
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#767676") == pytest.approx(4.54, abs=0.01)
    assert contrast("#F0E442") == pytest.approx(1.32, abs=0.01)


FORMATTING = dashboard_formatting()
GRAPHICS = {
    **{f"PALETTE[{i}]": c for i, c in enumerate(FORMATTING.PALETTE)},
    "IST_COLOUR": FORMATTING.IST_COLOUR,
    "SOLL_COLOUR": FORMATTING.SOLL_COLOUR,
    "OVERALL_COLOUR": FORMATTING.OVERALL_COLOUR,
}


@pytest.mark.parametrize(("name", "colour"), GRAPHICS.items())
def test_every_chart_colour_stands_out_from_the_page(name: str, colour: str) -> None:
    assert contrast(colour) >= 3.0, f"{name} {colour}: {contrast(colour):.2f}:1"


def test_the_chart_colours_are_distinct_and_the_lines_differ_beyond_colour() -> None:
    assert len(set(FORMATTING.PALETTE)) == len(FORMATTING.PALETTE) == 8
    assert len(set(FORMATTING.DASHES)) == len(FORMATTING.DASHES) >= 6
    assert len(set(FORMATTING.MARKERS)) == len(FORMATTING.MARKERS) == 8


@pytest.mark.parametrize("background", [WHITE, SIDEBAR])
def test_captions_in_the_theme_text_colour_are_readable(background: str) -> None:
    config = tomllib.loads((ROOT / "dashboard" / ".streamlit" / "config.toml").read_text())
    text = config["theme"]["textColor"]
    assert contrast(text, background, CAPTION_OPACITY) >= 4.5


@pytest.mark.parametrize("name", ["IST_COLOUR", "SOLL_COLOUR", "GRID_COLOUR", "TEXT_COLOUR"])
def test_the_report_colours_read_as_text(name: str) -> None:
    colour = getattr(charts, name)
    assert contrast(colour) >= 4.5, f"{name} {colour}: {contrast(colour):.2f}:1"
