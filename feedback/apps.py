from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Asking customers: feedback requests, their emails and links, and the answers."""

    name = "feedback"

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.db.models.signals import post_save

        from businesses.models import Business, StaffMember
        from feedback.services.open_links import open_feedback_link_made
        from feedback.webhooks import email_tracking_received

        # Bounces and complaints arrive through django-anymail's tracking webhooks.
        tracking.connect(email_tracking_received, dispatch_uid="feedback.email_tracking_received")
        # Every business and every staff member has an open feedback link from the start.
        for model in (Business, StaffMember):
            post_save.connect(
                open_feedback_link_made, sender=model, dispatch_uid=f"feedback.open_link.{model.__name__}"
            )
