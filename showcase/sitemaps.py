"""The sitemap of public pages: each business's showcase and its "How reviews work here"."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from businesses.models import Business

PAGES = ("showcase:page", "showcase:how-reviews-work")


class ShowcaseSitemap(Sitemap):
    """Absolute on SITE_URL, like every public link (no django.contrib.sites needed)."""

    changefreq = "daily"

    def items(self) -> list[tuple[str, str]]:
        slugs = Business.objects.filter(showcase_enabled=True).order_by("slug").values_list("slug", flat=True)
        return [(slug, name) for slug in slugs for name in PAGES]

    def location(self, item: tuple[str, str]) -> str:
        slug, name = item
        return reverse(name, kwargs={"slug": slug})

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme
