"""Thin Celery wrappers for cases."""

from __future__ import annotations

from celery import shared_task

from reviews.services.cases import cases_overdue_remind


@shared_task(ignore_result=True)
def remind_overdue_cases() -> int:
    """Every minute: one reminder per complaint that passed its deadline without a response."""
    return cases_overdue_remind()
