"""A 1-star answer reaches a person within a minute, exactly once — even across a worker crash.

Real PostgreSQL, Redis, gunicorn, a Celery worker process and an SMTP server (see conftest.py).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from outbox.models import OutboxEmail
from reviews.models import Case
from tests.businesses.factories import MembershipFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
OWNER = "owner@complaints.example"


def _answer_one_star(web_server, business) -> float:
    """POST a 1-star answer through the emailed link, as the customer's browser does; when it was sent."""
    request = FeedbackRequestFactory(business=business)
    form = urllib.parse.urlencode(
        {"rating": "1", "comment": "Cold food, rude staff.", "display_name_choice": "anonymous"}
    ).encode()
    posted = urllib.request.Request(f"{web_server.base_url}/f/{feedback_token(request)}/", data=form, method="POST")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    started = time.monotonic()
    try:
        urllib.request.build_opener(NoRedirect).open(posted, timeout=30)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.read()[:500]
    return started


def _alerts(smtp_sink) -> list:
    return [received for received in smtp_sink.messages if OWNER in received.recipients]


@pytest.fixture
def business():
    owner = UserFactory(username=OWNER, email=OWNER)
    return MembershipFactory(user=owner).business


def test_the_owner_is_alerted_once_within_a_minute(business, web_server, worker, smtp_sink, sweeper):
    started = _answer_one_star(web_server, business)
    wait_until(lambda: _alerts(smtp_sink), 60, lambda: f"no alert; worker said:\n{worker.output[-3000:]}")
    assert time.monotonic() - started < 60
    assert Case.objects.filter(business=business).count() == 1
    # A restarted worker and repeated sweeps find nothing left to send.
    worker.kill()
    worker.start()
    for _ in range(3):
        sweeper.sweep("outbox.tasks.sweep_outbox")
    time.sleep(3)
    assert len(_alerts(smtp_sink)) == 1
    assert "1" in _alerts(smtp_sink)[0].message["Subject"]


def test_a_worker_killed_before_the_alert_went_out_sends_it_once_after_restart(
    business, web_server, worker, smtp_sink, sweeper
):
    worker.kill()  # the answer arrives while no worker runs: the alert waits, committed, in the outbox
    _answer_one_star(web_server, business)
    assert OutboxEmail.objects.filter(to=OWNER, status=OutboxEmail.Status.QUEUED).count() == 1
    time.sleep(2)
    assert not _alerts(smtp_sink)

    worker.start()
    restarted = time.monotonic()
    wait_until(lambda: _alerts(smtp_sink), 60, lambda: f"no alert; worker said:\n{worker.output[-3000:]}")
    assert time.monotonic() - restarted < 60
    for _ in range(3):
        sweeper.sweep("outbox.tasks.sweep_outbox")
    time.sleep(3)
    assert len(_alerts(smtp_sink)) == 1
    assert OutboxEmail.objects.get(to=OWNER).status == OutboxEmail.Status.SENT
