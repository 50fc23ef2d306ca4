"""Webhooks out: queued with the event, signed, retried with back-off, never to private addresses."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.utils import timezone

from feedback.services.responses import Answer, feedback_submit
from outbox.models import WebhookDelivery
from outbox.webhooks import UnsafeWebhookURL, check_url_is_public, webhook_deliver, webhooks_due
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on loopback that answers with the next status code and records requests."""

    def __init__(self, statuses):
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    """Make loopback receivers; each one's host:port is listed as an allowed private target."""
    settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS = frozenset()
    made = []

    def make(*statuses):
        made.append(Receiver(statuses))
        settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS |= {("127.0.0.1", made[-1].server.server_port)}
        return made[-1]

    yield make
    for item in made:
        item.close()


def _complaint(business):
    request = FeedbackRequestFactory(business=business)
    feedback_submit(request_id=request.pk, answer=Answer(rating=1, comment="Cold coffee"))
    return WebhookDelivery.objects.get(event="case.opened")


def test_a_complaint_queues_one_signed_case_opened_delivery(business, receiver, django_capture_on_commit_callbacks):
    hook = receiver(200)
    business.webhook_url, business.webhook_secret = hook.url, "s3cret"
    business.save()
    with django_capture_on_commit_callbacks(execute=False):
        delivery = _complaint(business)
    assert webhook_deliver(delivery_id=delivery.pk) is True
    assert webhook_deliver(delivery_id=delivery.pk) is False  # delivered once
    headers, body = hook.received[0]
    expected = (
        "sha256=" + hmac.new(b"s3cret", headers["X-Raves-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    assert headers["X-Raves-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "case.opened" and payload["data"]["rating"] == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_a_failing_receiver_is_retried_with_back_off(business, receiver, django_capture_on_commit_callbacks):
    hook = receiver(500, 200)
    business.webhook_url, business.webhook_secret = hook.url, "s3cret"
    business.save()
    with django_capture_on_commit_callbacks(execute=False):
        delivery = _complaint(business)
    assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.QUEUED and delivery.last_status_code == 500
    assert delivery.pk not in webhooks_due()
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert webhooks_due() == [delivery.pk]
        assert webhook_deliver(delivery_id=delivery.pk) is True
    assert len(hook.received) == 2


def test_no_url_no_delivery(business):
    request = FeedbackRequestFactory(business=business)
    feedback_submit(request_id=request.pk, answer=Answer(rating=1))
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.0.0.8/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "ftp://example.com/x",
        "http://localhost:8000/x",
    ],
)
def test_private_and_loopback_addresses_are_refused(url, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(UnsafeWebhookURL):
        check_url_is_public(url)


def test_a_secret_is_made_when_a_url_is_set(business):
    business.webhook_url = "https://hooks.example.com/raves"
    business.full_clean()
    assert len(business.webhook_secret) == 64


def test_a_consented_answer_queues_review_created_and_publishing_queues_review_published(business, receiver):
    from reviews.models import Review
    from reviews.services.moderation import Actor, review_publish

    business.webhook_url, business.webhook_secret = receiver().url, "s3cret"
    business.save()
    request = FeedbackRequestFactory(business=business)
    feedback = feedback_submit(
        request_id=request.pk, answer=Answer(rating=5, comment="Lovely staff, great coffee", consent_to_publish=True)
    )
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["review.created"]
    review_publish(review=Review.objects.get(feedback=feedback), actor=Actor("owner"))
    assert sorted(WebhookDelivery.objects.values_list("event", flat=True)) == ["review.created", "review.published"]
