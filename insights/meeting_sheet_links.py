"""The signed link in the weekly email that opens one business's meeting sheet for one week, read-only.

Staff who get the weekly email have no login, so the link itself is the key: it signs (business id,
the week's Monday) with a salt of its own and a timestamp. It opens that sheet and nothing else
(another business or week cannot be written in without breaking the signature), changes nothing,
and stops working after MEETING_SHEET_LINK_DAYS.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings

from businesses.models import Business
from core.links import absolute_reverse
from core.signed_links import signed_payload, signed_token
from insights.metrics import day_in_range

SALT = "insights.meeting-sheet-link"


def meeting_sheet_monday_for(last_day: date) -> date:
    """The Monday of the last whole Monday–Sunday week that ends on or before `last_day`.

    A weekly email covers the seven days before its day: sent on a Monday, that is exactly the
    Monday–Sunday week; sent on another day (or at once, with `send_digests --now`), its sheet is
    the last whole week within what it covers.
    """
    days_since_sunday = (last_day.weekday() + 1) % 7
    return last_day - timedelta(days=days_since_sunday + 6)


def meeting_sheet_token(*, business: Business, monday: date) -> str:
    payload = {"b": business.pk, "w": monday.isoformat()}
    return signed_token(payload, salt=SALT)


def meeting_sheet_url(*, business: Business, monday: date) -> str:
    return absolute_reverse("insights:meeting-sheet", token=meeting_sheet_token(business=business, monday=monday))


def meeting_sheet_by_token(token: str) -> tuple[Business, date] | None:
    """The business and the Monday a link was made for, or None: tampered, expired, or naming no business."""
    max_age = timedelta(days=settings.MEETING_SHEET_LINK_DAYS)
    payload = signed_payload(token, salt=SALT, shape={"b": int, "w": str}, max_age=max_age)
    if payload is None:
        return None
    try:
        monday = date.fromisoformat(payload["w"])
    except ValueError:
        return None
    if monday.weekday() != 0 or not day_in_range(monday):
        return None
    business = Business.objects.filter(pk=payload["b"]).first()
    return None if business is None else (business, monday)
