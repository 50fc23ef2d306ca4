"""Reads for the public pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from businesses.models import Business


def business_get_public(*, slug: str) -> Business:
    """The business behind a public page; 404 when unknown or when it switched its page off."""
    return get_object_or_404(Business, slug=slug, showcase_enabled=True)
