"""SMTP sending that records a send at the one moment that makes a crash harmless.

An SMTP server takes a message when the client writes the lone "." that ends it. A worker killed
between the server taking a message and the database recording it would send it again once its
lease runs out; a worker killed after recording but before the "." was written leaves a message
the server never takes. So our connection writes the whole message except that final line,
records the send, then writes the ".". The record may end in a commit sent just before the "."
and confirmed after it (mail/send_record.py): the only gap left is between two
writes. If the recording fails, the connection is dropped before the ".", and the server
discards the message. If the server then refuses the message, the caller undoes the record.

`EMAIL_URL=smtp://…` selects this backend (see settings); other backends send, then record.
"""

from __future__ import annotations

import functools
import re
import smtplib
import socket
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import sanitize_address

from mail.mime import message_bytes


class _RecordingMixin:
    """`smtplib.SMTP.data`, with `on_transmitted()` called just before the message's final ".".

    `on_transmitted` may return a callable: it runs once the "." is written, to finish the record
    (a commit already on its way to the database, say) while the server answers.
    """

    on_transmitted: Callable[[], Callable[[], None] | None] | None = None

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, timeout)
        # The final "." is a tiny write right after the body: with Nagle's algorithm on, the kernel
        # holds it until the server acknowledges the body, which a delayed ACK puts off by ~40 ms,
        # for every message.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def data(self, msg):
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")
        payload = smtplib._quote_periods(msg)
        if payload[-2:] != b"\r\n":
            payload += b"\r\n"
        self.send(payload)
        finish = None
        if self.on_transmitted is not None:
            try:
                finish = self.on_transmitted()
            except BaseException:
                self.close()  # without the final ".", the server drops the message
                raise
        self.send(b".\r\n")
        try:
            return self.getreply()
        finally:
            if finish is not None:
                finish()


class RecordingSMTP(_RecordingMixin, smtplib.SMTP):
    pass


class RecordingSMTP_SSL(_RecordingMixin, smtplib.SMTP_SSL):  # noqa: N801 (smtplib's own naming)
    pass


# A bare ASCII address of dot-atoms (RFC 5322), which Django's sanitize_address returns unchanged.
_BARE_ADDRESS = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*@[\w-]+(?:\.[\w-]+)*\Z", re.ASCII)


def envelope_address(address: str, encoding: str) -> str:
    """Django's `sanitize_address`, without its cost where the answer is known.

    It parses every address with the email package (~40 µs, twice per message): a bare address
    (every customer's) is returned as it is, and the sender, the same for every message, is cached.
    """
    return address if _BARE_ADDRESS.match(address) else _sanitized(address, encoding)


@functools.lru_cache(maxsize=64)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend on a connection that can record a send before the server's answer,
    writing our common message shape with `mail.mime` (Django's builder costs ~0.3 ms a message)."""

    @property
    def connection_class(self):
        return RecordingSMTP_SSL if self.use_ssl else RecordingSMTP

    def _send(self, email_message: EmailMessage) -> bool:
        """Django's `_send`, with the bytes from `message_bytes` when it handles the message."""
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = envelope_address(email_message.from_email, encoding)
        recipients = [envelope_address(address, encoding) for address in email_message.recipients()]
        raw = message_bytes(email_message)
        if raw is None:
            raw = email_message.message().as_bytes(linesep="\r\n")
        try:
            self.connection.sendmail(from_email, recipients, raw)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


def send_and_record(
    backend: BaseEmailBackend,
    message: EmailMessage,
    *,
    record: Callable[[], Callable[[], None] | None],
    undo: Callable[[], None],
) -> None:
    """Send `message` on an open `backend`, calling `record()` once it is handed over.

    On our SMTP connection `record()` runs just before the message's final "."; the callable it
    may return runs right after that "." (see `_RecordingMixin`). Other backends send, then record.
    When `record()` fails, the message is dropped and the backend reconnected for the next one. When
    sending fails after `record()` ran (the server refused the message it had taken), `undo()` runs
    before the error propagates; not when completing the record failed after the "." (the database
    connection died): the record may have landed, and undoing it would repeat the message.
    """
    recorded = record_failed = unconfirmed = False

    def once() -> Callable[[], None] | None:
        nonlocal recorded, record_failed
        if recorded:
            return None
        try:
            finish = record()
        except BaseException:
            record_failed = True
            raise
        recorded = True
        return None if finish is None else confirmed(finish)

    def confirmed(finish: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            nonlocal unconfirmed
            try:
                finish()
            except BaseException:
                # The "." went, and the record's COMMIT may or may not have landed: undoing it would
                # send the message again for sure. Left as it is, the lease decides.
                unconfirmed = True
                raise

        return run

    connection = getattr(backend, "connection", None)
    try:
        if isinstance(connection, _RecordingMixin):
            connection.on_transmitted = once
            try:
                backend.send_messages([message])
            except Exception:
                if record_failed:  # the message was dropped with the connection: open a new one
                    backend.close()
                    backend.open()
                raise
            finally:
                connection.on_transmitted = None
        else:
            backend.send_messages([message])
        if (finish := once()) is not None:  # a backend that cannot record mid-message
            finish()
    except Exception:
        if recorded and not unconfirmed:
            undo()
        raise
