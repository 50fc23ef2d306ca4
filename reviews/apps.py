from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    """Making it right and moderating: complaint cases, reviews, replies, the moderation log."""

    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from businesses.demo import demo_part_register
        from businesses.privacy import erasure_step_register
        from feedback.events import answer_recorded
        from feedback.services.privacy import AnswerPart, answer_part_register
        from reviews import privacy
        from reviews.demo import demo_reviews_load
        from reviews.services.answers import feedback_answer_recorded

        answer_recorded.connect(feedback_answer_recorded, dispatch_uid="reviews.answer_recorded")
        # A customer's data: each answer's review and complaint; the emails quoting them erased with them.
        answer_part_register(AnswerPart("review", privacy.review_data, ("review",), ("review__log",)))
        answer_part_register(
            AnswerPart("complaint", privacy.case_data, ("case",), ("case__notes__author", "case__messages"))
        )
        erasure_step_register(privacy.messages_quoting_delete)
        demo_part_register(demo_reviews_load)
