"""The meeting sheet: a hand-made week's figures against the week before, each section, bounded
queries; the admin page (scoped, validated) and the signed read-only link from the weekly email."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from businesses.models import Weekday
from feedback.models import FeedbackRequest, Idea
from feedback.services.ideas import idea_state_set
from insights import tasks
from insights.meeting_sheet_links import SALT, meeting_sheet_by_token, meeting_sheet_monday_for, meeting_sheet_url
from insights.periods import meeting_sheet_last_full_week, meeting_sheet_week
from insights.services.meeting_sheet import FigureChange, meeting_sheet_build
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.services.cases import case_update
from reviews.services.conversation import case_message_send
from reviews.services.staff_cases import case_staff_resolve
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory
from tests.reviews.factories import CaseFactory, answer
from tests.test_hostile_input import HOSTILE_STRINGS, as_bytes

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
# The sheet's week: Monday 9 to Sunday 15 November 2026, London time (GMT, so UTC); made the Monday after.
MONDAY = date(2026, 11, 9)
MADE_AT = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SHEET_PATH = "/admin/dashboard/meeting-sheet/"


@pytest.fixture
def london():
    return BusinessFactory(
        name="Harbour Café",
        timezone="Europe/London",
        phone="+44 20 7946 0999",
        digest_weekday=Weekday.MONDAY,
        digest_hour=9,
    )


@pytest.fixture
def people(london):
    return {
        "maya": StaffMemberFactory(business=london, name="Maya Lindqvist", email="maya@harbour.example"),
        "tom": StaffMemberFactory(business=london, name="Tom Okafor", email="tom@harbour.example"),
        "owner": MembershipFactory(
            business=london, user__first_name="Olivia", user__last_name="Owner", user__username="olivia@harbour.example"
        ).user,
    }


@pytest.fixture
def hand_made_week(time_machine, london, people):
    """Two weeks of answers through the real flow (cases and ideas are made by the services).

    The week before (2–8 Nov): three invitations, two answers — 3★ (no score, an idea) and 1★ (score 2)
      → responses 2, rate 2/3, average 2, CSAT 0, NPS −100. The 1★ is a complaint called back after
      two hours (median first response 120 min) and resolved with the cause "waiting time".
    This week (9–15 Nov): eight invitations, seven answers — 5★ (10), 4★ (9), 2★ (3), 1★, 2★, 5★, 1★
      → responses 7, rate 7/8, average 20/7 = 2.86, CSAT 3/7, NPS (2 − 1) / 3 = +33.3.
      Four complaints: Lee's (2★) called after 30 min and resolved by the owner (cause quality); Wendy's
      (1★) never answered, overdue; Kim's (2★) called after an hour, still open, assigned to Olivia;
      Mo's (1★) called after 90 min and resolved by Maya through her link (cause waiting time).
      Median first response: 60 min. Two ideas: one still new, one already "considering".
    """
    maya, tom, owner = people["maya"], people["tom"], people["owner"]

    def at(day: int, hour: int = 10, minute: int = 0) -> None:
        time_machine.move_to(datetime(2026, 11, day, hour, minute, tzinfo=UTC), tick=False)

    def invite(name: str) -> FeedbackRequest:
        return FeedbackRequestFactory(
            business=london, customer__name=name, customer__email=f"{name.replace(' ', '.').lower()}@x.example"
        )

    # The week before.
    at(3)
    answer(business=london, rating=3, comment="Fine.", improvement="Music a bit quieter.", request=invite("Olga Berg"))
    invite("Nobody Answered")
    chris = answer(business=london, rating=1, comment="Slow.", recommend_score=2, request=invite("Chris Doe"))
    at(3, 12)
    case_message_send(case=chris.case, author=owner, body="Called Chris.", kind="call")
    at(4)
    case_update(case=chris.case, actor=owner, status="resolved", resolution="Apologised.", cause="waiting_time")

    # This week.
    at(10)
    answer(
        business=london,
        rating=5,
        comment="Maya remembered my order and made my morning.",
        improvement="Open earlier on Saturdays, please.",
        recommend_score=10,
        staff=maya,
        request=invite("Priya Patel"),
    )
    answer(
        business=london,
        rating=4,
        comment="Quick and friendly.",
        recommend_score=9,
        staff=tom,
        request=invite("Sam Reed"),
    )
    lee = answer(
        business=london, rating=2, comment="Cold soup.", recommend_score=3, staff=tom, request=invite("Lee Chan")
    )
    wendy = answer(business=london, rating=1, comment="Waited forever.", request=invite("Wendy Walker"))
    kim = answer(business=london, rating=2, comment="Rude at the till.", request=invite("Kim Park"))
    loyal = answer(
        business=london, rating=5, comment="", improvement="A loyalty card.", staff=maya, request=invite("Ana Silva")
    )
    mo = answer(business=london, rating=1, comment="Too slow.", request=invite("Mo Hassan"))
    invite("Quiet One")
    idea_state_set(idea=loyal.idea, state=Idea.State.CONSIDERING, note="Looking at options.")
    at(10, 10, 30)
    case_message_send(case=lee.case, author=owner, body="Called Lee.", kind="call")
    case_update(case=kim.case, actor=owner, assignee=owner)
    at(10, 11)
    case_message_send(case=kim.case, author=owner, body="Called Kim.", kind="call")
    at(10, 11, 30)
    case_message_send(case=mo.case, author=owner, body="Called Mo.", kind="call")
    at(11)
    case_update(case=lee.case, actor=owner, status="resolved", resolution="Refunded the soup.", cause="quality")
    at(12)
    case_staff_resolve(
        case=mo.case, staff=maya, resolution="A coffee on us.", cause="waiting_time", system_problem=True
    )
    return {"wendy": wendy, "kim": kim}


def sheet_of(business, *, day: date = MONDAY, now: datetime = MADE_AT):
    return meeting_sheet_build(business=business, week=meeting_sheet_week(business, day=day), now=now)


# --- the week ------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 11, 9), date(2026, 11, 12), date(2026, 11, 15)])
def test_any_day_gives_its_monday_to_sunday_week_in_local_time(day):
    business = BusinessFactory(timezone="America/Los_Angeles")
    week = meeting_sheet_week(business, day=day)
    assert (week.first_day, week.last_day, week.label) == (date(2026, 11, 9), date(2026, 11, 15), "2026-W46")
    assert week.start == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)  # midnight PST
    assert week.end == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    assert week.previous_start == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert week.previous_end == week.start


def test_the_default_week_is_the_last_full_week_in_the_business_time_zone():
    tokyo = BusinessFactory(timezone="Asia/Tokyo")
    # Sunday 15 Nov, 20:00 UTC is already Monday 16 Nov in Tokyo: last week is over there.
    assert meeting_sheet_last_full_week(tokyo, now=datetime(2026, 11, 15, 20, tzinfo=UTC)).first_day == MONDAY
    london = BusinessFactory(timezone="Europe/London")
    assert meeting_sheet_last_full_week(london, now=datetime(2026, 11, 15, 20, tzinfo=UTC)).first_day == date(
        2026, 11, 2
    )


@pytest.mark.parametrize(
    ("last_day", "monday"),
    [
        (date(2026, 11, 15), date(2026, 11, 9)),  # sent on a Monday: the seven days are that week
        (date(2026, 11, 17), date(2026, 11, 9)),  # sent on a Wednesday: the last whole week within
        (date(2026, 11, 16), date(2026, 11, 9)),
        (date(2026, 11, 14), date(2026, 11, 2)),
    ],
)
def test_the_email_links_the_last_whole_week_it_covers(last_day, monday):
    assert meeting_sheet_monday_for(last_day) == monday


# --- what it holds -------------------------------------------------------------------------------


def test_the_figures_of_a_hand_made_week_against_the_week_before(hand_made_week, london):
    rows = {row.label: row for row in sheet_of(london).figures}
    values = {label: (row.this_week, row.week_before, row.verdict) for label, row in rows.items()}
    assert values == {
        "Responses": (7, 2, "better"),
        "Response rate": (0.875, 0.6667, "better"),
        "Average rating": (2.86, 2.0, "better"),
        "4–5 star answers (CSAT)": (0.4286, 0.0, "better"),
        "Recommend score (NPS)": (33.3, -100.0, "better"),
        "Complaints opened": (4, 1, "worse"),
        "Median first response": (60.0, 120.0, "better"),
        "Won back (recovery rate)": (None, None, None),
    }
    assert (rows["Complaints opened"].direction, rows["Median first response"].direction) == ("up", "down")
    shown = {label: (row.shown, row.shown_before) for label, row in rows.items()}
    assert shown["Response rate"] == ("88%", "67%")
    assert shown["Average rating"] == ("2.86 ★", "2 ★")
    assert shown["Recommend score (NPS)"] == ("+33", "-100")
    assert shown["Median first response"] == ("1 h", "2 h")
    assert shown["Won back (recovery rate)"] == ("—", "—")


@pytest.mark.parametrize(
    ("this_week", "week_before", "higher_is_better", "direction", "verdict"),
    [
        (5, 3, True, "up", "better"),
        (3, 5, True, "down", "worse"),
        (3, 5, False, "down", "better"),
        (4, 4, True, "same", "same"),
        (4, 4, None, "same", "same"),
        (5, 3, None, "up", None),
        (None, 3, True, None, None),
        (0, None, False, None, None),
    ],
)
def test_each_figure_says_which_way_it_went_and_whether_that_is_good(
    this_week, week_before, higher_is_better, direction, verdict
):
    row = FigureChange("A figure", this_week, week_before, "count", higher_is_better=higher_is_better)
    assert (row.direction, row.verdict) == (direction, verdict)


def test_wins_staff_saves_complaints_causes_and_ideas_of_the_week(hand_made_week, london):
    sheet = sheet_of(london)
    assert [(win["comment"], win["staff_name"]) for win in sheet.wins] == [
        ("Maya remembered my order and made my morning.", "Maya Lindqvist"),
        ("Quick and friendly.", "Tom Okafor"),
    ]
    assert [(named["name"], named["mentions"]) for named in sheet.named_staff] == [
        ("Maya Lindqvist", 2),
        ("Tom Okafor", 1),
    ]
    # Newest first, each with who saved it: the staff member through their link, else the assignee.
    assert [(save["display_name"], save["saved_by"]) for save in sheet.saves] == [
        ("Mo H.", "Maya Lindqvist"),
        ("Lee C.", ""),
    ]
    assert sheet.saves_total == 2 and sheet.more_saves == 0
    assert [(saver["name"], saver["saves"]) for saver in sheet.savers] == [("Maya Lindqvist", 1)]
    # Open now: Wendy's (overdue: nobody answered by the deadline) and Kim's (answered in time, still open).
    assert (sheet.open_count, sheet.overdue_count) == (2, 1)
    opened = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    assert [(c.rating, c.first_name, c.age, c.assignee, c.overdue) for c in sheet.open_complaints] == [
        (1, "Wendy", MADE_AT - opened, "", True),
        (2, "Kim", MADE_AT - opened, "Olivia Owner", False),
    ]
    assert sheet.open_complaints[0].age_label == "5\u00a0d 23\u00a0h"
    assert [(cause["label"], cause["count"], cause["trend"]) for cause in sheet.causes] == [
        ("Product or service quality", 1, "+1"),
        ("Waiting time", 1, "\u00b10"),
    ]
    # The week's new ideas only: not last week's, not one already taken up.
    assert [idea["improvement"] for idea in sheet.ideas] == ["Open earlier on Saturdays, please."]
    assert sheet.ideas_total == 1


def test_the_week_before_shows_its_own_sections(hand_made_week, london):
    sheet = sheet_of(london, day=date(2026, 11, 4))
    assert [win["comment"] for win in sheet.wins] == []  # a 3★ "Fine." is not a win
    assert [save["display_name"] for save in sheet.saves] == ["Chris D."]
    assert [idea["improvement"] for idea in sheet.ideas] == ["Music a bit quieter."]
    assert [cause["label"] for cause in sheet.causes] == ["Waiting time"]


def test_an_assignee_is_named_without_an_address(london):
    user = MembershipFactory(business=london, user__username="sam.lee@harbour.example").user
    case = CaseFactory(business=london)
    case_update(case=case, actor=user, assignee=user)
    [row] = sheet_of(london, now=case.opened_at + timedelta(hours=1)).open_complaints
    assert row.assignee == "sam.lee"


def test_a_walk_in_answer_without_a_customer_is_listed_as_a_customer(london):
    request = FeedbackRequestFactory(
        business=london, customer=None, channel=FeedbackRequest.Channel.OPEN_LINK, respondent_name=""
    )
    feedback = FeedbackFactory(request=request, rating=1, comment="Long queue.")
    assert feedback.customer is None
    case = CaseFactory(feedback=feedback)
    named = FeedbackFactory(
        request=FeedbackRequestFactory(
            business=london, customer=None, channel=FeedbackRequest.Channel.OPEN_LINK, respondent_name="Jo Bloggs"
        ),
        rating=2,
    )
    CaseFactory(feedback=named)
    sheet = sheet_of(london, now=case.opened_at + timedelta(days=2))
    assert [(row.first_name, row.overdue) for row in sheet.open_complaints] == [("", True), ("Jo", True)]


def test_each_list_is_capped_and_says_how_many_more(time_machine, london, people):
    time_machine.move_to(datetime(2026, 11, 10, 10, tzinfo=UTC), tick=False)
    for n in range(8):
        answer(business=london, rating=5, comment=f"Lovely visit {n}.", improvement=f"Idea {n}", staff=people["maya"])
        answer(business=london, rating=1, comment=f"Bad visit {n}.")
    sheet = sheet_of(london)
    assert (len(sheet.wins), len(sheet.ideas), sheet.more_ideas) == (5, 5, 3)
    assert (len(sheet.open_complaints), sheet.open_count, sheet.more_open) == (5, 8, 3)


def test_the_query_count_does_not_grow_with_answers_or_cases(time_machine, django_assert_max_num_queries):
    def business_with(count: int):
        business = BusinessFactory(timezone="Europe/London")
        staff = StaffMemberFactory.create_batch(3, business=business)
        time_machine.move_to(datetime(2026, 11, 10, 10, tzinfo=UTC), tick=False)
        for n in range(count):
            feedback = answer(
                business=business,
                rating=1 + n % 5,
                comment=f"Comment {n}",
                improvement=f"Idea {n}" if n % 3 == 0 else "",
                recommend_score=n % 11,
                staff=staff[n % 3],
            )
            if feedback.rating == 1 and n % 2:
                case_update(case=feedback.case, actor=None, status="resolved", resolution="Fixed.", cause="quality")
        return business

    small, large = business_with(6), business_with(120)
    counts = []
    for business in (small, large):
        with CaptureQueriesContext(connection) as queries:
            sheet_of(business)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(20):
        sheet = sheet_of(large)
    assert sheet.open_count == 36 and len(sheet.open_complaints) == 5  # 48 complaints, 12 resolved


# --- the admin page ------------------------------------------------------------------------------


@pytest.fixture
def owner_client(client, people):
    client.force_login(people["owner"])
    return client


def sheet_html(response) -> str:
    """The sheet itself, without the admin around it (whose header names the logged-in user)."""
    html = response.content.decode()
    return html[html.index('<article class="meeting-sheet"') : html.index("</article>")]


def test_the_owner_sees_the_sheet_of_the_week_asked(time_machine, owner_client, hand_made_week, london):
    time_machine.move_to(MADE_AT, tick=False)
    response = owner_client.get(f"{SHEET_PATH}?week=2026-11-12")
    assert response.status_code == 200
    assert response["Content-Security-Policy"]
    html = sheet_html(response)
    for fragment in (
        "Harbour Café: the week of 9 Nov to 15 Nov 2026",
        "The week in numbers",
        "88%",
        "2.86 ★",
        "Maya remembered my order and made my morning.",
        "served by <strong>Maya Lindqvist</strong>",
        "<strong>2</strong> open · <strong>1</strong> overdue",
        "1★ from Wendy",
        "with Olivia Owner",
        "saved by <strong>Maya Lindqvist</strong>",
        "Product or service quality <strong>1</strong>",
        "Open earlier on Saturdays, please.",
    ):
        assert fragment in html, fragment
    # No contact details of any customer, nor the business's phone: a sheet gets printed and left about.
    assert "@" not in html and "x.example" not in html and london.phone not in html
    assert 'style="' not in html and "<script>" not in response.content.decode()
    # A Print button (wired by a static script, shown once it works) and the keyboard way.
    assert "data-print hidden" in response.content.decode() and "js/print-button.js" in response.content.decode()
    assert "Ctrl+P" in response.content.decode()


def test_without_a_week_it_shows_the_last_full_week(time_machine, owner_client, hand_made_week):
    time_machine.move_to(datetime(2026, 11, 18, 12, tzinfo=UTC), tick=False)
    response = owner_client.get(SHEET_PATH)
    assert response.status_code == 200
    assert response.context["sheet"].week.first_day == MONDAY


def test_the_admin_index_links_to_the_sheet(owner_client):
    assert SHEET_PATH in owner_client.get("/admin/").content.decode()


@pytest.mark.parametrize(
    "week", ["yesterday", "2026-13-01", "2026-02-30", "0001-01-01", "9999-12-31", "2026-11-16T00:00:00+22:16"]
)
def test_a_week_that_cannot_be_read_is_a_400_that_says_why(owner_client, week):
    response = owner_client.get(SHEET_PATH, {"week": week})
    assert response.status_code == 400
    html = response.content.decode()
    assert "errornote" in html and ("YYYY-MM-DD" in html or "Choose a date between" in html)
    assert '<article class="meeting-sheet"' not in html


def test_another_business_is_not_found(owner_client, other_business):
    assert owner_client.get(SHEET_PATH, {"business": other_business.pk}).status_code == 404
    assert owner_client.get(SHEET_PATH, {"business": "not-a-number"}).status_code == 404
    assert owner_client.get(SHEET_PATH, {"business": "999999999"}).status_code == 404


def test_an_owner_of_two_businesses_chooses(client, london, other_business, people):
    MembershipFactory(business=other_business, user=people["owner"])
    client.force_login(people["owner"])
    response = client.get(SHEET_PATH, {"business": other_business.pk})
    assert response.status_code == 200 and response.context["sheet"].business == other_business
    assert 'name="business"' in response.content.decode() and "<select" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(SHEET_PATH)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_login_without_a_business_gets_404(client):
    from tests.businesses.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(SHEET_PATH).status_code == 404


# --- the signed link from the weekly email -------------------------------------------------------


def path_of(url: str) -> str:
    return url.removeprefix("https://raves.test")


def test_the_link_opens_that_business_and_week_read_only(time_machine, hand_made_week, london):
    time_machine.move_to(MADE_AT, tick=False)
    url = meeting_sheet_url(business=london, monday=MONDAY)
    assert url.startswith("https://raves.test/meeting-sheet/")
    response = Client().get(path_of(url))
    assert response.status_code == 200
    assert response.context["sheet"].week.first_day == MONDAY
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "Maya remembered my order and made my morning." in html
    assert "@" not in html and london.phone not in html and 'style="' not in html
    assert Client().head(path_of(url)).status_code == 200
    assert Client().post(path_of(url)).status_code == 405


def test_an_expired_link_is_not_found(time_machine, settings, london):
    settings.MEETING_SHEET_LINK_DAYS = 14
    time_machine.move_to(MADE_AT, tick=False)
    path = path_of(meeting_sheet_url(business=london, monday=MONDAY))
    time_machine.move_to(MADE_AT + timedelta(days=13, hours=23), tick=False)
    assert Client().get(path).status_code == 200
    time_machine.move_to(MADE_AT + timedelta(days=14, minutes=1), tick=False)
    assert Client().get(path).status_code == 404


def _signed(payload) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object(payload, compress=False)


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "eyJiIjoxLCJ3IjoiMjAyNi0xMS0wOSJ9:1vabc:forged",
        pytest.param(None, id="signed-with-another-salt"),
        pytest.param({"b": "1", "w": "2026-11-09"}, id="business-not-a-number"),
        pytest.param({"b": 0, "w": "2026-11-10"}, id="not-a-monday"),
        pytest.param({"b": 0, "w": "0001-01-01"}, id="out-of-range"),
        pytest.param({"b": 0, "w": "yesterday"}, id="not-a-date"),
        pytest.param({"b": 0, "w": 20261109}, id="week-not-a-string"),
        pytest.param({"b": 987654321, "w": "2026-11-09"}, id="no-such-business"),
        pytest.param([1, 2], id="not-an-object"),
    ],
)
def test_a_tampered_or_forged_link_is_not_found(london, token):
    if token is None:
        token = signing.TimestampSigner(salt="insights.scorecard").sign_object({"b": london.pk, "w": "2026-11-09"})
    elif not isinstance(token, str):
        if isinstance(token, dict) and token.get("b") == 0:
            token = {**token, "b": london.pk}
        token = _signed(token)
    assert meeting_sheet_by_token(token) is None
    assert Client().get(f"/meeting-sheet/{token}/").status_code == 404


def test_a_link_to_one_business_cannot_be_turned_into_another(london, other_business):
    token = path_of(meeting_sheet_url(business=london, monday=MONDAY)).split("/")[2]
    forged = _signed({"b": other_business.pk, "w": "2026-11-09"}).split(":")[0] + ":" + token.split(":", 1)[1]
    assert Client().get(f"/meeting-sheet/{forged}/").status_code == 404


def test_guessing_links_is_throttled(settings, london):
    settings.TOKEN_GUESS_LIMIT = "3/hour"
    statuses = [Client().get(f"/meeting-sheet/guess-{n}/").status_code for n in range(5)]
    assert statuses == [404, 404, 404, 429, 429]


# --- in the weekly email -------------------------------------------------------------------------


def test_the_weekly_email_links_the_sheet_of_its_week(time_machine, hand_made_week, london):
    StaffMemberFactory(business=london, name="Maya Two", email="maya2@harbour.example")
    time_machine.move_to(MADE_AT, tick=False)
    tasks.send_due_digests()
    outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))
    [message] = [message for message in mail.outbox if message.to == ["maya2@harbour.example"]]
    html = message.alternatives[0][0]
    [url] = re.findall(r"https://raves\.test/meeting-sheet/[^/\s\"]+/", message.body)
    assert f'href="{url}"' in html
    assert "The week on one page, for the team meeting" in message.body
    response = Client().get(path_of(url))
    assert response.status_code == 200
    sheet = response.context["sheet"]
    assert (sheet.business, sheet.week.first_day, sheet.week.last_day) == (london, MONDAY, date(2026, 11, 15))
    assert "Maya remembered my order and made my morning." in response.content.decode()


# --- hostile input -------------------------------------------------------------------------------


@pytest.mark.parametrize("label", list(HOSTILE_STRINGS))
def test_hostile_strings_in_the_week_the_business_and_the_link_are_4xx(owner_client, label):
    text = as_bytes(HOSTILE_STRINGS[label][:4000])
    assert owner_client.get(f"{SHEET_PATH}?{urlencode({'week': text})}").status_code == 400
    assert owner_client.get(f"{SHEET_PATH}?{urlencode({'business': text})}").status_code == 404
    assert Client().get(f"/meeting-sheet/{quote(text[:2000], safe='')}/").status_code == 404
