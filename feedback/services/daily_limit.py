"""The daily cap of invitation emails per business: first invitations and reminders together,
counted per day of the business's own calendar (its time zone).

Sending reserves the slots of a claimed batch before any message goes, with one conditional UPDATE
of one row per business (`DailyInvitationCount`), so workers sending at once never pass the cap;
the slots of messages that did not go are given back after the batch. What is over the cap waits
for the start of the business's next day (never failed, never dropped), and the first time that
happens on a day the owners are told, once, through the outbox.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from operator import attrgetter

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F

from businesses.models import Business, DailyInvitationCount, Membership
from feedback.emails import daily_limit_reached_email
from feedback.models import FeedbackRequest
from outbox.services import outbox_email_queue

Waiting = dict[datetime, list[FeedbackRequest]]  # {when they may go: the requests that wait until then}


def business_day(business: Business, now: datetime) -> date:
    """Today's date on the business's own calendar."""
    return now.astimezone(zoneinfo.ZoneInfo(business.timezone)).date()


def next_day_start(business: Business, now: datetime) -> datetime:
    """Midnight at the start of the business's next day, in its time zone."""
    zone = zoneinfo.ZoneInfo(business.timezone)
    return datetime.combine(business_day(business, now) + timedelta(days=1), time.min, tzinfo=zone)


def daily_limit_allot(*, requests: Sequence[FeedbackRequest], now: datetime) -> tuple[list[FeedbackRequest], Waiting]:
    """Split claimed requests into those their businesses' daily caps let go now (their slots are
    reserved) and those that wait for their business's next day. Earlier requests go first."""
    allowed: list[FeedbackRequest] = []
    waiting: Waiting = {}
    for business, group in _by_business(requests):
        granted = daily_limit_reserve(business=business, count=len(group), now=now)
        allowed += group[:granted]
        if granted < len(group):
            waiting.setdefault(next_day_start(business, now), []).extend(group[granted:])
    return sorted(allowed, key=attrgetter("pk")), waiting


def daily_limit_reserve(*, business: Business, count: int, now: datetime) -> int:
    """Reserve up to `count` of today's invitation emails for `business`; returns how many it got."""
    day = business_day(business, now)
    limit = business.invitations_per_day
    # The usual case, one statement: the whole batch fits. Concurrent updates of the row wait for
    # each other and re-check the condition, so two batches never both take the last slots.
    if count <= limit and DailyInvitationCount.objects.filter(
        business=business, day=day, reserved__lte=limit - count
    ).update(reserved=F("reserved") + count):
        return count
    return _reserve_what_is_left(business, day, count, limit, now)


@transaction.atomic
def _reserve_what_is_left(business: Business, day: date, count: int, limit: int, now: datetime) -> int:
    """The day's first batch (no row yet) or the batch that meets the cap: under the row's lock."""
    row, _ = DailyInvitationCount.objects.select_for_update().get_or_create(business=business, day=day)
    granted = max(0, min(count, limit - row.reserved))
    row.reserved += granted
    if granted < count and row.limit_reached_at is None:
        row.limit_reached_at = now
        _tell_owners(business, day, limit=limit, waiting=count - granted, now=now)
    row.save(update_fields=["reserved", "limit_reached_at"])
    return granted


def daily_limit_return(*, requests: Sequence[FeedbackRequest], claimed_at: datetime) -> None:
    """Give back the slots reserved at `claimed_at` for requests whose message did not go."""
    for business, group in _by_business(requests):
        DailyInvitationCount.objects.filter(
            business=business, day=business_day(business, claimed_at), reserved__gte=len(group)
        ).update(reserved=F("reserved") - len(group))


def _by_business(requests: Sequence[FeedbackRequest]) -> Iterator[tuple[Business, list[FeedbackRequest]]]:
    groups: dict[int, list[FeedbackRequest]] = {}
    for request in requests:
        groups.setdefault(request.business_id, []).append(request)
    for group in groups.values():
        yield group[0].business, group


def _tell_owners(business: Business, day: date, *, limit: int, waiting: int, now: datetime) -> None:
    """Queue the day's one notice to each owner (to the business's address when no owner has one)."""
    # Everything still queued waits too, since today's slots are gone.
    waiting += FeedbackRequest.objects.filter(business=business, status=FeedbackRequest.Status.QUEUED).count()
    owners = get_user_model().objects.filter(
        memberships__business=business, memberships__role=Membership.Role.OWNER, is_active=True
    )
    recipients = [(user.email, user.first_name) for user in owners.exclude(email="").order_by("pk")]
    if not recipients and business.email:
        recipients = [(business.email, "")]
    for email, first_name in recipients:
        message = daily_limit_reached_email(
            business,
            to=email,
            first_name=first_name,
            limit=limit,
            waiting=waiting,
            resumes_at=next_day_start(business, now),
        )
        # The key makes the notice once per business, day and address, whatever runs this again.
        outbox_email_queue(
            key=f"daily-limit:{business.pk}:{day.isoformat()}:{email.lower()}", business=business, message=message
        )
