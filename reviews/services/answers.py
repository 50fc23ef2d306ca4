"""What follows a customer's answer here: its rating history, a complaint case, its review."""

from __future__ import annotations

from feedback.models import Feedback
from reviews.models import Case, RatingChange
from reviews.services.cases import case_open_if_low
from reviews.services.moderation import review_sync


def feedback_answer_recorded(*, feedback: Feedback, previous_rating: int | None, **event) -> None:
    """Receives feedback.events.answer_recorded, in the transaction that saved the answer."""
    if feedback.rating != previous_rating:
        after_case = Case.objects.filter(feedback=feedback, follow_up_sent_at__isnull=False).exists()
        RatingChange.objects.create(
            feedback=feedback, rating=feedback.rating, comment=feedback.comment, after_case=after_case
        )
    case_open_if_low(feedback=feedback)
    review_sync(feedback=feedback)
