from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from businesses.models import Business
from core.verbose_names import translatable_names
from outbox.webhook_http import redact_url


class OutboxEmail(models.Model):
    """One rendered email waiting to be sent, sent, or given up on."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox")
    # What makes this email unique ("case-opened:12:owner@example.com"): a second queue is a no-op.
    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    reply_to = models.EmailField(blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outgoing email")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outboxemail_due"),
            models.Index(fields=["status", "lease_until"], name="outboxemail_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class WebhookDelivery(models.Model):
    """One event to POST to a business's webhook URL, until it answers 2xx (or we give up)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event = models.CharField(max_length=40)
    key = models.CharField(max_length=200, unique=True, help_text=_("One delivery per event and object."))
    url = models.URLField()
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {redact_url(self.url)} ({self.get_status_display()})"


# The names the admin shows for what Django names itself (see core/verbose_names.py).
translatable_names(
    OutboxEmail,
    verbose_name_plural=_("outgoing emails"),
    business=_("business"),
    key=_("key"),
    to=_("to"),
    subject=_("subject"),
    text=_("text"),
    html=_("html"),
    headers=_("headers"),
    reply_to=_("reply to"),
    status=_("status"),
    attempts=_("attempts"),
    last_error=_("last error"),
    created_at=_("created at"),
    sent_at=_("sent at"),
)
translatable_names(
    WebhookDelivery,
    verbose_name=_("webhook delivery"),
    business=_("business"),
    event=_("event"),
    key=_("key"),
    url=_("url"),
    body=_("body"),
    status=_("status"),
    next_attempt_at=_("next attempt at"),
    attempts=_("attempts"),
    last_status_code=_("last status code"),
    last_error=_("last error"),
    created_at=_("created at"),
    delivered_at=_("delivered at"),
)
