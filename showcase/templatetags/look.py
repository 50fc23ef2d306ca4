"""The business's accent colour in pages and emails, validated on the way out (showcase/look.py)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from businesses.models import DEFAULT_ACCENT_COLOR
from showcase.look import accent_color

register = template.Library()


@register.simple_tag
def accent_stylesheet(business: object) -> str:
    """The <link> to the business's colours; nothing for the default ones, which raves.css holds."""
    accent = accent_color(getattr(business, "accent_color", None))
    if accent == DEFAULT_ACCENT_COLOR:
        return ""
    return format_html('<link rel="stylesheet" href="{}">', reverse("showcase:accent", kwargs={"color": accent[1:]}))


@register.filter
def accent(value: object) -> str:
    """A colour for an email's style attribute: the value when it is a valid accent, else the default."""
    return accent_color(value)
