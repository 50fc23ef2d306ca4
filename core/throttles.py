"""API throttles: a budget per API key, and one per address for the keyless public JSON.

Counters live in the Django cache. When the cache is down, a throttle lets the call through and logs
a warning: a Redis outage must not turn every API call into a 500 (a throttle protects capacity; it
is not what keeps a caller out — the key is). After an error, every use of Redis in the process
(these limits, the links', the showcase cache, enqueues) leaves it alone for a while
(core/redis_rest.py), so a frozen Redis costs one time-out now and then, not one per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.client_address import client_address
from core.redis_rest import fail_open

if TYPE_CHECKING:  # DRF loads its settings (and so this module) while rest_framework.views imports
    from rest_framework.request import Request
    from rest_framework.views import APIView


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
        allowed = fail_open(lambda: allow(request, view), what=type(self).__name__)
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
