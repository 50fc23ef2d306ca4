"""Factories for reviews, complaint cases and the moderation log; and a customer's answer, end to end.

`ReviewFactory` and `CaseFactory` build rows directly (fast, for admin and API tests). Tests of the
publishing rules go through `answer()`, which submits like the customer's link does, so the review
and the case are made by the services.
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from businesses.models import Business
from feedback.models import Feedback, FeedbackRequest
from feedback.services.responses import Answer, feedback_submit
from reviews.models import Case, ModerationLogEntry, Review
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory

CLEAN_COMMENT = "The staff were friendly and the work was done on time."


class SameBusinessAsFeedback:
    """`business=b` builds the feedback in `b`; `feedback=f` takes `f`'s business."""

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs["business"] = kwargs["feedback"].business
        return kwargs


class ReviewFactory(SameBusinessAsFeedback, factory.django.DjangoModelFactory):
    """A pending, unflagged review of consented feedback."""

    class Meta:
        model = Review

    feedback = factory.SubFactory(
        FeedbackFactory,
        consent_to_publish=True,
        consent_at=factory.LazyFunction(timezone.now),
        consent_text="I agree that the business may publish my rating and comment.",
        comment=CLEAN_COMMENT,
        request__business=factory.SelfAttribute("...business"),
    )
    business = factory.SubFactory("tests.businesses.factories.BusinessFactory")
    status = Review.Status.PENDING
    flags = factory.LazyFunction(list)
    published_at = factory.LazyAttribute(lambda review: timezone.now() if review.status == "published" else None)
    # A published review shows the words a moderator approved: the feedback's, as built.
    published_comment = factory.LazyAttribute(
        lambda review: review.feedback.comment if review.status == "published" else ""
    )
    published_display_name = factory.LazyAttribute(
        lambda review: review.feedback.display_name if review.status == "published" else ""
    )


class CaseFactory(SameBusinessAsFeedback, factory.django.DjangoModelFactory):
    """An open complaint case for a 1-star answer, due in 24 hours."""

    class Meta:
        model = Case

    feedback = factory.SubFactory(
        FeedbackFactory,
        rating=1,
        comment="Nobody called me back.",
        request__business=factory.SelfAttribute("...business"),
    )
    business = factory.SubFactory("tests.businesses.factories.BusinessFactory")
    original_rating = factory.SelfAttribute("feedback.rating")
    opened_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyAttribute(lambda case: case.opened_at + timedelta(hours=24))


class ModerationLogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModerationLogEntry

    review = factory.SubFactory(ReviewFactory)
    action = ModerationLogEntry.Action.PUBLISHED
    from_status = Review.Status.PENDING
    to_status = Review.Status.PUBLISHED
    actor_label = "owner@example.com"


def log_of(review: Review) -> list[tuple[str, str, str, str]]:
    """The review's moderation log as (action, from status, to status, reason), oldest first."""
    return list(review.log.values_list("action", "from_status", "to_status", "reason"))


def answer(
    *,
    business: Business,
    rating: int = 5,
    comment: str = CLEAN_COMMENT,
    consent: bool = True,
    request: FeedbackRequest | None = None,
    **fields,
) -> Feedback:
    """Submit an answer as the customer's link does (a new request unless `request` is given)."""
    request = request or FeedbackRequestFactory(business=business, customer__name="Ana Silva")
    return feedback_submit(
        request_id=request.pk,
        answer=Answer(rating=rating, comment=comment, consent_to_publish=consent, **fields),
    )
