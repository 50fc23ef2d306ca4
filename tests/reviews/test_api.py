"""Reviews and complaint cases through the REST API (`/api/v1/reviews/`, `/api/v1/cases/`).

`api_client` carries a key of `business`; `other_business` stands for everyone else.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from businesses.models import Membership
from feedback.services.responses import Answer, feedback_submit
from reviews.models import Case, CaseNote, ModerationLogEntry, Review
from reviews.services.cases import case_update
from reviews.services.moderation import Actor, review_publish, review_reject
from tests.businesses.factories import MembershipFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
ReviewStatus = Review.Status
CaseStatus = Case.Status
REASONS = Review.RejectionReason.values
MODERATOR = Actor(label="test moderator")


# --- helpers -------------------------------------------------------------------------------------


def answer(business, rating: int = 5, comment: str = "Warm welcome and a lovely meal.", *, consent=True, **kwargs):
    """The customer's own submit, through the service the feedback form calls."""
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva", staff=kwargs.get("staff"))
    return feedback_submit(
        request_id=request.pk, answer=Answer(rating=rating, comment=comment, consent_to_publish=consent, **kwargs)
    )


def make_review(business, status: str = ReviewStatus.PENDING, **kwargs) -> Review:
    review = answer(business, **kwargs).review
    if status == ReviewStatus.PUBLISHED:
        review = review_publish(review=review, actor=MODERATOR)
    elif status == ReviewStatus.REJECTED:
        review = review_reject(review=review, reason=Review.RejectionReason.OFFENSIVE, actor=MODERATOR)
    return review


def open_case(business, rating: int = 1, comment: str = "Cold soup, and nobody came back to us.") -> Case:
    return answer(business, rating=rating, comment=comment, consent=False).case


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def queries_for(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return resolve(schema, node["allOf"][0])
    return node


@pytest.fixture
def manager(business):
    return MembershipFactory(business=business, role=Membership.Role.MANAGER).user


# --- listing reviews -----------------------------------------------------------------------------


def test_a_review_shows_its_content_moderation_and_marks(api_client, business):
    staff = StaffMemberFactory(business=business, name="Jonas Berg")
    review = make_review(business, ReviewStatus.PUBLISHED, rating=4, comment="Jonas was great, see www.example.com")

    response = api_client.get("/api/v1/reviews/")

    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["id"] == review.pk
    assert (item["status"], item["rating"], item["comment"]) == ("published", 4, "Jonas was great, see www.example.com")
    assert item["display_name"] == "Ana S."
    assert item["staff"] is None
    assert (item["reply"], item["featured"], item["verified"], item["from_team_member"]) == ("", False, True, False)
    assert item["flags"] == ["link"]
    assert item["rejection_reason"] is None
    assert item["published_at"] and item["created_at"]

    make_review(business, staff=staff)
    named = api_client.get("/api/v1/reviews/").json()["results"][0]
    assert named["staff"] == {"id": staff.pk, "name": "Jonas Berg"}


def test_the_list_holds_every_status_and_filters_by_one(api_client, business):
    pending = make_review(business)
    published = make_review(business, ReviewStatus.PUBLISHED)
    rejected = make_review(business, ReviewStatus.REJECTED)

    assert sorted(ids(api_client.get("/api/v1/reviews/"))) == sorted([pending.pk, published.pk, rejected.pk])
    assert ids(api_client.get("/api/v1/reviews/?status=pending")) == [pending.pk]
    assert ids(api_client.get("/api/v1/reviews/?status=published")) == [published.pk]
    rejected_items = api_client.get("/api/v1/reviews/?status=rejected").json()["results"]
    assert [(item["id"], item["rejection_reason"]) for item in rejected_items] == [(rejected.pk, "offensive")]


def test_an_invalid_status_filter_is_named(api_client):
    response = api_client.get("/api/v1/reviews/?status=hidden")

    assert response.status_code == 400
    assert "status" in response.json()


def test_reviews_are_paged_newest_first(api_client, business, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    made = []
    for _ in range(3):
        made.append(make_review(business).pk)
        time_machine.shift(timedelta(minutes=1))

    response = api_client.get("/api/v1/reviews/?page_size=2")

    body = response.json()
    assert (body["count"], ids(response)) == (3, made[::-1][:2])
    assert body["next"]


def test_listing_reviews_takes_the_same_queries_for_5_rows_as_for_50(api_client, business):
    staff = StaffMemberFactory(business=business)
    for _ in range(5):
        make_review(business, staff=staff)
    five = queries_for(api_client, "/api/v1/reviews/?page_size=100")
    for _ in range(45):
        make_review(business, ReviewStatus.PUBLISHED, staff=staff)

    assert queries_for(api_client, "/api/v1/reviews/?page_size=100") == five


def test_another_business_s_reviews_are_neither_listed_nor_found(api_client, other_business):
    theirs = make_review(other_business)

    assert ids(api_client.get("/api/v1/reviews/")) == []
    assert api_client.get(f"/api/v1/reviews/{theirs.pk}/").status_code == 404
    response = api_client.patch(f"/api/v1/reviews/{theirs.pk}/", {"status": "published"}, format="json")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ReviewStatus.PENDING


def test_a_call_without_a_key_is_refused(business):
    review = make_review(business)

    assert APIClient().get("/api/v1/reviews/").status_code == 401
    assert APIClient().patch(f"/api/v1/reviews/{review.pk}/", {"status": "published"}).status_code == 401


# --- moderating through the API ------------------------------------------------------------------


def test_publishing_is_logged_under_the_key_s_name(api_client, business):
    review = make_review(business)

    response = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"status": "published"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "published"
    entry = ModerationLogEntry.objects.filter(review=review).last()
    assert (entry.action, entry.from_status, entry.to_status) == ("published", "pending", "published")
    assert entry.actor_label == "API key test key"


def test_rejecting_with_a_policy_reason(api_client, business):
    review = make_review(business)

    response = api_client.patch(
        f"/api/v1/reviews/{review.pk}/", {"status": "rejected", "rejection_reason": "personal_data"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == ("rejected", "personal_data")
    entry = ModerationLogEntry.objects.filter(review=review).last()
    assert (entry.action, entry.reason, entry.actor_label) == ("rejected", "personal_data", "API key test key")


def test_rejecting_without_a_reason_is_refused_naming_the_allowed_reasons(api_client, business):
    review = make_review(business)

    response = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"status": "rejected"}, format="json")

    assert response.status_code == 400
    message = " ".join(response.json()["rejection_reason"])
    assert all(reason in message for reason in REASONS)
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


@pytest.mark.parametrize("reason", ["low_rating", "", "1", "OFFENSIVE"])
def test_a_reason_outside_the_policy_is_refused_naming_the_allowed_reasons(api_client, business, reason):
    review = make_review(business)

    response = api_client.patch(
        f"/api/v1/reviews/{review.pk}/", {"status": "rejected", "rejection_reason": reason}, format="json"
    )

    assert response.status_code == 400
    message = " ".join(response.json()["rejection_reason"])
    assert all(allowed in message for allowed in REASONS)
    assert not ModerationLogEntry.objects.filter(review=review, action="rejected").exists()


def test_a_reason_on_a_review_that_is_not_rejected_is_refused(api_client, business):
    review = make_review(business)

    response = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"rejection_reason": "legal"}, format="json")

    assert response.status_code == 400
    assert "rejection_reason" in response.json()


def test_a_moderated_review_cannot_be_sent_back_to_pending(api_client, business):
    review = make_review(business, ReviewStatus.PUBLISHED)

    response = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"status": "pending"}, format="json")

    assert response.status_code == 400
    assert "status" in response.json()


def test_a_review_withdrawn_by_the_customer_cannot_be_published(api_client, business):
    request = FeedbackRequestFactory(business=business)
    feedback_submit(request_id=request.pk, answer=Answer(rating=5, comment="Lovely place.", consent_to_publish=True))
    feedback = feedback_submit(request_id=request.pk, answer=Answer(rating=5, comment="Lovely place."))

    response = api_client.patch(f"/api/v1/reviews/{feedback.review.pk}/", {"status": "published"}, format="json")

    assert response.status_code == 400
    assert "status" in response.json()


def test_a_reply_and_the_featured_mark_are_set_in_one_call(api_client, business):
    review = make_review(business, ReviewStatus.PUBLISHED)

    response = api_client.patch(
        f"/api/v1/reviews/{review.pk}/", {"reply": "  Thank you, Ana!  ", "featured": True}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["reply"], body["featured"], body["status"]) == ("Thank you, Ana!", True, "published")
    assert body["replied_at"]
    actions = list(ModerationLogEntry.objects.filter(review=review).values_list("action", "actor_label"))
    assert actions[-2:] == [("replied", "API key test key"), ("featured", "API key test key")]


def test_a_failing_part_of_a_patch_changes_nothing(api_client, business):
    review = make_review(business)

    response = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"featured": True, "reply": "x" * 5001}, format="json")

    assert response.status_code == 400
    assert "reply" in response.json()
    review.refresh_from_db()
    assert review.featured is False


def test_put_is_not_offered(api_client, business):
    review = make_review(business)

    assert api_client.put(f"/api/v1/reviews/{review.pk}/", {"status": "published"}, format="json").status_code == 405


# --- cases ---------------------------------------------------------------------------------------


def test_a_case_shows_the_feedback_the_customer_and_the_timing(api_client, business, owner):
    case = open_case(business, rating=2)
    case_update(case=case, actor=owner, note="Called Ana.")
    first = api_client.get(f"/api/v1/cases/{case.pk}/").json()["first_response_at"]
    api_client.post(f"/api/v1/cases/{case.pk}/messages/", {"body": "Called Ana.", "kind": "call"}, format="json")

    response = api_client.get(f"/api/v1/cases/{case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "contacted"
    assert (body["feedback"]["rating"], body["feedback"]["comment"]) == (2, "Cold soup, and nobody came back to us.")
    assert body["customer"] == {"name": "Ana Silva", "email": case.feedback.customer.email}
    assert first is None  # a note is not a response to the customer; the logged call is
    assert body["deadline"] and body["first_response_at"]
    assert (body["overdue"], body["resolved_at"], body["assignee"]) == (False, None, None)
    assert [(note["text"], note["author"]["id"]) for note in body["notes"]] == [("Called Ana.", owner.pk)]


def test_cases_filter_by_status_and_overdue(api_client, business, owner, time_machine):
    time_machine.move_to(timezone.now() - timedelta(hours=30), tick=False)
    overdue = open_case(business)
    time_machine.move_to(timezone.now() + timedelta(hours=30), tick=False)
    fresh = open_case(business)
    resolved = open_case(business)
    case_update(case=resolved, actor=owner, status=CaseStatus.RESOLVED, resolution="Refunded.", cause="quality")

    assert ids(api_client.get("/api/v1/cases/?overdue=true")) == [overdue.pk]
    assert sorted(ids(api_client.get("/api/v1/cases/?overdue=false"))) == sorted([fresh.pk, resolved.pk])
    assert ids(api_client.get("/api/v1/cases/?status=resolved")) == [resolved.pk]
    assert api_client.get("/api/v1/cases/").json()["results"][0]["overdue"] is True
    assert api_client.get("/api/v1/cases/?overdue=maybe").status_code == 400
    assert "status" in api_client.get("/api/v1/cases/?status=closed").json()


def test_listing_cases_takes_the_same_queries_for_5_rows_as_for_50(api_client, business, owner, manager):
    def cases(count: int) -> None:
        for _ in range(count):
            case = open_case(business)
            case_update(case=case, actor=owner, assignee=manager, note="Called back.")

    cases(5)
    five = queries_for(api_client, "/api/v1/cases/?page_size=100")
    cases(45)

    assert queries_for(api_client, "/api/v1/cases/?page_size=100") == five


def test_a_case_is_worked_through_the_api(api_client, business, owner, manager, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    case = open_case(business)
    time_machine.shift(timedelta(minutes=20))

    response = api_client.patch(
        f"/api/v1/cases/{case.pk}/",
        {"status": "contacted", "assignee": manager.pk, "note": "Phoned Ana, sending a voucher."},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assignee"]["id"]) == ("contacted", manager.pk)
    assert "note" not in body
    assert [(note["text"], note["author"]) for note in body["notes"]] == [("Phoned Ana, sending a voucher.", None)]
    assert body["first_response_at"] is None  # the status and the note told the customer nothing
    time_machine.shift(timedelta(minutes=5))
    call = {"body": "Phoned Ana, sending a voucher.", "kind": "call"}
    assert api_client.post(f"/api/v1/cases/{case.pk}/messages/", call, format="json").status_code == 201
    case.refresh_from_db()
    assert case.first_response_at - case.opened_at == timedelta(minutes=25)

    resolved = api_client.patch(
        f"/api/v1/cases/{case.pk}/",
        {"status": "resolved", "resolution": "Voucher sent.", "cause": "quality"},
        format="json",
    ).json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "Voucher sent.")
    assert resolved["resolved_at"]

    unassigned = api_client.patch(f"/api/v1/cases/{case.pk}/", {"assignee": None}, format="json").json()
    assert unassigned["assignee"] is None


def test_resolving_a_case_without_a_resolution_is_named(api_client, business):
    case = open_case(business)

    response = api_client.patch(f"/api/v1/cases/{case.pk}/", {"status": "resolved"}, format="json")

    assert response.status_code == 400
    assert "resolution" in response.json()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


@pytest.mark.parametrize("assignee", ["outsider", "stranger", "word"])
def test_the_assignee_must_run_the_business(api_client, business, other_business, assignee):
    case = open_case(business)
    people = {
        "outsider": lambda: MembershipFactory(business=other_business).user.pk,
        "stranger": lambda: 999_999,
        "word": lambda: "maya",
    }

    response = api_client.patch(f"/api/v1/cases/{case.pk}/", {"assignee": people[assignee]()}, format="json")

    assert response.status_code == 400
    assert "assignee" in response.json()
    case.refresh_from_db()
    assert case.assignee is None


def test_bad_case_fields_are_named(api_client, business):
    case = open_case(business)

    response = api_client.patch(
        f"/api/v1/cases/{case.pk}/", {"status": "closed", "note": "x" * 5001, "resolution": ["a"]}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"status", "note", "resolution"}
    assert not CaseNote.objects.exists()


def test_another_business_s_case_is_not_found(api_client, other_business):
    theirs = open_case(other_business)

    assert ids(api_client.get("/api/v1/cases/")) == []
    assert api_client.get(f"/api/v1/cases/{theirs.pk}/").status_code == 404
    assert api_client.patch(f"/api/v1/cases/{theirs.pk}/", {"note": "Hello"}, format="json").status_code == 404
    assert not CaseNote.objects.exists()


# --- the schema ----------------------------------------------------------------------------------


def test_the_schema_lists_the_rejection_reasons_as_an_enum(client):
    schema = client.get("/api/schema/?format=json").json()

    patch = schema["paths"]["/api/v1/reviews/{id}/"]["patch"]
    body = resolve(schema, patch["requestBody"]["content"]["application/json"]["schema"])
    reason = resolve(schema, body["properties"]["rejection_reason"])
    assert reason["enum"] == REASONS
    shown = schema["components"]["schemas"]["ReviewOutput"]["properties"]["rejection_reason"]
    assert any(resolve(schema, option).get("enum") == REASONS for option in shown["oneOf"])
    assert "get" in schema["paths"]["/api/v1/cases/"]
    assert "patch" in schema["paths"]["/api/v1/cases/{id}/"]
