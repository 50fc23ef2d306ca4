"""The delivery engine (outbox/engine.py) against a mail server and a database that misbehave, with
real processes: gunicorn, PostgreSQL, a Redis of our own, Celery worker processes and aiosmtpd,
counting what arrived.

- a recipient refused with 550 in the middle of a batch of 100: 99 arrive once, that one request
  alone is `bounced` (550 at RCPT) or `failed` (550 after DATA), with the server's answer;
- a recipient answered 451 twice, then accepted: everyone's email arrives exactly once;
- the mail server down for longer than the old attempt cap (8): nothing ends `failed`, every
  invitation and owner email arrives once when it is back;
- every database connection killed in the middle of a batch (pg_terminate_backend): nothing lost,
  nothing doubled (a COMMIT lost after the message's "." is written again on a new connection:
  mail/send_record.py).

Retry settings are shortened through the worker's environment (1 s back-off) so a schedule of
hours plays out in seconds; the sweep is queued on the broker every 2 s, as beat would every 30 s.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.utils import timezone

from businesses.services import api_key_create
from feedback.models import FeedbackRequest
from outbox.models import OutboxEmail
from outbox.services import outbox_email_queue
from tests.businesses.factories import BusinessFactory
from tests.integration.conftest import CeleryWorker, RecordingHandler, Sweeper, WebServer, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
Status = FeedbackRequest.Status
SWEEP_EVERY = 2.0
FAST_RETRIES = {"DELIVERY_RETRY_BASE_SECONDS": "1", "DELIVERY_RETRY_CAP_SECONDS": "1"}


class RefusingHandler(RecordingHandler):
    """Accepts every message, except what `refuse_rcpt` / `refuse_data` answer for (an SMTP reply)."""

    def __init__(self, *, rcpt: dict[str, list[str]] | None = None, data: dict[str, str] | None = None) -> None:
        super().__init__()
        self.rcpt = rcpt or {}  # address -> the replies to give, one per attempt, then accept
        self.data = data or {}  # address -> the reply to every DATA for it
        self.answers: Counter[str] = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self.lock:
            replies = self.rcpt.get(address.lower(), [])
            if replies:
                self.answers[address.lower()] += 1
                return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        refused = [self.data[to.lower()] for to in envelope.rcpt_tos if to.lower() in self.data]
        if refused:
            with self.lock:
                self.answers[envelope.rcpt_tos[0].lower()] += 1
            return refused[0]
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def business(transactional_db):
    return BusinessFactory(name="Harbour Bikes", slug="harbour-bikes")


@pytest.fixture
def api_key(business) -> str:
    _, key = api_key_create(business=business, name="integration test")
    return key


@pytest.fixture
def fast_worker(services) -> Iterator[CeleryWorker]:
    """A worker whose retry schedule runs in seconds (the engine's settings, from the environment)."""
    process = CeleryWorker({**services.env, **FAST_RETRIES})
    process.start()
    yield process
    process.stop()


def use_handler(services, handler: RecordingHandler) -> None:
    services.smtp.stop()
    services.smtp.handler = handler
    services.smtp.start()


def create(web_server: WebServer, api_key: str, emails: list[str]) -> None:
    items = [{"customer": {"email": email}, "reference": email} for email in emails]
    status, created = web_server.request("POST", "/api/v1/feedback-requests/", key=api_key, body=items)
    assert status == 201, (created, web_server.output[-5000:])


def statuses(business) -> Counter[str]:
    return Counter(FeedbackRequest.objects.filter(business=business).values_list("status", flat=True))


def sweep_until(sweeper: Sweeper, condition, timeout: float, failure, *, outbox: bool = False) -> None:
    last = 0.0

    def swept() -> bool:
        nonlocal last
        if condition():
            return True
        if time.monotonic() - last >= SWEEP_EVERY:
            sweep(sweeper, "feedback.tasks.sweep_feedback_requests")
            if outbox:
                sweep(sweeper, "outbox.tasks.sweep_outbox")
            last = time.monotonic()
        return False

    wait_until(swept, timeout, failure, step=0.1)


def sweep(sweeper: Sweeper, task: str) -> None:
    sweeper.sweep(task)


def settled(business, count: int) -> bool:
    open_statuses = {Status.QUEUED, Status.SENDING}
    by_status = statuses(business)
    return sum(by_status.values()) == count and not open_statuses & set(by_status)


def emails(count: int, refused_at: int | None = None, refused: str = "") -> list[str]:
    return [refused if n == refused_at else f"customer{n}@example.com" for n in range(count)]


@pytest.mark.parametrize(
    ("stage", "reply", "outcome"),
    [
        ("rcpt", "550 5.1.1 No such user here", Status.BOUNCED),
        ("data", "550 5.7.1 Message refused by policy", Status.FAILED),
    ],
)
def test_one_recipient_refused_with_550_mid_batch_fails_alone_and_the_other_99_arrive_once(
    services, web_server, worker, sweeper, business, api_key, stage, reply, outcome
):
    refused = "nobody@example.com"
    handler = (
        RefusingHandler(rcpt={refused: [reply] * 10}) if stage == "rcpt" else RefusingHandler(data={refused: reply})
    )
    use_handler(services, handler)
    create(web_server, api_key, emails(100, refused_at=50, refused=refused))

    sweep_until(
        sweeper,
        lambda: settled(business, 100),
        90,
        lambda: f"by status {dict(statuses(business))}\n{worker.output[-3000:]}",
    )
    assert statuses(business) == Counter({Status.SENT: 99, outcome: 1})
    per_recipient = services.smtp.per_recipient()
    assert set(per_recipient.values()) == {1} and len(per_recipient) == 99 and refused not in per_recipient
    refused_request = FeedbackRequest.objects.get(business=business, customer__email=refused)
    assert refused_request.status == outcome
    assert refused_request.last_error == f"The mail server answered {reply}"
    assert handler.answers[refused] == 1  # refused for good: not tried again


def test_a_recipient_answered_451_twice_is_retried_and_everyone_gets_one_email(
    services, web_server, fast_worker, sweeper, business, api_key
):
    later = "later@example.com"
    handler = RefusingHandler(rcpt={later: ["451 4.7.1 Greylisted, try again later"] * 2})
    use_handler(services, handler)
    create(web_server, api_key, emails(100, refused_at=30, refused=later))

    sweep_until(
        sweeper,
        lambda: statuses(business) == Counter({Status.SENT: 100}),
        90,
        lambda: f"by status {dict(statuses(business))}\n{fast_worker.output[-3000:]}",
    )
    sweep(sweeper, "feedback.tasks.sweep_feedback_requests")
    time.sleep(1)
    per_recipient = services.smtp.per_recipient()
    assert len(per_recipient) == 100 and set(per_recipient.values()) == {1}
    assert handler.answers[later] == 2
    assert FeedbackRequest.objects.get(customer__email=later).attempts == 3


def test_a_mail_server_down_for_longer_than_the_old_attempt_cap_loses_nothing(
    services, web_server, fast_worker, sweeper, business, api_key
):
    sink = services.smtp
    sink.stop()
    create(web_server, api_key, emails(20))
    for n in range(3):  # owner emails (complaint alerts) wait out the same outage; the sweep sends them
        message = EmailMultiAlternatives(f"Alert {n}", "A 1-star answer", to=[f"owner{n}@example.com"])
        soon = timezone.now() + timedelta(milliseconds=100)
        outbox_email_queue(key=f"integration-alert-{n}", message=message, business=business, send_after=soon)

    def attempts_past_the_old_cap() -> bool:
        fewest = min(FeedbackRequest.objects.filter(business=business).values_list("attempts", flat=True))
        return fewest > 8 and min(OutboxEmail.objects.values_list("attempts", flat=True)) > 8

    sweep_until(
        sweeper,
        attempts_past_the_old_cap,
        120,
        lambda: f"attempts {list(FeedbackRequest.objects.values_list('attempts', flat=True))}\n"
        f"{fast_worker.output[-3000:]}",
        outbox=True,
    )
    assert Status.FAILED not in statuses(business)
    assert not OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).exists()

    sink.start()
    sweep_until(
        sweeper,
        lambda: statuses(business) == Counter({Status.SENT: 20})
        and set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxEmail.Status.SENT},
        60,
        lambda: f"by status {dict(statuses(business))}\n{fast_worker.output[-3000:]}",
        outbox=True,
    )
    sweep(sweeper, "feedback.tasks.sweep_feedback_requests")
    time.sleep(1)
    per_recipient = sink.per_recipient()
    assert len(per_recipient) == 23 and set(per_recipient.values()) == {1}


def test_database_connections_killed_mid_batch_lose_nothing_and_double_nothing(
    services, web_server, worker, sweeper, business, api_key
):
    sink = services.smtp
    create(web_server, api_key, emails(300))
    wait_until(lambda: len(sink.messages) >= 30, 60, lambda: f"{len(sink.messages)} arrived", step=0.005)
    with connection.cursor() as cursor:  # every other session on this database: the worker's too
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        [killed] = cursor.fetchone()
    assert killed >= 1
    before = len(sink.messages)
    assert before < 300, "every email went out before the kill: send more requests"

    sweep_until(
        sweeper,
        lambda: statuses(business) == Counter({Status.SENT: 300}),
        120,
        lambda: f"by status {dict(statuses(business))}; {before} before the kill\n{worker.output[-3000:]}",
    )
    sweep(sweeper, "feedback.tasks.sweep_feedback_requests")
    time.sleep(1)
    per_recipient = sink.per_recipient()
    assert len(per_recipient) == 300
    assert {email: count for email, count in per_recipient.items() if count != 1} == {}
