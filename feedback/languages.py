"""The language of the pages a customer reads, and the links that switch it.

A page behind an emailed link speaks the request's language (else the business's default); the
form behind an open link (a QR code) speaks the language the visitor's browser asks for, among
those the business offers. `?lang=de` chooses another one the business offers, on any of them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation.trans_real import parse_accept_lang_header

from businesses.models import Business, installed_language_codes
from feedback.models import FeedbackRequest


def chosen_language(request: HttpRequest, business: Business) -> str:
    """The language named by `?lang=` when the business offers it, else ""."""
    code = request.GET.get("lang", "")
    return code if code in business.offered_languages() else ""


def browser_language(request: HttpRequest, offered: list[str]) -> str:
    """The first language of the browser's Accept-Language that is `offered` ("de-AT" counts as "de"), else ""."""
    for code, _ in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        for candidate in (code, code.split("-")[0]):
            if candidate in offered:
                return candidate
    return ""


def link_page_language(request: HttpRequest, feedback_request: FeedbackRequest | None) -> str:
    """The language of a page behind an emailed link; for an unknown link, the browser's (or the install's)."""
    if feedback_request is None:
        return browser_language(request, installed_language_codes()) or settings.LANGUAGE_CODE
    business = feedback_request.business
    return chosen_language(request, business) or feedback_request.customer_language


def open_page_language(request: HttpRequest, business: Business) -> str:
    """The language of the form behind an open link: `?lang=`, else the browser's, else the business's default."""
    return (
        chosen_language(request, business)
        or browser_language(request, business.offered_languages())
        or business.customer_language()
    )


def language_links(request: HttpRequest, business: Business, current: str) -> list[dict[str, object]]:
    """One plain link per language the business offers (none when it offers one), keeping the rest of
    the query (the star clicked in the email)."""

    def url(code: str) -> str:
        query = request.GET.copy()
        query["lang"] = code
        return f"?{query.urlencode()}"

    return language_choices(business.offered_languages(), current, url)


def language_choices(offered: list[str], current: str, url: Callable[[str], str]) -> list[dict[str, object]]:
    """One link per language in `offered`, made by `url(code)` (none when there is only one)."""
    if len(offered) < 2:
        return []
    names = dict(settings.LANGUAGES)
    return [{"code": code, "name": names[code], "url": url(code), "current": code == current} for code in offered]
