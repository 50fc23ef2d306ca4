"""Emails to customers, each built by the shared builder from its templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.mail import EmailMultiAlternatives

from config.emails import EmailMerge, email_from_content, message_id, render_email, unsubscribe_headers
from feedback.links import feedback_url, star_url, unsubscribe_url
from feedback.models import FeedbackRequest

STARS = [(5, "Excellent"), (4, "Good"), (3, "Okay"), (2, "Poor"), (1, "Very poor")]


def invitation_merge(*, reminder: bool = False) -> EmailMerge:
    """A merge for a batch of invitations (or reminders): see `invitation_email`."""
    return EmailMerge(_template(reminder))


def invitation_email(
    request: FeedbackRequest, *, reminder: bool = False, merge: EmailMerge | None = None
) -> EmailMultiAlternatives:
    """The invitation (or its one reminder): one question, five one-click star links, unsubscribe.

    Batches pass one `invitation_merge()` for all their requests: the templates then render once
    per business and staff member instead of once per customer.
    """
    business, staff = request.business, request.staff
    personal = {
        "first_name": request.customer.first_name,
        "feedback_url": feedback_url(request),
        "unsubscribe_url": unsubscribe_url(request),
    }

    def context(values: Mapping[str, str]) -> dict[str, Any]:
        return {
            "business": business,
            "staff": staff,
            "reminder": reminder,
            "first_name": values["first_name"],
            "feedback_url": values["feedback_url"],
            "star_links": [(rating, label, star_url(values["feedback_url"], rating)) for rating, label in STARS],
            "unsubscribe_url": values["unsubscribe_url"],
        }

    if merge is None:
        content = render_email(_template(reminder), context(personal))
    else:
        content = merge.render(shared_key=(business.pk, staff and staff.pk), context=context, personal=personal)
    headers = {
        **unsubscribe_headers(personal["unsubscribe_url"]),
        "Message-ID": message_id("feedback-request", request.pk, "reminder" if reminder else "invitation"),
    }
    message = email_from_content(
        content,
        to=[request.customer.email],
        headers=headers,
        reply_to=[business.email] if business.email else None,
    )
    # Echoed back by email providers' tracking webhooks (django-anymail), to find the request.
    message.metadata = {"feedback_request_id": str(request.pk)}
    return message


def _template(reminder: bool) -> str:
    return "feedback-reminder" if reminder else "feedback-invitation"
