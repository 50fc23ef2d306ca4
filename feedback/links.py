"""The absolute links a customer receives, built on SITE_URL."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf

from core.links import absolute_reverse
from feedback.models import FeedbackRequest, OpenFeedbackLink
from feedback.tokens import Purpose, make_token, request_token

# Stands for the token while a link's shape is resolved; tokens are URL-safe base64, never this.
_TOKEN_MARKER = "~token~"


def feedback_url(request: FeedbackRequest, rating: int | None = None) -> str:
    url = _link("feedback:form", _token(request, Purpose.FEEDBACK, request.feedback_token_hash))
    return star_url(url, rating) if rating else url


def feedback_link_token(request: FeedbackRequest) -> str:
    """The token of the customer's own feedback link; the pages behind that link share it."""
    return _token(request, Purpose.FEEDBACK, request.feedback_token_hash)


def star_url(feedback_link: str, rating: int) -> str:
    """The one-click star link: the feedback link with the rating preselected (never recorded)."""
    return f"{feedback_link}?{urlencode({'rating': rating})}"


def unsubscribe_url(request: FeedbackRequest) -> str:
    return _link("feedback:unsubscribe", _token(request, Purpose.UNSUBSCRIBE, request.unsubscribe_token_hash))


def _token(request: FeedbackRequest, purpose: Purpose, stored_hash: str) -> str:
    # A request made under a SECRET_KEY since dropped from SECRET_KEY_FALLBACKS has no token left
    # that matches its hash; the sending service gives it new ones first (`feedback_requests_rekey`).
    return request_token(request.token_salt, purpose, stored_hash) or make_token(request.token_salt, purpose)


def _link(viewname: str, token: str) -> str:
    """`absolute_reverse(viewname, token=token)`, resolved once per shape instead of for every email
    (two links per invitation; reversing costs ~20 µs each)."""
    before, after = _around_token(viewname, *_resolution())
    return f"{before}{token}{after}"


def _resolution() -> tuple[str, str, object]:
    """What a reversed link depends on besides its arguments (tests and scripts may change it)."""
    return settings.SITE_URL, get_script_prefix(), get_urlconf()


@functools.lru_cache(maxsize=32)
def _around_token(viewname: str, *resolution: object) -> tuple[str, str]:
    before, _, after = absolute_reverse(viewname, token=_TOKEN_MARKER).rpartition(_TOKEN_MARKER)
    return before, after


def open_feedback_url(link: OpenFeedbackLink) -> str:
    """The open feedback link a QR code carries: anyone holding it may answer (not verified)."""
    return absolute_reverse("feedback:open", key=link.key)
