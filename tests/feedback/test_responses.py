"""The customer's side through the services: answering, editing, unsubscribing; and bounces."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from feedback import tasks
from feedback.models import Feedback, FeedbackRequest, ProcessedWebhookEvent
from feedback.services.requests import RequestInput, feedback_request_create
from feedback.services.responses import (
    Answer,
    AnswerLocked,
    LinkExpired,
    customer_unsubscribe,
    display_name_for,
    email_event_record,
    feedback_submit,
)
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
Reason = FeedbackRequest.SuppressionReason


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def sent(business) -> FeedbackRequest:
    return FeedbackRequestFactory(
        business=business,
        customer__name="Ana Maria Silva",
        customer__email="ana@example.com",
        reminder_due_at=timezone.now() + timedelta(days=3),
    )


def create(business, email="ana@example.com") -> FeedbackRequest:
    with mock.patch.object(tasks.send_feedback_requests, "delay"):
        return feedback_request_create(business=business, item=RequestInput(email=email))


# --- answering --------------------------------------------------------------------------------
def test_an_answer_is_recorded_once_and_marks_the_request_responded(sent, frozen):
    helper = StaffMemberFactory(business=sent.business)
    feedback = feedback_submit(request_id=sent.pk, answer=Answer(rating=5, comment="  Lovely  ", staff=helper))
    assert (feedback.rating, feedback.comment, feedback.staff) == (5, "Lovely", helper)
    assert (feedback.business, feedback.customer, feedback.internal) == (sent.business, sent.customer, False)
    assert feedback.editable_until == timezone.now() + timedelta(days=7)
    sent.refresh_from_db()
    assert (sent.status, sent.responded_at, sent.reminder_due_at) == (Status.RESPONDED, timezone.now(), None)
    assert list(sent.events.values_list("status", flat=True)) == [Status.RESPONDED]


def test_an_edit_replaces_the_answer(sent, frozen):
    first = feedback_submit(request_id=sent.pk, answer=Answer(rating=1, comment="Rude"))
    frozen.shift(timedelta(days=2))
    second = feedback_submit(request_id=sent.pk, answer=Answer(rating=3, comment="Better now"))
    assert second.pk == first.pk
    assert Feedback.objects.count() == 1
    assert (second.rating, second.comment) == (3, "Better now")
    assert second.editable_until == first.editable_until  # the window does not restart
    assert sent.events.filter(status=Status.RESPONDED).count() == 1


def test_the_answer_is_locked_after_the_edit_window(sent, frozen):
    feedback_submit(request_id=sent.pk, answer=Answer(rating=2))
    frozen.shift(timedelta(days=7))
    with pytest.raises(AnswerLocked):
        feedback_submit(request_id=sent.pk, answer=Answer(rating=5))
    assert Feedback.objects.get().rating == 2


def test_an_expired_link_takes_no_new_answer(sent, frozen):
    frozen.shift(timedelta(days=31))
    with pytest.raises(LinkExpired):
        feedback_submit(request_id=sent.pk, answer=Answer(rating=5))
    assert not Feedback.objects.exists()


def test_a_reminded_customer_can_answer(sent):
    FeedbackRequest.objects.filter(pk=sent.pk).update(status=Status.REMINDED)
    feedback_submit(request_id=sent.pk, answer=Answer(rating=4))
    sent.refresh_from_db()
    assert sent.status == Status.RESPONDED


@pytest.mark.parametrize(
    "name, choice, shown",
    [
        ("Ana Maria Silva", "first_initial", "Ana S."),
        ("Ana", "first_initial", "Ana"),
        ("", "first_initial", "Anonymous"),
        ("Ana Silva", "anonymous", "Anonymous"),
    ],
)
def test_the_display_name_is_first_name_and_last_initial_or_anonymous(name, choice, shown):
    assert display_name_for(name, choice) == shown


# --- unsubscribing ----------------------------------------------------------------------------
def test_unsubscribing_opts_the_customer_out_once(sent, frozen):
    customer = customer_unsubscribe(request_id=sent.pk)
    assert customer.opted_out_at == timezone.now()
    frozen.shift(timedelta(hours=1))
    customer_unsubscribe(request_id=sent.pk)
    customer.refresh_from_db()
    assert customer.opted_out_at == timezone.now() - timedelta(hours=1)


def test_unsubscribing_suppresses_queued_requests_of_that_business_only(sent, other_business):
    queued = FeedbackRequestFactory(business=sent.business, customer=sent.customer, status=Status.QUEUED)
    elsewhere = FeedbackRequestFactory(business=other_business, customer__email="ana@example.com", status=Status.QUEUED)
    customer_unsubscribe(request_id=sent.pk)
    queued.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (queued.status, queued.suppression_reason) == (Status.SUPPRESSED, Reason.OPTED_OUT)
    assert list(queued.events.values_list("status", flat=True)) == [Status.SUPPRESSED]
    assert elsewhere.status == Status.QUEUED
    assert elsewhere.customer.opted_out_at is None


def test_after_unsubscribing_new_requests_are_suppressed_as_opted_out(sent):
    customer_unsubscribe(request_id=sent.pk)
    later = create(sent.business)
    assert (later.status, later.suppression_reason) == (Status.SUPPRESSED, Reason.OPTED_OUT)


# --- bounces and complaints -------------------------------------------------------------------
def bounce(request: FeedbackRequest | None, event_id="evt-1", event_type="bounced", recipient="ana@example.com"):
    return email_event_record(
        esp="Postmark",
        event_id=event_id,
        event_type=event_type,
        recipient=recipient,
        request_id=request.pk if request else None,
    )


def test_a_bounce_marks_the_request_and_suppresses_the_customer(sent, frozen):
    queued = FeedbackRequestFactory(business=sent.business, customer=sent.customer, status=Status.QUEUED)
    assert bounce(sent) is True
    sent.refresh_from_db()
    queued.refresh_from_db()
    assert (sent.status, sent.bounced_at, sent.reminder_due_at) == (Status.BOUNCED, timezone.now(), None)
    assert sent.customer.bounced_at == timezone.now()
    assert (queued.status, queued.suppression_reason) == (Status.SUPPRESSED, Reason.BOUNCED)
    assert (create(sent.business).suppression_reason) == Reason.BOUNCED


def test_the_same_event_is_applied_once(sent, frozen):
    assert bounce(sent) is True
    frozen.shift(timedelta(minutes=5))
    assert bounce(sent) is False
    sent.refresh_from_db()
    assert sent.bounced_at == timezone.now() - timedelta(minutes=5)
    assert sent.events.filter(status=Status.BOUNCED).count() == 1
    assert ProcessedWebhookEvent.objects.count() == 1


def test_the_same_event_id_from_another_provider_is_another_event(sent):
    assert bounce(sent) is True
    assert email_event_record(esp="Mailgun", event_id="evt-1", event_type="bounced", recipient="x@example.com")
    assert ProcessedWebhookEvent.objects.count() == 2


def test_a_complaint_also_opts_the_customer_out(sent):
    assert bounce(sent, event_type="complained") is True
    sent.customer.refresh_from_db()
    assert sent.customer.opted_out_at is not None
    assert sent.customer.bounced_at is not None


def test_a_rejection_is_a_bounce(sent):
    assert bounce(sent, event_type="rejected") is True
    sent.refresh_from_db()
    assert sent.status == Status.BOUNCED


@pytest.mark.parametrize("event_type", ["delivered", "opened", "clicked", "deferred", "unknown"])
def test_other_events_change_nothing(sent, event_type):
    assert bounce(sent, event_type=event_type) is False
    sent.refresh_from_db()
    assert sent.status == Status.SENT and sent.customer.bounced_at is None
    assert not ProcessedWebhookEvent.objects.exists()


def test_a_bounce_naming_another_customers_request_leaves_that_request_alone(sent):
    assert bounce(sent, recipient="someone.else@example.com") is True
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert sent.customer.bounced_at is None


def test_a_bounce_after_the_answer_keeps_the_answer(sent):
    feedback_submit(request_id=sent.pk, answer=Answer(rating=5))
    bounce(sent)
    sent.refresh_from_db()
    assert sent.status == Status.RESPONDED


def test_a_bounce_without_a_request_still_suppresses_the_address(sent):
    assert bounce(None, recipient="ANA@EXAMPLE.COM") is True
    sent.customer.refresh_from_db()
    assert sent.customer.bounced_at is not None
