from __future__ import annotations

import pytest

from core.redis_rest import redis_rest_end
from showcase import cache as showcase_cache


@pytest.fixture(autouse=True)
def _showcase_cache_state():
    """Each test starts with the cache in use and nothing remembered by this process."""
    redis_rest_end()
    showcase_cache._pending.clear()
    showcase_cache.forget_local()
    yield
    redis_rest_end()
    showcase_cache._pending.clear()
    showcase_cache.forget_local()
