"""A staff member's inbox: the personal note when customers name them, and the weekly wins email.

Both are sent through the outbox to a real SMTP server on loopback, then read as a mail client
shows them: the HTML part laid out in Chromium (screenshots test-artifacts/screenshots/journey-3-*.png)
and the plain-text part read line by line.
"""

from __future__ import annotations

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
PRAISE = [
    ("Priya Patel", 5, "Maya remembered my order and had it ready."),
    ("Sam Reed", 4, "Maya fixed the grinder in five minutes."),
]


@pytest.fixture
def maya(db, settings, live_server):
    settings.SITE_URL = live_server.url
    business = BusinessFactory(name="Corner Bakery", slug="corner-bakery", timezone="UTC")
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@corner.example")
    StaffMemberFactory(business=business, name="Tom Okafor", email="tom@corner.example")
    for customer, rating, comment in PRAISE:
        request = FeedbackRequestFactory(business=business, customer__name=customer, staff=maya)
        answer(business=business, rating=rating, comment=comment, staff=maya, request=request)
    return maya


def deliver() -> None:
    outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))


def as_a_mail_client_shows_it(page, html: str) -> None:
    page.set_content(html)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"]


def test_a_staff_member_reads_the_kudos_and_the_weekly_wins_in_their_inbox(
    browser, maya, smtp_server, page_log: PageLog
):
    # 1. Customers named Maya: one personal note, with their words.
    assert insights_tasks.send_kudos() == 1
    deliver()
    [kudos] = messages_to(smtp_server, "maya@corner.example")
    assert kudos["Subject"] == "2 customers of Corner Bakery named you"
    text = text_part(kudos)
    for line in ("Hi Maya", "Maya remembered my order and had it ready.", "Priya P., 5★", "Sam R., 4★"):
        assert line in text, line
    assert "<" not in text.replace("<http", "")  # plain text, no markup

    # 2. The weekly wins, sent now for this week, to every staff member who wants it.
    call_command("send_digests", business="corner-bakery", now=True, stdout=StringIO())
    deliver()
    [wins] = [
        message for message in messages_to(smtp_server, "maya@corner.example") if message["Subject"] != kudos["Subject"]
    ]
    assert wins["Subject"] == "Your week at Corner Bakery: 2 answers"
    assert {"tom@corner.example", "maya@corner.example"} <= set(smtp_server.per_recipient())
    text = text_part(wins)
    for line in (
        "Hi Maya,",
        "The week in numbers (the week before in brackets)",
        "What customers loved",
        '"Maya remembered my order and had it ready."',
        "Named by happy customers",
        "Maya Lindqvist, named 2 times",
    ):
        assert line in text, line

    # 3. Both as a mail client lays them out, at desktop and phone widths.
    for size, options in (("desktop", MAIL_CLIENT), ("phone", PHONE)):
        context = browser.new_context(**options)
        page = guarded_page(context, set(), page_log)  # an email loads nothing from anywhere
        as_a_mail_client_shows_it(page, html_part(kudos))
        assert page.get_by_text("Maya remembered my order and had it ready.").is_visible()
        screenshot(page, JOURNEY, f"1-kudos-email-{size}")
        assert_accessible(page, f"journey-3-kudos-email-{size}")
        as_a_mail_client_shows_it(page, html_part(wins))
        assert page.get_by_text("Named by happy customers").is_visible()
        screenshot(page, JOURNEY, f"2-weekly-wins-email-{size}")
        assert_accessible(page, f"journey-3-weekly-wins-email-{size}")
        context.close()
    assert_clean(page_log)
