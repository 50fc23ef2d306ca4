"""Webhooks out: a signed POST to the business's URL, queued in the database, retried with back-off.

The delivery row is queued in the transaction of the event (so it exists exactly when the event
does), posted by the worker after commit (so it never delays the customer), claimed before each
attempt (so it is never posted twice at once), and retried with back-off until a 2xx answer,
MAX_ATTEMPTS times over about 30 hours, then `failed` (outbox/engine.py's claim and policy).
The POST itself goes through outbox/webhook_http.py: resolved once, public addresses only (or
the listed private targets), no redirects followed (a 3xx is a failed attempt), one wall-clock
deadline per attempt. URLs are logged and stored in errors without their credentials or query (redact_url).

Receivers verify `X-Raves-Signature: sha256=<hex>` = HMAC-SHA256(secret, "<timestamp>.<body>")
with `X-Raves-Timestamp`, and may reject stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from businesses.models import Business
from outbox.engine import (
    Kind,
    deliveries_claim,
    deliveries_due,
    deliveries_send_again,
    given_up,
    lease,
    policy,
    queued_again,
)
from outbox.enqueue import enqueue
from outbox.models import WebhookDelivery
from outbox.webhook_http import Answer, UnsafeWebhookURL, redact_url, webhook_addresses_resolve, webhook_post

__all__ = [
    "UnsafeWebhookURL",
    "check_url_is_public",
    "webhook_deliver",
    "webhook_queue",
    "webhooks_due",
    "webhooks_send_again",
]

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status
# The wait after each failed attempt (outbox/engine.py's policy): 8 attempts over about 30 hours.
RETRY_DELAYS = tuple(policy(Kind.WEBHOOK).delay(attempt) for attempt in range(1, policy(Kind.WEBHOOK).max_attempts))
MAX_ATTEMPTS = policy(Kind.WEBHOOK).max_attempts
# One attempt, from connecting to the last byte of the answer's headers (wall clock, not per read).
ATTEMPT_DEADLINE_SECONDS = 10
# At least twice as long as an attempt can last, so a live worker's claim never runs out under it.
MIN_LEASE = timedelta(seconds=2 * ATTEMPT_DEADLINE_SECONDS)


def webhook_queue(*, business: Business, event: str, key: str, data: dict) -> WebhookDelivery | None:
    """Queue `event` for the business's webhook (no-op without a URL, or when `key` was queued before)."""
    if not business.webhook_url:
        return None
    body = {
        "id": uuid.uuid4().hex,
        "event": event,
        "business": business.slug,
        "created_at": timezone.now(),
        "data": data,
    }
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                business=business,
                event=event,
                key=key[:200],
                url=business.webhook_url,
                body=json.dumps(body, cls=DjangoJSONEncoder),
                next_attempt_at=timezone.now() + timedelta(seconds=60),
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _enqueue(delivery_id: int) -> None:
    from outbox.tasks import deliver_webhook

    enqueue(deliver_webhook, delivery_id)  # if the broker is down, the sweep delivers it


def webhook_deliver(*, delivery_id: int) -> bool:
    """Claim and POST one delivery. True when the receiver answered 2xx.

    Whatever goes wrong on the way (an unsafe address, a refused or reset connection, garbage
    instead of HTTP, TLS, the deadline) is a failed attempt: retried with back-off, never left
    in `sending`.
    """
    claim = deliveries_claim(model=WebhookDelivery, ids=[delivery_id], now=timezone.now(), hold=max(lease(), MIN_LEASE))
    delivery = WebhookDelivery.objects.select_related("business").filter(pk=delivery_id, claim=claim).first()
    if delivery is None:
        return False
    if delivery.attempts > MAX_ATTEMPTS:  # a worker died holding the last attempt
        return _retry(delivery, claim, status_code=delivery.last_status_code, error=delivery.last_error)
    try:
        answer = _post(delivery)
    except (OSError, ValueError, http.client.HTTPException) as error:
        return _retry(delivery, claim, status_code=None, error=_describe(error))
    if 200 <= answer.status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk, claim=claim).update(
            status=Status.DELIVERED,
            delivered_at=timezone.now(),
            last_status_code=answer.status,
            claim="",
            lease_until=None,
            last_error="",
        )
        return True
    if 300 <= answer.status < 400:
        error = f"HTTP {answer.status}: redirect to {redact_url(answer.location) or '(no location)'} refused"
    else:
        error = f"HTTP {answer.status}"
    return _retry(delivery, claim, status_code=answer.status, error=error)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _post(delivery: WebhookDelivery) -> Answer:
    addresses = webhook_addresses_resolve(
        delivery.url,
        allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
        allowed_targets=settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS,
    )
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Raves-Webhooks/1",
        "X-Raves-Event": delivery.event,
        "X-Raves-Delivery": str(delivery.pk),
        "X-Raves-Timestamp": timestamp,
        "X-Raves-Signature": signature(delivery.business.webhook_secret, timestamp, body),
    }
    return webhook_post(
        url=delivery.url, addresses=addresses, body=body, headers=headers, deadline_seconds=ATTEMPT_DEADLINE_SECONDS
    )


def check_url_is_public(url: str) -> None:
    """Refuse URLs that resolve to loopback, private, link-local or reserved addresses (SSRF),
    except the targets listed in WEBHOOKS_ALLOWED_PRIVATE_TARGETS (or any, with only
    WEBHOOKS_ALLOW_PRIVATE_ADDRESSES on, for development)."""
    webhook_addresses_resolve(
        url,
        allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
        allowed_targets=settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS,
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"No complete answer within {ATTEMPT_DEADLINE_SECONDS:g} s."
    return f"{type(error).__name__}: {error}"


def _printable(text: str) -> str:
    """`text` with control characters escaped: a receiver's garbage may hold NUL bytes, which
    PostgreSQL refuses in a text column, and terminal escapes that have no place in the admin."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def _retry(delivery: WebhookDelivery, claim: str, *, status_code: int | None, error: str) -> bool:
    error = _printable(_without_credentials(error, delivery.url))[:1000]
    rows = WebhookDelivery.objects.filter(pk=delivery.pk, claim=claim)
    now = timezone.now()
    if delivery.attempts >= MAX_ATTEMPTS:
        rows.update(**given_up(now), last_status_code=status_code, last_error=error)
    else:
        rows.update(
            **queued_again(now + policy(Kind.WEBHOOK).delay(delivery.attempts)),
            last_status_code=status_code,
            last_error=error,
        )
    logger.info(
        "Webhook %s to %s failed (%s); attempt %d of %d.",
        delivery.event,
        redact_url(delivery.url),
        error,
        delivery.attempts,
        MAX_ATTEMPTS,
    )
    return False


def _without_credentials(text: str, url: str) -> str:
    """`text` with the URL's password and query replaced, in case an error message quoted them."""
    parts = urlsplit(url)
    for secret in (parts.password, parts.query, parts.username):
        if secret:
            text = text.replace(secret, "***")
    return text


def webhooks_due(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    return deliveries_due(model=WebhookDelivery, now=now or timezone.now(), limit=limit)


def webhooks_send_again(*, deliveries: QuerySet[WebhookDelivery]) -> list[int]:
    """Requeue the `failed` deliveries among `deliveries` once each, attempts reset. Returns their ids."""
    ids = deliveries_send_again(queryset=deliveries, now=timezone.now())
    for delivery_id in ids:
        transaction.on_commit(lambda delivery_id=delivery_id: _enqueue(delivery_id))
    return ids
