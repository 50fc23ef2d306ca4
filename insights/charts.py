"""Charts drawn on the server as SVG: nothing to download, nothing from other sites, no script.

Each chart comes with the numbers as a table in the page, for screen readers and for reading
exact values. Every point sits in the middle of its own slot, so the same week lines up across
the line and bar charts; each dot and bar carries a tooltip with its exact value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

# A narrow canvas with large text: the charts are drawn about 350–450 px wide, and the text must
# stay readable (about 10–13 px) once scaled down on a phone.
WIDTH, HEIGHT = 480, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 10, 14, 32
FONT_SIZE = 14
MAX_LABELS = 6
LINE_COLOUR, BAR_COLOUR, TEXT_COLOUR, GRID_COLOUR = "#1d4ed8", "#d97706", "#475569", "#e2e8f0"
PLOT_W, PLOT_H = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM


def as_is(number: str) -> str:
    return number


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    partial: bool = False  # a week not over yet: drawn apart (hollow dot, pale bar), never joined to the line


@dataclass(frozen=True)
class _Scale:
    ticks: list[float]
    # Writes a number (already in the reader's format) with its unit: "50" -> "50 %".
    shown_as: Callable[[str], str] = as_is

    def y(self, value: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        share = (value - low) / (high - low) if high > low else 0
        return PAD_TOP + PLOT_H * (1 - min(1, max(0, share)))


def line_chart(
    points: list[Point],
    *,
    maximum: float,
    title: str,
    shown_as: Callable[[str], str] = as_is,
    minimum: float = 0,
    ticks: int = 4,
) -> SafeString:
    """A line over weeks from `minimum` to `maximum`; weeks without a value leave a gap, and a
    partial week (not over yet) is a hollow dot of its own, off the line. `shown_as` adds the
    values' unit to a number written out (a percent sign, as the reader's language places it)."""
    scale = _Scale([minimum + (maximum - minimum) * n / ticks for n in range(ticks + 1)], shown_as)
    partial = _partial()
    segments, current, apart = [], [], []
    for index, point in enumerate(points):
        if point.value is None or point.partial:
            segments, current = segments + ([current] if current else []), []
            if point.value is not None:
                apart.append((_x(index, len(points)), scale.y(point.value), point))
        else:
            current.append((_x(index, len(points)), scale.y(point.value), point))
    segments += [current] if current else []
    body = "".join(
        f'<polyline class="line" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y, _ in segment)}" fill="none" '
        f'stroke="{LINE_COLOUR}" stroke-width="2.5"/>'
        + "".join(
            f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE_COLOUR}">'
            f"<title>{escape(point.label)}: {escape(shown_as(_exact(point.value)))}</title></circle>"
            for x, y, point in segment
        )
        for segment in segments
    ) + "".join(
        f'<circle class="dot partial" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" stroke="{LINE_COLOUR}" '
        f'stroke-width="2"><title>{escape(point.label)}: {escape(shown_as(_exact(point.value)))} {partial}</title>'
        "</circle>"
        for x, y, point in apart
    )
    return _frame(points, scale, title, body or _no_data())


def bar_chart(points: list[Point], *, title: str, show_values: bool = False) -> SafeString:
    """Bars (counts), one per label, on a scale of round numbers; `show_values` writes each count on its bar."""
    largest = max([point.value or 0 for point in points] + [0])
    # Room above the tallest bar for its count.
    scale = _Scale(_count_ticks(largest * 1.15 if show_values else largest))
    slot = PLOT_W / max(1, len(points))
    partial = _partial()
    bars = []
    for index, point in enumerate(points):
        value = point.value or 0
        top, x = scale.y(value), _x(index, len(points))
        pale, note = (
            (' class="bar partial" fill-opacity="0.4"', f" {partial}") if point.partial else (' class="bar"', "")
        )
        bars.append(
            f'<rect{pale} x="{x - slot * 0.35:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{PAD_TOP + PLOT_H - top:.1f}" fill="{BAR_COLOUR}" rx="2">'
            f"<title>{escape(point.label)}: {_exact(value)}{note}</title></rect>"
        )
        if show_values:
            bars.append(_text(x, max(FONT_SIZE, top - 5), _number(value), "middle", "value"))
    return _frame(points, scale, title, "".join(bars))


def _x(index: int, count: int) -> float:
    """The middle of the index-th of `count` equal slots across the plot."""
    return PAD_LEFT + PLOT_W * (index + 0.5) / max(1, count)


def _count_ticks(largest: float) -> list[float]:
    """0 up to a round number at or above `largest`, in at most four whole steps (1, 2 or 5 × 10ⁿ)."""
    if largest <= 0:
        return [0, 1]
    magnitude = 10 ** math.floor(math.log10(largest / 4))
    step = max(1, next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= largest / 4))
    return [step * n for n in range(math.ceil(largest / step) + 1)]


def _frame(points: list[Point], scale: _Scale, title: str, body: str) -> SafeString:
    grid = "".join(
        f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{scale.y(tick):.1f}" '
        f'y2="{scale.y(tick):.1f}" stroke="{GRID_COLOUR}"/>'
        + _text(PAD_LEFT - 6, scale.y(tick) + FONT_SIZE * 0.35, escape(scale.shown_as(_number(tick))), "end")
        for tick in scale.ticks
    )
    # Label the latest week, and every n-th one before it, so labels never run into each other.
    every = math.ceil(len(points) / MAX_LABELS) or 1
    labels = "".join(
        _text(_x(index, len(points)), HEIGHT - 10, escape(point.label), "middle")
        for index, point in enumerate(points)
        if (len(points) - 1 - index) % every == 0
    )
    return mark_safe(  # noqa: S308 — every text inside is escaped above; numbers are formatted by us
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" class="chart" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{grid}{labels}{body}</svg>'
    )


def _text(x: float, y: float, text: str, anchor: str, css_class: str = "") -> str:
    """An SVG text; `text` must already be escaped."""
    css = f' class="{css_class}"' if css_class else ""
    return (
        f'<text{css} x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT_SIZE}" '
        f'fill="{TEXT_COLOUR}">{text}</text>'
    )


def _partial() -> str:
    """The note on a week not over yet (escaped: it goes into the SVG as it is)."""
    return escape(gettext("(week so far)"))


def _no_data() -> str:
    message = escape(gettext("No answers in these weeks yet"))
    return _text(PAD_LEFT + PLOT_W / 2, PAD_TOP + PLOT_H / 2, message, "middle", "empty")


def _number(value: float) -> str:
    """An axis number in the reader's format: whole from 10 up, one decimal below ("1,000", "2.5"; "1.000", "2,5")."""
    whole = value == int(value) or abs(value) >= 10
    return number_format(value, 0 if whole else 1, force_grouping=True)


def _exact(value: float) -> str:
    """A value as the tables show it: up to two decimals, no trailing zeros, in the reader's format."""
    return number_format(Decimal(f"{value:.2f}").normalize(), force_grouping=True)
