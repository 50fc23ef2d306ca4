from __future__ import annotations

import pytest

from showcase import cache as showcase_cache


@pytest.fixture(autouse=True)
def _showcase_cache_state():
    """Each test starts with the cache in use and nothing remembered by this process."""
    showcase_cache._bypass_until = 0.0
    showcase_cache.forget_local()
    yield
    showcase_cache._bypass_until = 0.0
    showcase_cache.forget_local()
