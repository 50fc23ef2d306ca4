"""Each API key has its own call budget (API_THROTTLE_RATE), the keyless public JSON one per
address (PUBLIC_API_THROTTLE_RATE); beyond it 429 with Retry-After. A cache that is down lets
calls through (logged), never answers 500."""

from __future__ import annotations

import logging
import time

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core import throttles
from tests.businesses.factories import api_key_for
from tests.showcase.helpers import review
from tests.test_settings import PRODUCTION, assert_refused, start_django

pytestmark = pytest.mark.django_db
CACHE_SERVER_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
    }
}


def client_with_key(business, address: str = "203.0.113.10") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(business)}")
    return client


def test_the_call_beyond_the_keys_rate_answers_429_with_retry_after(business, settings):
    settings.API_THROTTLE_RATE = "3/min"
    client = client_with_key(business)
    for _ in range(3):
        assert client.get("/api/v1/business/").status_code == 200

    response = client.get("/api/v1/feedback-requests/")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Request was throttled.")


def test_another_key_from_the_same_address_is_unaffected(business, other_business, settings):
    settings.API_THROTTLE_RATE = "3/min"
    busy = client_with_key(business)
    for _ in range(4):
        busy.get("/api/v1/business/")
    assert busy.get("/api/v1/business/").status_code == 429

    assert client_with_key(other_business).get("/api/v1/business/").status_code == 200
    assert client_with_key(business).get("/api/v1/business/").status_code == 200  # a second key of the same business


def test_the_public_json_is_throttled_per_address(business, settings):
    settings.PUBLIC_API_THROTTLE_RATE = "3/min"
    review(business)
    path = f"/api/v1/public/{business.slug}/summary/"
    script = APIClient(REMOTE_ADDR="203.0.113.10")
    for _ in range(3):
        assert script.get(path).status_code == 200

    response = script.get(path)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert APIClient(REMOTE_ADDR="198.51.100.7").get(path).status_code == 200


def test_with_the_cache_down_calls_go_through_and_one_warning_is_logged(business, settings, caplog):
    settings.API_THROTTLE_RATE = "1/min"
    client = client_with_key(business)

    with override_settings(CACHES=CACHE_SERVER_DOWN), caplog.at_level(logging.WARNING, logger="core.redis_rest"):
        answers = [client.get("/api/v1/business/").status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    # One try, then the cache is left alone for a few seconds: a frozen Redis costs one time-out, not one per call.
    assert caplog.messages.count("APIKeyRateThrottle skipped: Redis is unavailable; not trying it for 15 s.") == 1


@pytest.mark.parametrize("name", ["API_THROTTLE_RATE", "PUBLIC_API_THROTTLE_RATE", "TOKEN_GUESS_LIMIT"])
@pytest.mark.parametrize("value", ["1200", "fast", "0/min", "1200/fortnight", "-5/min"])
def test_a_malformed_rate_stops_start_up_naming_the_variable(name, value):
    assert_refused(start_django(**PRODUCTION, **{name: value}), name)


def test_a_rate_in_words_starts():
    result = start_django(**PRODUCTION, API_THROTTLE_RATE="50/second", TOKEN_LINK_LIMIT="10/hour")
    assert result.returncode == 0, result.stderr


# --- counting: batches far from the limit, every hit near it, nothing once over --------------------


@pytest.fixture
def cache_calls(monkeypatch) -> list[int]:
    """The hits each trip to the cache carried."""
    calls: list[int] = []
    count = throttles._count

    def counting(key: str, window: int, hits: int) -> int:
        calls.append(hits)
        return count(key, window, hits)

    monkeypatch.setattr(throttles, "_count", counting)
    return calls


def test_far_from_its_limit_a_process_asks_the_cache_once_a_window_then_once_a_batch(cache_calls):
    answers = [throttles.over_limit("public_api:203.0.113.10", "600/min", what="Test") for _ in range(37)]

    assert answers == [None] * 37
    # The window's first hit at once (a cache that is down is found by the cheapest use), then every 12.
    assert cache_calls == [1, 12, 12, 12]


def test_near_its_limit_every_hit_is_counted_and_the_first_one_over_is_refused(cache_calls):
    answers = [throttles.over_limit("public_api:203.0.113.10", "100/min", what="Test") for _ in range(101)]

    assert answers[:100] == [None] * 100
    assert 0 < answers[100] <= 60
    assert sum(cache_calls) == 101 and cache_calls[-2:] == [1, 1]  # batches of 2, single hits at the end


def test_once_a_window_is_over_the_process_refuses_it_without_asking_the_cache(cache_calls):
    for _ in range(4):
        throttles.over_limit("public_api:203.0.113.10", "3/min", what="Test")
    asked = len(cache_calls)

    assert all(throttles.over_limit("public_api:203.0.113.10", "3/min", what="Test") for _ in range(50))
    assert len(cache_calls) == asked
    # Another address has its own window.
    assert throttles.over_limit("public_api:198.51.100.7", "3/min", what="Test") is None


def test_hits_from_several_processes_add_up_in_the_cache(cache_calls):
    """Two processes (their local counts forgotten in between) share the one counter in the cache."""
    for _ in range(3):
        assert throttles.over_limit("api_key:7", "5/min", what="Test") is None
    throttles.forget_local_counts()  # as if the next hits reached another web process
    answers = [throttles.over_limit("api_key:7", "5/min", what="Test") for _ in range(3)]

    assert answers[:2] == [None, None] and answers[2] is not None


def test_a_process_forgets_the_windows_that_ended(time_machine):
    time_machine.move_to("2026-12-06 10:00:00+00:00", tick=False)
    for address in ("203.0.113.10", "203.0.113.11"):
        throttles.over_limit(f"public_api:{address}", "600/min", what="Test")
    assert len(throttles._windows) == 2

    time_machine.move_to("2026-12-06 10:01:05+00:00", tick=False)
    throttles.over_limit("public_api:203.0.113.12", "600/min", what="Test")

    assert list(throttles._windows) == [f"limit:public_api:203.0.113.12:{int(time.time()) // 60}"]
