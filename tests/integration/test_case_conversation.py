"""The case as a conversation, for real: gunicorn, a Celery worker, Redis, PostgreSQL and an SMTP sink.

The business writes to the customer through the API; one email reaches the customer, whose link
opens their conversation page; their answer, posted from that page like a browser does (CSRF cookie
and token), reaches the assignee in one email, and reopens the resolved case.
"""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
from email.message import Message

import pytest

from reviews.models import Case, CaseMessage
from reviews.services.cases import case_update
from tests.businesses.factories import MembershipFactory, UserFactory, api_key_for
from tests.feedback.factories import FeedbackRequestFactory
from tests.integration.conftest import SITE_URL, wait_until
from tests.reviews.factories import answer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
OWNER = "owner@conversation.example"
ASSIGNEE = "maya@conversation.example"
CUSTOMER = "ana@customer.example"
SORRY = "Ana, I am sorry about the cold soup. Could we call you tomorrow at ten?"
REPLY = "Yes, ten is fine. The refund has not arrived yet."


def _text(message: Message) -> str:
    part = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def _to(smtp_sink, address: str, about: str) -> list[Message]:
    """The messages to `address` whose text quotes `about` (the customer also gets an acknowledgement)."""
    messages = [received.message for received in smtp_sink.messages if address in received.recipients]
    return [message for message in messages if about in _text(message)]


@pytest.fixture
def case(services, settings):
    # The request's link tokens are made under the subprocesses' SECRET_KEY, so that the web server
    # rebuilds the customer's link for the email as it would for a request it made itself.
    settings.SECRET_KEY = services.env["SECRET_KEY"]
    owner = UserFactory(username=OWNER, email=OWNER)
    business = MembershipFactory(user=owner).business
    assignee = MembershipFactory(business=business, user__username=ASSIGNEE, user__email=ASSIGNEE).user
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email=CUSTOMER)
    case = answer(business=business, rating=1, comment="Cold soup.", consent=False, request=request).case
    case_update(case=case, actor=owner, assignee=assignee)
    return case


def _reply_from_the_page(page_url: str, body: str) -> int:
    """GET the page and POST its form back with the CSRF cookie and token, as the customer's browser does."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(page_url, timeout=30) as page:
        html = page.read().decode()
    assert "cold soup" in html  # the thread is on the page
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "body": body}).encode()
    with browser.open(urllib.request.Request(page_url, data=form, method="POST"), timeout=30) as answered:
        return answered.status  # 200 after following the redirect back to the page


def test_the_owners_message_and_the_customers_answer_each_arrive_once(case, web_server, worker, smtp_sink, sweeper):
    key = api_key_for(case.business)
    status, body = web_server.request("POST", f"/api/v1/cases/{case.pk}/messages/", key=key, body={"body": SORRY})
    assert status == 201, body
    wait_until(lambda: _to(smtp_sink, CUSTOMER, SORRY), 60, lambda: f"no email; worker said:\n{worker.output[-3000:]}")
    [to_customer] = _to(smtp_sink, CUSTOMER, SORRY)
    link = re.search(rf"{re.escape(SITE_URL)}(/f/\S+/conversation/)", _text(to_customer))[1]

    case_update(case=case, actor=None, status="resolved", resolution="Refunded.", cause="quality")
    assert _reply_from_the_page(f"{web_server.base_url}{link}", REPLY) == 200
    wait_until(lambda: _to(smtp_sink, ASSIGNEE, REPLY), 60, lambda: f"no email; worker said:\n{worker.output[-3000:]}")

    for _ in range(3):  # sweeps and a restarted worker find nothing more to send
        sweeper.sweep("outbox.tasks.sweep_outbox")
    worker.kill()
    worker.start()
    time.sleep(3)
    assert len(_to(smtp_sink, CUSTOMER, SORRY)) == 1
    [to_assignee] = _to(smtp_sink, ASSIGNEE, REPLY)
    assert "reopened" in _text(to_assignee)
    assert not _to(smtp_sink, OWNER, REPLY)  # the assignee is told, not everyone
    assert list(CaseMessage.objects.filter(case=case).values_list("direction", "body")) == [
        ("to_customer", SORRY),
        ("from_customer", REPLY),
    ]
    case.refresh_from_db()
    assert case.status == Case.Status.CONTACTED and case.reopened_at is not None
