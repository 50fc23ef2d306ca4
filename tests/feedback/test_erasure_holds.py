"""Erasure that holds: an erased opt-out or bounce stays suppressed, and nothing of the customer lingers.

Every step goes through the HTTP interface: the admin's erase action, the API, the admin add form
and the CSV import.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from businesses.models import Customer
from feedback.models import CustomerImport, FeedbackRequest
from feedback.services.responses import Answer, feedback_submit
from feedback.tasks import create_customer_import
from reviews.models import Case
from reviews.services.cases import case_update
from tests.businesses.factories import CustomerFactory, api_key_for
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
CUSTOMERS = "/admin/businesses/customer/"
API = "/api/v1/feedback-requests/"


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def erase(client: Client, customer: Customer) -> None:
    response = client.post(
        CUSTOMERS, {"action": "erase_selected", "_selected_action": [customer.pk], "confirm": "erase"}
    )
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()


def api_request(api_client, email: str) -> dict:
    response = api_client.post(API, {"customer": {"name": "Ana Silva", "email": email}}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize(("flag", "reason"), [("opted_out_at", "opted_out"), ("bounced_at", "bounced")])
def test_an_erased_customer_who_opted_out_or_bounced_stays_suppressed_through_the_api(
    owner_client, api_client, business, flag, reason
):
    customer = CustomerFactory(business=business, email="Ana.Silva@Example.com", **{flag: timezone.now()})
    erase(owner_client, customer)

    body = api_request(api_client, "ana.silva@EXAMPLE.com")

    assert (body["status"], body["suppression_reason"]) == ("suppressed", reason)
    assert getattr(Customer.objects.get(email__iexact="ana.silva@example.com"), flag) is not None


def test_the_erased_address_is_kept_only_as_a_keyed_hash(owner_client, business):
    customer = CustomerFactory(
        business=business, email="ana@example.com", name="Ana Silva", opted_out_at=timezone.now()
    )
    erase(owner_client, customer)
    from feedback.models import ErasedAddress  # new model; imported here so the other tests run on old code

    [kept] = ErasedAddress.objects.values()
    assert len(kept["address_hash"]) == 64
    assert "ana" not in json.dumps(kept, default=str).lower()


def test_erasing_a_customer_who_never_opted_out_keeps_nothing(owner_client, api_client, business):
    erase(owner_client, CustomerFactory(business=business, email="ana@example.com"))
    from feedback.models import ErasedAddress

    assert not ErasedAddress.objects.exists()
    assert api_request(api_client, "ana@example.com")["status"] == "queued"


def test_the_suppression_belongs_to_the_business_that_erased(owner_client, business, other_business):
    erase(owner_client, CustomerFactory(business=business, email="ana@example.com", opted_out_at=timezone.now()))
    theirs = Client()
    theirs.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {api_key_for(other_business)}"
    response = theirs.post(API, {"customer": {"email": "ana@example.com"}}, content_type="application/json")
    assert (response.status_code, response.json()["status"]) == (201, "queued")


def test_an_erased_opt_out_still_holds_after_the_secret_key_is_rotated(owner_client, api_client, business, settings):
    erase(owner_client, CustomerFactory(business=business, email="ana@example.com", opted_out_at=timezone.now()))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "y" * 30
    body = api_request(api_client, "ana@example.com")
    assert (body["status"], body["suppression_reason"]) == ("suppressed", "opted_out")


def test_an_erased_opt_out_is_suppressed_through_the_admin_form(owner_client, business):
    erase(owner_client, CustomerFactory(business=business, email="ana@example.com", opted_out_at=timezone.now()))
    data = {"customer_name": "Ana", "customer_email": "ANA@example.com", "external_id": "", "staff": ""}
    data |= {"interaction_at_0": "", "interaction_at_1": "", "reference": ""}
    owner_client.post(reverse("admin:feedback_feedbackrequest_add"), data)
    created = FeedbackRequest.objects.get()
    assert (created.status, created.suppression_reason) == (Status.SUPPRESSED, "opted_out")


def test_an_erased_bounce_is_suppressed_through_the_csv_import(owner_client, business):
    erase(owner_client, CustomerFactory(business=business, email="ana@example.com", bounced_at=timezone.now()))
    upload_csv(owner_client, "name,email", "Ana,ana@example.com", "Ben,ben@example.com")
    owner_client.post(preview_url(CustomerImport.objects.get()), {"confirm": "1"})
    create_customer_import(CustomerImport.objects.get().pk)  # the worker's part
    statuses = dict(FeedbackRequest.objects.values_list("customer__email", "suppression_reason"))
    assert statuses == {"ana@example.com": "bounced", "ben@example.com": ""}


def upload_csv(client: Client, *lines: str) -> None:
    content = ("\n".join(lines) + "\n").encode()
    upload = SimpleUploadedFile("customers.csv", content, "text/csv")
    assert client.post(reverse("admin:feedback_feedbackrequest_import"), {"file": upload}).status_code == 302


def preview_url(customer_import: CustomerImport) -> str:
    return reverse("admin:feedback_feedbackrequest_import_preview", args=[customer_import.pk])


# --- the export is complete ------------------------------------------------------------------
def test_the_export_holds_case_notes_rating_history_consent_and_suppression(owner_client, business, owner):
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email="ana@example.com")
    feedback_submit(request_id=request.pk, answer=Answer(rating=1, comment="Cold soup.", consent_to_publish=True))
    feedback_submit(request_id=request.pk, answer=Answer(rating=4, comment="They fixed it.", consent_to_publish=True))
    case_update(case=Case.objects.get(), actor=owner, note="Called Ana, offered a new dinner.")
    FeedbackRequestFactory(
        business=business, customer=request.customer, status=Status.SUPPRESSED, suppression_reason="quiet_period"
    )

    response = owner_client.post(CUSTOMERS, {"action": "export_data", "_selected_action": [request.customer.pk]})

    [data] = json.loads(response.content)
    answered = next(item for item in data["feedback_requests"] if "answer" in item)
    answer = answered["answer"]
    assert [change["rating"] for change in answer["rating_history"]] == [1, 4]
    assert [note["text"] for note in answer["complaint"]["notes"]] == ["Called Ana, offered a new dinner."]
    assert answer["complaint"]["original_rating"] == 1
    assert answer["consent_text"] and answer["consent_at"]
    assert answer["review"]["moderation"][0]["action"] == "submitted"
    assert answer["review"]["published_comment"] == ""  # nothing approved for the public yet
    assert [event["status"] for event in answered["status_history"]][-1] == "responded"
    assert {item["suppression_reason"] for item in data["feedback_requests"]} == {"", "quiet_period"}


# --- erasure leaves nothing behind -----------------------------------------------------------
def test_after_erasure_no_admin_log_entry_names_the_customer(owner_client, business):
    customer = CustomerFactory(business=business, email="ana@example.com", name="Ana Silva")
    change = reverse("admin:businesses_customer_change", args=[customer.pk])
    form = {"business": business.pk, "name": "Ana Silva-Lindqvist", "email": "ana@example.com", "external_id": "7"}
    assert owner_client.post(change, form).status_code == 302
    add = {"customer_name": "", "customer_email": "ana@example.com", "external_id": "", "staff": ""}
    owner_client.post(reverse("admin:feedback_feedbackrequest_add"), add | {"interaction_at_0": "", "reference": ""})
    logged = " ".join(LogEntry.objects.values_list("object_repr", flat=True))
    assert "ana@example.com" in logged and "Ana Silva-Lindqvist" in logged  # what erasure must remove

    erase(owner_client, Customer.objects.get(pk=customer.pk))

    assert LogEntry.objects.count() >= 2  # who did what stays known, not to whom
    for entry in LogEntry.objects.all():
        text = f"{entry.object_repr} {entry.change_message}".lower()
        assert "ana@example.com" not in text and "ana silva" not in text


def test_after_erasure_no_unconfirmed_csv_preview_holds_the_address(owner_client, business):
    customer = CustomerFactory(business=business, email="ana@example.com", name="Ana Silva")
    upload_csv(owner_client, "name,email", "Ana Silva,ANA@example.com", "Ben,ben@example.com")

    erase(owner_client, customer)

    preview = CustomerImport.objects.get()
    assert "ana" not in json.dumps(preview.rows).lower()
    assert [row["email"] for row in preview.rows] == ["ben@example.com"]
    page = owner_client.get(preview_url(preview))
    assert page.status_code == 200 and b"ana@example.com" not in page.content.lower()
