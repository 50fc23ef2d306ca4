"""Invitations through the real thing: gunicorn, PostgreSQL, a Redis of our own, Celery worker processes
and an SMTP server, counting what arrived.

The rule under test: a committed request is always sent, and never twice — whatever
happens to the worker, the broker or the mail server in between. Each send is recorded in a
transaction whose COMMIT goes out just before the message's final "." (mail/send_record.py),
so a SIGKILL at any moment leaves either both or neither; the only gap left is between those two
writes, microseconds, and the test allows nothing. The sweep normally runs from
beat every 30 s; here the test queues it on the broker itself (`Sweeper`) every couple of seconds.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from businesses.services import api_key_create
from feedback.models import FeedbackRequest
from feedback.services.sending import retry_delay
from tests.businesses.factories import BusinessFactory
from tests.integration.conftest import CeleryWorker, SMTPSink, Sweeper, WebServer, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
Status = FeedbackRequest.Status
SWEEP_EVERY = 2.0
# Pool processes of the worker (the conftest's default); each may die with one message in flight.
CONCURRENCY = 2


@pytest.fixture
def business(transactional_db):
    return BusinessFactory(name="Harbour Bikes", slug="harbour-bikes")


@pytest.fixture
def api_key(business) -> str:
    _, key = api_key_create(business=business, name="integration test")
    return key


def customers(count: int, prefix: str = "customer") -> list[dict]:
    return [
        {
            "customer": {"name": f"Customer {n}", "email": f"{prefix}{n}@example.com"},
            "reference": f"{prefix}-{n}",
        }
        for n in range(count)
    ]


def statuses(business) -> Counter[str]:
    return Counter(FeedbackRequest.objects.filter(business=business).values_list("status", flat=True))


def sweep_until(sweeper: Sweeper, condition, timeout: float, failure) -> None:
    """Queue the sweep every SWEEP_EVERY seconds (as beat would, only faster) until `condition` holds."""
    last_sweep = 0.0

    def swept_condition() -> bool:
        nonlocal last_sweep
        if condition():
            return True
        if time.monotonic() - last_sweep >= SWEEP_EVERY:
            sweeper.sweep()
            last_sweep = time.monotonic()
        return False

    wait_until(swept_condition, timeout, failure, step=0.1)


def assert_every_request_sent(business, sink: SMTPSink, expected_emails: set[str]) -> Counter[str]:
    """Every request is SENT and its own invitation reached its customer. Returns the count per recipient."""
    requests = FeedbackRequest.objects.filter(business=business).select_related("customer")
    assert {request.status for request in requests} == {Status.SENT}
    per_recipient = sink.per_recipient()
    assert set(per_recipient) == expected_emails
    # One Message-ID per request: a customer never receives two different invitations.
    message_ids = {(received.recipients, received.message["Message-ID"]) for received in sink.messages}
    assert message_ids == {
        ((request.customer.email,), f"<feedback-request.{request.pk}.invitation@raves.test>") for request in requests
    }
    return per_recipient


def assert_each_request_sent_exactly_once(business, sink: SMTPSink, expected_emails: set[str]) -> None:
    per_recipient = assert_every_request_sent(business, sink, expected_emails)
    assert {email: count for email, count in per_recipient.items() if count != 1} == {}


def test_every_customer_gets_one_invitation_when_the_worker_is_killed_mid_batch(
    services, web_server: WebServer, worker: CeleryWorker, sweeper: Sweeper, business, api_key
):
    sink = services.smtp
    items = customers(300)
    expected = {item["customer"]["email"] for item in items}

    status, created = web_server.request("POST", "/api/v1/feedback-requests/", key=api_key, body=items)
    assert status == 201, (created, web_server.output[-5000:])
    assert len(created) == 300
    assert {request["status"] for request in created} == {"queued"}

    wait_until(
        lambda: len(sink.messages) >= 30,
        60,
        lambda: f"only {len(sink.messages)} emails arrived before the kill:\n{worker.output[-3000:]}",
        step=0.01,
    )
    worker.kill()
    time.sleep(0.5)  # the sink may still be reading what the killed processes had written
    before_kill = sink.messages
    left = statuses(business)
    # The kill must have interrupted real work, or this test proves nothing.
    assert len(before_kill) < 300, "every email went out before the kill: send more requests"
    assert left[Status.SENT] < 300, left

    worker.start()
    sweep_until(
        sweeper,
        lambda: statuses(business) == Counter({Status.SENT: 300}),
        120,
        lambda: f"requests by status: {dict(statuses(business))}; {len(sink.per_recipient())} recipients "
        f"reached; {len(before_kill)} emails before the kill\n{worker.output[-3000:]}",
    )
    # Nothing is left to send once every request is SENT; a last sweep must not add anything.
    sweeper.sweep()
    time.sleep(1)

    per_recipient = assert_every_request_sent(business, sink, expected)
    # The send is recorded after the message's last byte and before the server's answer
    # (mail/smtp.py), so a kill leaves no message that went out unrecorded, and none recorded
    # that did not go (mail/send_record.py).
    assert set(per_recipient.values()) == {1}, {email: count for email, count in per_recipient.items() if count > 1}
    assert len(sink.messages) == 300


def test_a_request_created_while_redis_is_down_is_accepted_and_sent_once_redis_is_back(
    services, web_server: WebServer, worker: CeleryWorker, sweeper: Sweeper, business, api_key
):
    sink = services.smtp
    services.redis.stop()

    started = time.monotonic()
    status, created = web_server.request(
        "POST",
        "/api/v1/feedback-requests/",
        key=api_key,
        body={"customer": {"name": "Ana Silva", "email": "ana@example.com"}, "reference": "booking-1"},
    )
    answered_in = time.monotonic() - started
    assert status == 201, (created, web_server.output[-5000:])
    assert created["status"] == "queued"
    # Redis calls give up after 2 s (settings.REDIS_TIMEOUT); the answer must not wait for more.
    assert answered_in < 5, f"the API took {answered_in:.1f} s to answer with Redis down"
    assert sink.messages == []

    services.redis.start()
    sweep_until(
        sweeper,
        lambda: statuses(business) == Counter({Status.SENT: 1}),
        120,
        lambda: f"requests by status: {dict(statuses(business))}\n{worker.output[-3000:]}",
    )
    sweeper.sweep()
    time.sleep(1)

    assert_each_request_sent_exactly_once(business, sink, {"ana@example.com"})


def test_a_request_waits_with_back_off_while_the_mail_server_is_down_and_is_sent_once_it_is_up(
    services, web_server: WebServer, worker: CeleryWorker, sweeper: Sweeper, business, api_key
):
    sink = services.smtp
    sink.stop()

    status, created = web_server.request(
        "POST", "/api/v1/feedback-requests/", key=api_key, body={"customer": {"email": "ben@example.com"}}
    )
    assert status == 201, (created, web_server.output[-5000:])
    request = FeedbackRequest.objects.get(pk=created["id"])

    def released_after_a_failed_attempt() -> bool:
        request.refresh_from_db()
        return request.attempts == 1 and request.status == Status.QUEUED and request.last_error != ""

    wait_until(
        released_after_a_failed_attempt,
        30,
        lambda: f"status {request.status}, attempts {request.attempts}\n{worker.output[-3000:]}",
    )
    # Retried after a back-off, not at once and not after the fast path's full grace.
    assert timedelta(0) < request.next_attempt_at - timezone.now() <= retry_delay(1)
    assert "Connection refused" in request.last_error or "ConnectionRefused" in request.last_error

    sink.start()
    sweep_until(
        sweeper,
        lambda: statuses(business) == Counter({Status.SENT: 1}),
        120,
        lambda: f"requests by status: {dict(statuses(business))}\n{worker.output[-3000:]}",
    )
    sweeper.sweep()
    time.sleep(1)

    assert_each_request_sent_exactly_once(business, sink, {"ben@example.com"})
    request.refresh_from_db()
    assert request.attempts == 2
