"""The sitemap of public pages: each business's showcase and its "How reviews work here", in each
language the business offers (the default language's URL carries no ?lang)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils.http import urlencode

from businesses.models import Business

PAGES = ("showcase:page", "showcase:how-reviews-work")


class ShowcaseSitemap(Sitemap):
    """Absolute on SITE_URL, like every public link (no django.contrib.sites needed)."""

    changefreq = "daily"

    def items(self) -> list[tuple[str, str, str]]:
        """(slug, page, ?lang value) of every public page, "" for the business's default language."""
        businesses = (
            Business.objects.filter(showcase_enabled=True)
            .order_by("slug")
            .only("slug", "languages", "default_language")
        )
        items = []
        for business in businesses:
            default = business.customer_language()
            languages = [""] + [code for code in business.offered_languages() if code != default]
            items += [(business.slug, name, lang) for name in PAGES for lang in languages]
        return items

    def location(self, item: tuple[str, str, str]) -> str:
        slug, name, lang = item
        url = reverse(name, kwargs={"slug": slug})
        return f"{url}?{urlencode({'lang': lang})}" if lang else url

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme
