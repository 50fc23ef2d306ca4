"""A staff member reads the complaint given to them and a congratulation in their own language; owners
and managers read the case alerts and the daily-limit notice in the business's default language
(whatever language the customer answered in)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from feedback.emails import daily_limit_reached_email
from feedback.models import FeedbackRequest
from feedback.services.responses import Answer, feedback_submit
from outbox.models import OutboxEmail
from reviews.emails import (
    case_escalated_email,
    case_opened_email,
    case_overdue_email,
    case_reply_email,
    case_staff_owner_email,
    congratulation_email,
)
from reviews.models import Case, CaseMessage, Congratulation, Review
from tests.businesses.factories import MembershipFactory, StaffMemberFactory, UserFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory
from tests.reviews.factories import ReviewFactory

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
# Tuesday 8 December 2026, 14:30 (the emails show it in the active time zone, UTC here).
DEADLINE = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)


@pytest.fixture
def bakery(business):
    business.name = "Corner Bakery"
    business.save()
    return business


@pytest.fixture
def owner(bakery):
    return MembershipFactory(business=bakery, user=UserFactory(first_name="Olivia", last_name="Hart")).user


def staff(bakery, language: str, name: str = "Lena Weber"):
    return StaffMemberFactory(
        business=bakery, name=name, email=f"{name.split()[0].lower()}@corner.example", language=language
    )


def a_case(bakery, *, customer_language: str = "", **fields) -> Case:
    request = FeedbackRequestFactory(
        business=bakery,
        customer__name="Anna Schmidt",
        customer__email="anna@example.de",
        language=customer_language,
        status=FeedbackRequest.Status.RESPONDED,
    )
    feedback = FeedbackFactory(request=request, rating=1, comment="Zu lange gewartet.")
    return Case.objects.create(
        business=bakery,
        feedback=feedback,
        original_rating=1,
        opened_at=DEADLINE - timedelta(hours=24),
        deadline=DEADLINE,
        **fields,
    )


def parts(message) -> tuple[str, str]:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def assert_in_both_parts(message, *fragments: str) -> None:
    text, html = parts(message)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} is missing from the plain-text part"
        assert fragment in html, f"{fragment!r} is missing from the HTML part"


def html_lang(message) -> str:
    return re.search(r'<html lang="([^"]+)"', parts(message)[1]).group(1)


# --- to a staff member, in their language ------------------------------------------------------------


def test_a_german_staff_member_is_given_a_complaint_in_german(bakery):
    message = case_staff_owner_email(a_case(bakery, staff_owner=staff(bakery, "de")))
    assert message.subject == "Corner Bakery: Bitte machen Sie eine Beschwerde wieder gut — bis Di, 8. Dez., 14:30 UTC"
    assert_in_both_parts(
        message,
        "Hallo Lena Weber,",
        "Kundin oder Kunde: Anna Schmidt",
        "Dienstag, 8. Dezember, 14:30 Uhr UTC",
        "Er gilt 14 Tage lang oder bis der Fall jemand anderem übergeben wird.",
    )
    assert "Fall öffnen" in parts(message)[1]
    assert html_lang(message) == "de"
    assert "make right" not in message.subject + message.body


def test_an_english_staff_member_of_a_german_business_stays_english(bakery):
    bakery.default_language = "de"
    bakery.save()
    message = case_staff_owner_email(a_case(bakery, staff_owner=staff(bakery, "en", "Tom Okafor")))
    assert message.subject == "Corner Bakery: a customer's complaint is yours to make right — by Tue 8 Dec, 14:30 UTC"
    assert_in_both_parts(message, "Hi Tom Okafor,", "Tuesday 8 December, 14:30 UTC", "It works for 14 days")
    assert translation.get_language() == "en"  # nothing leaks to what runs next


def test_a_staff_member_without_a_language_follows_the_business_default(bakery):
    bakery.default_language = "de"
    bakery.save()
    message = case_staff_owner_email(a_case(bakery, staff_owner=staff(bakery, "")))
    assert message.subject.startswith("Corner Bakery: Bitte machen Sie eine Beschwerde wieder gut")


def test_a_congratulation_reaches_a_german_staff_member_in_german(bakery, owner):
    lena = staff(bakery, "de")
    review = ReviewFactory(
        business=bakery,
        status=Review.Status.PUBLISHED,
        feedback__rating=5,
        feedback__staff=lena,
        feedback__display_name="Anna S.",
        feedback__comment="Lena war wunderbar.",
    )
    congratulation = Congratulation.objects.create(review=review, staff=lena, author=owner, note="Danke, Lena!")
    message = congratulation_email(congratulation)
    assert message.subject == "Olivia Hart gratuliert Ihnen zu einer Kundenbewertung von Corner Bakery"
    assert_in_both_parts(
        message,
        "Hallo Lena,",
        "Danke, Lena!",
        "Die Worte der Kundin oder des Kunden:",
        "Anna S., 5★",
        "Olivia Hart hat Ihnen diese Nachricht zu einer Bewertung von Corner Bakery in Raves geschrieben.",
    )
    assert html_lang(message) == "de"

    congratulation.author = None
    assert congratulation_email(congratulation).subject.startswith("Eine ehemalige Führungskraft gratuliert Ihnen")
    lena.language = "en"
    assert congratulation_email(congratulation).subject == (
        "A former manager congratulates you on a customer's review of Corner Bakery"
    )


# --- to owners and managers, in the business's default language ---------------------------------------


def test_the_case_alerts_follow_the_business_default_language(bakery, owner):
    bakery.default_language = "de"
    bakery.save()
    case = a_case(bakery, assignee=owner, overdue_reminded_at=DEADLINE + timedelta(hours=1))

    opened = case_opened_email(case, owner)
    assert opened.subject == "1★ von Anna Schmidt — bitte antworten Sie bis Di, 8. Dez., 14:30 UTC"
    assert_in_both_parts(opened, "Hallo Olivia,", "Kundin oder Kunde:", "Das ist eine Chance, es wiedergutzumachen.")
    assert "hat ihr Erlebnis mit <strong>1 von 5</strong> bewertet." in parts(opened)[1]
    assert html_lang(opened) == "de"

    overdue = case_overdue_email(case, owner)
    assert overdue.subject == "Überfällig: Anna Schmidt wartet noch immer auf Corner Bakery"
    assert_in_both_parts(overdue, "und noch hat niemand geantwortet.")

    escalated = case_escalated_email(case, owner)
    assert escalated.subject == "Eskaliert: Anna Schmidt wartet noch immer auf Corner Bakery"
    assert_in_both_parts(
        escalated,
        "Olivia Hart wurde am Dienstag, 8. Dezember, 15:30 Uhr UTC daran erinnert",
        "Bitte sorgen Sie dafür, dass heute jemand antwortet.",
    )

    message = CaseMessage.objects.create(
        case=case, direction=CaseMessage.Direction.FROM_CUSTOMER, author_label="Anna", body="Immer noch kalt."
    )
    reply = case_reply_email(message, owner, reopened=True)
    assert reply.subject == f"Anna Schmidt hat auf Fall #{case.pk} geantwortet"
    assert_in_both_parts(
        reply,
        "hat auf die Beschwerde bei Corner Bakery geantwortet:",
        "Der Fall war gelöst; die Antwort hat ihn wieder geöffnet.",
    )


def test_an_owner_of_an_english_business_is_alerted_in_english_about_a_german_customer(bakery, owner):
    case = a_case(bakery, customer_language="de")
    opened = case_opened_email(case, owner)
    assert opened.subject == "1★ from Anna Schmidt — please respond by Tue 8 Dec, 14:30 UTC"
    assert_in_both_parts(opened, "Hi Olivia,", "This is a chance to make it right.")


def test_a_german_business_alerts_its_owner_in_german_as_the_case_opens(bakery, owner):
    bakery.default_language = "de"
    bakery.save()
    request = FeedbackRequestFactory(business=bakery, customer__name="Anna Schmidt")
    feedback_submit(request_id=request.pk, answer=Answer(rating=1, comment="Kalt."))
    [alert] = OutboxEmail.objects.filter(key__startswith="case-opened:")
    assert alert.subject.startswith("1★ von Anna Schmidt — bitte antworten Sie bis ")
    assert "Eine Kundin oder ein Kunde von Corner Bakery hat ihr Erlebnis mit 1 von 5 bewertet." in alert.text


def test_the_daily_limit_notice_is_in_the_business_default_language_with_its_numbers(bakery):
    resumes = datetime(2026, 12, 8, tzinfo=ZoneInfo("Europe/Berlin"))
    bakery.timezone = "Europe/Berlin"
    english = daily_limit_reached_email(
        bakery, to="o@x.example", first_name="", limit=1000, waiting=1, resumes_at=resumes
    )
    assert english.subject == "Corner Bakery reached its daily limit of 1,000 invitations; 1 waits for tomorrow"
    assert_in_both_parts(english, "Hi there,", "Tuesday 8 December 2026 (Europe/Berlin)")

    bakery.default_language = "de"
    german = daily_limit_reached_email(
        bakery, to="o@x.example", first_name="Ada", limit=1000, waiting=2500, resumes_at=resumes
    )
    assert german.subject == "Corner Bakery hat das Tageslimit von 1.000 Einladungen erreicht; 2.500 warten auf morgen"
    assert_in_both_parts(german, "Hallo Ada,", "ab Tagesbeginn am Dienstag, 8. Dezember 2026 (Europe/Berlin)")
    assert html_lang(german) == "de"
