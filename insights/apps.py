from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Celebrate and monitor: the figures (dashboard, metrics API), the weekly wins email, kudos."""

    name = "insights"

    def ready(self) -> None:
        from feedback.events import answer_recorded
        from insights.receivers import answer_recorded_kudos

        answer_recorded.connect(answer_recorded_kudos, dispatch_uid="insights.answer_recorded")
