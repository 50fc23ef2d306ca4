"""Demo reviews and complaints for the demo business's answers. Safe to run again."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction

from businesses.models import Business
from feedback.models import Feedback
from reviews.models import Case, Review
from reviews.services.cases import case_open_if_low
from reviews.services.moderation import Actor, review_publish, review_reply, review_sync

REPLIES = ["Thank you — we'll pass this on to the team!", "So glad you enjoyed it. See you soon!"]
DEMO_MODERATOR = Actor("demo moderator")


@transaction.atomic
def demo_reviews_load(*, business: Business, seed: int = 11) -> int:
    """Reviews for consented answers (most published, a few replied to) and cases for low ratings,
    the older ones already resolved. Returns how many reviews were made (0 when already there)."""
    if Review.objects.filter(business=business).exists():
        return 0
    rng = random.Random(seed)
    made = 0
    for feedback in Feedback.objects.filter(business=business).select_related("customer", "request"):
        review = review_sync(feedback=feedback)
        if review is not None:
            made += 1
            if rng.random() < 0.85 and not review.flags:
                review_publish(review=review, actor=DEMO_MODERATOR)
                Review.objects.filter(pk=review.pk).update(published_at=feedback.submitted_at + timedelta(hours=3))
                if feedback.rating >= 4 and rng.random() < 0.3:
                    review_reply(review=review, text=rng.choice(REPLIES), actor=DEMO_MODERATOR)
        _demo_case(feedback, rng)
    return made


def _demo_case(feedback: Feedback, rng: random.Random) -> None:
    case = case_open_if_low(feedback=feedback)
    if case is None:
        return
    opened = feedback.submitted_at
    answered = opened + timedelta(minutes=rng.randint(12, 300))
    fields = {"opened_at": opened, "deadline": opened + timedelta(hours=feedback.business.complaint_response_hours)}
    if rng.random() < 0.7:
        fields.update(
            status=Case.Status.RESOLVED,
            first_response_at=answered,
            resolved_at=answered + timedelta(hours=5),
            resolution="Called the customer, apologised and offered their next visit on us.",
            cause=rng.choice([slug for slug, _ in feedback.business.case_cause_choices()]),
            system_problem=rng.random() < 0.5,
        )
    Case.objects.filter(pk=case.pk).update(**fields)
