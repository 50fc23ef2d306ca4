"""What the celebrating side remembers: which weekly digests went out, and the kudos waiting to be sent."""

from __future__ import annotations

from django.db import models

from businesses.models import Business, StaffMember
from feedback.models import Feedback


class DigestRun(models.Model):
    """One business's weekly wins email for one week.

    The unique (business, week) row is the claim: whoever inserts it sends that week's digest, so a
    second scheduler, a re-run of the task or `send_digests` never sends the same week twice.
    """

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "On schedule"
        MANUAL = "manual", "By hand (send_digests --now)"

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="digest_runs")
    # The ISO week of the local day the digest was sent ("2026-W47").
    week = models.CharField(max_length=8)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["business", "week"], name="digestrun_unique_business_week")]

    def __str__(self) -> str:
        return f"Digest {self.week} of {self.business}"


class Kudos(models.Model):
    """A customer named a staff member in a 4–5 star answer: a personal note waiting to be sent.

    One per feedback, so an edit of the answer never creates a second one. Pending kudos are
    batched into at most one email a day per staff member.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        DROPPED = "dropped", "Dropped (the answer changed or the staff member left)"

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="kudos")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="kudos")
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="kudos")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "kudos"
        indexes = [
            models.Index(fields=["status", "staff"], name="kudos_status_staff"),
            models.Index(fields=["staff", "sent_at"], name="kudos_staff_sent"),
        ]

    def __str__(self) -> str:
        return f"Kudos for {self.staff} ({self.get_status_display()})"
