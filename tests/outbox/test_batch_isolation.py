"""Each message of an SMTP batch is settled on its own (outbox/engine.py): our SMTP backend against an
aiosmtpd server on loopback that refuses some messages, for invitations, reminders and owner emails."""

from __future__ import annotations

import socket
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from feedback import tasks
from feedback.models import FeedbackRequest
from feedback.services.requests import RequestInput, feedback_requests_create
from feedback.services.sending import feedback_reminders_due, feedback_reminders_send, feedback_requests_send
from outbox import services
from outbox.models import OutboxEmail

# Outside a test transaction, so that on PostgreSQL (CI) the batch records through its own
# asynchronous connection (mail/send_record.py), as a worker does.
pytestmark = pytest.mark.django_db(transaction=True)
Status = FeedbackRequest.Status


class ScriptedServer:
    """Accepts every message except the scripted replies, given once each, per address and stage."""

    def __init__(self) -> None:
        self.rcpt: dict[str, list[str]] = {}
        self.data: dict[str, list[str]] = {}
        self.accepted: list[str] = []
        self.sessions: set[int] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.rcpt.get(address):
            return self.rcpt[address].pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.sessions.add(id(session))
        [to] = envelope.rcpt_tos
        if self.data.get(to):
            return self.data[to].pop(0)
        self.accepted.append(to)
        return "250 OK"


@pytest.fixture
def server(settings) -> ScriptedServer:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    scripted = ScriptedServer()
    controller = Controller(scripted, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "mail.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield scripted
    controller.stop()


def queued(business, count: int) -> list[FeedbackRequest]:
    with mock.patch.object(tasks.send_feedback_requests, "delay"):
        items = [RequestInput(email=f"c{n}@example.com", name=f"C{n} X") for n in range(count)]
        return feedback_requests_create(business=business, items=items)


def by_email(business) -> dict[str, FeedbackRequest]:
    return {request.customer.email: request for request in FeedbackRequest.objects.filter(business=business)}


def test_a_message_refused_with_5xx_after_data_fails_alone_and_the_rest_go_on_the_same_connection(business, server):
    requests = queued(business, 5)
    server.data["c2@example.com"] = ["554 5.7.1 Message refused by policy"]
    assert feedback_requests_send(request_ids=[request.pk for request in requests]) == 4
    assert sorted(server.accepted) == ["c0@example.com", "c1@example.com", "c3@example.com", "c4@example.com"]
    assert len(server.sessions) == 1
    refused = by_email(business)["c2@example.com"]
    assert refused.status == Status.FAILED
    assert refused.last_error == "The mail server answered 554 5.7.1 Message refused by policy"
    assert list(refused.events.values_list("status", flat=True)) == [Status.QUEUED, Status.FAILED]  # SENT undone


def test_a_message_refused_with_4xx_is_retried_after_the_back_off_and_then_sent_once(business, server, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    requests = queued(business, 3)
    server.rcpt["c1@example.com"] = ["451 4.7.1 Greylisted, try again later"]
    assert feedback_requests_send(request_ids=[request.pk for request in requests]) == 2
    waiting = by_email(business)["c1@example.com"]
    assert (waiting.status, waiting.attempts) == (Status.QUEUED, 1)
    assert waiting.next_attempt_at == timezone.now() + timedelta(seconds=30)
    assert waiting.last_error == "The mail server answered 451 4.7.1 Greylisted, try again later"

    time_machine.shift(timedelta(seconds=31))
    assert feedback_requests_send(request_ids=[waiting.pk]) == 1
    assert Counter(server.accepted) == Counter({f"c{n}@example.com": 1 for n in range(3)})


def test_a_reminder_counts_its_attempts_and_is_given_up_past_the_cap(business, server, settings, time_machine):
    settings.DELIVERY_EMAIL_MAX_ATTEMPTS = 2
    time_machine.move_to(timezone.now(), tick=False)
    [request] = queued(business, 1)
    feedback_requests_send(request_ids=[request.pk])
    time_machine.shift(timedelta(days=business.reminder_delay_days, minutes=1))
    server.rcpt["c0@example.com"] = ["421 4.3.2 Try later", "421 4.3.2 Try later"]

    assert feedback_reminders_send(request_ids=feedback_reminders_due()) == 0
    request.refresh_from_db()
    assert (request.status, request.reminder_attempts) == (Status.SENT, 1)
    assert feedback_reminders_due() == []  # not every 30 s: it waits out its back-off
    time_machine.shift(timedelta(seconds=31))
    assert feedback_reminders_send(request_ids=feedback_reminders_due()) == 0
    request.refresh_from_db()
    assert (request.status, request.reminder_attempts, request.reminder_due_at) == (Status.SENT, 2, None)
    assert "421" in request.last_error
    time_machine.shift(timedelta(days=1))
    assert feedback_reminders_due() == []
    assert server.accepted == ["c0@example.com"]  # the invitation alone


def owner_emails(*recipients: str) -> list[OutboxEmail]:
    with mock.patch.object(services, "enqueue_outbox_send"):
        return [
            services.outbox_email_queue(key=f"test:{to}", message=EmailMultiAlternatives("Alert", "Body", to=[to]))
            for to in recipients
        ]


def test_an_owner_email_refused_for_good_fails_alone_with_the_servers_answer(server):
    emails = owner_emails("a@example.com", "gone@example.com", "c@example.com")
    server.rcpt["gone@example.com"] = ["550 5.1.1 No such user"]
    assert services.outbox_emails_send(email_ids=[email.pk for email in emails]) == 2
    statuses = dict(OutboxEmail.objects.values_list("to", "status"))
    assert statuses == {"a@example.com": "sent", "gone@example.com": "failed", "c@example.com": "sent"}
    assert (
        OutboxEmail.objects.get(to="gone@example.com").last_error == "The mail server answered 550 5.1.1 No such user"
    )


def test_an_owner_email_is_retried_through_an_outage_and_failed_with_its_last_error_past_the_cap(settings):
    settings.EMAIL_BACKEND = "mail.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    settings.DELIVERY_EMAIL_MAX_ATTEMPTS = 3
    [email] = owner_emails("owner@example.com")
    for expected in ("queued", "queued", "failed"):
        OutboxEmail.objects.filter(pk=email.pk, status="queued").update(next_attempt_at=timezone.now())
        assert services.outbox_emails_send(email_ids=[email.pk]) == 0
        email.refresh_from_db()
        assert email.status == expected
    assert email.attempts == 3 and "Connection" in email.last_error
