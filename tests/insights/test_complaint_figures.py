"""The complaint figures — cases opened, the two medians, the recovery rate, the causes — computed by hand
on one fixture, and shown alike by the metrics API, the dashboard and the weekly email."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client

from businesses.models import Weekday
from feedback.models import Feedback
from insights import tasks
from insights.metrics import case_causes, complaint_figures, period_bounds
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.services.cases import case_follow_up_send, case_update
from reviews.services.conversation import case_message_send
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory, api_key_for
from tests.feedback.factories import FeedbackRequestFactory
from tests.reviews.factories import answer

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")  # London is on GMT in November: local times below are UTC times too
SINCE, UNTIL = "2026-11-09", "2026-11-15"  # the digest's week, Monday to Sunday
DIGEST_SENT = datetime(2026, 11, 16, 9, tzinfo=UTC)
EXPECTED = {
    "cases_opened": 5,
    "median_first_response_minutes": 45.0,
    "median_resolution_hours": 24.0,
    "recovery_rate": 0.5,
}
EXPECTED_CAUSES = [
    {"cause": "waiting_time", "label": "Waiting time", "count": 2, "previous": 0},
    {"cause": "staff_manner", "label": "Staff manner", "count": 1, "previous": 2},
]


@pytest.fixture
def complaints_week(time_machine):
    """Complaints of the week Mon 9 – Sun 15 Nov 2026 (and two of the week before), through the real flow.

    The first response is the first message or logged call to the customer; a note is not one.
    The week before: P1 (1★) and P2 (2★) opened on 2 Nov, called and resolved 3 and 4 Nov as "staff
      manner" (the calls are their first responses: 24 h and 48 h, medians 36 h).
    This week, five cases opened:
      A 1★ Mon 10:00, call at 10:30 (30 min), resolved Tue 10:00 (24 h) "waiting time",
        asked "did we make it right?", re-rated 4★: higher;
      B 2★ Mon 12:00, call at 13:00 (60 min), resolved Mon 18:00 (6 h) "waiting time",
        asked, re-rated 1★: lower;
      C 1★ Tue 09:00, message at 11:00 (120 min), resolved Thu 09:00 (48 h) "staff manner",
        asked, never re-rated;
      D 1★ Wed 10:00, call at 10:10 (10 min), still open; the customer edited to 3★ before any
        "did we make it right?": not a re-rating after the follow-up;
      E 2★ Wed 11:00, only a note at 11:05 (the team's memo): no first response.
    Opened 5; first response median of 10, 30, 60, 120 = 45 min; resolution median of 6, 24, 48 = 24 h;
    re-rated after the follow-up: A and B, higher: A — recovery 1/2 = 0.5.
    Causes resolved this week: waiting time 2 (+2 on 0), staff manner 1 (−1 on 2).
    """
    business = BusinessFactory(
        name="Harbour Café", timezone="Europe/London", digest_weekday=Weekday.MONDAY, digest_hour=9
    )
    StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@harbour.example")
    owner = MembershipFactory(business=business).user

    def at(day: int, hour: int, minute: int = 0) -> None:
        time_machine.move_to(datetime(2026, 11, day, hour, minute, tzinfo=UTC), tick=False)

    def complain(name: str, rating: int) -> Feedback:
        request = FeedbackRequestFactory(business=business, customer__name=name)
        return answer(business=business, rating=rating, comment="Not good.", consent=False, request=request)

    def call(feedback: Feedback) -> None:
        case_message_send(case=feedback.case, author=owner, body="Called the customer.", kind="call")

    def write(feedback: Feedback) -> None:
        case_message_send(case=feedback.case, author=owner, body="We are sorry; how can we make it right?")

    def resolve(feedback: Feedback, cause: str) -> None:
        case_update(case=feedback.case, actor=owner, status="resolved", resolution="Made it right.", cause=cause)

    def re_rate(feedback: Feedback, rating: int) -> None:
        answer(business=business, rating=rating, comment="Thanks for calling.", consent=False, request=feedback.request)

    at(2, 10)
    p1, p2 = complain("Pat One", 1), complain("Pat Two", 2)
    at(3, 10)
    call(p1)
    resolve(p1, "staff_manner")
    at(4, 10)
    call(p2)
    resolve(p2, "staff_manner")

    at(9, 10)
    a = complain("Ana Silva", 1)
    at(9, 10, 30)
    call(a)
    at(9, 12)
    b = complain("Ben Okafor", 2)
    at(9, 13)
    call(b)
    at(9, 18)
    resolve(b, "waiting_time")
    at(10, 9)
    c = complain("Cleo Park", 1)
    at(10, 10)
    resolve(a, "waiting_time")
    at(10, 11)
    write(c)
    at(10, 12)
    assert case_follow_up_send(case=a.case) and case_follow_up_send(case=b.case)
    at(10, 14)
    re_rate(a, 4)
    re_rate(b, 1)
    at(11, 10)
    d = complain("Dev Shah", 1)
    at(11, 10, 10)
    call(d)
    at(11, 11)
    e = complain("Eve Lund", 2)
    at(11, 11, 5)
    case_update(case=e.case, actor=owner, note="Will call Eve tomorrow.")  # a memo, not a response
    at(11, 12)
    re_rate(d, 3)  # within the answer's own edit window, before any "did we make it right?"
    at(12, 9)
    resolve(c, "staff_manner")
    at(12, 10)
    assert case_follow_up_send(case=c.case)
    return business


def test_the_shared_definitions_give_the_hand_computed_figures(complaints_week):
    start, end = period_bounds(complaints_week, datetime(2026, 11, 9).date(), datetime(2026, 11, 15).date())
    complaints = complaint_figures(business=complaints_week, start=start, end=end)
    causes = case_causes(business=complaints_week, start=start, end=end, previous_start=start - timedelta(days=7))

    assert complaints == {
        "opened": 5,
        "resolved": 3,
        "median_minutes_to_first_response": 45.0,
        "median_resolution_hours": 24.0,
        "re_rated": 2,
        "recovered": 1,
        "recovery_rate": 0.5,
    }
    assert [{key: row[key] for key in ("cause", "label", "count", "previous", "change")} for row in causes] == [
        {**EXPECTED_CAUSES[0], "change": 2},
        {**EXPECTED_CAUSES[1], "change": -1},
    ]


def test_the_metrics_api_the_dashboard_and_the_weekly_email_agree(time_machine, complaints_week):
    time_machine.move_to(DIGEST_SENT, tick=False)
    api = Client().get(
        f"/api/v1/metrics/?since={SINCE}&until={UNTIL}", HTTP_AUTHORIZATION=f"Api-Key {api_key_for(complaints_week)}"
    )
    assert api.status_code == 200
    body = api.json()
    assert {key: body[key] for key in EXPECTED} == EXPECTED
    assert body["causes"] == EXPECTED_CAUSES

    client = Client()
    client.force_login(complaints_week.memberships.first().user)
    page = client.get(f"/admin/dashboard/?since={SINCE}&until={UNTIL}")
    dashboard = page.context["dashboard"]
    shown = {
        "cases_opened": dashboard.complaints["opened"],
        "median_first_response_minutes": dashboard.complaints["median_minutes_to_first_response"],
        "median_resolution_hours": dashboard.complaints["median_resolution_hours"],
        "recovery_rate": dashboard.complaints["recovery_rate"],
    }
    assert shown == EXPECTED
    assert [(row["label"], row["count"], row["trend"]) for row in dashboard.cause_rows] == [
        ("Waiting time", 2, "+2"),
        ("Staff manner", 1, "\u22121"),
    ]
    html = page.content.decode()
    assert '<h2>Recovery rate</h2><p class="big">50%</p>' in html
    assert "1 of 2 customers asked “did we make it right?” re-rated higher" in html
    assert '<h2>Resolution</h2><p class="big">1\u00a0d</p>' in html
    assert "5 opened, 3 resolved" in html
    assert html.index("Waiting time</span> <strong>2</strong>") < html.index("Staff manner</span> <strong>1</strong>")

    tasks.send_due_digests()
    outbox_emails_send(
        email_ids=list(OutboxEmail.objects.filter(key__startswith="digest:").values_list("id", flat=True))
    )
    [message] = [message for message in mail.outbox if message.to == ["maya@harbour.example"]]
    html = message.alternatives[0][0]
    for line in (
        "- Complaints opened: 5 (2)",
        "- Median time to first response: 45 min (36 h)",
        "- Median time to resolution: 24 h (36 h)",
        "- Won back (re-rated higher): 50% (—)",
    ):
        assert line in message.body
    for fragment in ("The issue to talk about", "Waiting time 2 (+2)", "45 min", "24 h", "Won back (re-rated higher)"):
        assert fragment in message.body
        assert fragment in html


def test_with_nobody_re_rated_the_recovery_rate_is_null_everywhere(time_machine, complaints_week):
    time_machine.move_to(DIGEST_SENT, tick=False)
    week = "since=2026-11-02&until=2026-11-08"  # the week before: two cases, never asked
    body = Client().get(f"/api/v1/metrics/?{week}", HTTP_AUTHORIZATION=f"Api-Key {api_key_for(complaints_week)}").json()
    assert (body["cases_opened"], body["recovery_rate"], body["median_resolution_hours"]) == (2, None, 36.0)
    assert body["causes"] == [{"cause": "staff_manner", "label": "Staff manner", "count": 2, "previous": 0}]

    client = Client()
    client.force_login(complaints_week.memberships.first().user)
    html = client.get(f"/admin/dashboard/?{week}").content.decode()
    assert "no customer re-rated after “did we make it right?”" in html


def test_the_schema_documents_the_complaint_figures(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    properties = schema["components"]["schemas"]["Metrics"]["properties"]
    for name in ("cases_opened", "median_first_response_minutes", "median_resolution_hours", "recovery_rate", "causes"):
        assert name in properties
    assert properties["recovery_rate"]["nullable"] is True
