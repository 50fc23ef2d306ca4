"""Recording an invitation's (or a reminder's) send: its step's fields and its history row, together,
through the batch's `mail.send_record.SendRecorder`."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.utils import timezone

from feedback.models import FeedbackRequest, FeedbackRequestEvent
from mail.send_record import Finish, SendRecorder

Status = FeedbackRequest.Status


def mark_sent(recorder: SendRecorder, request: FeedbackRequest, claim: str, *, reminder: bool) -> Finish | None:
    """Record a send. Only the holder of the claim records the step, and only while the request is
    still in the state it was claimed in (the customer may have answered before their reminder);
    otherwise `ClaimLost` is raised, before the server has the message."""
    now = timezone.now()
    claimed_status = Status.SENT if reminder else Status.SENDING
    changes = _step(request, reminder, now)

    def orm() -> bool:
        rows = FeedbackRequest.objects.filter(pk=request.pk, claim=claim, status=claimed_status)
        if not rows.update(**changes):
            return False
        FeedbackRequestEvent.objects.create(request=request, status=changes["status"])
        return True

    params = [*changes.values(), request.pk, claim, claimed_status, now]
    return recorder.record(sql=_step_sql(tuple(changes)), params=params, orm=orm)


def _step(request: FeedbackRequest, reminder: bool, now: datetime) -> dict:
    if reminder:
        changes = {"status": Status.REMINDED, "reminded_at": now, "reminder_due_at": None}
    else:
        business = request.business
        changes = {
            "status": Status.SENT,
            "sent_at": now,
            "reminder_due_at": now + timedelta(days=business.reminder_delay_days),
            "expires_at": now + timedelta(days=business.link_lifetime_days),
        }
    return changes | {"lease_until": None, "claim": "", "last_error": ""}


@functools.cache
def _step_sql(columns: tuple[str, ...]) -> str:
    """The step's UPDATE, guarded by the claim, feeding the history row's INSERT: one statement."""
    requests, events = FeedbackRequest._meta, FeedbackRequestEvent._meta
    assignments = ", ".join(f"{requests.get_field(name).column} = %s" for name in columns)
    event_columns = ", ".join(events.get_field(name).column for name in ("request", "status", "note", "created_at"))
    # Table and column names come from the models; every value is a query parameter.
    return (
        f"WITH recorded AS (UPDATE {requests.db_table} SET {assignments}"  # noqa: S608
        " WHERE id = %s AND claim = %s AND status = %s RETURNING id, status)"
        f" INSERT INTO {events.db_table} ({event_columns}) SELECT id, status, '', %s FROM recorded"
    )
