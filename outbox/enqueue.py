"""Hand work to the Celery worker, best effort: nobody waits on a broken broker.

Whatever a task would send is already committed (the database is the outbox) and a sweep runs
every 30 seconds, so work that cannot be enqueued is late, never lost. An enqueue therefore:

- publishes once: Celery's publish retries are off (`CELERY_TASK_PUBLISH_RETRY`), since against a
  frozen Redis each retry waited the socket time-out again, and a customer's submit took seconds;
- after a failure, leaves Redis alone for `core.redis_rest.REST_SECONDS`: the next enqueues of
  the same request, every other request this process serves meanwhile, and the cache uses that
  share the same Redis (limits, showcase), return at once.
"""

from __future__ import annotations

from celery import Task

from core.redis_rest import REST_SECONDS, fail_open, redis_rest_end

BROKER_REST_SECONDS = REST_SECONDS


def enqueue(task: Task, *args) -> bool:
    """Send `task(*args)` to the worker. False, and a warning, when the broker did not take it."""
    return fail_open(lambda: task.delay(*args), what=f"Enqueue of {task.name} (the sweep will do it)") is not None


def broker_rest_reset() -> None:
    """Forget a past failure (tests, or a process that knows the broker is back)."""
    redis_rest_end()
