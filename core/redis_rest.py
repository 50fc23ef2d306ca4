"""Redis is a help, never a dependency of a web request: one fail-open guard for every use of it.

One Redis serves as the Celery broker and the Django cache (the limits' counters, the showcase
cache). When it fails — down (refused at once) or frozen (each call waits its socket time-out,
REDIS_TIMEOUT) — a request carries on without it: a limit lets the call through, the showcase
computes from the database, an enqueue leaves its committed rows to the sweep.

After one failure of any of these uses, this process leaves Redis alone for `REST_SECONDS`: broker
and cache are the same server, so the next uses would only wait the same time-out again. Measured
with gunicorn and a frozen Redis (tests/integration/test_broker_outage.py), a 1-star answer paid
a time-out for the link limit, one per enqueue and one for the showcase invalidation (6 s) before
the uses shared this rest; now a request pays at most one time-out, and the next ones none.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Long enough that a burst of requests pays one time-out, short enough that the fast path is back
# soon after Redis is; the sweeps (every 30 s) cover the gap either way.
REST_SECONDS = 15.0

_resting_until = 0.0


def redis_resting() -> bool:
    """Whether Redis failed in this process a moment ago, so its uses should be skipped for now."""
    return time.monotonic() < _resting_until


def redis_failed(what: str) -> None:
    """Record a failure of Redis (called from an `except` block): every use rests for a while."""
    global _resting_until
    _resting_until = time.monotonic() + REST_SECONDS
    logger.warning("%s skipped: Redis is unavailable; not trying it for %d s.", what, REST_SECONDS, exc_info=True)


def redis_rest_end() -> None:
    """Use Redis again at once (tests, or a process that knows Redis is back)."""
    global _resting_until
    _resting_until = 0.0


def fail_open(call: Callable[[], T], *, what: str) -> T | None:
    """`call()`, or None (and a warning) when it fails or Redis failed a moment ago.

    `what` names the use in the warning ("Link limit", "Enqueue of ..."). Any exception counts as a
    failure: the backends raise redis.ConnectionError, TimeoutError, OSError, kombu's
    OperationalError..., and none of them may turn a request into a 500.
    """
    if redis_resting():
        return None
    try:
        return call()
    except Exception:
        redis_failed(what)
        return None
