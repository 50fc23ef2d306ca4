"""The page behind the digest's opt-out link. A GET changes nothing: mail scanners follow links."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from feedback.throttles import token_limit_response
from insights.services.digest import staff_by_digest_token, staff_digest_opt_out


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
    if request.method == "POST":
        staff_digest_opt_out(staff=staff)
        response = render(request, "insights/digest_unsubscribed.html", context)
    else:
        response = render(request, "insights/digest_unsubscribe.html", {**context, "already": not staff.wants_digest})
    response["Referrer-Policy"] = "no-referrer"
    return response
