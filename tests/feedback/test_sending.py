"""The outbox: claims, batches over one SMTP connection, failures, leases, reminders and expiry.

Messages go through Django's real SMTP backend into a fake `smtplib.SMTP` that records what
arrived, so the claim, the batch and the error handling are exercised as in production.
"""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from email import message_from_bytes
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from feedback import tasks
from feedback.models import FeedbackRequest
from feedback.services import sending
from feedback.services.requests import RequestInput, feedback_requests_create
from feedback.services.responses import Answer, customer_unsubscribe, email_event_record, feedback_submit
from feedback.services.sending import (
    feedback_reminders_due,
    feedback_reminders_send,
    feedback_requests_claim,
    feedback_requests_due,
    feedback_requests_expire,
    feedback_requests_send,
)
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status


class FakeSMTPServer:
    """What a fake SMTP server received, and how it should misbehave."""

    def __init__(self) -> None:
        self.connections = 0
        self.messages: list[tuple[list[str], bytes]] = []
        self.disconnect_after: int | None = None  # messages accepted before the server hangs up...
        self.misbehaving_connections = 1  # ...on this many of the first connections
        self.refused: set[str] = set()

    @property
    def recipients(self) -> list[str]:
        return [to for recipients, _ in self.messages for to in recipients]

    def headers(self, name: str) -> list[str]:
        return [message_from_bytes(raw)[name] for _, raw in self.messages]


class FakeSMTP:
    """Stands in for `smtplib.SMTP` inside Django's SMTP email backend."""

    server: FakeSMTPServer

    def __init__(self, host: str, port: int, **kwargs) -> None:
        self.server.connections += 1
        self.number = self.server.connections
        self.sent_here = 0
        self.disconnected = False

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        if self.disconnected:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        limit = self.server.disconnect_after
        misbehaves = self.number <= self.server.misbehaving_connections
        if misbehaves and limit is not None and self.sent_here >= limit:
            self.disconnected = True
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        refused = {to: (550, b"5.1.1 No such user") for to in to_addrs if to in self.server.refused}
        if refused and len(refused) == len(to_addrs):
            raise smtplib.SMTPRecipientsRefused(refused)
        self.server.messages.append((list(to_addrs), msg))
        self.sent_here += 1
        return {}

    def rset(self):
        if self.disconnected:
            raise smtplib.SMTPServerDisconnected("please run connect() first")

    def quit(self):
        if self.disconnected:
            raise smtplib.SMTPServerDisconnected("please run connect() first")

    def close(self):
        pass


@pytest.fixture
def smtp(settings) -> FakeSMTPServer:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    server = FakeSMTPServer()
    fake = type("BoundFakeSMTP", (FakeSMTP,), {"server": server})
    with mock.patch("django.core.mail.backends.smtp.smtplib.SMTP", fake):
        yield server


@pytest.fixture
def run_tasks_inline():
    """The sweep's `.delay` calls run the tasks at once, in this process."""
    with (
        mock.patch.object(tasks.send_feedback_requests, "delay", side_effect=tasks.send_feedback_requests),
        mock.patch.object(tasks.send_feedback_reminders, "delay", side_effect=tasks.send_feedback_reminders),
    ):
        yield


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def queued(business, count: int = 1) -> list[FeedbackRequest]:
    with mock.patch.object(tasks.send_feedback_requests, "delay"):
        return feedback_requests_create(
            business=business, items=[RequestInput(email=f"c{n}@example.com", name=f"C{n} X") for n in range(count)]
        )


def ids(requests) -> list[int]:
    return [request.pk for request in requests]


def statuses(requests) -> list[str]:
    return [FeedbackRequest.objects.get(pk=request.pk).status for request in requests]


# --- claiming and sending ---------------------------------------------------------------------
def test_a_claim_is_exclusive(business):
    requests = queued(business, 2)
    first_claim, first = feedback_requests_claim(request_ids=ids(requests))
    second_claim, second = feedback_requests_claim(request_ids=ids(requests))
    assert ids(first) == ids(requests)
    assert second == []
    assert first_claim != second_claim
    assert statuses(requests) == [Status.SENDING, Status.SENDING]


def test_sending_twice_sends_one_email(business, smtp):
    [request] = queued(business)
    assert feedback_requests_send(request_ids=[request.pk]) == 1
    assert feedback_requests_send(request_ids=[request.pk]) == 0
    assert tasks.send_feedback_requests([request.pk]) == 0  # a redelivered task
    assert smtp.recipients == ["c0@example.com"]
    request.refresh_from_db()
    assert request.status == Status.SENT
    assert (request.attempts, request.claim, request.lease_until) == (1, "", None)


def test_a_batch_is_sent_over_one_smtp_connection(business, smtp):
    requests = queued(business, 10)
    assert feedback_requests_send(request_ids=ids(requests)) == 10
    assert smtp.connections == 1
    assert sorted(smtp.recipients) == sorted(f"c{n}@example.com" for n in range(10))


def test_a_held_lease_is_not_taken_over(business, smtp, frozen):
    request = FeedbackRequestFactory(
        business=business, status=Status.SENDING, lease_until=timezone.now() + timedelta(seconds=30), claim="other"
    )
    assert feedback_requests_due() == []
    assert feedback_requests_send(request_ids=[request.pk]) == 0
    assert smtp.messages == []


def test_a_send_whose_lease_expired_is_taken_over_by_the_sweep_and_sent_once(business, smtp, frozen, run_tasks_inline):
    # A worker claimed it and died before sending: its lease ran out a second ago.
    request = FeedbackRequestFactory(
        business=business,
        status=Status.SENDING,
        sent_at=None,
        lease_until=timezone.now() - timedelta(seconds=1),
        claim="dead-worker",
    )
    assert feedback_requests_due() == [request.pk]
    tasks.sweep_feedback_requests()
    tasks.sweep_feedback_requests()
    assert smtp.recipients == [request.customer.email]
    request.refresh_from_db()
    assert request.status == Status.SENT
    assert feedback_requests_due() == []


def test_a_queued_request_the_fast_path_missed_is_sent_by_the_sweep_once(business, smtp, frozen, run_tasks_inline):
    [request] = queued(business)  # the broker never got it
    tasks.sweep_feedback_requests()
    assert smtp.messages == []  # the fast path still has its grace period
    frozen.shift(timedelta(minutes=2))
    tasks.sweep_feedback_requests()
    tasks.sweep_feedback_requests()
    assert smtp.recipients == ["c0@example.com"]


def test_a_dropped_smtp_connection_is_reopened_once_and_the_message_in_flight_goes_later_once(
    business, smtp, frozen, run_tasks_inline
):
    requests = queued(business, 5)
    smtp.disconnect_after = 2
    assert feedback_requests_send(request_ids=ids(requests)) == 4
    assert statuses(requests) == [Status.SENT, Status.SENT, Status.QUEUED, Status.SENT, Status.SENT]
    released = FeedbackRequest.objects.get(pk=requests[2].pk)
    assert released.next_attempt_at == timezone.now() + timedelta(seconds=30)  # back-off after the first attempt
    assert "Connection lost" in released.last_error
    assert released.claim == "" and released.lease_until is None and released.attempts == 1

    assert feedback_requests_due() == []  # not before the back-off
    frozen.shift(timedelta(seconds=31))
    tasks.sweep_feedback_requests()
    tasks.sweep_feedback_requests()
    assert statuses(requests) == [Status.SENT] * 5
    assert sorted(smtp.recipients) == sorted(f"c{n}@example.com" for n in range(5))  # each exactly once
    assert smtp.connections == 3


def test_a_connection_dropped_twice_gives_the_rest_back_without_counting_an_attempt(business, smtp, frozen):
    requests = queued(business, 7)
    smtp.disconnect_after, smtp.misbehaving_connections = 2, 2
    assert feedback_requests_send(request_ids=ids(requests)) == 4
    assert statuses(requests) == [Status.SENT] * 2 + [Status.QUEUED] + [Status.SENT] * 2 + [Status.QUEUED] * 2
    tried, untried = (FeedbackRequest.objects.get(pk=requests[n].pk) for n in (5, 6))
    assert tried.attempts == 1 and tried.next_attempt_at == timezone.now() + timedelta(seconds=30)
    assert untried.attempts == 0 and untried.next_attempt_at > timezone.now()
    assert untried.claim == "" and "Connection lost" in untried.last_error


def test_the_back_off_grows_and_gives_up_after_too_many_attempts(business, smtp, frozen, settings):
    settings.DELIVERY_EMAIL_MAX_ATTEMPTS = 3
    [request] = queued(business)
    smtp.disconnect_after, smtp.misbehaving_connections = 0, 99
    delays = []
    for _ in range(3):
        assert feedback_requests_send(request_ids=[request.pk]) == 0
        request.refresh_from_db()
        delays.append(request.next_attempt_at - timezone.now() if request.status == Status.QUEUED else None)
    assert delays == [timedelta(seconds=30), timedelta(seconds=60), None]
    assert request.status == Status.FAILED
    assert request.failed_at == timezone.now()


def test_a_recipient_refused_for_good_bounces_that_request_only(business, smtp):
    requests = queued(business, 3)
    smtp.refused = {"c1@example.com"}
    assert feedback_requests_send(request_ids=ids(requests)) == 2
    assert statuses(requests) == [Status.SENT, Status.BOUNCED, Status.SENT]
    bounced = FeedbackRequest.objects.select_related("customer").get(pk=requests[1].pk)
    assert bounced.last_error == "The mail server answered 550 5.1.1 No such user"
    assert bounced.bounced_at is not None and bounced.customer.bounced_at is not None
    assert list(bounced.events.values_list("status", flat=True)) == [Status.QUEUED, Status.BOUNCED]
    assert feedback_requests_due(now=timezone.now() + timedelta(days=1)) == []  # not retried
    assert smtp.connections == 1  # the rest went on the same connection


def test_an_unreachable_server_leaves_the_batch_queued(business, settings, frozen):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    requests = queued(business, 2)
    with mock.patch("django.core.mail.backends.smtp.smtplib.SMTP", side_effect=ConnectionRefusedError(111, "refused")):
        assert feedback_requests_send(request_ids=ids(requests)) == 0
    assert statuses(requests) == [Status.QUEUED, Status.QUEUED]
    assert "ConnectionRefusedError" in FeedbackRequest.objects.get(pk=requests[0].pk).last_error


# --- reminders --------------------------------------------------------------------------------
@pytest.fixture
def sent(business, smtp, frozen) -> FeedbackRequest:
    """One invitation, sent now; the reminder is due after the business's reminder delay."""
    [request] = queued(business)
    feedback_requests_send(request_ids=[request.pk])
    request.refresh_from_db()
    return request


def test_the_reminder_goes_once_after_the_reminder_delay(business, sent, smtp, frozen, run_tasks_inline):
    assert sent.reminder_due_at == sent.sent_at + timedelta(days=business.reminder_delay_days)
    frozen.shift(timedelta(days=business.reminder_delay_days) - timedelta(minutes=1))
    tasks.sweep_feedback_requests()
    assert len(smtp.messages) == 1  # the invitation only

    frozen.shift(timedelta(minutes=2))
    tasks.sweep_feedback_requests()
    tasks.sweep_feedback_requests()
    frozen.shift(timedelta(days=5))
    tasks.sweep_feedback_requests()
    assert len(smtp.messages) == 2
    assert "reminder" in message_from_bytes(smtp.messages[1][1])["Subject"].lower()
    sent.refresh_from_db()
    assert sent.status == Status.REMINDED
    assert sent.reminder_due_at is None


def test_a_reminder_after_the_secret_key_was_retired_carries_links_that_work(
    client, business, sent, smtp, frozen, run_tasks_inline, settings
):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-new-secret-key-" + "n" * 40, []
    frozen.shift(timedelta(days=business.reminder_delay_days, minutes=1))
    tasks.sweep_feedback_requests()

    reminder = message_from_bytes(smtp.messages[1][1])
    text = reminder.get_payload(0).get_payload(decode=True).decode()
    [link] = set(re.findall(r"https?://\S+?/f/[\w-]+/", text))
    unsubscribe = reminder["List-Unsubscribe"].strip().strip("<>")
    assert client.get(urlsplit(link).path).status_code == 200
    assert client.get(urlsplit(unsubscribe).path).status_code == 200


def test_the_reminder_has_its_own_message_id(business, sent, smtp, frozen):
    frozen.shift(timedelta(days=business.reminder_delay_days, minutes=1))
    assert feedback_reminders_send(request_ids=feedback_reminders_due()) == 1
    invitation_id, reminder_id = smtp.headers("Message-ID")
    assert invitation_id and reminder_id and invitation_id != reminder_id


def test_no_reminder_after_an_answer(business, sent, smtp, frozen, run_tasks_inline):
    feedback_submit(request_id=sent.pk, answer=Answer(rating=4))
    frozen.shift(timedelta(days=business.reminder_delay_days, minutes=1))
    assert feedback_reminders_due() == []
    tasks.sweep_feedback_requests()
    assert len(smtp.messages) == 1


def test_no_reminder_after_an_opt_out(business, sent, smtp, frozen, run_tasks_inline):
    customer_unsubscribe(request_id=sent.pk)
    frozen.shift(timedelta(days=business.reminder_delay_days, minutes=1))
    assert feedback_reminders_due() == []
    tasks.sweep_feedback_requests()
    assert feedback_reminders_send(request_ids=[sent.pk]) == 0
    assert len(smtp.messages) == 1


def test_no_reminder_after_a_bounce(business, sent, smtp, frozen, run_tasks_inline):
    email_event_record(
        esp="Postmark", event_id="b-1", event_type="bounced", recipient=sent.customer.email, request_id=sent.pk
    )
    frozen.shift(timedelta(days=business.reminder_delay_days, minutes=1))
    tasks.sweep_feedback_requests()
    assert len(smtp.messages) == 1
    sent.refresh_from_db()
    assert sent.status == Status.BOUNCED


def test_no_reminder_when_another_email_to_the_customer_bounced(business, sent, smtp, frozen, run_tasks_inline):
    # The bounce names no request (the provider lost the metadata): the address is still dead.
    email_event_record(esp="Postmark", event_id="b-2", event_type="bounced", recipient=sent.customer.email.upper())
    frozen.shift(timedelta(days=business.reminder_delay_days, minutes=1))
    assert feedback_reminders_due() == []
    tasks.sweep_feedback_requests()
    assert feedback_reminders_send(request_ids=[sent.pk]) == 0
    assert len(smtp.messages) == 1


def test_a_failed_reminder_is_retried_later_once(business, sent, smtp, frozen, run_tasks_inline):
    frozen.shift(timedelta(days=business.reminder_delay_days, minutes=1))
    with mock.patch("django.core.mail.backends.smtp.smtplib.SMTP", side_effect=OSError("network down")):
        tasks.sweep_feedback_requests()
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert feedback_reminders_due() == []  # backing off
    frozen.shift(timedelta(minutes=1))
    tasks.sweep_feedback_requests()
    tasks.sweep_feedback_requests()
    assert len(smtp.messages) == 2
    sent.refresh_from_db()
    assert sent.status == Status.REMINDED


# --- expiry -----------------------------------------------------------------------------------
def test_an_unanswered_request_expires_after_the_link_lifetime(business, sent, frozen):
    assert sent.expires_at == sent.sent_at + timedelta(days=business.link_lifetime_days)
    frozen.shift(timedelta(days=business.link_lifetime_days) - timedelta(seconds=1))
    assert feedback_requests_expire() == 0
    frozen.shift(timedelta(seconds=1))
    assert feedback_requests_expire() == 1
    assert feedback_requests_expire() == 0
    sent.refresh_from_db()
    assert (sent.status, sent.expired_at) == (Status.EXPIRED, timezone.now())
    assert list(sent.events.values_list("status", flat=True)).count(Status.EXPIRED) == 1


def test_an_answered_request_does_not_expire(business, sent, frozen):
    feedback_submit(request_id=sent.pk, answer=Answer(rating=5))
    frozen.shift(timedelta(days=business.link_lifetime_days, minutes=1))
    assert feedback_requests_expire() == 0
    sent.refresh_from_db()
    assert sent.status == Status.RESPONDED


def test_no_reminder_once_the_link_has_expired(business, smtp, frozen, run_tasks_inline):
    business.reminder_delay_days, business.link_lifetime_days = 5, 2
    business.save()
    [request] = queued(business)
    feedback_requests_send(request_ids=[request.pk])
    frozen.shift(timedelta(days=6))
    assert feedback_reminders_due() == []
    tasks.sweep_feedback_requests()
    assert feedback_reminders_send(request_ids=[request.pk]) == 0
    assert len(smtp.messages) == 1
    request.refresh_from_db()
    assert request.status == Status.EXPIRED


def test_a_request_whose_sends_keep_dying_is_failed_not_retried_for_ever(business, settings):
    from datetime import timedelta

    from django.utils import timezone

    from feedback.models import FeedbackRequest
    from feedback.services.sending import feedback_requests_due
    from tests.feedback.factories import FeedbackRequestFactory

    stuck = FeedbackRequestFactory(
        business=business,
        status=FeedbackRequest.Status.SENDING,
        sent_at=None,
        lease_until=timezone.now() - timedelta(seconds=1),
        attempts=settings.DELIVERY_EMAIL_MAX_ATTEMPTS,
    )
    retried = FeedbackRequestFactory(
        business=business,
        status=FeedbackRequest.Status.SENDING,
        sent_at=None,
        lease_until=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )
    assert feedback_requests_due() == [retried.pk]
    stuck.refresh_from_db()
    assert stuck.status == FeedbackRequest.Status.FAILED
    assert stuck.events.filter(status=FeedbackRequest.Status.FAILED).count() == 1


# --- a claim lost while its batch is sending (our SMTP backend, a real SMTP server) -------------
# Outside a test transaction, so that on PostgreSQL (CI) the batch records through its own
# asynchronous connection (mail/send_record.py), as a worker does.
@pytest.mark.django_db(transaction=True)
def test_a_request_claimed_by_another_sender_meanwhile_is_not_sent(business, smtp_collector):
    requests = queued(business, 3)
    claim, claimed = feedback_requests_claim(request_ids=ids(requests))
    # The second one's lease ran out while this batch was slow, and the sweep gave it to another sender.
    FeedbackRequest.objects.filter(pk=requests[1].pk).update(claim="another-sender")

    assert sending._send_batch(claimed, claim, reminder=False) == 2
    assert sorted(smtp_collector.recipients) == ["c0@example.com", "c2@example.com"]
    assert statuses(requests) == [Status.SENT, Status.SENDING, Status.SENT]
    assert not FeedbackRequest.objects.get(pk=requests[1].pk).events.filter(status=Status.SENT).exists()


@pytest.mark.django_db(transaction=True)
def test_a_reminder_is_not_sent_to_a_customer_who_answered_while_its_batch_was_sending(business, smtp_collector):
    past = timezone.now() - timedelta(minutes=1)
    requests = FeedbackRequestFactory.create_batch(2, business=business, reminder_due_at=past)
    claim, claimed = sending.feedback_reminders_claim(request_ids=ids(requests))
    FeedbackRequest.objects.filter(pk=requests[0].pk).update(status=Status.RESPONDED)

    assert sending._send_batch(claimed, claim, reminder=True) == 1
    assert smtp_collector.recipients == [requests[1].customer.email]
    assert statuses(requests) == [Status.RESPONDED, Status.REMINDED]
