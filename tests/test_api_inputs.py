"""Malformed query strings and bodies answer 400 or 404 naming the problem, never 500 or a guess.

Run them on PostgreSQL too (DATABASE_URL=postgres://...): it refuses some timestamps SQLite stores.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from businesses.models import StaffMember
from feedback.models import FeedbackRequest
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_an_offset_postgresql_refuses_is_read_as_the_instant_it_names(api_client, business):
    # 0954-05-04T05:00:28+22:16 is 0954-05-03T06:44:28 UTC; PostgreSQL refuses offsets beyond ±15:59.
    request = FeedbackRequestFactory(business=business)
    FeedbackRequest.objects.filter(pk=request.pk).update(created_at=datetime(954, 5, 3, 7, tzinfo=UTC))

    after = api_client.get("/api/v1/feedback-requests/", {"created_after": "0954-05-04T05:00:28+22:16"})
    before = api_client.get("/api/v1/feedback-requests/", {"created_before": "0954-05-04T05:00:28+22:16"})

    assert ids(after) == [request.pk]
    assert ids(before) == []


@pytest.mark.parametrize(
    "moment, expected",
    [("0001-01-01T00:00:00+05:00", "all"), ("9999-12-31T23:00:00-05:00", "none")],
)
def test_a_moment_beyond_the_first_or_last_representable_instant_filters_as_its_edge(
    api_client, business, moment, expected
):
    request = FeedbackRequestFactory(business=business)

    found = ids(api_client.get("/api/v1/feedback-requests/", {"created_after": moment}))

    assert found == ([request.pk] if expected == "all" else [])


@pytest.mark.parametrize(
    "path, query, parameter",
    [
        ("/api/v1/staff/", "active=-305", "active"),
        ("/api/v1/staff/", "wants_digest=yes-please", "wants_digest"),
        ("/api/v1/staff/", "active=", "active"),
        ("/api/v1/cases/", "status=", "status"),
        ("/api/v1/cases/", "overdue=", "overdue"),
        ("/api/v1/feedback-requests/", "created_after=", "created_after"),
        ("/api/v1/feedback-requests/", "created_after=2026-01-01T00:00:00%2B24:00", "created_after"),
        ("/api/v1/reviews/", "page_size=false", "page_size"),
        ("/api/v1/reviews/", "page_size=0", "page_size"),
    ],
)
def test_a_malformed_parameter_answers_400_naming_it(api_client, path, query, parameter):
    response = api_client.get(f"{path}?{query}")

    assert response.status_code == 400
    assert parameter in response.json()


def test_an_empty_text_filter_still_means_any(api_client, business):
    request = FeedbackRequestFactory(business=business)

    assert ids(api_client.get("/api/v1/feedback-requests/?reference=")) == [request.pk]


def test_an_address_under_the_api_that_names_no_endpoint_answers_json_404(api_client):
    response = api_client.get("/api/v1/cases/0.5/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": 0, "email": "zero@example.com"}, "name"),
        ({"name": "Zed", "email": "z@example.com", "active": 0}, "active"),
    ],
)
def test_a_json_value_of_the_wrong_type_is_refused_not_converted(api_client, business, body, field):
    response = api_client.post("/api/v1/staff/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not StaffMember.objects.filter(business=business).exists()


def test_a_feedback_request_with_a_number_for_a_flag_is_refused(api_client, business):
    StaffMemberFactory(business=business, email="maya@example.com")
    body = {"customer": {"email": "ana@example.com"}, "internal": 0}

    response = api_client.post("/api/v1/feedback-requests/", body, format="json")

    assert response.status_code == 400
    assert not FeedbackRequest.objects.exists()


@pytest.mark.parametrize("query", ["page=", "page=abc", "page=0", "page=last", "page_size=-5", "page=²"])
def test_a_malformed_page_answers_400_naming_it(api_client, query):
    response = api_client.get(f"/api/v1/reviews/?{query}")

    assert response.status_code == 400
    assert set(response.json()) <= {"page", "page_size"}


@pytest.mark.parametrize("page", ["2", "10000000000000000001", "9" * 5000])
def test_a_page_beyond_the_last_is_not_found(api_client, page):
    assert api_client.get(f"/api/v1/reviews/?page={page}").status_code == 404


def test_a_page_size_beyond_the_largest_gives_the_largest_page(api_client):
    response = api_client.get(f"/api/v1/reviews/?page_size={'9' * 5000}")

    assert response.status_code == 200
