"""Email providers' tracking webhooks (django-anymail): bounces, rejections and spam complaints.

Anymail authenticates the POST (basic auth with ANYMAIL["WEBHOOK_SECRET"], or the provider's
signature) and turns the provider's payload into an `AnymailTrackingEvent`; this receiver hands
the events that stop email to a customer to `email_event_record`, which applies each event once.
"""

from __future__ import annotations

import hashlib
import logging

from anymail.signals import AnymailTrackingEvent
from anymail.utils import get_anymail_setting

from feedback.models import ProcessedWebhookEvent
from feedback.services.responses import BOUNCE_EVENTS, email_event_record

logger = logging.getLogger(__name__)

EVENT_ID_MAX_LENGTH = ProcessedWebhookEvent._meta.get_field("event_id").max_length
REQUEST_ID_MAX = 2**63 - 1  # the largest BigAutoField


def email_tracking_received(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """Receiver of `anymail.signals.tracking`: record a bounce, rejection or complaint once."""
    if event.event_type not in BOUNCE_EVENTS:
        return
    if _unauthenticated(sender):
        logger.error(
            "Ignored a %s %s event: set ANYMAIL_WEBHOOK_SECRET, else anyone could stop your emails.",
            esp_name,
            event.event_type,
        )
        return
    email_event_record(
        esp=esp_name,
        event_id=event_id_for(event, esp_name),
        event_type=event.event_type,
        recipient=event.recipient or "",
        request_id=request_id_from(event.metadata),
    )


def _unauthenticated(view_class) -> bool:
    # Anymail accepts any POST to a basic-auth-only provider's webhook when no secret is set
    # (it only warns); providers that sign their webhooks do not rely on the secret.
    relies_on_basic_auth = getattr(view_class, "warn_if_no_basic_auth", False)
    return relies_on_basic_auth and not get_anymail_setting("webhook_secret", default=None)


def request_id_from(metadata: object) -> int | None:
    """The request id our email put in its metadata, or None when absent or not a usable id."""
    if not isinstance(metadata, dict):
        return None
    value = str(metadata.get("feedback_request_id", "")).strip()
    if not value.isascii() or not value.isdigit():
        return None
    request_id = int(value)
    return request_id if 0 < request_id <= REQUEST_ID_MAX else None


def event_id_for(event: AnymailTrackingEvent, esp_name: str) -> str:
    """The provider's event id; a digest of the event's identity when it has none (or a huge one)."""
    event_id = str(event.event_id) if event.event_id not in (None, "") else ""
    if event_id and len(event_id) <= EVENT_ID_MAX_LENGTH:
        return event_id
    identity = event_id or "|".join(
        str(part)
        for part in (
            esp_name,
            event.event_type,
            event.recipient,
            event.message_id,
            event.timestamp.isoformat() if event.timestamp else "",
        )
    )
    return "sha256:" + hashlib.sha256(identity.encode()).hexdigest()
