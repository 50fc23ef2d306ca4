"""Dead letters: deliveries given up on are counted on the dashboard, listed in the admin with a
filter, and "Send again" requeues each once, within the user's own businesses."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from businesses.models import Membership
from feedback.models import FeedbackRequest
from outbox.models import OutboxEmail, WebhookDelivery
from tests.businesses.factories import MembershipFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def failed_request(business, email: str) -> FeedbackRequest:
    return FeedbackRequestFactory(
        business=business,
        customer__email=email,
        status=Status.FAILED,
        sent_at=None,
        failed_at=timezone.now(),
        attempts=110,
        last_error="The mail server answered 554 5.7.1 Refused",
    )


def failed_email(business, key: str) -> OutboxEmail:
    return OutboxEmail.objects.create(
        business=business, key=key, to="owner@example.com", subject="A 1-star answer", text="…", status="failed"
    )


def failed_webhook(business, key: str) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        business=business, event="case.opened", key=key, url="https://hooks.example.com/x", body="{}", status="failed"
    )


def send_again(client: Client, changelist: str, ids: list[int]) -> list[str]:
    response = client.post(
        reverse(f"admin:{changelist}_changelist"), {"action": "send_again", helpers.ACTION_CHECKBOX_NAME: ids}
    )
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_owner_lists_failed_requests_with_their_reason(owner, business):
    failed_request(business, "gone@example.com")
    FeedbackRequestFactory(business=business, customer__email="fine@example.com")
    page = logged_in(owner).get(reverse("admin:feedback_feedbackrequest_changelist"), {"status__exact": "failed"})
    assert page.status_code == 200
    assert "gone@example.com" in page.content.decode() and "fine@example.com" not in page.content.decode()


def test_send_again_requeues_a_failed_request_once_and_a_second_click_does_nothing(
    owner, business, django_capture_on_commit_callbacks
):
    request = failed_request(business, "gone@example.com")
    client = logged_in(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        said = send_again(client, "feedback_feedbackrequest", [request.pk])
    assert said == ["1 failed request queued to be sent again."]
    assert len(callbacks) == 1  # handed to the worker after commit
    request.refresh_from_db()
    assert (request.status, request.attempts, request.failed_at) == (Status.QUEUED, 0, None)
    assert request.next_attempt_at is not None
    assert request.events.filter(status=Status.QUEUED, note__icontains="sent again").count() == 1

    said = send_again(client, "feedback_feedbackrequest", [request.pk])
    assert said[-1].startswith("Nothing sent again")
    assert request.events.filter(note__icontains="sent again").count() == 1


def test_a_manager_may_send_requests_again(business):
    manager = MembershipFactory(business=business, role=Membership.Role.MANAGER).user
    request = failed_request(business, "gone@example.com")
    assert send_again(logged_in(manager), "feedback_feedbackrequest", [request.pk])[0].startswith("1 failed")


def test_send_again_never_touches_another_business(owner, business, other_business):
    theirs = (
        failed_request(other_business, "theirs@example.com"),
        failed_email(other_business, "theirs-email"),
        failed_webhook(other_business, "theirs-hook"),
    )
    client = logged_in(owner)
    for changelist, row in zip(
        ("feedback_feedbackrequest", "outbox_outboxemail", "outbox_webhookdelivery"), theirs, strict=True
    ):
        send_again(client, changelist, [row.pk])
        row.refresh_from_db()
        assert row.status == "failed", changelist


@pytest.mark.parametrize(
    ("changelist", "make", "model"),
    [("outbox_outboxemail", failed_email, OutboxEmail), ("outbox_webhookdelivery", failed_webhook, WebhookDelivery)],
)
def test_the_owner_sends_a_failed_email_or_webhook_again_once(owner, business, changelist, make, model):
    row = make(business, "ours")
    row.attempts, row.last_error = 8, "The mail server answered 554 no"
    row.save()
    client = logged_in(owner)
    assert client.get(reverse(f"admin:{changelist}_changelist")).status_code == 200
    assert send_again(client, changelist, [row.pk])[0].startswith("1 failed")
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 0)
    assert send_again(client, changelist, [row.pk])[-1].startswith("Nothing sent again")


def test_a_manager_cannot_see_owner_emails_or_webhooks(business):
    manager = MembershipFactory(business=business, role=Membership.Role.MANAGER).user
    email = failed_email(business, "ours")
    client = logged_in(manager)
    assert client.get(reverse("admin:outbox_outboxemail_changelist")).status_code == 403
    assert client.get(reverse("admin:outbox_webhookdelivery_changelist")).status_code == 403
    client.post(
        reverse("admin:outbox_outboxemail_changelist"),
        {"action": "send_again", helpers.ACTION_CHECKBOX_NAME: [email.pk]},
    )
    email.refresh_from_db()
    assert email.status == "failed"


def test_the_dashboard_counts_failed_deliveries_and_links_to_the_filtered_lists(owner, business, other_business):
    failed_request(business, "a@example.com")
    failed_request(business, "b@example.com")
    failed_email(business, "ours")
    failed_webhook(business, "ours-hook")
    failed_request(other_business, "theirs@example.com")
    FeedbackRequestFactory(business=business)  # sent: not counted

    page = logged_in(owner).get("/admin/dashboard/")
    counted = page.context["dashboard"].failed_deliveries
    assert (counted.requests, counted.emails, counted.webhooks, counted.total) == (2, 1, 1, 4)
    html = page.content.decode()
    assert "4 failed" in html
    assert f"{reverse('admin:feedback_feedbackrequest_changelist')}?status__exact=failed" in html
    assert f"{reverse('admin:outbox_webhookdelivery_changelist')}?outcome=failed" in html


def test_the_dashboard_says_nothing_failed_when_nothing_did(owner, business):
    page = logged_in(owner).get("/admin/dashboard/")
    assert "0 failed" in page.content.decode()
    assert "every email and webhook went out or is on its way" in page.content.decode()
