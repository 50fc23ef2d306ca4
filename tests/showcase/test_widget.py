"""The embeddable widget (one script tag) and its iframe version."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from reviews.models import Review
from tests.showcase.helpers import HOSTILE_COMMENT, HOSTILE_NAME, rating_only, review

pytestmark = pytest.mark.django_db

RENDERER = Path(settings.BASE_DIR, "static", "js", "widget.js").read_text(encoding="utf-8")
PAYLOAD = re.compile(r"\}\)\((\{.*\})\);\n\Z", re.S)


def widget(business):
    return Client().get(f"/b/{business.slug}/widget.js")


def widget_data(business) -> dict:
    return json.loads(PAYLOAD.search(widget(business).content.decode()).group(1))


def test_the_widget_script_carries_the_summary_and_the_three_latest_reviews(business):
    review(business, rating=5, comment="Oldest, featured", featured=True)
    for n in range(4):
        review(business, rating=4, comment=f"Review {n}", display_name=f"Name {n}")
    review(business, rating=2, status=Review.Status.PENDING)
    rating_only(business, rating=1)

    data = widget_data(business)

    assert data["name"] == business.name
    assert data["url"] == f"https://raves.test/b/{business.slug}/?lang=en"  # the language the widget speaks
    assert (data["average"], data["count"]) == (3.43, 7)  # (5 + 4×4 + 2 + 1) / 7, every rating counted
    assert data["reviews"] == [
        {"rating": 4, "text": "Review 3", "name": "Name 3"},
        {"rating": 4, "text": "Review 2", "name": "Name 2"},
        {"rating": 4, "text": "Review 1", "name": "Name 1"},
    ]


def test_the_widget_script_is_javascript_any_site_may_load(business):
    response = widget(business)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "public" in response["Cache-Control"]


def test_hostile_review_data_cannot_close_a_script_element_and_comes_back_exactly(business):
    review(business, comment=HOSTILE_COMMENT, display_name=HOSTILE_NAME)
    business.name = "</script><script>alert(3)</script>"
    business.save()

    body = widget(business).content.decode()
    payload = PAYLOAD.search(body).group(1)

    assert "<" not in payload
    assert "</script" not in body.lower()
    assert "<img" not in body.lower()
    data = json.loads(payload)
    assert data["name"] == business.name
    assert data["reviews"][0] == {"rating": 5, "text": HOSTILE_COMMENT, "name": HOSTILE_NAME}


def test_the_widget_renders_with_text_only_and_reaches_no_other_site():
    code = re.sub(r"/\*.*?\*/", "", RENDERER, flags=re.S)  # comments may mention what the code never does

    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("):
        assert forbidden not in code
    for network in ("fetch(", "XMLHttpRequest", "http:", "https:", "import(", "src", "sendBeacon", "WebSocket"):
        assert network not in code
    assert "textContent" in code
    assert "attachShadow" in code


def test_the_widget_script_stays_under_five_kilobytes_compressed_with_the_longest_reviews(business):
    for n in range(3):
        review(business, comment=("Wonderful service, every detail was thought through. " * 20) + str(n))

    body = widget(business).content

    assert len(gzip.compress(body, compresslevel=9)) < 5 * 1024
    assert len(gzip.compress(body, compresslevel=6)) < 5 * 1024
    assert all(len(item["text"]) <= 280 for item in widget_data(business)["reviews"])


def test_the_embed_may_be_framed_by_any_site_but_allows_nothing_else(business):
    response = Client().get(f"/b/{business.slug}/embed/")

    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert response.status_code == 200
    assert policy["frame-ancestors"] == "*"
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert "X-Frame-Options" not in response
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_only_the_embed_route_may_be_framed(business):
    for path in (f"/b/{business.slug}/", f"/b/{business.slug}/how-reviews-work/", "/sitemap.xml"):
        response = Client().get(path)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path
        assert response["X-Frame-Options"] == "DENY", path


def test_the_embed_shows_the_badge_and_escapes_hostile_reviews(business):
    review(business, rating=4, comment=HOSTILE_COMMENT, display_name=HOSTILE_NAME)

    html = Client().get(f"/b/{business.slug}/embed/").content.decode()

    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<span class="avg">4.0<span class="sr-only"> out of 5</span></span>' in html
    assert "from 1 rating<" in html
    assert '<meta name="robots" content="noindex">' in html


def test_without_ratings_the_widget_and_embed_say_so(business):
    data = widget_data(business)
    assert data.pop("texts")["none"] == "No ratings yet"
    assert data | {"url": None, "name": None} == {
        "name": None,
        "url": None,
        "accent": "#1d4ed8",
        "average": None,
        "count": 0,
        "reviews": [],
    }
    assert "No ratings yet" in Client().get(f"/b/{business.slug}/embed/").content.decode()
