"""Webhooks out: a signed POST to the business's URL, queued in the database, retried with back-off.

The delivery row is queued in the transaction of the event (so it exists exactly when the event
does), posted by the worker after commit (so it never delays the customer), claimed before each
attempt (so it is never posted twice at once), and retried with back-off until a 2xx answer.

Receivers verify `X-Raves-Signature: sha256=<hex>` = HMAC-SHA256(secret, "<timestamp>.<body>")
with `X-Raves-Timestamp`, and may reject stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from businesses.models import Business
from outbox.models import WebhookDelivery

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status
MAX_ATTEMPTS = 10
TIMEOUT_SECONDS = 5


class UnsafeWebhookURL(ValueError):
    """The URL points at this machine or a private network."""


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

    try:
        deliver_webhook.delay(delivery_id)
    except Exception:  # the broker is down: the sweep delivers it
        logger.warning("Could not enqueue webhook delivery %s; the sweep will.", delivery_id, exc_info=True)


def webhook_deliver(*, delivery_id: int) -> bool:
    """Claim and POST one delivery. True when the receiver answered 2xx."""
    now = timezone.now()
    claim = uuid.uuid4().hex
    claimed = WebhookDelivery.objects.filter(
        Q(status=Status.QUEUED) | Q(status=Status.SENDING, lease_until__lt=now), pk=delivery_id
    ).update(status=Status.SENDING, claim=claim, lease_until=now + timedelta(seconds=60), attempts=F("attempts") + 1)
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("business").get(pk=delivery_id)
    try:
        status_code = _post(delivery)
    except (UnsafeWebhookURL, OSError, urllib.error.URLError) as error:
        return _retry(delivery, claim, status_code=None, error=f"{type(error).__name__}: {error}")
    if 200 <= status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk, claim=claim).update(
            status=Status.DELIVERED,
            delivered_at=timezone.now(),
            last_status_code=status_code,
            claim="",
            lease_until=None,
            last_error="",
        )
        return True
    return _retry(delivery, claim, status_code=status_code, error=f"HTTP {status_code}")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _post(delivery: WebhookDelivery) -> int:
    check_url_is_public(delivery.url)
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 — the scheme is checked to be http(s) above
        delivery.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Raves-Webhooks/1",
            "X-Raves-Event": delivery.event,
            "X-Raves-Delivery": str(delivery.pk),
            "X-Raves-Timestamp": timestamp,
            "X-Raves-Signature": signature(delivery.business.webhook_secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def check_url_is_public(url: str) -> None:
    """Refuse URLs that resolve to loopback, private, link-local or reserved addresses (SSRF),
    unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on (tests, private deployments)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeWebhookURL(f"Not an http(s) URL: {url!r}")
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return
    for info in socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP):
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise UnsafeWebhookURL(f"{parts.hostname} resolves to a non-public address ({address}).")


def _retry(delivery: WebhookDelivery, claim: str, *, status_code: int | None, error: str) -> bool:
    rows = WebhookDelivery.objects.filter(pk=delivery.pk, claim=claim)
    if delivery.attempts >= MAX_ATTEMPTS:
        rows.update(status=Status.FAILED, claim="", lease_until=None, last_status_code=status_code, last_error=error)
    else:
        delay = timedelta(seconds=min(6 * 3600, 30 * 2 ** (delivery.attempts - 1)))
        rows.update(
            status=Status.QUEUED,
            claim="",
            lease_until=None,
            next_attempt_at=timezone.now() + delay,
            last_status_code=status_code,
            last_error=error[:1000],
        )
    logger.info("Webhook %s to %s failed (%s); attempt %d.", delivery.event, delivery.url, error, delivery.attempts)
    return False


def webhooks_due(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
