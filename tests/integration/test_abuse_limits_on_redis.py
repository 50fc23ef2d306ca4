"""The API and link limits count in a real Redis (the production cache), and when that Redis
stops, calls and links go on answering (no 500) until it is back."""

from __future__ import annotations

import secrets

import pytest
import redis
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.businesses.factories import api_key_for
from tests.feedback.factories import FeedbackRequestFactory, feedback_token

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def redis_cache(url: str) -> dict:
    options = {"socket_timeout": 1, "socket_connect_timeout": 1}
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "OPTIONS": options}}


def test_limits_count_in_redis_and_let_everything_through_while_it_is_down(redis_server, settings, business):
    settings.API_THROTTLE_RATE = "3/min"
    settings.TOKEN_GUESS_LIMIT = "5/hour"
    api = APIClient(REMOTE_ADDR="203.0.113.10")
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(business)}")
    browser = Client(REMOTE_ADDR="203.0.113.10")
    link = f"/f/{feedback_token(FeedbackRequestFactory(business=business))}/"

    with override_settings(CACHES=redis_cache(redis_server.url)):
        calls = [api.get("/api/v1/business/").status_code for _ in range(4)]
        guesses = [browser.get(f"/f/{secrets.token_urlsafe(32)}/").status_code for _ in range(6)]
        assert (calls, guesses) == ([200, 200, 200, 429], [404] * 5 + [429])
        assert browser.get(link).status_code == 200
        # Each counter is one key per window, which Redis forgets once the window is over.
        counters = redis.Redis.from_url(redis_server.url)
        [api_key_counter] = counters.keys("*limit:api_key:*")
        assert int(counters.get(api_key_counter)) == 4 and 0 < counters.ttl(api_key_counter) <= 60

        redis_server.stop()

        # A limit not yet reached lets everything through: another key, another address, the link.
        other_key = APIClient(REMOTE_ADDR="203.0.113.10")
        other_key.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(business)}")
        assert [other_key.get("/api/v1/business/").status_code for _ in range(4)] == [200] * 4
        other_address = Client(REMOTE_ADDR="198.51.100.7")
        assert [other_address.get(f"/f/{secrets.token_urlsafe(32)}/").status_code for _ in range(6)] == [404] * 6
        assert browser.get(link).status_code == 200
        # A window this process saw over its limit stays refused until it ends, Redis or not.
        assert api.get("/api/v1/business/").status_code == 429
