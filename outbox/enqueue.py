"""Hand work to the Celery worker, best effort: nobody waits on a broken broker.

Whatever a task would send is already committed (the database is the outbox) and a sweep runs
every 30 seconds, so work that cannot be enqueued is late, never lost. An enqueue therefore:

- publishes once: Celery's publish retries are off (`CELERY_TASK_PUBLISH_RETRY`), since against a
  frozen Redis each retry waited the socket time-out again, and a customer's submit took seconds;
- after a failure, leaves the broker alone for `BROKER_REST_SECONDS`: the next enqueues of the same
  request, and of every other request this process serves meanwhile, return at once.
"""

from __future__ import annotations

import logging
import time

from celery import Task

logger = logging.getLogger(__name__)
# Long enough that a burst of requests pays one broker time-out, short enough that the fast path
# is back soon after the broker is; the sweep covers the gap either way.
BROKER_REST_SECONDS = 15.0

_failed_at: float | None = None


def enqueue(task: Task, *args) -> bool:
    """Send `task(*args)` to the worker. False, and a warning, when the broker did not take it."""
    global _failed_at
    if _failed_at is not None and time.monotonic() - _failed_at < BROKER_REST_SECONDS:
        return False
    try:
        task.delay(*args)
    except Exception:  # any broker error: the rows stay queued for the sweep
        _failed_at = time.monotonic()
        logger.warning("Could not enqueue %s; the sweep will do it.", task.name, exc_info=True)
        return False
    _failed_at = None
    return True


def broker_rest_reset() -> None:
    """Forget a past failure (tests, or a process that knows the broker is back)."""
    global _failed_at
    _failed_at = None
