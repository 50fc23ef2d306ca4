"""Recording a send, in the instant between a message's last byte and its final "." (config/smtp.py).

A sender killed after its record became permanent but before the "." loses that one message: the
server never takes it. So the record becomes permanent as late as it can. On PostgreSQL, the step
is first written in a transaction: a kill there rolls it back, and the message is retried. Then
its COMMIT is sent without waiting, the "." right after it, and only then is the COMMIT's answer
read. The gap that was a database round trip (0.3-0.5 ms, a third of a message's time once the
pipeline got fast, and it lost messages in the SIGKILL test) shrinks to two consecutive writes.

Sending without waiting takes psycopg2's asynchronous mode, so a batch opens a connection of its
own for it. Other databases (SQLite in development) record with the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Protocol

from django.db import connection, transaction
from django.utils import timezone

from feedback.models import FeedbackRequest, FeedbackRequestEvent

Status = FeedbackRequest.Status
Finish = Callable[[], None]


class ClaimLost(Exception):
    """The request is no longer this sender's to send: its lease ran out and another sender took it,
    or (for a reminder) the customer answered meanwhile."""


class SendRecorder(Protocol):
    def mark_sent(self, request: FeedbackRequest, claim: str, *, reminder: bool) -> Finish | None:
        """Record a send: the step's fields and its history row, committed together.

        Only the holder of the claim records the step, and only while the request is still in the
        state it was claimed in; otherwise `ClaimLost` is raised, before the server has the message.
        May return what completes the record, to be called once the "." is written.
        """


@contextmanager
def send_recorder() -> Iterator[SendRecorder]:
    """The recorder for one batch of sends. Inside a transaction (tests), the ORM's: a connection of
    its own would not see the transaction's rows."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield _OrmRecorder()
        return
    recorder = _PostgresRecorder()
    try:
        yield recorder
    finally:
        recorder.close()


def _step(request: FeedbackRequest, reminder: bool) -> tuple[str, dict]:
    """(the status the request must still be in, the fields that record the step)."""
    now = timezone.now()
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
    return (Status.SENT if reminder else Status.SENDING), changes | {"lease_until": None, "claim": "", "last_error": ""}


class _OrmRecorder:
    def mark_sent(self, request: FeedbackRequest, claim: str, *, reminder: bool) -> None:
        claimed_status, changes = _step(request, reminder)
        with transaction.atomic():
            rows = FeedbackRequest.objects.filter(pk=request.pk, claim=claim, status=claimed_status)
            if not rows.update(**changes):
                raise ClaimLost(request.pk)
            FeedbackRequestEvent.objects.create(request=request, status=changes["status"])


class _PostgresRecorder:
    """A psycopg2 connection in asynchronous mode, used for nothing but recording sends."""

    def __init__(self) -> None:
        import psycopg2

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)  # Django's, for its own connections
        self.connection = psycopg2.connect(**params, async_=True)
        self._wait()
        # Kept: an asynchronous query fails if its cursor is collected before its answer is read.
        self.cursor = self.connection.cursor()

    def mark_sent(self, request: FeedbackRequest, claim: str, *, reminder: bool) -> Finish:
        claimed_status, changes = _step(request, reminder)
        parameters = [*changes.values(), request.pk, claim, claimed_status, timezone.now()]
        self._run(f"BEGIN; {_step_sql(tuple(changes))}", parameters)  # one round trip
        if self.cursor.rowcount != 1:
            self._run("ROLLBACK")
            raise ClaimLost(request.pk)
        self.cursor.execute("COMMIT")  # on its way; the caller writes the "." and then calls _wait
        return self._wait

    def _run(self, sql: str, parameters: list | None = None) -> None:
        self.cursor.execute(sql, parameters)
        self._wait()

    def _wait(self) -> None:
        from psycopg2.extras import wait_select

        wait_select(self.connection)

    def close(self) -> None:
        self.connection.close()


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
