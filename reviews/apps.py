from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """Making it right and moderating: complaint cases, reviews, replies, the moderation log."""

    name = "reviews"
