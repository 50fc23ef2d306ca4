from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Asking customers: feedback requests, their emails and links, and the answers."""

    name = "feedback"

    def ready(self) -> None:
        from anymail.signals import tracking

        from feedback.webhooks import email_tracking_received

        # Bounces and complaints arrive through django-anymail's tracking webhooks.
        tracking.connect(email_tracking_received, dispatch_uid="feedback.email_tracking_received")
