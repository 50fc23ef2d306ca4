"""A customer's data on request: everything we hold about them, and its erasure."""

from __future__ import annotations

import re

from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Q, QuerySet

from businesses.models import Customer
from feedback.models import CustomerImport, FeedbackRequest
from feedback.services.erased_addresses import erased_addresses_remember, normalised_address
from outbox.models import OutboxEmail, WebhookDelivery
from reviews.models import Case, Review
from showcase.cache import showcase_cache_invalidate

ERASED = "[erased customer]"


def customer_data_export(*, customer: Customer) -> dict:
    """Everything held about one customer of one business, as plain data (for a JSON download)."""
    requests = (
        FeedbackRequest.objects.filter(customer=customer)
        .select_related("staff", "feedback__staff", "feedback__review", "feedback__case")
        .prefetch_related(
            "events",
            "feedback__rating_history",
            "feedback__case__notes__author",
            "feedback__case__messages",
            "feedback__review__log",
        )
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
        "emails": _emails_data(customer),
    }


def _emails_data(customer: Customer) -> list[dict]:
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
            "review": _review_data(feedback),
            "complaint": _case_data(feedback),
        }
    return data


def _review_data(feedback) -> dict | None:
    review = getattr(feedback, "review", None)
    if review is None:
        return None
    return {
        "status": review.status,
        "rejection_reason": review.rejection_reason,
        "flags": review.flags,
        "featured": review.featured,
        "published_at": review.published_at,
        "published_comment": review.published_comment,
        "published_display_name": review.published_display_name,
        "edit_pending": review.edit_pending,
        "reply": review.reply,
        "replied_at": review.replied_at,
        "moderation": [
            {"action": entry.action, "status": entry.to_status, "reason": entry.reason, "at": entry.created_at}
            for entry in review.log.all()
        ],
    }


def _case_data(feedback) -> dict | None:
    case = getattr(feedback, "case", None)
    if case is None:
        return None
    return {
        "status": case.status,
        "original_rating": case.original_rating,
        "opened_at": case.opened_at,
        "deadline": case.deadline,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "resolution": case.resolution,
        "follow_up_sent_at": case.follow_up_sent_at,
        "notes": [
            {"text": note.text, "by": note.author.get_username() if note.author else None, "at": note.created_at}
            for note in case.notes.all()
        ],
        "cause": case.cause,
        "system_problem": case.system_problem,
        "conversation": [
            {
                "direction": message.direction,
                "kind": message.kind,
                "by": message.author_label,
                "text": message.body,
                "at": message.created_at,
            }
            for message in case.messages.all()
        ],
    }


@transaction.atomic
def customers_erase(*, customers: QuerySet[Customer]) -> int:
    """Erase customers and everything that came from them (requests, answers, reviews, complaints).

    Their ratings leave the public average with them. Returns how many customers were erased.
    """
    business_ids = set(customers.values_list("business_id", flat=True))
    erased = customers.count()
    # Their opt-out or bounce outlives them, as a keyed hash: the next import must not email them.
    erased_addresses_remember(customers=customers)
    _delete_messages_quoting(customers)  # found through the cases and reviews, deleted next
    _forget_in_admin_log(customers)
    _forget_in_import_previews(customers)
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
        # The conversation: messages to the customer and their answers forwarded to the business.
        emails |= Q(key__startswith=f"case-message:{case}:") | Q(key__startswith=f"case-reply:{case}:")
        emails |= Q(key__startswith=f"case-staff-owner:{case}:")  # the case emailed to its staff owner
        webhooks |= Q(key=f"case.opened:{case}")
    for review in reviews:
        webhooks |= Q(key=f"review.created:{review}") | Q(key__startswith=f"review.published:{review}:")
    OutboxEmail.objects.filter(emails).delete()
    WebhookDelivery.objects.filter(webhooks).delete()


def _forget_in_admin_log(customers: QuerySet[Customer]) -> None:
    """Replace the customers' addresses and names in the admin's change log (the “History” pages).

    The entries stay, so who did what remains known, but no longer say to whom.
    """
    for customer in customers:
        patterns = [re.escape(customer.email)] + ([rf"\b{re.escape(customer.name)}\b"] if customer.name.strip() else [])
        pattern = re.compile("|".join(patterns), re.IGNORECASE)
        mentions = Q(object_repr__icontains=customer.email) | Q(change_message__icontains=customer.email)
        if customer.name.strip():
            mentions |= Q(object_repr__icontains=customer.name) | Q(change_message__icontains=customer.name)
        for entry in LogEntry.objects.filter(mentions):
            entry.object_repr = pattern.sub(ERASED, entry.object_repr)[:200]
            entry.change_message = pattern.sub(ERASED, entry.change_message)
            entry.save(update_fields=["object_repr", "change_message"])


def _forget_in_import_previews(customers: QuerySet[Customer]) -> None:
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
