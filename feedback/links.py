"""The absolute links a customer receives, built on SITE_URL."""

from __future__ import annotations

from urllib.parse import urlencode

from config.links import absolute_reverse
from feedback.models import FeedbackRequest
from feedback.tokens import Purpose, make_token


def feedback_url(request: FeedbackRequest, rating: int | None = None) -> str:
    url = absolute_reverse("feedback:form", token=make_token(request.token_salt, Purpose.FEEDBACK))
    return star_url(url, rating) if rating else url


def star_url(feedback_link: str, rating: int) -> str:
    """The one-click star link: the feedback link with the rating preselected (never recorded)."""
    return f"{feedback_link}?{urlencode({'rating': rating})}"


def unsubscribe_url(request: FeedbackRequest) -> str:
    return absolute_reverse("feedback:unsubscribe", token=make_token(request.token_salt, Purpose.UNSUBSCRIBE))
