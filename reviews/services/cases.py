"""Complaint cases: a low rating reaches a person within a minute and is worked to a resolution."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from businesses.models import Business
from feedback.models import Feedback
from outbox.services import outbox_email_queue
from reviews import emails
from reviews.models import Case, CaseNote

Status = Case.Status


def case_open_if_low(*, feedback: Feedback) -> Case | None:
    """Open a case for a rating at or below the business's threshold (once per feedback).

    Called inside the transaction that records the answer, so the case and the owners' alert
    emails (queued in the outbox) exist exactly when the answer does.
    """
    business = feedback.business
    if feedback.rating > business.low_rating_threshold or Case.objects.filter(feedback=feedback).exists():
        return None
    now = timezone.now()
    case = Case.objects.create(
        feedback=feedback,
        business=business,
        opened_at=now,
        original_rating=feedback.rating,
        deadline=now + timedelta(hours=business.complaint_response_hours),
    )
    for user in business_people(business):
        outbox_email_queue(
            key=f"case-opened:{case.pk}:{user.pk}", business=business, message=emails.case_opened_email(case, user)
        )
    return case


def business_people(business: Business) -> list[AbstractUser]:
    """The owners and managers of a business who have an email address."""
    users = get_user_model().objects.filter(memberships__business=business, is_active=True).distinct()
    return [user for user in users if user.email]


@transaction.atomic
def case_update(
    *,
    case: Case,
    actor: AbstractUser,
    status: str | None = None,
    assignee: AbstractUser | None | object = ...,
    note: str = "",
    resolution: str | None = None,
) -> Case:
    """Change a case's status, assignee, resolution, or add a note; the first of these by a person
    counts as the first response. Resolving needs a resolution text."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    changed: list[str] = []
    if assignee is not ...:
        if assignee is not None and not assignee.memberships.filter(business=case.business).exists():
            raise ValidationError({"assignee": "Choose an owner or manager of this business."})
        case.assignee = assignee
        changed.append("assignee")
    if resolution is not None:
        case.resolution = resolution.strip()
        changed.append("resolution")
    if status is not None and status != case.status:
        if status not in Status.values:
            raise ValidationError({"status": f"Choose one of: {', '.join(Status.values)}."})
        if status == Status.RESOLVED and not case.resolution:
            raise ValidationError({"resolution": "Say how the complaint was resolved."})
        case.status = status
        case.resolved_at = now if status == Status.RESOLVED else None
        changed += ["status", "resolved_at"]
    if note.strip():
        CaseNote.objects.create(case=case, author=actor, text=note.strip())
    if (changed or note.strip()) and case.first_response_at is None and (status or note.strip()):
        case.first_response_at = now
        changed.append("first_response_at")
    if changed:
        case.save(update_fields=changed)
    return case


@transaction.atomic
def case_follow_up_send(*, case: Case) -> bool:
    """Ask the customer of a resolved case “did we make it right?”, once.

    Their original link opens again for a week, so they can update their rating and comment;
    the earlier rating is kept in the rating history.
    """
    case = Case.objects.select_for_update().select_related("feedback__request", "feedback__customer").get(pk=case.pk)
    customer = case.feedback.customer
    if case.status != Status.RESOLVED or case.follow_up_sent_at or customer.opted_out_at or customer.bounced_at:
        return False
    now = timezone.now()
    Feedback.objects.filter(pk=case.feedback_id).update(
        editable_until=now + timedelta(days=settings.FEEDBACK_EDIT_DAYS)
    )
    case.follow_up_sent_at = now
    case.save(update_fields=["follow_up_sent_at"])
    outbox_email_queue(
        key=f"case-follow-up:{case.pk}", business=case.business, message=emails.case_follow_up_email(case)
    )
    return True


def cases_overdue_remind(*, now: datetime | None = None) -> int:
    """Remind the assignee (or the owners) of each overdue case, once. Returns how many cases."""
    now = now or timezone.now()
    reminded = 0
    for case in Case.objects.overdue(now).filter(overdue_reminded_at__isnull=True).select_related("business")[:500]:
        with transaction.atomic():
            if not Case.objects.filter(pk=case.pk, overdue_reminded_at__isnull=True).update(overdue_reminded_at=now):
                continue  # another sweep took it
            people = [case.assignee] if case.assignee and case.assignee.email else business_people(case.business)
            for user in people:
                outbox_email_queue(
                    key=f"case-overdue:{case.pk}:{user.pk}",
                    business=case.business,
                    message=emails.case_overdue_email(case, user),
                )
            reminded += 1
    return reminded
