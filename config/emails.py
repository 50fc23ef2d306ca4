"""The one email builder: subject, plain text and HTML from named templates.

`templates/emails/<name>-subject.txt`, `<name>-body.txt` and `<name>-body.html` (which extends
`emails/base.html`). Links inside are absolute, built on SITE_URL by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def build_email(
    *,
    template: str,
    context: Mapping[str, Any],
    to: list[str],
    headers: Mapping[str, str] | None = None,
    reply_to: list[str] | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to or None,
        headers=dict(headers or {}),
    )
    message.attach_alternative(html, "text/html")
    return message


def message_id(*parts: object) -> str:
    """A stable Message-ID for one logical email (the same parts give the same id)."""
    local = ".".join(str(part) for part in parts)
    return f"<{local}@{site_domain()}>"


def random_message_id() -> str:
    return make_msgid(domain=site_domain())


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: exactly one URL, and the one-click POST marker."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
