"""`message_bytes` writes what Django's own builder writes, for every message of our shape.

The strongest check is equivalence: for generated and hand-picked messages, our bytes and Django's
(`message().as_bytes(linesep="\\r\\n")`, ended with CRLF as smtplib ends it) are the same once the
random boundary is set aside and Date and Message-ID are pinned, and they parse to the same headers
and parts (generated Date and Message-ID are checked on their own). Messages Django refuses (a
newline in a header, an address it cannot parse) are refused with the same error.
"""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import BadHeaderError, EmailMessage, EmailMultiAlternatives
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.mime import message_bytes
from mail.smtp import EmailBackend

FIXED_DATE = "Thu, 01 Jan 2026 09:00:00 -0000"
FIXED_MESSAGE_ID = "<fixed.1@raves.example>"
BOUNDARY = re.compile(rb"={15}\d{19}==(\.\d+)?")
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- generated messages -------------------------------------------------------------------------

# Python's str.splitlines also breaks at these: Django's long-line test sees two short lines where
# the bytes hold one long one, and we deliberately differ (see the U+2028 test below).
UNICODE_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
any_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
body_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters=UNICODE_LINE_BREAKS))
# Printable ASCII around the 78-character fold, with runs of spaces, tabs and split characters.
ascii_header_text = st.text(st.sampled_from("ab ,;\t=?\"'<>:@."), min_size=55, max_size=110)
long_lines = st.builds(str.__mul__, st.sampled_from(["a", "é", "€ ", "=", " ", "a\t"]), st.integers(480, 1100))
body_lines = st.one_of(
    body_text,
    long_lines,
    st.sampled_from([".", "..", ".hidden", "From here", "From ", "-- ", "--==============="]),
)
bodies = st.lists(st.tuples(body_lines, st.sampled_from(["\n", "\r\n", "\r", ""])), max_size=6).map(
    lambda lines: "".join(line + end for line, end in lines)
)
names = st.one_of(
    st.sampled_from(["", "Anna Müller", 'Pat "Paddy" O\'Brien', "Smith, John", "山田 太郎", "A" * 90]),
    any_text,
)
mailboxes = st.sampled_from(["anna@example.com", "pat.o-brien+tag@mail.example.org", "owner@bücher.example"])
addresses = st.one_of(
    mailboxes,
    st.builds(lambda name, mailbox: f"{name} <{mailbox}>", names, mailboxes),
    st.builds(lambda name, mailbox: f'"{name}" <{mailbox}>', names, mailboxes),
)
subjects = st.one_of(any_text, ascii_header_text, st.text(max_size=300))
header_values = st.one_of(
    any_text,
    ascii_header_text,
    st.builds(lambda n: "<https://raves.example/unsubscribe/" + "t" * n + ">", st.integers(0, 200)),
    st.sampled_from(["List-Unsubscribe=One-Click", FIXED_DATE, "<given.7@raves.example>", ""]),
)
header_names = st.sampled_from(
    ["List-Unsubscribe", "List-Unsubscribe-Post", "X-Campaign", "Message-ID", "date", "From", "To", "Cc", "Reply-To"]
    + ["reply-to", "to", "Subject"]
)


@st.composite
def messages(draw: st.DrawFn) -> EmailMessage:
    alternatives = draw(st.lists(bodies, max_size=2))
    kind = EmailMultiAlternatives if alternatives or draw(st.booleans()) else EmailMessage
    message = kind(
        subject=draw(subjects),
        body=draw(bodies),
        from_email=draw(addresses),
        to=draw(st.lists(addresses, max_size=3)),
        cc=draw(st.lists(addresses, max_size=2)),
        reply_to=draw(st.lists(addresses, max_size=2)),
        headers=draw(st.dictionaries(header_names, header_values, max_size=4)),
    )
    message.content_subtype = draw(st.sampled_from(["plain", "html"]))
    for html in alternatives:
        message.attach_alternative(html, "text/html")
    return message


# -- hand-picked messages -----------------------------------------------------------------------

LIST_UNSUBSCRIBE = "<https://raves.example/unsubscribe/" + "x" * 70 + ">"


def invitation() -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        "Anna, how was your visit to Café Müller today? ☕",
        "Hi Anna,\n\nTell us how it went: https://raves.example/r/abc\n",
        "Café Müller <hello@raves.example>",
        ["Anna Müller <anna@example.com>"],
        reply_to=["owner@cafe.example"],
        headers={
            "List-Unsubscribe": LIST_UNSUBSCRIBE,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": "<feedback-request.42.invitation@raves.example>",
        },
    )
    message.attach_alternative("<p>Hi Anna,</p>\n<p><a href='https://raves.example/r/abc'>Tell us</a></p>", "text/html")
    return message


def with_alternative(body: str, html: str = "<p>Hello</p>", **kwargs) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(body=body, **{"to": ["to@example.com"], **kwargs})
    message.attach_alternative(html, "text/html")
    return message


HAND_PICKED: dict[str, Callable[[], EmailMessage]] = {
    "invitation": invitation,
    "plain only": lambda: EmailMessage("Hello", "Body", "from@example.com", ["to@example.com"]),
    "empty subject and body": lambda: EmailMessage("", "", "from@example.com", ["to@example.com"]),
    "html body": lambda: EmailMessage("Hi", "<p>Hi</p>", to=["to@example.com"]),
    "empty body with html": lambda: with_alternative(""),
    "two alternatives": lambda: EmailMultiAlternatives(
        "S", "text", to=["a@example.com"], alternatives=[("<p>1</p>", "text/html"), ("<p>2</p>", "text/html")]
    ),
    "long unicode subject": lambda: with_alternative("b", subject="Überraschung für dich, ünd noch mehr " * 8),
    "long ascii subject": lambda: with_alternative("b", subject="A subject with many words in it " * 6),
    "unbroken long subject": lambda: with_alternative("b", subject="x" * 200),
    "subject of 69 and 70": lambda: with_alternative("b", subject="s" * 69, headers={"X-Seventy": "v" * 70}),
    # Django folds a Subject of over 78 characters once without its name, then again with it.
    "subject of 78 words": lambda: with_alternative("b", subject="word " * 15 + "end"),
    "subject of 79 words": lambda: with_alternative("b", subject="word " * 15 + "ends"),
    "names with quotes and commas": lambda: with_alternative(
        "b",
        from_email='"Smith, John" <john@example.com>',
        to=['Zoë "Zee" Müller <zoe@example.com>', '"Smith, Jane" <jane@example.com>', "山田 <yamada@example.jp>"],
        cc=["O'Brien <ob@example.com>", "cc@bücher.example"],
        reply_to=["Reply Person <reply@example.com>", "second@example.com"],
    ),
    "extra headers override": lambda: with_alternative(
        "b",
        headers={
            "From": "Override <override@example.com>",
            "To": "Shown <shown@example.com>",
            "Cc": "Shown Cc <cc@example.com>",
            "Reply-To": "Shown Reply <reply@example.com>",
            "to": "dropped@example.com",
            "Date": FIXED_DATE,
            "X-Mailer": "Raves",
        },
    ),
    "list-unsubscribe and message-id": lambda: with_alternative(
        "b", headers={"List-Unsubscribe": LIST_UNSUBSCRIBE, "Message-ID": "<given@raves.example>"}
    ),
    "lines of 998 and 999 bytes": lambda: EmailMessage(body="a" * 998 + "\n" + "b" * 999, to=["t@example.com"]),
    "a 998-byte line of unicode": lambda: EmailMessage(body="é" * 499, to=["t@example.com"]),
    "long unicode lines": lambda: with_alternative("€ " * 600 + "\nshort\n", "<p>" + "é" * 1000 + "</p>"),
    "crlf, lone cr, lone lf": lambda: with_alternative("one\r\ntwo\rthree\nfour\r\n\r\r\n", "<p>a</p>\r<p>b</p>\n"),
    "dots and from": lambda: with_alternative(".\n..\n.hidden\nFrom here\n>From there\n", ".\n<p>.</p>\nFrom x"),
    "trailing spaces": lambda: with_alternative("line   \n\t\n  ", subject="  spaced   subject  "),
}


# -- helpers ------------------------------------------------------------------------------------


def as_sent(raw: bytes) -> bytes:
    """What smtplib writes for `raw`: a message that does not end with CRLF gets one."""
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


def outcome(build: Callable[[], bytes]) -> bytes | type[Exception]:
    try:
        return BOUNDARY.sub(b"BOUNDARY", as_sent(build()))
    except (ValueError, UnicodeError) as error:  # BadHeaderError and address errors are ValueErrors
        return type(error)


@contextmanager
def fixed_date_and_message_id() -> Iterator[None]:
    with ExitStack() as stack:
        for module in ("django.core.mail.message", "mail.mime"):
            stack.enter_context(mock.patch(f"{module}.formatdate", return_value=FIXED_DATE))
            stack.enter_context(mock.patch(f"{module}.make_msgid", return_value=FIXED_MESSAGE_ID))
        yield


def assert_same_bytes(message: EmailMessage) -> None:
    with fixed_date_and_message_id():
        ours = outcome(lambda: message_bytes(message))
        django = outcome(lambda: message.message().as_bytes(linesep="\r\n"))
    assert ours == django


def decoded(name: str, value: str) -> str:
    try:
        return str(email.policy.default.header_factory(name, value))
    except Exception:  # the stdlib's structured parsers crash on some odd values (IndexError, AttributeError)
        return value


def meaning(raw: bytes) -> dict:
    """What a reader sees: headers decoded (Content-Type apart, boundary aside), each part's type,
    charset and decoded content."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [(name, decoded(name, value)) for name, value in parsed.raw_items() if name.lower() != "content-type"]
    parts = list(parsed.iter_parts()) if parsed.is_multipart() else [parsed]
    return {
        "type": parsed.get_content_type(),
        "headers": headers,
        "parts": [(part.get_content_type(), part.get_content_charset(), part.get_content()) for part in parts],
    }


def assert_same_meaning(message: EmailMessage) -> None:
    # Date and Message-ID pinned: a header Django folds at an odd line break (U+001E, say) can end
    # the header block early and push them into the body, where they must match too.
    with fixed_date_and_message_id():
        try:
            django = as_sent(message.message().as_bytes(linesep="\r\n"))
        except (ValueError, UnicodeError) as error:
            with pytest.raises(type(error)):
                message_bytes(message)
            return
        assert meaning(message_bytes(message)) == meaning(django)


def assert_well_formed_lines(raw: bytes) -> None:
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\r") == raw.count(b"\n") == raw.count(b"\r\n")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


# -- equivalence --------------------------------------------------------------------------------


@PROPERTY
@given(messages())
def test_it_writes_the_bytes_django_writes(message):
    assert_same_bytes(message)


@PROPERTY
@given(messages())
def test_it_means_what_django_means(message):
    assert_same_meaning(message)


@pytest.mark.parametrize("build", HAND_PICKED.values(), ids=HAND_PICKED.keys())
def test_hand_picked_messages_are_written_as_django_writes_them(build):
    assert_same_bytes(build())
    assert_same_meaning(build())
    assert_well_formed_lines(message_bytes(build()))


def test_the_generated_date_and_message_id_are_djangos():
    message = with_alternative("b")
    parsed = email.message_from_bytes(message_bytes(message), policy=email.policy.default)
    django = email.message_from_bytes(message.message().as_bytes(linesep="\r\n"), policy=email.policy.default)
    assert abs((parsed["Date"].datetime - django["Date"].datetime).total_seconds()) < 60
    assert parsed["Message-ID"] != django["Message-ID"]
    assert parsed["Message-ID"].split("@")[1] == django["Message-ID"].split("@")[1]


# -- what the bytes look like -------------------------------------------------------------------


@PROPERTY
@given(messages())
def test_every_line_ends_with_crlf_and_none_is_over_998_bytes(message):
    # Header values here hold no unbreakable token near 998 characters, which no folding could fix.
    try:
        raw = message_bytes(message)
    except (ValueError, UnicodeError):
        return
    assert_well_formed_lines(raw)


def test_a_long_line_split_only_by_a_unicode_line_separator_is_still_quoted_printable():
    # Django's test (str.splitlines) sees two short lines and sends 8bit with one 1,201-byte line.
    message = EmailMessage(body="a" * 600 + "\u2028" + "b" * 600, to=["t@example.com"])
    raw = message_bytes(message)
    assert b"Content-Transfer-Encoding: quoted-printable\r\n" in raw
    assert_well_formed_lines(raw)
    django = as_sent(message.message().as_bytes(linesep="\r\n"))
    assert meaning(raw)["parts"] == meaning(django)["parts"]


def test_the_boundary_is_drawn_again_when_a_part_contains_it():
    message = with_alternative("--===============0000000000000000001==\n")
    with mock.patch("mail.mime.random.randrange", side_effect=[1, 2]):
        raw = message_bytes(message)
    assert b'boundary="===============0000000000000000002=="' in raw
    assert raw.count(b"===============0000000000000000001==") == 1


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        EmailMessage("Hello\nBcc: victim@example.com", "b", to=["to@example.com"]),
        EmailMessage("Hello", "b", to=["to@example.com"], headers={"X-Tag": "a\r\nBcc: victim@example.com"}),
        EmailMessage("Hello", "b", to=["to@example.com"], headers={"Reply-To": "a@example.com\nBcc: v@example.com"}),
    ],
    ids=["subject", "extra header", "reply-to"],
)
def test_a_header_with_a_newline_is_refused(message):
    with pytest.raises(BadHeaderError):
        message_bytes(message)


def _with_attachment() -> EmailMessage:
    message = with_alternative("b")
    message.attach("notes.txt", "hello", "text/plain")
    return message


def _with_encoding(encoding: str) -> EmailMessage:
    message = EmailMessage("S", "b", to=["to@example.com"])
    message.encoding = encoding
    return message


class _Custom(EmailMultiAlternatives):
    pass


class _Xml(EmailMessage):
    content_subtype = "xml"


UNHANDLED: dict[str, Callable[[], EmailMessage]] = {
    "attachment": _with_attachment,
    "image alternative": lambda: EmailMultiAlternatives("S", "b", alternatives=[(b"\x89PNG", "image/png")]),
    "plain alternative": lambda: EmailMultiAlternatives("S", "b", alternatives=[("text", "text/plain")]),
    "latin-1": lambda: _with_encoding("iso-8859-1"),
    "UTF-8 spelled otherwise": lambda: _with_encoding("UTF-8"),
    "xml body": lambda: _Xml("S", "<a/>"),
    "subclass": lambda: _Custom("S", "b", to=["t@example.com"]),
    "bytes body": lambda: EmailMessage("S", b"bytes", to=["t@example.com"]),
    "mime header in extras": lambda: EmailMessage("S", "b", headers={"Content-Type": "text/calendar"}),
    "odd header name": lambda: EmailMessage("S", "b", headers={"X Bad: name": "v"}),
}


@pytest.mark.parametrize("build", UNHANDLED.values(), ids=UNHANDLED.keys())
def test_other_shapes_are_left_to_django(build):
    assert message_bytes(build()) is None


# -- through the SMTP backend -------------------------------------------------------------------


class Handler:
    def __init__(self, answer: str) -> None:
        self.answer, self.received = answer, []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return self.answer


@pytest.fixture
def smtp_server():
    controllers = []

    def start(answer: str = "250 OK", **backend_options) -> tuple[Handler, EmailBackend]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        handler = Handler(answer)
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler, EmailBackend(host="127.0.0.1", port=port, timeout=5, **backend_options)

    yield start
    for controller in controllers:
        controller.stop()


def _parsed(content: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(content, policy=email.policy.default)


def test_a_message_sent_through_the_backend_arrives_with_its_subject_text_and_html(smtp_server):
    handler, backend = smtp_server()
    message = invitation()
    message.bcc = ["hidden@example.com"]
    written = []
    with mock.patch("mail.smtp.message_bytes", side_effect=lambda m: written.append(message_bytes(m)) or written[-1]):
        assert backend.send_messages([message]) == 1
    received = handler.received[0]
    assert received.content == written[0]
    assert received.rcpt_tos == ["anna@example.com", "hidden@example.com"]
    parsed = _parsed(received.content)
    text, html = parsed.iter_parts()
    # As in Django's bytes, the encoded subject is too long for the "Subject:" line and starts on the
    # next; the parser keeps that fold's space.
    assert parsed["Subject"].lstrip() == message.subject
    assert text.get_content().replace("\r\n", "\n") == message.body
    assert html.get_content().replace("\r\n", "\n") == message.alternatives[0].content
    assert "hidden@example.com" not in received.content.decode()


def test_a_message_of_another_shape_is_sent_by_djangos_builder(smtp_server):
    handler, backend = smtp_server()
    assert backend.send_messages([_with_attachment()]) == 1
    attachment = next(_parsed(handler.received[0].content).iter_attachments())
    assert attachment.get_filename() == "notes.txt"
    assert attachment.get_content() == "hello"


def test_a_message_without_recipients_is_not_sent(smtp_server):
    handler, backend = smtp_server()
    with backend:
        assert backend.send_messages([EmailMessage("S", "b", "from@example.com", [])]) == 0
    assert handler.received == []


def test_a_refused_message_raises_unless_failing_silently(smtp_server):
    _, backend = smtp_server("554 5.7.1 Rejected")
    with pytest.raises(smtplib.SMTPDataError):
        backend.send_messages([invitation()])
    _, quiet_backend = smtp_server("554 5.7.1 Rejected", fail_silently=True)
    assert quiet_backend.send_messages([invitation()]) == 0
