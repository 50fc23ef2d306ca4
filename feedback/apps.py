from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Asking customers: feedback requests, their emails and links, and the answers."""

    name = "feedback"
