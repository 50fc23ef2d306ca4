"""API throttles: a budget per API key, and one per address for the keyless public JSON.

Counters live in the Django cache. When the cache is down, a throttle lets the call through and logs
a warning: a Redis outage must not turn every API call into a 500 (a throttle protects capacity; it
is not what keeps a caller out — the key is). After an error, every limit (these and the links')
leaves the cache alone for a few seconds, so a frozen Redis costs one time-out now and then, not
one per request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from config.client_address import client_address

if TYPE_CHECKING:  # DRF loads its settings (and so this module) while rest_framework.views imports
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)
T = TypeVar("T")
SKIP_AFTER_ERROR_SECONDS = 5.0


class CacheErrors:
    """Whether limits should skip the cache for now, because it just failed (one per process)."""

    skip_until = 0.0

    @classmethod
    def guarded(cls, count: Callable[[], T], *, limit: str) -> T | None:
        """count() (a limit's cache work); None, and a warning, when the cache fails or failed a moment ago."""
        if time.monotonic() < cls.skip_until:
            return None
        try:
            return count()
        except Exception:  # any cache backend's error: redis.ConnectionError, TimeoutError, OSError...
            cls.skip_until = time.monotonic() + SKIP_AFTER_ERROR_SECONDS
            logger.warning("%s skipped: the cache is unavailable.", limit, exc_info=True)
            return None

    @classmethod
    def forget(cls) -> None:
        cls.skip_until = 0.0


class FailOpenRateThrottle(SimpleRateThrottle):
    """A DRF rate throttle whose rate is the Django setting named by `rate_setting`, read per call
    (so tests and settings overrides apply), that never fails a request because the cache did."""

    rate_setting = ""

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)

    def get_ident(self, request: Request) -> str:
        return client_address(request) or "unknown"

    def allow_request(self, request: Request, view: APIView) -> bool:
        allow = super().allow_request
        allowed = CacheErrors.guarded(lambda: allow(request, view), limit=type(self).__name__)
        return True if allowed is None else allowed


class APIKeyRateThrottle(FailOpenRateThrottle):
    """Each API key has its own budget (`API_THROTTLE_RATE`): one busy integration never slows another."""

    scope = "api_key"
    rate_setting = "API_THROTTLE_RATE"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        api_key = request.auth
        if getattr(api_key, "pk", None) is None:
            return None  # no key: the call is refused (401) before throttles run, or needs none
        return self.cache_format % {"scope": self.scope, "ident": api_key.pk}


class PublicAPIRateThrottle(FailOpenRateThrottle):
    """The keyless public JSON, per client address (`PUBLIC_API_THROTTLE_RATE`): generous for
    widgets and browsers, a wall for a script hammering it."""

    scope = "public_api"
    rate_setting = "PUBLIC_API_THROTTLE_RATE"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
