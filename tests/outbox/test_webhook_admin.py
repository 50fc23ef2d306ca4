"""The owner's view of webhooks in the admin: every delivery of their business and how it ended, and
a signing secret that only owners see, once, when it is made or rotated."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse

from businesses.models import Membership
from outbox.models import WebhookDelivery
from tests.businesses.factories import MembershipFactory
from tests.businesses.test_admin_scoping import form_data

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status
SECRET = "a1" * 32
DELIVERIES = reverse("admin:outbox_webhookdelivery_changelist")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def delivery(business, event: str, **fields) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        business=business, event=event, key=f"{business.pk}:{event}", url=business.webhook_url, body="{}", **fields
    )


@pytest.fixture
def hooked(business):
    business.webhook_url, business.webhook_secret = "https://hooks.example.com/raves", SECRET
    business.save()
    return business


@pytest.fixture
def manager(hooked):
    return MembershipFactory(business=hooked, role=Membership.Role.MANAGER).user


# --- deliveries ----------------------------------------------------------------------------------


def test_the_owner_sees_each_delivery_of_their_business_with_its_outcome_and_last_error(owner, hooked, other_business):
    other_business.webhook_url = "https://zebediah.example.com/hook"
    delivery(hooked, "case.opened", status=Status.DELIVERED, attempts=1, last_status_code=204)
    delivery(
        hooked,
        "review.created",
        status=Status.QUEUED,
        attempts=2,
        last_status_code=302,
        last_error="HTTP 302: redirect to http://10.0.0.1/ refused",
    )
    delivery(hooked, "review.published", status=Status.FAILED, attempts=8, last_error="HTTP 500")
    delivery(other_business, "zebediah.event", status=Status.FAILED, attempts=8, last_error="Zebediah's error")
    page = logged_in(owner).get(DELIVERIES).content.decode()
    for shown in ["Delivered", "Retrying", "Failed", "redirect to http://10.0.0.1/ refused", "HTTP 500", "302"]:
        assert shown in page
    assert "zebediah" not in page.lower()


@pytest.mark.parametrize(
    ("outcome", "events"),
    [("delivered", ["case.opened"]), ("retrying", ["review.created"]), ("failed", ["review.published"])],
)
def test_the_owner_filters_deliveries_by_outcome(owner, hooked, outcome, events):
    delivery(hooked, "case.opened", status=Status.DELIVERED, attempts=1)
    delivery(hooked, "review.created", status=Status.QUEUED, attempts=3)
    delivery(hooked, "review.published", status=Status.FAILED, attempts=8)
    response = logged_in(owner).get(DELIVERIES, {"outcome": outcome})
    assert [row.event for row in response.context["cl"].result_list] == events


def test_a_delivery_of_another_business_cannot_be_opened(owner, other_business):
    other_business.webhook_url = "https://zebediah.example.com/hook"
    theirs = delivery(other_business, "case.opened")
    response = logged_in(owner).get(reverse("admin:outbox_webhookdelivery_change", args=[theirs.pk]))
    assert response.status_code == 302  # the admin's answer for an object that does not exist
    assert "zebediah" not in response.content.decode().lower()


def test_a_delivery_is_read_only_and_its_url_credentials_are_hidden(owner, hooked):
    mine = delivery(hooked, "case.opened", status=Status.FAILED, attempts=8)
    WebhookDelivery.objects.filter(pk=mine.pk).update(url="https://bob:pa55word@hooks.example.com/raves?token=tok1")
    client = logged_in(owner)
    change = reverse("admin:outbox_webhookdelivery_change", args=[mine.pk])
    page = client.get(change).content.decode()
    assert "https://***@hooks.example.com/raves?***" in page
    assert "pa55word" not in page and "tok1" not in page and 'name="status"' not in page
    assert client.post(change, {"status": "queued"}).status_code == 403
    assert client.get(reverse("admin:outbox_webhookdelivery_add")).status_code == 403


# --- the signing secret --------------------------------------------------------------------------


BUSINESSES = reverse("admin:businesses_business_changelist")


def rotate(client: Client, business):
    data = {"action": "rotate_webhook_secret", helpers.ACTION_CHECKBOX_NAME: [business.pk]}
    return client.post(BUSINESSES, data, follow=True)


def test_a_manager_never_sees_the_webhook_secret(manager, hooked):
    client = logged_in(manager)
    assert SECRET not in client.get(reverse("admin:businesses_business_change", args=[hooked.pk])).content.decode()
    response = rotate(client, hooked)
    hooked.refresh_from_db()
    assert hooked.webhook_secret == SECRET  # the action is not theirs
    assert SECRET not in response.content.decode()


def test_the_owner_sees_a_rotated_secret_once_and_never_again(owner, hooked):
    client = logged_in(owner)
    change = reverse("admin:businesses_business_change", args=[hooked.pk])
    assert SECRET not in client.get(change).content.decode()
    shown = rotate(client, hooked).content.decode()
    hooked.refresh_from_db()
    assert hooked.webhook_secret != SECRET and hooked.webhook_secret in shown
    for page in [client.get(change), client.get(BUSINESSES)]:
        assert hooked.webhook_secret not in page.content.decode()


def test_the_owner_sees_the_secret_made_for_a_new_webhook_url_once(owner, business):
    client = logged_in(owner)
    change = reverse("admin:businesses_business_change", args=[business.pk])
    data = {**form_data(client.get(change)), "webhook_url": "https://hooks.example.com/raves"}
    shown = client.post(change, data, follow=True).content.decode()
    business.refresh_from_db()
    assert len(business.webhook_secret) == 64 and business.webhook_secret in shown
    assert business.webhook_secret not in client.get(change).content.decode()
