"""Cases owned by front-line staff: no login, one signed link to one case (see reviews/staff_links.py).

Assigning a staff member emails them the case with their link; giving the case to someone else, or
taking it away, bumps the case's link version so the links sent before open nothing. Through the
link they write to the customer, log a call and resolve; a case they resolve is credited to them
in the weekly wins.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from businesses.models import StaffMember
from outbox.services import outbox_email_queue
from reviews import emails
from reviews.models import Case, CaseMessage
from reviews.services.cases import case_update
from reviews.services.conversation import case_message_send


@transaction.atomic
def case_staff_owner_set(*, case: Case, staff: StaffMember | None) -> Case:
    """Give the case to an active staff member of its business (emailed their link), or to nobody.

    A change of owner revokes the links sent before; setting the same owner again changes nothing
    (saving the admin page twice must not email twice).
    """
    case = Case.objects.select_for_update(of=("self",)).select_related("business", "feedback__customer").get(pk=case.pk)
    if staff is not None and (staff.business_id != case.business_id or not staff.active):
        raise ValidationError({"staff_owner": gettext("Choose an active staff member of this business.")})
    if (staff.pk if staff else None) == case.staff_owner_id:
        return case
    case.staff_owner = staff
    case.staff_link_version += 1
    case.save(update_fields=["staff_owner", "staff_link_version"])
    if staff is not None:
        outbox_email_queue(
            key=f"case-staff-owner:{case.pk}:{staff.pk}:{case.staff_link_version}",
            business=case.business,
            message=emails.case_staff_owner_email(case),
        )
    return case


def case_staff_link_revoke(*, case: Case) -> None:
    """Make every staff link already sent for this case open nothing (the owner stays on the case)."""
    Case.objects.filter(pk=case.pk).update(staff_link_version=F("staff_link_version") + 1)


def case_staff_message_send(*, case: Case, staff: StaffMember, body: str, kind: str) -> CaseMessage:
    """Write to the customer (emailed to them) or log a call, signed with the staff member's name."""
    return case_message_send(case=case, author=None, body=body, kind=kind, author_label=staff.name)


def case_staff_resolve(
    *, case: Case, staff: StaffMember, resolution: str, cause: str, system_problem: bool | None
) -> Case:
    """Resolve the case with how and why, credited to the staff member (the weekly "saves").

    `case_update` refuses it without a resolution text or a cause from the business's list.
    """
    if case.status == Case.Status.RESOLVED:
        raise ValidationError(gettext("This case is already resolved."))
    return case_update(
        case=case,
        actor=None,
        status=Case.Status.RESOLVED,
        resolution=resolution,
        cause=cause,
        system_problem=system_problem,
        resolved_by_staff=staff,
    )
