"""Thin Celery wrappers for cases."""

from __future__ import annotations

from celery import shared_task

from reviews.services.cases import cases_overdue_escalate, cases_overdue_remind


@shared_task(ignore_result=True)
def remind_overdue_cases() -> int:
    """Every minute: remind once when a complaint passes its deadline unanswered, then alert the owners once."""
    return cases_overdue_remind() + cases_overdue_escalate()
