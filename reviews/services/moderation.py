"""Reviews: made from consented feedback, moderated by content — never by rating — with every step logged."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from businesses.models import StaffMember
from feedback.models import Feedback
from outbox.webhooks import webhook_queue
from reviews.flags import content_flags
from reviews.models import ModerationLogEntry, Review
from showcase.cache import showcase_cache_invalidate

Status = Review.Status
Action = ModerationLogEntry.Action
CUSTOMER = "the customer"
RAVES = "Raves (automatic)"


@dataclass(frozen=True)
class Actor:
    """Who performs a moderation step: a login, or a label ("API key Booking system")."""

    label: str
    user: AbstractUser | None = None

    @classmethod
    def of(cls, user: AbstractUser) -> Actor:
        return cls(label=user.get_username(), user=user)


def review_sync(*, feedback: Feedback) -> Review | None:
    """Bring the feedback's review in line with the customer's latest answer.

    Consent given: a review is created (published at once when the business publishes unflagged
    reviews automatically and nothing is flagged, else pending). Consent withdrawn: it is taken
    down. An edit sends a published review back to moderation only when it raises a new flag.
    The rating plays no part in any of this.
    """
    # Locked like every moderation step, so a moderator's concurrent publish cannot be overwritten.
    review = Review.objects.select_for_update().filter(feedback=feedback).first()
    if feedback.internal or not feedback.consent_to_publish:
        if review is not None and not _is_withdrawn(review):
            _transition(
                review, Status.REJECTED, Action.WITHDRAWN, Actor(CUSTOMER), reason=Review.RejectionReason.CUSTOMER_ASKED
            )
        return review
    flags = content_flags(comment=feedback.comment, display_name=feedback.display_name)
    if review is None or _is_withdrawn(review):
        return _review_create_or_resubmit(feedback, review, flags)
    raised = set(flags) - set(review.flags)
    review.flags = flags
    review.save(update_fields=["flags"])
    if review.status == Status.PUBLISHED and raised:
        _transition(review, Status.PENDING, Action.RETURNED, Actor(RAVES))
    else:
        _log(review, Action.EDITED, review.status, review.status, Actor(CUSTOMER))
    return review


def _is_withdrawn(review: Review) -> bool:
    return review.status == Status.REJECTED and review.rejection_reason == Review.RejectionReason.CUSTOMER_ASKED


def _review_create_or_resubmit(feedback: Feedback, review: Review | None, flags: list[str]) -> Review:
    if review is None:
        review = Review(
            feedback=feedback, business=feedback.business, verified=True, from_team_member=_is_team_member(feedback)
        )
    previous = review.status if review.pk else ""
    review.flags, review.status, review.rejection_reason = flags, Status.PENDING, ""
    review.save()
    _log(review, Action.SUBMITTED, previous, Status.PENDING, Actor(CUSTOMER))
    if not previous:
        _webhook(review, "review.created", key=f"review.created:{review.pk}")
    if feedback.business.auto_publish and not flags:
        _transition(review, Status.PUBLISHED, Action.AUTO_PUBLISHED, Actor(RAVES))
    return review


def _webhook(review: Review, event: str, *, key: str) -> None:
    feedback = review.feedback
    data = {
        "id": review.pk,
        "status": review.status,
        "rating": feedback.rating,
        "comment": feedback.comment,
        "display_name": feedback.display_name,
        "staff": feedback.staff.name if feedback.staff else None,
        "flags": review.flags,
        "created_at": review.created_at,
        "published_at": review.published_at,
    }
    webhook_queue(business=review.business, event=event, key=key, data=data)


def _is_team_member(feedback: Feedback) -> bool:
    return StaffMember.objects.filter(business=feedback.business, email__iexact=feedback.customer.email).exists()


def review_publish_refusal(review: Review) -> str:
    """Why `review` may not be published ("" when it may): only with the customer's consent, never internal."""
    feedback = review.feedback
    if feedback.internal:
        return "Feedback from an internal customer is never published."
    if not feedback.consent_to_publish:
        return "The customer withdrew their consent; this review cannot be published."
    return ""


@transaction.atomic
def review_publish(*, review: Review, actor: Actor) -> Review:
    """Publish a review (from pending or rejected). Publishing twice changes nothing."""
    review = _locked(review)
    if review.status != Status.PUBLISHED:
        if refusal := review_publish_refusal(review):
            raise ValidationError({"status": refusal})
        _transition(review, Status.PUBLISHED, Action.PUBLISHED, actor)
    return review


@transaction.atomic
def review_reject(*, review: Review, reason: str, actor: Actor) -> Review:
    """Reject a review for a content-policy reason (required; the rating is never one)."""
    if reason not in Review.RejectionReason.values:
        allowed = ", ".join(Review.RejectionReason.values)
        raise ValidationError({"rejection_reason": f"Choose a content-policy reason: {allowed}."})
    review = _locked(review)
    if review.status != Status.REJECTED or review.rejection_reason != reason:
        _transition(review, Status.REJECTED, Action.REJECTED, actor, reason=reason)
    return review


@transaction.atomic
def review_reply(*, review: Review, text: str, actor: Actor) -> Review:
    """Set (or clear, with an empty text) the business's public reply."""
    review = _locked(review)
    text = text.strip()
    if len(text) > 5000:
        raise ValidationError({"reply": "Keep the reply under 5,000 characters."})
    if text != review.reply:
        review.reply, review.replied_at, review.replied_by = text, timezone.now() if text else None, actor.user
        review.save(update_fields=["reply", "replied_at", "replied_by"])
        _log(review, Action.REPLIED, review.status, review.status, actor)
        showcase_cache_invalidate(review.business_id)
    return review


@transaction.atomic
def review_feature(*, review: Review, featured: bool, actor: Actor) -> Review:
    """Feature a review on the public page, or stop featuring it."""
    review = _locked(review)
    if review.featured != featured:
        review.featured = featured
        review.save(update_fields=["featured"])
        _log(review, Action.FEATURED if featured else Action.UNFEATURED, review.status, review.status, actor)
        showcase_cache_invalidate(review.business_id)
    return review


def _locked(review: Review) -> Review:
    return Review.objects.select_for_update().select_related("feedback", "business").get(pk=review.pk)


def _transition(review: Review, to_status: str, action: str, actor: Actor, *, reason: str = "") -> None:
    from_status = review.status
    review.status, review.rejection_reason = to_status, reason if to_status == Status.REJECTED else ""
    if to_status == Status.PUBLISHED and review.published_at is None:
        review.published_at = timezone.now()
    review.save(update_fields=["status", "rejection_reason", "published_at"])
    entry = _log(review, action, from_status, to_status, actor, reason=reason)
    showcase_cache_invalidate(review.business_id)
    if to_status == Status.PUBLISHED:
        _webhook(review, "review.published", key=f"review.published:{review.pk}:{entry.pk}")


def _log(
    review: Review, action: str, from_status: str, to_status: str, actor: Actor, *, reason: str = ""
) -> ModerationLogEntry:
    return ModerationLogEntry.objects.create(
        review=review,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        actor=actor.user,
        actor_label=actor.label[:120],
    )
