"""Complaint cases: a low rating reaches a person within a minute and is worked to a resolution."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext

from businesses.models import Business, Customer, Membership, StaffMember
from feedback.models import Feedback
from outbox.models import OutboxEmail
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
    case_acknowledgement_queue(case=case)
    webhook_queue(business=business, event="case.opened", key=f"case.opened:{case.pk}", data=case_webhook_data(case))
    return case


def case_acknowledgement_queue(*, case: Case) -> bool:
    """Queue the customer's acknowledgement of `case`, once per case (the key makes a repeat a no-op).

    Sent even to a customer who opted out: they opted out of invitations, and this answers their
    own complaint (transactional mail). Not to an address that bounced: it would bounce again.
    """
    customer = case.feedback.contact
    if customer.bounced_at or not customer.email:
        return False
    email = outbox_email_queue(
        key=f"case-acknowledgement:{case.pk}", business=case.business, message=emails.case_acknowledgement_email(case)
    )
    return email is not None


def may_email(customer: Customer) -> bool:
    """Whether a customer may get the follow-up: an address (walk-ins may leave none), not opted out, not bounced."""
    return bool(customer.email) and customer.opted_out_at is None and customer.bounced_at is None


def case_webhook_data(case: Case) -> dict:
    feedback = case.feedback
    return {
        "id": case.pk,
        "rating": feedback.rating,
        "comment": feedback.comment,
        "deadline": case.deadline,
        "customer": {"name": feedback.contact.name, "email": feedback.contact.email or None},
        "verified": feedback.verified,
        "staff": feedback.staff.name if feedback.staff else None,
    }


def business_people(
    business: Business, *, roles: tuple[str, ...] = tuple(Membership.Role.values)
) -> list[AbstractUser]:
    """The owners and managers of a business (or those of `roles`) who have an email address."""
    users = (
        get_user_model()
        .objects.filter(memberships__business=business, memberships__role__in=roles, is_active=True)
        .distinct()
        .order_by("pk")
    )
    return [user for user in users if user.email]


def business_owners(business: Business) -> list[AbstractUser]:
    """Who an escalation goes to: the owners, or every manager when no owner has an email address."""
    return business_people(business, roles=(Membership.Role.OWNER,)) or business_people(business)


@transaction.atomic
def case_update(
    *,
    case: Case,
    actor: AbstractUser | None,
    status: str | None = None,
    assignee: AbstractUser | None | object = ...,
    note: str = "",
    resolution: str | None = None,
    cause: str | None = None,
    system_problem: bool | None | object = ...,
    resolved_by_staff: StaffMember | None = None,
) -> Case:
    """Change a case's status, assignee, resolution, cause, or add a note.

    Only a message or logged call to the customer is the first response (services/conversation.py):
    a note, a status change or an assignment leaves the customer hearing nothing. A resolved case
    always has a resolution text and, when resolved from now on, a cause from the business's list.
    `actor` is the person acting, or None for an API key (notes are then shown without an author).
    """
    case = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    changed: list[str] = []
    note = note.strip()
    if assignee is not ...:
        if assignee is not None and not assignee.memberships.filter(business=case.business).exists():
            raise ValidationError({"assignee": gettext("Choose an owner or manager of this business.")})
        case.assignee = assignee
        changed.append("assignee")
    if resolution is not None:
        case.resolution = resolution.strip()
        changed.append("resolution")
    changed += _cause_apply(case, cause, system_problem)
    status_changed = status is not None and status != case.status
    if status_changed:
        if status not in Status.values:
            raise ValidationError({"status": _choose_one_of(Status.values)})
        case.status = status
        case.resolved_at = now if status == Status.RESOLVED else None
        # Credit for a save goes to the staff member who resolved through their link, else nobody.
        case.resolved_by_staff = resolved_by_staff if status == Status.RESOLVED else None
        changed += ["status", "resolved_at", "resolved_by_staff"]
    if case.status == Status.RESOLVED and not case.resolution:
        # Checked on the outcome, so clearing the resolution of a resolved case is refused too.
        raise ValidationError({"resolution": gettext("Say how the complaint was resolved.")})
    # Checked when resolving or touching the cause only: cases resolved before causes existed keep working.
    if case.status == Status.RESOLVED and not case.cause and (status_changed or cause is not None):
        raise ValidationError({"cause": cause_required_message(case.business)})
    if note:
        CaseNote.objects.create(case=case, author=actor, text=note)
    if changed:
        case.save(update_fields=changed)
    return case


def cause_required_message(business: Business) -> str:
    """Why a case cannot be resolved yet, in the active language (the reader's in the admin and on
    the staff page, English for the API)."""
    return gettext("Say what caused the complaint before resolving the case.") + " " + _causes(business)


def _cause_apply(case: Case, cause: str | None, system_problem: bool | None | object) -> list[str]:
    """Set the cause (a slug of the business's list, or "" to clear it) and the system-or-one-off answer."""
    changed = []
    if cause is not None:
        cause = cause.strip()
        if cause and cause not in dict(case.business.case_cause_choices()):
            unknown = gettext("“%(cause)s” is not one of this business's causes.") % {"cause": cause}
            raise ValidationError({"cause": unknown + " " + _causes(case.business)})
        case.cause = cause
        changed.append("cause")
    if system_problem is not ...:
        case.system_problem = system_problem
        changed.append("system_problem")
    return changed


def _causes(business: Business) -> str:
    return _choose_one_of([slug for slug, _ in business.case_cause_choices()])


def _choose_one_of(values: list[str]) -> str:
    return gettext("Choose one of: %(values)s.") % {"values": ", ".join(values)}


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
    customer = case.feedback.contact
    if case.status != Status.RESOLVED or case.follow_up_sent_at or not may_email(customer):
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


ESCALATION_KEY = "case-escalated"


def cases_overdue_escalate(*, now: datetime | None = None) -> int:
    """Alert the owners of each case still unanswered CASE_ESCALATION_HOURS after its reminder, once.

    The second step after `cases_overdue_remind`. "Once" needs no field of its own: the outbox key
    `case-escalated:<case>:<user>` is unique, so a second scheduler or a re-run queues nothing, and
    a case whose alert is queued leaves the sweep. Returns how many cases this call escalated.
    """
    now = now or timezone.now()
    due = Case.objects.overdue(now).filter(
        overdue_reminded_at__lte=now - timedelta(hours=settings.CASE_ESCALATION_HOURS)
    )
    escalated = 0
    for case in due.exclude(_escalation_queued()).select_related(*REMINDER_RELATED)[:500]:
        with transaction.atomic():
            # Locked while still due: a concurrent sweep waits here, then finds the keys taken;
            # a case answered meanwhile is no longer due.
            if not list(due.select_for_update(of=("self",)).filter(pk=case.pk).values_list("pk", flat=True)):
                continue
            queued = [
                outbox_email_queue(
                    key=f"{ESCALATION_KEY}:{case.pk}:{user.pk}",
                    business=case.business,
                    message=emails.case_escalated_email(case, user),
                )
                for user in business_owners(case.business)
            ]
            escalated += any(email is not None for email in queued)
    return escalated


def _escalation_queued() -> Exists:
    """Whether a case's escalation is in the outbox (its keys start with `case-escalated:<case>:`)."""
    prefix = Concat(Value(f"{ESCALATION_KEY}:"), Cast(OuterRef("pk"), CharField()), Value(":"))
    return Exists(OutboxEmail.objects.filter(business=OuterRef("business"), key__startswith=prefix))
