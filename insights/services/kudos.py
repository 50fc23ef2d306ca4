"""Personal kudos: a staff member named in a 4–5 star answer hears the customer's words.

Recorded in the transaction that saves the answer (one Kudos per feedback, so an edit never makes
a second); sent by a beat task, batched: each staff member gets at most one kudos email in any 24
hours, holding every kudos waiting for them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from businesses.models import StaffMember
from feedback.models import Feedback
from insights.emails import kudos_email
from insights.models import Kudos
from outbox.services import outbox_email_queue

HAPPY_RATING = 4
ONE_EMAIL_PER = timedelta(hours=24)
Status = Kudos.Status


def kudos_record(*, feedback: Feedback) -> Kudos | None:
    """Keep a kudos for the staff member a 4–5 star answer names (once per feedback).

    Called in the transaction that saved the answer, first submit or edit. An edit that names
    someone else moves a kudos not yet sent; one already sent stays with whom it went to.
    """
    staff = feedback.staff
    if staff is None or feedback.rating < HAPPY_RATING or not staff.active:
        return None
    if Kudos.objects.filter(feedback=feedback).exists():
        Kudos.objects.filter(feedback=feedback, status=Status.PENDING).exclude(staff=staff).update(staff=staff)
        return None
    try:
        with transaction.atomic():
            return Kudos.objects.create(feedback=feedback, business=feedback.business, staff=staff)
    except IntegrityError:  # a concurrent edit of the same answer recorded it first
        return None


def kudos_send_due(*, now: datetime | None = None) -> int:
    """Send each staff member their waiting kudos, unless they had a kudos email in the last 24 h.

    Returns how many emails were queued.
    """
    now = now or timezone.now()
    waiting = set(Kudos.objects.filter(status=Status.PENDING).values_list("staff_id", flat=True).distinct())
    recent = _recently_thanked(waiting, now)
    return sum(kudos_send_to(staff_id=staff_id, now=now) for staff_id in sorted(waiting - recent))


def _recently_thanked(staff_ids: set[int], now: datetime) -> set[int]:
    return set(
        Kudos.objects.filter(staff_id__in=staff_ids, status=Status.SENT, sent_at__gt=now - ONE_EMAIL_PER)
        .values_list("staff_id", flat=True)
        .distinct()
    )


@transaction.atomic
def kudos_send_to(*, staff_id: int, now: datetime | None = None) -> bool:
    """Queue one email with all of a staff member's waiting kudos, then mark them sent.

    The staff member's row is locked first, so two runs at once send one email, not two.
    """
    now = now or timezone.now()
    staff = StaffMember.objects.select_for_update(of=("self",)).select_related("business").filter(pk=staff_id).first()
    if staff is None or _recently_thanked({staff.pk}, now):
        return False
    waiting = list(Kudos.objects.filter(staff=staff, status=Status.PENDING).select_related("feedback"))
    # An answer edited since (a lower rating, someone else named) or a staff member who left: no note.
    still_due = [item for item in waiting if staff.active and _still_kudos(item)]
    dropped = [item.pk for item in waiting if item not in still_due]
    if dropped:
        Kudos.objects.filter(pk__in=dropped).update(status=Status.DROPPED)
    if not still_due:
        return False
    outbox_email_queue(
        key=f"kudos:{staff.pk}:{still_due[0].pk}", message=kudos_email(staff, still_due), business=staff.business
    )
    Kudos.objects.filter(pk__in=[item.pk for item in still_due]).update(status=Status.SENT, sent_at=now)
    return True


def _still_kudos(item: Kudos) -> bool:
    return item.feedback.staff_id == item.staff_id and item.feedback.rating >= HAPPY_RATING
