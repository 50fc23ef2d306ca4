"""The moderation queue in the admin (reviews/admin_reviews.py): what it shows, what it lets owners do,
and that an owner never sees or acts on another business's reviews.

Business A (`business`) is run by `owner`; business B (`other_business`) by someone else. B's review
carries a word that appears nowhere in A, so "B's data is not in the page" is a plain text check.
"""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import ModerationLogEntry, Review
from reviews.services.moderation import Actor, review_reply
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.reviews.factories import ReviewFactory, answer, log_of

pytestmark = pytest.mark.django_db

Status = Review.Status
Action = ModerationLogEntry.Action
Reason = Review.RejectionReason
B_SECRET = "Zebediah"
CHANGELIST = reverse("admin:reviews_review_changelist")


def change_url(review: Review) -> str:
    return reverse("admin:reviews_review_change", args=[review.pk])


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown(response) -> list[Review]:
    return list(response.context["cl"].result_list)


def page(response) -> str:
    return response.content.decode()


def bulk(client: Client, action: str, reviews, url: str = CHANGELIST, **extra):
    """POST a bulk action for `reviews` (ids given as the browser would send them)."""
    ids = [str(review.pk) for review in reviews]
    return client.post(url, {"action": action, helpers.ACTION_CHECKBOX_NAME: ids, "index": "0", **extra})


def confirm_rejection(client: Client, reviews, url: str = CHANGELIST, reason: str = ""):
    """The second step of "Reject selected…": the confirmation page posted back."""
    ids = [str(review.pk) for review in reviews]
    data = {"action": "reject_selected", helpers.ACTION_CHECKBOX_NAME: ids, "post": "yes"}
    if reason:
        data["rejection_reason"] = reason
    return client.post(url, data)


def status_of(review: Review) -> str:
    review.refresh_from_db()
    return review.status


@pytest.fixture
def owner_client(owner) -> Client:
    return logged_in(owner)


@pytest.fixture
def other_business():
    return BusinessFactory(name=f"{B_SECRET} Bakery", slug="zebediah-bakery")


@pytest.fixture
def review_b(other_business) -> Review:
    return ReviewFactory(
        business=other_business,
        feedback__display_name=f"{B_SECRET} Q.",
        feedback__comment=f"{B_SECRET} baked the best bread in town, truly wonderful.",
    )


@pytest.fixture
def pending(business) -> Review:
    staff = StaffMemberFactory(business=business, name="Maya Lindqvist")
    return ReviewFactory(
        business=business,
        feedback__rating=4,
        feedback__staff=staff,
        feedback__display_name="Ana S.",
        feedback__comment="Maya fixed the boiler in an hour. Call me on +44 20 7946 0000 if you want details.",
        flags=["contact"],
    )


@pytest.fixture
def published(business) -> Review:
    return ReviewFactory(
        business=business, status=Status.PUBLISHED, feedback__display_name="Paulo P.", feedback__rating=2
    )


# --- the queue --------------------------------------------------------------------------------------


def test_the_queue_opens_on_pending_reviews(owner_client, pending, published):
    response = owner_client.get(CHANGELIST)

    assert response.status_code == 200
    assert shown(response) == [pending]


def test_the_queue_can_show_every_status_or_one(owner_client, pending, published, business):
    rejected = ReviewFactory(business=business, status=Status.REJECTED, rejection_reason=Reason.OFFENSIVE)

    assert set(shown(owner_client.get(CHANGELIST, {"status": "all"}))) == {pending, published, rejected}
    assert shown(owner_client.get(CHANGELIST, {"status": "published"})) == [published]
    assert shown(owner_client.get(CHANGELIST, {"status": "rejected"})) == [rejected]
    assert 'href="?status=all"' in page(owner_client.get(CHANGELIST))


def test_the_queue_shows_rating_flags_staff_text_name_and_marks(owner_client, pending):
    response = owner_client.get(CHANGELIST)

    html = page(response)
    assert "★★★★☆" in html
    assert "Contains an email address or phone number" in html
    assert "Maya Lindqvist" in html
    assert "Maya fixed the boiler in an hour." in html
    assert "Ana S." in html
    assert "verified customer" in html and "served by Maya Lindqvist" in html
    headers = [header["text"] for header in response.context["result_headers"]]
    # The comment has a column of its own between the rating with its flags and who wrote it.
    assert headers[1:] == ["rating and flags", "comment", "written by"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"flag": "contact"}, {"pending"}),
        ({"flag": "link"}, set()),
        ({"flag": "none"}, {"clean"}),
        ({"rating": "4"}, {"pending"}),
        ({"rating": "5"}, {"clean"}),
        ({"featured__exact": "1"}, {"clean"}),
        ({"q": "boiler"}, {"pending"}),
        ({"q": "Paulo"}, {"clean"}),
    ],
)
def test_filters_and_search_narrow_the_queue(owner_client, business, pending, params, expected):
    clean = ReviewFactory(business=business, feedback__rating=5, feedback__display_name="Paulo P.", featured=True)
    names = {pending.pk: "pending", clean.pk: "clean"}

    response = owner_client.get(CHANGELIST, params)

    assert response.status_code == 200
    assert {names[review.pk] for review in shown(response)} == expected


def test_search_finds_the_customers_email(owner_client, business, pending):
    response = owner_client.get(CHANGELIST, {"q": pending.feedback.customer.email})

    assert shown(response) == [pending]


def test_the_staff_filter_offers_only_the_businesss_own_staff(owner_client, pending, review_b, other_business):
    StaffMemberFactory(business=other_business, name=f"{B_SECRET} Baker")

    response = owner_client.get(CHANGELIST)

    assert "Maya Lindqvist" in page(response)
    assert B_SECRET not in page(response)
    staff_id = pending.feedback.staff_id
    assert shown(owner_client.get(CHANGELIST, {"feedback__staff__id__exact": staff_id})) == [pending]


def test_the_queue_costs_the_same_queries_for_one_review_or_thirty(owner_client, business, pending):
    with CaptureQueriesContext(connection) as one:
        owner_client.get(CHANGELIST)
    ReviewFactory.create_batch(29, business=business, feedback__staff=pending.feedback.staff)
    with CaptureQueriesContext(connection) as thirty:
        response = owner_client.get(CHANGELIST)

    assert len(shown(response)) == 30
    assert len(thirty) == len(one)


# --- bulk publish and reject --------------------------------------------------------------------------


def test_publish_selected_publishes_and_logs_each_review_once(owner_client, owner, business, pending):
    other = ReviewFactory(business=business)

    response = bulk(owner_client, "publish_selected", [pending, other])

    assert response.status_code == 302
    for review in (pending, other):
        assert status_of(review) == Status.PUBLISHED
        assert review.log.get().action == Action.PUBLISHED
        assert review.log.get().actor == owner


def test_publish_selected_reports_a_review_it_may_not_publish(owner_client, business):
    feedback = answer(business=business)
    answer(business=business, request=feedback.request, consent=False)  # the customer withdrew
    withdrawn = Review.objects.get(feedback=feedback)

    response = bulk(owner_client, "publish_selected", [withdrawn], url=CHANGELIST + "?status=all")

    assert status_of(withdrawn) == Status.REJECTED
    messages = [str(message) for message in response.wsgi_request._messages]
    assert "Published 0 reviews." in messages
    assert any("withdrew their consent" in message for message in messages)


def test_reject_selected_first_asks_for_a_reason_and_rejects_nothing(owner_client, pending):
    response = bulk(owner_client, "reject_selected", [pending])

    assert response.status_code == 200
    assert "admin/reviews/review/reject_selected_confirmation.html" in [t.name for t in response.templates]
    html = page(response)
    assert "Maya fixed the boiler" in html
    for value in Reason.values:
        assert f'value="{value}"' in html
    assert status_of(pending) == Status.PENDING


def test_reject_selected_without_a_reason_shows_the_page_again_with_an_error(owner_client, pending):
    response = confirm_rejection(owner_client, [pending])

    assert response.status_code == 200
    assert "Choose a content-policy reason" in page(response)
    assert status_of(pending) == Status.PENDING
    assert not pending.log.exists()


def test_reject_selected_refuses_a_reason_outside_the_policy(owner_client, pending):
    response = confirm_rejection(owner_client, [pending], reason="low_rating")

    assert response.status_code == 200
    assert "Select a valid choice" in page(response)
    assert status_of(pending) == Status.PENDING


def test_reject_selected_with_a_reason_rejects_and_logs_each_review_once(owner_client, owner, business, pending):
    other = ReviewFactory(business=business)

    response = confirm_rejection(owner_client, [pending, other], reason=Reason.PERSONAL_DATA)

    assert response.status_code == 302
    for review in (pending, other):
        review.refresh_from_db()
        assert (review.status, review.rejection_reason) == (Status.REJECTED, Reason.PERSONAL_DATA)
        assert log_of(review) == [(Action.REJECTED, Status.PENDING, Status.REJECTED, Reason.PERSONAL_DATA)]
        assert review.log.get().actor == owner


def test_reject_selected_works_from_a_filtered_list_of_published_reviews(owner_client, published):
    url = CHANGELIST + "?status=published"
    first = bulk(owner_client, "reject_selected", [published], url=url)
    assert first.status_code == 200  # the page posts back to the same filtered address

    response = confirm_rejection(owner_client, [published], url=url, reason=Reason.OFFENSIVE)

    assert response.status_code == 302
    assert status_of(published) == Status.REJECTED


# --- the change page -----------------------------------------------------------------------------


def test_the_change_page_shows_the_customers_words_read_only(owner_client, pending):
    pending.feedback.improvement = "Open on Saturdays."
    pending.feedback.save()

    response = owner_client.get(change_url(pending))

    assert response.status_code == 200
    assert set(response.context["adminform"].form.fields) == {"status", "rejection_reason", "reply", "featured"}
    html = page(response)
    for words in ("Maya fixed the boiler in an hour.", "Open on Saturdays.", "Ana S.", "★★★★☆"):
        assert words in html


def post_change(client: Client, review: Review, **data):
    form = {"status": review.status, "rejection_reason": review.rejection_reason, "reply": review.reply}
    if review.featured:
        form["featured"] = "on"
    form.update({"log-TOTAL_FORMS": "0", "log-INITIAL_FORMS": "0"})
    form.update(data)
    return client.post(change_url(review), form)


def test_the_customers_words_cannot_be_changed_through_the_change_page(owner_client, pending):
    response = post_change(owner_client, pending, comment="Rewritten by the owner", display_name="Owner")

    assert response.status_code == 302
    pending.feedback.refresh_from_db()
    assert pending.feedback.comment.startswith("Maya fixed the boiler")
    assert pending.feedback.display_name == "Ana S."
    assert not pending.log.exists()  # nothing was changed, nothing logged


def test_rejecting_on_the_change_page_without_a_reason_is_a_form_error(owner_client, pending):
    response = post_change(owner_client, pending, status=Status.REJECTED, rejection_reason="")

    assert response.status_code == 200
    assert "rejection_reason" in response.context["adminform"].form.errors
    assert status_of(pending) == Status.PENDING
    assert not pending.log.exists()


def test_rejecting_on_the_change_page_with_a_reason_goes_through_the_service(owner_client, owner, pending):
    response = post_change(owner_client, pending, status=Status.REJECTED, rejection_reason=Reason.LEGAL)

    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.rejection_reason) == (Status.REJECTED, Reason.LEGAL)
    assert log_of(pending) == [(Action.REJECTED, Status.PENDING, Status.REJECTED, Reason.LEGAL)]
    assert pending.log.get().actor == owner


def test_publishing_replying_and_featuring_on_the_change_page_log_one_entry_each(owner_client, owner, pending):
    response = post_change(owner_client, pending, status=Status.PUBLISHED, reply="Thank you, Ana!", featured="on")

    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.reply, pending.replied_by, pending.featured) == (
        Status.PUBLISHED,
        "Thank you, Ana!",
        owner,
        True,
    )
    assert [entry[0] for entry in log_of(pending)] == [Action.PUBLISHED, Action.REPLIED, Action.FEATURED]


def test_a_moderated_review_cannot_be_put_back_in_the_queue_by_hand(owner_client, published):
    response = post_change(owner_client, published, status=Status.PENDING)

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert status_of(published) == Status.PUBLISHED


def test_the_change_page_refuses_to_publish_a_withdrawn_review(owner_client, business):
    feedback = answer(business=business)
    answer(business=business, request=feedback.request, consent=False)
    withdrawn = Review.objects.get(feedback=feedback)

    response = post_change(owner_client, withdrawn, status=Status.PUBLISHED)

    assert response.status_code == 200
    assert "withdrew their consent" in str(response.context["adminform"].form.errors["status"])
    assert status_of(withdrawn) == Status.REJECTED


def test_the_moderation_log_is_shown_and_never_editable(owner_client, owner, pending):
    review_reply(review=pending, text="Thanks!", actor=Actor.of(owner))

    response = owner_client.get(change_url(pending))

    (log_inline,) = response.context["inline_admin_formsets"]
    assert (log_inline.has_add_permission, log_inline.has_change_permission, log_inline.has_delete_permission) == (
        False,
        False,
        False,
    )
    html = page(response)
    assert "moderation log" in html.lower()
    assert owner.username in html and "Replied" in html


def test_the_moderation_log_cannot_be_rewritten_by_posting_inline_forms(owner_client, owner, pending):
    review_reply(review=pending, text="Thanks!", actor=Actor.of(owner))
    entry = pending.log.get()
    forged = {
        "log-TOTAL_FORMS": "1",
        "log-INITIAL_FORMS": "1",
        "log-0-id": str(entry.pk),
        "log-0-review": str(pending.pk),
        "log-0-actor_label": "someone else",
        "log-0-DELETE": "on",
        "reply": "Thanks!",
    }

    post_change(owner_client, pending, **forged)

    entry.refresh_from_db()
    assert entry.actor_label == owner.username


# --- permissions ----------------------------------------------------------------------------------


def test_nobody_adds_reviews_in_the_admin(owner_client, superuser):
    add = reverse("admin:reviews_review_add")

    assert owner_client.get(add).status_code == 403
    assert logged_in(superuser).get(add).status_code == 403


def test_only_a_superuser_deletes_a_review(owner_client, superuser, pending):
    delete = reverse("admin:reviews_review_delete", args=[pending.pk])

    assert owner_client.post(delete, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in page(owner_client.get(CHANGELIST))
    assert logged_in(superuser).post(delete, {"post": "yes"}).status_code == 302
    assert not Review.objects.filter(pk=pending.pk).exists()


# --- one business cannot see or touch another's reviews ---------------------------------------------


def test_an_owner_never_sees_another_businesss_reviews(owner_client, pending, review_b):
    for params in ({}, {"status": "all"}, {"flag": "none"}, {"rating": "5"}):
        response = owner_client.get(CHANGELIST, params)
        assert review_b not in shown(response)
        assert B_SECRET not in page(response)
    assert shown(owner_client.get(CHANGELIST, {"q": B_SECRET, "status": "all"})) == []


def test_another_businesss_review_page_behaves_as_missing(owner_client, review_b):
    response = owner_client.get(change_url(review_b))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert B_SECRET not in page(owner_client.get(response["Location"]))


def test_posting_to_another_businesss_review_page_changes_nothing(owner_client, review_b):
    post_change(owner_client, review_b, status=Status.PUBLISHED, reply="Hijacked", featured="on")

    review_b.refresh_from_db()
    assert (review_b.status, review_b.reply, review_b.featured) == (Status.PENDING, "", False)
    assert not review_b.log.exists()


def test_bulk_publish_with_crafted_ids_of_another_business_changes_nothing(owner_client, pending, review_b):
    bulk(owner_client, "publish_selected", [pending, review_b], url=CHANGELIST + "?status=all")

    assert status_of(pending) == Status.PUBLISHED
    assert status_of(review_b) == Status.PENDING
    assert not review_b.log.exists()


def test_bulk_reject_with_crafted_ids_of_another_business_changes_nothing(owner_client, pending, review_b):
    confirmation = bulk(owner_client, "reject_selected", [pending, review_b])
    assert B_SECRET not in page(confirmation)
    assert [review.pk for review in confirmation.context["reviews"]] == [pending.pk]

    confirm_rejection(owner_client, [pending, review_b], reason=Reason.OFFENSIVE)

    assert status_of(pending) == Status.REJECTED
    assert status_of(review_b) == Status.PENDING
    assert not review_b.log.exists()


def test_bulk_reject_of_only_another_businesss_reviews_rejects_nothing(owner_client, review_b):
    response = confirm_rejection(owner_client, [review_b], reason=Reason.OFFENSIVE)

    assert response.status_code in (200, 302)
    assert B_SECRET not in page(response)
    assert status_of(review_b) == Status.PENDING


def test_a_forged_id_that_is_not_a_number_is_turned_away_without_an_error(owner_client, pending):
    forged = {"action": "publish_selected", helpers.ACTION_CHECKBOX_NAME: [str(pending.pk), "1 OR 1=1"], "index": "0"}

    response = owner_client.post(CHANGELIST, forged)

    assert response.status_code == 302
    assert status_of(pending) == Status.PENDING


def test_a_superuser_sees_and_moderates_every_business(superuser, pending, review_b):
    client = logged_in(superuser)

    assert set(shown(client.get(CHANGELIST, {"status": "all"}))) == {pending, review_b}
    assert client.get(change_url(review_b)).status_code == 200

    bulk(client, "publish_selected", [pending, review_b])

    assert (status_of(pending), status_of(review_b)) == (Status.PUBLISHED, Status.PUBLISHED)
    assert review_b.log.get().actor == superuser
