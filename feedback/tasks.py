"""Thin Celery wrappers: ids in, one service call. Every task is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from feedback.services import csv_import, sending

SWEEP_CHUNK = 100


@shared_task(acks_late=True, ignore_result=True)
def send_feedback_requests(request_ids: list[int]) -> int:
    """Send these requests' invitations (the fast path, right after they were committed)."""
    return sending.feedback_requests_send(request_ids=request_ids)


@shared_task(acks_late=True, ignore_result=True)
def send_feedback_reminders(request_ids: list[int]) -> int:
    return sending.feedback_reminders_send(request_ids=request_ids)


@shared_task(ignore_result=True)
def sweep_feedback_requests() -> dict[str, int]:
    """Every 30 s: queue what the fast path missed, the due reminders, and expire old links."""
    due = sending.feedback_requests_due()
    for start in range(0, len(due), SWEEP_CHUNK):
        send_feedback_requests.delay(due[start : start + SWEEP_CHUNK])
    reminders = sending.feedback_reminders_due()
    for start in range(0, len(reminders), SWEEP_CHUNK):
        send_feedback_reminders.delay(reminders[start : start + SWEEP_CHUNK])
    return {"sends": len(due), "reminders": len(reminders), "expired": sending.feedback_requests_expire()}


@shared_task(acks_late=True, ignore_result=True)
def create_customer_import(import_id: int) -> int:
    """Create the requests of a confirmed CSV import, a few chunks at a time; returns rows done."""
    customer_import = csv_import.customer_import_run(import_id=import_id)
    return customer_import.rows_done if customer_import else 0


@shared_task(ignore_result=True)
def sweep_customer_imports() -> int:
    """Every minute: resume the confirmed imports that stopped moving (worker killed, lost enqueue)."""
    stalled = csv_import.customer_imports_stalled()
    for import_id in stalled:
        csv_import.enqueue_customer_import(import_id)
    return len(stalled)
