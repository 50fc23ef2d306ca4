"""What showcase does when something happens below it (connected in ShowcaseConfig.ready)."""

from __future__ import annotations

from feedback.models import Feedback
from showcase.cache import showcase_cache_invalidate


def answer_recorded_forget_page(*, feedback: Feedback, **event) -> None:
    """feedback.events.answer_recorded: every rating counts in the public average, published or not."""
    showcase_cache_invalidate(feedback.business_id)


def public_page_changed_forget_page(*, business_id: int, **event) -> None:
    """businesses.events.public_page_changed: the business's pages are built afresh after the commit."""
    showcase_cache_invalidate(business_id)
