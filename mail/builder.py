"""The one email builder: subject, plain text and HTML from named templates.

`templates/emails/<name>-subject.txt`, `<name>-body.txt` and `<name>-body.html` (which extends
`emails/base.html`). Links inside are absolute, built on SITE_URL by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.html import escape


@dataclass(frozen=True)
class EmailContent:
    """An email's rendered subject (one line), plain text and HTML."""

    subject: str
    text: str
    html: str


def render_email(template: str, context: Mapping[str, Any]) -> EmailContent:
    return EmailContent(
        subject=" ".join(render_to_string(f"emails/{template}-subject.txt", context).split()),
        text=render_to_string(f"emails/{template}-body.txt", context),
        html=render_to_string(f"emails/{template}-body.html", context),
    )


def build_email(
    *,
    template: str,
    context: Mapping[str, Any],
    to: list[str],
    headers: Mapping[str, str] | None = None,
    reply_to: list[str] | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    return email_from_content(
        render_email(template, context), to=to, headers=headers, reply_to=reply_to, from_email=from_email
    )


def email_from_content(
    content: EmailContent,
    *,
    to: list[str],
    headers: Mapping[str, str] | None = None,
    reply_to: list[str] | None = None,
    from_email: str | None = None,
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to or None,
        headers=dict(headers or {}),
    )
    message.attach_alternative(content.html, "text/html")
    return message


# A placeholder cannot collide with stored text: PostgreSQL refuses NUL in strings, and forms and
# serializers reject it.
_PLACEHOLDER = re.compile("\x00([a-z_]+)\x00")


class EmailMerge:
    """One email for many recipients: each distinct shared context renders once, then each
    recipient's personal values are filled in (for the invitations, ~20x cheaper than rendering).

    `context(personal)` builds the template context from the personal values, so the same function
    serves a merge and a direct render (`render_email(template, context(personal))`), and values
    derived from a personal one (a link with a query string) follow it. The templates receive
    placeholders for non-empty personal values: they may print them (`{{ first_name }}`) and test
    whether they are empty (`{% if first_name %}`, `|default:`), nothing else. `shared_key` names
    everything else the context holds (business, staff member, …): two recipients with the same key
    must differ only in their personal values.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self._rendered: dict[Hashable, EmailContent] = {}

    def render(
        self,
        *,
        shared_key: Hashable,
        context: Callable[[Mapping[str, str]], Mapping[str, Any]],
        personal: Mapping[str, str],
    ) -> EmailContent:
        empty = frozenset(name for name, value in personal.items() if not value)
        key = (shared_key, empty)
        if key not in self._rendered:
            placeholders = {name: "" if name in empty else f"\x00{name}\x00" for name in personal}
            self._rendered[key] = render_email(self.template, context(placeholders))
        return _filled(self._rendered[key], personal)


def _filled(content: EmailContent, personal: Mapping[str, str]) -> EmailContent:
    def plain(match: re.Match) -> str:
        return personal[match[1]]

    def html(match: re.Match) -> str:
        return escape(personal[match[1]])

    # The subject is one line: a value with a line break or a run of spaces is flattened like it.
    subject = " ".join(_PLACEHOLDER.sub(plain, content.subject).split())
    return EmailContent(subject, _PLACEHOLDER.sub(plain, content.text), _PLACEHOLDER.sub(html, content.html))


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
