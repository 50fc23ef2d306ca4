"""The business's look on the pages customers and visitors read: its accent colour, light and dark.

The pages carry a strict Content Security Policy (`style-src 'self'`: no inline `<style>`, no
`style` attribute), and the showcase's HTML is cached and shared, so it cannot carry a nonce made
for one response. The colours therefore come from a tiny stylesheet of our own, addressed by the
colour itself (`/b/accent/1d4ed8.css`): its content depends on nothing but its address, so it costs
no query, is kept for a year by browsers and proxies, and a new colour is a new address.

Every colour a page shows is derived here from a validated accent, with the contrast its use needs
(WCAG AA: 4.5:1 for text) against the neutrals of static/css/raves.css, in light and dark mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError

from businesses.models import DEFAULT_ACCENT_COLOR, relative_luminance, validate_accent_color

# The backgrounds of static/css/raves.css that text in an accent colour sits on (card, page), and
# its text colours (body, muted) that must stay readable on the accent's tint.
LIGHT_BACKGROUNDS = ("#ffffff", "#f8fafc")
DARK_BACKGROUNDS = ("#1e293b", "#0f172a")
LIGHT_TEXT = ("#0f172a", "#475569")
DARK_TEXT = ("#f1f5f9", "#94a3b8")
TEXT_CONTRAST = 4.5
# At most this much of the accent tints the background of a chosen option (light mode, then dark mode).
SOFT_SHARE = 0.10
DARK_SOFT_SHARE = 0.30
STEPS = 40


@dataclass(frozen=True)
class Palette:
    accent: str  # buttons and current chips, under white text (the validator asks for 4.5:1)
    ink: str  # links, focus outlines and borders on light backgrounds: the accent, darkened if needed
    soft: str  # the background of a chosen option, light
    dark_ink: str  # the same on dark backgrounds: a lighter tint of the accent
    dark_soft: str  # the background of a chosen option, dark


def accent_color(value: object) -> str:
    """`value` as a valid accent colour (#rrggbb, lower case), or the default one when it is not.

    The model refuses a bad colour, but a value written around it (a bulk update, a fixture) must
    still never reach a stylesheet, a URL or an email's style attribute.
    """
    if not isinstance(value, str):
        return DEFAULT_ACCENT_COLOR
    try:
        validate_accent_color(value)
    except ValidationError:
        return DEFAULT_ACCENT_COLOR
    return value.lower()


@lru_cache(maxsize=256)
def palette(accent: str) -> Palette:
    """The colours derived from a valid accent colour (see `accent_color`)."""
    soft = tint(accent, LIGHT_BACKGROUNDS[0], most=SOFT_SHARE, under=LIGHT_TEXT)
    dark_soft = tint(accent, DARK_BACKGROUNDS[0], most=DARK_SOFT_SHARE, under=DARK_TEXT)
    return Palette(
        accent=accent,
        ink=readable(accent, toward="#000000", on=(*LIGHT_BACKGROUNDS, soft)),
        soft=soft,
        dark_ink=readable(accent, toward="#ffffff", on=(*DARK_BACKGROUNDS, dark_soft)),
        dark_soft=dark_soft,
    )


def stylesheet(accent: str) -> str:
    """The custom properties of static/css/raves.css and embed.css for this accent colour."""
    colours = palette(accent)
    # Screen only: a printed page keeps the light colours, whatever the reader's scheme.
    return (
        f":root {{ --accent: {colours.accent}; --accent-ink: {colours.ink}; --accent-soft: {colours.soft}; }}\n"
        "@media screen and (prefers-color-scheme: dark) {\n"
        f"  :root {{ --accent-ink: {colours.dark_ink}; --accent-soft: {colours.dark_soft}; }}\n"
        "}\n"
    )


def readable(color: str, *, toward: str, on: tuple[str, ...]) -> str:
    """`color` moved the least toward `toward` (black or white) for text to read on each of `on`."""
    for step in range(STEPS + 1):
        candidate = mix(color, toward, step / STEPS)
        if all(contrast(candidate, background) >= TEXT_CONTRAST for background in on):
            return candidate
    return toward


def tint(color: str, background: str, *, most: float, under: tuple[str, ...]) -> str:
    """`background` with up to `most` of `color` in it, as much as keeps each of `under` readable on it."""
    for step in range(STEPS, -1, -1):
        candidate = mix(background, color, most * step / STEPS)
        if all(contrast(text, candidate) >= TEXT_CONTRAST for text in under):
            return candidate
    return background


def mix(color: str, other: str, share: float) -> str:
    """`color` with `share` (0 to 1) of `other` mixed in, channel by channel."""
    channels = (round(int(color[i : i + 2], 16) * (1 - share) + int(other[i : i + 2], 16) * share) for i in (1, 3, 5))
    return "#" + "".join(f"{channel:02x}" for channel in channels)


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
