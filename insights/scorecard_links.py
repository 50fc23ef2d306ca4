"""The signed link to a staff member's own scorecard, sent in their weekly and monthly emails.

The token signs (staff id, business id) with a salt of its own and a timestamp, so it opens that
one staff member's figures and nothing else: another id cannot be written in without breaking the
signature, it expires after SCORECARD_LINK_DAYS (each weekly email carries a fresh one), and a
staff member marked inactive can no longer open it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from businesses.models import StaffMember
from core.links import absolute_reverse
from core.signed_links import signed_payload, signed_token

SALT = "insights.scorecard"


def scorecard_token(staff: StaffMember) -> str:
    payload = {"s": staff.pk, "b": staff.business_id}
    return signed_token(payload, salt=SALT)


def scorecard_url(staff: StaffMember) -> str:
    return absolute_reverse("insights:scorecard", token=scorecard_token(staff))


def staff_by_scorecard_token(token: str) -> StaffMember | None:
    """The staff member a scorecard link was made for, or None: tampered, expired, or no longer active."""
    max_age = timedelta(days=settings.SCORECARD_LINK_DAYS)
    payload = signed_payload(token, salt=SALT, shape={"s": int, "b": int}, max_age=max_age)
    if payload is None:
        return None
    return (
        StaffMember.objects.select_related("business")
        .filter(pk=payload["s"], business_id=payload["b"], active=True)
        .first()
    )
