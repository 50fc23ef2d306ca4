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


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> bool:
    from outbox.webhooks import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def sweep_webhooks() -> int:
    """Every 30 s: deliveries that are due (retries with back-off, or missed by the fast path)."""
    from outbox.webhooks import webhooks_due

    due = webhooks_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)
