"""Building showcase data: one review through the factories, or thousands at once in bulk."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.utils import timezone

from businesses.models import Business, Customer, StaffMember
from feedback.models import Feedback, FeedbackRequest
from reviews.models import Review
from tests.feedback.factories import FeedbackFactory
from tests.reviews.factories import ReviewFactory

HOSTILE_COMMENT = "</script><script>alert(1)</script><img src=x onerror=alert(1)> \"quoted\" 'single' & <!--"
HOSTILE_NAME = '<img src=x onerror=alert(1)></script>"'


def review(business: Business, *, rating: int = 5, comment: str = "Lovely.", status: str = "published", **fields):
    """One review of `business` (published by default), its feedback built by the factories."""
    feedback_fields = {f"feedback__{name}": value for name, value in fields.items() if name in FEEDBACK_FIELDS}
    review_fields = {name: value for name, value in fields.items() if name not in FEEDBACK_FIELDS}
    return ReviewFactory(
        business=business,
        status=status,
        feedback__rating=rating,
        feedback__comment=comment,
        **feedback_fields,
        **review_fields,
    )


FEEDBACK_FIELDS = {"display_name", "staff", "internal", "consent_to_publish"}


def rating_only(business: Business, *, rating: int, internal: bool = False) -> Feedback:
    """A rating given without consent to publish: it has no review, yet counts in the average."""
    return FeedbackFactory(
        request__business=business,
        request__internal=internal,
        internal=internal,
        rating=rating,
        consent_to_publish=False,
    )


def published_reviews_bulk(
    business: Business, count: int, *, staff: StaffMember | None = None, start: int = 0
) -> list[Review]:
    """`count` published reviews, newest last, inserted with a handful of bulk queries."""
    now = timezone.now()
    tag = secrets.token_hex(4)
    customers = Customer.objects.bulk_create(
        Customer(business=business, name=f"Bulk Customer{start + i}", email=f"bulk-{tag}-{start + i}@example.com")
        for i in range(count)
    )
    requests = FeedbackRequest.objects.bulk_create(
        FeedbackRequest(
            business=business,
            customer=customer,
            staff=staff,
            interaction_at=now,
            status=FeedbackRequest.Status.RESPONDED,
            token_salt=secrets.token_hex(16),
            feedback_token_hash=secrets.token_hex(32),
            unsubscribe_token_hash=secrets.token_hex(32),
        )
        for customer in customers
    )
    feedback = Feedback.objects.bulk_create(
        Feedback(
            request=request,
            business=business,
            customer=request.customer,
            staff=staff,
            rating=1 + (start + i) % 5,
            comment=f"Bulk review number {start + i}: the team was helpful.",
            consent_to_publish=True,
            consent_at=now,
            display_name=f"Bulk C{start + i}.",
            editable_until=now + timedelta(days=7),
        )
        for i, request in enumerate(requests)
    )
    return Review.objects.bulk_create(
        Review(
            feedback=answer,
            business=business,
            status=Review.Status.PUBLISHED,
            published_at=now - timedelta(minutes=count - i),
            published_comment=answer.comment,
            published_display_name=answer.display_name,
        )
        for i, answer in enumerate(feedback)
    )


JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def jsonld_of(html: str) -> str:
    """The text of the page's one JSON-LD script element."""
    blocks = JSONLD.findall(html)
    assert len(blocks) == 1, f"expected one JSON-LD block, found {len(blocks)}"
    return blocks[0]
