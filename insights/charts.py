"""Charts drawn on the server as SVG: nothing to download, nothing from other sites, no script.

Each chart comes with the numbers as a table in the page, for screen readers and for reading
exact values.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 44, 28, 12


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None


def line_chart(points: list[Point], *, maximum: float, title: str, unit: str = "") -> SafeString:
    """A line over weeks; weeks without a value leave a gap."""
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(1, len(points) - 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return PAD_LEFT + index * step, PAD_TOP + plot_h * (1 - (value / maximum if maximum else 0))

    segments, current = [], []
    for index, point in enumerate(points):
        if point.value is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(xy(index, point.value))
    if current:
        segments.append(current)
    paths = "".join(
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in segment)}" fill="none" stroke="#1d4ed8" '
        f'stroke-width="2.5"/>'
        + "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1d4ed8"/>' for x, y in segment)
        for segment in segments
    )
    return _frame(points, maximum, title, unit, paths, step)


def bar_chart(points: list[Point], *, title: str) -> SafeString:
    """Bars (counts), one per label."""
    maximum = max([point.value or 0 for point in points] + [1])
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / max(1, len(points))
    bars = "".join(
        f'<rect x="{PAD_LEFT + index * slot + slot * 0.15:.1f}" '
        f'y="{PAD_TOP + plot_h * (1 - (point.value or 0) / maximum):.1f}" width="{slot * 0.7:.1f}" '
        f'height="{plot_h * (point.value or 0) / maximum:.1f}" fill="#d97706" rx="2"/>'
        for index, point in enumerate(points)
    )
    return _frame(points, maximum, title, "", bars, slot, centred=True)


def _frame(
    points: list[Point], maximum: float, title: str, unit: str, body: str, step: float, centred: bool = False
) -> SafeString:
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    grid = "".join(
        f'<line x1="{PAD_LEFT}" x2="{WIDTH - 8}" y1="{PAD_TOP + plot_h * (1 - fraction):.1f}" '
        f'y2="{PAD_TOP + plot_h * (1 - fraction):.1f}" stroke="#e2e8f0"/>'
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + plot_h * (1 - fraction) + 4:.1f}" text-anchor="end" '
        f'font-size="11" fill="#475569">{_number(maximum * fraction)}{escape(unit)}</text>'
        for fraction in (0, 0.5, 1)
    )
    every = max(1, len(points) // 6)
    offset = step / 2 if centred else 0
    labels = "".join(
        f'<text x="{PAD_LEFT + index * step + offset:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" '
        f'fill="#475569">{escape(point.label)}</text>'
        for index, point in enumerate(points)
        if index % every == 0
    )
    return mark_safe(  # noqa: S308 — every text inside is escaped above; numbers are formatted by us
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" class="chart" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{grid}{labels}{body}</svg>'
    )


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
