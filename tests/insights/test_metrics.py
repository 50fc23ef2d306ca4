"""Every figure against a fixture computed by hand."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from feedback.models import FeedbackRequest
from insights.metrics import figures, period_bounds
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def fixture(business):
    """Six external requests sent in the period, four answered; two internal; one outside.

    External answers: ratings 5, 4, 2, 5 → average 4.0, CSAT 3/4 = 0.75.
    Recommend scores: 10, 9, 3, (none) → 2 promoters, 1 detractor of 3 → NPS 33.3.
    Response rate 4/6 = 0.6667.
    """
    sent = NOW - timedelta(days=3)
    answers = [(5, 10), (4, 9), (2, 3), (5, None)]
    for rating, score in answers:
        FeedbackFactory(request__business=business, request__sent_at=sent, rating=rating, recommend_score=score)
    for _ in range(2):
        FeedbackRequestFactory(business=business, sent_at=sent)
    FeedbackFactory(
        request__business=business, request__sent_at=sent, request__internal=True, rating=1, recommend_score=0
    )
    FeedbackRequestFactory(business=business, sent_at=sent, internal=True)
    FeedbackFactory(request__business=business, request__sent_at=NOW - timedelta(days=60), rating=1)
    FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.SUPPRESSED, sent_at=None)
    return business


def test_external_figures_match_the_hand_computed_fixture(fixture):
    start, end = period_bounds(fixture, (NOW - timedelta(days=29)).date(), NOW.date())
    result = figures(business=fixture, start=start, end=end)
    assert (result.requests_sent, result.responses) == (6, 4)
    assert result.response_rate == 0.6667
    assert result.average_rating == 4.0
    assert result.csat == 0.75
    assert result.nps == 33.3
    assert result.distribution == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2}


def test_internal_feedback_is_reported_apart(fixture):
    start, end = period_bounds(fixture, (NOW - timedelta(days=29)).date(), NOW.date())
    internal = figures(business=fixture, start=start, end=end, internal=True)
    assert (internal.requests_sent, internal.responses, internal.average_rating, internal.nps) == (2, 1, 1.0, -100.0)


def test_a_period_nobody_answered_has_no_rates(business):
    start, end = period_bounds(business, NOW.date(), NOW.date())
    result = figures(business=business, start=start, end=end)
    assert result.as_dict() == {
        "requests_sent": 0,
        "responses": 0,
        "response_rate": None,
        "average_rating": None,
        "csat": None,
        "nps": None,
        "open_link_responses": 0,
    }


@time_machine.travel(NOW, tick=False)
def test_the_metrics_api_gives_the_same_figures(fixture, api_client):
    response = api_client.get("/api/v1/metrics/")
    assert response.status_code == 200
    body = response.json()
    assert body["since"] == "2026-10-22" and body["until"] == "2026-11-20"
    assert {
        key: body[key] for key in ("requests_sent", "responses", "response_rate", "average_rating", "csat", "nps")
    } == {"requests_sent": 6, "responses": 4, "response_rate": 0.6667, "average_rating": 4.0, "csat": 0.75, "nps": 33.3}
    assert body["internal"]["requests_sent"] == 2
    assert body["internal"]["average_rating"] == 1.0


@time_machine.travel(NOW, tick=False)
def test_the_metrics_api_dates_are_inclusive(fixture, api_client):
    day = (NOW - timedelta(days=3)).date().isoformat()
    assert api_client.get(f"/api/v1/metrics/?since={day}&until={day}").json()["requests_sent"] == 6
    before = (NOW - timedelta(days=4)).date().isoformat()
    assert api_client.get(f"/api/v1/metrics/?since={before}&until={before}").json()["requests_sent"] == 0


@pytest.mark.parametrize(
    "query, field",
    [("since=yesterday", "since"), ("until=2026-13-01", "until"), ("since=2026-11-10&until=2026-11-01", "since")],
)
def test_bad_dates_answer_400_naming_the_field(api_client, query, field):
    response = api_client.get(f"/api/v1/metrics/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_metrics_need_an_api_key(client):
    assert client.get("/api/v1/metrics/").status_code == 401


def test_complaints_from_internal_feedback_stay_out_of_the_complaint_figures(business):
    from feedback.services.responses import Answer, feedback_submit
    from insights.metrics import complaint_figures

    for internal in (False, True):
        request = FeedbackRequestFactory(business=business, internal=internal)
        feedback_submit(request_id=request.pk, answer=Answer(rating=1))
    start, end = period_bounds(business, (NOW - timedelta(days=400)).date(), (NOW + timedelta(days=400)).date())
    assert complaint_figures(business=business, start=start, end=end)["opened"] == 1


def test_the_weekly_series_gives_each_local_week_the_same_figures_as_that_week_alone():
    """Monday to Sunday in the business's zone, across the October clock change, in one grouped query."""
    from insights.metrics import weekly_series
    from tests.businesses.factories import BusinessFactory

    business = BusinessFactory(timezone="America/New_York")
    zone = ZoneInfo(business.timezone)
    # Either side of the local midnights that start the weeks of 26 Oct, 2 Nov (clocks back on 1 Nov) and 16 Nov.
    moments = [(2026, 10, 25, 23, 30), (2026, 10, 26, 0, 30), (2026, 11, 1, 23, 59), (2026, 11, 2, 0, 0)]
    moments += [(2026, 11, 16, 0, 5), (2026, 11, 22, 23, 55)]
    for index, moment in enumerate(moments):
        sent = datetime(*moment, tzinfo=zone)
        FeedbackFactory(request__business=business, request__sent_at=sent, rating=1 + index % 5, recommend_score=index)
        FeedbackRequestFactory(business=business, sent_at=sent)
    FeedbackFactory(
        request__business=business, request__sent_at=datetime(2026, 11, 3, tzinfo=zone), request__internal=True
    )

    series = weekly_series(business=business, weeks=6, until=NOW.date())

    assert [week["week"] for week in series] == [
        f"2026-{day}" for day in ("10-12", "10-19", "10-26", "11-02", "11-09", "11-16")
    ]
    for week in series:
        monday = datetime.fromisoformat(week["week"]).date()
        start, end = period_bounds(business, monday, monday + timedelta(days=6))
        assert week == {"week": week["week"], **figures(business=business, start=start, end=end).as_dict()}
    assert [week["requests_sent"] for week in series] == [0, 2, 4, 2, 0, 4]


@pytest.mark.parametrize(
    "query, field",
    [("until=9999-12-31", "until"), ("until=0001-01-05", "until"), ("since=0001-01-01&until=0001-01-05", "since")],
)
def test_dates_beyond_what_a_period_can_hold_answer_400_with_a_message(api_client, query, field):
    response = api_client.get(f"/api/v1/metrics/?{query}")

    assert response.status_code == 400
    assert response.json()[field] == ["Choose a date between 1900-01-01 and 2999-12-31."]


def test_a_date_given_empty_answers_400_instead_of_meaning_the_default(api_client):
    response = api_client.get("/api/v1/metrics/?until=")

    assert response.status_code == 400
    assert "until" in response.json()


@time_machine.travel(NOW, tick=False)
def test_a_ten_year_window_answers_with_every_request_sent_in_it(business, api_client, django_assert_max_num_queries):
    for years_ago, rating in [(9, 5), (5, 3), (1, 4)]:
        FeedbackFactory(
            request__business=business, request__sent_at=NOW - timedelta(days=365 * years_ago), rating=rating
        )
    FeedbackRequestFactory(business=business, sent_at=NOW - timedelta(days=365 * 11))  # before the window

    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/metrics/?since=2016-11-21&until=2026-11-20")

    assert response.status_code == 200
    body = response.json()
    assert (body["requests_sent"], body["responses"], body["average_rating"]) == (3, 3, 4.0)


@pytest.mark.parametrize("waits, median", [([10, 30, 20], 20.0), ([10, 40, 20, 30], 25.0), ([], None)])
def test_the_median_time_to_first_response_is_the_middle_wait(business, waits, median):
    from insights.metrics import complaint_figures
    from tests.reviews.factories import CaseFactory

    opened = NOW - timedelta(days=2)
    for minutes in waits:
        CaseFactory(business=business, opened_at=opened, first_response_at=opened + timedelta(minutes=minutes))
    CaseFactory(business=business, opened_at=opened)  # not answered yet: no wait to count

    start, end = period_bounds(business, (NOW - timedelta(days=5)).date(), NOW.date())
    figures_ = complaint_figures(business=business, start=start, end=end)

    assert figures_["median_minutes_to_first_response"] == median
    assert figures_["opened"] == len(waits) + 1
