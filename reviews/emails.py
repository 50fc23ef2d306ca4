"""Emails about complaints, built by the shared builder."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.mail import EmailMultiAlternatives

from config.emails import build_email, message_id
from config.links import absolute_reverse
from feedback.links import feedback_url
from reviews.models import Case


def _case_context(case: Case, user: AbstractUser | None = None) -> dict:
    feedback = case.feedback
    return {
        "case": case,
        "feedback": feedback,
        "business": case.business,
        "user": user,
        "customer": feedback.customer,
        "staff": feedback.staff,
        "case_url": absolute_reverse("admin:reviews_case_change", case.pk),
    }


def case_opened_email(case: Case, user: AbstractUser) -> EmailMultiAlternatives:
    """To an owner or manager: a customer is unhappy; respond before the deadline."""
    return build_email(
        template="case-opened",
        context=_case_context(case, user),
        to=[user.email],
        headers={"Message-ID": message_id("case-opened", case.pk, user.pk)},
    )


def case_overdue_email(case: Case, user: AbstractUser) -> EmailMultiAlternatives:
    return build_email(
        template="case-overdue",
        context=_case_context(case, user),
        to=[user.email],
        headers={"Message-ID": message_id("case-overdue", case.pk, user.pk)},
    )


def case_follow_up_email(case: Case) -> EmailMultiAlternatives:
    """To the customer: we resolved your complaint — did we make it right?"""
    feedback = case.feedback
    business = case.business
    context = {
        **_case_context(case),
        "first_name": feedback.customer.first_name,
        "feedback_url": feedback_url(feedback.request),
    }
    return build_email(
        template="case-follow-up",
        context=context,
        to=[feedback.customer.email],
        headers={"Message-ID": message_id("case-follow-up", case.pk)},
        reply_to=[business.email] if business.email else None,
    )
