"""What reviews holds about a customer: the review and the complaint of each answer (registered in
ReviewsConfig.ready with businesses.privacy and feedback.services.privacy)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from businesses.models import Customer
from feedback.models import Feedback
from outbox.models import OutboxEmail, WebhookDelivery
from reviews.models import Case, Review


def review_data(*, feedback: Feedback) -> dict | None:
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


def case_data(*, feedback: Feedback) -> dict | None:
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


def messages_quoting_delete(*, customers: QuerySet[Customer]) -> None:
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
