"""Queue and send owner and staff emails through the database outbox.

The same rules as the invitations' outbox (feedback/services/sending.py): claim by conditional
update with a lease, one SMTP connection per batch, mark each sent right after it went, retry
with back-off, and a sweep for whatever the fast path missed.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from businesses.models import Business
from config.send_record import ClaimLost, Finish, SendRecorder, send_recorder
from config.smtp import send_and_record
from outbox.enqueue import enqueue
from outbox.models import OutboxEmail

logger = logging.getLogger(__name__)
Status = OutboxEmail.Status
FAST_PATH_GRACE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


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


def outbox_emails_send(*, email_ids: Sequence[int]) -> int:
    """Send the given emails that this call can claim. Returns how many went."""
    now = timezone.now()
    claim = uuid.uuid4().hex
    OutboxEmail.objects.filter(
        Q(status=Status.QUEUED) | Q(status=Status.SENDING, lease_until__lt=now), id__in=list(email_ids)
    ).update(
        status=Status.SENDING,
        claim=claim,
        attempts=F("attempts") + 1,
        lease_until=now + timedelta(seconds=settings.FEEDBACK_SEND_LEASE_SECONDS),
    )
    emails = list(OutboxEmail.objects.filter(id__in=list(email_ids), claim=claim, status=Status.SENDING).order_by("id"))
    sent = 0
    pending = list(emails)
    try:
        with get_connection() as connection, send_recorder() as recorder:
            while pending:
                email = pending[0]
                try:
                    send_and_record(
                        connection,
                        _message(email),
                        record=lambda email=email: _record_sent(recorder, email, claim),
                        undo=lambda email=email: OutboxEmail.objects.filter(pk=email.pk, claim=claim).update(
                            status=Status.SENDING, sent_at=None
                        ),
                    )
                except ClaimLost:  # another sender took it: dropped before its final "." (config/smtp.py)
                    logger.info("Outbox email %s is no longer ours to send; skipped.", email.pk)
                else:
                    sent += 1
                pending.pop(0)
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("SMTP failed after %d of %d outbox emails: %s", sent, len(emails), error)
        _release(pending, claim, error)
    return sent


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


def _release(emails: list[OutboxEmail], claim: str, error: Exception) -> None:
    now = timezone.now()
    message = f"{type(error).__name__}: {error}"[:1000]
    for email in emails:
        rows = OutboxEmail.objects.filter(pk=email.pk, claim=claim)
        if email.attempts >= MAX_ATTEMPTS:
            rows.update(status=Status.FAILED, claim="", lease_until=None, last_error=message)
        else:
            delay = timedelta(seconds=min(3600, 30 * 2 ** max(0, email.attempts - 1)))
            rows.update(
                status=Status.QUEUED, claim="", lease_until=None, next_attempt_at=now + delay, last_error=message
            )


def outbox_emails_due(*, now: datetime | None = None, limit: int = 5000) -> list[int]:
    now = now or timezone.now()
    return list(
        OutboxEmail.objects.filter(
            Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
