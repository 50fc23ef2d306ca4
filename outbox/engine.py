"""The one delivery engine: invitations, reminders, owner and staff emails, webhooks.

Every kind of delivery follows the same steps, written here once:

- claim: a conditional UPDATE takes what is queued (or whose sender's lease ran out), with a claim
  id, a lease (`DELIVERY_LEASE_SECONDS`) and one more attempt; two workers, a retried task or a
  restarted worker never both win;
- build and send: for emails, a batch over one SMTP connection, each send recorded in the instant
  before the message's final "." (mail/smtp.py, mail/send_record.py), so a crash repeats at
  most the message in flight;
- settle each message on its own: sent; refused for good (5xx) → `bounced` or `failed` with the
  server's answer, the rest of the batch goes on; refused for now (4xx, connection lost) → retried
  later; a lost connection is opened again once, and what it could not reach waits without an
  attempt counted against it;
- release with back-off: `min(cap, base × factor^(attempt − 1))`, and `failed` with the last error
  once the kind's attempts are spent (the policy table below);
- dead letters: `failed` rows are requeued by `deliveries_send_again` (the admin's "Send again").

The engine knows models only through the fields every delivery has: status, claim, lease_until,
next_attempt_at, attempts, last_error.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models
from django.db.models import F, Q

from mail.send_record import ClaimLost, Finish, SendRecorder, send_recorder
from mail.smtp import send_and_record

logger = logging.getLogger(__name__)
Item = TypeVar("Item", bound=models.Model)

QUEUED, SENDING, FAILED = "queued", "sending", "failed"  # the statuses every delivery model shares


# --- policy -----------------------------------------------------------------------------------
class Kind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    EMAIL = "email"  # owner and staff emails: complaint alerts, follow-ups, kudos, digests, notices
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class Policy:
    """How one kind of delivery is retried: the wait after attempt n is min(cap, base × factor^(n−1))."""

    max_attempts: int
    base: timedelta
    cap: timedelta
    factor: int = 2

    def delay(self, attempt: int) -> timedelta:
        """The wait after the `attempt`-th failed attempt (1 for the first)."""
        exponent = min(max(0, attempt - 1), 40)  # past 40 doublings every cap has been reached
        return min(self.cap, self.base * self.factor**exponent)

    def covers(self) -> timedelta:
        """How long an outage the attempts ride out before the last one fails."""
        return sum((self.delay(attempt) for attempt in range(1, self.max_attempts)), timedelta())


def policy(kind: Kind) -> Policy:
    """The retry policy of `kind`. Emails read settings (short ones in tests); webhooks are fixed:
    8 attempts over about 30 hours (30 s, 2.5 min, 12.5 min, 62.5 min, 5.2 h, 12 h, 12 h)."""
    if kind is Kind.WEBHOOK:
        return Policy(max_attempts=8, base=timedelta(seconds=30), cap=timedelta(hours=12), factor=5)
    return Policy(
        max_attempts=settings.DELIVERY_EMAIL_MAX_ATTEMPTS,
        base=timedelta(seconds=settings.DELIVERY_RETRY_BASE_SECONDS),
        cap=timedelta(seconds=settings.DELIVERY_RETRY_CAP_SECONDS),
    )


def lease() -> timedelta:
    """How long a claim holds before another sender may take the delivery over."""
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


# --- claiming ---------------------------------------------------------------------------------
def claimable(now: datetime) -> Q:
    """Queued, or taken by a sender whose lease ran out (presumed dead)."""
    return Q(status=QUEUED) | Q(status=SENDING, lease_until__lt=now)


def deliveries_claim(
    *, model: type[models.Model], ids: Sequence[int], now: datetime, hold: timedelta | None = None
) -> str:
    """Take the claimable rows among `ids` for one sender: status `sending`, a lease, one more
    attempt. Returns the claim id that the caller's reads and writes then filter on."""
    claim = uuid.uuid4().hex
    model.objects.filter(claimable(now), id__in=list(ids)).update(
        status=SENDING, claim=claim, lease_until=now + (hold or lease()), attempts=F("attempts") + 1
    )
    return claim


def deliveries_due(*, model: type[models.Model], now: datetime, limit: int) -> list[int]:
    """Ids due for a send: queued and past their back-off, or held by a lease that ran out."""
    due = Q(status=QUEUED, next_attempt_at__lte=now) | Q(status=SENDING, lease_until__lt=now)
    return list(model.objects.filter(due).order_by("id").values_list("id", flat=True)[:limit])


# --- releasing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Release:
    """What a retry or a give-up writes, for one model (or one use of it, as reminders are)."""

    kind: Kind
    retry: Callable[[datetime], dict[str, Any]]  # the fields of a row retried at the given time
    give_up: Callable[[datetime], dict[str, Any]]  # the fields of a row given up on, at `now`
    attempts_field: str = "attempts"


def deliveries_release(
    *,
    rows: models.QuerySet,
    items: Iterable[models.Model],
    release: Release,
    reason: str,
    now: datetime,
    counted: bool = True,
) -> list[int]:
    """Give claimed `items` back after a failed attempt: retried after the back-off of their
    attempt, or given up once the kind's attempts are spent. `rows` is the claimed rows' queryset
    (filtered by claim). With `counted` False (a batch broke before their turn) the attempt the
    claim added is taken back and nothing is given up. One UPDATE per distinct attempt count.
    Returns the ids given up."""
    rule = policy(release.kind)
    by_attempts: dict[int, list[int]] = defaultdict(list)
    for item in items:
        by_attempts[getattr(item, release.attempts_field)].append(item.pk)
    given_up: list[int] = []
    for attempts, ids in by_attempts.items():
        batch = rows.filter(id__in=ids)
        if counted and attempts >= rule.max_attempts:
            if batch.update(**release.give_up(now), last_error=reason[:1000]):
                given_up.extend(ids)
            continue
        changes = release.retry(now + rule.delay(attempts if counted else attempts - 1))
        if not counted:
            changes[release.attempts_field] = F(release.attempts_field) - 1
        batch.update(**changes, last_error=reason[:1000])
    return given_up


def queued_again(when: datetime) -> dict[str, Any]:
    """The fields of a delivery put back in the queue until `when` (its claim let go)."""
    return {"status": QUEUED, "next_attempt_at": when, "lease_until": None, "claim": ""}


def given_up(now: datetime) -> dict[str, Any]:
    return {"status": FAILED, "lease_until": None, "claim": ""}


# --- dead letters -----------------------------------------------------------------------------
def deliveries_send_again(*, queryset: models.QuerySet, now: datetime, extra: dict | None = None) -> list[int]:
    """Requeue the `failed` deliveries of `queryset` once each, attempts reset; returns their ids.

    Conditional (failed → queued): a second call, or two people clicking at once, requeue nothing
    more. The caller enqueues the returned ids (the sweep catches what it cannot).
    """
    ids = list(queryset.filter(status=FAILED).values_list("id", flat=True))
    changes = {"status": QUEUED, "attempts": 0, "next_attempt_at": now, "lease_until": None, "claim": ""}
    if not ids or not queryset.model.objects.filter(id__in=ids, status=FAILED).update(**changes, **(extra or {})):
        return []
    return ids


# --- SMTP batches -------------------------------------------------------------------------------
# A recipient refused with these codes does not exist or may not receive mail: the address bounced.
BOUNCE_CODES = frozenset({550, 551, 553})


@dataclass(frozen=True)
class Refusal:
    """How the mail server answered a message it did not take."""

    reason: str
    permanent: bool  # 5xx: the same message would be refused again
    bounced: bool = False  # the recipient's address itself was refused for good
    connection_lost: bool = False


def smtp_refusal(error: Exception) -> Refusal:
    """Classify an SMTP error for one message (see `Refusal`)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (None, b""))
        return _answer(code, text, recipient=True)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Refusal(f"Connection lost: {error}", permanent=False, connection_lost=True)
    if isinstance(error, smtplib.SMTPResponseException):
        return _answer(error.smtp_code, error.smtp_error, recipient=False)
    return Refusal(f"{type(error).__name__}: {error}", permanent=False, connection_lost=isinstance(error, OSError))


def _answer(code: int | None, text: bytes | str, *, recipient: bool) -> Refusal:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    permanent = code is not None and 500 <= code < 600
    return Refusal(
        f"The mail server answered {code} {text}".strip(),
        permanent=permanent,
        bounced=permanent and recipient and code in BOUNCE_CODES,
    )


@dataclass
class BatchOutcome(Generic[Item]):
    """How each message of a batch ended."""

    sent: list[Item] = field(default_factory=list)
    refused: list[tuple[Item, Refusal]] = field(default_factory=list)  # tried, not taken
    untried: list[Item] = field(default_factory=list)  # the connection broke before their turn
    untried_reason: str = ""
    lost: list[Item] = field(default_factory=list)  # another sender holds them now


Record = Callable[[SendRecorder, Any], Finish | None]


def smtp_batch_send(
    *, batch: Sequence[tuple[Item, EmailMessage]], record: Record, undo: Callable[[Item], None]
) -> BatchOutcome[Item]:
    """Send a claimed batch over one SMTP connection, each message settled on its own.

    `record(recorder, item)` records a send (mail/send_record.py) just before the final "."
    and raises `ClaimLost` when the item is no longer this sender's; `undo(item)` takes the record
    back when the server then refuses the message. A refused message is reported and the batch goes
    on (after RSET); a lost connection is opened again once; if that fails too, the rest is
    reported untried. Database errors propagate: the claims' leases then run out and the sweep
    retries what was not recorded.
    """
    outcome: BatchOutcome[Item] = BatchOutcome()
    pending = list(reversed(batch))  # popped from the end: the batch's order, O(1) each
    reconnected = False
    try:
        with get_connection() as connection, send_recorder() as recorder:
            while pending:
                item, message = pending[-1]
                try:
                    send_and_record(
                        connection,
                        message,
                        record=lambda item=item: record(recorder, item),
                        undo=lambda item=item: undo(item),
                    )
                except ClaimLost:  # dropped before its final "." (mail/smtp.py)
                    logger.info("%s %s is no longer ours to send; skipped.", type(item).__name__, item.pk)
                    outcome.lost.append(item)
                except (smtplib.SMTPException, OSError) as error:
                    refusal = smtp_refusal(error)
                    outcome.refused.append((item, refusal))
                    pending.pop()
                    if refusal.connection_lost or not _reset(connection):
                        if reconnected:
                            raise
                        reconnected = True
                        _reconnect(connection)
                    continue
                else:
                    outcome.sent.append(item)
                pending.pop()
    except (smtplib.SMTPException, OSError) as error:
        untried = [item for item, _ in reversed(pending)]
        logger.warning("SMTP failed after %d of %d messages: %s", len(outcome.sent), len(batch), error)
        if not outcome.sent and not outcome.refused:  # not a single message got through: count it
            outcome.refused.extend((item, smtp_refusal(error)) for item in untried)
        else:
            outcome.untried, outcome.untried_reason = untried, smtp_refusal(error).reason
    return outcome


def deliveries_settle(
    *,
    outcome: BatchOutcome[Item],
    rows: models.QuerySet,
    release: Release,
    refused_for_good: Callable[[Item, Refusal], None],
    now: datetime,
) -> dict[int, str]:
    """Write what a batch's outcome means for the messages the server did not take: a permanent
    refusal goes to `refused_for_good` (the model's bounced or failed), the others are released
    with back-off, one UPDATE per reason and attempt count, and those untried without an attempt
    counted. Returns {id: last error} of those given up because their attempts are spent."""
    retried: dict[str, list[Item]] = defaultdict(list)
    for item, refusal in outcome.refused:
        if refusal.permanent:
            refused_for_good(item, refusal)
        else:
            retried[refusal.reason].append(item)
    failed: dict[int, str] = {}
    for reason, items in retried.items():
        given = deliveries_release(rows=rows, items=items, release=release, reason=reason, now=now)
        failed.update(dict.fromkeys(given, reason))
    if outcome.untried:
        deliveries_release(
            rows=rows, items=outcome.untried, release=release, reason=outcome.untried_reason, now=now, counted=False
        )
    return failed


def _reset(connection) -> bool:
    """RSET after a refused message, so the next one starts a clean transaction. False if the
    connection is gone."""
    smtp = getattr(connection, "connection", None)
    if smtp is None:
        return not hasattr(connection, "connection")  # a backend without SMTP (tests' locmem)
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError):
        return False
    return True


def _reconnect(connection) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()
    connection.open()  # an error here ends the batch: the rest waits, untried
