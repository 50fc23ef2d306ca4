"""Template filters of the owner's dashboard: figures written as the reader's language writes them."""

from __future__ import annotations

from django import template

from insights.emails import percent as percent_text

register = template.Library()


@register.filter
def percent(fraction: float | None) -> str:
    """0.91 -> "91%" in English, "91 %" in German; "—" when there is no figure."""
    return percent_text(fraction)
