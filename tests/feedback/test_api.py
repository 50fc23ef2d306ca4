"""The feedback-requests API: creating one or many, the suppression it reports, listing and showing them."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from feedback.models import FeedbackRequest, FeedbackRequestEvent
from tests.businesses.factories import CustomerFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
URL = "/api/v1/feedback-requests/"
NOT_A_DICT = "Invalid data. Expected a dictionary, but got {}."
STEP_TIMES = [
    "created_at",
    "sent_at",
    "reminded_at",
    "responded_at",
    "suppressed_at",
    "bounced_at",
    "failed_at",
    "expires_at",
    "expired_at",
]


def item(email: str = "ana@example.com", **fields) -> dict:
    return {"customer": {"name": "Ana Silva", "email": email}, **fields}


def post(client: APIClient, body):
    return client.post(URL, body, format="json")


# --- Creating one ----------------------------------------------------------------------------------


def test_one_object_answers_201_with_the_new_request(api_client, business):
    staff = StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@example.com")
    response = post(
        api_client,
        {
            "customer": {"name": "Ana Silva", "email": "Ana@Example.com", "external_id": "C-1042"},
            "staff_email": "MAYA@example.com",
            "interaction_at": "2025-03-01T14:30:00Z",
            "reference": "booking-8812",
            "internal": True,
        },
    )

    assert response.status_code == 201
    body = response.json()
    request = FeedbackRequest.objects.get()
    assert request.business == business
    assert body["id"] == request.pk
    assert body["status"] == "queued"
    assert body["suppression_reason"] is None
    assert body["customer"] == {"name": "Ana Silva", "email": "Ana@Example.com", "external_id": "C-1042"}
    assert body["staff"] == {"id": staff.pk, "name": "Maya Lindqvist", "email": "maya@example.com"}
    assert (body["reference"], body["internal"]) == ("booking-8812", True)
    assert body["interaction_at"] == "2025-03-01T14:30:00Z"
    assert set(STEP_TIMES) <= set(body)
    assert body["created_at"] is not None
    assert body["sent_at"] is None


def test_only_the_customer_email_is_required(api_client):
    before = timezone.now()
    response = post(api_client, {"customer": {"email": "bo@example.com"}})

    assert response.status_code == 201
    body = response.json()
    assert body["customer"] == {"name": "", "email": "bo@example.com", "external_id": ""}
    assert (body["staff"], body["reference"], body["internal"]) == (None, "", False)
    assert FeedbackRequest.objects.get().interaction_at >= before


def test_an_invalid_customer_email_is_named(api_client):
    response = post(api_client, item(email="not-an-email"))

    assert response.status_code == 400
    assert response.json() == {"customer": {"email": ["Enter a valid email address."]}}
    assert not FeedbackRequest.objects.exists()


def test_a_missing_customer_or_email_is_named(api_client):
    assert post(api_client, {"reference": "x"}).json() == {"customer": ["This field is required."]}
    no_email = post(api_client, {"customer": {"name": "Ana"}})
    assert no_email.json() == {"customer": {"email": ["This field is required."]}}


def test_over_long_fields_are_named(api_client):
    response = post(
        api_client,
        {
            "customer": {"name": "n" * 201, "email": "ana@example.com", "external_id": "e" * 101},
            "reference": "r" * 101,
        },
    )

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"customer", "reference"}
    assert set(errors["customer"]) == {"name", "external_id"}
    assert "200" in errors["customer"]["name"][0]
    assert "100" in errors["customer"]["external_id"][0]
    assert "100" in errors["reference"][0]


def test_an_email_longer_than_the_column_is_refused_not_a_500(api_client):
    response = post(api_client, item(email=f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.example"))

    assert response.status_code == 400
    assert "email" in response.json()["customer"]


@pytest.mark.parametrize(
    ("staff_kwargs", "staff_email"),
    [
        ({"active": False}, "gone@example.com"),  # an inactive staff member
        (None, "nobody@example.com"),  # nobody
    ],
)
def test_a_staff_email_must_be_an_active_staff_member(api_client, business, staff_kwargs, staff_email):
    if staff_kwargs is not None:
        StaffMemberFactory(business=business, email=staff_email, **staff_kwargs)

    response = post(api_client, item(staff_email=staff_email))

    assert response.status_code == 400
    assert response.json() == {"staff_email": ["No active staff member of this business has this email."]}


def test_another_business_s_staff_member_cannot_be_named(api_client, other_business):
    StaffMemberFactory(business=other_business, email="theirs@example.com")

    response = post(api_client, item(staff_email="theirs@example.com"))

    assert response.status_code == 400
    assert "staff_email" in response.json()


def test_an_interaction_more_than_five_minutes_ahead_is_refused(api_client):
    later = timezone.now() + timedelta(minutes=6)
    response = post(api_client, item(interaction_at=later.isoformat()))

    assert response.status_code == 400
    assert response.json() == {"interaction_at": ["The interaction time cannot be more than 5 minutes in the future."]}


def test_an_interaction_a_little_ahead_is_accepted_for_clock_drift(api_client):
    soon = timezone.now() + timedelta(minutes=4)
    assert post(api_client, item(interaction_at=soon.isoformat())).status_code == 201


def test_an_interaction_time_that_is_not_iso_is_named(api_client):
    response = post(api_client, item(interaction_at="yesterday"))

    assert response.status_code == 400
    assert list(response.json()) == ["interaction_at"]


def test_internal_must_be_a_boolean(api_client):
    response = post(api_client, item(internal="perhaps"))

    assert response.status_code == 400
    assert list(response.json()) == ["internal"]


def test_a_reference_already_used_returns_the_first_request(api_client, business):
    first = post(api_client, item(reference="order-1")).json()
    again = post(api_client, item(email="someone-else@example.com", reference="order-1"))

    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert again.json()["customer"]["email"] == "ana@example.com"
    assert FeedbackRequest.objects.count() == 1


def test_the_same_reference_at_another_business_is_a_new_request(api_client, other_business):
    theirs = FeedbackRequestFactory(business=other_business, reference="order-1")

    response = post(api_client, item(reference="order-1"))

    assert response.status_code == 201
    assert response.json()["id"] != theirs.pk
    assert FeedbackRequest.objects.count() == 2


def test_a_reference_repeated_within_one_list_creates_one_request(api_client):
    response = post(
        api_client,
        [item(reference="order-7"), item(email="bo@example.com"), item(email="cy@example.com", reference="order-7")],
    )

    assert response.status_code == 201
    first, other, repeat = response.json()
    assert repeat["id"] == first["id"]
    assert other["id"] != first["id"]
    assert FeedbackRequest.objects.count() == 2


def test_an_existing_reference_in_a_list_is_returned_with_its_staff_member(api_client, business):
    staff = StaffMemberFactory(business=business)
    existing = FeedbackRequestFactory(business=business, reference="order-9", staff=staff)

    response = post(api_client, [item(reference="order-9"), item(email="bo@example.com")])

    assert response.status_code == 201
    assert response.json()[0]["id"] == existing.pk
    assert response.json()[0]["staff"]["id"] == staff.pk


# --- Sending after commit --------------------------------------------------------------------------


def test_the_new_request_is_enqueued_after_commit(api_client, django_capture_on_commit_callbacks):
    with (
        mock.patch("feedback.tasks.send_feedback_requests.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(api_client, item())

    assert response.status_code == 201
    delay.assert_called_once_with([response.json()["id"]])


def test_a_request_is_created_with_201_when_the_broker_is_down(api_client, django_capture_on_commit_callbacks):
    broker_down = OperationalError("Connection refused")
    with (
        mock.patch("feedback.tasks.send_feedback_requests.delay", side_effect=broker_down) as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = post(api_client, [item(), item(email="bo@example.com")])

    assert response.status_code == 201
    assert len(callbacks) == 1
    assert delay.called
    # The rows are the outbox: they stay queued for the sweep.
    assert set(FeedbackRequest.objects.values_list("status", flat=True)) == {Status.QUEUED}
    assert FeedbackRequest.objects.count() == 2


# --- Suppression ------------------------------------------------------------------------------------


def test_an_opted_out_customer_is_reported_as_opted_out_even_within_the_quiet_period(api_client, business):
    customer = CustomerFactory(business=business, email="ana@example.com", opted_out_at=timezone.now())
    FeedbackRequestFactory(business=business, customer=customer)  # asked just now: the quiet period applies too

    with mock.patch("feedback.tasks.send_feedback_requests.delay") as delay:
        response = post(api_client, item())

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["suppression_reason"]) == ("suppressed", "opted_out")
    assert response.json()["suppressed_at"] is not None
    delay.assert_not_called()


def test_a_customer_asked_within_the_quiet_period_is_suppressed_with_that_reason(api_client, business):
    customer = CustomerFactory(business=business, email="ana@example.com")
    FeedbackRequestFactory(business=business, customer=customer)

    response = post(api_client, item())

    assert (response.json()["status"], response.json()["suppression_reason"]) == ("suppressed", "quiet_period")


def test_a_customer_asked_twice_in_one_list_is_suppressed_the_second_time(api_client):
    response = post(api_client, [item(), item()])

    assert [(r["status"], r["suppression_reason"]) for r in response.json()] == [
        ("queued", None),
        ("suppressed", "quiet_period"),
    ]


def test_a_bounced_customer_is_suppressed_with_that_reason(api_client, business):
    CustomerFactory(business=business, email="ana@example.com", bounced_at=timezone.now())

    response = post(api_client, item())

    assert (response.json()["status"], response.json()["suppression_reason"]) == ("suppressed", "bounced")


# --- Creating many ---------------------------------------------------------------------------------


def test_a_list_answers_each_item_in_order_with_errors_for_refused_ones(api_client, business):
    StaffMemberFactory(business=business, email="maya@example.com")
    response = post(
        api_client,
        [
            item(email="ana@example.com", staff_email="Maya@Example.com"),
            item(email="broken"),
            item(email="bo@example.com", reference="b-1"),
            item(email="cy@example.com", staff_email="nobody@example.com"),
        ],
    )

    assert response.status_code == 201
    ana, broken, bo, cy = response.json()
    assert ana["customer"]["email"] == "ana@example.com"
    assert ana["staff"]["email"] == "maya@example.com"
    assert broken == {"index": 1, "errors": {"customer": {"email": ["Enter a valid email address."]}}}
    assert (bo["customer"]["email"], bo["reference"]) == ("bo@example.com", "b-1")
    assert cy == {"index": 3, "errors": {"staff_email": ["No active staff member of this business has this email."]}}
    assert FeedbackRequest.objects.count() == 2


def test_a_list_with_no_valid_item_is_refused_whole_with_each_item_s_errors(api_client):
    response = post(api_client, [item(email="broken"), {"customer": "ana@example.com"}])

    assert response.status_code == 400
    body = response.json()
    assert "No item in the list is valid" in body["non_field_errors"][0]
    assert body["items"] == [
        {"index": 0, "errors": {"customer": {"email": ["Enter a valid email address."]}}},
        {"index": 1, "errors": {"customer": {"non_field_errors": [NOT_A_DICT.format("str")]}}},
    ]
    assert not FeedbackRequest.objects.exists()


def test_an_empty_list_is_refused(api_client):
    response = post(api_client, [])

    assert response.status_code == 400
    assert "The list is empty" in response.json()["non_field_errors"][0]


def test_a_list_over_1000_items_is_refused_whole(api_client):
    response = post(api_client, [item(email=f"c{n}@example.com") for n in range(1001)])

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The list has 1,001 items; send at most 1,000 in one call."]}
    assert not FeedbackRequest.objects.exists()


# PostgreSQL inserts each table in one statement (11 queries in all, here). Django splits SQLite inserts into
# statements of at most 999 parameters, about 40 request rows each: still a handful, never one per item.
MAX_QUERIES_FOR_1000_ITEMS = {"postgresql": 30, "sqlite": 60}


def test_1000_items_are_created_in_a_bounded_number_of_queries(
    api_client, business, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    staff = [StaffMemberFactory(business=business) for _ in range(5)]
    CustomerFactory(business=business, email="c0@example.com", opted_out_at=timezone.now())
    FeedbackRequestFactory(business=business, reference="ref-1")
    body = [
        item(email=f"c{n}@example.com", staff_email=staff[n % 5].email.upper(), reference=f"ref-{n}")
        for n in range(1000)
    ]

    with (
        mock.patch("feedback.tasks.send_feedback_requests.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(MAX_QUERIES_FOR_1000_ITEMS[connection.vendor]),
    ):
        response = post(api_client, body)

    assert response.status_code == 201
    answer = response.json()
    assert len(answer) == 1000
    assert [r["reference"] for r in answer] == [f"ref-{n}" for n in range(1000)]
    assert answer[0]["suppression_reason"] == "opted_out"
    assert answer[2]["staff"]["id"] == staff[2].pk
    assert FeedbackRequest.objects.count() == 1000  # 999 new + the existing ref-1
    assert sum(len(call.args[0]) for call in delay.call_args_list) == 998


def test_replaying_a_list_of_known_references_is_bounded_in_queries(
    api_client, business, django_assert_max_num_queries
):
    staff = StaffMemberFactory(business=business)
    existing = [FeedbackRequestFactory(business=business, staff=staff, reference=f"ref-{n}") for n in range(200)]
    body = [item(email=f"c{n}@example.com", reference=f"ref-{n}") for n in range(200)]

    with django_assert_max_num_queries(12):
        response = post(api_client, body)

    assert response.status_code == 201
    assert [r["id"] for r in response.json()] == [request.pk for request in existing]
    assert {r["staff"]["id"] for r in response.json()} == {staff.pk}
    assert FeedbackRequest.objects.count() == 200


# --- Bad input never answers 500 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ('{"customer": ', "JSON parse error"),
        ("not json at all", "JSON parse error"),
        ('"a string"', "Got a string"),
        ("42", "Got a number"),
        ("true", "Got true or false"),
        ("null", "Got null"),
    ],
)
def test_a_body_that_is_not_an_object_or_a_list_is_refused_with_400(api_client, raw, named):
    response = api_client.post(URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert named in str(response.json())
    assert not FeedbackRequest.objects.exists()


def test_a_body_nested_too_deeply_is_refused_with_400(api_client):
    response = api_client.post(URL, "[" * 100_000 + "]" * 100_000, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_body_that_is_not_json_at_all_is_refused_as_unsupported(api_client):
    response = api_client.post(URL, "customer=ana@example.com", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_an_interaction_time_out_of_range_is_named(api_client):
    response = post(api_client, item(interaction_at="0001-01-01T00:00:00+14:00"))

    assert response.status_code == 400
    assert list(response.json()) == ["interaction_at"]


def test_a_customer_that_is_not_an_object_is_named(api_client):
    response = post(api_client, {"customer": ["ana@example.com"]})

    assert response.status_code == 400
    assert response.json() == {"customer": {"non_field_errors": [NOT_A_DICT.format("list")]}}


def test_a_list_of_garbage_is_refused_with_400(api_client):
    response = post(api_client, [1, "x", None, [], {"customer": {"email": 5}}, {"staff_email": {"a": 1}}, True])

    assert response.status_code == 400
    items = response.json()["items"]
    assert [entry["index"] for entry in items] == list(range(7))
    assert all(entry["errors"] for entry in items)


def test_fields_of_the_wrong_type_are_named_not_a_500(api_client):
    response = post(
        api_client,
        {
            "customer": {"email": ["a@example.com"], "name": {"x": 1}},
            "staff_email": 12,
            "interaction_at": {"when": "now"},
            "reference": ["r"],
        },
    )

    assert response.status_code == 400
    assert set(response.json()) == {"customer", "staff_email", "interaction_at", "reference"}


def test_a_null_byte_is_refused_not_a_database_error(api_client):
    response = post(api_client, item(reference="order\x00-1"))

    assert response.status_code == 400
    assert "reference" in response.json()


def test_a_call_without_a_key_is_refused():
    response = APIClient().post(URL, item(), format="json")

    assert response.status_code == 401
    assert not FeedbackRequest.objects.exists()


# --- Showing one ------------------------------------------------------------------------------------


def test_one_request_shows_its_status_history(api_client, business):
    request = FeedbackRequestFactory(business=business, status=Status.SENT)
    FeedbackRequestEvent.objects.create(request=request, status=Status.QUEUED)
    FeedbackRequestEvent.objects.create(request=request, status=Status.SENT, note="Sent to a@example.com")

    response = api_client.get(f"{URL}{request.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == request.pk
    assert body["status"] == "sent"
    assert [(step["status"], step["note"]) for step in body["history"]] == [
        ("queued", ""),
        ("sent", "Sent to a@example.com"),
    ]
    assert all(step["at"] for step in body["history"])


def test_a_created_request_s_history_starts_with_its_first_status(api_client):
    created = post(api_client, item()).json()

    history = api_client.get(f"{URL}{created['id']}/").json()["history"]

    assert [step["status"] for step in history] == ["queued"]


def test_another_business_s_request_is_not_found(api_client, other_business):
    theirs = FeedbackRequestFactory(business=other_business)

    assert api_client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api_client.get(f"{URL}999999/").status_code == 404


# --- Listing ----------------------------------------------------------------------------------------


def test_the_list_is_paged_newest_first_and_scoped_to_the_key_s_business(api_client, business, other_business):
    now = timezone.now()
    older = FeedbackRequestFactory(business=business)
    newer = FeedbackRequestFactory(business=business)
    FeedbackRequest.objects.filter(pk=older.pk).update(created_at=now - timedelta(days=2))
    FeedbackRequest.objects.filter(pk=newer.pk).update(created_at=now - timedelta(days=1))
    FeedbackRequestFactory(business=other_business)

    body = api_client.get(URL).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [newer.pk, older.pk]


def test_the_list_pages_by_page_size(api_client, business):
    for _ in range(3):
        FeedbackRequestFactory(business=business)

    body = api_client.get(URL, {"page_size": 2}).json()

    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] is not None


def test_the_list_filters_by_status_reference_email_and_internal(api_client, business):
    ana = CustomerFactory(business=business, email="Ana@Example.com")
    sent = FeedbackRequestFactory(business=business, customer=ana, status=Status.SENT, reference="r-1")
    suppressed = FeedbackRequestFactory(business=business, status=Status.SUPPRESSED, internal=True)

    def ids(**filters):
        return [r["id"] for r in api_client.get(URL, filters).json()["results"]]

    assert ids(status="suppressed") == [suppressed.pk]
    assert ids(reference="r-1") == [sent.pk]
    assert ids(email="ana@example.COM") == [sent.pk]
    assert ids(internal="true") == [suppressed.pk]
    assert ids(internal="false") == [sent.pk]


def test_the_list_filters_by_creation_time(api_client, business):
    now = timezone.now()
    old = FeedbackRequestFactory(business=business)
    new = FeedbackRequestFactory(business=business)
    FeedbackRequest.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=10))
    cutoff = (now - timedelta(days=5)).isoformat()

    def ids(**filters):
        return [r["id"] for r in api_client.get(URL, filters).json()["results"]]

    assert ids(created_after=cutoff) == [new.pk]
    assert ids(created_before=cutoff) == [old.pk]


@pytest.mark.parametrize("filters", [{"status": "lost"}, {"created_after": "last tuesday"}, {"internal": "maybe"}])
def test_a_bad_filter_value_is_named(api_client, filters):
    response = api_client.get(URL, filters)

    assert response.status_code == 400
    assert list(response.json()) == list(filters)


@pytest.mark.parametrize("rows", [5, 50])
def test_listing_takes_the_same_number_of_queries_whatever_the_rows(
    api_client, business, rows, django_assert_max_num_queries
):
    staff = StaffMemberFactory(business=business)
    for _ in range(rows):
        FeedbackRequestFactory(business=business, staff=staff)

    with django_assert_max_num_queries(30):  # the key, the count, the page
        response = api_client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == rows
    assert response.json()["results"][0]["staff"]["id"] == staff.pk


# --- The schema -------------------------------------------------------------------------------------


def test_the_schema_documents_creating_and_listing_feedback_requests(client):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    operations = schema["paths"]["/api/v1/feedback-requests/"]
    assert {"get", "post"} <= set(operations)
    body = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/FeedbackRequestCreateBody"}
    one_or_many = schema["components"]["schemas"]["FeedbackRequestCreateBody"]["oneOf"]
    assert {"$ref": "#/components/schemas/FeedbackRequestInput"} in one_or_many
    assert {"type": "array", "items": {"$ref": "#/components/schemas/FeedbackRequestInput"}} in one_or_many
    assert "201" in operations["post"]["responses"]
    filters = {parameter["name"] for parameter in operations["get"]["parameters"]}
    assert {"status", "reference", "email", "internal", "created_after", "created_before"} <= filters
    assert "history" in schema["components"]["schemas"]["FeedbackRequestDetailOutput"]["properties"]
