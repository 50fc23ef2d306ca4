"""The weekly wins email: due at the business's own weekday and hour, sent once per week.

When: a beat task runs every 15 minutes; a business is due when its local time is on its digest
weekday at or after its digest hour. So a skipped daylight-saving hour still sends (the next run is
past the hour) and a repeated one never sends twice (the week is already claimed).
Once: the DigestRun row, unique per business and ISO week, is inserted in the transaction that
queues the emails (whose outbox keys are unique per staff member and week too): whoever inserts it
sends, nobody else — a second scheduler, a re-run of the task, or `send_digests`.
What: the week's figures against the week before come from insights.metrics, so they agree with the
dashboard and the metrics API; every other section is one query in insights.selectors, whatever the
amount of feedback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from businesses.models import Business, StaffMember
from core.links import absolute_reverse
from insights.emails import digest_email
from insights.metrics import Figures, case_causes, complaint_figures, figures
from insights.models import DigestRun
from insights.periods import DigestWeek, current_week, local_now, scheduled_week
from insights.scorecard_links import scorecard_url
from insights.selectors import (
    digest_best_comments,
    digest_feedback_count,
    digest_ideas,
    digest_named_staff,
    digest_recipients,
    digest_savers,
    digest_saves,
)
from outbox.services import enqueue_outbox_send, outbox_email_queue

logger = logging.getLogger(__name__)

ENQUEUE_CHUNK = 100
UNSUBSCRIBE_SALT = "insights.digest.unsubscribe"
# The digests are handed to the worker in chunks right after commit; the outbox sweep sends any
# the worker missed once this grace has passed (so they are never sent twice by both paths).
SWEEP_GRACE = timedelta(seconds=60)


# --- When it is due ------------------------------------------------------------------------------


def digest_is_due(business: Business, now: datetime) -> bool:
    """On the digest weekday, at or after the digest hour, in the business's own time zone."""
    local = local_now(business, now)
    return local.weekday() == business.digest_weekday and local.hour >= business.digest_hour


# --- What it holds: one selector per section, each one query -------------------------------------


@dataclass(frozen=True)
class Digest:
    business: Business
    week: DigestWeek
    figures: Figures
    figures_before: Figures
    complaints: dict
    complaints_before: dict
    causes: list[dict]
    feedback_count: int
    best_comments: list[dict]
    named_staff: list[dict]
    saves: list[dict]
    ideas: list[dict]
    savers: list[dict]

    @property
    def quiet(self) -> bool:
        """No customer answered this week: the short, encouraging version."""
        return self.feedback_count == 0

    @property
    def top_cause(self) -> dict | None:
        """The week's most frequent cause of complaints resolved: the issue to talk about."""
        return self.causes[0] if self.causes else None


def digest_build(*, business: Business, week: DigestWeek) -> Digest:
    """Everything one business's digest shows, in a fixed number of queries."""
    return Digest(
        business=business,
        week=week,
        figures=figures(business=business, start=week.start, end=week.end),
        figures_before=figures(business=business, start=week.previous_start, end=week.previous_end),
        complaints=complaint_figures(business=business, start=week.start, end=week.end),
        complaints_before=complaint_figures(business=business, start=week.previous_start, end=week.previous_end),
        causes=case_causes(business=business, start=week.start, end=week.end, previous_start=week.previous_start),
        feedback_count=digest_feedback_count(business=business, week=week),
        best_comments=digest_best_comments(business=business, week=week),
        named_staff=digest_named_staff(business=business, week=week),
        saves=digest_saves(business=business, week=week),
        ideas=digest_ideas(business=business, week=week),
        savers=digest_savers(business=business, week=week),
    )


# --- Sending, once per business and week ---------------------------------------------------------


@dataclass(frozen=True)
class DigestOutcome:
    business: Business
    week: DigestWeek
    email_ids: list[int] | None = None  # None: nothing sent (already sent this week, or it failed)
    error: str = ""

    @property
    def sent(self) -> bool:
        return self.email_ids is not None


def digests_send_due(
    *, now: datetime | None = None, businesses: Iterable[Business] | None = None
) -> list[DigestOutcome]:
    """Send the digests due now that were not sent this week. Returns one outcome per digest sent or failed."""
    now = now or timezone.now()
    candidates = Business.objects.all() if businesses is None else businesses
    due = [(business, scheduled_week(business, now)) for business in candidates if digest_is_due(business, now)]
    already = _weeks_sent(due)
    return [
        _send_one(business, week, DigestRun.Trigger.SCHEDULE, now)
        for business, week in due
        if (business.pk, week.label) not in already
    ]


def digests_send_now(*, businesses: Iterable[Business], now: datetime | None = None) -> list[DigestOutcome]:
    """This week's digest at once, of the seven days up to now; a week already sent is not sent again."""
    now = now or timezone.now()
    return [_send_one(business, current_week(business, now), DigestRun.Trigger.MANUAL, now) for business in businesses]


def _weeks_sent(due: list[tuple[Business, DigestWeek]]) -> set[tuple[int, str]]:
    """The (business, week) pairs already claimed, in one query: keeps the 15-minute check cheap."""
    if not due:
        return set()
    return set(
        DigestRun.objects.filter(
            business_id__in=[business.pk for business, _ in due], week__in={week.label for _, week in due}
        ).values_list("business_id", "week")
    )


def _send_one(business: Business, week: DigestWeek, trigger: str, now: datetime) -> DigestOutcome:
    """One business at a time: a failure rolls back its claim (it is retried next run) and spares the others."""
    try:
        email_ids = digest_send(business=business, week=week, trigger=trigger, now=now)
    except Exception as error:
        logger.exception("The digest of %s for %s failed; it will be retried.", business.slug, week.label)
        return DigestOutcome(business=business, week=week, error=f"{type(error).__name__}: {error}")
    return DigestOutcome(business=business, week=week, email_ids=email_ids)


def digest_send(
    *, business: Business, week: DigestWeek, trigger: str = DigestRun.Trigger.SCHEDULE, now: datetime | None = None
) -> list[int] | None:
    """Claim the week and queue the digest for every active staff member who wants it.

    Returns the queued outbox email ids, or None when this week's digest had been claimed before.
    """
    now = now or timezone.now()
    with transaction.atomic():
        run = _claim(business, week, trigger)
        if run is None:
            return None
        digest = digest_build(business=business, week=week)
        email_ids = []
        for staff in digest_recipients(business=business):
            email = outbox_email_queue(
                key=f"digest:{business.pk}:{week.label}:{staff.pk}",
                message=digest_email(
                    digest, staff, unsubscribe_url=digest_unsubscribe_url(staff), scorecard_url=scorecard_url(staff)
                ),
                business=business,
                # Not sent one by one by the outbox's fast path: handed over below, in chunks.
                send_after=now + SWEEP_GRACE,
            )
            if email is not None:
                email_ids.append(email.pk)
        DigestRun.objects.filter(pk=run.pk).update(recipients=len(email_ids))
        for start in range(0, len(email_ids), ENQUEUE_CHUNK):
            transaction.on_commit(partial(enqueue_outbox_send, email_ids[start : start + ENQUEUE_CHUNK]))
    return email_ids


def _claim(business: Business, week: DigestWeek, trigger: str) -> DigestRun | None:
    try:
        with transaction.atomic():
            return DigestRun.objects.create(
                business=business, week=week.label, period_start=week.start, period_end=week.end, trigger=trigger
            )
    except IntegrityError:
        return None


# --- Opting out in one click ---------------------------------------------------------------------


def digest_unsubscribe_token(staff: StaffMember) -> str:
    return signing.dumps({"staff": staff.pk}, salt=UNSUBSCRIBE_SALT)


def digest_unsubscribe_url(staff: StaffMember) -> str:
    return absolute_reverse("insights:digest-unsubscribe", token=digest_unsubscribe_token(staff))


def staff_by_digest_token(*, token: str) -> StaffMember | None:
    """The staff member a digest opt-out link was made for; None for a tampered or unknown token."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    staff_id = payload.get("staff") if isinstance(payload, dict) else None
    if not isinstance(staff_id, int):
        return None
    return StaffMember.objects.select_related("business").filter(pk=staff_id).first()


def staff_digest_opt_out(*, staff: StaffMember) -> StaffMember:
    """Stop the weekly wins email for this staff member. Idempotent."""
    StaffMember.objects.filter(pk=staff.pk, wants_digest=True).update(wants_digest=False)
    staff.wants_digest = False
    return staff
