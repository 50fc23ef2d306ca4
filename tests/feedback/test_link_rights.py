"""What the customer can still do through their own link: withdraw consent (no time limit), and
undo their own opt-out. A GET never changes anything."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from businesses.models import Customer
from feedback.models import Feedback, FeedbackRequest
from reviews.models import Review
from showcase import cache as showcase_cache
from tests.feedback.factories import FeedbackRequestFactory, feedback_token, unsubscribe_token

pytestmark = pytest.mark.django_db
COMMENT = "The best croissant in town, and such kind people."


@pytest.fixture(autouse=True)
def _fresh_showcase_memory():
    """The public page's in-process memory must not outlive a test (ids repeat after a rollback)."""
    showcase_cache.forget_local()
    yield
    showcase_cache.forget_local()


@pytest.fixture
def request_(business) -> FeedbackRequest:
    business.auto_publish = True  # an unflagged review goes public at once
    business.save()
    return FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email="ana@example.com")


def form_url(request: FeedbackRequest) -> str:
    return f"/f/{feedback_token(request)}/"


def public_page(client: Client, business) -> str:
    response = client.get(f"/b/{business.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def answered_with_consent(client: Client, request: FeedbackRequest) -> None:
    answer = {"rating": "5", "comment": COMMENT, "display_name_choice": "first_initial", "consent_to_publish": "on"}
    assert client.post(form_url(request), answer).status_code == 302
    assert COMMENT in public_page(client, request.business)


def test_after_the_edit_window_the_link_still_withdraws_consent_and_the_review_leaves_the_page(
    client, request_, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    answered_with_consent(client, request_)
    time_machine.shift(timedelta(days=8))

    page = client.get(form_url(request_)).content.decode()
    assert re.search(r'<form method="post">', page) and 'value="withdraw_consent"' in page
    assert Feedback.objects.get().consent_to_publish  # showing the button changed nothing

    with django_capture_on_commit_callbacks(execute=True):  # the public page's cache is dropped on commit
        response = client.post(form_url(request_), {"action": "withdraw_consent"})

    assert response.status_code == 200 and "consent is withdrawn" in response.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.consent_to_publish, feedback.consent_text, feedback.consent_at) == (False, "", None)
    review = Review.objects.get()
    assert (review.status, review.rejection_reason) == ("rejected", "customer_asked")
    assert COMMENT not in public_page(client, request_.business)


def test_after_the_edit_window_the_rating_cannot_be_changed(client, request_, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    answered_with_consent(client, request_)
    time_machine.shift(timedelta(days=8))
    client.post(form_url(request_), {"rating": "1", "comment": "Changed", "display_name_choice": "first_initial"})
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment, feedback.consent_to_publish) == (5, COMMENT, True)
    assert COMMENT in public_page(client, request_.business)


# --- undoing an opt-out: the customer alone, by an explicit POST -----------------------------
def unsubscribe_url(request: FeedbackRequest) -> str:
    return f"/u/{unsubscribe_token(request)}/"


def test_an_unsubscribed_customer_can_subscribe_again_through_their_link(request_):
    client = Client(enforce_csrf_checks=True)
    client.post(
        unsubscribe_url(request_), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert Customer.objects.get().opted_out_at is not None

    page = client.get(unsubscribe_url(request_)).content.decode()
    assert 'value="resubscribe"' in page
    assert Customer.objects.get().opted_out_at is not None  # a GET changes nothing

    response = client.post(unsubscribe_url(request_), {"action": "resubscribe"})

    assert response.status_code == 200 and "subscribed again" in response.content.decode()
    assert Customer.objects.get().opted_out_at is None


def test_a_one_click_unsubscribe_never_resubscribes(request_):
    client = Client()
    for _ in range(2):
        client.post(
            unsubscribe_url(request_),
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert Customer.objects.get().opted_out_at is not None
