"""Staff members read their weekly wins, kudos, scorecard and its page in their own language.

A staff member's language is their own (`StaffMember.language`), else the business's default; the
figures follow it ("4,33 ★", "75 %", German dates). The shared meeting sheet is in the business's
default language: the whole team reads the one sheet.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import polib
import pytest
from django.core import mail
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy

from businesses.models import Business, Weekday
from feedback.emails import daily_limit_reached_email
from feedback.models import FeedbackRequest
from insights import tasks
from insights.emails import digest_email, duration, kudos_email, percent, recommend_score, scorecard_email, stars
from insights.meeting_sheet_links import meeting_sheet_token
from insights.meeting_sheet_views import WeekForm
from insights.periods import meeting_sheet_week, scheduled_week
from insights.scorecard_links import scorecard_token
from insights.selectors import OpenComplaint
from insights.services.digest import digest_build, digest_send, digest_unsubscribe_token
from insights.services.meeting_sheet import FigureChange, meeting_sheet_build
from insights.services.scorecards import StaffFigures, scorecards_send, staff_scorecard
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.emails import (
    case_escalated_email,
    case_opened_email,
    case_overdue_email,
    case_reply_email,
    case_staff_owner_email,
    congratulation_email,
)
from reviews.models import Case, CaseMessage, Congratulation, Review
from reviews.services.cases import case_update
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory
from tests.feedback.test_languages import CATALOGUE, english_left, german_not_rendered, outside_the_admin
from tests.reviews.factories import CaseFactory, ReviewFactory, answer

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
# The digest goes on Monday 16 November 2026 and covers Mon 9 – Sun 15 November.
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
def cafe(time_machine):
    time_machine.move_to(datetime(2026, 10, 1, tzinfo=UTC), tick=False)
    return BusinessFactory(name="Harbour Café", timezone="Europe/London", digest_weekday=Weekday.MONDAY, digest_hour=9)


@pytest.fixture
def lena(cafe):
    return StaffMemberFactory(business=cafe, name="Lena Weber", email="lena@harbour.example", language="de")


@pytest.fixture
def tom(cafe):
    return StaffMemberFactory(business=cafe, name="Tom Okafor", email="tom@harbour.example", language="en")


@pytest.fixture
def week_of_answers(time_machine, cafe, lena, tom):
    """In the digest's week: four invitations, three answered 5★, 4★ and 4★ (average 4.33, CSAT 100 %,
    response rate 75 %), two of them naming Lena."""

    def invited(name: str):
        return FeedbackRequestFactory(business=cafe, customer__name=name, customer__email=f"{name[:3]}@x.example")

    time_machine.move_to(datetime(2026, 11, 10, 10, tzinfo=UTC), tick=False)
    answer(business=cafe, rating=5, comment="Lena hat mir den Tag gerettet.", staff=lena, request=invited("Anna"))
    answer(business=cafe, rating=4, comment="Schnell und freundlich.", staff=lena, request=invited("Jonas"))
    answer(business=cafe, rating=4, comment="Gut.", staff=tom, request=invited("Mia"))
    invited("Nobody")
    time_machine.move_to(MONDAY, tick=False)


def deliver() -> dict[str, object]:
    """Send every queued outbox email now; the messages that arrived, by recipient."""
    outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))
    return {message.to[0]: message for message in mail.outbox}


def parts(message) -> tuple[str, str]:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def assert_in_both_parts(message, *fragments: str) -> None:
    text, html = parts(message)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} is missing from the plain-text part"
        assert fragment in html, f"{fragment!r} is missing from the HTML part"


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


# --- one place decides -----------------------------------------------------------------------------


def test_a_staff_member_reads_their_own_language_else_the_business_default(cafe):
    assert StaffMemberFactory(business=cafe, language="de").preferred_language == "de"
    blank = StaffMemberFactory(business=cafe, language="")
    assert blank.preferred_language == "en"
    cafe.default_language = "de"
    cafe.save()
    assert blank.preferred_language == "de"
    assert StaffMemberFactory(business=cafe, language="en").preferred_language == "en"


def test_the_figures_are_written_as_each_language_writes_them():
    assert (percent(0.734), stars(4.25), stars(4.0), duration(150), duration(3600)) == (
        "73%",
        "4.25 ★",
        "4 ★",
        "2 h 30 min",
        "2.5 days",
    )
    with translation.override("de"):
        assert re.fullmatch(r"73\s%", percent(0.734))
        assert (stars(4.25), stars(4.0), duration(42), duration(150), duration(120), duration(3600)) == (
            "4,25 ★",
            "4 ★",
            "42 Min.",
            "2 Std. 30 Min.",
            "2 Std.",
            "2,5 Tage",
        )
        assert recommend_score(33.3) == "+33"
    assert translation.get_language() == "en"


def test_german_short_dates_carry_the_abbreviation_dot_and_english_ones_stay_as_they_were():
    template = Template(
        '{% load i18n %}{{ day|date:_("j M Y") }} | {{ day|date:_("j M") }} | {{ day|date:_("j M Y, H:i") }} | '
        '{{ may|date:_("j M Y") }} | {{ september|date:_("j M") }}'
    )
    context = Context({"day": datetime(2026, 12, 6, 9, 5), "may": date(2026, 5, 6), "september": date(2026, 9, 30)})

    assert template.render(context) == "6 Dec 2026 | 6 Dec | 6 Dec 2026, 09:05 | 6 May 2026 | 30 Sep"
    with translation.override("de"):
        # Cut-off month names take a dot; "Mai" is whole and takes none.
        assert template.render(context) == "6. Dez. 2026 | 6. Dez. | 6. Dez. 2026, 09:05 | 6. Mai 2026 | 30. Sept."


# --- the weekly wins email ------------------------------------------------------------------------------


def test_a_german_staff_member_gets_the_weekly_wins_in_german_and_an_english_one_in_english(week_of_answers, cafe):
    digest_send(business=cafe, week=scheduled_week(cafe, MONDAY), now=MONDAY)
    messages = deliver()

    german = messages["lena@harbour.example"]
    assert german.subject == "Ihre Woche bei Harbour Café: 3 Antworten"
    assert_in_both_parts(
        german,
        "Hallo Lena,",
        "9. Nov. bis 15. Nov.: 3 Kundinnen und Kunden haben Ihnen gesagt, wie es war.",
        "Durchschnittliche Bewertung",
        "4,33 ★",
        "Was Kundinnen und Kunden begeistert hat",
        "Lena hat mir den Tag gerettet.",
        "2-mal genannt",
        "Ihre eigenen Zahlen in diesem Monat:",
        "Sie erhalten diese wöchentliche E-Mail als Teil des Teams von Harbour Café.",
    )
    text, html = parts(german)
    assert re.search(r"Antwortquote: 75\s% \(—\)", text)
    assert html_lang(html) == "de"
    assert "Your week" not in text + html and "4.33" not in text + html
    # Customers' words in German quotation marks.
    assert_in_both_parts(german, "„Lena hat mir den Tag gerettet.“", "„Schnell und freundlich.“")
    assert "“Lena" not in text + html and '"Lena' not in text + html

    english = messages["tom@harbour.example"]
    assert english.subject == "Your week at Harbour Café: 3 answers"
    assert_in_both_parts(english, "Hi Tom,", "9 Nov to 15 Nov: 3 customers told you how it went.", "4.33 ★")
    assert_in_both_parts(english, "“Lena hat mir den Tag gerettet.”")
    assert "Response rate: 75% (—)" in english.body
    assert html_lang(parts(english)[1]) == "en"


def test_a_staff_member_without_a_language_gets_the_business_default(week_of_answers, cafe, tom):
    tom.language = ""
    tom.save()
    cafe.default_language = "de"
    cafe.save()
    digest_send(business=cafe, week=scheduled_week(cafe, MONDAY), now=MONDAY)
    assert deliver()["tom@harbour.example"].subject == "Ihre Woche bei Harbour Café: 3 Antworten"


def test_a_quiet_week_is_german_too(cafe, lena, time_machine):
    time_machine.move_to(datetime(2026, 11, 11, tzinfo=UTC), tick=False)
    FeedbackRequestFactory(business=cafe)
    time_machine.move_to(MONDAY, tick=False)
    digest_send(business=cafe, week=scheduled_week(cafe, MONDAY), now=MONDAY)
    message = deliver()["lena@harbour.example"]
    assert message.subject == "Eine ruhige Woche bei Harbour Café — auf die nächste!"
    assert_in_both_parts(
        message,
        "Vom 9. Nov. bis 15. Nov. ist kein Feedback von Kundinnen und Kunden eingegangen.",
        "1 Einladung ist hinausgegangen",
    )


# --- kudos ------------------------------------------------------------------------------------------------


def test_kudos_reach_a_german_staff_member_in_german(cafe, lena, tom, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    answer(business=cafe, rating=5, comment="Lena war großartig.", staff=lena)
    answer(business=cafe, rating=4, comment="", staff=lena)
    answer(business=cafe, rating=5, comment="Tom was great.", staff=tom)
    assert tasks.send_kudos() == 2
    messages = deliver()

    german = messages["lena@harbour.example"]
    assert german.subject == "2 Kundinnen und Kunden von Harbour Café haben Sie genannt"
    assert_in_both_parts(
        german,
        "Hallo Lena,",
        "2 Kundinnen und Kunden von Harbour Café haben Sie in zufriedenen Antworten genannt.",
        "„Lena war großartig.“",
        "hat 4★ gegeben und Sie genannt.",
        "Danke, dass Sie ihnen den Tag verschönert haben.",
    )
    assert messages["tom@harbour.example"].subject == "A customer of Harbour Café named you"


def test_words_in_german_quotation_marks_are_still_escaped_in_the_html_part(cafe, lena, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    answer(business=cafe, rating=5, comment='<b>Lena</b> & "Tom"\n</blockquote><script>x</script>', staff=lena)
    assert tasks.send_kudos() == 1
    text, html = parts(deliver()["lena@harbour.example"])

    assert '„<b>Lena</b> & "Tom"\n</blockquote><script>x</script>“' in text
    assert (
        "„&lt;b&gt;Lena&lt;/b&gt; &amp; &quot;Tom&quot;<br>&lt;/blockquote&gt;&lt;script&gt;x&lt;/script&gt;“" in html
    )
    assert "<script>" not in html


# --- the scorecard ---------------------------------------------------------------------------------------


@pytest.fixture
def november(cafe, lena, tom, time_machine):
    """Lena's November: two answers to customers she served, 5★ and 4★ (average 4.5, CSAT 100 %)."""
    time_machine.move_to(datetime(2026, 11, 12, 10, tzinfo=UTC), tick=False)
    for rating, comment in ((5, "Lena hat alles erklärt."), (4, "")):
        request = FeedbackRequestFactory(business=cafe, staff=lena, sent_at=datetime(2026, 11, 12, tzinfo=UTC))
        answer(business=cafe, rating=rating, comment=comment, request=request)
    time_machine.move_to(datetime(2026, 12, 6, 12, tzinfo=UTC), tick=False)


def test_the_monthly_scorecard_email_is_in_the_staff_members_language(november, cafe):
    scorecards_send(business=cafe, month=date(2026, 11, 1))
    messages = deliver()

    german = messages["lena@harbour.example"]
    assert german.subject == "Ihr November bei Harbour Café: Ihre eigenen Zahlen"
    assert_in_both_parts(
        german,
        "Hallo Lena,",
        "Durchschnittliche Bewertung",
        "4,5 ★",
        "In den Worten Ihrer Kundinnen und Kunden",
        "„Lena hat alles erklärt.“",
        "Dieser Link gehört Ihnen: Bitte leiten Sie ihn nicht weiter.",
    )
    assert re.search(r"Antworten mit 4–5 Sternen \(CSAT\): 100\s% \(—\)", german.body)
    assert messages["tom@harbour.example"].subject == "Your November at Harbour Café: your own figures"


def test_the_scorecard_page_is_in_the_staff_members_language(november, lena, tom):
    response = Client().get(f"/scorecard/{scorecard_token(lena)}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    assert html_lang(page) == "de"
    for german in ("Lena Weber, Ihre eigenen Zahlen", "Dezember 2026 bis jetzt", "November 2026", "4,5 ★"):
        assert german in page, german
    assert "1. Nov. bis 30. Nov., verglichen mit 1. Okt. bis 31. Okt." in page
    assert "„Lena hat alles erklärt.“" in page
    assert "your own figures" not in page

    refused = Client().get(f"/scorecard/{scorecard_token(lena)}/?month=2026-13")
    assert refused.status_code == 400
    assert "Geben Sie den Monat als JJJJ-MM an, zum Beispiel 2026-11." in refused.content.decode()

    english = Client().get(f"/scorecard/{scorecard_token(tom)}/").content.decode()
    assert html_lang(english) == "en" and "Tom Okafor, your own figures" in english
    assert translation.get_language() == "en"  # nothing leaks to what runs next


# --- the opt-out and the meeting sheet -----------------------------------------------------------------------


def test_the_weekly_email_opt_out_speaks_the_staff_members_language(lena):
    path = f"/digest/unsubscribe/{digest_unsubscribe_token(lena)}/"
    asked = Client().get(path)
    assert asked["Content-Language"] == "de"
    assert html_lang(asked.content.decode()) == "de"
    assert "Die wöchentliche Erfolgs-E-Mail abbestellen?" in asked.content.decode()
    done = Client().post(path).content.decode()
    assert "Sie erhalten die wöchentliche Erfolgs-E-Mail nicht mehr" in done
    lena.refresh_from_db()
    assert lena.wants_digest is False


def test_the_shared_meeting_sheet_is_in_the_business_default_language(week_of_answers, cafe, time_machine):
    cafe.default_language = "de"
    cafe.save()
    monday = date(2026, 11, 9)
    response = Client().get(f"/meeting-sheet/{meeting_sheet_token(business=cafe, monday=monday)}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    assert html_lang(page) == "de"
    for german in (
        "Harbour Café: die Woche vom 9. Nov. bis 15. Nov. 2026",
        "Die Woche in Zahlen",
        "Antwortquote",
        "4,33 ★",
        "betreut von <strong>Lena Weber</strong>",
        "Drucken",
    ):
        assert german in page, german
    cafe.default_language = "en"
    cafe.save()
    english = Client().get(f"/meeting-sheet/{meeting_sheet_token(business=cafe, monday=monday)}/").content.decode()
    assert html_lang(english) == "en" and "Harbour Café: the week of 9 Nov to 15 Nov 2026" in english


def test_one_run_writes_each_staff_member_in_their_own_language(week_of_answers, cafe):
    """Each email of one run is in its own reader's language: none leaks into the next."""
    StaffMemberFactory(business=cafe, name="Ana Silva", email="ana@harbour.example", language="en")
    digest_send(business=cafe, week=scheduled_week(cafe, MONDAY), now=MONDAY)
    subjects = {to: message.subject for to, message in deliver().items()}
    assert subjects == {
        "ana@harbour.example": "Your week at Harbour Café: 3 answers",
        "lena@harbour.example": "Ihre Woche bei Harbour Café: 3 Antworten",
        "tom@harbour.example": "Your week at Harbour Café: 3 answers",
    }


# --- nothing English left ---------------------------------------------------------------------------


# The templates and modules whose strings staff members and owners read (the admin's own are elsewhere).
STAFF_AND_OWNER_FILES = (
    "templates/emails/digest-",
    "templates/emails/kudos-",
    "templates/emails/scorecard-",
    "templates/emails/congratulation-",
    "templates/emails/case-staff-owner-",
    "templates/emails/case-opened-",
    "templates/emails/case-overdue-",
    "templates/emails/case-escalated-",
    "templates/emails/case-reply-",
    "templates/emails/daily-limit-reached-",
    "templates/insights/scorecard.html",
    "templates/insights/_meeting_sheet.html",
    "templates/insights/meeting_sheet_shared.html",
    "templates/insights/digest_unsubscribe",
    "insights/emails.py",
    "insights/views.py",
    "insights/services/meeting_sheet.py",
    "insights/meeting_sheet_views.py",
    "reviews/emails.py",
)
# Date formats, and the admin page's own texts (the admin speaks its user's language, not the business's;
# tests/businesses/test_owner_language.py checks those).
NOT_SHOWN_AS_WRITTEN = {
    *("l j F Y", "j M", "j M Y", "l j F, H:i e", "D j M, H:i e"),
    *("Meeting sheet — %(business)s", "You do not run a business here yet."),
}


def rendered_parts(message) -> list[str]:
    return [message.subject, *parts(message)]


def staff_emails(cafe, lena) -> list[str]:
    """Every branch of the weekly wins, kudos and scorecard emails, in German."""
    week = scheduled_week(cafe, MONDAY)
    digest = digest_build(business=cafe, week=week)
    assert digest.causes and digest.saves  # the real week has a resolved complaint with a cause
    # Two of seven saves shown: one re-rated higher, served and with how; one neither.
    saved = {
        "display_name": "",
        "original_rating": 1,
        "rating": 4,
        "staff_name": "Lena",
        "resolution": "Neu.",
        "total": 7,
    }
    unchanged = {**saved, "display_name": "Jo", "rating": 1, "staff_name": "", "resolution": ""}
    busy = replace(
        digest,
        saves=[saved, unchanged],
        savers=[{"name": "Lena Weber", "saves": 1}, {"name": "Tom Okafor", "saves": 3}],
        ideas=[{"improvement": "Mehr Brezeln.", "display_name": "", "total": 6}],
        named_staff=[{"name": "Lena Weber", "mentions": 1, "comment": "Toll.", "display_name": ""}],
    )
    quiet = replace(digest, feedback_count=0, figures=replace(digest.figures, requests_sent=3))
    links = {"unsubscribe_url": "https://raves.test/u/", "scorecard_url": "https://raves.test/s/"}
    quotes = [
        SimpleNamespace(pk=1, feedback=SimpleNamespace(rating=5, comment="Super!", display_name="")),
        SimpleNamespace(pk=2, feedback=SimpleNamespace(rating=4, comment="", display_name="Jo")),
    ]
    scorecard = staff_scorecard(staff=lena, month=date(2026, 11, 1), today=date(2026, 12, 6))
    assert scorecard.kind_words
    empty = StaffFigures(requests=0, responses=0, average_rating=None, csat=None, mentions=0, saves=0)
    quiet_month = replace(scorecard, kind_words=[], figures=empty)
    emails = [
        digest_email(busy, lena, **links),
        digest_email(quiet, lena, **links),
        kudos_email(lena, quotes[:1]),
        kudos_email(lena, quotes),
        *(scorecard_email(card, **links) for card in (scorecard, quiet_month)),
    ]
    return [part for email in emails for part in rendered_parts(email)]


def staff_pages(cafe, lena) -> list[str]:
    """The scorecard page (months whole and under way, busy and quiet, refused), the opt-out, the meeting sheet."""
    client = Client()
    scorecard = f"/scorecard/{scorecard_token(lena)}/"
    pages = [client.get(scorecard + query) for query in ("", "?month=2026-10", "?month=bad", "?month=2027-01")]
    opt_out = f"/digest/unsubscribe/{digest_unsubscribe_token(lena)}/"
    pages += [client.get(opt_out), client.post(opt_out), client.get(opt_out)]
    pages.append(client.get(f"/meeting-sheet/{meeting_sheet_token(business=cafe, monday=date(2026, 11, 9))}/"))
    rendered = [page.content.decode() for page in pages]
    with translation.override("de"):
        rendered += [meeting_sheet(cafe, busy=True), meeting_sheet(cafe, busy=False)]
        form = WeekForm({"week": "not a date"}, businesses=Business.objects.filter(pk=cafe.pk))
        rendered.append(str(form.errors) + form.as_p())
    return rendered


def meeting_sheet(cafe, *, busy: bool) -> str:
    """The shared sheet with every section filled (a week under way), or with every section empty."""
    week = meeting_sheet_week(cafe, day=date(2026, 11, 9))
    sheet = meeting_sheet_build(business=cafe, week=week, now=MONDAY)
    if busy:
        open_since = MONDAY - timedelta(days=2)
        sheet = replace(
            sheet,
            made_at=week.end - timedelta(hours=1),
            figures=[
                FigureChange(gettext_lazy("Responses"), 3, 1, "count"),
                FigureChange(gettext_lazy("Response rate"), 0.5, 0.75, "rate"),
                FigureChange(gettext_lazy("Average rating"), 4.0, 4.0, "stars"),
            ],
            named_staff=[{"name": "Lena Weber", "mentions": 2}],
            open_count=7,
            overdue_count=1,
            open_complaints=[
                OpenComplaint(1, "Anna", open_since, timedelta(days=2), "Olivia Hart", True),
                OpenComplaint(2, "", open_since, timedelta(hours=3), "", False),
            ],
            saves=[{"display_name": "", "original_rating": 1, "rating": 4, "saved_by": "Lena", "resolution": "Neu."}],
            saves_total=5,
            savers=[{"name": "Lena Weber", "saves": 2}],
            causes=[{"label": "Wartezeit", "count": 2, "trend": "+1"}],
            ideas=[{"improvement": "Mehr Brezeln.", "display_name": ""}],
            ideas_total=4,
        )
    else:
        sheet = replace(
            sheet, wins=[], named_staff=[], open_count=0, overdue_count=0, open_complaints=[], saves=[], savers=[]
        )
        sheet = replace(sheet, saves_total=0, causes=[], ideas=[], ideas_total=0)
    return render_to_string("insights/meeting_sheet_shared.html", {"business": cafe, "sheet": sheet})


def owner_and_case_emails(cafe, lena, owner) -> list[str]:
    """The complaint given to a staff member, a congratulation, and every alert to owners and managers."""
    deadline = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)
    case = CaseFactory(
        business=cafe,
        deadline=deadline,
        staff_owner=lena,
        assignee=owner,
        overdue_reminded_at=deadline + timedelta(hours=1),
        feedback__staff=lena,
        feedback__request__customer__name="Anna Schmidt",
    )
    walk_in = FeedbackRequestFactory(
        business=cafe, customer=None, channel=FeedbackRequest.Channel.OPEN_LINK, respondent_name=""
    )
    walk_in_case = CaseFactory(business=cafe, deadline=deadline, feedback__request=walk_in, feedback__comment="")
    walk_in_case.overdue_reminded_at = deadline
    message = CaseMessage.objects.create(
        case=case, direction=CaseMessage.Direction.FROM_CUSTOMER, author_label="Anna", body="Immer noch kalt."
    )
    walk_in_message = CaseMessage.objects.create(
        case=walk_in_case, direction=CaseMessage.Direction.FROM_CUSTOMER, author_label="Jo", body="Hallo?"
    )
    review = ReviewFactory(business=cafe, status=Review.Status.PUBLISHED, feedback__staff=lena)
    signed = Congratulation.objects.create(review=review, staff=lena, author=owner, note="Danke!")
    unsigned = Congratulation.objects.create(review=review, staff=lena, author=None, note="Danke!")
    review.feedback.comment = ""
    resumes = datetime(2026, 12, 8, tzinfo=ZoneInfo("Europe/London"))
    emails = [
        case_staff_owner_email(case),
        congratulation_email(signed),
        congratulation_email(unsigned),
        case_opened_email(case, owner),
        case_opened_email(walk_in_case, owner),
        case_overdue_email(case, owner),
        case_escalated_email(case, owner),
        case_escalated_email(walk_in_case, owner),
        case_reply_email(message, owner, reopened=True),
        case_reply_email(walk_in_message, owner, reopened=False),
        daily_limit_reached_email(cafe, to="o@x.example", first_name="", limit=50, waiting=1, resumes_at=resumes),
        daily_limit_reached_email(cafe, to="o@x.example", first_name="Ada", limit=50, waiting=9, resumes_at=resumes),
    ]
    return [part for email in emails for part in rendered_parts(email)]


def german_staff_renderings(cafe, lena, owner, time_machine) -> list[str]:
    """Everything a German staff member or owner reads: emails (every branch) and pages."""
    cafe.default_language = "de"  # owners read the business's default; Lena reads her own (German too)
    cafe.save()
    time_machine.move_to(datetime(2026, 11, 11, 10, tzinfo=UTC), tick=False)
    complaint = answer(business=cafe, rating=1, comment="Kalt.", staff=lena)
    case = Case.objects.get(feedback=complaint)
    case_update(case=case, actor=None, status="resolved", resolution="Neu gebacken.", cause="waiting_time")
    time_machine.move_to(MONDAY, tick=False)
    rendered = [*staff_emails(cafe, lena), *owner_and_case_emails(cafe, lena, owner)]
    time_machine.move_to(datetime(2026, 12, 6, 12, tzinfo=UTC), tick=False)  # December under way, still quiet
    return [*rendered, *staff_pages(cafe, lena)]


def test_german_staff_and_owners_meet_no_english_sentence_from_the_catalogue(
    week_of_answers, november, cafe, lena, time_machine
):
    owner = MembershipFactory(business=cafe, user=UserFactory(first_name="Olivia", last_name="Hart")).user
    rendered = "\n".join(german_staff_renderings(cafe, lena, owner, time_machine))
    catalogue = polib.pofile(str(CATALOGUE))
    left = english_left(rendered, outside_the_admin(catalogue))
    assert left == []
    # Every sentence written for staff and owners was rendered above, in German.
    ours = [
        entry
        for entry in catalogue
        if entry.msgid not in NOT_SHOWN_AS_WRITTEN
        and any(path.startswith(STAFF_AND_OWNER_FILES) for path, _ in entry.occurrences)
    ]
    assert len(ours) > 150
    not_rendered = german_not_rendered(rendered, ours)
    assert not_rendered == []
