"""Invitations and reminders through the delivery engine (outbox/engine.py), and the sweep.

The engine claims, sends a batch over one connection, settles each message on its own and
releases with back-off; this module says what is specific to requests:
- what a claim may take (a reminder only while unanswered, due, and its customer reachable);
- what a send records (mark_sent: the step and its history row, in one statement);
- a 5xx refusal of the address marks the request `bounced` (and the customer, so no new request
  goes there); another 5xx marks it `failed` (a reminder is given up, the request stays sent);
- reminders and expiry are found by the sweep from their stored due times;
- each business has a daily cap of invitation emails, checked when a batch is claimed: what is
  over it waits, still queued, for the business's next day (feedback/services/daily_limit.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from businesses.models import Customer
from feedback.emails import invitation_email, invitation_merge
from feedback.models import FeedbackRequest, FeedbackRequestEvent
from feedback.services.daily_limit import daily_limit_allot, daily_limit_return
from feedback.services.history_notes import GAVE_UP, SENT_AGAIN
from feedback.services.recording import mark_sent
from feedback.services.requests import enqueue_send
from feedback.tokens import Purpose, request_token, token_hashes
from outbox.engine import (
    BatchOutcome,
    Kind,
    Refusal,
    Release,
    deliveries_claim,
    deliveries_send_again,
    deliveries_settle,
    given_up,
    policy,
    queued_again,
    smtp_batch_send,
)
from outbox.engine import lease as send_lease

logger = logging.getLogger(__name__)
Status = FeedbackRequest.Status


Claimed = tuple[str, list[FeedbackRequest]]  # (the claim id, the requests it holds)


INVITATION = Release(kind=Kind.INVITATION, retry=queued_again, give_up=lambda now: given_up(now) | {"failed_at": now})
# A reminder stays SENT while it waits: its lease keeps the sweep away until its next attempt.
# Given up, the request stays SENT (the invitation went; its link still works).
REMINDER = Release(
    kind=Kind.REMINDER,
    retry=lambda when: {"lease_until": when, "claim": ""},
    give_up=lambda now: {"reminder_due_at": None, "lease_until": None, "claim": ""},
    attempts_field="reminder_attempts",
)


# --- claiming -------------------------------------------------------------------------------
def feedback_requests_claim(*, request_ids: Sequence[int], now: datetime | None = None) -> Claimed:
    """Take the given requests for sending: those still queued, or whose sender's lease ran out.

    Those over their business's daily cap go back to the queue until the business's next day.
    """
    now = now or timezone.now()
    claim = deliveries_claim(model=FeedbackRequest, ids=request_ids, now=now)
    return claim, _within_daily_limit(_claimed(claim, Status.SENDING, request_ids), claim, now, reminder=False)


def feedback_reminders_claim(*, request_ids: Sequence[int], now: datetime | None = None) -> Claimed:
    """Take due reminders: still unanswered (status SENT), customer not opted out or bounced.

    Reminders count against the daily cap too; those over it wait for the business's next day.
    """
    now = now or timezone.now()
    claim = uuid.uuid4().hex
    FeedbackRequest.objects.filter(_reminder_is_due(now), id__in=list(request_ids)).update(
        lease_until=now + send_lease(), claim=claim, reminder_attempts=F("reminder_attempts") + 1
    )
    return claim, _within_daily_limit(_claimed(claim, Status.SENT, request_ids), claim, now, reminder=True)


def _reminder_is_due(now: datetime) -> Q:
    """Unanswered (status SENT), due, link still open, customer neither opted out nor bounced, not held,
    attempts left (a reminder whose senders all died before SMTP answered is not tried for ever)."""
    return (
        (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        & Q(reminder_attempts__lt=policy(Kind.REMINDER).max_attempts)
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        & Q(
            status=Status.SENT,
            reminder_due_at__lte=now,
            customer__opted_out_at__isnull=True,
            customer__bounced_at__isnull=True,
        )
    )


def _claimed(claim: str, status: str, request_ids: Sequence[int]) -> list[FeedbackRequest]:
    # By primary key: `claim` has no index, and a status alone (SENT) matches most of the table.
    return list(
        FeedbackRequest.objects.filter(id__in=list(request_ids), claim=claim, status=status)
        .select_related("business", "customer", "staff")
        .order_by("id")
    )


def _within_daily_limit(
    requests: list[FeedbackRequest], claim: str, now: datetime, *, reminder: bool
) -> list[FeedbackRequest]:
    """The claimed requests the daily caps let go now; the others are given back to wait."""
    if not requests:
        return requests
    allowed, waiting = daily_limit_allot(requests=requests, now=now)
    for until, postponed in waiting.items():
        _postpone(postponed, claim, until, reminder=reminder)
    return allowed


def _postpone(requests: list[FeedbackRequest], claim: str, until: datetime, *, reminder: bool) -> None:
    """Over the daily cap: wait until `until` (the business's next day); not a failed attempt."""
    limit = requests[0].business.invitations_per_day
    note = f"Waiting for the next day: the daily limit of {limit:,} invitation emails was reached."
    rows = FeedbackRequest.objects.filter(id__in=[request.pk for request in requests], claim=claim)
    if reminder:  # it stays SENT; a lease until then keeps the sweep from taking it again today
        rows.update(lease_until=until, claim="", reminder_attempts=F("reminder_attempts") - 1, last_error=note)
    else:
        rows.update(
            status=Status.QUEUED,
            next_attempt_at=until,
            lease_until=None,
            claim="",
            attempts=F("attempts") - 1,
            last_error=note,
        )


# --- sending --------------------------------------------------------------------------------
def feedback_requests_send(*, request_ids: Sequence[int]) -> int:
    """Send the invitations of the given requests that this call can claim. Returns how many went."""
    now = timezone.now()
    claim, requests = feedback_requests_claim(request_ids=request_ids, now=now)
    return _send_batch(requests, claim, reminder=False, claimed_at=now)


def feedback_reminders_send(*, request_ids: Sequence[int]) -> int:
    """Send the one reminder of the given requests that are due and unanswered. Returns how many went."""
    now = timezone.now()
    claim, requests = feedback_reminders_claim(request_ids=request_ids, now=now)
    return _send_batch(requests, claim, reminder=True, claimed_at=now)


def _send_batch(
    requests: list[FeedbackRequest], claim: str, *, reminder: bool, claimed_at: datetime | None = None
) -> int:
    """Send a claimed batch over one connection. `claimed_at` names the day its slots were reserved on."""
    if not requests:
        return 0
    feedback_requests_rekey(requests)
    merge = invitation_merge(reminder=reminder)
    outcome = smtp_batch_send(
        batch=[(request, invitation_email(request, reminder=reminder, merge=merge)) for request in requests],
        record=lambda recorder, request: mark_sent(recorder, request, claim, reminder=reminder),
        undo=lambda request: _unmark_sent(request, claim, reminder=reminder),
    )
    _settle(outcome, claim, reminder=reminder)
    if len(outcome.sent) < len(requests):  # their daily slots are free again
        went = {request.pk for request in outcome.sent}
        unsent = [request for request in requests if request.pk not in went]
        daily_limit_return(requests=unsent, claimed_at=claimed_at or timezone.now())
    return len(outcome.sent)


def _settle(outcome: BatchOutcome[FeedbackRequest], claim: str, *, reminder: bool) -> None:
    """What the server did not take: bounced, failed, or retried with back-off, each on its own."""
    now = timezone.now()
    rows = FeedbackRequest.objects.filter(claim=claim)

    def refused_for_good(request: FeedbackRequest, refusal: Refusal) -> None:
        if refusal.bounced:
            _mark_bounced(request, claim, refusal.reason)
        elif reminder:  # this reminder would be refused again: give it up, the request stays sent
            rows.filter(pk=request.pk).update(**REMINDER.give_up(now), last_error=refusal.reason[:1000])
        else:
            _mark_failed(request, claim, refusal.reason)

    release = REMINDER if reminder else INVITATION
    failed = deliveries_settle(outcome=outcome, rows=rows, release=release, refused_for_good=refused_for_good, now=now)
    if failed and not reminder:
        FeedbackRequestEvent.objects.bulk_create(
            FeedbackRequestEvent(request_id=pk, status=Status.FAILED, note=reason[:300])
            for pk, reason in failed.items()
        )


def feedback_requests_rekey(requests: Sequence[FeedbackRequest]) -> int:
    """Give new link hashes to the requests whose links no known key can rebuild. Returns how many.

    A request made under a SECRET_KEY that has since left SECRET_KEY_FALLBACKS would otherwise be
    emailed links that lead nowhere. The links of its earlier email stop working instead: they were
    made with a key the operator retired.
    """
    stale = [request for request in requests if not _links_known(request)]
    for request in stale:
        hashes = token_hashes(request.token_salt)
        FeedbackRequest.objects.filter(pk=request.pk).update(**hashes)
        for name, value in hashes.items():
            setattr(request, name, value)
    if stale:
        logger.warning("New links for %d feedback requests made under a retired SECRET_KEY.", len(stale))
    return len(stale)


def _links_known(request: FeedbackRequest) -> bool:
    return (
        request_token(request.token_salt, Purpose.FEEDBACK, request.feedback_token_hash) is not None
        and request_token(request.token_salt, Purpose.UNSUBSCRIBE, request.unsubscribe_token_hash) is not None
    )


def _unmark_sent(request: FeedbackRequest, claim: str, *, reminder: bool) -> None:
    """The server refused a message after we recorded it as sent: back to claimed, history undone."""
    now = timezone.now()
    with transaction.atomic():
        if reminder:
            undone = FeedbackRequest.objects.filter(pk=request.pk, status=Status.REMINDED).update(
                status=Status.SENT, reminded_at=None, reminder_due_at=now, claim=claim, lease_until=now + send_lease()
            )
        else:
            undone = FeedbackRequest.objects.filter(pk=request.pk, status=Status.SENT).update(
                status=Status.SENDING,
                sent_at=None,
                reminder_due_at=None,
                expires_at=None,
                claim=claim,
                lease_until=now + send_lease(),
            )
        if undone:
            step = Status.REMINDED if reminder else Status.SENT
            last = request.events.filter(status=step).order_by("-id").first()
            if last is not None:
                last.delete()


def _mark_failed(request: FeedbackRequest, claim: str, reason: str) -> None:
    now = timezone.now()
    updated = FeedbackRequest.objects.filter(pk=request.pk, claim=claim).update(
        status=Status.FAILED, failed_at=now, lease_until=None, claim="", last_error=reason[:1000]
    )
    if updated:
        FeedbackRequestEvent.objects.create(request=request, status=Status.FAILED, note=reason[:300])


def _mark_bounced(request: FeedbackRequest, claim: str, reason: str) -> None:
    """The server refused the address for good: this request bounced, and the customer's address
    is marked so that no new request is sent to it (a new answer or opt-in clears it)."""
    now = timezone.now()
    updated = FeedbackRequest.objects.filter(pk=request.pk, claim=claim).update(
        status=Status.BOUNCED, bounced_at=now, lease_until=None, claim="", last_error=reason[:1000]
    )
    if updated:
        Customer.objects.filter(pk=request.customer_id, bounced_at__isnull=True).update(bounced_at=now)
        FeedbackRequestEvent.objects.create(request=request, status=Status.BOUNCED, note=reason[:300])


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt of an invitation (outbox/engine.py's policy)."""
    return policy(Kind.INVITATION).delay(attempts)


# --- the sweep ------------------------------------------------------------------------------
def feedback_requests_due(*, now: datetime | None = None, limit: int = 5000) -> list[int]:
    """Requests the fast path missed (broker down, worker crash) or whose sender's lease ran out.

    A request whose sends keep dying before SMTP answers (its lease ran out too many times) is
    given up as FAILED instead of being retried for ever.
    """
    now = now or timezone.now()
    _fail_abandoned(now)
    return list(
        FeedbackRequest.objects.filter(
            Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def _fail_abandoned(now: datetime) -> None:
    abandoned = FeedbackRequest.objects.filter(
        status=Status.SENDING, lease_until__lt=now, attempts__gte=policy(Kind.INVITATION).max_attempts
    )
    ids = list(abandoned.values_list("id", flat=True)[:1000])
    reason = GAVE_UP
    if ids and FeedbackRequest.objects.filter(id__in=ids, status=Status.SENDING, lease_until__lt=now).update(
        status=Status.FAILED, failed_at=now, lease_until=None, claim="", last_error=reason
    ):
        FeedbackRequestEvent.objects.bulk_create(
            FeedbackRequestEvent(request_id=pk, status=Status.FAILED, note=reason) for pk in ids
        )


def feedback_reminders_due(*, now: datetime | None = None, limit: int = 5000) -> list[int]:
    now = now or timezone.now()
    # The same rule as the claim: a reminder that can never be claimed must not be queued every sweep.
    return list(
        FeedbackRequest.objects.filter(_reminder_is_due(now)).order_by("id").values_list("id", flat=True)[:limit]
    )


def feedback_requests_expire(*, now: datetime | None = None) -> int:
    """Unanswered requests whose link has run out become EXPIRED. Returns how many."""
    now = now or timezone.now()
    due = FeedbackRequest.objects.filter(status__in=[Status.SENT, Status.REMINDED], expires_at__lte=now)
    ids = list(due.values_list("id", flat=True)[:5000])
    if not ids:
        return 0
    expired = FeedbackRequest.objects.filter(id__in=ids, status__in=[Status.SENT, Status.REMINDED]).update(
        status=Status.EXPIRED, expired_at=now, reminder_due_at=None
    )
    FeedbackRequestEvent.objects.bulk_create(FeedbackRequestEvent(request_id=pk, status=Status.EXPIRED) for pk in ids)
    return expired


# --- dead letters ---------------------------------------------------------------------------
def feedback_requests_send_again(*, requests: QuerySet[FeedbackRequest]) -> list[int]:
    """Requeue the `failed` requests among `requests` (already scoped to the user's businesses),
    attempts reset, each once: a second call finds none failed. Returns the ids requeued; they are
    sent after commit (or by the sweep if the broker is down)."""
    now = timezone.now()
    ids = deliveries_send_again(queryset=requests, now=now, extra={"failed_at": None})
    if ids:
        FeedbackRequestEvent.objects.bulk_create(
            FeedbackRequestEvent(request_id=pk, status=Status.QUEUED, note=SENT_AGAIN) for pk in ids
        )
        transaction.on_commit(lambda: enqueue_send(ids))
    return ids
