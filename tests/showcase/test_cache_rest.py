"""While Redis rests after a failure, the showcase neither waits on it nor forgets an invalidation."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache

from core.redis_rest import fail_open, redis_rest_end
from showcase.cache import cached, forget_local, showcase_cache_invalidate

pytestmark = pytest.mark.django_db


def redis_just_failed() -> None:
    fail_open(mock.Mock(side_effect=TimeoutError("frozen")), what="A limit")


def test_an_invalidation_made_while_redis_rests_is_made_once_it_is_back(business, django_capture_on_commit_callbacks):
    assert cached(business.pk, "page", lambda: "before") == "before"
    redis_just_failed()

    with mock.patch.object(cache, "set", side_effect=AssertionError("Redis touched while resting")):
        with django_capture_on_commit_callbacks(execute=True):
            showcase_cache_invalidate(business.pk)  # a review published during the outage
        assert cached(business.pk, "page", lambda: "computed") == "computed"  # from the database

    redis_rest_end()
    forget_local()
    assert cached(business.pk, "page", lambda: "after") == "after"  # the old page is not served again
