"""A 1-star answer posted to the real web server: within a minute the customer gets one
acknowledgement and the owner one alert — and nobody gets a second after an edit or a sweep.

Real PostgreSQL, Redis, gunicorn, a Celery worker process and an SMTP server (see conftest.py).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from reviews.models import Case
from tests.businesses.factories import MembershipFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
OWNER = "owner@acknowledge.example"
CUSTOMER = "ana@acknowledge.example"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _post_answer(web_server, request, rating: int, comment: str) -> None:
    """POST an answer through the emailed link, as the customer's browser does."""
    form = urllib.parse.urlencode({"rating": str(rating), "comment": comment, "display_name_choice": "anonymous"})
    posted = urllib.request.Request(
        f"{web_server.base_url}/f/{feedback_token(request)}/", data=form.encode(), method="POST"
    )
    try:
        urllib.request.build_opener(NoRedirect).open(posted, timeout=30)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.read()[:500]


def _to(smtp_sink, address: str) -> list:
    return [received for received in smtp_sink.messages if address in received.recipients]


def test_a_one_star_answer_yields_one_acknowledgement_and_one_alert_within_a_minute(
    web_server, worker, smtp_sink, sweeper
):
    owner = UserFactory(username=OWNER, email=OWNER)
    business = MembershipFactory(user=owner).business
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email=CUSTOMER)

    started = time.monotonic()
    _post_answer(web_server, request, rating=1, comment="Cold food, rude staff.")
    wait_until(
        lambda: _to(smtp_sink, CUSTOMER) and _to(smtp_sink, OWNER),
        60,
        lambda: f"got {smtp_sink.per_recipient()}; worker said:\n{worker.output[-3000:]}",
    )
    assert time.monotonic() - started < 60

    # The customer edits their answer, and the sweeps run: still one of each.
    _post_answer(web_server, request, rating=2, comment="Cold food.")
    for _ in range(3):
        sweeper.sweep("outbox.tasks.sweep_outbox")
    time.sleep(3)
    assert Case.objects.filter(business=business).count() == 1
    assert (len(_to(smtp_sink, CUSTOMER)), len(_to(smtp_sink, OWNER))) == (1, 1)
    acknowledgement = _to(smtp_sink, CUSTOMER)[0].message
    assert "sorry" in acknowledgement["Subject"].lower()
    assert acknowledgement["Reply-To"] == business.email
    assert acknowledgement["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = [part.get_content_type() for part in acknowledgement.walk()]
    assert "text/plain" in parts and "text/html" in parts
    text = next(part for part in acknowledgement.walk() if part.get_content_type() == "text/plain")
    text = text.get_payload(decode=True).decode()
    assert "We're sorry your visit fell short, Ana." in text
