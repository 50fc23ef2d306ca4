"""A customer edits a published review through their link: the public keeps seeing the approved
words until a moderator publishes the edit (admin or API), and the queue shows the change as a diff.

Everything goes through the real interfaces: the customer's form POST, the public page, widget and
JSON, the admin's changelist and bulk actions, and the API with a key.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse

from reviews.diff import words_diff_html
from reviews.models import ModerationLogEntry, Review
from tests.feedback.factories import FeedbackRequestFactory, feedback_token
from tests.reviews.factories import ReviewFactory
from tests.showcase.helpers import jsonld_of

pytestmark = pytest.mark.django_db

Action = ModerationLogEntry.Action
CHANGELIST = reverse("admin:reviews_review_changelist")
APPROVED = "The plumber was punctual and fixed the leak quickly."
EDITED = "The plumber was punctual but left a terrible mess behind."
EDITED_WITH_LINK = "The plumber was punctual, compare prices at cheap-plumbers.com first."
NEW_WORD, OLD_WORD = "terrible mess", "fixed the leak"


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def link(business):
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva")
    return f"/f/{feedback_token(request)}/"


def submit(client: Client, link: str, comment: str, capture, *, rating: str = "5", **fields):
    """The customer's own submit through their link (consent ticked), committed as in production."""
    form = {"rating": rating, "comment": comment, "display_name_choice": "first_initial", "consent_to_publish": "on"}
    with capture(execute=True):
        response = client.post(link, {**form, **fields})
    assert response.status_code == 302, response.content.decode()[:500]


def public_texts(business) -> dict[str, str]:
    """What the public sees: the page (with its JSON-LD), the widget, the iframe and the JSON."""
    anyone = Client()
    slug = business.slug
    texts = {
        "page": anyone.get(f"/b/{slug}/").content.decode(),
        "widget": anyone.get(f"/b/{slug}/widget.js").content.decode(),
        "embed": anyone.get(f"/b/{slug}/embed/").content.decode(),
        "json": json.dumps(anyone.get(f"/api/v1/public/{slug}/reviews/").json()),
    }
    texts["jsonld"] = json.dumps(json.loads(jsonld_of(texts["page"])))
    return texts


def assert_public_shows(business, shown: str, hidden: str) -> None:
    for surface, text in public_texts(business).items():
        assert shown in text, f"{surface} lacks the approved words"
        assert hidden not in text, f"{surface} shows words no moderator approved"


def the_review(business) -> Review:
    return Review.objects.get(business=business)


def publish_in_admin(owner_client: Client, review: Review, capture) -> None:
    data = {"action": "publish_selected", helpers.ACTION_CHECKBOX_NAME: [str(review.pk)], "index": "0"}
    with capture(execute=True):
        assert owner_client.post(f"{CHANGELIST}?status=all", data).status_code == 302


@pytest.fixture
def edited(business, link, owner_client, django_capture_on_commit_callbacks) -> Review:
    """A review the owner published, then edited by its customer within the edit window."""
    customer = Client()
    submit(customer, link, APPROVED, django_capture_on_commit_callbacks)
    publish_in_admin(owner_client, the_review(business), django_capture_on_commit_callbacks)
    submit(customer, link, EDITED, django_capture_on_commit_callbacks, rating="3")
    return the_review(business)


# --- the public keeps the approved words ---------------------------------------------------------


def test_an_edit_of_a_published_review_stays_off_every_public_surface(business, edited):
    assert_public_shows(business, OLD_WORD, NEW_WORD)
    assert (edited.status, edited.edit_pending) == (Review.Status.PUBLISHED, True)


def test_the_customer_is_told_their_changed_words_wait_for_a_check(business, link, edited):
    thanks = Client().get(f"{link}thanks/").content.decode()

    assert "once the business has checked them" in thanks
    assert "withdraw your permission to publish it at any time" in thanks


def test_the_rating_shown_follows_the_customers_latest_rating_at_once(business, edited):
    item = Client().get(f"/api/v1/public/{business.slug}/reviews/").json()["results"][0]

    assert (item["rating"], item["comment"]) == (3, APPROVED)


def test_where_unflagged_reviews_publish_automatically_an_unflagged_edit_goes_live_at_once(
    business, link, django_capture_on_commit_callbacks
):
    business.auto_publish = True
    business.save()
    customer = Client()
    submit(customer, link, APPROVED, django_capture_on_commit_callbacks)

    submit(customer, link, EDITED, django_capture_on_commit_callbacks)

    assert_public_shows(business, NEW_WORD, OLD_WORD)
    actions = list(the_review(business).log.values_list("action", "actor_label"))
    assert actions[-2:] == [(Action.EDITED, "the customer"), (Action.EDIT_AUTO_PUBLISHED, "Raves (automatic)")]


def test_where_unflagged_reviews_publish_automatically_a_flagged_edit_waits(
    business, link, django_capture_on_commit_callbacks
):
    business.auto_publish = True
    business.save()
    customer = Client()
    submit(customer, link, APPROVED, django_capture_on_commit_callbacks)

    submit(customer, link, EDITED_WITH_LINK, django_capture_on_commit_callbacks)

    assert_public_shows(business, OLD_WORD, "cheap-plumbers")
    assert the_review(business).edit_pending


# --- the moderation queue -------------------------------------------------------------------------


def test_the_queue_opens_on_the_pending_edit_and_shows_it_as_a_diff(owner_client, edited):
    response = owner_client.get(CHANGELIST)

    assert list(response.context["cl"].result_list) == [edited]
    html = response.content.decode()
    assert "The plumber was punctual <del>and fixed the leak quickly.</del>" in html
    assert "<ins>but left a terrible mess behind.</ins>" in html


def test_the_change_page_shows_the_diff_next_to_the_customers_words(owner_client, edited):
    html = owner_client.get(reverse("admin:reviews_review_change", args=[edited.pk])).content.decode()

    assert "<del>" in html and "<ins>" in html
    assert "Edit awaiting moderation" in html


def test_publishing_the_edit_in_the_admin_puts_the_new_words_on_the_public_page(
    business, owner, owner_client, edited, django_capture_on_commit_callbacks
):
    assert_public_shows(business, OLD_WORD, NEW_WORD)  # cached now: the approval must invalidate it
    data = {"action": "publish_edits_selected", helpers.ACTION_CHECKBOX_NAME: [str(edited.pk)], "index": "0"}

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(CHANGELIST, data)

    assert response.status_code == 302
    assert_public_shows(business, NEW_WORD, OLD_WORD)
    entry = edited.log.last()
    assert (entry.action, entry.actor, entry.actor_label) == (Action.EDIT_PUBLISHED, owner, owner.username)
    assert not list(owner_client.get(CHANGELIST).context["cl"].result_list)  # the queue is empty again


def test_rejecting_the_edit_in_the_admin_asks_for_a_reason_then_keeps_the_approved_words(
    business, owner_client, edited, django_capture_on_commit_callbacks
):
    ids = {helpers.ACTION_CHECKBOX_NAME: [str(edited.pk)], "action": "reject_edits_selected"}
    asked = owner_client.post(CHANGELIST, {**ids, "index": "0"})
    assert asked.status_code == 200 and "Reject the pending edits" in asked.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(CHANGELIST, {**ids, "post": "yes", "rejection_reason": "offensive"})

    edited.refresh_from_db()
    assert (edited.status, edited.edit_pending) == (Review.Status.PUBLISHED, False)
    assert (edited.log.last().action, edited.log.last().reason) == (Action.EDIT_REJECTED, "offensive")
    assert_public_shows(business, OLD_WORD, NEW_WORD)


# --- the API ------------------------------------------------------------------------------------------


def test_the_api_shows_the_pending_edit_and_the_public_words(api_client, edited):
    items = api_client.get("/api/v1/reviews/", {"edit_pending": "true"}).json()["results"]

    assert [item["id"] for item in items] == [edited.pk]
    item = items[0]
    assert (item["comment"], item["public_comment"]) == (EDITED, APPROVED)
    assert item["pending_edit"]["comment"] == EDITED
    assert item["pending_edit"]["display_name"] == "Ana S."
    assert item["pending_edit"]["edited_at"]
    assert api_client.get("/api/v1/reviews/", {"edit_pending": "false"}).json()["results"] == []


def test_publishing_the_edit_through_the_api_puts_the_new_words_on_the_public_page(
    business, api_client, edited, django_capture_on_commit_callbacks
):
    assert_public_shows(business, OLD_WORD, NEW_WORD)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.patch(f"/api/v1/reviews/{edited.pk}/", {"edit": "publish"}, format="json")

    assert response.status_code == 200
    assert (response.json()["pending_edit"], response.json()["public_comment"]) == (None, EDITED)
    assert_public_shows(business, NEW_WORD, OLD_WORD)
    assert edited.log.last().action == Action.EDIT_PUBLISHED
    assert edited.log.last().actor_label.startswith("API key ")


def test_rejecting_the_edit_through_the_api_needs_a_content_policy_reason(business, api_client, edited):
    url = f"/api/v1/reviews/{edited.pk}/"

    refused = api_client.patch(url, {"edit": "reject"}, format="json")
    outside = api_client.patch(url, {"edit": "reject", "edit_rejection_reason": "low_rating"}, format="json")
    done = api_client.patch(url, {"edit": "reject", "edit_rejection_reason": "offensive"}, format="json")

    assert refused.status_code == 400 and "edit_rejection_reason" in refused.json()
    assert outside.status_code == 400 and "edit_rejection_reason" in outside.json()
    assert done.status_code == 200 and done.json()["public_comment"] == APPROVED
    assert edited.log.last().action == Action.EDIT_REJECTED


def test_deciding_on_an_edit_that_is_not_there_is_a_clear_400(api_client, business):
    review = ReviewFactory(business=business, status=Review.Status.PUBLISHED)

    response = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"edit": "publish"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"edit": ["This review has no edit awaiting moderation."]}


# --- the diff itself ------------------------------------------------------------------------------------


def test_the_diff_escapes_the_customers_words():
    html = words_diff_html("Nice <b>place</b>", "Nice <script>alert(1)</script>")

    assert "<script>" not in html
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in html
    assert "<del>&lt;b&gt;place&lt;/b&gt;</del>" in html


def test_the_diff_keeps_unchanged_words_plain():
    assert words_diff_html("one two three", "one 2 three") == "one <del>two </del><ins>2 </ins>three"
