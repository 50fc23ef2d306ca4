"""Template filters of the public pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def first_name(name: str | None) -> str:
    """A staff member's first name: the public pages never show a staff member's full name."""
    parts = (name or "").split()
    return parts[0] if parts else ""
