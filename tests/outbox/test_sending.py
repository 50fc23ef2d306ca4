"""The alert outbox records each send just before the message's final ".", and never sends what
another sender took meanwhile."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.mail import EmailMultiAlternatives

from outbox import services
from outbox.models import OutboxEmail

# Outside a test transaction, so that on PostgreSQL (CI) the batch records through its own
# asynchronous connection (mail/send_record.py), as a worker does.
pytestmark = pytest.mark.django_db(transaction=True)


def queued(*recipients: str) -> list[OutboxEmail]:
    with mock.patch.object(services, "enqueue_outbox_send"):
        return [
            services.outbox_email_queue(key=f"test:{to}", message=EmailMultiAlternatives("Hello", "Body", to=[to]))
            for to in recipients
        ]


def test_each_email_is_sent_once_and_recorded(smtp_collector):
    emails = queued("a@example.com", "b@example.com")
    assert services.outbox_emails_send(email_ids=[email.pk for email in emails]) == 2
    assert services.outbox_emails_send(email_ids=[email.pk for email in emails]) == 0
    assert sorted(smtp_collector.recipients) == ["a@example.com", "b@example.com"]
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxEmail.Status.SENT}


def test_an_email_another_sender_took_meanwhile_is_not_sent(smtp_collector):
    first, second = queued("a@example.com", "b@example.com")
    build = services._message

    def build_and_lose_the_second(email):
        # While this batch sends the first email, its lease on the second runs out and the sweep
        # gives the second to another sender.
        OutboxEmail.objects.filter(pk=second.pk).update(claim="another-sender")
        return build(email)

    with mock.patch.object(services, "_message", side_effect=build_and_lose_the_second):
        assert services.outbox_emails_send(email_ids=[first.pk, second.pk]) == 1
    assert smtp_collector.recipients == ["a@example.com"]
    second.refresh_from_db()
    assert (second.status, second.claim) == (OutboxEmail.Status.SENDING, "another-sender")
