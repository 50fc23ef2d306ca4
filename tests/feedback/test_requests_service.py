"""Creating feedback requests: suppression, one request per reference, enqueueing after commit."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from businesses.models import Customer
from feedback import tasks
from feedback.models import FeedbackRequest, FeedbackRequestEvent
from feedback.services.requests import RequestInput, feedback_request_create, feedback_requests_create
from feedback.services.sending import feedback_requests_due, feedback_requests_send
from tests.businesses.factories import CustomerFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
Reason = FeedbackRequest.SuppressionReason


@pytest.fixture
def delay():
    """The fast path's `.delay`, replaced: nothing reaches a broker in these tests."""
    with mock.patch.object(tasks.send_feedback_requests, "delay") as patched:
        yield patched


def create(business, email="ana@example.com", **fields) -> FeedbackRequest:
    return feedback_request_create(business=business, item=RequestInput(email=email, **fields))


def test_a_new_customer_is_queued(business, delay):
    request = create(business, name="Ana Silva")
    assert (request.status, request.suppression_reason) == (Status.QUEUED, "")
    assert request.customer.name == "Ana Silva"
    assert list(request.events.values_list("status", flat=True)) == [Status.QUEUED]


def test_a_customer_asked_within_the_quiet_period_is_suppressed(business, delay, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    create(business)
    time_machine.shift(timedelta(days=business.quiet_period_days - 1))
    second = create(business)
    assert (second.status, second.suppression_reason) == (Status.SUPPRESSED, Reason.QUIET_PERIOD)
    assert second.suppressed_at == timezone.now()
    assert second.events.get().note == Reason.QUIET_PERIOD.label


def test_a_customer_is_asked_again_after_the_quiet_period(business, delay, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    create(business)
    time_machine.shift(timedelta(days=business.quiet_period_days, seconds=1))
    assert create(business).status == Status.QUEUED


def test_the_same_customer_twice_in_one_call_is_asked_once(business, delay):
    first, second = feedback_requests_create(
        business=business, items=[RequestInput(email="ana@example.com"), RequestInput(email="ANA@example.com")]
    )
    assert first.status == Status.QUEUED
    assert (second.status, second.suppression_reason) == (Status.SUPPRESSED, Reason.QUIET_PERIOD)


def test_an_opted_out_customer_is_reported_as_opted_out_even_within_the_quiet_period(business, delay):
    create(business)  # the quiet period applies from now on
    Customer.objects.filter(email="ana@example.com").update(opted_out_at=timezone.now())
    request = create(business)
    assert (request.status, request.suppression_reason) == (Status.SUPPRESSED, Reason.OPTED_OUT)


def test_a_bounced_customer_is_suppressed_as_bounced(business, delay):
    CustomerFactory(business=business, email="ana@example.com", bounced_at=timezone.now())
    request = create(business)
    assert (request.status, request.suppression_reason) == (Status.SUPPRESSED, Reason.BOUNCED)


def test_opting_out_of_another_business_does_not_suppress(business, other_business, delay):
    CustomerFactory(business=other_business, email="ana@example.com", opted_out_at=timezone.now())
    assert create(business).status == Status.QUEUED


def test_a_suppressed_request_gets_no_email(business, delay, django_capture_on_commit_callbacks):
    CustomerFactory(business=business, email="ana@example.com", opted_out_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request = create(business)
    assert callbacks == []
    delay.assert_not_called()
    assert feedback_requests_send(request_ids=[request.pk]) == 0
    assert feedback_requests_due(now=timezone.now() + timedelta(days=1)) == []
    assert mail.outbox == []
    request.refresh_from_db()
    assert request.status == Status.SUPPRESSED


def test_the_same_reference_returns_the_existing_request(business, delay):
    first = create(business, reference="order-1")
    again = create(business, email="someone.else@example.com", reference="order-1")
    assert again.pk == first.pk
    assert again.customer.email == "ana@example.com"
    assert FeedbackRequest.objects.count() == 1
    # The refused item leaves no trace: no customer row for an address that was never asked.
    assert not Customer.objects.filter(email="someone.else@example.com").exists()


def test_a_reference_repeated_within_one_call_creates_one_request(business, delay):
    results = feedback_requests_create(
        business=business,
        items=[
            RequestInput(email="ana@example.com", reference="order-7"),
            RequestInput(email="bo@example.com"),
            RequestInput(email="ana@example.com", reference="order-7"),
        ],
    )
    assert results[0].pk == results[2].pk
    assert results[1].pk != results[0].pk
    assert FeedbackRequest.objects.filter(reference="order-7").count() == 1
    assert FeedbackRequest.objects.count() == 2


def test_a_reference_is_per_business(business, other_business, delay):
    ours = create(business, reference="order-1")
    theirs = create(other_business, reference="order-1")
    assert ours.pk != theirs.pk


def test_the_customer_is_matched_by_email_whatever_its_case(business, delay):
    existing = CustomerFactory(business=business, email="Ana.Silva@Example.com", name="Ana Silva")
    request = create(business, email="ana.silva@example.COM", name="A. S.")
    assert request.customer.pk == existing.pk
    assert Customer.objects.filter(business=business).count() == 1


def test_the_fast_path_enqueues_only_after_commit(business, delay, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        requests = feedback_requests_create(
            business=business, items=[RequestInput(email=f"c{n}@example.com") for n in range(3)]
        )
    delay.assert_not_called()  # nothing left before the rows were committed
    assert len(callbacks) == 1
    callbacks[0]()
    delay.assert_called_once_with([request.pk for request in requests])


def test_the_fast_path_sends_in_chunks(business, delay, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        feedback_requests_create(business=business, items=[RequestInput(email=f"c{n}@example.com") for n in range(220)])
    assert [len(call.args[0]) for call in delay.call_args_list] == [100, 100, 20]


def test_a_broker_error_does_not_fail_creation_and_the_sweep_sends_later(
    business, delay, django_capture_on_commit_callbacks
):
    delay.side_effect = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with django_capture_on_commit_callbacks(execute=True):
        request = create(business)  # does not raise
    delay.assert_called_once()
    request.refresh_from_db()
    assert request.status == Status.QUEUED
    assert feedback_requests_due(now=timezone.now()) == []  # the fast path still has its grace
    assert feedback_requests_due(now=timezone.now() + timedelta(minutes=2)) == [request.pk]
    assert feedback_requests_send(request_ids=[request.pk]) == 1
    assert len(mail.outbox) == 1


def test_each_new_request_records_its_first_status(business, delay):
    CustomerFactory(business=business, email="out@example.com", opted_out_at=timezone.now())
    feedback_requests_create(
        business=business, items=[RequestInput(email="ana@example.com"), RequestInput(email="out@example.com")]
    )
    assert sorted(FeedbackRequestEvent.objects.values_list("status", flat=True)) == [Status.QUEUED, Status.SUPPRESSED]
