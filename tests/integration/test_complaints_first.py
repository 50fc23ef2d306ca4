"""Complaints first: a 1-star answer reaches the owner while a campaign of invitations is draining.

Real PostgreSQL, Redis, gunicorn, one Celery worker process and an SMTP server (see conftest.py).
A campaign is queued while no worker runs, so its tasks wait in Redis ahead of anything else; the
worker then starts on it, and a customer answers 1 star. With one queue the alert would wait behind
every invitation; on the `alerts` queue it is taken right after the bulk task in hand.
(benchmarks/complaints_first.py measures the same at 20,000 invitations.)
"""

from __future__ import annotations

import pytest

from businesses.services import api_key_create
from tests.businesses.factories import MembershipFactory, UserFactory
from tests.integration.conftest import CeleryWorker, wait_until
from tests.integration.test_complaint_alert import _answer_one_star

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
OWNER = "owner@complaints.example"
CAMPAIGN = 3000  # 30 bulk tasks of 100


def test_a_complaint_alert_overtakes_a_campaign_of_invitations(services, web_server, smtp_sink):
    owner = UserFactory(username=OWNER, email=OWNER)
    business = MembershipFactory(user=owner).business
    _, key = api_key_create(business=business, name="campaign")
    for call in range(CAMPAIGN // 1000):
        items = [
            {"customer": {"name": f"Customer {n}", "email": f"c{n}@campaign.example"}, "reference": f"c-{n}"}
            for n in range(call * 1000, (call + 1) * 1000)
        ]
        status, answer = web_server.request("POST", "/api/v1/feedback-requests/", key=key, body=items, timeout=120)
        assert status == 201, str(answer)[:500]

    worker = CeleryWorker(services.env, concurrency=1)
    worker.start()
    try:
        invitations = lambda: sum(1 for m in smtp_sink.messages if OWNER not in m.recipients)  # noqa: E731
        wait_until(lambda: invitations() >= 100, 60, lambda: f"the campaign did not start:\n{worker.output[-3000:]}")

        sent_when_answered = invitations()
        _answer_one_star(web_server, business)
        alerted = lambda: any(OWNER in m.recipients for m in smtp_sink.messages)  # noqa: E731
        wait_until(alerted, 60, lambda: f"no alert; worker said:\n{worker.output[-3000:]}", step=0.01)
        overtaken = invitations() - sent_when_answered
        # Only the bulk task in hand (100 invitations), and the one prefetched, may go first.
        assert overtaken <= 300, f"{overtaken} invitations went between the answer and the alert"
        wait_until(lambda: invitations() >= CAMPAIGN, 120, lambda: f"{invitations()} of {CAMPAIGN} invitations")
    finally:
        worker.stop()
