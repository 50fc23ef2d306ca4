"""Emailed links (the form, thanks, unsubscribe, the digest opt-out) are limited per address for
tokens that lead nowhere (TOKEN_GUESS_LIMIT: a guessing script gets a friendly 429 page), while a
valid link keeps working for its customer even from the guesser's network (TOKEN_LINK_LIMIT, a
separate and generous budget per link and address). A cache that is down limits nothing."""

from __future__ import annotations

import logging
import secrets

import pytest
from django.test import Client, override_settings

from insights.services.digest import digest_unsubscribe_token
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token, unsubscribe_token
from tests.test_api_throttles import CACHE_SERVER_DOWN

pytestmark = pytest.mark.django_db
OFFICE = "203.0.113.10"


def guess() -> str:
    return secrets.token_urlsafe(32)


GUESSED_PATHS = {
    "form": lambda: f"/f/{guess()}/",
    "thanks": lambda: f"/f/{guess()}/thanks/",
    "unsubscribe": lambda: f"/u/{guess()}/",
    "digest opt-out": lambda: f"/digest/unsubscribe/{guess()}/",
}


@pytest.fixture
def office() -> Client:
    return Client(REMOTE_ADDR=OFFICE)


@pytest.fixture
def guess_limit(settings) -> int:
    settings.TOKEN_GUESS_LIMIT = "20/hour"
    return 20


@pytest.mark.parametrize("page", GUESSED_PATHS)
def test_guessing_tokens_from_one_address_ends_in_a_friendly_429_page(office, guess_limit, page):
    make_path = GUESSED_PATHS[page]
    for _ in range(guess_limit):
        assert office.get(make_path()).status_code == 404

    response = office.get(make_path())

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Too many tries" in response.content.decode()
    assert "open the link from your email again" in response.content.decode()


def test_guesses_on_every_kind_of_link_share_one_budget(office, guess_limit):
    paths = list(GUESSED_PATHS.values())
    for number in range(guess_limit):
        office.get(paths[number % len(paths)]())

    assert office.get(GUESSED_PATHS["form"]()).status_code == 429


def test_a_valid_link_still_opens_from_the_guessers_address(office, guess_limit, business):
    feedback_request = FeedbackRequestFactory(business=business)
    staff = StaffMemberFactory(business=business)
    for _ in range(guess_limit + 5):
        office.get(GUESSED_PATHS["form"]())
    assert office.get(GUESSED_PATHS["form"]()).status_code == 429

    assert office.get(f"/f/{feedback_token(feedback_request)}/").status_code == 200
    assert office.get(f"/u/{unsubscribe_token(feedback_request)}/").status_code == 200
    assert office.get(f"/digest/unsubscribe/{digest_unsubscribe_token(staff)}/").status_code == 200


def test_another_address_may_still_guess_wrong_and_see_the_not_found_page(office, guess_limit):
    for _ in range(guess_limit + 1):
        office.get(GUESSED_PATHS["form"]())

    assert Client(REMOTE_ADDR="198.51.100.7").get(GUESSED_PATHS["form"]()).status_code == 404


def test_one_valid_link_has_its_own_generous_budget_per_address(office, settings, business):
    settings.TOKEN_LINK_LIMIT = "5/min"
    feedback_request = FeedbackRequestFactory(business=business)
    link = f"/f/{feedback_token(feedback_request)}/"
    for _ in range(5):
        assert office.get(link).status_code == 200

    assert office.get(link).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.7").get(link).status_code == 200
    other_link = f"/f/{feedback_token(FeedbackRequestFactory(business=business))}/"
    assert office.get(other_link).status_code == 200  # a colleague's link from the same office


def test_the_default_guess_limit_is_a_few_hundred_an_hour(office, business):
    feedback_request = FeedbackRequestFactory(business=business)
    answers = [office.get(GUESSED_PATHS["unsubscribe"]()).status_code for _ in range(301)]

    assert answers[:300] == [404] * 300
    assert answers[300] == 429
    assert office.get(f"/u/{unsubscribe_token(feedback_request)}/").status_code == 200


def test_with_the_cache_down_links_answer_as_usual_and_a_warning_is_logged(office, guess_limit, business, caplog):
    feedback_request = FeedbackRequestFactory(business=business)

    with override_settings(CACHES=CACHE_SERVER_DOWN), caplog.at_level(logging.WARNING, logger="core.redis_rest"):
        guesses = [office.get(GUESSED_PATHS["form"]()).status_code for _ in range(guess_limit + 1)]
        valid = office.get(f"/f/{feedback_token(feedback_request)}/")

    assert set(guesses) == {404}
    assert valid.status_code == 200
    assert "Link limit skipped: Redis is unavailable; not trying it for 15 s." in caplog.messages
