"""The admin and the dashboard in the language of the person who runs the business.

Their language is the one they chose with the switch in the admin's header (Django's language
cookie, set by `language_switch`), else their browser's (Accept-Language), among
settings.LANGUAGES; English otherwise. It applies under /admin/ only: customer and visitor pages
choose their own language (the request's, the business's, ?lang=), and the API keeps its English
with errors in the caller's language (core/api_exceptions.py). Django's LocaleMiddleware would
apply one rule to every page, so it is not used.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.views.i18n import set_language
from rest_framework.throttling import SimpleRateThrottle

from core.client_address import client_address
from core.redis_rest import fail_open

# A person switches a few times; a script posting in a loop is told to wait.
LANGUAGE_SWITCH_RATE = "30/min"


class OwnerLanguageMiddleware:
    """Activates the owner's language for the admin's pages (the dashboard included) and says so
    in Content-Language; caches are told the page varies with the browser's language and cookies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(reverse("admin:index")):
            return self.get_response(request)
        language = translation.get_language_from_request(request)
        # Restored afterwards, so the next request served by this thread starts from the default.
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response


class LanguageSwitchRateThrottle(SimpleRateThrottle):
    """Switches per client address; a cache outage lets the switch through (it costs nothing)."""

    scope = "language_switch"

    def get_rate(self) -> str:
        return LANGUAGE_SWITCH_RATE

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request) or "unknown"}

    def allows(self, request: HttpRequest) -> bool:
        allowed = fail_open(lambda: self.allow_request(request, None), what="Language switch limit")
        return True if allowed is None else allowed


def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language (a POST of `language` and `next`: the cookie, then back to the page),
    with a limit per address."""
    throttle = LanguageSwitchRateThrottle()
    if request.method == "POST" and not throttle.allows(request):
        with translation.override(translation.get_language_from_request(request)):
            message = gettext("Too many language changes from your network. Wait a minute, then try again.")
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(math.ceil(throttle.wait() or 60))
        return response
    return set_language(request)
