"""The stretches of time the staff reports cover, in the business's own time zone.

- DigestWeek: the seven local days a weekly email covers, the seven before them, and the ISO week
  it is sent in; the meeting sheet's Monday–Sunday week is one of them.
- ScorecardPeriod: one calendar month (up to today for the month under way) and as many days of
  the month before.

Pure calculations on top of insights.metrics.period_bounds: nothing here reads the database.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from businesses.models import Business
from insights.metrics import period_bounds

# --- The weekly email's and the meeting sheet's week ---------------------------------------------


@dataclass(frozen=True)
class DigestWeek:
    """The seven local days a digest covers, the seven before them, and the ISO week it is sent in."""

    label: str  # "2026-W47": at most one digest per business and label
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime


def digest_week(business: Business, *, sent_on: date, last_day: date) -> DigestWeek:
    start, end = period_bounds(business, last_day - timedelta(days=6), last_day)
    previous_start, previous_end = period_bounds(business, last_day - timedelta(days=13), last_day - timedelta(days=7))
    year, week, _ = sent_on.isocalendar()
    return DigestWeek(
        label=f"{year}-W{week:02d}",
        first_day=last_day - timedelta(days=6),
        last_day=last_day,
        start=start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
    )


def local_now(business: Business, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(business.timezone))


def scheduled_week(business: Business, now: datetime) -> DigestWeek:
    """The digest sent on the digest day covers the seven whole days before it."""
    today = local_now(business, now).date()
    return digest_week(business, sent_on=today, last_day=today - timedelta(days=1))


def current_week(business: Business, now: datetime) -> DigestWeek:
    """`send_digests --now` covers the seven days up to now, today included."""
    today = local_now(business, now).date()
    return digest_week(business, sent_on=today, last_day=today)


def meeting_sheet_week(business: Business, *, day: date) -> DigestWeek:
    """The local Monday–Sunday week that holds `day`, and the week before it (the digest's week)."""
    monday = day - timedelta(days=day.weekday())
    return digest_week(business, sent_on=monday, last_day=monday + timedelta(days=6))


def meeting_sheet_last_full_week(business: Business, *, now: datetime | None = None) -> DigestWeek:
    """The last Monday–Sunday week that is over, in the business's own time zone."""
    today = (now or timezone.now()).astimezone(ZoneInfo(business.timezone)).date()
    return meeting_sheet_week(business, day=today - timedelta(days=today.weekday() + 7))


# --- The scorecard's month -----------------------------------------------------------------------


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
