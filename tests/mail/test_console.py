"""In development, emails printed to the terminal show their subject as written, not MIME-encoded."""

from __future__ import annotations

import io

from django.core.mail import EmailMultiAlternatives

from mail.console import EmailBackend, readable_subject
from tests.test_settings import run_django

SUBJECT = "Ana, how was your visit to Café Lumière? — we’d love to hear, every word of it, good or bad"


def printed(message: EmailMultiAlternatives) -> str:
    stream = io.StringIO()
    EmailBackend(stream=stream).send_messages([message])
    return stream.getvalue()


def test_the_subject_is_printed_decoded_on_one_line():
    message = EmailMultiAlternatives(SUBJECT, "Hi Ana,\n\nSubject: not a header, the body.\n", to=["ana@example.com"])
    message.attach_alternative("<p>Hi Ana,</p>", "text/html")

    output = printed(message)

    headers, _, body = output.partition("\n\n")
    assert f"\nSubject: {SUBJECT}\n" in f"\n{headers}\n"
    assert "=?utf-8?" not in headers.split("Subject:")[1].split("\n")[0]
    assert "To: ana@example.com" in headers
    assert "Subject: not a header, the body." in output  # the body is left as written
    assert output.rstrip().endswith("-" * 79)


def test_an_ascii_subject_and_the_rest_of_the_message_are_printed_as_django_prints_them():
    message = EmailMultiAlternatives("Your weekly wins", "Body text", to=["maya@example.com"])
    django_stream = io.StringIO()
    from django.core.mail.backends.console import EmailBackend as DjangoConsole

    DjangoConsole(stream=django_stream).send_messages([message])

    ours = printed(message)

    # Message-ID and Date differ between two renderings; every other line is the same.
    def stable(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith(("Message-ID:", "Date:"))]

    assert stable(ours) == stable(django_stream.getvalue())


def test_readable_subject_decodes_encoded_words_and_unfolds():
    assert readable_subject("=?utf-8?q?Caf=C3=A9?=\n =?utf-8?q?_Lumi=C3=A8re?=") == "Café Lumière"
    assert readable_subject("Plain") == "Plain"


def test_the_default_email_url_selects_it():
    result = run_django(
        "-c",
        "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)",
        DEBUG="true",
    )
    assert result.stdout.strip().splitlines()[-1] == "mail.console.EmailBackend"
