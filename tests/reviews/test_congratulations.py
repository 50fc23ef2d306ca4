"""Congratulate personally: from a review in the admin, an owner or manager writes a line
that is emailed to the staff member the review names, with the customer's words, signed by them."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from businesses.models import Membership
from outbox.models import OutboxEmail
from reviews.models import Congratulation, Review
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory, UserFactory
from tests.reviews.factories import ReviewFactory

pytestmark = pytest.mark.django_db

NOTE = "Maya, this is exactly how we want every customer to feel. Thank you!"
COMMENT = "Maya fixed the boiler in an hour & explained everything. <Brilliant>."


def change_url(review: Review) -> str:
    return reverse("admin:reviews_review_change", args=[review.pk])


def congratulate_url(review: Review) -> str:
    return reverse("admin:reviews_review_congratulate", args=[review.pk])


def logged_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def signed_in_as(business, role: str, first: str, last: str) -> Client:
    user = UserFactory(first_name=first, last_name=last)
    MembershipFactory(user=user, business=business, role=role)
    return logged_in(user)


def emails() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(key__startswith="congratulation:"))


def notices(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def staff(business):
    return StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@example.com")


@pytest.fixture
def review(business, staff) -> Review:
    return ReviewFactory(
        business=business,
        status=Review.Status.PUBLISHED,
        feedback__rating=5,
        feedback__staff=staff,
        feedback__display_name="Ana S.",
        feedback__comment=COMMENT,
    )


@pytest.fixture
def owner_client(business) -> Client:
    return signed_in_as(business, Membership.Role.OWNER, "Olivia", "Hart")


def test_the_owner_congratulates_and_one_email_goes_to_the_staff_member(owner_client, review):
    response = owner_client.post(congratulate_url(review), {"congratulation_note": NOTE})

    assert response.status_code == 302 and response["Location"] == change_url(review)
    [email] = emails()
    assert email.to == "maya@example.com"
    assert email.business_id == review.business_id
    for body in (email.text, email.html):
        assert "Olivia Hart" in body and review.business.name in body and "5★" in body
    assert NOTE in email.text and COMMENT in email.text
    assert "Maya, this is exactly how we want every customer to feel. Thank you!" in email.html
    assert "Maya fixed the boiler in an hour &amp; explained everything. &lt;Brilliant&gt;." in email.html
    assert "Olivia Hart" in email.subject
    assert Congratulation.objects.get().note == NOTE


def test_the_change_page_offers_the_button_and_shows_what_was_sent(owner_client, review):
    before = owner_client.get(change_url(review)).content.decode()
    assert "Congratulate Maya Lindqvist" in before and congratulate_url(review) in before

    owner_client.post(congratulate_url(review), {"congratulation_note": NOTE})
    after = owner_client.get(change_url(review)).content.decode()

    assert "congratulations sent" in after.lower()
    assert "Olivia Hart" in after and NOTE in after


def test_two_congratulations_are_two_emails(owner_client, review):
    owner_client.post(congratulate_url(review), {"congratulation_note": NOTE})
    owner_client.post(congratulate_url(review), {"congratulation_note": "And again: well done."})

    assert len(emails()) == 2


def test_an_empty_note_is_refused_with_a_message(owner_client, review):
    response = owner_client.post(congratulate_url(review), {"congratulation_note": "   "})

    assert response.status_code == 302
    assert any("can't be empty" in notice for notice in notices(response))
    assert emails() == [] and not Congratulation.objects.exists()


def test_a_review_naming_nobody_has_no_button_and_a_forged_post_is_refused(owner_client, business):
    nameless = ReviewFactory(business=business, feedback__staff=None)

    assert "Congratulate" not in owner_client.get(change_url(nameless)).content.decode()
    response = owner_client.post(congratulate_url(nameless), {"congratulation_note": NOTE})

    assert any("names no staff member" in notice for notice in notices(response))
    assert emails() == [] and not Congratulation.objects.exists()


def test_another_businesss_owner_cannot_congratulate(review):
    stranger = signed_in_as(BusinessFactory(), Membership.Role.OWNER, "Sam", "Stranger")

    assert stranger.post(congratulate_url(review), {"congratulation_note": NOTE}).status_code == 404
    assert stranger.get(change_url(review)).status_code == 302  # the admin's "doesn't exist" redirect
    assert emails() == [] and not Congratulation.objects.exists()


def test_a_manager_may_congratulate_and_signs_with_their_name(business, review):
    manager = signed_in_as(business, Membership.Role.MANAGER, "Marco", "Diaz")

    manager.post(congratulate_url(review), {"congratulation_note": NOTE})

    [email] = emails()
    assert "Marco Diaz" in email.text and "Marco Diaz" in email.html


def test_congratulating_needs_a_post_with_the_csrf_token(business, review):
    user = UserFactory()
    MembershipFactory(user=user, business=business)
    strict = logged_in(user, enforce_csrf_checks=True)

    assert strict.get(congratulate_url(review)).status_code == 405
    assert strict.post(congratulate_url(review), {"congratulation_note": NOTE}).status_code == 403
    assert emails() == []
