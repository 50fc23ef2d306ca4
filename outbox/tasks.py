"""Thin Celery wrappers around the outbox. Safe to run twice: sends claim first."""

from __future__ import annotations

from celery import shared_task

from outbox import services

SWEEP_CHUNK = 100


@shared_task(acks_late=True, ignore_result=True)
def send_outbox_emails(email_ids: list[int]) -> int:
    return services.outbox_emails_send(email_ids=email_ids)


@shared_task(ignore_result=True)
def sweep_outbox() -> int:
    """Every 30 s: queue the emails that are due (missed by the fast path, retries, batched ones)."""
    due = services.outbox_emails_due()
    for start in range(0, len(due), SWEEP_CHUNK):
        send_outbox_emails.delay(due[start : start + SWEEP_CHUNK])
    return len(due)
