"""Reads for feedback requests and answers."""

from __future__ import annotations

from django.db.models import QuerySet

from businesses.models import Business
from feedback.models import FeedbackRequest
from feedback.tokens import Purpose, hash_token

TOKEN_FIELDS = {Purpose.FEEDBACK: "feedback_token_hash", Purpose.UNSUBSCRIBE: "unsubscribe_token_hash"}


def feedback_request_by_token(*, token: str, purpose: Purpose) -> FeedbackRequest | None:
    """The request a link's token points to, for that link's purpose only; None when unknown."""
    if not token or len(token) > 100:
        return None
    return (
        FeedbackRequest.objects.select_related("business", "customer", "staff", "feedback")
        .filter(**{TOKEN_FIELDS[purpose]: hash_token(token)})
        .first()
    )


def feedback_request_list(*, business: Business) -> QuerySet[FeedbackRequest]:
    """The business's invitations (answers through open links are not invitations, and have no customer to show)."""
    # The business rides along: each request shows its language, which falls back on the business's.
    return FeedbackRequest.objects.filter(business=business, channel=FeedbackRequest.Channel.EMAIL).select_related(
        "business", "customer", "staff"
    )
