"""The public JSON: /api/v1/public/{slug}/summary/ and /reviews/ — no key, any site, cached, with ETags."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from reviews.models import Review
from reviews.services.moderation import Actor, review_publish, review_reply
from tests.reviews.factories import answer
from tests.showcase.helpers import HOSTILE_COMMENT, HOSTILE_NAME, published_reviews_bulk, rating_only, review

pytestmark = pytest.mark.django_db


def summary_url(business) -> str:
    return f"/api/v1/public/{business.slug}/summary/"


def reviews_url(business, query: str = "") -> str:
    return f"/api/v1/public/{business.slug}/reviews/{query}"


def test_the_summary_counts_every_rating_received_but_not_internal_feedback(business):
    review(business, rating=5)
    review(business, rating=4, status=Review.Status.PENDING)
    review(business, rating=1, status=Review.Status.REJECTED, rejection_reason="offensive")
    rating_only(business, rating=2)
    rating_only(business, rating=1, internal=True)

    body = Client().get(summary_url(business)).json()

    assert body == {
        "average_rating": 3.0,
        "rating_count": 4,
        "verified_count": 4,
        "distribution": {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1},
    }


def test_the_summary_of_a_business_without_ratings_has_no_average(business):
    assert Client().get(summary_url(business)).json() == {
        "average_rating": None,
        "rating_count": 0,
        "verified_count": 0,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }


def test_reviews_come_newest_first_twenty_a_page_with_absolute_links(business):
    published_reviews_bulk(business, 45)
    review(business, comment="Featured but old", featured=True, published_at=None)
    Review.objects.filter(feedback__comment="Featured but old").update(published_at="2020-01-01T00:00:00Z")

    first = Client().get(reviews_url(business)).json()
    second = Client().get(first["next"].removeprefix("https://raves.test")).json()

    assert first["count"] == 46
    assert first["previous"] is None
    assert first["next"] == f"https://raves.test/api/v1/public/{business.slug}/reviews/?page=2"
    assert [item["comment"] for item in first["results"][:2]] == [
        "Bulk review number 44: the team was helpful.",
        "Bulk review number 43: the team was helpful.",
    ]
    assert len(first["results"]) == 20
    assert second["previous"] == f"https://raves.test/api/v1/public/{business.slug}/reviews/?page=1"
    assert second["results"][0]["comment"] == "Bulk review number 24: the team was helpful."


def test_a_review_shows_what_the_public_may_see_and_nothing_personal(business):
    review(business, rating=4, comment="Good", display_name="Sam K.", reply="Thanks!")

    item = Client().get(reviews_url(business)).json()["results"][0]

    assert set(item) == {
        "id",
        "rating",
        "comment",
        "display_name",
        "staff",
        "reply",
        "replied_at",
        "created_at",
        "verified",
        "from_team_member",
        "featured",
    }
    assert (item["rating"], item["comment"], item["display_name"], item["reply"]) == (4, "Good", "Sam K.", "Thanks!")
    assert "@" not in json.dumps(item)


def test_page_size_goes_up_to_one_hundred(business):
    published_reviews_bulk(business, 120)

    assert len(Client().get(reviews_url(business, "?page_size=50")).json()["results"]) == 50
    big = Client().get(reviews_url(business, "?page_size=500")).json()
    assert len(big["results"]) == 100
    assert big["next"].endswith("?page=2&page_size=100")


@pytest.mark.parametrize("garbage", ["abc", "0", "-2", "²", "1e3", ""])
def test_a_garbage_page_or_page_size_falls_back_to_the_default(business, garbage):
    published_reviews_bulk(business, 25)

    body = Client().get(reviews_url(business, f"?page={garbage}&page_size={garbage}")).json()

    assert body["previous"] is None
    assert len(body["results"]) == 20


def test_a_page_beyond_the_last_is_not_found(business):
    published_reviews_bulk(business, 5)

    assert Client().get(reviews_url(business, "?page=2")).status_code == 404


def test_hostile_comments_and_names_come_back_exactly_as_json_and_never_as_html(business):
    review(business, comment=HOSTILE_COMMENT, display_name=HOSTILE_NAME)

    response = Client().get(reviews_url(business))

    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    item = response.json()["results"][0]
    assert (item["comment"], item["display_name"]) == (HOSTILE_COMMENT, HOSTILE_NAME)


@pytest.mark.parametrize("url", [summary_url, reviews_url])
def test_any_site_may_read_the_public_json(business, url):
    with_origin = Client().get(url(business), HTTP_ORIGIN="https://shop.example")
    without_origin = Client().get(url(business))

    assert with_origin["Access-Control-Allow-Origin"] == "*"
    # Also without an Origin: a shared cache may hand this very answer to a cross-site fetch.
    assert without_origin["Access-Control-Allow-Origin"] == "*"
    assert "public" in with_origin["Cache-Control"]


def test_a_preflight_for_the_public_json_is_allowed(business):
    response = Client().options(
        reviews_url(business), HTTP_ORIGIN="https://shop.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_keyed_api_is_not_readable_from_other_sites(business, api_client):
    response = api_client.get("/api/v1/reviews/", HTTP_ORIGIN="https://shop.example")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("url", [summary_url, reviews_url])
def test_a_matching_if_none_match_answers_304_and_a_change_gives_a_new_etag(
    business, url, django_capture_on_commit_callbacks
):
    pending = review(business, status=Review.Status.PENDING)
    first = Client().get(url(business))
    etag = first["ETag"]

    again = Client().get(url(business), HTTP_IF_NONE_MATCH=etag, HTTP_ORIGIN="https://shop.example")
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"
    assert Client().get(url(business), HTTP_IF_NONE_MATCH='"something-else"').status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        if url is summary_url:
            answer(business=business, rating=1, consent=False)  # a new private rating changes the summary
        else:
            review_publish(review=pending, actor=Actor("owner"))
    changed = Client().get(url(business), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_reply_changes_the_public_reviews(business, django_capture_on_commit_callbacks):
    published = review(business)
    assert Client().get(reviews_url(business)).json()["results"][0]["reply"] == ""

    with django_capture_on_commit_callbacks(execute=True):
        review_reply(review=published, text="We are glad!", actor=Actor("owner"))

    assert Client().get(reviews_url(business)).json()["results"][0]["reply"] == "We are glad!"


def test_the_public_json_needs_no_key_and_ignores_one(business):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key not-a-real-key")

    assert client.get(summary_url(business)).status_code == 200


def test_the_schema_documents_the_public_endpoints_without_a_key():
    schema = Client().get("/api/schema/?format=json").json()

    for path in ("/api/v1/public/{slug}/reviews/", "/api/v1/public/{slug}/summary/"):
        operation = schema["paths"][path]["get"]
        assert operation.get("security") in ([], [{}])
