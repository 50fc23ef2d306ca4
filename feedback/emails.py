"""Emails to customers, each built by the shared builder from its templates."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives

from config.emails import build_email, message_id, unsubscribe_headers
from feedback.links import feedback_url, star_url, unsubscribe_url
from feedback.models import FeedbackRequest

STARS = [(5, "Excellent"), (4, "Good"), (3, "Okay"), (2, "Poor"), (1, "Very poor")]


def invitation_email(request: FeedbackRequest, *, reminder: bool = False) -> EmailMultiAlternatives:
    """The invitation (or its one reminder): one question, five one-click star links, unsubscribe."""
    business = request.business
    unsubscribe = unsubscribe_url(request)
    link = feedback_url(request)
    context = {
        "request": request,
        "business": business,
        "customer": request.customer,
        "first_name": request.customer.first_name,
        "staff": request.staff,
        "reminder": reminder,
        "feedback_url": link,
        "star_links": [(rating, label, star_url(link, rating)) for rating, label in STARS],
        "unsubscribe_url": unsubscribe,
    }
    headers = {
        **unsubscribe_headers(unsubscribe),
        "Message-ID": message_id("feedback-request", request.pk, "reminder" if reminder else "invitation"),
    }
    message = build_email(
        template="feedback-reminder" if reminder else "feedback-invitation",
        context=context,
        to=[request.customer.email],
        headers=headers,
        reply_to=[business.email] if business.email else None,
    )
    # Echoed back by email providers' tracking webhooks (django-anymail), to find the request.
    message.metadata = {"feedback_request_id": str(request.pk)}
    return message
