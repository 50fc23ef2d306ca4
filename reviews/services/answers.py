"""What follows a customer's answer: its rating history, a complaint case, its review."""

from __future__ import annotations

from feedback.models import Feedback
from insights.services.kudos import kudos_record
from reviews.models import Case, RatingChange
from reviews.services.cases import case_open_if_low
from reviews.services.moderation import review_sync
from showcase.cache import showcase_cache_invalidate


def feedback_answer_recorded(*, feedback: Feedback, previous_rating: int | None) -> None:
    """Called in the transaction that saved the answer (first submit or an edit)."""
    if feedback.rating != previous_rating:
        after_case = Case.objects.filter(feedback=feedback, follow_up_sent_at__isnull=False).exists()
        RatingChange.objects.create(
            feedback=feedback, rating=feedback.rating, comment=feedback.comment, after_case=after_case
        )
    case_open_if_low(feedback=feedback)
    review_sync(feedback=feedback)
    kudos_record(feedback=feedback)
    # Every rating counts in the public average, published or not.
    showcase_cache_invalidate(feedback.business_id)
