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
Internal feedback (one team serving another) is left out of all of it, as from the dashboard's
staff table: the scorecard is about customers. Nothing in it names another staff member.

When it is sent: from the 1st of each month at the business's digest hour, to each active staff
member who wants the weekly email. Once: the outbox key `scorecard:<staff>:<YYYY-MM>` is unique,
so a second scheduler or a re-run of the task queues nothing twice. A beat that was down on the
1st catches up during the first SEND_DAYS days of the month.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from businesses.models import Business, StaffMember
from feedback.models import Feedback, FeedbackRequest
from insights.emails import scorecard_email
from insights.metrics import period_bounds, sent_requests
from insights.scorecard_links import scorecard_url
from insights.services.digest import ENQUEUE_CHUNK, SWEEP_GRACE, digest_unsubscribe_url
from outbox.models import OutboxEmail
from outbox.services import enqueue_outbox_send, outbox_email_queue
from reviews.models import Case

logger = logging.getLogger(__name__)

HAPPY_RATING = 4
KIND_WORDS_LENGTH = 5
# The monthly email goes from the 1st; a scheduler that was down then sends it up to the 7th.
SEND_DAYS = 7


# --- The months ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardPeriod:
    """Local days [first_day, last_day] of one month (up to today for the month under way) and the
    same days of the month before."""

    month: date  # the month's 1st
    first_day: date
    last_day: date
    whole_month: bool
    start: datetime
    end: datetime
    previous_first_day: date
    previous_last_day: date
    previous_start: datetime
    previous_end: datetime

    @property
    def label(self) -> str:
        """ "2026-11": at most one monthly email per staff member and label."""
        return self.month.strftime("%Y-%m")


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def scorecard_period(business: Business, *, month: date, today: date) -> ScorecardPeriod:
    """The month of `month` as far as `today`; the month before over as many days (a whole month
    is compared with the whole month before)."""
    first, last = month_start(month), month_end(month)
    whole = today > last
    until = last if whole else max(first, today)
    previous_first = previous_month(first)
    previous_last = (
        month_end(previous_first) if whole else min(month_end(previous_first), previous_first + (until - first))
    )
    start, end = period_bounds(business, first, until)
    previous_start, previous_end = period_bounds(business, previous_first, previous_last)
    return ScorecardPeriod(
        month=first,
        first_day=first,
        last_day=until,
        whole_month=whole,
        start=start,
        end=end,
        previous_first_day=previous_first,
        previous_last_day=previous_last,
        previous_start=previous_start,
        previous_end=previous_end,
    )


def local_today(business: Business, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(business.timezone)).date()


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
    this, before = _served_and_named(staff, period)
    saves = _saves(staff, period)
    return Scorecard(
        staff=staff,
        period=period,
        figures=StaffFigures(**this, saves=saves["this"]),
        figures_before=StaffFigures(**before, saves=saves["before"]),
        kind_words=scorecard_kind_words(staff=staff, start=period.start, end=period.end),
    )


def _served_and_named(staff: StaffMember, period: ScorecardPeriod) -> tuple[dict, dict]:
    """Requests, responses, average, CSAT and mentions of both months, in one query."""
    cohort = sent_requests(business=staff.business, start=period.previous_start, end=period.end).filter(
        Q(staff=staff) | Q(answer__staff=staff)
    )
    months = {"this": Q(sent_at__gte=period.start), "before": Q(sent_at__lt=period.previous_end)}
    served, answered, named = Q(staff=staff), Q(answer__isnull=False), Q(answer__staff=staff)
    invited = Q(channel=FeedbackRequest.Channel.EMAIL)
    aggregates = {}
    for name, month in months.items():
        aggregates |= {
            f"{name}_requests": Count("id", filter=month & served & invited),
            f"{name}_responses": Count("id", filter=month & served & answered),
            f"{name}_average": Avg("answer__rating", filter=month & served & answered),
            f"{name}_happy": Count("id", filter=month & served & Q(answer__rating__gte=HAPPY_RATING)),
            f"{name}_mentions": Count("id", filter=month & named),
        }
    row = cohort.order_by().aggregate(**aggregates)
    return _month_figures(row, "this"), _month_figures(row, "before")


def _month_figures(row: dict, name: str) -> dict:
    responses, average = row[f"{name}_responses"], row[f"{name}_average"]
    return {
        "requests": row[f"{name}_requests"],
        "responses": responses,
        "average_rating": round(average, 2) if average is not None else None,
        "csat": round(row[f"{name}_happy"] / responses, 4) if responses else None,
        "mentions": row[f"{name}_mentions"],
    }


def _saves(staff: StaffMember, period: ScorecardPeriod) -> dict:
    """Complaints they resolved in each month (as the weekly email counts saves), in one query."""
    return Case.objects.filter(
        business=staff.business_id,
        feedback__internal=False,
        status=Case.Status.RESOLVED,
        resolved_by_staff=staff,
        resolved_at__gte=period.previous_start,
        resolved_at__lt=period.end,
    ).aggregate(
        this=Count("id", filter=Q(resolved_at__gte=period.start)),
        before=Count("id", filter=Q(resolved_at__lt=period.previous_end)),
    )


def scorecard_kind_words(
    *, staff: StaffMember, start: datetime, end: datetime, limit: int = KIND_WORDS_LENGTH
) -> list[dict]:
    """Their customers' 4–5 star comments given in [start, end), newest first, in one query.

    Their customers: those who named them as "who helped", and those they served who named nobody
    else (a comment naming a colleague is about that colleague). Only the name the customer chose
    to show is read, never their email or full name.
    """
    rows = (
        Feedback.objects.filter(
            Q(staff=staff) | Q(staff__isnull=True, request__staff=staff),
            business=staff.business_id,
            internal=False,
            rating__gte=HAPPY_RATING,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .exclude(comment="")
        .order_by("-submitted_at", "-id")
        .values("rating", "comment", "display_name", "submitted_at")
    )
    return list(rows[:limit])


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


def scorecard_recipients(*, business: Business, month: date) -> list[StaffMember]:
    """Active staff members who want the weekly email and were on the team before the month ended."""
    _, month_over = period_bounds(business, month, month_end(month))
    return list(
        StaffMember.objects.filter(business=business, active=True, wants_digest=True, created_at__lt=month_over)
        .exclude(email="")
        .select_related("business")
        .order_by("id")
    )


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
