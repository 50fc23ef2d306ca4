"""One-click unsubscribe (RFC 8058), as a mail client does it, and what it means for the next request.

The invitation reaches a real SMTP server on loopback; its List-Unsubscribe header carries one
URL and List-Unsubscribe-Post the one-click marker. A mail scanner's GET of that URL changes
nothing; the mail client's POST (no cookie, no session) unsubscribes and answers 200 without a
redirect. The customer's next request is kept as suppressed (opted out) and no email goes out.
The customer is English in one run and German in the other: the page they open says so in their
language. Screenshots: test-artifacts/screenshots/journey-4-*.png (the German run's end in -de.png).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from businesses.models import Customer
from feedback import tasks as feedback_tasks
from feedback.models import FeedbackRequest
from feedback.services.requests import RequestInput, feedback_request_create
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PageLog
from tests.browser.journeys import (
    assert_clean,
    header,
    messages_to,
    screenshot,
    text_part,
)
from tests.businesses.factories import BusinessFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JOURNEY = 4
Status, Reason = FeedbackRequest.Status, FeedbackRequest.SuppressionReason


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect surfaces as an HTTPError with its 3xx status


def mail_client(url: str, *, post: bool) -> int:
    """What a mail client (or a scanner, with GET) sends: no cookie, no session, no browser."""
    body = b"List-Unsubscribe=One-Click" if post else None
    request = urllib.request.Request(url, data=body, method="POST" if post else "GET")
    if post:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.build_opener(NoRedirects).open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# The invitation's last line, before the same URL as the header's.
UNSUBSCRIBE_LINE = {
    "en": "Don't want these emails? Unsubscribe:",
    "de": "Sie möchten diese E-Mails nicht mehr erhalten? Hier abmelden:",
}
# What the customer reads on the page behind the link, once unsubscribed: (heading, sentence, button).
UNSUBSCRIBED = {
    "en": ("You are unsubscribed", "Corner Bakery will not send you feedback emails.", "Subscribe again"),
    "de": ("Sie sind abgemeldet", "Corner Bakery sendet Ihnen keine Feedback-E-Mails.", "Wieder anmelden"),
}


@pytest.fixture
def business(db, settings, live_server):
    settings.SITE_URL = live_server.url  # the emailed links lead to this server
    return BusinessFactory(name="Corner Bakery", slug="corner-bakery", default_language="en")


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_one_click_unsubscribe_stops_every_later_invitation(
    business, smtp_server, worker, phone_page, page_log: PageLog, live_server, language: str
):
    first = feedback_request_create(
        business=business, item=RequestInput(email="ana@example.com", name="Ana Silva", language=language)
    )
    assert worker.send_invitations() == 1
    [invitation] = messages_to(smtp_server, "ana@example.com")

    # The headers of RFC 8058: exactly one URL, on the site, and the one-click marker.
    assert header(invitation, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    [url] = re.findall(r"<([^>]+)>", header(invitation, "List-Unsubscribe"))
    assert header(invitation, "List-Unsubscribe") == f"<{url}>"
    assert url.startswith(f"{live_server.url}/u/")
    assert f"{UNSUBSCRIBE_LINE[language]} {url}" in text_part(invitation)

    # A mail scanner follows the link: nothing happens.
    assert mail_client(url, post=False) == 200
    customer = Customer.objects.get(email="ana@example.com")
    assert customer.opted_out_at is None

    # The mail client's one-click POST: 200, no redirect, the customer is opted out.
    assert mail_client(url, post=True) == 200
    customer.refresh_from_db()
    assert customer.opted_out_at is not None

    # Ana opens the link herself later: the page says, in her language, that she is unsubscribed,
    # and offers nothing to break (only her own click subscribes her again).
    page = phone_page
    response = page.goto(url)
    assert response.headers["content-language"] == language
    assert page.get_attribute("html", "lang") == language
    heading, sentence, button = UNSUBSCRIBED[language]
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("main")).to_contain_text(sentence)
    expect(page.get_by_role("button", name=button)).to_be_visible()
    suffix = "" if language == "en" else f"-{language}"
    screenshot(page, JOURNEY, f"1-unsubscribe-page-phone{suffix}")
    assert_accessible(page, f"journey-4-unsubscribe-page-phone{suffix}")
    customer.refresh_from_db()
    assert customer.opted_out_at is not None

    # The next request for Ana is kept, suppressed as opted out, and nothing is sent, even by the sweep.
    received = len(smtp_server.messages)
    second = feedback_request_create(
        business=business, item=RequestInput(email="ana@example.com", name="Ana Silva", reference="order-2")
    )
    assert (second.status, second.suppression_reason) == (Status.SUPPRESSED, Reason.OPTED_OUT)
    assert worker.sends == []
    feedback_tasks.sweep_feedback_requests()
    worker.send_invitations()
    assert len(smtp_server.messages) == received
    first.refresh_from_db()
    assert first.status == Status.SENT  # the invitation already sent stays as it was
    assert urlsplit(url).netloc == urlsplit(live_server.url).netloc
    assert_clean(page_log)
