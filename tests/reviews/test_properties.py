"""Moderation by content, never by rating: a property test over the customer's submit.

For any comment (sometimes with links, contact details or profanity), display-name choice, consent
and publishing setting, two answers that differ only in their rating end the same way: published,
held for moderation or no review at all, with the same flags. The same holds when a customer
changes only the rating of an answer they gave before.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import Feedback
from feedback.services.responses import Answer, feedback_submit
from reviews.models import Review
from reviews.services.moderation import Actor, review_publish
from tests.businesses.factories import BusinessFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db

PIECES = [
    "The staff were lovely",
    "quick and careful work",
    "see https://example.org/deal",
    "www.example.net",
    "mybusiness.com",
    "write to ana@mail.example",
    "call +44 20 7946 0000",
    "we came on 12.03.2024",
    "shit",
    "sh1t!",
    "f*ck",
    "a pot of tea",
    "!!!",
    "",
]
# Any printable text (no control characters: the customer's form refuses them, PostgreSQL too).
free_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=60)
CLEAN_COMMENTS = [
    "The staff were lovely and quick.",
    "Maya fixed the boiler in an hour, thank you.",
    "Not great: we waited an hour.",
]
# Clean comments often, so the auto-publish path (where a rating rule would show) is well covered.
comments = st.one_of(
    st.sampled_from(CLEAN_COMMENTS),
    st.lists(st.one_of(st.sampled_from(PIECES), free_text), max_size=5).map(" ".join),
)
customer_names = st.sampled_from(["Ana Silva", "Bob", "", "Dick Head", "Www Example.com"])
two_ratings = st.lists(st.integers(min_value=1, max_value=5), min_size=2, max_size=2, unique=True)

PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(feedback: Feedback) -> tuple[str | None, list[str] | None]:
    """(the review's status or None when there is no review, its flags)."""
    review = Review.objects.filter(feedback=feedback).first()
    return (review.status, review.flags) if review else (None, None)


def submit(request_id: int, rating: int, comment: str, consent: bool, display_name_choice: str) -> Feedback:
    answer = Answer(rating=rating, comment=comment, consent_to_publish=consent, display_name_choice=display_name_choice)
    return feedback_submit(request_id=request_id, answer=answer)


class RolledBack:
    """Each example in a savepoint that is rolled back, so examples never see each other's rows."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()

    def __exit__(self, *exc_info):
        transaction.set_rollback(True)
        return self.atomic.__exit__(*exc_info)


@PROPERTY
@given(
    comment=comments,
    name=customer_names,
    display_name_choice=st.sampled_from(Feedback.DisplayName.values),
    consent=st.booleans(),
    auto_publish=st.booleans(),
    ratings=two_ratings,
)
def test_the_rating_alone_never_changes_whether_a_review_is_published_held_or_flagged(
    comment, name, display_name_choice, consent, auto_publish, ratings
):
    with RolledBack():
        business = BusinessFactory(auto_publish=auto_publish)
        outcomes = []
        for rating in ratings:
            request = FeedbackRequestFactory(business=business, customer__name=name)
            outcomes.append(outcome(submit(request.pk, rating, comment, consent, display_name_choice)))

        assert outcomes[0] == outcomes[1], f"ratings {ratings} ended differently: {outcomes}"
        if consent:
            assert outcomes[0][0] in (Review.Status.PUBLISHED, Review.Status.PENDING)
        else:
            assert outcomes[0] == (None, None)


@PROPERTY
@given(
    comment=comments,
    consent=st.booleans(),
    auto_publish=st.booleans(),
    moderator_publishes=st.booleans(),
    ratings=two_ratings,
)
def test_changing_only_the_rating_of_an_answer_never_changes_its_review(
    comment, consent, auto_publish, moderator_publishes, ratings
):
    first, second = ratings
    with RolledBack():
        business = BusinessFactory(auto_publish=auto_publish)
        request = FeedbackRequestFactory(business=business, customer__name="Ana Silva")
        feedback = submit(request.pk, first, comment, consent, Feedback.DisplayName.FIRST_NAME_INITIAL)
        review = Review.objects.filter(feedback=feedback).first()
        if review and moderator_publishes:
            review_publish(review=review, actor=Actor.of(UserFactory()))
        before = outcome(feedback)

        submit(request.pk, second, comment, consent, Feedback.DisplayName.FIRST_NAME_INITIAL)

        assert outcome(feedback) == before
