"""Thin Celery wrappers for the celebrating side. Safe to run twice, or from two schedulers at once."""

from __future__ import annotations

from celery import shared_task

from insights.services import digest, kudos, scorecards


@shared_task(ignore_result=True)
def send_due_digests() -> int:
    """Every 15 minutes: the weekly wins emails whose local weekday and hour have come (once a week each)."""
    return sum(1 for outcome in digest.digests_send_due() if outcome.sent)


@shared_task(ignore_result=True)
def send_kudos() -> int:
    """Every 10 minutes: each named staff member's waiting kudos, in at most one email a day each."""
    return kudos.kudos_send_due()


@shared_task(ignore_result=True)
def send_due_scorecards() -> int:
    """Every 15 minutes: from the 1st of the month, each staff member's own scorecard of the month just ended."""
    return scorecards.scorecards_send_due()
