"""A customer's data on request: everything we hold about them, and its erasure."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from businesses.models import Customer
from feedback.models import FeedbackRequest
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
    customers.delete()
    for business_id in business_ids:
        showcase_cache_invalidate(business_id)
    return erased
