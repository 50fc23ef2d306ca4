"""The showcase, its "How reviews work here", the embed and the widget speak the visitor's language.

`?lang=` when the business offers it, else the browser's Accept-Language among the business's
languages, else the business's default; numbers and dates as the language writes them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from feedback.models import Feedback
from reviews.models import Review
from showcase.cache import forget_local
from tests.showcase.helpers import published_reviews_bulk, rating_only, review

pytestmark = pytest.mark.django_db

PAYLOAD = re.compile(r"\}\)\((\{.*\})\);\n\Z", re.S)


@pytest.fixture
def bakery(business):
    """Rated 4.6 from five ratings (one of them unpublished), in English and German, English by default."""
    business.name = "Corner Bakery"
    business.languages = ["en", "de"]
    business.default_language = "en"
    business.save()
    for rating in (5, 5, 4, 4):
        review(business, rating=rating, comment=f"Rated {rating}.")
    rating_only(business, rating=5)
    Review.objects.filter(business=business).update(published_at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    return business


def get(url: str, **extra):
    return Client().get(url, **extra)


def page(business, query: str = "", **extra):
    return get(f"/b/{business.slug}/{query}", **extra)


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_the_page_is_german_by_lang(bakery):
    response = page(bakery, "?lang=de")
    html = response.content.decode()

    assert response.status_code == 200
    assert html_lang(response) == "de"
    assert response["Content-Language"] == "de"
    assert "Was Kundinnen und Kunden sagen" in html
    assert "What customers say" not in html
    assert '<span class="average-number">4,6</span>' in html
    assert "aus 5 Bewertungen" in html
    assert "3. Dezember 2026" in html
    assert "Zu den Bewertungen springen" in html


def test_the_page_is_german_by_accept_language(bakery):
    response = page(bakery, HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en;q=0.5")

    assert html_lang(response) == "de"
    assert response["Content-Language"] == "de"
    assert "Accept-Language" in response["Vary"]
    assert "4,6" in response.content.decode()


def test_the_page_is_english_by_default_with_decimals_and_dates_in_english(bakery):
    response = page(bakery)
    html = response.content.decode()

    assert html_lang(response) == "en"
    assert response["Content-Language"] == "en"
    assert '<span class="average-number">4.6</span>' in html
    assert "from 5 ratings" in html
    assert "3 December 2026" in html


def test_the_plural_is_right_in_german(business):
    business.languages = ["en", "de"]
    business.save()
    review(business, rating=4)

    html = page(business, "?lang=de").content.decode()

    assert "aus 1 Bewertung<" in html
    assert "1 Bewertungen" not in html


def test_an_english_visitor_after_a_german_one_gets_english_from_the_cache(bakery):
    assert "Was Kundinnen und Kunden sagen" in page(bakery, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Was Kundinnen und Kunden sagen" in page(bakery, "?lang=de").content.decode()

    english = page(bakery, HTTP_ACCEPT_LANGUAGE="en-GB")
    assert "What customers say" in english.content.decode()
    assert html_lang(english) == "en"
    # The same holds across processes: what this process remembers is forgotten, Redis is asked.
    forget_local()
    assert "What customers say" in page(bakery).content.decode()
    assert "Was Kundinnen und Kunden sagen" in page(bakery, "?lang=de").content.decode()


@pytest.mark.parametrize("path", ["/b/{slug}/how-reviews-work/", "/b/{slug}/embed/", "/b/{slug}/widget.js"])
def test_every_public_answer_is_cached_per_language(bakery, path):
    url = path.format(slug=bakery.slug)
    german = get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    forget_local()
    german_again = get(url + "?lang=de").content.decode()

    assert german != english
    assert german_again == german
    assert "Bewertungen" in german
    assert "Bewertungen" not in english


def test_hreflang_alternates_and_canonical_per_language(bakery):
    base = f"https://raves.test/b/{bakery.slug}/"
    english = page(bakery).content.decode()
    german = page(bakery, "?lang=de").content.decode()

    for html in (english, german):
        assert f'<link rel="alternate" hreflang="en" href="{base}">' in html
        assert f'<link rel="alternate" hreflang="de" href="{base}?lang=de">' in html
        assert f'<link rel="alternate" hreflang="x-default" href="{base}">' in html
    assert f'<link rel="canonical" href="{base}">' in english
    assert f'<link rel="canonical" href="{base}?lang=de">' in german
    # The German page's own links (filters, pages, how reviews work) stay German.
    assert f'href="/b/{bakery.slug}/?stars=5&amp;lang=de#reviews"' in german
    assert f'href="/b/{bakery.slug}/how-reviews-work/?lang=de"' in german


def test_the_language_switcher_links_each_language(bakery):
    html = page(bakery, "?lang=de&stars=4").content.decode()

    assert '<span aria-current="true" lang="de">Deutsch</span>' in html
    # The default language named too: a bare link would let the browser's language choose again.
    assert f'<a href="/b/{bakery.slug}/?stars=4&amp;lang=en" hreflang="en" lang="en">English</a>' in html


def showcase_links(html: str, business) -> list[str]:
    """The addresses of the links a visitor follows to the business's public pages in the same language
    (not the head's <link>s, nor the language switcher's links to the other languages)."""
    anchors = re.findall(r"<a [^>]*>", html)
    hrefs = [unescape(re.search(r'href="([^"]+)"', a).group(1)) for a in anchors if "hreflang=" not in a]
    return [href for href in hrefs if urlsplit(href).path.startswith(f"/b/{business.slug}/")]


def lang_of(href: str) -> list[str]:
    return parse_qs(urlsplit(href).query).get("lang", [])


def test_a_german_browser_can_switch_to_english_and_stay_there(bakery):
    published_reviews_bulk(bakery, 12)  # two pages of reviews
    review(bakery, rating=3, comment="Through the QR code.", verified=False)  # so the page offers "verified only"
    Feedback.objects.filter(review__verified=False).update(verified=False)
    german = page(bakery, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    [english_link] = re.findall(r'<a href="([^"]+)" hreflang="en" lang="en">English</a>', german)

    english = Client().get(unescape(english_link), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    html = english.content.decode()

    assert english["Content-Language"] == "en"
    assert "What customers say" in html
    links = showcase_links(html, bakery)
    pager = re.search(r'<a href="([^"]+)" rel="next">', html).group(1)
    verified = re.search(r'<a href="([^"]+)" [^>]*>✓ Verified customers only', html).group(1)
    four_stars = re.search(r'<a href="([^"]+)" [^>]*aria-label="4 stars"', html).group(1)
    how = re.search(r'<a href="([^"]+)">How reviews work here', html).group(1)
    for link in (pager, verified, four_stars, how):
        assert unescape(link) in links
    assert len(links) > 10  # chips, sorts, pages, how reviews work
    assert all(lang_of(link) == ["en"] for link in links), links
    # And each of them, followed by the German browser, is English again.
    for link in (pager, verified, four_stars, how):
        followed = Client().get(unescape(link).split("#")[0], HTTP_ACCEPT_LANGUAGE="de")
        assert followed["Content-Language"] == "en"
        assert all(lang_of(href) == ["en"] for href in showcase_links(followed.content.decode(), bakery))


def test_how_reviews_work_and_the_embed_keep_the_default_language_in_their_links(bakery):
    how = get(f"/b/{bakery.slug}/how-reviews-work/?lang=en", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    embed = get(f"/b/{bakery.slug}/embed/?lang=en", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert f'href="/b/{bakery.slug}/?lang=en">Back to Corner Bakery' in how
    assert f'<a href="/b/{bakery.slug}/how-reviews-work/?lang=en" hreflang="en" lang="en">English</a>' not in how
    assert f'<a href="/b/{bakery.slug}/how-reviews-work/?lang=de" hreflang="de" lang="de">Deutsch</a>' in how
    assert f'href="https://raves.test/b/{bakery.slug}/?lang=en"' in embed
    # The canonical address of the default language stays bare.
    assert f'<link rel="canonical" href="https://raves.test/b/{bakery.slug}/how-reviews-work/">' in how


def test_the_canonical_and_head_links_of_the_default_language_stay_bare(bakery):
    published_reviews_bulk(bakery, 12)
    base = f"https://raves.test/b/{bakery.slug}/"

    html = page(bakery, "?lang=en&page=2").content.decode()

    assert f'<link rel="canonical" href="{base}?page=2">' in html
    assert f'<link rel="prev" href="{base}">' in html
    assert f'<link rel="alternate" hreflang="en" href="{base}?page=2">' in html
    assert f'<link rel="alternate" hreflang="x-default" href="{base}?page=2">' in html
    assert f'<link rel="alternate" hreflang="de" href="{base}?page=2&amp;lang=de">' in html
    assert f'<p class="print-only">{base}</p>' in html
    assert f'href="/b/{bakery.slug}/?lang=en#reviews" rel="prev"' in html


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_business_with_one_language_keeps_its_links_bare(bakery, language):
    bakery.languages = [language]
    bakery.default_language = language
    bakery.save()
    published_reviews_bulk(bakery, 12)

    html = page(bakery, HTTP_ACCEPT_LANGUAGE="de,en").content.decode()
    how = get(f"/b/{bakery.slug}/how-reviews-work/").content.decode()
    embed = get(f"/b/{bakery.slug}/embed/").content.decode()
    widget = json.loads(PAYLOAD.search(get(f"/b/{bakery.slug}/widget.js").content.decode()).group(1))

    links = showcase_links(html, bakery) + showcase_links(how, bakery)
    assert len(links) > 10
    assert "lang=" not in " ".join(links)
    assert f'href="https://raves.test/b/{bakery.slug}/"' in embed
    assert widget["url"] == f"https://raves.test/b/{bakery.slug}/"


@pytest.mark.parametrize("path", ["/b/{slug}/", "/b/{slug}/how-reviews-work/", "/b/{slug}/embed/"])
def test_a_cached_page_links_in_its_own_language_however_the_language_was_chosen(bakery, path):
    url = path.format(slug=bakery.slug)
    visits = [
        ("", {"HTTP_ACCEPT_LANGUAGE": "de"}, "de"),
        ("?lang=en", {"HTTP_ACCEPT_LANGUAGE": "de"}, "en"),
        ("", {"HTTP_ACCEPT_LANGUAGE": "en"}, "en"),
        ("?lang=de", {}, "de"),
        ("", {}, "en"),
    ]
    for round_ in range(2):  # computed, then from the cache (this process's, then Redis)
        for query, headers, language in visits:
            response = get(url + query, **headers)
            links = showcase_links(response.content.decode(), bakery)

            assert response["Content-Language"] == language
            assert links
            assert all(lang_of(link) == [language] for link in links), (round_, query, links)
        forget_local()


def test_a_business_with_one_language_has_no_switcher_no_alternates_and_no_vary(bakery):
    bakery.languages = ["de"]
    bakery.default_language = "de"
    bakery.save()

    response = page(bakery, "?lang=en", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()

    assert response["Content-Language"] == "de"
    assert "Accept-Language" not in response.get("Vary", "")
    assert "language-switch" not in html
    assert "hreflang" not in html
    assert f'<link rel="canonical" href="https://raves.test/b/{bakery.slug}/">' in html
    assert "4,6" in html


@pytest.mark.parametrize("lang", ["fr", "xx", "<script>", "de&stars=5", "../de", "DE"])
def test_a_language_the_business_does_not_offer_is_ignored_and_not_echoed(bakery, lang):
    response = Client().get(f"/b/{bakery.slug}/", {"lang": lang})
    html = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "What customers say" in html
    assert "lang=" + lang not in html
    assert lang not in re.findall(r'href="([^"]*)"', html)


def test_a_language_the_business_does_not_offer_falls_back_to_its_default(bakery):
    bakery.languages = ["en"]
    bakery.save()

    response = page(bakery, "?lang=de", HTTP_ACCEPT_LANGUAGE="de")

    assert response["Content-Language"] == "en"
    assert "What customers say" in response.content.decode()


def test_a_german_business_speaks_german_to_a_visitor_without_preference(bakery):
    bakery.default_language = "de"
    bakery.save()
    base = f"https://raves.test/b/{bakery.slug}/"

    german = page(bakery).content.decode()
    english = page(bakery, "?lang=en").content.decode()

    assert "Was Kundinnen und Kunden sagen" in german
    assert f'<link rel="canonical" href="{base}">' in german
    assert f'<link rel="canonical" href="{base}?lang=en">' in english
    assert f'<link rel="alternate" hreflang="x-default" href="{base}">' in english


def test_how_reviews_work_in_german(bakery):
    response = get(f"/b/{bakery.slug}/how-reviews-work/?lang=de")
    html = response.content.decode()

    assert response["Content-Language"] == "de"
    assert html_lang(response) == "de"
    assert "So funktionieren Bewertungen bei Corner Bakery" in html
    assert "Jede Bewertung zählt" in html
    assert f'href="/b/{bakery.slug}/?lang=de">Zurück zu Corner Bakery' in html
    assert f'<link rel="canonical" href="https://raves.test/b/{bakery.slug}/how-reviews-work/?lang=de">' in html


def test_the_embed_in_german(bakery):
    response = get(f"/b/{bakery.slug}/embed/?lang=de")
    html = response.content.decode()

    assert response["Content-Language"] == "de"
    assert html_lang(response) == "de"
    assert '<span class="avg">4,6<span class="sr-only"> von 5</span></span>' in html
    assert "aus 5 Bewertungen" in html
    assert f'href="https://raves.test/b/{bakery.slug}/?lang=de"' in html
    assert "Alle Bewertungen für Corner Bakery lesen" in html


def test_the_widget_in_german(bakery):
    response = get(f"/b/{bakery.slug}/widget.js", HTTP_ACCEPT_LANGUAGE="de")
    data = json.loads(PAYLOAD.search(response.content.decode()).group(1))

    assert response["Content-Language"] == "de"
    assert "Accept-Language" in response["Vary"]
    assert data["average"] == 4.6  # the number itself stays a number
    assert data["url"] == f"https://raves.test/b/{bakery.slug}/?lang=de"
    assert data["texts"]["lang"] == "de"
    assert data["texts"]["average"] == "4,6"
    assert data["texts"]["count"] == "aus 5 Bewertungen"
    assert data["texts"]["readAll"] == "Alle Bewertungen für Corner Bakery lesen"
    assert data["texts"]["stars"]["1"] == "1 von 5 Sternen"


def test_the_sitemap_lists_each_language(bakery, other_business):
    other_business.languages = ["en"]
    other_business.save()

    xml = get("/sitemap.xml").content.decode()

    for path in (f"/b/{bakery.slug}/", f"/b/{bakery.slug}/how-reviews-work/"):
        assert f"<loc>https://raves.test{path}</loc>" in xml
        assert f"<loc>https://raves.test{path}?lang=de</loc>" in xml
    assert f"<loc>https://raves.test/b/{other_business.slug}/</loc>" in xml
    assert f"/b/{other_business.slug}/?lang=" not in xml


@pytest.mark.parametrize(
    "path", ["/b/{slug}/", "/b/{slug}/how-reviews-work/", "/b/{slug}/embed/", "/b/{slug}/widget.js"]
)
def test_german_costs_no_more_queries_than_english(bakery, path):
    url = path.format(slug=bakery.slug)

    def queries(**extra) -> int:
        cache.clear()
        forget_local()
        with CaptureQueriesContext(connection) as captured:
            assert get(url, **extra).status_code == 200
        return len(captured)

    assert queries(HTTP_ACCEPT_LANGUAGE="de") == queries()
