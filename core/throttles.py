"""API throttles: a budget per API key, and one per address for the keyless public JSON.

Counters live in the Django cache. When the cache is down, a throttle lets the call through and logs
a warning: a Redis outage must not turn every API call into a 500 (a throttle protects capacity; it
is not what keeps a caller out — the key is). After an error, every use of Redis in the process
(these limits, the links', the showcase cache, enqueues) leaves it alone for a while
(core/redis_rest.py), so a frozen Redis costs one time-out now and then, not one per request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

from core.client_address import client_address
from core.env import parse_rate
from core.redis_rest import fail_open

if TYPE_CHECKING:  # DRF loads its settings (and so this module) while rest_framework.views imports
    from rest_framework.request import Request
    from rest_framework.views import APIView


# Far from its limit, a process sends its hits to the cache in batches of this share of the limit
# (1/50: a 600/min limit is told every 12 hits), so most hits cost no round trip; within a batch of
# the limit it sends every hit. With N processes, at most N - 1 batches get past the limit.
BATCH_SHARE = 50


@dataclass
class _Window:
    """What this process knows of one counter's window."""

    ends_at: float
    unsent: int = 0
    known: int = 0  # the window's total when the cache last told it
    asked: bool = False
    over: bool = False


_windows: dict[str, _Window] = {}
_windows_lock = threading.Lock()
_next_sweep = 0.0  # ended windows are forgotten at most once a second, not on every new counter


def over_limit(counter: str, rate: str, *, what: str) -> int | None:
    """Count one hit on `counter` in the current window of `rate` (e.g. "1200/min"): the seconds
    until that window ends when the window is over the limit, else None.

    Fixed windows, counted in the cache by every process together. Each process adds its hits in
    batches while far from the limit (BATCH_SHARE), every hit near it, and once the cache says a
    window is over the limit the process refuses the rest of that window without asking again: a
    script hammering one address costs the cache nothing more. Limits under 100 hits count every
    hit. `what` names the limit in the warning when the cache is down; hits are then let through,
    except in a window this process already saw over its limit.
    """
    limit, window = parse_rate(rate)
    now = time.time()
    key = f"limit:{counter}:{int(now) // window}"
    wait = window - int(now) % window
    with _windows_lock:
        state = _windows.get(key)
        if state is None:
            _forget_ended(now)
            state = _windows[key] = _Window(ends_at=(int(now) // window + 1) * window)
        if state.over:
            return wait
        state.unsent += 1
        batch = max(1, limit // BATCH_SHARE)
        # The first hit of a window asks the cache at once: a cache that is down is then found (and
        # left alone for a while, core/redis_rest.py) by the cheapest use of it, not by an enqueue.
        if state.asked and state.unsent < batch and state.known + state.unsent + batch <= limit:
            return None
        sending, state.unsent, state.asked = state.unsent, 0, True
    hits = fail_open(lambda: _count(key, window, sending), what=what)
    if hits is None:
        return None
    with _windows_lock:
        state.known = max(state.known, hits)
        state.over = hits > limit
    return wait if hits > limit else None


def forget_local_counts() -> None:
    """Forget this process's unsent hits and refusals (tests start afresh with an empty cache)."""
    global _next_sweep
    with _windows_lock:
        _windows.clear()
        _next_sweep = 0.0


def _forget_ended(now: float) -> None:
    global _next_sweep
    if now < _next_sweep:
        return
    _next_sweep = now + 1
    for key in [key for key, state in _windows.items() if state.ends_at <= now]:
        del _windows[key]


def _count(key: str, window: int, hits: int) -> int:
    """Add `hits` to `key`, kept for its window; the window's total. On Redis one round trip: INCRBY
    and EXPIRE sent together (the key names its window, so renewing the expiry each time only keeps
    a finished window's key a little longer); Django's `add` and `incr` would take three."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        name = backend.make_and_validate_key(key)
        pipeline = backend._cache.get_client(name, write=True).pipeline(transaction=False)
        total, _ = pipeline.incrby(name, hits).expire(name, window).execute()
        return total
    backend.add(key, 0, timeout=window)
    return backend.incr(key, hits)


class FailOpenRateThrottle(BaseThrottle):
    """A DRF throttle counting with `over_limit`, its rate the Django setting named by `rate_setting`,
    read per call (so tests and settings overrides apply); it never fails a request because the
    cache did."""

    scope = ""
    rate_setting = ""
    seconds_to_wait: int | None = None

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)

    def get_ident(self, request: Request) -> str:
        return client_address(request) or "unknown"

    def get_counter(self, request: Request, view: APIView) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        counter = self.get_counter(request, view)
        if counter is None:
            return True
        self.seconds_to_wait = over_limit(f"{self.scope}:{counter}", self.get_rate(), what=type(self).__name__)
        return self.seconds_to_wait is None

    def wait(self) -> int | None:
        return self.seconds_to_wait


class APIKeyRateThrottle(FailOpenRateThrottle):
    """Each API key has its own budget (`API_THROTTLE_RATE`): one busy integration never slows another."""

    scope = "api_key"
    rate_setting = "API_THROTTLE_RATE"

    def get_counter(self, request: Request, view: APIView) -> str | None:
        api_key = request.auth
        if getattr(api_key, "pk", None) is None:
            return None  # no key: the call is refused (401) before throttles run, or needs none
        return str(api_key.pk)


class PublicAPIRateThrottle(FailOpenRateThrottle):
    """The keyless public JSON, per client address (`PUBLIC_API_THROTTLE_RATE`): generous for
    widgets and browsers, a wall for a script hammering it."""

    scope = "public_api"
    rate_setting = "PUBLIC_API_THROTTLE_RATE"

    def get_counter(self, request: Request, view: APIView) -> str | None:
        return self.get_ident(request)
