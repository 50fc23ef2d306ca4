"""Template filters of the public pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def first_name(name: str | None) -> str:
    """A staff member's first name: the public pages never show a staff member's full name."""
    parts = (name or "").split()
    return parts[0] if parts else ""


@register.filter
def star_halves(average: float | None) -> int:
    """An average rating in half stars, 0 to 10, for the star meter (4.6 fills four and a half stars, not five)."""
    if average is None:
        return 0
    return max(0, min(10, round(float(average) * 2)))
