from django import template

register = template.Library()


@register.filter
def stars(count: int) -> str:
    """“★★★” for 3."""
    try:
        return "★" * max(0, min(5, int(count)))
    except (TypeError, ValueError):
        return ""
