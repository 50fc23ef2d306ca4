"""The pages behind links in staff emails: the digest's opt-out and a staff member's own scorecard.

A GET changes nothing: mail scanners follow links. Each page is in its staff member's language."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from businesses.models import StaffMember
from feedback.throttles import token_limit_response
from insights.emails import scorecard_rows
from insights.metrics import EARLIEST_DAY, LATEST_DAY
from insights.periods import local_today, previous_month
from insights.scorecard_links import staff_by_scorecard_token
from insights.services.digest import staff_by_digest_token, staff_digest_opt_out
from insights.services.scorecards import Scorecard, staff_scorecard

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@csrf_exempt  # RFC 8058: a mail client's one-click POST carries no cookie; the signed token authorises it.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST (the button, or a mail client's one-click) stops the digest. 200, no redirect."""
    staff = staff_by_digest_token(token=token)
    too_many = token_limit_response(request, token, known=staff is not None)
    if too_many is not None:
        return too_many
    if staff is None:
        raise Http404("This link is not valid.")
    context = {"staff": staff, "business": staff.business}
    with translation.override(staff.preferred_language):
        if request.method == "POST":
            staff_digest_opt_out(staff=staff)
            response = render(request, "insights/digest_unsubscribed.html", context)
        else:
            already = not staff.wants_digest
            response = render(request, "insights/digest_unsubscribe.html", {**context, "already": already})
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Language"] = staff.preferred_language
    return response


def private_page(view: Callable) -> Callable:
    """A page behind a personal link: its URL (the token) is sent nowhere, and it is never indexed."""

    @wraps(view)
    def wrapper(*args, **kwargs) -> HttpResponse:
        response = view(*args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


@never_cache
@private_page
@require_http_methods(["GET", "HEAD"])
def scorecard(request: HttpRequest, token: str) -> HttpResponse:
    """A staff member's own figures: this month so far and the last full month, or `?month=YYYY-MM`.

    Each month is set against the month before. A tampered, expired or inactive staff member's link
    is a 404, counted against the address's guesses; a month that cannot be read is a 400.
    """
    staff = staff_by_scorecard_token(token)
    too_many = token_limit_response(request, token, known=staff is not None)
    if too_many is not None:
        return too_many
    if staff is None:
        raise Http404("This link is not valid: it may have expired. The next weekly email brings a new one.")
    with translation.override(staff.preferred_language):
        response = _scorecard_page(request, staff, token)
    response["Content-Language"] = staff.preferred_language
    return response


def _scorecard_page(request: HttpRequest, staff: StaffMember, token: str) -> HttpResponse:
    today = local_today(staff.business)
    context = {"staff": staff, "business": staff.business, "token": token}
    if "month" in request.GET:
        month, error = _month_asked(request.GET["month"], today)
        if error:
            return render(request, "insights/scorecard.html", {**context, "error": error}, status=400)
        months = [month]
    else:
        months = [today, previous_month(today)]
    cards = [_card(staff_scorecard(staff=staff, month=month, today=today)) for month in months]
    return render(request, "insights/scorecard.html", {**context, "cards": cards})


def _month_asked(value: str, today: date) -> tuple[date | None, str]:
    """(the 1st of the month `value` names, "") or (None, what is wrong with it)."""
    match = MONTH.fullmatch(value.strip())
    year, number = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (1 <= number <= 12 and EARLIEST_DAY.year <= year <= LATEST_DAY.year):
        return None, gettext("Give the month as YYYY-MM, for example 2026-11.")
    month = date(year, number, 1)
    if month > today:
        return None, gettext("That month has not started yet: choose this month or an earlier one.")
    return month, ""


def _card(scorecard: Scorecard) -> dict:
    return {"scorecard": scorecard, "rows": scorecard_rows(scorecard.figures, scorecard.figures_before)}
