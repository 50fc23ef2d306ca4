from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Asking customers: feedback requests, their emails and links, and the answers."""

    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.db.models.signals import post_save

        from businesses.demo import demo_part_register
        from businesses.models import Business, StaffMember
        from businesses.privacy import erasure_step_register, export_part_register
        from feedback.demo import demo_feedback_load
        from feedback.services import privacy
        from feedback.services.erased_addresses import erased_addresses_remember
        from feedback.services.open_links import open_feedback_link_made
        from feedback.webhooks import email_tracking_received

        # Bounces and complaints arrive through django-anymail's tracking webhooks.
        tracking.connect(email_tracking_received, dispatch_uid="feedback.email_tracking_received")
        # Every business and every staff member has an open feedback link from the start.
        for model in (Business, StaffMember):
            post_save.connect(
                open_feedback_link_made, sender=model, dispatch_uid=f"feedback.open_link.{model.__name__}"
            )
        # A customer's data: their requests and answers, the emails to them; erased with them.
        export_part_register("feedback_requests", privacy.requests_data)
        export_part_register("emails", privacy.emails_data)
        # Their opt-out or bounce outlives them, as a keyed hash: the next import must not email them.
        erasure_step_register(erased_addresses_remember)
        erasure_step_register(privacy.import_previews_forget)
        demo_part_register(demo_feedback_load)
