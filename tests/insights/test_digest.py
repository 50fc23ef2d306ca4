"""The weekly wins email: its hour in the business's own time zone, once per week, what it says, the opt-out.

The beat is simulated by calling the task every 15 minutes under time-machine; emails are queued
in the outbox and sent here synchronously into Django's locmem `mail.outbox`.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from businesses.models import Weekday
from feedback.models import FeedbackRequest
from insights import tasks
from insights.metrics import complaint_figures, figures
from insights.models import DigestRun
from insights.periods import scheduled_week
from insights.services import digest as digest_service
from insights.services.digest import digest_send, digest_unsubscribe_url
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.services.cases import case_update
from reviews.services.conversation import case_message_send
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory
from tests.conftest import require_service
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory
from tests.reviews.factories import answer

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
QUARTER = timedelta(minutes=15)
# A Monday in November: London is on GMT (UTC+0), Los Angeles on PST (UTC-8).
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def london():
    return BusinessFactory(name="Harbour Café", timezone="Europe/London", digest_weekday=Weekday.MONDAY, digest_hour=9)


@pytest.fixture
def team(london):
    """Two staff members who want the digest, one who opted out, one who left."""
    return {
        "maya": StaffMemberFactory(business=london, name="Maya Lindqvist", email="maya@harbour.example"),
        "tom": StaffMemberFactory(business=london, name="Tom Okafor", email="tom@harbour.example"),
        "opted_out": StaffMemberFactory(business=london, wants_digest=False, email="quiet@harbour.example"),
        "left": StaffMemberFactory(business=london, active=False, email="gone@harbour.example"),
    }


def run_beat(time_machine, start: datetime, end: datetime) -> None:
    """What celery beat does: the due-digests task every 15 minutes from `start` up to `end`."""
    moment = start
    while moment < end:
        time_machine.move_to(moment, tick=False)
        tasks.send_due_digests()
        moment += QUARTER


def digest_outbox() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(key__startswith="digest:").order_by("to"))


def deliver() -> list:
    """Send every queued outbox email now, as the worker would; the messages that arrived."""
    outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))
    return mail.outbox


def the_email_to(address: str):
    [message] = [message for message in deliver() if message.to == [address]]
    return message


def assert_in_both_parts(message, *fragments: str) -> None:
    html = message.alternatives[0][0]
    for fragment in fragments:
        assert fragment in message.body, fragment
        assert fragment in html, fragment


def assert_in_neither_part(message, *fragments: str) -> None:
    html = message.alternatives[0][0]
    for fragment in fragments:
        assert fragment not in message.body, fragment
        assert fragment not in html, fragment


# --- when it goes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "expected_utc"),
    [
        ("Europe/London", datetime(2026, 11, 16, 9, 0, tzinfo=UTC)),  # 09:00 GMT
        ("America/Los_Angeles", datetime(2026, 11, 16, 17, 0, tzinfo=UTC)),  # 09:00 PST
    ],
)
def test_the_digest_goes_at_the_digest_hour_in_the_business_time_zone(time_machine, zone, expected_utc):
    business = BusinessFactory(timezone=zone, digest_weekday=Weekday.MONDAY, digest_hour=9)
    StaffMemberFactory(business=business)
    run_beat(time_machine, MONDAY - timedelta(days=1), MONDAY + timedelta(days=2))
    [run] = DigestRun.objects.filter(business=business)
    assert run.created_at == expected_utc
    assert len(digest_outbox()) == 1


@pytest.mark.parametrize(
    ("zone", "monday", "expected_utc"),
    [
        # Clocks went forward on Sunday 29 March: Monday's 09:00 is BST, 08:00 UTC.
        ("Europe/London", datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 3, 30, 8, 0, tzinfo=UTC)),
        # Clocks went back on Sunday 25 October: Monday's 09:00 is GMT again, 09:00 UTC.
        ("Europe/London", datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 10, 26, 9, 0, tzinfo=UTC)),
        # Clocks went forward on Sunday 8 March: Monday's 09:00 is PDT, 16:00 UTC.
        ("America/Los_Angeles", datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 9, 16, 0, tzinfo=UTC)),
        # Clocks went back on Sunday 1 November: Monday's 09:00 is PST, 17:00 UTC.
        ("America/Los_Angeles", datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 2, 17, 0, tzinfo=UTC)),
    ],
)
def test_the_week_of_a_daylight_saving_change_sends_once_at_the_local_hour(time_machine, zone, monday, expected_utc):
    business = BusinessFactory(timezone=zone, digest_weekday=Weekday.MONDAY, digest_hour=9)
    StaffMemberFactory(business=business)
    # From the Friday before the change to the Wednesday after: the whole change is simulated.
    run_beat(time_machine, monday - timedelta(days=3), monday + timedelta(days=2))
    [run] = DigestRun.objects.filter(business=business)
    assert run.created_at == expected_utc
    assert len(digest_outbox()) == 1


def test_a_digest_hour_skipped_by_the_clocks_going_forward_still_sends(time_machine):
    # On Sunday 29 March 2026 London's clocks jump from 01:00 GMT to 02:00 BST: 01:xx never happens.
    business = BusinessFactory(timezone="Europe/London", digest_weekday=Weekday.SUNDAY, digest_hour=1)
    StaffMemberFactory(business=business)
    sunday = datetime(2026, 3, 29, tzinfo=UTC)
    run_beat(time_machine, sunday - timedelta(days=1), sunday + timedelta(days=1))
    [run] = DigestRun.objects.filter(business=business)
    assert run.created_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 BST, the first moment past 01:00
    assert len(digest_outbox()) == 1


def test_a_digest_hour_repeated_by_the_clocks_going_back_sends_once(time_machine):
    # On Sunday 25 October 2026 London lives 01:00–02:00 twice (BST, then GMT).
    business = BusinessFactory(timezone="Europe/London", digest_weekday=Weekday.SUNDAY, digest_hour=1)
    StaffMemberFactory(business=business)
    sunday = datetime(2026, 10, 25, tzinfo=UTC)
    run_beat(time_machine, sunday - timedelta(days=1), sunday + timedelta(days=1))
    [run] = DigestRun.objects.filter(business=business)
    assert run.created_at == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 01:00 BST, the first of the two
    assert len(digest_outbox()) == 1


def test_each_week_sends_its_own_digest(time_machine, london, team):
    run_beat(time_machine, MONDAY, MONDAY + timedelta(days=15))
    assert sorted(DigestRun.objects.values_list("week", flat=True)) == ["2026-W47", "2026-W48", "2026-W49"]
    assert len(digest_outbox()) == 3 * 2


def test_it_is_sent_exactly_once_by_two_schedulers_and_a_re_run(time_machine, london, team):
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    tasks.send_due_digests()
    tasks.send_due_digests()  # a second beat, firing at the same moment
    time_machine.move_to(MONDAY.replace(hour=13), tick=False)
    tasks.send_due_digests()  # a re-run later the same day
    assert digest_service.digests_send_due() == []
    assert sorted(message.to[0] for message in deliver()) == ["maya@harbour.example", "tom@harbour.example"]
    assert DigestRun.objects.get().recipients == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_running_at_the_same_moment_send_one_digest(time_machine, monkeypatch):
    require_service(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")
    business = BusinessFactory(timezone="Europe/London", digest_weekday=Weekday.MONDAY, digest_hour=9)
    StaffMemberFactory.create_batch(3, business=business)
    handed_to_worker: list[int] = []
    monkeypatch.setattr(digest_service, "enqueue_outbox_send", handed_to_worker.extend)
    time_machine.move_to(MONDAY.replace(hour=9, minute=1), tick=False)
    start = threading.Barrier(4)
    sent: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            start.wait(timeout=30)
            sent.append(tasks.send_due_digests())
        except BaseException as error:  # noqa: BLE001  (reported in the test's thread)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(sent) == [0, 0, 0, 1]
    assert DigestRun.objects.filter(business=business).count() == 1
    assert OutboxEmail.objects.filter(key__startswith="digest:").count() == 3
    assert sorted(handed_to_worker) == sorted(OutboxEmail.objects.values_list("id", flat=True))


def test_it_is_not_sent_on_other_days_or_before_the_hour(time_machine, london, team):
    run_beat(time_machine, MONDAY + timedelta(days=1), MONDAY + timedelta(days=7, hours=9))
    assert not DigestRun.objects.exists()
    assert digest_outbox() == []


def test_only_active_staff_who_want_it_receive_it(time_machine, london, team):
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    tasks.send_due_digests()
    assert [email.to for email in digest_outbox()] == ["maya@harbour.example", "tom@harbour.example"]


def test_a_failing_business_does_not_stop_the_others(time_machine, london, team, monkeypatch):
    other = BusinessFactory(timezone="Europe/London", digest_weekday=Weekday.MONDAY, digest_hour=9)
    StaffMemberFactory(business=other, email="someone@other.example")
    real_build = digest_service.digest_build

    def build(*, business, week):
        if business == london:
            raise RuntimeError("template broke")
        return real_build(business=business, week=week)

    monkeypatch.setattr(digest_service, "digest_build", build)
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    outcomes = digest_service.digests_send_due()
    assert {outcome.business.slug: bool(outcome.error) for outcome in outcomes} == {
        london.slug: True,
        other.slug: False,
    }
    assert [email.to for email in digest_outbox()] == ["someone@other.example"]
    # The failed week was not claimed: the next run sends it.
    monkeypatch.setattr(digest_service, "digest_build", real_build)
    time_machine.move_to(MONDAY.replace(hour=9, minute=15), tick=False)
    tasks.send_due_digests()
    assert len(digest_outbox()) == 3


# --- what it says --------------------------------------------------------------------------------


@pytest.fixture
def busy_week(time_machine, london, team):
    """Feedback of the digest's week (Mon 9 – Sun 15 Nov 2026) and of the week before, through the real flow.

    This week: six invitations sent, four answered — 5★ (NPS 10), 4★ (9), 2★ (3), 5★ (none).
      Response rate 4/6 = 67%, average 4, CSAT 3/4 = 75%, NPS (2 − 1) / 3 = +33.
      The 2★ opens a complaint, noted after half an hour (a memo, not a response), called an hour
      after it opened (the first response), then resolved: median 1 h.
    The week before: two sent, one answered 3★ (NPS none): 50%, 3, 0%, —.
    """
    maya, tom = team["maya"], team["tom"]

    def at(day: int, hour: int = 10) -> None:
        time_machine.move_to(datetime(2026, 11, day, hour, tzinfo=UTC), tick=False)

    def invite(name: str) -> FeedbackRequest:
        return FeedbackRequestFactory(
            business=london, customer__name=name, customer__email=f"{name.replace(' ', '.')}@x.example"
        )

    at(3)
    answer(business=london, rating=3, comment="Fine.", request=invite("Olga Berg"))
    invite("Nobody Answered")
    at(10)
    answer(
        business=london,
        rating=5,
        comment="Maya remembered my order and made my morning.",
        recommend_score=10,
        staff=maya,
        request=invite("Priya Patel"),
    )
    answer(
        business=london,
        rating=4,
        comment="Quick and friendly.",
        improvement="Open earlier on Saturdays, please.",
        recommend_score=9,
        staff=tom,
        request=invite("Sam Reed"),
    )
    complaint = answer(
        business=london, rating=2, comment="Cold soup.", recommend_score=3, staff=tom, request=invite("Lee Chan")
    )
    answer(business=london, rating=5, comment="", staff=maya, request=invite("Ana Silva"))
    invite("Quiet One")
    invite("Quiet Two")
    owner = MembershipFactory(business=london).user
    time_machine.move_to(datetime(2026, 11, 10, 10, 30, tzinfo=UTC), tick=False)
    case_update(case=complaint.case, actor=owner, note="Will call Lee after the rush.")  # not a response
    at(10, 11)
    case_message_send(case=complaint.case, author=owner, body="Called Lee, apologised.", kind="call")
    at(11)
    case_update(
        case=complaint.case,
        actor=owner,
        status="resolved",
        resolution="Refunded the soup, new bowl on us.",
        cause="quality",
    )
    return london


def test_the_numbers_agree_with_the_metrics_for_the_same_week(time_machine, busy_week):
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    tasks.send_due_digests()
    week = scheduled_week(busy_week, MONDAY.replace(hour=9))
    this = figures(business=busy_week, start=week.start, end=week.end)
    before = figures(business=busy_week, start=week.previous_start, end=week.previous_end)
    complaints = complaint_figures(business=busy_week, start=week.start, end=week.end)
    # The shared definitions give the hand-computed values…
    assert (this.requests_sent, this.responses, this.response_rate) == (6, 4, 0.6667)
    assert (this.average_rating, this.csat, this.nps) == (4.0, 0.75, 33.3)
    assert (before.requests_sent, before.response_rate, before.average_rating, before.csat, before.nps) == (
        2,
        0.5,
        3.0,
        0.0,
        None,
    )
    assert complaints == {
        "opened": 1,
        "resolved": 1,
        "median_minutes_to_first_response": 60.0,
        "median_resolution_hours": 24.0,
        "re_rated": 0,
        "recovered": 0,
        "recovery_rate": None,
    }
    # …and the email shows exactly those, this week and the week before, in both parts.
    message = the_email_to("maya@harbour.example")
    assert_in_both_parts(
        message,
        "Invitations sent",
        "Response rate",
        "67%",
        "50%",
        "Average rating",
        "4 ★",
        "3 ★",
        "75%",
        "0%",
        "Recommend score (NPS)",
        "+33",
        "Complaints opened",
        "Complaints turned around",
        "Median time to first response",
        "1 h",
    )
    assert "- Response rate: 67% (50%)" in message.body
    assert "- Average rating: 4 ★ (3 ★)" in message.body
    assert "- Median time to first response: 1 h (—)" in message.body


def test_it_celebrates_comments_named_staff_saves_and_ideas(time_machine, busy_week):
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    tasks.send_due_digests()
    message = the_email_to("tom@harbour.example")
    assert message.subject == "Your week at Harbour Café: 4 answers"
    assert_in_both_parts(
        message,
        "Hi Tom",
        "What customers loved",
        "Maya remembered my order and made my morning.",
        "Priya P., 5★",
        "Quick and friendly.",
        "Named by happy customers",
        "Maya Lindqvist",
        "named 2 times",
        "Tom Okafor",
        "named 1 time",
        "Complaints turned around",
        "Lee C.",
        "Refunded the soup, new bowl on us.",
        "Open earlier on Saturdays, please.",
    )
    # The customer's words from last week and 1–3★ comments are not among this week's best.
    assert_in_neither_part(message, "Fine.", "Olga")
    assert "Cold soup." not in message.body.split("What customers loved")[1].split("Named by")[0]
    # Staff read display names, never customers' email addresses.
    assert_in_neither_part(message, "@x.example")


def test_a_quiet_week_gets_a_short_encouraging_email_not_an_empty_table(time_machine, london, team):
    time_machine.move_to(MONDAY - timedelta(days=3), tick=False)
    FeedbackRequestFactory.create_batch(2, business=london)
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    tasks.send_due_digests()
    message = the_email_to("maya@harbour.example")
    assert message.subject == "A quiet week at Harbour Café — here is to the next one"
    assert_in_both_parts(message, "A quiet week", "2 invitations went out", "chance to hear what went well")
    assert_in_neither_part(message, "Response rate", "What customers loved", "Complaints")


def test_the_email_is_phone_sized_with_a_plain_text_part_and_absolute_links(time_machine, busy_week):
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    tasks.send_due_digests()
    message = the_email_to("maya@harbour.example")
    html = message.alternatives[0][0]
    assert 'name="viewport"' in html and "max-width:560px" in html
    assert "<p" not in message.body and "Maya remembered my order" in message.body
    assert len(message.body.split()) < 400  # read in a minute
    url = digest_unsubscribe_url(busy_week.staff.get(name="Maya Lindqvist"))
    assert url.startswith("https://raves.test/digest/unsubscribe/")
    assert_in_both_parts(message, url)


def test_the_query_count_does_not_grow_with_the_feedback(time_machine):
    def business_with(count: int):
        business = BusinessFactory(timezone="Europe/London")
        staff = StaffMemberFactory.create_batch(2, business=business)
        time_machine.move_to(MONDAY - timedelta(days=2), tick=False)
        for n in range(count):
            feedback = FeedbackFactory(
                request__business=business,
                rating=1 + n % 5,
                comment=f"Comment {n}",
                improvement=f"Idea {n}" if n % 3 == 0 else "",
                recommend_score=n % 11,
                staff=staff[n % 2],
            )
            if feedback.rating == 1:
                case = case_update(
                    case=_case_for(feedback),
                    actor=None,
                    status="resolved",
                    resolution="Called back and fixed it.",
                    cause="quality",
                )
                assert case.status == "resolved"
        return business

    small, large = business_with(10), business_with(200)
    now = MONDAY.replace(hour=9)
    time_machine.move_to(now, tick=False)
    counts = []
    for business in (small, large):
        with CaptureQueriesContext(connection) as queries:
            digest_send(business=business, week=scheduled_week(business, now), now=now)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 30
    assert OutboxEmail.objects.filter(key__startswith="digest:").count() == 4


def _case_for(feedback):
    from reviews.models import Case

    return Case.objects.create(
        feedback=feedback,
        business=feedback.business,
        original_rating=feedback.rating,
        deadline=feedback.submitted_at + timedelta(hours=24),
    )


# --- stopping it in one click --------------------------------------------------------------------


def test_the_digest_carries_one_click_unsubscribe_headers(time_machine, london, team):
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    tasks.send_due_digests()
    message = the_email_to("maya@harbour.example")
    url = digest_unsubscribe_url(team["maya"])
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_one_post_without_cookies_stops_the_digest(time_machine, london, team):
    maya = team["maya"]
    client = Client(enforce_csrf_checks=True)
    response = client.post(digest_unsubscribe_url(maya).removeprefix("https://raves.test"), {})
    assert response.status_code == 200  # no redirect: RFC 8058
    assert b"will not receive the weekly wins email" in response.content
    maya.refresh_from_db()
    assert maya.wants_digest is False
    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    tasks.send_due_digests()
    assert [email.to for email in digest_outbox()] == ["tom@harbour.example"]


def test_opening_the_link_changes_nothing(london, team):
    maya = team["maya"]
    path = digest_unsubscribe_url(maya).removeprefix("https://raves.test")
    for method in (Client().get, Client().head):
        response = method(path)
        assert response.status_code == 200
    assert b"Stop the weekly email" in Client().get(path).content
    assert response["Referrer-Policy"] == "no-referrer"
    maya.refresh_from_db()
    assert maya.wants_digest is True


def test_posting_twice_is_harmless_and_the_page_then_says_so(london, team):
    path = digest_unsubscribe_url(team["maya"]).removeprefix("https://raves.test")
    assert Client().post(path).status_code == 200
    assert Client().post(path).status_code == 200
    assert b"no longer receive" in Client().get(path).content


@pytest.mark.parametrize("token", ["not-a-token", "eyJzdGFmZiI6MX0:1vabc:forged"])
def test_a_forged_or_broken_link_is_not_found_and_changes_nothing(london, team, token):
    assert Client().post(f"/digest/unsubscribe/{token}/").status_code == 404
    assert all(staff.wants_digest for staff in london.staff.filter(active=True).exclude(pk=team["opted_out"].pk))


def test_the_dashboard_and_the_metrics_api_give_the_digests_figures_for_its_week(time_machine, busy_week, client):
    """One fixture, three readers: the digest (above), the metrics API and the dashboard agree."""
    from tests.businesses.factories import api_key_for

    time_machine.move_to(MONDAY.replace(hour=9), tick=False)
    since, until = "2026-11-09", "2026-11-15"  # the digest's week, Monday to Sunday, London time
    expected = {
        "requests_sent": 6,
        "responses": 4,
        "response_rate": 0.6667,
        "average_rating": 4.0,
        "csat": 0.75,
        "nps": 33.3,
    }
    api = client.get(
        f"/api/v1/metrics/?since={since}&until={until}", HTTP_AUTHORIZATION=f"Api-Key {api_key_for(busy_week)}"
    ).json()
    assert {key: api[key] for key in expected} == expected

    client.force_login(busy_week.memberships.first().user)
    dashboard = client.get(f"/admin/dashboard/?since={since}&until={until}").context["dashboard"]
    assert {key: getattr(dashboard.figures, key) for key in expected} == expected
    assert dashboard.complaints["median_minutes_to_first_response"] == 60.0
    assert (dashboard.complaints["opened"], dashboard.complaints["resolved"]) == (1, 1)
