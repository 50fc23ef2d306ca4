"""The admin and the dashboard in the language of the person who runs the business.

Their language is the one they chose with the switch in the admin's header (Django's language
cookie, set by `language_switch`), else their browser's (Accept-Language), among
settings.LANGUAGES; English otherwise. It applies under /admin/ only: customer and visitor pages
choose their own language (the request's, the business's, ?lang=), and the API keeps its English
with errors in the caller's language (core/api_exceptions.py). Django's LocaleMiddleware would
apply one rule to every page, so it is not used.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.views.i18n import set_language

from core.client_address import client_address
from core.throttles import over_limit

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


def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language (a POST of `language` and `next`: the cookie, then back to the page),
    with a limit per address."""
    if request.method == "POST":
        address = client_address(request) or "unknown"
        wait = over_limit(f"language-switch:{address}", LANGUAGE_SWITCH_RATE, what="Language switch limit")
        if wait is not None:
            with translation.override(translation.get_language_from_request(request)):
                message = gettext("Too many language changes from your network. Wait a minute, then try again.")
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(wait)
            return response
    return set_language(request)
