"""Emails about complaints and congratulations, built by the shared builder.

Each is written in its reader's language: a customer's (their request's), a staff member's
(`StaffMember.preferred_language`), or for owners and managers the business's default language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.links import absolute_reverse
from feedback.emails import customer_email
from feedback.links import feedback_link_token, feedback_url
from mail.builder import build_email, message_id
from reviews.acknowledgement import case_acknowledgement
from reviews.models import Case, CaseMessage, Congratulation
from reviews.staff_links import staff_case_url


@contextmanager
def in_business_time(case: Case, language: str) -> Iterator[None]:
    """Write about `case` in `language`, its deadline and other moments in the business's time zone
    (as the customer's acknowledgement does), not the server's UTC."""
    with translation.override(language), timezone.override(ZoneInfo(case.business.timezone)):
        yield


def _case_context(case: Case, user: AbstractUser | None = None) -> dict:
    feedback = case.feedback
    return {
        "case": case,
        "feedback": feedback,
        "business": case.business,
        "user": user,
        "customer": feedback.contact,
        "customer_label": feedback.contact.name or feedback.contact.email or gettext("A walk-in customer"),
        "staff": feedback.staff,
        "case_url": absolute_reverse("admin:reviews_case_change", case.pk),
    }


def _case_of(subject: Case | CaseMessage) -> Case:
    return subject.case if isinstance(subject, CaseMessage) else subject


def in_owner_language(build: Callable[..., EmailMultiAlternatives]) -> Callable[..., EmailMultiAlternatives]:
    """Build an email to an owner or manager about a case (its first argument) in the business's default
    language and time zone."""

    @wraps(build)
    def wrapper(subject: Case | CaseMessage, *args, **kwargs) -> EmailMultiAlternatives:
        case = _case_of(subject)
        with in_business_time(case, case.business.default_language):
            return build(subject, *args, **kwargs)

    return wrapper


@in_owner_language
def case_opened_email(case: Case, user: AbstractUser) -> EmailMultiAlternatives:
    """To an owner or manager: a customer is unhappy; respond before the deadline."""
    return build_email(
        template="case-opened",
        context=_case_context(case, user),
        to=[user.email],
        headers={"Message-ID": message_id("case-opened", case.pk, user.pk)},
    )


@in_owner_language
def case_overdue_email(case: Case, user: AbstractUser) -> EmailMultiAlternatives:
    return build_email(
        template="case-overdue",
        context=_case_context(case, user),
        to=[user.email],
        headers={"Message-ID": message_id("case-overdue", case.pk, user.pk)},
    )


@in_owner_language
def case_escalated_email(case: Case, user: AbstractUser) -> EmailMultiAlternatives:
    """To an owner: a complaint is still unanswered a day after its assignee was reminded."""
    context = {**_case_context(case, user), "assignee": case.assignee}
    return build_email(
        template="case-escalated",
        context=context,
        to=[user.email],
        headers={"Message-ID": message_id("case-escalated", case.pk, user.pk)},
    )


def in_customer_language(build: Callable[..., EmailMultiAlternatives]) -> Callable[..., EmailMultiAlternatives]:
    """Build an email to the customer of a case (its first argument) in their language, context included."""

    @wraps(build)
    def wrapper(subject: Case | CaseMessage, *args, **kwargs) -> EmailMultiAlternatives:
        with translation.override(_case_of(subject).feedback.request.customer_language):
            return build(subject, *args, **kwargs)

    return wrapper


@in_customer_language
def case_follow_up_email(case: Case) -> EmailMultiAlternatives:
    """To the customer: we resolved your complaint — did we make it right? (re-rate, or write to us)"""
    feedback = case.feedback
    context = {
        **_case_context(case),
        "first_name": feedback.contact.first_name,
        "feedback_url": feedback_url(feedback.request),
        "conversation_url": conversation_url(case),
        "edit_days": settings.FEEDBACK_EDIT_DAYS,
    }
    return customer_email(
        template="case-follow-up", request=feedback.request, context=context, message_key=("case-follow-up", case.pk)
    )


@in_customer_language
def case_acknowledgement_email(case: Case) -> EmailMultiAlternatives:
    """To the customer, as the case opens: sorry, who will get back to them and by when."""
    feedback = case.feedback
    context = {
        **_case_context(case),
        "acknowledgement": case_acknowledgement(case),
        "feedback_url": feedback_url(feedback.request),
    }
    return customer_email(
        template="case-acknowledgement",
        request=feedback.request,
        context=context,
        message_key=("case-acknowledgement", case.pk),
    )


def conversation_url(case: Case) -> str:
    """The customer's conversation page: behind their own feedback link, no login."""
    return absolute_reverse("cases:conversation", token=feedback_link_token(case.feedback.request))


@in_customer_language
def case_message_email(message: CaseMessage) -> EmailMultiAlternatives:
    """To the customer: the business wrote about their complaint; they answer on their conversation page."""
    case = message.case
    business = case.business
    author = message.author
    context = {
        **_case_context(case),
        "message": message,
        "first_name": case.feedback.contact.first_name,
        "author_first_name": author.first_name if author is not None else "",
        "conversation_url": conversation_url(case),
    }
    return build_email(
        template="case-message",
        context=context,
        to=[case.feedback.customer.email],
        headers={"Message-ID": message_id("case-message", case.pk, message.pk)},
        reply_to=[business.email] if business.email else None,
    )


@in_owner_language
def case_reply_email(message: CaseMessage, user: AbstractUser, *, reopened: bool) -> EmailMultiAlternatives:
    """To the assignee (or the owners and managers): the customer answered on their case."""
    case = message.case
    return build_email(
        template="case-reply",
        context={**_case_context(case, user), "message": message, "reopened": reopened},
        to=[user.email],
        headers={"Message-ID": message_id("case-reply", case.pk, message.pk, user.pk)},
    )


def case_staff_owner_email(case: Case) -> EmailMultiAlternatives:
    """To the staff member who now owns a case, in their language and the business's time zone: the
    complaint and their signed link to work it."""
    staff = case.staff_owner
    with in_business_time(case, staff.preferred_language):
        context = {
            **_case_context(case),
            "staff_owner": staff,
            "staff_case_url": staff_case_url(case),
            "link_days": settings.STAFF_CASE_LINK_DAYS,
        }
        return build_email(
            template="case-staff-owner",
            context=context,
            to=[staff.email],
            headers={"Message-ID": message_id("case-staff-owner", case.pk, staff.pk, case.staff_link_version)},
        )


def congratulation_email(congratulation: Congratulation) -> EmailMultiAlternatives:
    """To a staff member, in their language: a personal line from an owner or manager, with the customer's words."""
    review, staff, author = congratulation.review, congratulation.staff, congratulation.author
    feedback = review.feedback
    with translation.override(staff.preferred_language):
        context = {
            "staff": staff,
            "first_name": staff.name.split()[0] if staff.name.strip() else "",
            "business": review.business,
            "note": congratulation.note,
            "comment": feedback.comment,
            "rating": feedback.rating,
            "display_name": feedback.display_name,
            "signed": congratulation.author_label(),
        }
        return build_email(
            template="congratulation",
            context=context,
            to=[staff.email],
            headers={"Message-ID": message_id("congratulation", congratulation.pk)},
            reply_to=[author.email] if author and author.email else None,
        )
