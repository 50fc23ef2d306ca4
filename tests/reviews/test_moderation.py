"""Publishing rules and moderation steps (reviews/services/moderation.py), through the customer's submit.

Answers go through `feedback_submit`, as the customer's link does; moderators act through the
services with `Actor.of(user)`, as the admin and the API do.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from feedback.services.responses import Answer, feedback_submit
from reviews.models import ModerationLogEntry, Review
from reviews.services.moderation import (
    Actor,
    review_edit_publish,
    review_edit_reject,
    review_feature,
    review_publish,
    review_reject,
    review_reply,
)
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory
from tests.reviews.factories import CLEAN_COMMENT, ReviewFactory, answer, log_of

pytestmark = pytest.mark.django_db

Status = Review.Status
Action = ModerationLogEntry.Action
Reason = Review.RejectionReason
LINKED_COMMENT = "Lovely team, see more of their work at example.com please"


@pytest.fixture
def actor(owner) -> Actor:
    return Actor.of(owner)


@pytest.fixture
def auto_business(business):
    business.auto_publish = True
    business.save()
    return business


def review_of(feedback) -> Review | None:
    return Review.objects.filter(feedback=feedback).first()


def edit(feedback, **changes):
    """The customer changes their answer through the same link; unchanged fields stay as they were."""
    current = {
        "rating": feedback.rating,
        "comment": feedback.comment,
        "consent_to_publish": feedback.consent_to_publish,
        "display_name_choice": feedback.display_name_choice,
    }
    return feedback_submit(request_id=feedback.request_id, answer=Answer(**{**current, **changes}))


# --- which answers become reviews -----------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 3, 5])
def test_when_the_business_moderates_everything_every_consented_answer_waits(business, rating):
    review = review_of(answer(business=business, rating=rating))

    assert review.status == Status.PENDING
    assert review.published_at is None
    assert log_of(review) == [(Action.SUBMITTED, "", Status.PENDING, "")]


@pytest.mark.parametrize("rating", [1, 2, 5])
def test_auto_publish_publishes_unflagged_reviews_whatever_their_rating(auto_business, rating):
    review = review_of(answer(business=auto_business, rating=rating))

    assert review.status == Status.PUBLISHED
    assert review.published_at is not None
    assert log_of(review) == [
        (Action.SUBMITTED, "", Status.PENDING, ""),
        (Action.AUTO_PUBLISHED, Status.PENDING, Status.PUBLISHED, ""),
    ]
    assert review.log.get(action=Action.AUTO_PUBLISHED).actor is None


@pytest.mark.parametrize("rating", [1, 5])
def test_auto_publish_holds_flagged_reviews_for_the_moderator_whatever_their_rating(auto_business, rating):
    review = review_of(answer(business=auto_business, rating=rating, comment=LINKED_COMMENT))

    assert review.status == Status.PENDING
    assert review.flags == ["link"]


def test_an_answer_without_consent_makes_no_review(auto_business):
    assert review_of(answer(business=auto_business, consent=False)) is None


def test_internal_feedback_never_makes_a_review_even_with_consent_and_auto_publish(auto_business):
    request = FeedbackRequestFactory(business=auto_business, internal=True)

    feedback = answer(business=auto_business, request=request, consent=True)

    assert feedback.internal
    assert not Review.objects.exists()


def test_reviews_are_verified_and_marked_when_the_customer_is_on_the_staff(business):
    StaffMemberFactory(business=business, email="Maya@Shop.example")
    colleague = FeedbackRequestFactory(business=business, customer__email="maya@shop.example")

    from_colleague = review_of(answer(business=business, request=colleague))
    from_customer = review_of(answer(business=business))

    assert (from_colleague.verified, from_colleague.from_team_member) == (True, True)
    assert (from_customer.verified, from_customer.from_team_member) == (True, False)


def test_a_staff_member_of_another_business_is_an_ordinary_customer_here(business, other_business):
    StaffMemberFactory(business=other_business, email="maya@shop.example")
    request = FeedbackRequestFactory(business=business, customer__email="maya@shop.example")

    assert review_of(answer(business=business, request=request)).from_team_member is False


# --- withdrawing consent --------------------------------------------------------------------------


def test_withdrawing_consent_through_the_link_takes_a_published_review_down_and_logs_it(auto_business):
    feedback = answer(business=auto_business)
    assert review_of(feedback).status == Status.PUBLISHED

    edit(feedback, consent_to_publish=False)

    review = review_of(feedback)
    assert (review.status, review.rejection_reason) == (Status.REJECTED, Reason.CUSTOMER_ASKED)
    withdrawal = review.log.last()
    assert (withdrawal.action, withdrawal.from_status, withdrawal.to_status, withdrawal.reason) == (
        Action.WITHDRAWN,
        Status.PUBLISHED,
        Status.REJECTED,
        Reason.CUSTOMER_ASKED,
    )
    assert withdrawal.actor_label == "the customer"


def test_withdrawing_twice_logs_once(business):
    feedback = answer(business=business)
    edit(feedback, consent_to_publish=False)
    edit(feedback, consent_to_publish=False, comment=CLEAN_COMMENT + " Again.")

    assert [entry[0] for entry in log_of(review_of(feedback))] == [Action.SUBMITTED, Action.WITHDRAWN]


def test_a_moderator_cannot_publish_a_review_whose_customer_withdrew_consent(business, actor):
    feedback = answer(business=business)
    edit(feedback, consent_to_publish=False)

    with pytest.raises(ValidationError) as error:
        review_publish(review=review_of(feedback), actor=actor)

    assert "status" in error.value.message_dict
    assert review_of(feedback).status == Status.REJECTED


def test_a_withdrawn_review_stays_unpublishable_after_a_moderator_changes_its_rejection_reason(business, actor):
    # Regression: publishing was refused by the rejection reason ("customer asked"), so re-rejecting
    # the review for another reason opened the way to publishing it without the customer's consent.
    feedback = answer(business=business)
    edit(feedback, consent_to_publish=False)
    review_reject(review=review_of(feedback), reason=Reason.OFFENSIVE, actor=actor)

    with pytest.raises(ValidationError):
        review_publish(review=review_of(feedback), actor=actor)

    assert review_of(feedback).status == Status.REJECTED


def test_consenting_again_sends_the_review_back_through_the_publishing_rules(auto_business):
    feedback = answer(business=auto_business)
    edit(feedback, consent_to_publish=False)

    edit(feedback, consent_to_publish=True)

    review = review_of(feedback)
    assert review.status == Status.PUBLISHED
    assert [entry[0] for entry in log_of(review)][-2:] == [Action.SUBMITTED, Action.AUTO_PUBLISHED]


# --- the customer edits a published review ---------------------------------------------------------


def test_an_edit_of_a_published_review_waits_while_the_approved_words_stay_public(business, actor):
    feedback = answer(business=business)
    review_publish(review=review_of(feedback), actor=actor)

    edit(feedback, comment="Changed my mind about the wait, but the staff were great.")

    review = review_of(feedback)
    assert (review.status, review.edit_pending, review.published_comment) == (Status.PUBLISHED, True, CLEAN_COMMENT)
    assert review.edited_at is not None
    assert log_of(review)[-1] == (Action.EDITED, Status.PUBLISHED, Status.PUBLISHED, "")


def test_a_flagged_edit_waits_even_where_unflagged_reviews_publish_automatically(auto_business):
    feedback = answer(business=auto_business)

    edit(feedback, comment=LINKED_COMMENT)

    review = review_of(feedback)
    assert (review.status, review.flags, review.edit_pending) == (Status.PUBLISHED, ["link"], True)
    assert review.published_comment == CLEAN_COMMENT
    assert log_of(review)[-1] == (Action.EDITED, Status.PUBLISHED, Status.PUBLISHED, "")


def test_an_unflagged_edit_goes_live_at_once_where_unflagged_reviews_publish_automatically(auto_business):
    feedback = answer(business=auto_business)
    changed = "Changed my mind about the wait, but the staff were great."

    edit(feedback, rating=2, comment=changed)

    review = review_of(feedback)
    assert (review.status, review.edit_pending, review.published_comment) == (Status.PUBLISHED, False, changed)
    assert log_of(review)[-2:] == [
        (Action.EDITED, Status.PUBLISHED, Status.PUBLISHED, ""),
        (Action.EDIT_AUTO_PUBLISHED, Status.PUBLISHED, Status.PUBLISHED, ""),
    ]


def test_an_edit_keeping_a_flag_the_moderator_accepted_leaves_the_review_published(business, actor):
    feedback = answer(business=business, comment="Nice!")  # flagged short
    review_publish(review=review_of(feedback), actor=actor)

    edit(feedback, comment="Nice.")

    review = review_of(feedback)
    assert (review.status, review.flags, review.edit_pending) == (Status.PUBLISHED, ["short"], True)
    assert review.published_comment == "Nice!"


def test_a_new_rating_alone_is_never_held_for_moderation(business, actor):
    feedback = answer(business=business, rating=5)
    review_publish(review=review_of(feedback), actor=actor)

    edit(feedback, rating=3)

    review = review_of(feedback)
    assert (review.edit_pending, review.rating, review.published_comment) == (False, 3, CLEAN_COMMENT)


def test_editing_back_to_the_approved_words_leaves_nothing_pending(business, actor):
    feedback = answer(business=business)
    review_publish(review=review_of(feedback), actor=actor)
    edit(feedback, comment=LINKED_COMMENT)

    edit(feedback, comment=CLEAN_COMMENT)

    review = review_of(feedback)
    assert (review.edit_pending, review.edited_at, review.flags) == (False, None, [])


def test_choosing_to_be_anonymous_hides_the_name_at_once(business, actor):
    feedback = answer(business=business)
    review_publish(review=review_of(feedback), actor=actor)
    shown_before = review_of(feedback).published_display_name

    edit(feedback, display_name_choice="anonymous")

    review = review_of(feedback)
    assert shown_before != "Anonymous"
    assert (review.published_display_name, review.edit_pending) == ("Anonymous", False)


def test_approving_an_edit_makes_its_words_public_and_logs_who_did_it(business, actor, owner):
    feedback = answer(business=business)
    review_publish(review=review_of(feedback), actor=actor)
    edit(feedback, comment=LINKED_COMMENT)

    review = review_edit_publish(review=review_of(feedback), actor=actor)

    assert (review.published_comment, review.edit_pending, review.edited_at) == (LINKED_COMMENT, False, None)
    entry = review.log.last()
    assert (entry.action, entry.actor, entry.to_status) == (Action.EDIT_PUBLISHED, owner, Status.PUBLISHED)


def test_approving_when_no_edit_waits_changes_and_logs_nothing(business, actor):
    feedback = answer(business=business)
    review = review_publish(review=review_of(feedback), actor=actor)
    logged = review.log.count()

    review_edit_publish(review=review, actor=actor)

    assert review.log.count() == logged


def test_rejecting_an_edit_keeps_the_approved_words_public_and_logs_the_reason(business, actor):
    feedback = answer(business=business)
    review_publish(review=review_of(feedback), actor=actor)
    edit(feedback, comment=LINKED_COMMENT)

    review = review_edit_reject(review=review_of(feedback), reason=Reason.UNRELATED_OR_SPAM, actor=actor)

    assert (review.status, review.published_comment, review.edit_pending) == (Status.PUBLISHED, CLEAN_COMMENT, False)
    assert log_of(review)[-1] == (Action.EDIT_REJECTED, Status.PUBLISHED, Status.PUBLISHED, Reason.UNRELATED_OR_SPAM)


def test_a_rejected_edit_sent_again_never_goes_live_on_its_own(business, actor):
    feedback = answer(business=business)
    review_publish(review=review_of(feedback), actor=actor)
    rude = "The staff were friendly but the manager is a total clown."  # no flag: judged by a person
    edit(feedback, comment=rude)
    review_edit_reject(review=review_of(feedback), reason=Reason.OFFENSIVE, actor=actor)
    business.auto_publish = True
    business.save()

    edit(feedback, rating=4)  # the same words again, with a new rating

    review = review_of(feedback)
    assert (review.published_comment, review.edit_pending) == (CLEAN_COMMENT, False)
    edit(feedback, comment="The staff were friendly and the manager sorted it out.")  # new words: a new edit
    assert review_of(feedback).published_comment == "The staff were friendly and the manager sorted it out."


def test_rejecting_an_edit_without_a_content_policy_reason_is_refused(business, actor):
    feedback = answer(business=business)
    review_publish(review=review_of(feedback), actor=actor)
    edit(feedback, comment=LINKED_COMMENT)

    with pytest.raises(ValidationError):
        review_edit_reject(review=review_of(feedback), reason="low_rating", actor=actor)

    assert review_of(feedback).edit_pending


def test_withdrawing_consent_during_a_pending_edit_takes_the_review_down(business, actor):
    feedback = answer(business=business)
    review_publish(review=review_of(feedback), actor=actor)
    edit(feedback, comment=LINKED_COMMENT)

    edit(feedback, consent_to_publish=False)

    review = review_of(feedback)
    assert (review.status, review.edit_pending) == (Status.REJECTED, False)


def test_a_customer_edit_never_republishes_a_rejected_review(business, actor):
    feedback = answer(business=business, comment=LINKED_COMMENT)
    review_reject(review=review_of(feedback), reason=Reason.UNRELATED_OR_SPAM, actor=actor)

    edit(feedback, comment=CLEAN_COMMENT)

    review = review_of(feedback)
    assert (review.status, review.rejection_reason, review.flags) == (Status.REJECTED, Reason.UNRELATED_OR_SPAM, [])


# --- each moderation step writes one log entry -----------------------------------------------------


def entries_after(review: Review, step) -> list[ModerationLogEntry]:
    before = set(review.log.values_list("id", flat=True))
    step()
    return list(review.log.exclude(id__in=before))


def test_publishing_logs_one_entry_with_who_did_it(owner, actor):
    review = ReviewFactory()

    entries = entries_after(review, lambda: review_publish(review=review, actor=actor))

    assert len(entries) == 1
    entry = entries[0]
    assert (entry.action, entry.from_status, entry.to_status) == (Action.PUBLISHED, Status.PENDING, Status.PUBLISHED)
    assert (entry.actor, entry.actor_label) == (owner, owner.username)
    review.refresh_from_db()
    assert review.status == Status.PUBLISHED and review.published_at is not None


def test_publishing_an_already_published_review_logs_nothing(actor):
    review = ReviewFactory(status=Status.PUBLISHED)

    assert entries_after(review, lambda: review_publish(review=review, actor=actor)) == []


def test_rejecting_logs_one_entry_with_the_reason(actor):
    review = ReviewFactory(status=Status.PUBLISHED)

    entries = entries_after(review, lambda: review_reject(review=review, reason=Reason.PERSONAL_DATA, actor=actor))

    assert [(e.action, e.from_status, e.to_status, e.reason) for e in entries] == [
        (Action.REJECTED, Status.PUBLISHED, Status.REJECTED, Reason.PERSONAL_DATA)
    ]
    review.refresh_from_db()
    assert (review.status, review.rejection_reason) == (Status.REJECTED, Reason.PERSONAL_DATA)
    assert entries_after(review, lambda: review_reject(review=review, reason=Reason.PERSONAL_DATA, actor=actor)) == []


@pytest.mark.parametrize("reason", ["", None, "low_rating", "1 star", "negative"])
def test_rejecting_without_a_content_policy_reason_is_refused_and_changes_nothing(actor, reason):
    review = ReviewFactory()

    with pytest.raises(ValidationError) as error:
        review_reject(review=review, reason=reason, actor=actor)

    assert "rejection_reason" in error.value.message_dict
    assert "personal_data" in error.value.message_dict["rejection_reason"][0]  # names the allowed values
    review.refresh_from_db()
    assert review.status == Status.PENDING
    assert not review.log.exists()


def test_replying_logs_one_entry_and_records_who_and_when(owner, actor):
    review = ReviewFactory(status=Status.PUBLISHED)

    entries = entries_after(review, lambda: review_reply(review=review, text="  Thank you, Ana!  ", actor=actor))

    assert [(e.action, e.from_status, e.to_status) for e in entries] == [
        (Action.REPLIED, Status.PUBLISHED, Status.PUBLISHED)
    ]
    review.refresh_from_db()
    assert (review.reply, review.replied_by) == ("Thank you, Ana!", owner)
    assert review.replied_at is not None
    assert entries_after(review, lambda: review_reply(review=review, text="Thank you, Ana!", actor=actor)) == []
    assert len(entries_after(review, lambda: review_reply(review=review, text="", actor=actor))) == 1
    review.refresh_from_db()
    assert (review.reply, review.replied_at) == ("", None)


def test_a_reply_over_5000_characters_is_refused(actor):
    review = ReviewFactory()

    with pytest.raises(ValidationError) as error:
        review_reply(review=review, text="x" * 5001, actor=actor)

    assert "reply" in error.value.message_dict
    assert not review.log.exists()


def test_featuring_and_unfeaturing_log_one_entry_each(actor):
    review = ReviewFactory(status=Status.PUBLISHED)

    featured = entries_after(review, lambda: review_feature(review=review, featured=True, actor=actor))
    again = entries_after(review, lambda: review_feature(review=review, featured=True, actor=actor))
    unfeatured = entries_after(review, lambda: review_feature(review=review, featured=False, actor=actor))

    assert [e.action for e in featured] == [Action.FEATURED]
    assert again == []
    assert [e.action for e in unfeatured] == [Action.UNFEATURED]
    review.refresh_from_db()
    assert review.featured is False


def test_an_api_key_acts_under_its_label_without_a_user():
    review = ReviewFactory()

    review_publish(review=review, actor=Actor(label="API key Booking system"))

    entry = review.log.get()
    assert (entry.actor, entry.actor_label) == (None, "API key Booking system")
