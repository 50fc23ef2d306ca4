"""Reviews: made from consented feedback, moderated by content — never by rating — with every step logged."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from businesses.events import public_page_changed
from businesses.models import StaffMember
from feedback.models import Feedback
from outbox.webhooks import webhook_queue
from reviews.flags import content_flags
from reviews.models import ModerationLogEntry, Review

Status = Review.Status
Action = ModerationLogEntry.Action
# What `_approve_words` sets: the public words and the state of the customer's edit.
WORDS_FIELDS = ("published_comment", "published_display_name", "edit_pending", "edited_at", "rejected_edit_digest")
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
    down. An edit of a published review's words waits for a moderator while the approved words
    stay public (`review_edit_publish`), unless the business publishes unflagged reviews
    automatically and the new words raise no flag. The rating plays no part in any of this.
    """
    # Locked like every moderation step, so a moderator's concurrent publish cannot be overwritten.
    review = Review.objects.select_for_update().filter(feedback=feedback).first()
    if review is not None:
        review.feedback = feedback  # the answer just saved, not a second read of it
    if feedback.internal or not feedback.consent_to_publish:
        if review is not None and not _is_withdrawn(review):
            _transition(
                review, Status.REJECTED, Action.WITHDRAWN, Actor(CUSTOMER), reason=Review.RejectionReason.CUSTOMER_ASKED
            )
        return review
    flags = content_flags(comment=feedback.comment, display_name=feedback.display_name)
    if review is None or _is_withdrawn(review):
        return _review_create_or_resubmit(feedback, review, flags)
    review.flags = flags
    review.save(update_fields=["flags"])
    _log(review, Action.EDITED, review.status, review.status, Actor(CUSTOMER))
    if review.status == Status.PUBLISHED:
        _published_review_edited(review, feedback)
    return review


def _published_review_edited(review: Review, feedback: Feedback) -> None:
    """New words wait for a moderator (the approved ones stay public), or go live where nothing needs one."""
    if feedback.display_name_choice == Feedback.DisplayName.ANONYMOUS:
        # Hiding their name is the customer's call, like withdrawing consent: at once, never held back.
        review.published_display_name = feedback.display_name
    if not _has_unapproved_words(review) or _words_digest(review) == review.rejected_edit_digest:
        # Back to the approved words, only the rating changed, or the words a moderator turned down
        # sent again: nothing new to decide, and a rejected edit never goes live on its own.
        review.edit_pending, review.edited_at = False, None
    elif feedback.business.auto_publish and not review.flags:
        _edit_publish(review, Action.EDIT_AUTO_PUBLISHED, Actor(RAVES))
        return
    else:
        review.edit_pending, review.edited_at = True, timezone.now()
    review.save(update_fields=["published_display_name", "edit_pending", "edited_at"])
    public_page_changed.send(sender=Review, business_id=review.business_id)


def _has_unapproved_words(review: Review) -> bool:
    feedback = review.feedback
    return (feedback.comment, feedback.display_name) != (review.published_comment, review.published_display_name)


def _words_digest(review: Review) -> str:
    """A fingerprint of the customer's current words (a digest, so no second copy of them is kept)."""
    words = json.dumps([review.feedback.comment, review.feedback.display_name])
    return hashlib.sha256(words.encode()).hexdigest()


def _is_withdrawn(review: Review) -> bool:
    return review.status == Status.REJECTED and review.rejection_reason == Review.RejectionReason.CUSTOMER_ASKED


def _review_create_or_resubmit(feedback: Feedback, review: Review | None, flags: list[str]) -> Review:
    if review is None:
        review = Review(
            feedback=feedback,
            business=feedback.business,
            verified=feedback.verified,
            from_team_member=_is_team_member(feedback),
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
        "verified": review.verified,
        "created_at": review.created_at,
        "published_at": review.published_at,
    }
    webhook_queue(business=review.business, event=event, key=key, data=data)


def _is_team_member(feedback: Feedback) -> bool:
    email = feedback.contact.email
    return bool(email) and StaffMember.objects.filter(business=feedback.business, email__iexact=email).exists()


def review_publish_refusal(review: Review) -> str:
    """Why `review` may not be published ("" when it may): only with the customer's consent, never internal.

    In the active language: the owner's in the admin, English for the API.
    """
    feedback = review.feedback
    if feedback.internal:
        return gettext("Feedback from an internal customer is never published.")
    if not feedback.consent_to_publish:
        return gettext("The customer withdrew their consent; this review cannot be published.")
    return ""


@transaction.atomic
def review_moderate(
    *,
    review: Review,
    actor: Actor,
    edit: str | None = None,
    edit_rejection_reason: str = "",
    status: str | None = None,
    rejection_reason: str | None = None,
    reply: str | None = None,
    featured: bool | None = None,
) -> Review:
    """A moderator's changes to one review, all or nothing: the admin's change page and the API's PATCH.

    Each change goes through its own step below, which checks and logs it; a part left as None
    stays as it is. `edit` ("publish" or "reject") decides on a published review's pending edit;
    `status` "published" publishes; a `rejection_reason` rejects (or changes the reason).
    """
    if edit == "publish":
        review_edit_publish(review=review, actor=actor)
    elif edit == "reject":
        review_edit_reject(review=review, reason=edit_rejection_reason, actor=actor)
    if status == Review.Status.PUBLISHED:
        review_publish(review=review, actor=actor)
    elif rejection_reason is not None:
        review_reject(review=review, reason=rejection_reason, actor=actor)
    if reply is not None:
        review_reply(review=review, text=reply, actor=actor)
    if featured is not None:
        review_feature(review=review, featured=featured, actor=actor)
    return review


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
    _require_policy_reason(reason)
    review = _locked(review)
    if review.status != Status.REJECTED or review.rejection_reason != reason:
        _transition(review, Status.REJECTED, Action.REJECTED, actor, reason=reason)
    return review


@transaction.atomic
def review_edit_publish(*, review: Review, actor: Actor) -> Review:
    """Approve the customer's pending edit of a published review: its new words become public."""
    review = _locked(review)
    if review.edit_pending:
        _edit_publish(review, Action.EDIT_PUBLISHED, actor)
    return review


@transaction.atomic
def review_edit_reject(*, review: Review, reason: str, actor: Actor) -> Review:
    """Turn down the customer's pending edit for a content-policy reason: the approved words stay public.

    The review itself stays published; the customer may edit again while their link allows it.
    """
    _require_policy_reason(reason)
    review = _locked(review)
    if review.edit_pending:
        review.edit_pending, review.edited_at, review.rejected_edit_digest = False, None, _words_digest(review)
        review.save(update_fields=["edit_pending", "edited_at", "rejected_edit_digest"])
        _log(review, Action.EDIT_REJECTED, review.status, review.status, actor, reason=reason)
    return review


def _edit_publish(review: Review, action: str, actor: Actor) -> None:
    _approve_words(review)
    review.save(update_fields=[*WORDS_FIELDS])
    entry = _log(review, action, review.status, review.status, actor)
    public_page_changed.send(sender=Review, business_id=review.business_id)
    _webhook(review, "review.published", key=f"review.published:{review.pk}:{entry.pk}")


def _approve_words(review: Review) -> None:
    """The feedback's current words become the public ones; no edit is pending any more."""
    review.published_comment = review.feedback.comment
    review.published_display_name = review.feedback.display_name
    review.edit_pending, review.edited_at, review.rejected_edit_digest = False, None, ""


@transaction.atomic
def review_reply(*, review: Review, text: str, actor: Actor) -> Review:
    """Set (or clear, with an empty text) the business's public reply."""
    review = _locked(review)
    text = text.strip()
    if len(text) > 5000:
        raise ValidationError({"reply": gettext("Keep the reply under 5,000 characters.")})
    if text != review.reply:
        review.reply, review.replied_at, review.replied_by = text, timezone.now() if text else None, actor.user
        review.save(update_fields=["reply", "replied_at", "replied_by"])
        _log(review, Action.REPLIED, review.status, review.status, actor)
        public_page_changed.send(sender=Review, business_id=review.business_id)
    return review


@transaction.atomic
def review_feature(*, review: Review, featured: bool, actor: Actor) -> Review:
    """Feature a review on the public page, or stop featuring it."""
    review = _locked(review)
    if review.featured != featured:
        review.featured = featured
        review.save(update_fields=["featured"])
        _log(review, Action.FEATURED if featured else Action.UNFEATURED, review.status, review.status, actor)
        public_page_changed.send(sender=Review, business_id=review.business_id)
    return review


def _require_policy_reason(reason: str) -> None:
    if reason not in Review.RejectionReason.values:
        allowed = ", ".join(Review.RejectionReason.values)
        message = gettext("Choose a content-policy reason: %(reasons)s.") % {"reasons": allowed}
        raise ValidationError({"rejection_reason": message})


def _locked(review: Review) -> Review:
    return Review.objects.select_for_update().select_related("feedback", "business").get(pk=review.pk)


def _transition(review: Review, to_status: str, action: str, actor: Actor, *, reason: str = "") -> None:
    from_status = review.status
    review.status, review.rejection_reason = to_status, reason if to_status == Status.REJECTED else ""
    if to_status == Status.PUBLISHED and review.published_at is None:
        review.published_at = timezone.now()
    if to_status == Status.PUBLISHED:
        _approve_words(review)  # publishing approves the words the moderator sees: the customer's latest
    else:
        review.edit_pending, review.edited_at = False, None  # nothing public left for an edit to replace
    review.save(update_fields=["status", "rejection_reason", "published_at", *WORDS_FIELDS])
    entry = _log(review, action, from_status, to_status, actor, reason=reason)
    public_page_changed.send(sender=Review, business_id=review.business_id)
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
