"""The internal figures per team served: one query, on the dashboard and in the metrics API's `internal`.

A hand-computed period: Finance was sent 3 internal requests, answered 5, 4 and 2 (average 3.67,
CSAT 2 of 3); IT 2, answered 5 (average 5, CSAT 1); one internal request named no team, unanswered.
Customers' (external) requests and another business's teams must change nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from insights.metrics import period_bounds, team_table
from tests.businesses.factories import BusinessFactory, api_key_for
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory

pytestmark = pytest.mark.django_db

FINANCE = {"team": "Finance", "requests": 3, "responses": 3, "average_rating": 3.67, "csat": 0.6667}
IT = {"team": "IT", "requests": 2, "responses": 1, "average_rating": 5.0, "csat": 1.0}
NO_TEAM = {"team": "", "requests": 1, "responses": 0, "average_rating": None, "csat": None}


def internal(business, team: str, rating: int | None = None, **fields):
    request = FeedbackRequestFactory(
        business=business, internal=True, team=team, sent_at=timezone.now() - timedelta(days=2), **fields
    )
    if rating is not None:
        FeedbackFactory(request=request, rating=rating)
    return request


@pytest.fixture
def teams(business):
    for rating in (5, 4, 2):
        internal(business, "Finance", rating)
    internal(business, "IT", 5)
    internal(business, "IT")
    internal(business, "")
    # A customer's answer is not internal; an internal request sent long ago is out of the period.
    FeedbackFactory(request=FeedbackRequestFactory(business=business), rating=1)
    old = internal(business, "Finance", 1)
    type(old).objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=90))
    other = BusinessFactory()
    internal(other, "Finance", 1)
    internal(other, "Secret Team", 3)


def this_month(business):
    today = timezone.localdate()
    return period_bounds(business, today - timedelta(days=29), today)


def test_each_team_s_figures_are_exact_in_one_query(business, teams, django_assert_num_queries):
    start, end = this_month(business)
    with django_assert_num_queries(1):
        rows = team_table(business=business, start=start, end=end)
    assert rows == [FINANCE, IT, NO_TEAM]


def test_a_period_without_internal_requests_has_no_teams(business):
    FeedbackFactory(request=FeedbackRequestFactory(business=business), rating=5)
    assert team_table(business=business, start=timezone.now() - timedelta(days=3), end=timezone.now()) == []


def test_the_query_count_does_not_grow_with_teams(business, django_assert_num_queries):
    for n in range(25):
        internal(business, f"Team {n}", 1 + n % 5)
    start, end = this_month(business)
    with django_assert_num_queries(1):
        assert len(team_table(business=business, start=start, end=end)) == 25


def test_the_dashboard_shows_the_teams_in_its_internal_section(client, owner, business, teams):
    client.force_login(owner)
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200
    assert response.context["dashboard"].teams == [FINANCE, IT, NO_TEAM]
    html = response.content.decode()
    section = html[html.index('id="internal-heading"') :]
    assert "By team served" in section
    assert '<th scope="row">Finance</th><td>3</td><td>3</td><td>3.67</td><td>67%</td>' in section
    assert "No team given" in section
    assert "Secret Team" not in html


def test_the_metrics_api_lists_the_teams_under_internal(business, teams):
    response = Client().get("/api/v1/metrics/", HTTP_AUTHORIZATION=f"Api-Key {api_key_for(business)}")
    assert response.status_code == 200
    body = response.json()
    assert body["internal"]["teams"] == [FINANCE, IT, NO_TEAM]
    assert "teams" not in body  # the top level is customers' figures only
    assert "Secret Team" not in response.content.decode()


def test_the_schema_documents_the_teams(api_client):
    schema = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    internal_ref = schema["Metrics"]["properties"]["internal"]
    name = (internal_ref.get("$ref") or internal_ref["allOf"][0]["$ref"]).rsplit("/", 1)[1]
    teams = schema[name]["properties"]["teams"]
    assert teams["type"] == "array"
    team = schema[teams["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(team["properties"]) == {"team", "requests", "responses", "average_rating", "csat"}
    assert "team" in schema["FeedbackRequestInput"]["properties"]
