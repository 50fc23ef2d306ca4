from __future__ import annotations

from django.db import models

from businesses.models import Business


class OutboxEmail(models.Model):
    """One rendered email waiting to be sent, sent, or given up on."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

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
        verbose_name = "outgoing email"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outboxemail_due"),
            models.Index(fields=["status", "lease_until"], name="outboxemail_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
