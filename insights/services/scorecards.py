"""A staff member's own scorecard: their month, against their own month before, never against colleagues.

What it counts (one calendar month in the business's own time zone, and the month before):
- requests: the invitations to customers they served, sent in the month (the cohort of
  insights.metrics);
- responses, average rating and CSAT (share of 4–5 stars) over the answers of that cohort that
  they served (answers through their open link included, which invite nobody);
- mentions: answers to requests sent in the month that named them as "who helped" (whoever served);
- saves: complaints they resolved in the month through their case link (`Case.resolved_by_staff`),
  counted like the weekly email's saves;
- kind words: the 4–5 star comments given in the month by their customers (those who named them,
  or whom they served and who named nobody else), newest first, signed with the name the customer
  chose to show.
Each is read in insights.selectors, over the months of insights.periods.
Internal feedback (one team serving another) is left out of all of it, as from the dashboard's
staff table: the scorecard is about customers. Nothing in it names another staff member.

When it is sent: from the 1st of each month at the business's digest hour, to each active staff
member who wants the weekly email. Once: the outbox key `scorecard:<staff>:<YYYY-MM>` is unique,
so a second scheduler or a re-run of the task queues nothing twice. A beat that was down on the
1st catches up during the first SEND_DAYS days of the month.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from businesses.models import Business, StaffMember
from insights.emails import scorecard_email
from insights.periods import ScorecardPeriod, local_today, previous_month, scorecard_period
from insights.scorecard_links import scorecard_url
from insights.selectors import scorecard_kind_words, scorecard_recipients, scorecard_saves, scorecard_served_and_named
from insights.services.digest import ENQUEUE_CHUNK, SWEEP_GRACE, digest_unsubscribe_url
from outbox.models import OutboxEmail
from outbox.services import enqueue_outbox_send, outbox_email_queue

logger = logging.getLogger(__name__)

# The monthly email goes from the 1st; a scheduler that was down then sends it up to the 7th.
SEND_DAYS = 7


# --- What it holds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffFigures:
    requests: int
    responses: int
    average_rating: float | None
    csat: float | None
    mentions: int
    saves: int


@dataclass(frozen=True)
class Scorecard:
    staff: StaffMember
    period: ScorecardPeriod
    figures: StaffFigures
    figures_before: StaffFigures
    kind_words: list[dict]

    @property
    def business(self) -> Business:
        return self.staff.business

    @property
    def quiet(self) -> bool:
        """Nobody they served was asked or answered this month, nobody named them, nothing was saved."""
        figures = self.figures
        return not (figures.requests or figures.responses or figures.mentions or figures.saves)


def staff_scorecard(*, staff: StaffMember, month: date, today: date | None = None) -> Scorecard:
    """One staff member's figures for `month` (any day of it) and the month before, in three queries.

    `today` (by default the business's local today) cuts the month under way at today, and its
    comparison at as many days of the month before.
    """
    business = staff.business
    period = scorecard_period(business, month=month, today=today or local_today(business))
    this, before = scorecard_served_and_named(staff=staff, period=period)
    saves = scorecard_saves(staff=staff, period=period)
    return Scorecard(
        staff=staff,
        period=period,
        figures=StaffFigures(**this, saves=saves["this"]),
        figures_before=StaffFigures(**before, saves=saves["before"]),
        kind_words=scorecard_kind_words(staff=staff, start=period.start, end=period.end),
    )


# --- Sending, once per staff member and month ----------------------------------------------------


def scorecard_month_due(business: Business, now: datetime) -> date | None:
    """The month whose scorecards are due now (the month just ended), or None.

    Due from the 1st at the business's digest hour, local time, until the SEND_DAYS-th.
    """
    local = now.astimezone(ZoneInfo(business.timezone))
    if local.day > SEND_DAYS or (local.day == 1 and local.hour < business.digest_hour):
        return None
    return previous_month(local.date())


def scorecard_key(staff: StaffMember, month: date) -> str:
    return f"scorecard:{staff.pk}:{month.strftime('%Y-%m')}"


def scorecards_send_due(*, now: datetime | None = None) -> int:
    """Queue the monthly scorecards due now that were not queued before. Returns how many were queued.

    Off the first days of the month this reads the businesses only. A business that fails is
    logged and retried on the next run; the others go on.
    """
    now = now or timezone.now()
    queued = 0
    for business in Business.objects.all():
        month = scorecard_month_due(business, now)
        if month is None:
            continue
        try:
            queued += len(scorecards_send(business=business, month=month, now=now))
        except Exception:
            logger.exception("The scorecards of %s for %s failed; they will be retried.", business.slug, month)
    return queued


def scorecards_send(*, business: Business, month: date, now: datetime | None = None) -> list[int]:
    """Queue each recipient's scorecard of `month` not queued before; the outbox email ids queued."""
    now = now or timezone.now()
    recipients = scorecard_recipients(business=business, month=month)
    keys = {staff.pk: scorecard_key(staff, month) for staff in recipients}
    already = set(OutboxEmail.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    today = local_today(business, now)
    email_ids = []
    with transaction.atomic():
        for staff in recipients:
            if keys[staff.pk] in already:
                continue
            email = scorecard_queue(staff=staff, month=month, today=today, now=now)
            if email is not None:
                email_ids.append(email.pk)
        for start in range(0, len(email_ids), ENQUEUE_CHUNK):
            transaction.on_commit(partial(enqueue_outbox_send, email_ids[start : start + ENQUEUE_CHUNK]))
    return email_ids


def scorecard_queue(*, staff: StaffMember, month: date, today: date, now: datetime) -> OutboxEmail | None:
    """Queue one staff member's scorecard of `month`; None when it was queued before."""
    scorecard = staff_scorecard(staff=staff, month=month, today=today)
    message = scorecard_email(
        scorecard, scorecard_url=scorecard_url(staff), unsubscribe_url=digest_unsubscribe_url(staff)
    )
    # Handed to the worker in chunks after commit; the sweep sends any it missed after the grace.
    return outbox_email_queue(
        key=scorecard_key(staff, month), message=message, business=staff.business, send_after=now + SWEEP_GRACE
    )
