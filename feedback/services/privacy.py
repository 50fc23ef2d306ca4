"""A customer's data on request: everything we hold about them, and its erasure."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from businesses.models import Customer
from feedback.models import FeedbackRequest
from outbox.models import OutboxEmail, WebhookDelivery
from reviews.models import Case, Review
from showcase.cache import showcase_cache_invalidate


def customer_data_export(*, customer: Customer) -> dict:
    """Everything held about one customer of one business, as plain data (for a JSON download)."""
    requests = FeedbackRequest.objects.filter(customer=customer).select_related(
        "staff", "feedback__staff", "feedback__review", "feedback__case"
    )
    return {
        "customer": {
            "name": customer.name,
            "email": customer.email,
            "external_id": customer.external_id,
            "opted_out_at": customer.opted_out_at,
            "bounced_at": customer.bounced_at,
            "created_at": customer.created_at,
            "business": customer.business.name,
        },
        "feedback_requests": [_request_data(request) for request in requests],
    }


def _request_data(request: FeedbackRequest) -> dict:
    data = {
        "reference": request.reference,
        "status": request.status,
        "internal": request.internal,
        "interaction_at": request.interaction_at,
        "served_by": request.staff.name if request.staff else None,
        **{step: getattr(request, step) for step in FeedbackRequest.STEP_FIELDS},
    }
    feedback = getattr(request, "feedback", None)
    if feedback is not None:
        data["answer"] = {
            "rating": feedback.rating,
            "comment": feedback.comment,
            "idea": feedback.improvement,
            "recommend_score": feedback.recommend_score,
            "who_helped": feedback.staff.name if feedback.staff else None,
            "consent_to_publish": feedback.consent_to_publish,
            "consent_text": feedback.consent_text,
            "consent_at": feedback.consent_at,
            "display_name": feedback.display_name,
            "submitted_at": feedback.submitted_at,
            "updated_at": feedback.updated_at,
            "review": _review_data(feedback),
            "complaint": _case_data(feedback),
        }
    return data


def _review_data(feedback) -> dict | None:
    review = getattr(feedback, "review", None)
    if review is None:
        return None
    return {"status": review.status, "published_at": review.published_at, "reply": review.reply}


def _case_data(feedback) -> dict | None:
    case = getattr(feedback, "case", None)
    if case is None:
        return None
    return {
        "status": case.status,
        "opened_at": case.opened_at,
        "resolved_at": case.resolved_at,
        "resolution": case.resolution,
    }


@transaction.atomic
def customers_erase(*, customers: QuerySet[Customer]) -> int:
    """Erase customers and everything that came from them (requests, answers, reviews, complaints).

    Their ratings leave the public average with them. Returns how many customers were erased.
    """
    business_ids = set(customers.values_list("business_id", flat=True))
    erased = customers.count()
    _delete_messages_quoting(customers)  # found through the cases and reviews, deleted next
    customers.delete()
    for business_id in business_ids:
        showcase_cache_invalidate(business_id)
    return erased


def _delete_messages_quoting(customers: QuerySet[Customer]) -> None:
    """Delete the emails and webhook deliveries, queued or sent, that quote these customers' words:
    complaint alerts, overdue reminders and follow-ups about their cases (found by outbox key, see
    reviews/services/cases.py), and the webhooks about their cases and reviews."""
    cases = Case.objects.filter(feedback__customer__in=customers).values_list("pk", flat=True)
    reviews = Review.objects.filter(feedback__customer__in=customers).values_list("pk", flat=True)
    emails, webhooks = Q(pk__in=[]), Q(pk__in=[])
    for case in cases:
        emails |= Q(key__startswith=f"case-opened:{case}:") | Q(key__startswith=f"case-overdue:{case}:")
        emails |= Q(key=f"case-follow-up:{case}")
        webhooks |= Q(key=f"case.opened:{case}")
    for review in reviews:
        webhooks |= Q(key=f"review.created:{review}") | Q(key__startswith=f"review.published:{review}:")
    OutboxEmail.objects.filter(emails).delete()
    WebhookDelivery.objects.filter(webhooks).delete()
