"""The pages behind emailed links. A GET never records anything: mail scanners follow links."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from feedback.forms import FeedbackForm, OpenFeedbackForm, initial_for
from feedback.languages import language_links, link_page_language, open_page_language
from feedback.links import feedback_link_token
from feedback.models import Feedback, FeedbackRequest, OpenFeedbackLink
from feedback.selectors import feedback_request_by_token
from feedback.services.open_links import open_feedback_link_by_key, open_feedback_submit
from feedback.services.responses import (
    AnswerLocked,
    LinkExpired,
    customer_resubscribe,
    customer_unsubscribe,
    feedback_consent_withdraw,
    feedback_submit,
    is_link_expired,
)
from feedback.throttles import open_link_wait, token_limit_response
from feedback.tokens import Purpose

logger = logging.getLogger(__name__)


def token_page(purpose: Purpose) -> Callable:
    """Resolve the link's token (404 when unknown, 429 when guessed or used too often from one address),
    keep the token out of Referer headers and caches, and speak the customer's language."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @never_cache
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            feedback_request = feedback_request_by_token(token=token, purpose=purpose)
            language = link_page_language(request, feedback_request)
            with translation.override(language):
                too_many = token_limit_response(request, token, known=feedback_request is not None)
                if too_many is not None:
                    return too_many
                if feedback_request is None:
                    raise Http404("This link is not valid.")
                response = view(request, feedback_request, token)
            response["Referrer-Policy"] = "no-referrer"
            response["Content-Language"] = language
            return response

        return wrapper

    return decorator


# The page is sent with `Referrer-Policy: no-referrer`, so browsers post it with `Origin: null`, which
# Django's CSRF check refuses (403). The link's 128-bit token is what authorises the POST, not a cookie,
# so a forged cross-site submission is impossible without the token anyway.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@token_page(Purpose.FEEDBACK)
def feedback_form(request: HttpRequest, feedback_request: FeedbackRequest, token: str) -> HttpResponse:
    if is_link_expired(feedback_request):
        return expired_page(request, feedback_request)
    feedback = getattr(feedback_request, "feedback", None)
    if feedback is not None and feedback.editable_until <= timezone.now():
        return locked_answer(request, feedback_request)
    business = feedback_request.business
    context = {
        "request": feedback_request,
        "business": business,
        "feedback": feedback,
        "language_links": language_links(request, business, translation.get_language()),
    }
    if request.method != "POST":
        form = FeedbackForm(request=feedback_request, initial=initial_for(feedback_request, request.GET.get("rating")))
        return render(request, "feedback/form.html", {**context, "form": form})
    form = FeedbackForm(request.POST, request=feedback_request)
    if not form.is_valid():
        return render(request, "feedback/form.html", {**context, "form": form}, status=400)
    try:
        # The language the customer answered in is the one they are written to from now on.
        answer = replace(form.answer(), language=translation.get_language())
        feedback_submit(request_id=feedback_request.pk, answer=answer)
    except LinkExpired:
        return expired_page(request, feedback_request)
    except AnswerLocked:
        return redirect("feedback:form", token=token)
    return redirect("feedback:thanks", token=token)


@require_http_methods(["GET", "HEAD"])
@token_page(Purpose.FEEDBACK)
def thanks(request: HttpRequest, feedback_request: FeedbackRequest, token: str) -> HttpResponse:
    feedback = getattr(feedback_request, "feedback", None)
    if feedback is None:
        return redirect("feedback:form", token=token)
    return render(request, "feedback/thanks.html", {"request": feedback_request, "feedback": feedback, "token": token})


@csrf_exempt  # RFC 8058: the one-click POST from a mail client carries no cookie and no token.
@require_http_methods(["GET", "HEAD", "POST"])
@token_page(Purpose.UNSUBSCRIBE)
def unsubscribe(request: HttpRequest, feedback_request: FeedbackRequest, token: str) -> HttpResponse:
    """GET shows a button; POST (the button, or a mail client's one-click) unsubscribes. 200, no redirect."""
    if feedback_request.customer is None:
        raise Http404("This link is not valid.")  # an open-link answer without an address: nothing to stop
    context = {"request": feedback_request, "business": feedback_request.business}
    if request.method == "POST" and request.POST.get("action") == "resubscribe":
        # Only the customer's own explicit click undoes an opt-out; a one-click POST never carries this.
        customer_resubscribe(request_id=feedback_request.pk)
        return render(request, "feedback/unsubscribe.html", {**context, "already": False, "resubscribed": True})
    if request.method == "POST":
        customer_unsubscribe(request_id=feedback_request.pk)
        return render(request, "feedback/unsubscribed.html", context)
    already = feedback_request.customer.opted_out_at is not None
    return render(request, "feedback/unsubscribe.html", {**context, "already": already})


def locked_answer(request: HttpRequest, feedback_request: FeedbackRequest) -> HttpResponse:
    """After the edit window the answer is read-only, but consent to publish can still be withdrawn (POST)."""
    withdrawn = request.method == "POST" and request.POST.get("action") == "withdraw_consent"
    if withdrawn:
        feedback_consent_withdraw(request_id=feedback_request.pk)
    feedback = Feedback.objects.get(request=feedback_request)
    context = {"request": feedback_request, "feedback": feedback, "withdrawn": withdrawn}
    return render(request, "feedback/answer.html", context)


def expired_page(request: HttpRequest, feedback_request: FeedbackRequest) -> HttpResponse:
    return render(request, "feedback/expired.html", {"business": feedback_request.business}, status=410)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def open_feedback_form(request: HttpRequest, key: str) -> HttpResponse:
    """The form behind an open link (a QR code on a table or the counter): anyone may answer.

    Submissions are limited per address and link (OPEN_FEEDBACK_LIMIT); a filled honeypot is
    thanked and stored nowhere. The answer then lives behind its own token, like an emailed one:
    the customer lands on its thank-you page and may change it from there.
    """
    link = open_feedback_link_by_key(key)
    if link is None:
        raise Http404("This feedback link is not valid any more.")
    language = open_page_language(request, link.business)
    with translation.override(language):
        response = _open_feedback_page(request, link)
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response


def _open_feedback_page(request: HttpRequest, link: OpenFeedbackLink) -> HttpResponse:
    context = {
        "business": link.business,
        "staff": link.staff,
        "open_link": True,
        "language_links": language_links(request, link.business, translation.get_language()),
    }
    if request.method != "POST":
        return render(request, "feedback/form.html", {**context, "form": OpenFeedbackForm(link=link)})
    form = OpenFeedbackForm(request.POST, link=link)
    wait = open_link_wait(request, link)
    if wait is not None:
        # The answer stays in the form, to send again once the pause is over.
        form.is_valid()
        minutes = max(1, round(wait / 60))
        message = ngettext(
            "Many answers came from your network just now: please wait %(minutes)d minute and press Send "
            "again. Your answer is kept on this page.",
            "Many answers came from your network just now: please wait %(minutes)d minutes and press Send "
            "again. Your answer is kept on this page.",
            minutes,
        )
        form.add_error(None, message % {"minutes": minutes})
        response = render(request, "feedback/form.html", {**context, "form": form}, status=429)
        response["Retry-After"] = str(wait)
        return response
    if form.is_bot:
        logger.info("Open link %s: a submission filled the honeypot; nothing stored.", link.pk)
        return render(request, "feedback/open_thanks.html", context)
    if not form.is_valid():
        return render(request, "feedback/form.html", {**context, "form": form}, status=400)
    data = form.cleaned_data
    answer = replace(form.answer(), language=translation.get_language())
    feedback = open_feedback_submit(link=link, answer=answer, name=data["name"], email=data["email"])
    return redirect("feedback:thanks", token=feedback_link_token(feedback.request))
