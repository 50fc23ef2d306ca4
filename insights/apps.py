from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Celebrate and monitor: the figures (dashboard, metrics API), the weekly wins email, kudos."""

    name = "insights"
