"""Emails to customers (and the owners' notice of the daily limit), built by the shared builder."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMultiAlternatives
from django.utils import dateformat, translation
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.links import absolute_reverse
from feedback.links import feedback_url, star_url, unsubscribe_url
from feedback.models import FeedbackRequest
from mail.builder import EmailMerge, build_email, email_from_content, message_id, render_email, unsubscribe_headers

if TYPE_CHECKING:
    from businesses.models import Business
    from feedback.models import Idea

STARS = [(5, _("Excellent")), (4, _("Good")), (3, _("Okay")), (2, _("Poor")), (1, _("Very poor"))]


def invitation_merge(*, reminder: bool = False) -> EmailMerge:
    """A merge for a batch of invitations (or reminders): see `invitation_email`."""
    return EmailMerge(_template(reminder))


def invitation_email(
    request: FeedbackRequest, *, reminder: bool = False, merge: EmailMerge | None = None
) -> EmailMultiAlternatives:
    """The invitation (or its one reminder): one question, five one-click star links, unsubscribe.

    Batches pass one `invitation_merge()` for all their requests: the templates then render once
    per business, staff member and language instead of once per customer. It is written in the
    request's language (else the business's default).
    """
    language = request.customer_language
    with translation.override(language):
        return _invitation_email(request, reminder=reminder, merge=merge, language=language)


def _invitation_email(
    request: FeedbackRequest, *, reminder: bool, merge: EmailMerge | None, language: str
) -> EmailMultiAlternatives:
    business, staff = request.business, request.staff
    personal = {
        "first_name": request.customer.first_name,
        "visit_date": date_for_people(request.interaction_at, business),
        "feedback_url": feedback_url(request),
        "unsubscribe_url": unsubscribe_url(request),
    }

    def context(values: Mapping[str, str]) -> dict[str, Any]:
        return {
            "business": business,
            "staff": staff,
            "reminder": reminder,
            "first_name": values["first_name"],
            "visit_date": values["visit_date"],
            "feedback_url": values["feedback_url"],
            "star_links": [(rating, label, star_url(values["feedback_url"], rating)) for rating, label in STARS],
            "unsubscribe_url": values["unsubscribe_url"],
        }

    if merge is None:
        content = render_email(_template(reminder), context(personal))
    else:
        content = merge.render(
            shared_key=(business.pk, staff and staff.pk, language), context=context, personal=personal
        )
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


def date_for_people(moment: datetime, business: Business) -> str:
    """ "6 December 2026" (in German "6. Dezember 2026") in the business's time zone and the active language."""
    local = moment.astimezone(zoneinfo.ZoneInfo(business.timezone))
    return dateformat.format(local, gettext("j F Y"))


def _template(reminder: bool) -> str:
    return "feedback-reminder" if reminder else "feedback-invitation"


def daily_limit_reached_email(
    business: Business, *, to: str, first_name: str, limit: int, waiting: int, resumes_at: datetime
) -> EmailMultiAlternatives:
    """To an owner, in the business's default language: today's invitation emails reached the
    business's daily limit; the rest wait."""
    queued_url = absolute_reverse("admin:feedback_feedbackrequest_changelist") + "?status__exact=queued"
    with translation.override(business.default_language):
        context = {
            "business": business,
            "first_name": first_name,
            # Formatted once, so the plain-text and HTML parts show the same figures.
            "limit": number_format(limit, force_grouping=True),
            "waiting": number_format(waiting, force_grouping=True),
            "waiting_count": waiting,
            "resumes_on": dateformat.format(resumes_at, gettext("l j F Y")),
            "queued_url": queued_url,
        }
        return build_email(
            template="daily-limit-reached",
            context=context,
            to=[to],
            headers={"Message-ID": message_id("daily-limit", business.pk, resumes_at.date().isoformat(), to.lower())},
        )


def idea_done_email(idea: Idea) -> EmailMultiAlternatives:
    """To the customer whose idea the business carried out: their words, the business's note, unsubscribe."""
    feedback, business = idea.feedback, idea.business
    request = feedback.request
    context = {
        "business": business,
        "first_name": feedback.contact.first_name,
        "idea": feedback.improvement,
        "note": idea.note,
        "unsubscribe_url": unsubscribe_url(request),
    }
    return customer_email(template="idea-done", request=request, context=context, message_key=("idea-done", idea.pk))


def customer_email(
    *, template: str, request: FeedbackRequest, context: dict, message_key: tuple
) -> EmailMultiAlternatives:
    """An email to the customer of `request` about their answer: like every customer email it offers
    the one-click way out of further invitations, has a stable Message-ID, replies go to the business,
    and it is written in the request's language (else the business's default)."""
    business = request.business
    with translation.override(request.customer_language):
        return build_email(
            template=template,
            context=context,
            to=[request.customer.email],
            headers={**unsubscribe_headers(unsubscribe_url(request)), "Message-ID": message_id(*message_key)},
            reply_to=[business.email] if business.email else None,
        )
