"""The links in an email are the app's own URLs on SITE_URL, whatever the token."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import resolve

from core.links import absolute_reverse
from feedback.links import feedback_url, star_url, unsubscribe_url
from feedback.tokens import Purpose, make_token
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db


def test_links_are_what_reversing_each_url_gives():
    for request in FeedbackRequestFactory.create_batch(20):
        assert feedback_url(request) == absolute_reverse(
            "feedback:form", token=make_token(request.token_salt, Purpose.FEEDBACK)
        )
        assert unsubscribe_url(request) == absolute_reverse(
            "feedback:unsubscribe", token=make_token(request.token_salt, Purpose.UNSUBSCRIBE)
        )


def test_links_follow_a_change_of_site_url():
    request = FeedbackRequestFactory()
    with override_settings(SITE_URL="https://feedback.example.org"):
        assert feedback_url(request).startswith("https://feedback.example.org/f/")
        assert unsubscribe_url(request).startswith("https://feedback.example.org/u/")
    assert not feedback_url(request).startswith("https://feedback.example.org/")


def test_each_link_resolves_to_its_view_with_its_token():
    request = FeedbackRequestFactory()
    for url, view, purpose in [
        (feedback_url(request), "feedback:form", Purpose.FEEDBACK),
        (unsubscribe_url(request), "feedback:unsubscribe", Purpose.UNSUBSCRIBE),
    ]:
        match = resolve(urlsplit(url).path)
        assert match.view_name == view
        assert match.kwargs == {"token": make_token(request.token_salt, purpose)}


def test_a_star_link_preselects_its_rating():
    request = FeedbackRequestFactory()
    assert feedback_url(request, rating=4) == star_url(feedback_url(request), 4) == f"{feedback_url(request)}?rating=4"
