"""A customer's data on request: exported whole, erased whole, scoped to the owner's business."""

import json

import pytest

from businesses.models import Customer
from feedback.models import Feedback, FeedbackRequest
from feedback.services.responses import Answer, feedback_submit
from reviews.models import Case, Review
from showcase.selectors import rating_summary
from tests.businesses.factories import CustomerFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def _answered(business, rating: int, comment: str) -> Customer:
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva")
    feedback_submit(request_id=request.pk, answer=Answer(rating=rating, comment=comment, consent_to_publish=True))
    return request.customer


def test_the_export_holds_the_customers_requests_answer_review_and_complaint(owner_client, business):
    customer = _answered(business, 1, "Cold soup, and nobody came.")
    response = owner_client.post(
        "/admin/businesses/customer/", {"action": "export_data", "_selected_action": [customer.pk]}
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    [data] = json.loads(response.content)
    assert data["customer"]["email"] == customer.email
    [request] = data["feedback_requests"]
    assert request["answer"]["comment"] == "Cold soup, and nobody came."
    assert request["answer"]["review"]["status"] == "pending"
    assert request["answer"]["complaint"]["status"] == "open"


def test_erasing_a_customer_removes_everything_from_them_and_their_rating(owner_client, business):
    customer = _answered(business, 1, "Cold soup, and nobody came.")
    _answered(business, 5, "Wonderful breakfast, thank you all.")
    assert rating_summary(business=business).rating_count == 2
    confirmation = owner_client.post(
        "/admin/businesses/customer/", {"action": "erase_selected", "_selected_action": [customer.pk]}
    )
    assert confirmation.status_code == 200 and b"cannot be undone" in confirmation.content
    assert Customer.objects.filter(pk=customer.pk).exists()  # nothing goes before the confirmation
    response = owner_client.post(
        "/admin/businesses/customer/",
        {"action": "erase_selected", "_selected_action": [customer.pk], "confirm": "erase"},
    )
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not FeedbackRequest.objects.filter(customer_id=customer.pk).exists()
    assert not Feedback.objects.filter(customer_id=customer.pk).exists()
    assert not Case.objects.exists() and Review.objects.count() == 1
    assert rating_summary(business=business).rating_count == 1


def test_an_owner_cannot_export_or_erase_another_businesss_customer(owner_client, other_business):
    stranger = CustomerFactory(business=other_business)
    export = owner_client.post(
        "/admin/businesses/customer/", {"action": "export_data", "_selected_action": [stranger.pk]}
    )
    assert stranger.email.encode() not in export.content
    owner_client.post(
        "/admin/businesses/customer/",
        {"action": "erase_selected", "_selected_action": [stranger.pk], "confirm": "erase"},
    )
    assert Customer.objects.filter(pk=stranger.pk).exists()


def test_erasing_a_customer_deletes_the_alerts_and_webhooks_that_quote_them(business, owner):
    from businesses.privacy import customers_erase
    from outbox.models import OutboxEmail, WebhookDelivery

    business.webhook_url = "https://hooks.example.com/raves"
    business.save()
    erased = _answered(business, 1, "Cold soup, and nobody came.")
    _answered(business, 2, "Slow service at the till.")

    def quoting(words: str) -> tuple[int, int]:
        return OutboxEmail.objects.filter(text__contains=words).count(), WebhookDelivery.objects.filter(
            body__contains=words
        ).count()

    emails, webhooks = quoting("Cold soup")
    assert emails >= 1 and webhooks >= 2  # the owner's alert; review.created and case.opened
    kept = quoting("Slow service")
    customers_erase(customers=Customer.objects.filter(pk=erased.pk))
    assert quoting("Cold soup") == (0, 0)
    assert quoting("Slow service") == kept
