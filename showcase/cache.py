"""Per-business cache of what the public sees, with one switch to invalidate it all.

Every cached value's key carries the business's current *version*; invalidating a business
gives it a new version, so every page, widget and JSON answer of it is recomputed on next use.
The cache is a help, never a dependency: when it fails (Redis down or frozen), values are
computed from the database and the page still answers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")
TIMEOUT = 15 * 60


def _version_key(business_id: int) -> str:
    return f"showcase:version:{business_id}"


def cached(business_id: int, name: str, compute: Callable[[], T]) -> T:
    """`compute()`'s value for this business and `name`, from the cache when it is there."""
    try:
        version = cache.get(_version_key(business_id))
        if version is None:
            version = uuid.uuid4().hex
            cache.add(_version_key(business_id), version, None)
            version = cache.get(_version_key(business_id), version)
        key = f"showcase:{business_id}:{version}:{name}"
        value = cache.get(key)
    except Exception:  # any cache failure: answer from the database
        logger.warning("Showcase cache unavailable; computing from the database.", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, TIMEOUT)
        except Exception:
            logger.warning("Showcase cache unavailable; value not stored.", exc_info=True)
    return value


def showcase_cache_invalidate(business_id: int) -> None:
    """Forget everything cached for this business, once the current transaction commits."""
    transaction.on_commit(lambda: _new_version(business_id))


def _new_version(business_id: int) -> None:
    try:
        cache.set(_version_key(business_id), uuid.uuid4().hex, None)
    except Exception:
        logger.warning("Could not invalidate the showcase cache of business %s.", business_id, exc_info=True)
