"""The signed link that lets a staff member without a login work the one case they own.

The token signs (case id, staff id, link version) with a salt of its own and a timestamp, so it
opens nothing else: another case's id cannot be written in without breaking the signature, it
expires after STAFF_CASE_LINK_DAYS, and bumping `Case.staff_link_version` (on re-assignment or
the admin's "revoke" action) turns every link sent before into a 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from businesses.models import StaffMember
from core.links import absolute_reverse
from core.signed_links import signed_payload, signed_token
from reviews.models import Case

SALT = "reviews.case-staff-link"


def staff_case_token(case: Case) -> str:
    """The token of the current link of `case` for its staff owner (who must be set)."""
    payload = {"c": case.pk, "s": case.staff_owner_id, "v": case.staff_link_version}
    return signed_token(payload, salt=SALT)


def staff_case_url(case: Case) -> str:
    return absolute_reverse("cases:staff-case", token=staff_case_token(case))


def case_by_staff_token(token: str) -> Case | None:
    """The case a staff link opens, or None: tampered, expired, revoked, or its owner inactive."""
    max_age = timedelta(days=settings.STAFF_CASE_LINK_DAYS)
    payload = signed_payload(token, salt=SALT, shape={"c": int, "s": int, "v": int}, max_age=max_age)
    if payload is None:
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


def staff_of_token(token: str) -> StaffMember | None:
    """The staff member a link was signed for, however old or revoked, or None when it is not ours.

    Only the language of the page that says a dead link opens nothing is chosen with it: it opens
    no case.
    """
    payload = signed_payload(token, salt=SALT, shape={"s": int})
    if payload is None:
        return None
    return StaffMember.objects.select_related("business").filter(pk=payload["s"]).first()
