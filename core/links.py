"""Absolute links, always built on SITE_URL (never on the incoming request's host)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def absolute_reverse(viewname: str, *args: Any, **kwargs: Any) -> str:
    return absolute_url(reverse(viewname, args=args or None, kwargs=kwargs or None))


def showcase_url(business) -> str:
    return absolute_reverse("showcase:page", slug=business.slug)


def widget_url(business) -> str:
    return absolute_reverse("showcase:widget", slug=business.slug)
