"""Per-business cache of what the public sees, with one switch to invalidate it all.

Shared cache (Redis). Each business has a current *version*; every cached value is stored with
the version it was computed under, and is used only while that version is current. Invalidating a
business gives it a new version, so every page, widget and JSON answer of it is recomputed on next
use. Reading a value is one round trip (the version and the value are fetched together).

Process memory. The busiest answers are read thousands of times a second, so each process also
keeps, for a moment, which business a public URL names (LOOKUP_SECONDS: no database query) and
the answers it just read or computed (LOCAL_SECONDS: no Redis round trip). Invalidating a business
forgets it at once in the process that made the change, and within those few seconds in the
others — less than the minute browsers may keep the answers anyway (Cache-Control max-age=60).
Values are always computed from a business loaded afresh, never from a remembered one.

The cache is a help, never a dependency: when it fails (Redis down or frozen), values are
computed from the database and the page still answers. After a failure of any use of Redis, this
process leaves it alone for a while (core/redis_rest.py), so a frozen Redis costs one time-out
now and then, not one per request. An invalidation made meanwhile is kept in process memory and
made at the next successful use of the cache; one lost with its process is bounded by TIMEOUT.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from core.redis_rest import redis_failed, redis_resting

if TYPE_CHECKING:
    from businesses.models import Business

T = TypeVar("T")
TIMEOUT = 15 * 60
LOOKUP_SECONDS = 2.0
LOCAL_SECONDS = 1.0
LOCAL_SIZE = 512

_lock = threading.Lock()
# slug -> (business, monotonic time it was loaded)
_lookups: dict[str, tuple[Business, float]] = {}
# (business id, name) -> (value, monotonic time it was read from or written to the shared cache)
_recent: dict[tuple[int, str], tuple[Any, float]] = {}
# Businesses whose invalidation could not reach Redis yet.
_pending: set[int] = set()


def public_business(slug: str, load: Callable[[str], Business]) -> Business:
    """The public business at `slug`, remembered for LOOKUP_SECONDS: use it to find answers, not to compute them.

    `load` raises Http404 for an unknown slug or a showcase switched off; that is never remembered.
    """
    remembered = _lookups.get(slug)
    now = time.monotonic()
    if remembered is not None and now - remembered[1] < LOOKUP_SECONDS:
        return remembered[0]
    business = load(slug)
    _remember(_lookups, slug, (business, now))
    return business


def cached(business_id: int, name: str, compute: Callable[[], T]) -> T:
    """`compute()`'s value for this business and `name`, from the cache when it is there and current."""
    now = time.monotonic()
    recent = _recent.get((business_id, name))
    if recent is not None and now - recent[1] < LOCAL_SECONDS:
        return recent[0]
    if redis_resting():
        return compute()
    _invalidate_pending()
    version_key, value_key = _version_key(business_id), _value_key(business_id, name)
    try:
        found = cache.get_many([version_key, value_key])
        version = found.get(version_key)
        entry = found.get(value_key)
        if version is not None and entry is not None and entry[0] == version:
            _remember(_recent, (business_id, name), (entry[1], now))
            return entry[1]
        if version is None:
            version = _version_start(version_key)
    except Exception:  # any cache failure: answer from the database
        redis_failed("Showcase cache (computing from the database)")
        return compute()
    value = compute()
    try:
        cache.set(value_key, (version, value), TIMEOUT)
    except Exception:
        redis_failed("Showcase cache (value not stored)")
        return value
    _remember(_recent, (business_id, name), (value, now))
    return value


def showcase_cache_invalidate(business_id: int) -> None:
    """Forget everything cached for this business, once the current transaction commits.

    Call it from every write that changes what the public sees of a business: a review published,
    rejected, withdrawn, replied to or featured, any rating recorded (the average counts them all),
    the business's own details.
    """
    transaction.on_commit(lambda: _new_version(business_id))


def forget_local() -> None:
    """Empty this process's memory of businesses and answers (the shared cache is left as it is)."""
    with _lock:
        _lookups.clear()
        _recent.clear()


def _version_key(business_id: int) -> str:
    return f"showcase:version:{business_id}"


def _value_key(business_id: int, name: str) -> str:
    return f"showcase:{business_id}:{name}"


def _version_start(version_key: str) -> str:
    """The first version of a business; when two requests race, both use the one that was stored."""
    version = uuid.uuid4().hex
    if cache.add(version_key, version, None):
        return version
    return cache.get(version_key) or version


def _remember(memory: dict, key, value) -> None:
    with _lock:
        if len(memory) >= LOCAL_SIZE and key not in memory:
            memory.pop(next(iter(memory)))  # the oldest
        memory[key] = value


def _new_version(business_id: int) -> None:
    with _lock:
        for slug in [slug for slug, (business, _) in _lookups.items() if business.pk == business_id]:
            del _lookups[slug]
        for key in [key for key in _recent if key[0] == business_id]:
            del _recent[key]
        _pending.add(business_id)
    _invalidate_pending()


def _invalidate_pending() -> None:
    """Give each business waiting for it a new version; skipped while Redis rests (kept for later)."""
    if not _pending or redis_resting():
        return
    with _lock:
        waiting = set(_pending)
    try:
        cache.set_many({_version_key(business_id): uuid.uuid4().hex for business_id in waiting}, None)
    except Exception:
        redis_failed("Showcase cache invalidation (kept for later)")
        return
    with _lock:
        _pending.difference_update(waiting)
