"""Recording a send, in the instant between a message's last byte and its final "." (mail/smtp.py).

A sender killed after its record became permanent but before the "." loses that one message: the
server never takes it. So the record becomes permanent as late as it can. On PostgreSQL, the record
is first written in a transaction: a kill there rolls it back, and the message is retried. Then
its COMMIT is sent without waiting, the "." right after it, and only then is the COMMIT's answer
read. The gap that was a database round trip (0.3-0.5 ms, a third of a message's time once the
invitation pipeline got fast, and it lost messages in the SIGKILL test) shrinks to two writes.
If the COMMIT's answer is an error after the "." went out (the session was killed, the database
restarted), the record is written again on a new connection, which does nothing if the COMMIT had
landed. What remains: the database unreachable from that "." until the lease runs out; the message
then goes again.

Sending without waiting takes psycopg2's asynchronous mode, so a batch opens a connection of its
own for it. Elsewhere (SQLite in development; inside a transaction, as in tests, where another
connection would not see the rows) a record is an ORM write, made before the ".".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

Finish = Callable[[], None]


class ClaimLost(Exception):
    """What was claimed is no longer this sender's to send (its lease ran out and another sender
    took it, or its state moved on): the message must not go."""


class SendRecorder:
    """Records the sends of one batch; see the module's docstring."""

    def __init__(self) -> None:
        self.connection = self.cursor = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.params = connection.get_connection_params()
            self.params.pop("cursor_factory", None)  # Django's, for its own connections
            self._connect()

    def _connect(self) -> None:
        import psycopg2

        self.connection = psycopg2.connect(**self.params, async_=True)
        self._wait()
        # Kept: an asynchronous query fails if its cursor is collected before its answer is read.
        self.cursor = self.connection.cursor()

    def record(self, *, sql: str, params: list, orm: Callable[[], bool]) -> Finish | None:
        """Record one send: `sql` (PostgreSQL) or `orm()` (elsewhere) must change exactly one row,
        and say so (`orm()` returns whether it did); otherwise `ClaimLost` is raised and nothing is
        kept. Returns what completes the record, to be called once the "." is written."""
        if self.cursor is None:
            with transaction.atomic():
                if not orm():
                    raise ClaimLost
            return None
        self._run(f"BEGIN; {sql}", params)  # one round trip
        if self.cursor.rowcount != 1:
            self._run("ROLLBACK")
            raise ClaimLost
        self.cursor.execute("COMMIT")  # on its way; the caller writes the "." and then calls finish
        return lambda: self._confirm(sql, params)

    def _confirm(self, sql: str, params: list) -> None:
        """Read the COMMIT's answer. If the connection died meanwhile (the database restarted, or
        the session was killed), the COMMIT may have been lost while the "." went out: record again
        on a new connection, on its own. It changes nothing if the COMMIT had landed (the claim is
        cleared or the state moved on); if that too fails, the error propagates and the lease
        decides (the message may then go twice: the one window left)."""
        import psycopg2

        try:
            self._wait()
        except psycopg2.OperationalError:
            self.close()
            self._connect()
            self._run(sql, params)

    def _run(self, sql: str, params: list | None = None) -> None:
        self.cursor.execute(sql, params)
        self._wait()

    def _wait(self) -> None:
        from psycopg2.extras import wait_select

        wait_select(self.connection)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


@contextmanager
def send_recorder() -> Iterator[SendRecorder]:
    """The recorder for one batch of sends, closed with it."""
    recorder = SendRecorder()
    try:
        yield recorder
    finally:
        recorder.close()
