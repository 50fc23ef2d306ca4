"""Bounces and complaints through django-anymail's Postmark tracking webhook, end to end over HTTP."""

from __future__ import annotations

import base64
import json
import warnings

import pytest
from anymail.signals import AnymailTrackingEvent

from feedback.models import FeedbackRequest, ProcessedWebhookEvent
from feedback.webhooks import event_id_for, request_id_from
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
URL = "/anymail/postmark/tracking/"
SECRET = "postmark:s3cret-webhook-pass"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {**getattr(settings, "ANYMAIL", {}), "WEBHOOK_SECRET": SECRET}


@pytest.fixture
def sent(business) -> FeedbackRequest:
    return FeedbackRequestFactory(business=business, customer__email="ana@example.com")


def auth(credentials: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def postmark_bounce(request_id: object = None, *, bounce_id=4323372036854775807, email="ana@example.com", **fields):
    """A Postmark bounce webhook payload, as in Postmark's documentation."""
    payload = {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": bounce_id,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "raves@raves.test",
        "BouncedAt": "2026-11-05T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Ana, how was your visit?",
        "Metadata": {} if request_id is None else {"feedback_request_id": request_id},
    }
    payload.update(fields)
    return payload


def post(client, payload: dict, **headers):
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


def test_a_bounce_marks_the_request_bounced_and_the_customer(client, sent):
    response = post(client, postmark_bounce(str(sent.pk)), **auth())
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.BOUNCED and sent.bounced_at is not None
    assert sent.customer.bounced_at is not None
    assert ProcessedWebhookEvent.objects.get().esp == "Postmark"


def test_an_unauthenticated_post_is_refused(client, sent):
    assert post(client, postmark_bounce(str(sent.pk))).status_code == 400
    assert post(client, postmark_bounce(str(sent.pk)), **auth("postmark:wrong")).status_code == 400
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert sent.customer.bounced_at is None
    assert not ProcessedWebhookEvent.objects.exists()


def test_the_same_event_posted_twice_is_applied_once(client, sent):
    first = post(client, postmark_bounce(str(sent.pk)), **auth())
    sent.refresh_from_db()
    bounced_at = sent.bounced_at
    second = post(client, postmark_bounce(str(sent.pk)), **auth())
    assert (first.status_code, second.status_code) == (200, 200)  # the provider must not retry
    sent.refresh_from_db()
    assert sent.bounced_at == bounced_at
    assert sent.events.filter(status=Status.BOUNCED).count() == 1
    assert ProcessedWebhookEvent.objects.get().event_id == "4323372036854775807"


def test_another_bounce_event_for_the_customer_is_a_new_event(client, sent):
    post(client, postmark_bounce(str(sent.pk), bounce_id=1), **auth())
    post(client, postmark_bounce(None, bounce_id=2), **auth())
    assert ProcessedWebhookEvent.objects.count() == 2


def test_a_spam_complaint_opts_the_customer_out(client, sent):
    payload = postmark_bounce(str(sent.pk), RecordType="SpamComplaint", Type="SpamComplaint", TypeCode=512)
    assert post(client, payload, **auth()).status_code == 200
    sent.customer.refresh_from_db()
    assert sent.customer.opted_out_at is not None


def test_a_delivery_event_changes_nothing(client, sent):
    payload = {
        "RecordType": "Delivery",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": "ana@example.com",
        "DeliveredAt": "2026-11-05T16:33:54Z",
        "Details": "Test delivery webhook details",
        "Metadata": {"feedback_request_id": str(sent.pk)},
    }
    assert post(client, payload, **auth()).status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert not ProcessedWebhookEvent.objects.exists()


@pytest.mark.parametrize("bad", ["", "abc", "-4", "0", "1.5", "99999999999999999999999", "١٢", None, ["1"]])
def test_a_bad_request_id_in_the_metadata_still_suppresses_the_address(client, sent, bad):
    assert post(client, postmark_bounce(bad), **auth()).status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.SENT  # no request named: the request itself is left alone
    assert sent.customer.bounced_at is not None


def test_without_a_webhook_secret_bounces_are_ignored(client, sent, settings):
    settings.ANYMAIL = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anymail warns that the webhook is open to anyone
        assert post(client, postmark_bounce(str(sent.pk))).status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.SENT and sent.customer.bounced_at is None


def test_the_request_id_is_read_from_the_metadata():
    assert request_id_from({"feedback_request_id": "42"}) == 42
    assert request_id_from({"feedback_request_id": 42}) == 42
    assert request_id_from({"feedback_request_id": " 7 "}) == 7
    assert request_id_from({}) is None
    assert request_id_from(None) is None
    assert request_id_from("feedback_request_id=42") is None
    assert request_id_from({"feedback_request_id": str(2**63)}) is None


def test_an_event_without_an_id_gets_a_stable_one():
    def event(**fields):
        base = {"event_type": "bounced", "recipient": "ana@example.com", "message_id": "m-1", "timestamp": None}
        return AnymailTrackingEvent(**{**base, **fields})

    assert event_id_for(event(event_id="abc"), "Postmark") == "abc"
    made = event_id_for(event(), "Postmark")
    assert made == event_id_for(event(), "Postmark")
    assert made != event_id_for(event(message_id="m-2"), "Postmark")
    assert made != event_id_for(event(), "Mailgun")
    long_id = event_id_for(event(event_id="x" * 500), "Postmark")
    assert len(long_id) <= 200 and long_id == event_id_for(event(event_id="x" * 500), "Postmark")
