"""The conversation on a complaint case: the business writes to the customer (or logs a call with
them), and the customer answers on the page behind their own feedback link.

Every message is a `CaseMessage`; the emails it causes are queued in the outbox in the same
transaction, keyed per message (`case-message:<case>:<message>`, `case-reply:<case>:<message>:<user>`),
so a retry never sends one twice and an erasure finds them by the case's prefix.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from outbox.services import outbox_email_queue
from reviews import emails
from reviews.models import Case, CaseMessage
from reviews.services.cases import business_people

Status = Case.Status
Kind = CaseMessage.Kind
Direction = CaseMessage.Direction
BODY_MAX_LENGTH = 5000
CASE_RELATED = ["business", "assignee", "feedback__customer", "feedback__request"]


def case_message_send(
    *, case: Case, author: AbstractUser | None, body: str, kind: str = Kind.MESSAGE, author_label: str = ""
) -> CaseMessage:
    """Write to the customer of a case (emailed to them) or log a phone call with them (kind "call").

    `author` is an owner or manager of the case's business (the assignee is one), or None for an
    API key, named by `author_label`. The first message or call is the case's first response, and
    an open case becomes "customer contacted". It is emailed even to a customer who opted out (they
    opted out of invitations; this answers their own complaint), not to an address that bounced.
    """
    body = _body_clean(body)
    if kind not in Kind.values:
        raise ValidationError({"kind": gettext("Choose one of: %(values)s.") % {"values": ", ".join(Kind.values)}})
    with transaction.atomic():
        case = _locked(case)
        if author is not None and not _may_write(author, case):
            raise ValidationError(gettext("Only an owner or manager of this business can write to its customers."))
        message = CaseMessage.objects.create(
            case=case,
            direction=Direction.TO_CUSTOMER,
            kind=kind,
            author=author,
            author_label=(author_label or _label(author))[:120],
            body=body,
        )
        _responded(case, message.created_at)
        if kind == Kind.MESSAGE and customer_emailable(case):
            outbox_email_queue(
                key=f"case-message:{case.pk}:{message.pk}",
                business=case.business,
                message=emails.case_message_email(message),
            )
    return message


def case_reply_record(*, case: Case, body: str) -> CaseMessage:
    """Record the customer's answer on their case, tell the assignee at once (or, when nobody
    reachable is assigned, the owners and managers), and reopen the case if it was resolved."""
    body = _body_clean(body)
    with transaction.atomic():
        case = _locked(case)
        customer = case.feedback.contact
        message = CaseMessage.objects.create(
            case=case,
            direction=Direction.FROM_CUSTOMER,
            kind=Kind.MESSAGE,
            author_label=(customer.name or customer.email or "The customer")[:120],
            body=body,
        )
        reopened = case.status == Status.RESOLVED
        if reopened:
            _reopen(case, message.created_at)
        for user in case_people(case):
            outbox_email_queue(
                key=f"case-reply:{case.pk}:{message.pk}:{user.pk}",
                business=case.business,
                message=emails.case_reply_email(message, user, reopened=reopened),
            )
    return message


def case_people(case: Case) -> list[AbstractUser]:
    """Who hears about a case first: its assignee, else every owner and manager of the business."""
    assignee = case.assignee
    if assignee is not None and assignee.is_active and assignee.email:
        return [assignee]
    return business_people(case.business)


def customer_emailable(case: Case) -> bool:
    """Whether a message can reach the customer: not to an address that bounced (nor an erased one)."""
    customer = case.feedback.contact
    return bool(customer.email) and customer.bounced_at is None


def _locked(case: Case) -> Case:
    # Locks the case row alone: messages on one case are serialised, other cases go on.
    return Case.objects.select_for_update(of=("self",)).select_related(*CASE_RELATED).get(pk=case.pk)


def _body_clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": gettext("Write the message (it cannot be empty).")})
    if len(body) > BODY_MAX_LENGTH:
        limit = gettext("Keep the message under %(limit)s characters.") % {"limit": BODY_MAX_LENGTH}
        raise ValidationError({"body": limit})
    if "\x00" in body:
        raise ValidationError({"body": gettext("The message contains a character that cannot be stored (NUL).")})
    return body


def _may_write(user: AbstractUser, case: Case) -> bool:
    return user.is_superuser or user.memberships.filter(business_id=case.business_id).exists()


def _label(user: AbstractUser | None) -> str:
    if user is None:
        return "API"
    return user.get_full_name() or user.get_username()


def _responded(case: Case, at: datetime) -> None:
    """The first message or call to the customer is the first response; it moves an open case on."""
    changed = []
    if case.first_response_at is None:
        case.first_response_at = at
        changed.append("first_response_at")
    if case.status == Status.OPEN:
        case.status = Status.CONTACTED
        changed.append("status")
    if changed:
        case.save(update_fields=changed)


def _reopen(case: Case, at: datetime) -> None:
    """A resolved case answered by its customer is not resolved any more: back to work, and when."""
    case.status = Status.CONTACTED if case.first_response_at else Status.OPEN
    case.resolved_at = None
    case.reopened_at = at
    case.save(update_fields=["status", "resolved_at", "reopened_at"])
