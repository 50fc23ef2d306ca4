"""The customer's side of a complaint case: the conversation behind their own feedback link.

GET shows the thread and never changes anything (mail scanners follow links); only the customer's
own POST records an answer. The page is resolved and throttled by feedback's `token_page`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from feedback.languages import link_page_language
from feedback.models import FeedbackRequest
from feedback.throttles import token_limit_response
from feedback.tokens import Purpose
from feedback.views import token_page
from reviews.forms import CustomerReplyForm, StaffCallForm, StaffMessageForm, StaffResolveForm
from reviews.models import Case, CaseMessage
from reviews.services.conversation import case_reply_record
from reviews.services.staff_cases import case_staff_message_send, case_staff_resolve
from reviews.staff_links import case_by_staff_token, staff_of_token


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
        "customer": feedback_request.contact,
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


STAFF_FORMS = {"message": StaffMessageForm, "call": StaffCallForm, "resolve": StaffResolveForm}


@csrf_exempt  # checked in _staff_case_page instead, in the page's language: a refused form is refused in it
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@referrer_same_origin
def staff_case(request: HttpRequest, token: str) -> HttpResponse:
    """The one case a staff member owns, behind their signed link: write, log a call, resolve.

    GET shows and changes nothing; each POST (CSRF-checked) names its form in `action`. An unknown,
    tampered, expired or revoked link is a 404, counted against the address's guesses. Every answer
    is in the staff member's language, a 404 too when the link was theirs.
    """
    case = case_by_staff_token(token)
    language = _staff_link_language(request, token, case)
    with translation.override(language):
        response = _staff_case_answer(request, token, case)
    response["Content-Language"] = language
    return response


def _staff_link_language(request: HttpRequest, token: str, case: Case | None) -> str:
    """The staff member's language; for a link that opens nothing, of whom it was signed for, else the browser's."""
    staff = case.staff_owner if case is not None else staff_of_token(token)
    return staff.preferred_language if staff is not None else link_page_language(request, None)


def _staff_case_answer(request: HttpRequest, token: str, case: Case | None) -> HttpResponse:
    too_many = token_limit_response(request, token, known=case is not None)
    if too_many is not None:
        return too_many
    if case is None:
        return render(request, "reviews/staff_case_gone.html", status=404)
    return _staff_case_page(request, case, token)


@csrf_protect
def _staff_case_page(request: HttpRequest, case: Case, token: str) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    forms = _staff_forms(case, request.POST if action else None, action)
    if action in forms and forms[action].is_valid():
        try:
            _staff_act(case, action, forms[action].cleaned_data)
        except ValidationError as error:
            forms[action].add_error(None, error.messages)
        else:
            return redirect(reverse("cases:staff-case", kwargs={"token": token}) + f"?done={action}")
    context = {
        "case": case,
        "business": case.business,
        "staff": case.staff_owner,
        "feedback": case.feedback,
        "thread": case.messages.order_by("created_at", "id"),
        "forms": forms,
        "done": request.GET.get("done") if request.method != "POST" else None,
    }
    return render(request, "reviews/staff_case.html", context, status=400 if action else 200)


def _staff_forms(case: Case, data, action: str | None) -> dict:
    def bound(name: str):
        return data if name == action else None

    return {
        "message": StaffMessageForm(bound("message"), prefix="message"),
        "call": StaffCallForm(bound("call"), prefix="call"),
        "resolve": StaffResolveForm(bound("resolve"), prefix="resolve", business=case.business),
    }


def _staff_act(case: Case, action: str, data: dict) -> None:
    staff = case.staff_owner
    if action == "resolve":
        case_staff_resolve(case=case, staff=staff, **data)
        return
    kind = CaseMessage.Kind.CALL if action == "call" else CaseMessage.Kind.MESSAGE
    case_staff_message_send(case=case, staff=staff, body=data["body"], kind=kind)
