"""The customer's side of a complaint case: the conversation behind their own feedback link.

GET shows the thread and never changes anything (mail scanners follow links); only the customer's
own POST records an answer. The page is resolved and throttled by feedback's `token_page`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from feedback.models import FeedbackRequest
from feedback.tokens import Purpose
from feedback.views import token_page
from reviews.forms import CustomerReplyForm
from reviews.models import Case
from reviews.services.conversation import case_reply_record


def referrer_same_origin(view: Callable) -> Callable:
    """Send the Referer (which holds the token) to this site only, never elsewhere.

    `token_page` sends none at all, which makes browsers post with `Origin: null`; this page keeps
    Django's CSRF check, which needs the real origin of its own form's POST.
    """

    @wraps(view)
    def wrapper(*args, **kwargs) -> HttpResponse:
        response = view(*args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapper


@require_http_methods(["GET", "HEAD", "POST"])
@referrer_same_origin
@token_page(Purpose.FEEDBACK)
def conversation(request: HttpRequest, feedback_request: FeedbackRequest, token: str) -> HttpResponse:
    case = _case_of(feedback_request)
    form = CustomerReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        case_reply_record(case=case, body=form.cleaned_data["body"])
        return redirect(reverse("cases:conversation", kwargs={"token": token}) + "?sent=1#answer")
    context = {
        "case": case,
        "business": case.business,
        "customer": feedback_request.customer,
        "thread": case.messages.select_related("author").order_by("created_at", "id"),
        "form": form,
        "sent": request.GET.get("sent") == "1" and request.method != "POST",
    }
    return render(request, "reviews/conversation.html", context, status=400 if form.is_bound else 200)


def _case_of(feedback_request: FeedbackRequest) -> Case:
    case = Case.objects.select_related("business").filter(feedback__request=feedback_request).first()
    if case is None:
        raise Http404("There is no conversation behind this link.")
    return case
