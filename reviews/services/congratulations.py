"""Congratulate personally: an owner or manager writes to the staff member a review names."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from outbox.services import outbox_email_queue
from reviews.emails import congratulation_email
from reviews.models import Congratulation, Review

# Lazy: shown in the language of whoever meets them (the owner's in the admin, English for the API).
NO_STAFF = _("This review names no staff member to congratulate.")
NO_EMAIL = _("The staff member this review names has no email address.")
EMPTY_NOTE = _("Write a line to congratulate them: the note can't be empty.")


@transaction.atomic
def review_congratulate(*, review: Review, author: AbstractUser, note: str) -> Congratulation:
    """Keep the author's note and queue one email with it and the customer's words to the named staff member.

    The caller checks that `author` runs the review's business; this checks the review and the note.
    """
    staff = review.feedback.staff
    if staff is None:
        raise ValidationError(NO_STAFF)
    if not staff.email:
        raise ValidationError(NO_EMAIL)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": EMPTY_NOTE})
    congratulation = Congratulation(review=review, staff=staff, author=author, note=note)
    congratulation.full_clean()
    congratulation.save()
    outbox_email_queue(
        key=f"congratulation:{congratulation.pk}",
        message=congratulation_email(congratulation),
        business=review.business,
    )
    return congratulation
