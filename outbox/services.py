"""Queue and send owner and staff emails through the database outbox and the delivery engine.

outbox/engine.py claims, sends over one connection per batch, settles each message on its own
(a 5xx refusal fails that email alone, with the server's answer) and retries with back-off; a
sweep sends whatever the fast path missed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from businesses.models import Business
from mail.send_record import Finish, SendRecorder
from outbox.engine import (
    BatchOutcome,
    Kind,
    Refusal,
    Release,
    deliveries_claim,
    deliveries_due,
    deliveries_send_again,
    deliveries_settle,
    given_up,
    queued_again,
    smtp_batch_send,
)
from outbox.enqueue import enqueue
from outbox.models import OutboxEmail

logger = logging.getLogger(__name__)
Status = OutboxEmail.Status
FAST_PATH_GRACE = timedelta(seconds=60)


def outbox_email_queue(
    *, key: str, message: EmailMultiAlternatives, business: Business | None = None, send_after: datetime | None = None
) -> OutboxEmail | None:
    """Keep `message` for sending (one row per recipient); None when `key` was queued before.

    Call inside the transaction that records the event, so the email exists if and only if the
    event does. Sending starts after commit (or at `send_after`, for batched emails).
    """
    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    now = timezone.now()
    try:
        with transaction.atomic():
            email = OutboxEmail.objects.create(
                business=business,
                key=key[:200],
                to=message.to[0],
                subject=message.subject,
                text=message.body,
                html=html,
                headers=message.extra_headers,
                reply_to=(message.reply_to or [""])[0],
                next_attempt_at=send_after or now + FAST_PATH_GRACE,
            )
    except IntegrityError:
        return None
    if send_after is None or send_after <= now:
        transaction.on_commit(lambda: enqueue_outbox_send([email.pk]))
    return email


def enqueue_outbox_send(email_ids: list[int]) -> None:
    from outbox.tasks import send_outbox_emails

    enqueue(send_outbox_emails, email_ids)  # if the broker is down, the sweep sends them


RELEASE = Release(kind=Kind.EMAIL, retry=queued_again, give_up=given_up)


def outbox_emails_send(*, email_ids: Sequence[int]) -> int:
    """Send the given emails that this call can claim. Returns how many went."""
    claim = deliveries_claim(model=OutboxEmail, ids=email_ids, now=timezone.now())
    emails = list(OutboxEmail.objects.filter(id__in=list(email_ids), claim=claim, status=Status.SENDING).order_by("id"))
    if not emails:
        return 0
    outcome = smtp_batch_send(
        batch=[(email, _message(email)) for email in emails],
        record=lambda recorder, email: _record_sent(recorder, email, claim),
        undo=lambda email: OutboxEmail.objects.filter(pk=email.pk, claim=claim).update(
            status=Status.SENDING, sent_at=None
        ),
    )
    _settle(outcome, claim)
    return len(outcome.sent)


def _settle(outcome: BatchOutcome[OutboxEmail], claim: str) -> None:
    """A 5xx refusal fails that email at once (an owner's address has no `bounced`); others retry."""
    now = timezone.now()
    rows = OutboxEmail.objects.filter(claim=claim)

    def refused_for_good(email: OutboxEmail, refusal: Refusal) -> None:
        rows.filter(pk=email.pk).update(**given_up(now), last_error=refusal.reason[:1000])

    deliveries_settle(outcome=outcome, rows=rows, release=RELEASE, refused_for_good=refused_for_good, now=now)


def _record_sent(recorder: SendRecorder, email: OutboxEmail, claim: str) -> Finish | None:
    """Record a send, if this sender still holds the email's claim (else `ClaimLost`)."""
    now = timezone.now()

    def orm() -> bool:
        rows = OutboxEmail.objects.filter(pk=email.pk, claim=claim)
        return bool(rows.update(status=Status.SENT, sent_at=now, lease_until=None, last_error=""))

    return recorder.record(sql=_RECORD_SENT_SQL, params=[Status.SENT, now, email.pk, claim], orm=orm)


_RECORD_SENT_SQL = (
    f"UPDATE {OutboxEmail._meta.db_table} SET status = %s, sent_at = %s, lease_until = NULL,"  # noqa: S608
    " last_error = '' WHERE id = %s AND claim = %s"
)


def _message(email: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        to=[email.to],
        headers=email.headers,
        reply_to=[email.reply_to] if email.reply_to else None,
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def outbox_emails_due(*, now: datetime | None = None, limit: int = 5000) -> list[int]:
    """Emails due: queued past their back-off (or their batch time), or held by a lease that ran out."""
    return deliveries_due(model=OutboxEmail, now=now or timezone.now(), limit=limit)


def outbox_emails_send_again(*, emails: QuerySet[OutboxEmail]) -> list[int]:
    """Requeue the `failed` emails among `emails` once each, attempts reset. Returns their ids."""
    ids = deliveries_send_again(queryset=emails, now=timezone.now())
    if ids:
        transaction.on_commit(lambda: enqueue_outbox_send(ids))
    return ids
