"""What insights does when something happens below it (connected in InsightsConfig.ready)."""

from __future__ import annotations

from feedback.models import Feedback
from insights.services.kudos import kudos_record


def answer_recorded_kudos(*, feedback: Feedback, **event) -> None:
    """feedback.events.answer_recorded: kudos for the staff member a warm answer names."""
    kudos_record(feedback=feedback)
