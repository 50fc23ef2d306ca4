"""A staff member's inbox: the personal note when customers name them, and the weekly wins email.

Both are sent through the outbox to a real SMTP server on loopback, then read as a mail client
shows them: the HTML part laid out in Chromium (screenshots test-artifacts/screenshots/journey-3-*.png,
the German run's ending in -de.png) and the plain-text part read line by line. Maya reads them in
her own language (English in one run, German in the other); her colleague Tom, who names none, in
the business's (English).
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command

from insights import tasks as insights_tasks
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, PageLog
from tests.browser.journeys import (
    assert_clean,
    guarded_page,
    header,
    html_part,
    messages_to,
    screenshot,
    text_part,
)
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory
from tests.reviews.factories import answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JOURNEY = 3
MAIL_CLIENT = {"viewport": {"width": 800, "height": 900}}


@dataclass(frozen=True)
class Speech:
    """What Maya reads in one language (customers' words and names aside)."""

    lang: str
    suffix: str  # of screenshot and axe result names
    praise: tuple[tuple[str, int, str], ...]  # (customer, rating, comment): the customers write in it too
    kudos_subject: str
    kudos_lines: tuple[str, ...]
    wins_subject: str
    wins_lines: tuple[str, ...]
    wins_headings: tuple[str, ...]  # the HTML part's
    average: str  # of a 5 and a 4, as the language writes it
    csat: str  # 2 of 2 answers with 4 or 5 stars
    quoted: str  # a customer's words ({}) in the language's quotation marks


ENGLISH = Speech(
    lang="en",
    suffix="",
    praise=(
        ("Priya Patel", 5, "Maya remembered my order and had it ready."),
        ("Sam Reed", 4, "Maya fixed the grinder in five minutes."),
    ),
    kudos_subject="2 customers of Corner Bakery named you",
    kudos_lines=(
        "Hi Maya",
        "2 customers of Corner Bakery named you in a happy answer. In their words:",
        "Thank you for making their day.",
    ),
    wins_subject="Your week at Corner Bakery: 2 answers",
    wins_lines=(
        "Hi Maya,",
        "The week in numbers (the week before in brackets)",
        "What customers loved",
        "Named by happy customers",
        "Maya Lindqvist, named 2 times",
    ),
    wins_headings=("Your week at Corner Bakery", "The week in numbers", "What customers loved"),
    average="Average rating: 4.5 ★",
    csat="4–5 star answers (CSAT): 100%",
    quoted="“{}”",
)
GERMAN = Speech(
    lang="de",
    suffix="-de",
    praise=(
        ("Priya Patel", 5, "Maya wusste noch meine Bestellung und hatte sie schon fertig."),
        ("Sam Reed", 4, "Maya hat die Mühle in fünf Minuten repariert."),
    ),
    kudos_subject="2 Kundinnen und Kunden von Corner Bakery haben Sie genannt",
    kudos_lines=(
        "Hallo Maya",
        "Danke, dass Sie ihnen den Tag verschönert haben.",
    ),
    wins_subject="Ihre Woche bei Corner Bakery: 2 Antworten",
    wins_lines=(
        "Hallo Maya,",
        "Die Woche in Zahlen (die Vorwoche in Klammern)",
        "Was Kundinnen und Kunden begeistert hat",
        "Von zufriedenen Kundinnen und Kunden genannt",
        "Maya Lindqvist, 2-mal genannt",
    ),
    wins_headings=("Ihre Woche bei Corner Bakery", "Die Woche in Zahlen", "Was Kundinnen und Kunden begeistert hat"),
    average="Durchschnittliche Bewertung: 4,5 ★",
    csat="Antworten mit 4–5 Sternen (CSAT): 100\u00a0%",  # a no-break space keeps the sign with the number
    quoted="„{}“",
)


@pytest.fixture
def maya(db, settings, live_server, speech: Speech):
    settings.SITE_URL = live_server.url
    business = BusinessFactory(name="Corner Bakery", slug="corner-bakery", timezone="UTC", default_language="en")
    maya = StaffMemberFactory(
        business=business, name="Maya Lindqvist", email="maya@corner.example", language=speech.lang
    )
    StaffMemberFactory(business=business, name="Tom Okafor", email="tom@corner.example")
    for customer, rating, comment in speech.praise:
        request = FeedbackRequestFactory(business=business, customer__name=customer, staff=maya)
        answer(business=business, rating=rating, comment=comment, staff=maya, request=request)
    return maya


def deliver() -> None:
    outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))


def as_a_mail_client_shows_it(page, html: str) -> None:
    page.set_content(html)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("speech", [ENGLISH, GERMAN], ids=["en", "de"])
def test_a_staff_member_reads_the_kudos_and_the_weekly_wins_in_their_inbox(
    browser, maya, smtp_server, page_log: PageLog, speech: Speech
):
    # 1. Customers named Maya: one personal note, with their words, in her language.
    assert insights_tasks.send_kudos() == 1
    deliver()
    [kudos] = messages_to(smtp_server, "maya@corner.example")
    assert header(kudos, "Subject") == speech.kudos_subject
    text = text_part(kudos)
    loved = speech.praise[0][2]
    for line in (*speech.kudos_lines, loved, "Priya P., 5★", "Sam R., 4★"):
        assert line in text, line
    assert "<" not in text.replace("<http", "")  # plain text, no markup

    # 2. The weekly wins, sent now for this week, to every staff member who wants it, each in their language.
    call_command("send_digests", business="corner-bakery", now=True, stdout=StringIO())
    deliver()
    [wins] = [
        message for message in messages_to(smtp_server, "maya@corner.example") if message["Subject"] != kudos["Subject"]
    ]
    assert header(wins, "Subject") == speech.wins_subject
    [toms] = messages_to(smtp_server, "tom@corner.example")
    assert header(toms, "Subject").startswith("Your week at Corner Bakery")
    text = text_part(wins)
    for line in (
        *speech.wins_lines,
        speech.quoted.format(loved),
        speech.average,
        speech.csat,
    ):
        assert line in text, line

    # 3. Both as a mail client lays them out, at desktop and phone widths.
    for size, options in (("desktop", MAIL_CLIENT), ("phone", PHONE)):
        context = browser.new_context(**options)
        page = guarded_page(context, set(), page_log)  # an email loads nothing from anywhere
        as_a_mail_client_shows_it(page, html_part(kudos))
        assert page.get_attribute("html", "lang") == speech.lang
        assert page.get_by_text(loved).is_visible()
        screenshot(page, JOURNEY, f"1-kudos-email-{size}{speech.suffix}")
        assert_accessible(page, f"journey-3-kudos-email-{size}{speech.suffix}")
        as_a_mail_client_shows_it(page, html_part(wins))
        assert page.get_attribute("html", "lang") == speech.lang
        for heading in speech.wins_headings:
            assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
        screenshot(page, JOURNEY, f"2-weekly-wins-email-{size}{speech.suffix}")
        assert_accessible(page, f"journey-3-weekly-wins-email-{size}{speech.suffix}")
        context.close()
    assert_clean(page_log)
