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
from outbox.webhooks import webhook_queue
from reviews import emails
from reviews.models import Case, CaseNote

Status = Case.Status
REMINDER_RELATED = ["business", "assignee", "feedback__customer", "feedback__staff"]


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
    webhook_queue(business=business, event="case.opened", key=f"case.opened:{case.pk}", data=case_webhook_data(case))
    return case


def case_webhook_data(case: Case) -> dict:
    feedback = case.feedback
    return {
        "id": case.pk,
        "rating": feedback.rating,
        "comment": feedback.comment,
        "deadline": case.deadline,
        "customer": {"name": feedback.customer.name, "email": feedback.customer.email},
        "staff": feedback.staff.name if feedback.staff else None,
    }


def business_people(business: Business) -> list[AbstractUser]:
    """The owners and managers of a business who have an email address."""
    users = get_user_model().objects.filter(memberships__business=business, is_active=True).distinct()
    return [user for user in users if user.email]


@transaction.atomic
def case_update(
    *,
    case: Case,
    actor: AbstractUser | None,
    status: str | None = None,
    assignee: AbstractUser | None | object = ...,
    note: str = "",
    resolution: str | None = None,
) -> Case:
    """Change a case's status, assignee, resolution, or add a note.

    The first note or status change counts as the first response (assigning someone does not:
    the customer has heard nothing yet). A resolved case always has a resolution text. `actor`
    is the person acting, or None for an API key (notes are then shown without an author).
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    changed: list[str] = []
    note = note.strip()
    if assignee is not ...:
        if assignee is not None and not assignee.memberships.filter(business=case.business).exists():
            raise ValidationError({"assignee": "Choose an owner or manager of this business."})
        case.assignee = assignee
        changed.append("assignee")
    if resolution is not None:
        case.resolution = resolution.strip()
        changed.append("resolution")
    status_changed = status is not None and status != case.status
    if status_changed:
        if status not in Status.values:
            raise ValidationError({"status": f"Choose one of: {', '.join(Status.values)}."})
        case.status = status
        case.resolved_at = now if status == Status.RESOLVED else None
        changed += ["status", "resolved_at"]
    if case.status == Status.RESOLVED and not case.resolution:
        # Checked on the outcome, so clearing the resolution of a resolved case is refused too.
        raise ValidationError({"resolution": "Say how the complaint was resolved."})
    if note:
        CaseNote.objects.create(case=case, author=actor, text=note)
    if (status_changed or note) and case.first_response_at is None:
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
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("business", "feedback__request", "feedback__customer")
        .get(pk=case.pk)
    )
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
    due = Case.objects.overdue(now).filter(overdue_reminded_at__isnull=True)
    for case in due.select_related(*REMINDER_RELATED)[:500]:
        with transaction.atomic():
            # Claimed only while still due: another sweep may have taken it, or someone answered meanwhile.
            if not due.filter(pk=case.pk).update(overdue_reminded_at=now):
                continue
            assignee = case.assignee
            reachable = assignee is not None and assignee.is_active and assignee.email
            people = [assignee] if reachable else business_people(case.business)
            for user in people:
                outbox_email_queue(
                    key=f"case-overdue:{case.pk}:{user.pk}",
                    business=case.business,
                    message=emails.case_overdue_email(case, user),
                )
            reminded += 1
    return reminded
