"""The signed link that lets a staff member without a login work the one case they own.

The token signs (case id, staff id, link version) with a salt of its own and a timestamp, so it
opens nothing else: another case's id cannot be written in without breaking the signature, it
expires after STAFF_CASE_LINK_DAYS, and bumping `Case.staff_link_version` (on re-assignment or
the admin's "revoke" action) turns every link sent before into a 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing

from core.links import absolute_reverse
from reviews.models import Case

SALT = "reviews.case-staff-link"


def staff_case_token(case: Case) -> str:
    """The token of the current link of `case` for its staff owner (who must be set)."""
    payload = {"c": case.pk, "s": case.staff_owner_id, "v": case.staff_link_version}
    return signing.TimestampSigner(salt=SALT).sign_object(payload, compress=False)


def staff_case_url(case: Case) -> str:
    return absolute_reverse("cases:staff-case", token=staff_case_token(case))


def case_by_staff_token(token: str) -> Case | None:
    """The case a staff link opens, or None: tampered, expired, revoked, or its owner inactive."""
    max_age = timedelta(days=settings.STAFF_CASE_LINK_DAYS)
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not all(isinstance(payload.get(key), int) for key in "csv"):
        return None
    return (
        Case.objects.select_related("business", "staff_owner", "feedback__customer")
        .filter(
            pk=payload["c"],
            staff_owner_id=payload["s"],
            staff_link_version=payload["v"],
            staff_owner__active=True,
        )
        .first()
    )
