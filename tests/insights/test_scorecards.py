"""A staff member's own scorecard: its figures, the signed page, the monthly email, the weekly email's link.

One hand-computed month (November 2026, in New York, UTC−5): Maya served six requests sent in
November (one of them sent on 1 December UTC, still 30 November in New York); four were answered
with 5, 4, 2 and 5 stars (average 4, CSAT 3 of 4); two answers named her as who helped (one to a
request a colleague served); she resolved one complaint. In October (local) she served one request,
answered with 3 stars. Internal feedback and another business's data must change nothing.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail, signing
from django.test import Client

from feedback.models import FeedbackRequest
from insights import tasks
from insights.periods import scheduled_week, scorecard_period
from insights.scorecard_links import scorecard_token, scorecard_url, staff_by_scorecard_token
from insights.selectors import scorecard_kind_words
from insights.services.digest import digest_send
from insights.services.scorecards import scorecards_send, scorecards_send_due, staff_scorecard
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.models import Case
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory
from tests.reviews.factories import CaseFactory

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
NOVEMBER = date(2026, 11, 1)
# Sunday 6 December 2026, 15:00 UTC (10:00 in New York): the page's "this month" is December.
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def nov(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=NEW_YORK)


@pytest.fixture
def shop(time_machine):
    # Everyone was on the team long before November (a staff member who joins later gets no
    # scorecard of it); each test moves the clock on from here.
    time_machine.move_to(datetime(2026, 10, 1, tzinfo=UTC), tick=False)
    return BusinessFactory(name="Corner Bikes", timezone="America/New_York", digest_hour=9)


@pytest.fixture
def maya(shop):
    return StaffMemberFactory(business=shop, name="Maya Lindqvist", email="maya@corner.example")


@pytest.fixture
def tom(shop):
    return StaffMemberFactory(business=shop, name="Tom Okafor", email="tom@corner.example")


def served(staff, sent_at: datetime, *, internal: bool = False, **fields) -> FeedbackRequest:
    return FeedbackRequestFactory(business=staff.business, staff=staff, sent_at=sent_at, internal=internal, **fields)


def answered(request: FeedbackRequest, rating: int, comment: str = "", *, named=None, submitted_at=None, **fields):
    feedback = FeedbackFactory(request=request, rating=rating, comment=comment, staff=named, **fields)
    if submitted_at:
        type(feedback).objects.filter(pk=feedback.pk).update(submitted_at=submitted_at)
    return feedback


@pytest.fixture
def month(shop, maya, tom):
    """The hand-computed month described at the top of this module."""
    answered(served(maya, nov(2)), 5, "Maya found the fault in minutes.", named=maya, submitted_at=nov(3))
    answered(served(maya, nov(5)), 4, "Quick and kind.", display_name="Ben K.", submitted_at=nov(6))
    answered(served(maya, nov(9)), 2, "Slow on a Saturday.", submitted_at=nov(10))
    answered(served(maya, nov(12)), 5, "Tom Okafor sorted it.", named=tom, submitted_at=nov(13))
    served(maya, nov(20))
    served(maya, datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # 30 November, 22:00 in New York
    # A colleague's customer who named Maya as who helped: her mention, not her request.
    answered(served(tom, nov(15)), 5, "Maya stepped in when it got busy.", named=maya, submitted_at=nov(16))
    # October in New York (1 November, 02:00 UTC): the month before.
    answered(served(maya, datetime(2026, 11, 1, 2, 0, tzinfo=UTC)), 3, "Fine.", submitted_at=nov(1))
    # Internal feedback is left out of all of it.
    answered(served(maya, nov(7), internal=True), 5, "Great help from IT.", named=maya, internal=True)
    # One save: a complaint Maya resolved in November.
    CaseFactory(
        business=shop,
        status=Case.Status.RESOLVED,
        resolved_at=nov(21),
        resolved_by_staff=maya,
        feedback__request__sent_at=nov(19),
    )
    # Another business's staff member with the same kind of month.
    elsewhere = StaffMemberFactory(business=BusinessFactory(timezone="America/New_York"), name="Zed Other")
    answered(served(elsewhere, nov(2)), 5, "Zed was great.", named=elsewhere)


# --- The figures ---------------------------------------------------------------------------------


def test_every_figure_of_the_month_and_the_month_before_is_exact(month, maya):
    card = staff_scorecard(staff=maya, month=NOVEMBER, today=date(2026, 12, 6))
    this, before = card.figures, card.figures_before
    assert (this.requests, this.responses, this.average_rating, this.csat) == (6, 4, 4.0, 0.75)
    assert (this.mentions, this.saves) == (2, 1)
    assert (before.requests, before.responses, before.average_rating, before.csat) == (1, 1, 3.0, 0.0)
    assert (before.mentions, before.saves) == (0, 0)
    assert card.period.whole_month and card.period.label == "2026-11"


def test_kind_words_are_their_customers_happy_comments_newest_first(month, maya):
    card = staff_scorecard(staff=maya, month=NOVEMBER, today=date(2026, 12, 6))
    assert [words["comment"] for words in card.kind_words] == [
        "Maya stepped in when it got busy.",
        "Quick and kind.",
        "Maya found the fault in minutes.",
    ]
    assert card.kind_words[1]["display_name"] == "Ben K."
    assert set(card.kind_words[0]) == {"rating", "comment", "display_name", "submitted_at"}


def test_kind_words_stop_at_five(shop, maya):
    for day in range(1, 8):
        answered(served(maya, nov(day)), 5, f"Thank you, day {day}.", submitted_at=nov(day, 18))
    words = scorecard_kind_words(staff=maya, start=nov(1, 0), end=nov(30, 23))
    assert [one["comment"] for one in words] == [f"Thank you, day {day}." for day in range(7, 2, -1)]


def test_nothing_about_a_colleague_is_in_it(month, maya, tom):
    card = staff_scorecard(staff=maya, month=NOVEMBER, today=date(2026, 12, 6))
    assert "Tom" not in repr(card.kind_words)
    toms = staff_scorecard(staff=tom, month=NOVEMBER, today=date(2026, 12, 6))
    assert (toms.figures.requests, toms.figures.mentions) == (1, 1)
    assert [words["comment"] for words in toms.kind_words] == ["Tom Okafor sorted it."]


def test_the_month_under_way_is_compared_with_as_many_days_of_the_month_before(shop, maya):
    period = scorecard_period(shop, month=date(2026, 12, 1), today=date(2026, 12, 6))
    assert (period.first_day, period.last_day) == (date(2026, 12, 1), date(2026, 12, 6))
    assert (period.previous_first_day, period.previous_last_day) == (date(2026, 11, 1), date(2026, 11, 6))
    assert not period.whole_month
    march = scorecard_period(shop, month=date(2027, 3, 1), today=date(2027, 3, 31))
    assert march.previous_last_day == date(2027, 2, 28)  # February has no 31st


def test_the_number_of_queries_does_not_grow_with_the_answers(shop, maya, django_assert_max_num_queries):
    def answers(count: int) -> None:
        for _ in range(count):
            answered(served(maya, nov(10)), 5, "Lovely.", named=maya, submitted_at=nov(11))

    answers(2)
    with django_assert_max_num_queries(3):
        staff_scorecard(staff=maya, month=NOVEMBER, today=date(2026, 12, 6))
    answers(30)
    with django_assert_max_num_queries(3):
        card = staff_scorecard(staff=maya, month=NOVEMBER, today=date(2026, 12, 6))
    assert card.figures.responses == 32


# --- The signed link -----------------------------------------------------------------------------


def page(token: str, query: str = ""):
    return Client().get(f"/scorecard/{token}/{query}")


def test_the_page_shows_this_month_so_far_and_last_month(month, maya, time_machine):
    time_machine.move_to(NOW, tick=False)
    response = page(scorecard_token(maya))
    html = response.content.decode()
    assert response.status_code == 200
    assert "December 2026 so far" in html and "November 2026" in html
    assert "Maya found the fault in minutes." in html
    assert "Tom Okafor" not in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"] and '<meta name="robots" content="noindex' in html
    assert "no-store" in response["Cache-Control"]


def test_a_month_may_be_chosen(month, maya, time_machine):
    time_machine.move_to(NOW, tick=False)
    html = page(scorecard_token(maya), "?month=2026-11").content.decode()
    assert "November 2026" in html and "December 2026" not in html
    assert "Maya found the fault in minutes." in html


@pytest.mark.parametrize(
    ("month_value", "message"),
    [
        ("november", "Give the month as YYYY-MM"),
        ("2026-13", "Give the month as YYYY-MM"),
        ("0000-01", "Give the month as YYYY-MM"),
        ("9999-12", "Give the month as YYYY-MM"),
        ("2026-1", "Give the month as YYYY-MM"),
        ("", "Give the month as YYYY-MM"),
        ("٢٠٢٦-١١", "Give the month as YYYY-MM"),
        ("2027-01", "That month has not started yet"),
    ],
)
def test_a_bad_month_is_a_400_that_says_what_to_do(maya, time_machine, month_value, message):
    time_machine.move_to(NOW, tick=False)
    response = page(scorecard_token(maya), f"?month={month_value}")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("month_value", ["1900-01", " 2026-12 ", "2026-11"])
def test_the_first_month_allowed_and_the_current_one_show(maya, time_machine, month_value):
    time_machine.move_to(NOW, tick=False)
    assert page(scorecard_token(maya), f"?month={month_value}").status_code == 200


def tampered(token: str, **changes) -> str:
    """The token with its payload changed and its signature kept."""
    payload, rest = token.split(":", 1)
    data = json.loads(signing.b64_decode(payload.encode()))
    return signing.b64_encode(json.dumps({**data, **changes}, separators=(",", ":")).encode()).decode() + ":" + rest


def test_a_token_rewritten_for_a_colleague_is_a_404(maya, tom):
    token = tampered(scorecard_token(maya), s=tom.pk)
    assert staff_by_scorecard_token(token) is None
    assert page(token).status_code == 404
    assert staff_by_scorecard_token(scorecard_token(maya)) == maya


@pytest.mark.parametrize("token", ["nonsense", "x" * 300, "e30:abc:def", "%00"])
def test_unreadable_tokens_are_404(token):
    assert page(token).status_code == 404


def test_a_token_of_another_purpose_does_not_open_it(maya):
    other = signing.TimestampSigner(salt="reviews.case-staff-link").sign_object({"s": maya.pk, "b": maya.business_id})
    assert page(other).status_code == 404


def test_the_link_expires_after_scorecard_link_days(maya, time_machine, settings):
    settings.SCORECARD_LINK_DAYS = 45
    time_machine.move_to(NOW, tick=False)
    token = scorecard_token(maya)
    time_machine.shift(timedelta(days=44, hours=23))
    assert page(token).status_code == 200
    time_machine.shift(timedelta(hours=2))
    assert page(token).status_code == 404


def test_a_staff_member_who_left_cannot_open_it(maya):
    token = scorecard_token(maya)
    maya.active = False
    maya.save()
    assert page(token).status_code == 404


def test_guessing_tokens_is_throttled(settings):
    settings.TOKEN_GUESS_LIMIT = "2/hour"
    assert [page(f"guess-{n}").status_code for n in range(3)] == [404, 404, 429]


def test_the_page_changes_nothing_and_takes_no_post(maya):
    assert Client().post(f"/scorecard/{scorecard_token(maya)}/").status_code == 405


# --- The monthly email ---------------------------------------------------------------------------


def scorecard_outbox(business) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(business=business, key__startswith="scorecard:").order_by("to"))


def deliver() -> list:
    outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))
    return mail.outbox


def both_parts(message) -> tuple[str, str]:
    return message.body, message.alternatives[0][0]


@pytest.fixture
def team(shop, maya, tom):
    return {
        "maya": maya,
        "tom": tom,
        "opted_out": StaffMemberFactory(business=shop, wants_digest=False, email="quiet@corner.example"),
        "left": StaffMemberFactory(business=shop, active=False, email="gone@corner.example"),
    }


def test_it_goes_on_the_first_at_the_digest_hour_once_per_staff_member(month, team, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 13, 45, tzinfo=UTC), tick=False)  # 08:45 in New York
    assert tasks.send_due_scorecards() == 0
    time_machine.move_to(datetime(2026, 12, 1, 14, 0, tzinfo=UTC), tick=False)  # 09:00
    assert tasks.send_due_scorecards() == 3  # Maya, Tom and the other business's staff member
    time_machine.shift(timedelta(minutes=15))
    assert tasks.send_due_scorecards() == 0
    assert scorecards_send(business=team["maya"].business, month=NOVEMBER) == []
    assert [email.key for email in scorecard_outbox(team["maya"].business)] == [
        f"scorecard:{team['maya'].pk}:2026-11",
        f"scorecard:{team['tom'].pk}:2026-11",
    ]


def test_opted_out_and_departed_staff_get_none(month, team, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)
    scorecards_send_due()
    assert {email.to for email in scorecard_outbox(team["maya"].business)} == {
        "maya@corner.example",
        "tom@corner.example",
    }


def test_it_is_not_sent_after_the_first_week_nor_to_staff_who_joined_after_the_month(shop, maya, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, tzinfo=UTC), tick=False)
    StaffMemberFactory(business=shop, email="new@corner.example")
    time_machine.move_to(datetime(2026, 12, 8, 15, 0, tzinfo=UTC), tick=False)
    assert scorecards_send_due() == 0
    time_machine.move_to(datetime(2026, 12, 7, 15, 0, tzinfo=UTC), tick=False)
    assert scorecards_send_due() == 1
    assert [email.to for email in scorecard_outbox(shop)] == ["maya@corner.example"]


def test_the_email_holds_their_own_figures_and_no_colleague(month, team, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=False)
    scorecards_send_due()
    messages = {message.to[0]: message for message in deliver()}
    to_maya = messages["maya@corner.example"]
    assert to_maya.subject == "Your November at Corner Bikes: your own figures"
    for part in both_parts(to_maya):
        assert "Maya found the fault in minutes." in part
        assert "Average rating" in part and "4 ★" in part and "75%" in part
        assert "Tom" not in part
        assert "/scorecard/" in part
    for part in both_parts(messages["tom@corner.example"]):
        assert "Maya" not in part
    assert to_maya.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = to_maya.body.split("included: ")[1].split()[0]
    assert page(link.rsplit("/scorecard/", 1)[1].strip("/")).status_code == 200


# --- The weekly email's link ---------------------------------------------------------------------


def test_the_weekly_email_links_each_recipient_to_their_own_scorecard(shop, maya, tom, time_machine):
    time_machine.move_to(datetime(2026, 12, 7, 15, 0, tzinfo=UTC), tick=False)  # a Monday
    digest_send(business=shop, week=scheduled_week(shop, NOW + timedelta(days=1)))
    messages = {message.to[0]: message for message in deliver()}
    for staff in (maya, tom):
        for part in both_parts(messages[staff.email]):
            assert "Your own figures this month" in part
            assert scorecard_url(staff) in part
        other = tom if staff == maya else maya
        assert scorecard_url(other) not in messages[staff.email].body


def test_an_open_link_answer_is_a_response_but_invites_nobody(shop, maya):
    answered(served(maya, nov(3), channel=FeedbackRequest.Channel.OPEN_LINK), 5, "Walked in, walked out happy.")
    answered(served(maya, nov(4)), 3)
    card = staff_scorecard(staff=maya, month=NOVEMBER, today=date(2026, 12, 6))
    assert (card.figures.requests, card.figures.responses, card.figures.average_rating) == (1, 2, 4.0)
