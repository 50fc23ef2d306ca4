"""The owner's admin for reviews (moderation) and complaint cases, one module each."""

from reviews import admin_cases, admin_reviews  # noqa: F401
