"""Enqueueing is best effort: one broker failure makes the next enqueues return at once."""

from __future__ import annotations

from unittest import mock

import pytest

from core import redis_rest
from outbox.enqueue import BROKER_REST_SECONDS, enqueue
from outbox.tasks import send_outbox_emails


def test_a_broker_failure_is_paid_once_then_enqueues_return_at_once(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(redis_rest.time, "monotonic", lambda: clock[0])
    with mock.patch.object(send_outbox_emails, "delay", side_effect=ConnectionError("frozen")) as delay:
        assert enqueue(send_outbox_emails, [1]) is False
        assert enqueue(send_outbox_emails, [2]) is False
        assert enqueue(send_outbox_emails, [3]) is False
    assert delay.call_count == 1  # the two later ones never touched the broker


@pytest.mark.parametrize("broker_back", [True, False])
def test_after_its_rest_the_broker_is_tried_again(monkeypatch, broker_back):
    clock = [1000.0]
    monkeypatch.setattr(redis_rest.time, "monotonic", lambda: clock[0])
    with mock.patch.object(send_outbox_emails, "delay", side_effect=ConnectionError("down")):
        enqueue(send_outbox_emails, [1])
    clock[0] += BROKER_REST_SECONDS + 0.1

    side_effect = None if broker_back else ConnectionError("still down")
    with mock.patch.object(send_outbox_emails, "delay", side_effect=side_effect) as delay:
        assert enqueue(send_outbox_emails, [2]) is broker_back
        assert enqueue(send_outbox_emails, [3]) is broker_back
    assert delay.call_count == (2 if broker_back else 1)


def test_a_cache_failure_makes_enqueues_skip_the_same_redis_too(monkeypatch):
    """Broker and cache are one Redis: after the limits or the showcase found it frozen, an enqueue
    does not wait its own time-out again (a 1-star answer paid three in turn, 6 s, before)."""
    assert redis_rest.fail_open(mock.Mock(side_effect=TimeoutError("frozen")), what="Link limit") is None
    with mock.patch.object(send_outbox_emails, "delay") as delay:
        assert enqueue(send_outbox_emails, [1]) is False
    delay.assert_not_called()
