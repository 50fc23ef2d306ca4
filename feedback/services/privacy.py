"""What feedback holds about a customer: their requests and answers, the emails to them, their
addresses in imports (registered in FeedbackConfig.ready with businesses.privacy).

Apps above add to each answer's data with `answer_part_register` (reviews: its review and complaint).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from businesses.models import Customer
from feedback.models import CustomerImport, FeedbackRequest
from feedback.services.erased_addresses import normalised_address
from outbox.models import OutboxEmail


@dataclass(frozen=True)
class AnswerPart:
    """A piece of an answer's data kept by another app, fetched with the answers (paths from Feedback)."""

    name: str
    data: Callable[..., object]  # data(feedback=...)
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()


_answer_parts: dict[str, AnswerPart] = {}


def answer_part_register(part: AnswerPart) -> None:
    _answer_parts[part.name] = part


def requests_data(*, customer: Customer) -> list[dict]:
    """The customer's feedback requests, each with its history and answer."""
    parts = _answer_parts.values()
    requests = (
        FeedbackRequest.objects.filter(customer=customer)
        .select_related("staff", "feedback__staff", *(f"feedback__{path}" for p in parts for path in p.select_related))
        .prefetch_related(
            "events",
            "feedback__rating_history",
            *(f"feedback__{path}" for p in parts for path in p.prefetch_related),
        )
    )
    return [_request_data(request) for request in requests]


def emails_data(*, customer: Customer) -> list[dict]:
    """The emails this business sent or queued to the customer's address (invitations aside)."""
    emails = OutboxEmail.objects.filter(business=customer.business, to__iexact=customer.email).order_by("created_at")
    return [
        {
            "subject": email.subject,
            "text": email.text,
            "status": email.status,
            "created_at": email.created_at,
            "sent_at": email.sent_at,
        }
        for email in emails
    ]


def _request_data(request: FeedbackRequest) -> dict:
    data = {
        "reference": request.reference,
        "status": request.status,
        "suppression_reason": request.suppression_reason,
        "internal": request.internal,
        "interaction_at": request.interaction_at,
        "served_by": request.staff.name if request.staff else None,
        **{step: getattr(request, step) for step in FeedbackRequest.STEP_FIELDS},
        "status_history": [
            {"status": event.status, "note": event.note, "at": event.created_at} for event in request.events.all()
        ],
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
            "editable_until": feedback.editable_until,
            "rating_history": [
                {
                    "rating": change.rating,
                    "comment": change.comment,
                    "after_complaint": change.after_case,
                    "at": change.created_at,
                }
                for change in feedback.rating_history.all()
            ],
            **{part.name: part.data(feedback=feedback) for part in _answer_parts.values()},
        }
    return data


def import_previews_forget(*, customers: QuerySet[Customer]) -> None:
    """Take the customers' rows out of the CSV imports not yet created (previews, or half-way).

    Rows already created (before `rows_done`) are blanked in place, so the import's progress holds.
    """
    for business_id, emails in _addresses_by_business(customers).items():
        pending = CustomerImport.objects.select_for_update().filter(business_id=business_id, finished_at__isnull=True)
        for customer_import in pending:
            done, rows = customer_import.rows_done, customer_import.rows
            kept = [_blanked(row, emails) for row in rows[:done]]
            kept += [row for row in rows[done:] if normalised_address(row.get("email", "")) not in emails]
            if kept != rows:
                customer_import.rows = kept
                customer_import.row_count -= len(rows) - len(kept)
                customer_import.save(update_fields=["rows", "row_count"])


def _addresses_by_business(customers: QuerySet[Customer]) -> dict[int, set[str]]:
    addresses: dict[int, set[str]] = {}
    for business_id, email in customers.values_list("business_id", "email"):
        addresses.setdefault(business_id, set()).add(normalised_address(email))
    return addresses


def _blanked(row: dict, emails: set[str]) -> dict:
    if normalised_address(row.get("email", "")) not in emails:
        return row
    return {**row, "email": "", "name": "", "external_id": ""}
