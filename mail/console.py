"""Django's console email backend, with the Subject printed as a person reads it.

In development (`make run`, `EMAIL_URL=consolemail://`, the default) emails are printed to the
terminal. Django prints the message as it goes on the wire, where a subject with any non-ASCII
character ("Ana, how was your visit to Café Lumière?") is MIME-encoded (`=?utf-8?q?...?=`) and
folded over several lines. This backend prints the same message with the Subject decoded on one
line; everything else is left exactly as Django writes it.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header

from django.core.mail.backends import console

# The Subject field and its folded continuation lines, in the header block of the printed message.
_SUBJECT = re.compile(r"^Subject:[^\n]*(?:\n[ \t][^\n]*)*", re.MULTILINE | re.IGNORECASE)


def readable_subject(encoded: str) -> str:
    """A Subject field's value as written by its author: RFC 2047 words decoded, folding undone."""
    return str(make_header(decode_header(encoded))).replace("\r", "").replace("\n", "")


class EmailBackend(console.EmailBackend):
    def write_message(self, message) -> None:
        msg = message.message()
        charset = msg.get_charset().get_output_charset() if msg.get_charset() else "utf-8"
        printed = msg.as_bytes().decode(charset)
        if "Subject" in msg:
            header_block, separator, body = printed.partition("\n\n")
            subject = readable_subject(str(msg["Subject"]))
            header_block = _SUBJECT.sub(lambda _match: f"Subject: {subject}", header_block, count=1)
            printed = header_block + separator + body
        self.stream.write(f"{printed}\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")
